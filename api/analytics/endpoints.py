"""HTTP routes of workflow analytics under /api/v1/workflows/{id}: time series, funnel, splits, insights
and who is where."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.analytics import service
from api.analytics.buckets import MAX_BUCKETS
from api.analytics.schemas import (
    ContactAtNodeOut,
    ContactState,
    FunnelOut,
    InsightOut,
    Interval,
    SplitOut,
    TimeSeriesOut,
)
from api.auth import CurrentPrincipal
from api.db.session import DbSession
from api.kit.cursor import Cursor
from api.kit.schemas import Envelope, Page, Timestamp, error_responses
from api.kit.text import CONTACT_ID_PATTERN

router = APIRouter(prefix="/api/v1/workflows", tags=["analytics"])
_ERRORS = error_responses(400, 401, 404, 422)
Version = Annotated[
    int | None,
    Query(
        ge=1,
        le=2_147_483_647,
        description="only this version's figures; absent: across versions (node ids are stable across them)",
    ),
]
# Node and branch ids: printable text as the definition's identifiers are.
NodeId = Annotated[str, Query(alias="nodeId", min_length=1, max_length=100, pattern=CONTACT_ID_PATTERN)]


@router.get(
    "/{workflow_id:uuid}/stats/timeseries",
    summary="Runs started and ended per hour or per day, in the workflow's time zone",
    description=(
        "Buckets start at local hour or local day boundaries of the workflow's `settings.timezone` (UTC when "
        "it has none), DST included: a day is a local calendar day (23 or 25 hours on a change). Every "
        "bucket that overlaps [from, to) is listed, zeros included. `started` counts runs by their start; "
        "the other figures count runs by when they ended, with that end status. "
        f"At most {MAX_BUCKETS} buckets."
    ),
    responses=_ERRORS,
)
async def timeseries(
    workflow_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    start: Annotated[Timestamp, Query(alias="from", description="range start (RFC 3339 with offset)")],
    end: Annotated[Timestamp, Query(alias="to", description="range end, after `from` (exclusive)")],
    interval: Annotated[Interval, Query(description="bucket size")] = "day",
    version: Version = None,
) -> Envelope[TimeSeriesOut]:
    data = await service.timeseries(
        session,
        principal=principal,
        workflow_id=workflow_id,
        start=start,
        end=end,
        interval=interval,
        version=version,
    )
    return Envelope(data=TimeSeriesOut.model_validate(data))


@router.get(
    "/{workflow_id:uuid}/stats/funnel",
    summary="Per-node funnel and edge traffic",
    description=(
        "For each node of the definition (of `version` when given), in its order: visits (a run that visits "
        "a node twice counts twice), their outcomes, the running runs waiting there now and the visits that "
        "went no further. Edges carry the times runs went along them, with the branch taken."
    ),
    responses=_ERRORS,
)
async def funnel(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, version: Version = None
) -> Envelope[FunnelOut]:
    data = await service.funnel(session, principal=principal, workflow_id=workflow_id, version=version)
    return Envelope(data=FunnelOut.model_validate(data))


@router.get(
    "/{workflow_id:uuid}/stats/splits",
    summary="Split test results with 95% intervals and significance",
    description=(
        "Per split node and variant: runs sent down the variant and those that ended by reaching a goal, the "
        "conversion rate with its 95% Wilson score interval, and a two-sided two-proportion z-test of the "
        "best variant against the baseline (the first variant). A winner is named only when p < 0.05 and "
        "both compared variants have at least `minSample` runs."
    ),
    responses=_ERRORS,
)
async def splits(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, version: Version = None
) -> Envelope[list[SplitOut]]:
    rows = await service.splits(session, principal=principal, workflow_id=workflow_id, version=version)
    return Envelope(data=[SplitOut.model_validate(r) for r in rows])


@router.get(
    "/{workflow_id:uuid}/insights",
    summary="Suggestions with their evidence",
    description=(
        "Computed from the read models: a split with a significant winner; a node that fails in at least "
        "10% of at least 20 visits (with its most frequent error); a goal reached by at least 80% of the "
        "runs at a node, so the nodes after it rarely run; a message node sending at least 10% of at least "
        "20 messages between 22:00 and 06:00 in the contact's zone; a goal no run reached in 30 days while "
        "at least 20 runs started; a branch no run took while its node was entered at least 20 times."
    ),
    responses=_ERRORS,
)
async def insights(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, version: Version = None
) -> Envelope[list[InsightOut]]:
    rows = await service.insights(session, principal=principal, workflow_id=workflow_id, version=version)
    return Envelope(data=[InsightOut.model_validate(r) for r in rows])


@router.get(
    "/{workflow_id:uuid}/stats/contacts",
    summary="Who is where: the runs waiting at, entering, failing at or branching from a node",
    description=(
        "Newest first, in keyset pages. `waiting`: running runs whose current node it is; `entered`: runs "
        "that visited the node; `failed`: runs that failed there; `branch`: runs that took `branch` there "
        "(required with it). Cancel the waiting ones with POST /runs/cancel and `currentNodeId`."
    ),
    responses=_ERRORS,
)
async def contacts_at_node(
    workflow_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    node_id: NodeId,
    state: ContactState = "waiting",
    branch: Annotated[
        str | None,
        Query(min_length=1, max_length=100, pattern=CONTACT_ID_PATTERN, description="state=branch"),
    ] = None,
    version: Version = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Envelope[Page[ContactAtNodeOut]]:
    rows, next_cursor = await service.contacts_at(
        session,
        principal=principal,
        workflow_id=workflow_id,
        node_id=node_id,
        state=state,
        branch=branch,
        version=version,
        cursor=cursor,
        limit=limit,
    )
    items = [
        ContactAtNodeOut(
            run_id=r.id,
            contact_id=r.contact_id,
            status=r.status,
            current_node_id=r.current_node_id,
            version=r.workflow_version,
            started_at=r.started_at,
        )
        for r in rows
    ]
    return Envelope(data=Page(items=items, next_cursor=next_cursor))
