"""Per-partition access to the ``contacts`` table's stores, for reads, range scans and write batches.

Faust's own table API writes one key at a time (a RocksDB put and a changelog send each) and only inside
an event context; the worker instead writes a commit unit's changes as one RocksDB write batch per
partition *after* their changelog records were acknowledged (see ``streams.runtime``). Recovery stays
Faust's: on assignment it replays the changelog into the same per-partition RocksDB files, and the
persisted changelog offset we write in each batch tells it where to start.

This reaches into ``faust.stores.rocksdb.Store`` (``_db_for_partition``, ``_dbs``, ``offset_key``): pinned to
faust-streaming 0.15.x and covered by the kill-and-rebuild tests.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from typing import Any, Protocol


class PartitionStore(Protocol):
    def get(self, partition: int, key: bytes) -> bytes | None: ...

    def write(
        self, partition: int, changes: Mapping[bytes, bytes | None], changelog_offset: int | None
    ) -> None:
        """Apply puts (bytes) and deletes (None) atomically, with the changelog offset they reached."""
        ...

    def scan(self, partition: int, start: bytes, end: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Keys in ``[start, end)`` in byte order."""
        ...

    def open_partitions(self) -> set[int]: ...


class RocksPartitionStore:
    """The Faust RocksDB store of one table (``table.data``)."""

    def __init__(self, faust_store: Any) -> None:
        self._store = faust_store

    def _db(self, partition: int) -> Any:
        return self._store._db_for_partition(partition)

    def get(self, partition: int, key: bytes) -> bytes | None:
        value: bytes | None = self._db(partition).get(key)
        return value

    def write(
        self, partition: int, changes: Mapping[bytes, bytes | None], changelog_offset: int | None
    ) -> None:
        import rocksdict

        batch = rocksdict.WriteBatch(raw_mode=True)
        for key, value in changes.items():
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        if changelog_offset is not None:
            # Same key and format as Faust's set_persisted_offset, in the same batch as the data.
            batch.put(self._store.offset_key, str(changelog_offset).encode())
        self._db(partition).write(batch)

    def scan(self, partition: int, start: bytes, end: bytes) -> Iterator[tuple[bytes, bytes]]:
        db = self._store._dbs.get(partition)
        if db is None:
            return
        it = db.iter()
        it.seek(start)
        while it.valid():
            key = it.key()
            if key >= end:
                break
            yield key, it.value()
            it.next()

    def open_partitions(self) -> set[int]:
        return set(self._store._dbs)


class MemoryPartitionStore:
    """The in-memory twin, for unit tests of the processor, pump and detector."""

    def __init__(self) -> None:
        self.data: dict[int, dict[bytes, bytes]] = {}
        self.offsets: dict[int, int] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.data.get(partition, {}).get(key)

    def write(
        self, partition: int, changes: Mapping[bytes, bytes | None], changelog_offset: int | None
    ) -> None:
        part = self.data.setdefault(partition, {})
        for key, value in changes.items():
            if value is None:
                part.pop(key, None)
            else:
                part[key] = value
        if changelog_offset is not None:
            self.offsets[partition] = changelog_offset

    def scan(self, partition: int, start: bytes, end: bytes) -> Iterator[tuple[bytes, bytes]]:
        part = self.data.get(partition, {})
        keys = sorted(part)
        for key in keys[bisect.bisect_left(keys, start) :]:
            if key >= end:
                break
            yield key, part[key]

    def open_partitions(self) -> set[int]:
        return set(self.data)
