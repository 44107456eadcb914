"""Bring the three services up together, in parallel where it helps, and report on them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from workflows.services.base import Service, ServiceStatus
from workflows.services.kafka import Kafka
from workflows.services.nats import Nats
from workflows.services.postgres import Postgres
from workflows.settings import Settings


def all_services(settings: Settings) -> list[Service]:
    return [Kafka(settings), Postgres(settings), Nats(settings)]


def up(settings: Settings) -> list[ServiceStatus]:
    settings.services_home.mkdir(parents=True, exist_ok=True)
    services = all_services(settings)
    # Kafka's JVM start dominates; the others start while it boots.
    with ThreadPoolExecutor(max_workers=len(services)) as pool:
        futures = [pool.submit(s.up) for s in services]
        return [f.result() for f in futures]


def down(settings: Settings) -> list[tuple[str, str]]:
    return [(s.name, s.down()) for s in all_services(settings)]


def status(settings: Settings) -> list[ServiceStatus]:
    return [s.status() for s in all_services(settings)]
