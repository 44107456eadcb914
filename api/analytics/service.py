"""The analytics reads: every figure comes from the projector's read models, for one version or across
versions (node ids are stable across versions). Archived workflows stay readable, like their runs."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import repository
from api.analytics.buckets import Interval, TooManyBucketsError, bucket_end, bucket_starts
from api.analytics.funnel import Definition
from api.analytics.funnel import funnel as build_funnel
from api.analytics.insights import QUIET_DAYS, Figures
from api.analytics.insights import insights as build_insights
from api.analytics.splits import split_results
from api.auth import Principal
from api.db.models import Workflow
from api.errors import NotFoundError, UnprocessableError
from api.kit.cursor import decode_cursor, encode_cursor
from api.projector.analytics_plan import zone as known_zone
from api.projector.analytics_repository import BUCKET_COLUMNS
from api.workflow import repository as workflows_repository
from api.workflow import service as workflows

WINDOW = 20  # the least runs read in a who-is-where page's first window; each next window is 4 times larger
MAX_WINDOW = 5000
SCAN_BUDGET = 20_000  # runs one who-is-where request reads at most


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def zone_name(workflow: Workflow) -> str:
    name = (workflow.settings or {}).get("timezone")
    return name if isinstance(name, str) and known_zone(name) is not None else "UTC"


async def _definition(session: AsyncSession, workflow: Workflow, version: int | None) -> Definition:
    if version is None or version == workflow.version:
        return Definition(list(workflow.nodes or []), list(workflow.edges or []), list(workflow.goals or []))
    row = await workflows_repository.version(session, workflow_id=workflow.id, number=version)
    if row is None:
        raise NotFoundError(f"version {version} of workflow {workflow.id} not found")
    return Definition(list(row.nodes or []), list(row.edges or []), list(row.goals or []))


async def timeseries(
    session: AsyncSession,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    start: datetime,
    end: datetime,
    interval: Interval,
    version: int | None,
) -> dict[str, Any]:
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise UnprocessableError("`to` must be after `from`", details=[{"path": "$.to", "code": "range"}])
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    name = zone_name(workflow)
    tz = ZoneInfo(name)
    try:
        starts = bucket_starts(start, end, interval, tz)
    except TooManyBucketsError as exc:
        raise UnprocessableError(str(exc), details=[{"path": "$.from", "code": "too_many_buckets"}]) from None
    counts = await repository.buckets(
        session,
        workflow_id=workflow.id,
        version=version,
        start=starts[0],
        end=bucket_end(starts[-1], interval, tz),
        interval=interval,
        zone=name,
    )
    by_instant = {at.astimezone(UTC): figures for at, figures in counts.items()}
    zero = dict.fromkeys(BUCKET_COLUMNS, 0)
    buckets = [{"start": s, **by_instant.get(s.astimezone(UTC), zero)} for s in starts]
    return {"interval": interval, "time_zone": name, "buckets": buckets}


async def funnel(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID, version: int | None
) -> dict[str, Any]:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    definition = await _definition(session, workflow, version)
    built = build_funnel(
        definition,
        nodes=await repository.node_figures(session, workflow_id=workflow.id, version=version),
        edges=await repository.edge_figures(session, workflow_id=workflow.id, version=version),
        waiting=await repository.waiting(session, workflow_id=workflow.id, version=version),
        started=await repository.started_since(session, workflow_id=workflow.id, version=version, since=None),
    )
    return {"version": version, **built}


async def splits(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID, version: int | None
) -> list[dict[str, Any]]:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    definition = await _definition(session, workflow, version)
    figures = await repository.split_figures(session, workflow_id=workflow.id, version=version)
    return split_results(definition, figures)


async def insights(
    session: AsyncSession,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    version: int | None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    definition = await _definition(session, workflow, version)
    now = now or datetime.now(UTC)
    nodes = await repository.node_figures(session, workflow_id=workflow.id, version=version)
    figures = Figures(
        nodes=nodes,
        edges=await repository.edge_figures(session, workflow_id=workflow.id, version=version),
        splits=split_results(
            definition, await repository.split_figures(session, workflow_id=workflow.id, version=version)
        ),
        goals=await repository.goal_figures(session, workflow_id=workflow.id, version=version),
        started_recently=await repository.started_since(
            session, workflow_id=workflow.id, version=version, since=now - timedelta(days=QUIET_DAYS)
        ),
    )
    found = build_insights(definition, figures, now=now)
    failing = [i["node_id"] for i in found if i["kind"] == "node_failure_rate"]
    if not failing:
        return found
    # The most frequent error is read only for the nodes that fail often (a bounded read each).
    errors = {
        node_id: await repository.top_error(
            session, workflow_id=workflow.id, version=version, node_id=node_id
        )
        for node_id in failing
    }
    return build_insights(definition, replace(figures, top_errors=errors), now=now)


async def contacts_at(
    session: AsyncSession,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    node_id: str,
    state: str,
    branch: str | None,
    version: int | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    if state == "branch" and branch is None:
        raise UnprocessableError(
            "state=branch needs `branch`: the branch id whose runs to list",
            details=[{"path": "$.branch", "code": "missing_required"}],
        )
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    after = decode_cursor(cursor) if cursor else None
    if state == "waiting":
        rows = await repository.waiting_page(
            session,
            tenant_id=principal.tenant_id,
            workflow_id=workflow.id,
            node_id=node_id,
            version=version,
            after=after,
            limit=limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].started_at, rows[-1].id) if more else None
    return await _visits_page(
        session,
        tenant_id=principal.tenant_id,
        workflow_id=workflow.id,
        node_id=node_id,
        state=state,
        branch=branch,
        version=version,
        after=after,
        limit=limit,
    )


async def _visits_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    node_id: str,
    state: str,
    branch: str | None,
    version: int | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """Runs are read newest first in growing windows whose steps are probed, until the page is full or the
    scan budget is spent. A page cut short by the budget still has a cursor (where the scan stopped): the
    next call goes on from there, so every request stays bounded whatever share of runs matches."""
    found: list[Any] = []
    # The first window is the page (enough when most runs match); later ones grow for rarer matches.
    size, scanned = max(limit + 1, WINDOW), 0
    while True:
        window = await repository.run_window(
            session,
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            state=state,
            version=version,
            after=after,
            size=size,
        )
        if window:
            found += await repository.visited(
                session, run_ids=[w[0] for w in window], node_id=node_id, state=state, branch=branch
            )
        scanned += len(window)
        if len(found) > limit:
            last = found[limit - 1]
            return found[:limit], encode_cursor(last.started_at, last.id)
        if len(window) < size:
            return found, None  # the runs are exhausted
        after = (window[-1][1], window[-1][0])
        if scanned >= SCAN_BUDGET:
            return found, encode_cursor(*after)
        size = min(size * 4, MAX_WINDOW)
