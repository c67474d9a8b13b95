"""Close a GraphServiceClient: its httpx pool (and the inner transport msgraph-core does not
forward `aclose()` to) and its credential's session. A short-lived process (the CLI, a test)
would otherwise end with unclosed-transport warnings."""

from __future__ import annotations

import contextlib
from typing import Any


async def close_graph_client(client: Any) -> None:
    adapter = client.request_adapter
    http = adapter._http_client
    inner = getattr(http._transport, "transport", None)
    await http.aclose()
    if inner is not None:
        await inner.aclose()
    provider = getattr(adapter._authentication_provider, "access_token_provider", None)
    credential = getattr(provider, "_credentials", None)
    if credential is not None and hasattr(credential, "close"):
        with contextlib.suppress(Exception):
            credential.close()
