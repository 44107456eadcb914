from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from workflows.settings import Settings

from .harness import Stack, Worker


@pytest.fixture(scope="module")
async def stack(services: Settings) -> AsyncIterator[Stack]:
    s = Stack(services.kafka_bootstrap_servers)
    await s.create_topics()
    yield s
    await s.delete_topics()


@pytest.fixture(scope="module")
def worker(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    base: Path = tmp_path_factory.mktemp("worker")
    w = Worker(stack, base / "data", "worker").start()
    yield w
    w.stop()
