"""API read-path benchmark: list runs (filtered, paginated), run detail, stats and the analytics routes (time
series, funnel, splits, insights, who is where) over a large read model.

Creates (or reuses) the database ``workflows_bench``, applies the migrations, loads N runs and M steps with
COPY (binary, asyncpg ``copy_records_to_table``), fills the counters and the analytics read models with the
reconcile job's recount, then times requests through the real app (ASGI, no network) and prints p50/p99 per
endpoint with the Postgres plan of each query. Each workflow's definition has a split (node-1, variants a
and b) so the splits route has data.

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
import orjson
from pydantic import SecretStr
from sqlalchemy import text

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


NODES = 10
SPLIT_NODE = 1  # node-1 is a split: a run takes variant a or b


def definition() -> dict[str, str]:
    """The benchmark workflows' definition: node-0 .. node-9 in a line, node-1 an A/B split, one goal."""
    nodes: list[dict[str, Any]] = [
        {"id": f"node-{k}", "type": "send_email", "data": {"templateId": f"tpl-{k}"}} for k in range(NODES)
    ]
    variants = [{"id": "a", "percentage": 50}, {"id": "b", "percentage": 50}]
    nodes[SPLIT_NODE] = {"id": f"node-{SPLIT_NODE}", "type": "split", "data": {"variants": variants}}
    edges: list[dict[str, Any]] = [{"source": "trigger", "target": "node-0"}]
    for k in range(NODES - 1):
        edge: dict[str, Any] = {"source": f"node-{k}", "target": f"node-{k + 1}"}
        if k == SPLIT_NODE:
            edges.append({**edge, "branch": "a"})
            edge = {"source": edge["source"], "target": f"node-{k + 1}", "branch": "b", "id": "b"}
        edges.append(edge)
    goals = [{"id": "goal-1", "name": "Bought", "event": "order.placed"}]
    return {
        "nodes": orjson.dumps(nodes).decode(),
        "edges": orjson.dumps(edges).decode(),
        "goals": orjson.dumps(goals).decode(),
        "settings": orjson.dumps({"timezone": "Europe/Paris"}).decode(),
    }


def variant(i: int) -> str:
    # b converts more: goal-reached runs (i % 100 in 90..94) fall mostly in b.
    return "b" if i % 3 else "a"


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
    "idx_run_steps_run_seq": "CREATE INDEX {} ON workflow_run_steps (run_id, seq)",
    "idx_workflow_runs_waiting": (
        "CREATE INDEX {} ON workflow_runs (workflow_id, workflow_version, current_node_id) "
        "WHERE status = 'running'"
    ),
    "idx_workflow_runs_node_started": (
        "CREATE INDEX {} ON workflow_runs (workflow_id, current_node_id, started_at DESC, id DESC) "
        "WHERE status = 'running'"
    ),
    "idx_run_steps_scheduled": (
        "CREATE INDEX {} ON workflow_run_steps (status, scheduled_at) WHERE status = 'pending'"
    ),
}


async def load(settings: Settings, *, runs: int, steps_per_run: int) -> None:
    conn = await asyncpg.connect(dsn(settings))
    try:
        await conn.execute(
            "TRUNCATE workflow_schedules, workflow_run_steps, workflow_runs, workflow_node_counters, "
            "workflow_run_counters, workflow_versions, outbox, workflow_version_node_stats, workflow_edge_stats, "
            "workflow_split_stats, workflow_goal_stats, workflow_run_buckets, workflows CASCADE"
        )
        user = uuid.UUID(int=1)
        shape = definition()
        for n, wid in enumerate(workflow_ids()):
            await conn.execute(
                "INSERT INTO workflows (id, tenant_id, name, status, created_by, nodes, edges, goals, settings) "
                "VALUES ($1, $2, $3, 'active', $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb)",
                wid,
                TENANT,
                f"bench {n}",
                user,
                shape["nodes"],
                shape["edges"],
                shape["goals"],
                shape["settings"],
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
                    "goal-1" if status == "goal_reached" else None,
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
                split = k == SPLIT_NODE
                step_batch.append(
                    (
                        uuid.UUID(int=0xC2 << 120 | (i * steps_per_run + k)),
                        rid,
                        f"node-{k}",
                        "split" if split else "send_email",
                        "completed",
                        '{"templateId": "tpl"}',
                        f'{{"variant": "{variant(i)}"}}' if split else "{}",
                        None,
                        begin,
                        begin,
                        None,
                        1,
                        k + 1,
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
            "seq",
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
                day_from = T0 + timedelta(days=i % 30)
                await timed(
                    "stats/timeseries day, 30 days",
                    f"{base}/stats/timeseries",
                    {"from": day_from.isoformat(), "to": (day_from + timedelta(days=30)).isoformat()},
                )
                await timed(
                    "stats/timeseries hour, 7 days",
                    f"{base}/stats/timeseries",
                    {
                        "from": day_from.isoformat(),
                        "to": (day_from + timedelta(days=7)).isoformat(),
                        "interval": "hour",
                    },
                )
                await timed(
                    "stats/timeseries day, whole range",
                    f"{base}/stats/timeseries",
                    {"from": T0.isoformat(), "to": (T0 + timedelta(seconds=runs * 7 + 86400)).isoformat()},
                )
                await timed("stats/funnel", f"{base}/stats/funnel")
                await timed("stats/funnel version=1", f"{base}/stats/funnel", {"version": 1})
                await timed("stats/splits", f"{base}/stats/splits")
                await timed("insights", f"{base}/insights")
                await timed(
                    "stats/contacts waiting at node-5",
                    f"{base}/stats/contacts",
                    {"nodeId": "node-5", "state": "waiting", "limit": 50},
                )
                await timed(
                    "stats/contacts entered node-3",
                    f"{base}/stats/contacts",
                    {"nodeId": "node-3", "state": "entered", "limit": 50},
                )
                await timed(
                    "stats/contacts branch a of node-1",
                    f"{base}/stats/contacts",
                    {"nodeId": f"node-{SPLIT_NODE}", "state": "branch", "branch": "a", "limit": 50},
                )
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
    "timeseries (day buckets)": (
        "SELECT date_trunc('day', bucket, 'Europe/Paris'), sum(started), sum(completed), sum(goal_reached) "
        "FROM workflow_run_buckets WHERE workflow_id = $1 AND bucket >= $3 AND bucket < $3 + interval '30 days' "
        "GROUP BY 1"
    ),
    "funnel: nodes": (
        "SELECT node_id, sum(entered), sum(completed), sum(failed) FROM workflow_version_node_stats "
        "WHERE workflow_id = $1 GROUP BY node_id"
    ),
    "funnel: edges": (
        "SELECT source, target, branch, sum(runs) FROM workflow_edge_stats WHERE workflow_id = $1 "
        "GROUP BY source, target, branch"
    ),
    "funnel: waiting now": (
        "SELECT current_node_id, count(*) FROM workflow_runs WHERE workflow_id = $1 AND status = 'running' "
        "AND current_node_id IS NOT NULL GROUP BY current_node_id"
    ),
    "splits": (
        "SELECT node_id, variant, sum(entered), sum(converted) FROM workflow_split_stats WHERE workflow_id = $1 "
        "GROUP BY node_id, variant"
    ),
    "insights: goals": (
        "SELECT goal_id, node_id, sum(reached), max(last_reached_at) FROM workflow_goal_stats "
        "WHERE workflow_id = $1 GROUP BY goal_id, node_id"
    ),
    "who is where: waiting": (
        "SELECT * FROM workflow_runs WHERE workflow_id = $1 AND tenant_id = $2 AND status = 'running' "
        "AND current_node_id = 'node-5' ORDER BY started_at DESC, id DESC LIMIT 51"
    ),
    "who is where: a window of runs": (
        "SELECT id, started_at FROM workflow_runs WHERE workflow_id = $1 AND tenant_id = $2 "
        "ORDER BY started_at DESC, id DESC LIMIT 200"
    ),
    "who is where: the window's steps probed (branch a of node-1)": (
        "SELECT * FROM workflow_runs r WHERE r.id IN (SELECT id FROM workflow_runs WHERE workflow_id = $1 "
        "ORDER BY started_at DESC, id DESC LIMIT 200) AND EXISTS (SELECT 1 FROM workflow_run_steps s "
        "WHERE s.run_id = r.id AND s.node_id = 'node-1' AND s.output->>'variant' = 'a') "
        "ORDER BY r.started_at DESC, r.id DESC"
    ),
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
    for name in ("api.projector.reconcile", "api.projector.analytics_reconcile"):
        logging.getLogger(name).setLevel(logging.ERROR)  # every counter "drifts" after COPY
    settings = bench_settings()
    await create_database(settings)
    await asyncio.to_thread(upgrade, settings)
    if not args.skip_load:
        await load(settings, runs=args.runs, steps_per_run=args.steps_per_run)
        engine = create_engine(settings)
        started = time.perf_counter()
        print(f"stats reconcile (the 5-minute job) over the full tables: {await reconcile(engine)}", end=" ")
        print(f"in {time.perf_counter() - started:.1f} s (counters and analytics read models filled)")
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
        await engine.dispose()
    await measure(settings, requests=args.requests, runs=args.runs)
    await explain(settings, runs=args.runs)


if __name__ == "__main__":
    asyncio.run(main())
