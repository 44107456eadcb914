"""All SQL of the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class FailedRow:
    id: int
    topic: str
    key: bytes | None
    size: int
    error: str
    created_at: datetime
    failed_at: datetime


def add(
    session: AsyncSession, *, topic: str, key: bytes | None, value: bytes | None, tenant_id: str | None
) -> None:
    session.add(Outbox(topic=topic, key=key, value=value, tenant_id=tenant_id))


async def try_lock(conn: AsyncConnection) -> bool:
    row = await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RELAY_LOCK_KEY})
    return bool(row.scalar_one())


async def unsent(conn: AsyncConnection, *, limit: int) -> list[OutboxRow]:
    rows = await conn.execute(
        text(
            "SELECT id, topic, key, value FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL "
            "ORDER BY id LIMIT :n"
        ),
        {"n": limit},
    )
    return [OutboxRow(r.id, r.topic, r.key, r.value) for r in rows]


async def mark_sent(conn: AsyncConnection, ids: list[int]) -> None:
    await conn.execute(text("UPDATE outbox SET sent_at = now() WHERE id = ANY(:ids)"), {"ids": ids})


async def mark_failed(conn: AsyncConnection, errors: dict[int, str]) -> None:
    for row_id, error in errors.items():
        await conn.execute(
            text("UPDATE outbox SET failed_at = now(), error = :e WHERE id = :id"),
            {"id": row_id, "e": error},
        )


async def backlog(conn: AsyncConnection) -> int:
    row = await conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"))
    return int(row.scalar_one())


async def failed(session: AsyncSession, *, tenant_id: str, after: int | None, limit: int) -> list[FailedRow]:
    """A tenant's failed rows, newest first (keyset on id)."""
    rows = await session.execute(
        text(
            "SELECT id, topic, key, octet_length(value) AS size, error, created_at, failed_at FROM outbox "
            "WHERE failed_at IS NOT NULL AND tenant_id = :t AND id < :after ORDER BY id DESC LIMIT :n"
        ),
        {"t": tenant_id, "after": after if after is not None else 2**63 - 1, "n": limit},
    )
    return [
        FailedRow(r.id, r.topic, r.key, int(r.size or 0), r.error or "", r.created_at, r.failed_at)
        for r in rows
    ]


async def purge(conn: AsyncConnection, *, older_than_seconds: float, limit: int) -> int:
    """Delete at most ``limit`` rows sent (or failed) longer ago than the retention, oldest first: small
    batches keep each transaction short, so the relay's publishing never waits long behind a purge."""
    result = await conn.execute(
        text(
            "DELETE FROM outbox WHERE id IN ("
            " (SELECT id FROM outbox WHERE sent_at < now() - make_interval(secs => :s)"
            "  ORDER BY sent_at LIMIT :n)"
            " UNION ALL"
            " (SELECT id FROM outbox WHERE failed_at < now() - make_interval(secs => :s)"
            "  ORDER BY id LIMIT :n))"
        ),
        {"s": older_than_seconds, "n": limit},
    )
    return int(result.rowcount or 0)


async def forget_contact(session: AsyncSession, *, tenant_id: str, topic: str, contact_id: str) -> int:
    """Delete the contact's published (or failed) event records: they carry its trigger data. Unsent ones
    stay, since the erase request itself is one of them."""
    result = await session.execute(
        text(
            "DELETE FROM outbox WHERE tenant_id = :t AND topic = :topic AND key = :k "
            "AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)"
        ),
        {"t": tenant_id, "topic": topic, "k": contact_id.encode()},
    )
    return int(getattr(result, "rowcount", 0) or 0)
