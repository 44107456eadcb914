"""What the worker needs of the process that hosts it: the seam between the worker and Faust.

``streams.app`` implements it on Faust (the consumer group, the table's stores, recovery); nothing below
this seam imports faust, mode or rocksdict, and an import-linter contract keeps it so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from streams.store import PartitionStore


class Host(Protocol):
    @property
    def store(self) -> PartitionStore:
        """The ``contacts`` table's per-partition stores."""
        ...

    @property
    def changelog_topic(self) -> str: ...

    def owned_partitions(self) -> set[int]:
        """Partitions this worker processes now: its active partitions, recovered and open (none while
        a rebalance or a recovery is under way)."""
        ...

    def on_revoked(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` when partitions are revoked, before any store is closed or handed over."""
        ...


class MemoryHost:
    """The in-memory twin: every partition of the store is owned; the revocation hook is kept for the test
    to call."""

    def __init__(self, store: PartitionStore, changelog_topic: str = "contacts-changelog") -> None:
        self._store = store
        self._changelog_topic = changelog_topic
        self.owned: set[int] | None = None  # None: whatever the store has open
        self.revoked: list[Callable[[], Awaitable[None]]] = []

    @property
    def store(self) -> PartitionStore:
        return self._store

    @property
    def changelog_topic(self) -> str:
        return self._changelog_topic

    def owned_partitions(self) -> set[int]:
        return set(self.owned) if self.owned is not None else self._store.open_partitions()

    def on_revoked(self, hook: Callable[[], Awaitable[None]]) -> None:
        self.revoked.append(hook)
