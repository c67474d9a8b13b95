"""`make up` (local.stack): the well-known ports right after another run, the settings file it
writes for the CLI, and settings checked before anything starts."""

from __future__ import annotations

import errno
import socket

import pytest

from local.procs import port_is_free, preferred_port


def _time_wait_port() -> int:
    """A loopback port whose listener is closed and whose server side closed a connection
    first, so that connection is in TIME_WAIT on the port (as after `make demo`)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = int(listener.getsockname()[1])
    client = socket.create_connection(("127.0.0.1", port))
    server_side, _ = listener.accept()
    server_side.close()  # the active close: this end goes to TIME_WAIT
    client.recv(1)  # the FIN arrived
    client.close()
    listener.close()
    return port


def test_a_port_in_time_wait_counts_as_free() -> None:
    port = _time_wait_port()
    # The precondition: a bind without SO_REUSEADDR (the old check) is refused on this port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        with pytest.raises(OSError) as refused:
            plain.bind(("127.0.0.1", port))
        assert refused.value.errno == errno.EADDRINUSE
    assert port_is_free(port)
    assert preferred_port(port) == port
    # ... and a server binding as aiohttp and Node do really can listen there.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(1)


def test_a_port_someone_listens_on_is_taken() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = int(server.getsockname()[1])
        assert not port_is_free(port)
        other = preferred_port(port)
        assert other != port
        assert port_is_free(other)
