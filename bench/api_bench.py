"""API read-path benchmark: list runs (filtered, paginated), run detail and stats over a large read model.

Creates (or reuses) the database ``workflows_bench``, applies the migrations, loads N runs and M steps with
COPY (binary, asyncpg ``copy_records_to_table``), then times requests through the real app (ASGI, no
network) and prints p50/p99 per endpoint with the Postgres plan of each query.

    .venv/bin/python bench/api_bench.py                      # 1,000,000 runs, 10,000,000 steps
    .venv/bin/python bench/api_bench.py --runs 100000 --steps-per-run 10 --requests 300
    .venv/bin/python bench/api_bench.py --skip-load          # reuse what is loaded
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr

from api.app import create_app
from api.auth import mint_token
from api.config import ApiSettings
from api.db.engine import create_engine
from api.db.migrate import upgrade
from api.projector.reconcile import reconcile
from workflows.settings import Settings

TENANT = "bench-tenant"
WORKFLOWS = 10
STATUSES = ["completed"] * 80 + ["running"] * 10 + ["failed"] * 4 + ["goal_reached"] * 5 + ["cancelled"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 200_000


def bench_settings() -> Settings:
    base = Settings().database_url.get_secret_value().rpartition("/")[0]
    return Settings(database_url=SecretStr(f"{base}/workflows_bench"))


def dsn(settings: Settings) -> str:
    return settings.database_url.get_secret_value().replace("+asyncpg", "")


async def create_database(settings: Settings) -> None:
    admin = await asyncpg.connect(dsn(settings).rpartition("/")[0] + "/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = 'workflows_bench'"):
            await admin.execute("CREATE DATABASE workflows_bench")
    finally:
        await admin.close()


def workflow_ids() -> list[uuid.UUID]:
    return [uuid.UUID(int=0xB0 << 120 | i) for i in range(WORKFLOWS)]


def run_uuid(i: int) -> uuid.UUID:
    return uuid.UUID(int=0xA1 << 120 | i)


SECONDARY = {
    "idx_workflow_runs_workflow_status": "CREATE INDEX {} ON workflow_runs (workflow_id, status)",
    "idx_workflow_runs_contact": "CREATE INDEX {} ON workflow_runs (contact_id)",
    "idx_workflow_runs_started": "CREATE INDEX {} ON workflow_runs (started_at DESC)",
    "idx_workflow_runs_workflow_started": (
        "CREATE INDEX {} ON workflow_runs (workflow_id, started_at DESC, id DESC)"
    ),
    "idx_workflow_runs_workflow_status_started": (
        "CREATE INDEX {} ON workflow_runs (workflow_id, status, started_at DESC, id DESC)"
    ),
    "idx_run_steps_run": "CREATE INDEX {} ON workflow_run_steps (run_id)",
    "idx_run_steps_scheduled": (
        "CREATE INDEX {} ON workflow_run_steps (status, scheduled_at) WHERE status = 'pending'"
    ),
}


async def load(settings: Settings, *, runs: int, steps_per_run: int) -> None:
    conn = await asyncpg.connect(dsn(settings))
    try:
        await conn.execute(
            "TRUNCATE workflow_schedules, workflow_run_steps, workflow_runs, workflow_node_counters, "
            "workflow_run_counters, workflow_versions, outbox, workflows CASCADE"
        )
        user = uuid.UUID(int=1)
        for n, wid in enumerate(workflow_ids()):
            await conn.execute(
                "INSERT INTO workflows (id, tenant_id, name, status, created_by) "
                "VALUES ($1, $2, $3, 'active', $4)",
                wid,
                TENANT,
                f"bench {n}",
                user,
            )
        # Bulk load: secondary indexes are rebuilt once afterwards (far cheaper than maintaining them).
        for name in SECONDARY:
            await conn.execute(f"DROP INDEX IF EXISTS {name}")
        wids = workflow_ids()
        started = time.perf_counter()
        batch: list[tuple[Any, ...]] = []
        for i in range(runs):
            status = STATUSES[i % len(STATUSES)]
            begin = T0 + timedelta(seconds=i * 7)
            end = None if status == "running" else begin + timedelta(seconds=3600 + i % 7200)
            batch.append(
                (
                    run_uuid(i),
                    TENANT,
                    wids[i % WORKFLOWS],
                    1,
                    f"contact-{i % (runs // 3 + 1)}",
                    status,
                    "node-5",
                    "{}",
                    "{}",
                    None,
                    None,
                    begin,
                    end,
                    0,
                )
            )
            if len(batch) == CHUNK:
                await _copy_runs(conn, batch)
                batch = []
        if batch:
            await _copy_runs(conn, batch)
        print(f"loaded {runs:,} runs in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        step_batch: list[tuple[Any, ...]] = []
        total = 0
        for i in range(runs):
            rid = run_uuid(i)
            begin = T0 + timedelta(seconds=i * 7)
            for k in range(steps_per_run):
                step_batch.append(
                    (
                        uuid.UUID(int=0xC2 << 120 | (i * steps_per_run + k)),
                        rid,
                        f"node-{k}",
                        "send_email",
                        "completed",
                        '{"templateId": "tpl"}',
                        "{}",
                        None,
                        begin,
                        begin,
                        None,
                        1,
                    )
                )
            if len(step_batch) >= CHUNK:
                total += len(step_batch)
                await _copy_steps(conn, step_batch)
                step_batch = []
        if step_batch:
            total += len(step_batch)
            await _copy_steps(conn, step_batch)
        print(f"loaded {total:,} steps in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        for name, ddl in SECONDARY.items():
            await conn.execute(ddl.format(name))
        await conn.execute("ANALYZE")
        print(f"indexes + analyze in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


async def _copy_runs(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(
        "workflow_runs",
        records=rows,
        columns=[
            "id",
            "tenant_id",
            "workflow_id",
            "workflow_version",
            "contact_id",
            "status",
            "current_node_id",
            "trigger_event",
            "context",
            "goal_reached_id",
            "error_message",
            "started_at",
            "completed_at",
            "last_event_at",
        ],
    )


async def _copy_steps(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(
        "workflow_run_steps",
        records=rows,
        columns=[
            "id",
            "run_id",
            "node_id",
            "node_type",
            "status",
            "input",
            "output",
            "error_message",
            "started_at",
            "completed_at",
            "scheduled_at",
            "visit",
        ],
    )


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def measure(settings: Settings, *, requests: int, runs: int) -> None:
    app = create_app(
        settings,
        api_settings=ApiSettings(api_run_relay=False, api_run_projector=False, api_run_stats_reconcile=False),
    )
    headers = {
        "Authorization": f"Bearer {mint_token(settings, tenant_id=TENANT, user_id=str(uuid.UUID(int=1)))}"
    }
    wids = workflow_ids()
    results: dict[str, list[float]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:

            async def timed(name: str, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
                t = time.perf_counter()
                resp = await client.get(url, params=params)
                results.setdefault(name, []).append(time.perf_counter() - t)
                assert resp.status_code == 200, resp.text
                return resp

            for i in range(requests):
                wid = wids[i % WORKFLOWS]
                base = f"/api/v1/workflows/{wid}"
                first = await timed(
                    "list runs status=running, page 1", f"{base}/runs", {"status": "running", "limit": 50}
                )
                cursor = first.json()["data"]["nextCursor"]
                await timed(
                    "list runs status=running, page 2 (cursor)",
                    f"{base}/runs",
                    {"status": "running", "limit": 50, "cursor": cursor},
                )
                await timed(
                    "list runs contactId",
                    f"{base}/runs",
                    {"contactId": f"contact-{(i * 7919) % (runs // 3)}"},
                )
                after = (T0 + timedelta(seconds=(i * 104729) % (runs * 7))).isoformat()
                await timed(
                    "list runs startedAfter window", f"{base}/runs", {"startedAfter": after, "limit": 50}
                )
                run = run_uuid((i * 15485863) % runs)
                await timed(
                    "run detail (+steps)",
                    f"/api/v1/workflows/{wids[((i * 15485863) % runs) % WORKFLOWS]}/runs/{run}",
                )
                await timed("stats", f"{base}/stats")
    print(f"\n{'endpoint':45} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples in results.items():
        p50, p99, mean = pct(samples, 0.5), pct(samples, 0.99), statistics.mean(samples) * 1000
        print(f"{name:45} {len(samples):5d} {p50:8.2f} {p99:8.2f} {mean:8.2f}")


PLANS = {
    "list runs (status, page 2)": (
        "SELECT * FROM workflow_runs WHERE workflow_id = $1 AND tenant_id = $2 AND status = 'running' "
        "AND (started_at, id) < ($3, $4) ORDER BY started_at DESC, id DESC LIMIT 51"
    ),
    "list runs (contact)": (
        "SELECT * FROM workflow_runs WHERE workflow_id = $1 AND tenant_id = $2 AND contact_id = 'contact-42' "
        "ORDER BY started_at DESC, id DESC LIMIT 21"
    ),
    "run detail: run": "SELECT * FROM workflow_runs WHERE id = $5 AND workflow_id = $1 AND tenant_id = $2",
    "run detail: steps": (
        "SELECT * FROM workflow_run_steps WHERE run_id = $5 ORDER BY started_at ASC NULLS LAST, visit, id"
    ),
    "stats: run counters": "SELECT * FROM workflow_run_counters WHERE workflow_id = $1",
    "stats: node counters": "SELECT * FROM workflow_node_counters WHERE workflow_id = $1 ORDER BY node_id",
}


async def explain(settings: Settings, *, runs: int) -> None:
    conn = await asyncpg.connect(dsn(settings))
    try:
        wid = workflow_ids()[3]
        args = [wid, TENANT, T0 + timedelta(seconds=runs * 3), run_uuid(runs // 2), run_uuid(runs // 2 + 3)]
        for name, sql in PLANS.items():
            sql_n = sql
            params = []
            for new, old in enumerate([i for i in range(1, 6) if f"${i}" in sql], start=1):
                sql_n = sql_n.replace(f"${old}", f"${new}")
                params.append(args[old - 1])
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql_n}", *params)
            print(f"\n-- {name}\n" + "\n".join(r[0] for r in rows))
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--steps-per-run", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300, help="iterations per endpoint")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    logging.getLogger("api.projector.reconcile").setLevel(logging.ERROR)  # every counter "drifts" after COPY
    settings = bench_settings()
    await create_database(settings)
    await asyncio.to_thread(upgrade, settings)
    if not args.skip_load:
        await load(settings, runs=args.runs, steps_per_run=args.steps_per_run)
        engine = create_engine(settings)
        started = time.perf_counter()
        print(f"stats reconcile (the 5-minute job) over the full tables: {await reconcile(engine)}", end=" ")
        print(f"in {time.perf_counter() - started:.1f} s")
        await engine.dispose()
    await measure(settings, requests=args.requests, runs=args.runs)
    await explain(settings, runs=args.runs)


if __name__ == "__main__":
    asyncio.run(main())
