"""Listener locks: of all hosts sharing a host id, one runs each timer, as in Azure.

The WebJobs SDK's timer listener is a singleton listener (`SingletonListener`): before it starts,
the host takes a blob lease in host storage, `azure-webjobs-hosts/locks/<hostId>/<lockId>`, where
the lock id is the function's full name (`Host.Functions.<name>`) followed by `.Listener`. The
lease lasts `singleton.listenerLockPeriod` (15 to 60 s, the limits of a blob lease; default 60 s)
and is renewed at half of it. A host that cannot take the lease does not run the timer and tries
again every `singleton.listenerLockRecoveryPollingInterval` (default 1 minute); the holder releases
it when it stops, so another host takes over at its next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob.aio import BlobLeaseClient, BlobServiceClient

from local.host.settings import SingletonOptions

log = logging.getLogger("local.host.timers")

LOCKS_CONTAINER = "azure-webjobs-hosts"
LOCKS_DIRECTORY = "locks"


def listener_lock_id(host_id: str, function: str) -> str:
    return f"{host_id}/Host.Functions.{function}.Listener"


class ListenerLock:
    """The lease that lets this host run one timer function."""

    def __init__(
        self,
        blobs: BlobServiceClient,
        host_id: str,
        function: str,
        options: SingletonOptions,
    ) -> None:
        self.function = function
        self.options = options
        self.blob_name = f"{LOCKS_DIRECTORY}/{listener_lock_id(host_id, function)}"
        self._container = blobs.get_container_client(LOCKS_CONTAINER)
        self._blob = self._container.get_blob_client(self.blob_name)
        # One lease id per host process: taking the lease again after a failed renewal succeeds
        # while the lease is still this host's (Azure Storage accepts the holder's own id).
        self._lease = BlobLeaseClient(self._blob, lease_id=str(uuid.uuid4()))

    @property
    def _seconds(self) -> int:
        return round(self.options.listener_lock_period.total_seconds())

    async def try_acquire(self) -> bool:
        """Take the lease; False when another host holds it."""
        for _ in range(2):
            try:
                await self._lease.acquire(lease_duration=self._seconds)
                return True
            except ResourceNotFoundError:
                await self._create_blob()  # the first host to get here creates it
            except HttpResponseError as error:
                if error.status_code == 409:  # LeaseAlreadyPresent: another host runs it
                    return False
                raise
        return False

    async def _create_blob(self) -> None:
        with contextlib.suppress(ResourceExistsError):
            await self._container.create_container()
        with contextlib.suppress(ResourceExistsError, HttpResponseError):
            await self._blob.upload_blob(b"", overwrite=False)

    async def keep(self, lost: asyncio.Event) -> None:
        """Renew at half the lease period until cancelled; set `lost` if a renewal fails."""
        while True:
            await asyncio.sleep(self._seconds / 2)
            try:
                await self._lease.renew()
            except Exception:
                log.warning(
                    "timer %s: could not renew its listener lock %s; stopping the timer here",
                    self.function,
                    self.blob_name,
                    exc_info=True,
                )
                lost.set()
                return

    async def release(self) -> None:
        with contextlib.suppress(Exception):  # lost or expired: nothing left to release
            await self._lease.release()
