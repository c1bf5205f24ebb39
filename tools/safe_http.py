"""HTTP for the research browser and robots.txt with the SSRF guard at connect time.

``WebGuard.check`` decides on a URL before a request is made, but a hostname can resolve
differently a moment later (DNS rebinding). So every connection this module opens goes
through ``GuardedBackend``: it resolves the host itself, refuses the connection unless
every address is public (or allow-listed), and connects to one of exactly those checked
addresses. TLS still verifies the certificate against the hostname.

``GuardedFetcher`` fetches one URL without following redirects (the caller checks each
hop), never stores cookies between sites, streams the body and stops at a size cap, and
bounds the whole exchange by a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpcore
import httpx

from tools.errors import BlockedURL, ToolError
from tools.web_guard import WebGuard

# hop-by-hop and encoding headers: the body we hand on is decoded and complete
_DROP_REQUEST = frozenset(
    {"host", "connection", "keep-alive", "proxy-connection", "content-length", "transfer-encoding", "upgrade",
     "accept-encoding", "te", "trailer"}
)
_DROP_RESPONSE = frozenset(
    {"connection", "keep-alive", "content-length", "content-encoding", "transfer-encoding", "trailer", "upgrade"}
)


class ResponseTooLarge(ToolError):
    """The body is larger than the cap; nothing beyond the cap was read."""

    def __init__(self, url: str, size: int, cap: int, *, declared: bool) -> None:
        self.detail = f"{size} bytes (cap {cap})" if declared else f"more than {cap} bytes (cap {cap})"
        super().__init__(f"{url}: {self.detail}")
        self.size = size
        self.cap = cap


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the guard accepts, resolved here and now."""

    def __init__(self, guard: WebGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.connect_addresses(host)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedURL(path, "unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool that uses ``GuardedBackend``."""

    def __init__(self, guard: WebGuard, *, max_connections: int = 32) -> None:
        super().__init__(trust_env=False)
        # httpx offers no way to pass a network backend, so its pool is replaced by one that has ours
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(guard),
        )


@dataclass
class Fetched:
    """A response read up to the cap: status, headers (repeatable) and the decoded body."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool = False

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive)."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def browser_headers(self) -> dict[str, str]:
        """Headers for ``route.fulfill``: hop-by-hop dropped, repeated ones joined (cookies by newline)."""
        joined: dict[str, str] = {}
        for key, value in self.headers:
            lower = key.lower()
            if lower in _DROP_RESPONSE:
                continue
            separator = "\n" if lower == "set-cookie" else ", "
            joined[lower] = f"{joined[lower]}{separator}{value}" if lower in joined else value
        return joined


class GuardedFetcher:
    """One request at a time per call, no redirects followed, no cookies kept, body capped."""

    def __init__(self, guard: WebGuard, *, user_agent: str, max_connections: int = 32) -> None:
        self._transport = GuardedTransport(guard, max_connections=max_connections)
        self._user_agent = user_agent

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._transport.aclose()

    async def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        max_bytes: int,
        timeout_s: float,
        truncate: bool = False,
    ) -> Fetched:
        """Fetch ``url`` once. Raises BlockedURL, ResponseTooLarge (unless ``truncate``), httpx errors,
        or TimeoutError when the whole exchange takes longer than ``timeout_s``."""
        return await asyncio.wait_for(
            self._fetch(url, method, headers or {}, body, max_bytes, timeout_s, truncate), timeout_s
        )

    async def _fetch(
        self,
        url: str,
        method: str,
        headers: Mapping[str, str],
        body: bytes | None,
        max_bytes: int,
        timeout_s: float,
        truncate: bool,
    ) -> Fetched:
        sent = {k: v for k, v in headers.items() if k.lower() not in _DROP_REQUEST and not k.startswith(":")}
        sent.setdefault("user-agent", self._user_agent)
        request = httpx.Request(
            method, url, headers=sent, content=body, extensions={"timeout": httpx.Timeout(timeout_s).as_dict()}
        )
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            declared = response.headers.get("content-length", "")
            if not truncate and declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(url, int(declared), max_bytes, declared=True)
            chunks: list[bytes] = []
            size = 0
            truncated = False
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    if not truncate:
                        raise ResponseTooLarge(url, size, max_bytes, declared=False)
                    truncated = True
                    break
            content = b"".join(chunks)[:max_bytes]
        finally:
            await response.aclose()
        return Fetched(url, response.status_code, list(response.headers.multi_items()), content, truncated)
