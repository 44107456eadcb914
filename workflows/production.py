"""Production mode: the settings no process may start with unless ``WORKFLOWS_ENV=development``.

Every entry point of the ``workflows`` command calls :func:`refuse_unsafe` before it starts anything, so a
deployment that forgot a secret fails at once with the setting to change, instead of running open.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from workflows.settings import DEVELOPMENT_JWT_SECRET, Settings

MIN_HS256_SECRET_BYTES = 32
# API routes that answer only in development mode; in production they are a 404 (the route does not exist).
# The builder's development sign-in mints a token for any tenant with the configured secret.
DEVELOPMENT_ONLY_ROUTES = ("POST /api/v1/dev/token",)
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_network("::1/128")
_UNSPECIFIED_V4 = ipaddress.ip_network("0.0.0.0/32")
_UNSPECIFIED_V6 = ipaddress.ip_network("::/128")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


@dataclass(frozen=True, slots=True)
class Problem:
    env_var: str
    message: str

    def __str__(self) -> str:
        return f"{self.env_var}: {self.message}"


def is_loopback(entry: str) -> bool:
    """A host name, address or CIDR of the executor's allow list that reaches this machine's loopback."""
    text = entry.strip().lower().rstrip(".")
    if text in _LOOPBACK_NAMES or text.endswith(".localhost"):
        return True
    try:
        network = ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        return False
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped is not None:
        mapped = network.network_address.ipv4_mapped
        return mapped in _LOOPBACK_V4 or network.prefixlen <= 96
    if network.version == 4:
        # 0.0.0.0 ("this host") connects to the local machine on Linux, like loopback.
        return network.overlaps(_LOOPBACK_V4) or network.overlaps(_UNSPECIFIED_V4)
    return network.overlaps(_LOOPBACK_V6) or network.overlaps(_UNSPECIFIED_V6)


def production_problems(settings: Settings, *, executor_allow_hosts: Sequence[str] = ()) -> list[Problem]:
    """Every unsafe setting, each with the variable that fixes it; empty in development mode."""
    if settings.env == "development":
        return []
    problems: list[Problem] = []
    if settings.jwt_algorithm == "HS256":
        secret = settings.jwt_secret.get_secret_value()
        if secret == DEVELOPMENT_JWT_SECRET:
            problems.append(
                Problem(
                    "WORKFLOWS_JWT_SECRET",
                    "is the development secret published in the repository; set a random secret of at "
                    f"least {MIN_HS256_SECRET_BYTES} bytes (or use RS256 with WORKFLOWS_JWT_PUBLIC_KEY)",
                )
            )
        elif len(secret.encode()) < MIN_HS256_SECRET_BYTES:
            problems.append(
                Problem(
                    "WORKFLOWS_JWT_SECRET",
                    f"is {len(secret.encode())} bytes; HS256 needs at least {MIN_HS256_SECRET_BYTES}",
                )
            )
    elif settings.jwt_algorithm == "RS256" and settings.jwt_public_key is None:
        problems.append(Problem("WORKFLOWS_JWT_PUBLIC_KEY", "RS256 needs the issuer's public key (PEM)"))
    loopback = [host for host in executor_allow_hosts if is_loopback(host)]
    if loopback:
        problems.append(
            Problem(
                "WORKFLOWS_EXECUTOR_ALLOW_HOSTS",
                f"lets webhook actions reach this machine's loopback ({', '.join(loopback)}); remove "
                "those entries",
            )
        )
    return problems


def development_only(settings: Settings, what: str) -> list[Problem]:
    """A command that exists for development (e.g. minting tokens with the shared secret)."""
    if settings.env == "development":
        return []
    return [Problem("WORKFLOWS_ENV", f"{what} is for development only; set WORKFLOWS_ENV=development")]
