"""Nothing listens beyond loopback unless configured: a running stack's sockets, and the native services."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import start_stack
from tests.e2e.stack import Stack
from tests.security.sockets import Listener, descendants, listeners, listeners_on_ports
from workflows.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def running(e2e_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(e2e_settings, tmp_path_factory.mktemp("listen"))
    try:
        yield stack
    finally:
        stack.stop()


def _stack_listeners(stack: Stack) -> dict[str, list[Listener]]:
    found: dict[str, list[Listener]] = {}
    for name, process in stack.processes.items():
        assert process.proc is not None
        assert process.alive(), f"{name} is not running: {stack.tail(name)}"
        found[name] = listeners(descendants(process.proc.pid))
    return found


def test_every_process_of_a_running_stack_listens_on_loopback_only(running: Stack) -> None:
    # The worker opens its web port once Faust has started: wait for it, so the check sees it.
    deadline = time.monotonic() + 60
    while True:
        found = _stack_listeners(running)
        if all(found.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert all(found.values()), f"a process has no listening socket yet: {found}"
    exposed = {name: [s for s in socks if not s.loopback] for name, socks in found.items()}
    assert not any(exposed.values()), f"listening beyond loopback: {exposed}"
    # The API answers on its configured loopback port (the listing did see the real sockets).
    assert any(s.port == running.api_port for s in found["api"])
    assert httpx.get(f"{running.api}/healthz", timeout=5).status_code == 200


def test_the_native_services_listen_on_loopback_only(services: Settings) -> None:
    s = services
    ports = {s.kafka_port, s.kafka_controller_port, s.postgres_port, s.nats_port, s.nats_monitor_port}
    found = listeners_on_ports(ports)
    assert {port for _, port in found} >= {s.kafka_port, s.postgres_port, s.nats_port}, found
    exposed = [(a, p) for a, p in found if not _loopback(a)]
    assert not exposed, f"native services listening beyond loopback: {exposed}"


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def test_the_listing_sees_a_wildcard_socket(tmp_path: Path) -> None:
    """The check can fail: a socket bound to every interface is reported as not loopback."""
    import os
    import socket

    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        port = sock.getsockname()[1]
        mine = listeners({os.getpid()})
        assert any(s.port == port and not s.loopback for s in mine), mine
