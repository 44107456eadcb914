"""The SSRF guard: which URLs an action may call and which addresses it may connect to.

``check_url`` is static (scheme, host, port, metadata names, address literals) and runs on the URL the
executor got, which is the rendered one: template values cannot move a checked URL elsewhere afterwards.
``resolve`` resolves a host once and refuses it when any address is loopback, private, link-local,
reserved, multicast, unspecified or a cloud metadata address, unless the host or a network holding the
address is allow-listed (``WORKFLOWS_EXECUTOR_ALLOW_HOSTS``). The pinned transport
(``streams.http.transport``) connects to exactly the addresses ``resolve`` returned, so a DNS answer that
changes between the check and the connection (rebinding) never reaches a refused address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Final
from urllib.parse import urlsplit

# host, port -> the addresses (text) it resolves to
Resolver = Callable[[str, int], Awaitable[list[str]]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA_HOSTS: Final = frozenset({"metadata.google.internal", "metadata", "instance-data"})
_DEFAULT_PORTS: Final = frozenset({80, 443})
_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")  # holds Alibaba's metadata address 100.100.100.200


class ActionError(Exception):
    """An action failed for good (the message goes into workflow.action.failed)."""


class RetryableError(Exception):
    """An attempt failed in a way that may pass (network, timeout, 5xx)."""


def refused(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or ip in _CGNAT
    )


def safe_url(url: str) -> str:
    """``scheme://host`` only: paths, query strings and credentials often carry secrets."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "<invalid URL>"
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}"


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class SsrfGuard:
    def __init__(
        self, allow: Iterable[str], *, ports: Iterable[int] = (), resolver: Resolver | None = None
    ) -> None:
        allow = list(allow)
        self._hosts = {a.lower() for a in allow if not _is_network(a)}
        self._networks = [ipaddress.ip_network(a, strict=False) for a in allow if _is_network(a)]
        self._ports = _DEFAULT_PORTS | set(ports)
        self._resolver = resolver or system_resolver

    def check_url(self, url: str) -> tuple[str, int]:
        """The URL's host and port, or ActionError. No DNS."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:  # e.g. a port out of range, a malformed IPv6 literal
            raise ActionError(f"refused URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ActionError(f"refused URL {safe_url(url)}: only http(s) URLs with a host are allowed")
        host = parts.hostname.lower()
        port = port or (443 if parts.scheme == "https" else 80)
        if port not in self._ports:
            raise ActionError(f"refused URL {safe_url(url)}: port {port} is not allowed")
        if host in _METADATA_HOSTS:
            raise ActionError(f"refused URL {safe_url(url)}: cloud metadata host")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            return host, port
        self._check_address(host, literal)
        return host, port

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to, every one of them allowed; resolved once."""
        host = host.lower()
        if host in _METADATA_HOSTS or port not in self._ports:
            raise ActionError(f"refused host {host}:{port}")
        try:
            addresses = await self._resolver(host, port)
        except OSError as exc:
            raise RetryableError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise RetryableError(f"cannot resolve {host}: no address")
        if host in self._hosts:
            return addresses  # an allow-listed name: whatever it resolves to
        for text in addresses:
            self._check_address(host, ipaddress.ip_address(text.split("%", 1)[0]))
        return addresses

    async def check(self, url: str) -> None:
        """The whole check of a URL (static, then its resolution)."""
        host, port = self.check_url(url)
        if host not in self._hosts:  # an allow-listed name may resolve to anything
            await self.resolve(host, port)

    def _check_address(self, host: str, ip: Address) -> None:
        if host in self._hosts or any(ip in net for net in self._networks):
            return
        if refused(ip):
            raise ActionError(f"refused URL: {host} resolves to a non-public address {ip}")


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
