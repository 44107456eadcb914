"""All SQL of the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db.models import Outbox

# One relay publishes at a time, so records leave in id order (per-key order on the compacted topic).
RELAY_LOCK_KEY = 0x6F7574626F78  # "outbox"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    topic: str
    key: bytes | None
    value: bytes | None


def add(session: AsyncSession, *, topic: str, key: bytes | None, value: bytes | None) -> None:
    session.add(Outbox(topic=topic, key=key, value=value))


async def try_lock(conn: AsyncConnection) -> bool:
    row = await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RELAY_LOCK_KEY})
    return bool(row.scalar_one())


async def unsent(conn: AsyncConnection, *, limit: int) -> list[OutboxRow]:
    rows = await conn.execute(
        text("SELECT id, topic, key, value FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT :n"),
        {"n": limit},
    )
    return [OutboxRow(r.id, r.topic, r.key, r.value) for r in rows]


async def mark_sent(conn: AsyncConnection, ids: list[int]) -> None:
    await conn.execute(text("UPDATE outbox SET sent_at = now() WHERE id = ANY(:ids)"), {"ids": ids})


async def backlog(conn: AsyncConnection) -> int:
    row = await conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
    return int(row.scalar_one())


async def purge_sent(conn: AsyncConnection, *, older_than_seconds: int) -> int:
    result = await conn.execute(
        text("DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => :s)"),
        {"s": older_than_seconds},
    )
    return int(result.rowcount or 0)
