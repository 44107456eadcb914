"""Migrating the disposable test databases.

A test database left at a revision this checkout does not know (migrated by a newer branch on the same
machine) cannot be upgraded or downgraded by Alembic. Test databases hold nothing worth keeping, so such a
database is dropped and created again, then migrated from scratch.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from alembic.util.exc import CommandError

from api.db.migrate import upgrade
from workflows.settings import Settings


def migrate_disposable(settings: Settings) -> None:
    try:
        upgrade(settings)
    except CommandError as exc:
        if "Can't locate revision" not in str(exc):
            raise
        _recreate(settings)
        upgrade(settings)


def _recreate(settings: Settings) -> None:
    url = settings.database_url.get_secret_value().replace("postgresql+asyncpg://", "postgresql://", 1)
    base, _, name = url.rpartition("/")
    name = name.split("?", 1)[0]

    async def _run() -> None:
        conn = await asyncpg.connect(f"{base}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    # Callers may be inside a running event loop: run on a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _run()).result()
