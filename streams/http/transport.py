"""An httpx transport that connects to the address the SSRF guard validated.

httpx hands the URL's host to httpcore, whose network backend resolves it while connecting: a second DNS
answer the guard never saw. ``PinnedBackend`` is that network backend: it asks the guard to resolve and
validate the host (once per connection) and opens the TCP connection to one of the returned addresses.
httpcore still starts TLS with the URL's host as server name, so SNI and certificate checks keep the
name, and httpx still sends the URL's host in the Host header. Proxies from the environment are not used:
a proxy would resolve names itself.
"""

from __future__ import annotations

import typing

import httpcore
import httpx

from streams.http.guard import SsrfGuard


class PinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: SsrfGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve(host, port)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # resolve never returns an empty list
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, guard: SsrfGuard, *, max_connections: int = 100) -> None:
        super().__init__()
        # Replace the pool httpx built with one on the pinned backend (same TLS defaults as httpx).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=PinnedBackend(guard),
        )
