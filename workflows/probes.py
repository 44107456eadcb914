"""Reachability probes for Kafka, PostgreSQL and NATS, shared by every process's health endpoint.

Each probe returns ``(ok, detail)`` and never raises: a health endpoint reports, it does not crash.
"""

from __future__ import annotations

import asyncio
import struct

from workflows.settings import Settings

_TIMEOUT = 3.0


async def kafka_probe(bootstrap_servers: str) -> tuple[bool, str]:
    """One ApiVersions request (v0) to the first bootstrap server: only a Kafka broker answers it."""
    host, _, port = bootstrap_servers.split(",")[0].strip().rpartition(":")
    client_id = b"workflows-health"
    body = struct.pack(">hhih", 18, 0, 11, len(client_id)) + client_id
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), _TIMEOUT)
        try:
            writer.write(struct.pack(">i", len(body)) + body)
            await writer.drain()
            header = await asyncio.wait_for(reader.readexactly(10), _TIMEOUT)
        finally:
            writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
        return False, f"{bootstrap_servers}: {exc or type(exc).__name__}"
    _size, correlation, error = struct.unpack(">iih", header)
    if correlation != 11 or error != 0:
        return False, f"{bootstrap_servers}: unexpected ApiVersions answer (error {error})"
    return True, bootstrap_servers


async def postgres_probe(settings: Settings) -> tuple[bool, str]:
    import asyncpg

    dsn = settings.database_url.get_secret_value().replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        conn = await asyncio.wait_for(asyncpg.connect(dsn), _TIMEOUT)
        try:
            version = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, f"PostgreSQL {version}"


async def nats_probe(url: str) -> tuple[bool, str]:
    import nats
    from nats.errors import Error as NatsError

    async def _quiet(_exc: Exception) -> None:
        # nats-py logs every failed attempt itself; the probe reports the outcome once.
        return None

    try:
        # nats-py keeps retrying an unreachable server on the first connect: bound the whole attempt.
        nc = await asyncio.wait_for(
            nats.connect(url, connect_timeout=_TIMEOUT, allow_reconnect=False, error_cb=_quiet), _TIMEOUT
        )
    except (OSError, TimeoutError, NatsError) as exc:
        return False, f"{url}: {type(exc).__name__}: {exc}"
    try:
        info = await asyncio.wait_for(nc.jetstream().account_info(), _TIMEOUT)
        return True, f"{url} (JetStream, {info.streams} streams)"
    except (TimeoutError, NatsError) as exc:
        return False, f"{url}: JetStream unavailable: {exc}"
    finally:
        await nc.close()


async def probe_all(settings: Settings) -> dict[str, tuple[bool, str]]:
    kafka, postgres, nats_ = await asyncio.gather(
        kafka_probe(settings.kafka_bootstrap_servers), postgres_probe(settings), nats_probe(settings.nats_url)
    )
    return {"kafka": kafka, "postgres": postgres, "nats": nats_}
