"""Records of ``workflows.out`` the projector cannot store: which ones, why, and where they are kept.

A dead letter keeps the record whole (topic, partition, offset, key, value) with its reason, so an operator
can read it, fix what produced it, and produce it again. The reason names the rule that was broken or the
PostgreSQL error class and SQLSTATE, never a value of the record: the value is in the row, not in logs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import asyncpg
from aiokafka.structs import ConsumerRecord
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api import metrics
from api.db.models import ProjectorDeadLetter
from workflows.wire import OutItem

log = logging.getLogger(__name__)

# SQLSTATE classes that are about the data of one statement, not about the server or the session:
# 22 data exception (a NUL, a number out of range), 23 integrity constraint (a foreign key), 54 program
# limit exceeded (an index row too large). Anything else (connection, shutdown, deadlock) is retried.
RECORD_SQLSTATE_CLASSES: Final = frozenset({"22", "23", "54"})
MAX_REASON: Final = 1000


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    kind: str  # the metric label: undecodable, database_refused
    reason: str

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes] | Output, kind: str, reason: str) -> DeadLetter:
        return cls(record.topic, record.partition, record.offset, record.key, record.value, kind, reason)


@dataclass(frozen=True, slots=True)
class Output:
    """One output of a ``workflows.out`` record (``workflows.wire.out_items``): its record's position and key,
    and its own bytes, which are what a dead letter of it keeps. Of a pack, only the first output that fails
    is stored (one dead letter per record position); its reason says which item it was."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    note: str  # "item 3 of a pack: " for a pack's output, else ""

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes], item: OutItem) -> Output:
        note = f"item {item.index} of a pack: " if item.packed else ""
        return cls(record.topic, record.partition, record.offset, record.key, item.value, note)


def _sqlstate(exc: BaseException | None) -> str | None:
    while exc is not None:
        code = getattr(exc, "sqlstate", None)
        if isinstance(code, str):
            return code
        exc = exc.__cause__
    return None


def record_problem(exc: DBAPIError) -> str | None:
    """Why PostgreSQL refused this record (None when the error is the database's, not the record's)."""
    cause: BaseException | None = exc.orig
    while cause is not None and not isinstance(cause, asyncpg.exceptions.DataError):
        cause = cause.__cause__
    if cause is not None:
        # Raised by the driver before sending: a value that cannot be encoded for its column type.
        return "a value does not fit its column type (refused by the driver)"
    code = _sqlstate(exc.orig)
    if code is None or code[:2] not in RECORD_SQLSTATE_CLASSES:
        return None
    orig = exc.orig
    name = type(orig.__cause__ or orig).__name__ if orig is not None else "DBAPIError"
    return f"PostgreSQL refused the record: {name} (SQLSTATE {code})"


async def store_dead_letters(engine: AsyncEngine, dead: Sequence[DeadLetter]) -> None:
    rows = [
        {
            "topic": d.topic,
            "partition": d.partition,
            "offset": d.offset,
            "key": d.key,
            "value": d.value,
            "reason": d.reason[:MAX_REASON],
        }
        for d in dead
    ]
    async with engine.begin() as conn:
        # The same record dead-lettered again (its batch re-applied after a crash) is one row.
        await conn.execute(
            insert(ProjectorDeadLetter)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_projector_dead_letters_position")
        )
    for d in dead:
        metrics.PROJECTOR_DEAD_LETTERS.labels(d.kind).inc()
        log.warning(
            "projector dead-lettered %s[%d]@%d (%s): %s",
            d.topic,
            d.partition,
            d.offset,
            d.kind,
            d.reason[:300],
        )
