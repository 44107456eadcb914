"""Workflow authoring rules: validation, the status machine, versions, and what gets published.

Status machine (anything else is a 409)::

    draft --activate--> active --pause--> paused --activate--> active
    draft --delete--> archived      paused --delete--> archived
    active --delete?cancelRuns=true--> archived   (its running runs are cancelled; without it: 409)

An archived workflow is gone for authoring (404), but its runs, run detail and stats stay readable.

Every change of the definition (trigger, nodes, edges, goals, settings) creates a new immutable version;
runs in flight keep the version they started on. Versions of a workflow that has been activated are
published to ``workflows.definitions`` when created; a draft's current version is published on activation.
The active pointer is published on every status change and when an active workflow gets a new version.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.db.models import Workflow, WorkflowRunCounters, WorkflowVersion
from api.errors import ConflictError, NotFoundError, UnprocessableError
from api.hooks.tokens import issue_token
from api.kit.cursor import decode_cursor, encode_cursor
from api.outbox import records
from api.runs import bulk
from api.workflow import cycles, repository
from api.workflow.schemas import WorkflowCreate, WorkflowUpdate
from streams.engine import DefinitionError, Problem, compile_definition, validate
from workflows.settings import Settings
from workflows.subjects import subscribed_event_types

CONTENT_FIELDS: Final = ("trigger", "nodes", "edges", "goals", "settings")
_TRANSITIONS: Final = {
    "activate": ({"draft", "paused"}, "active"),
    "pause": ({"active"}, "paused"),
    "delete": ({"draft", "paused"}, "archived"),
}
_USER_NAMESPACE: Final = uuid.UUID("9a4e1f60-3b2c-5d7e-8f90-a1b2c3d4e5f6")


def user_uuid(principal: Principal) -> uuid.UUID:
    """createdBy is a UUID column; a ``sub`` that is not a UUID maps to a stable uuid5 of itself."""
    try:
        return uuid.UUID(principal.user_id)
    except ValueError:
        return uuid.uuid5(_USER_NAMESPACE, principal.user_id)


def subscribed_types(settings: Settings) -> list[str]:
    """The event types (or subject patterns) the bridge delivers: a trigger on another type is a warning."""
    return subscribed_event_types(settings)


def blocking(problems: list[Problem]) -> list[Problem]:
    """The problems that refuse a definition: warnings never block create, update or activate."""
    return [p for p in problems if p.severity == "error"]


def problems_of(
    definition: dict[str, Any], *, tenant_id: str, subscribed: Collection[str] | None = None
) -> list[Problem]:
    """Every problem the engine finds, including those only compiling reveals (types of known fields).
    With ``subscribed``, also a warning for a trigger or goal on a type no subscribed subject delivers."""
    problems = validate(definition, subscribed_types=subscribed)
    if blocking(problems):
        return problems
    try:
        compile_definition({**definition, "id": "validation", "tenantId": tenant_id})
    except DefinitionError as exc:
        return [*exc.problems, *(p for p in problems if p not in exc.problems)]
    return problems


def check_definition(definition: dict[str, Any], *, tenant_id: str) -> None:
    errors = blocking(problems_of(definition, tenant_id=tenant_id))
    if errors:
        raise UnprocessableError(
            f"the workflow definition has {len(errors)} problem(s)",
            details=[p.to_dict() for p in errors],
        )


async def get(session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID) -> Workflow:
    """A workflow whose runs and stats can be read: archived ones included."""
    workflow = await repository.get(
        session, tenant_id=principal.tenant_id, workflow_id=workflow_id, archived=True
    )
    if workflow is None:
        raise NotFoundError(f"workflow {workflow_id} not found")
    return workflow


async def get_live(session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID) -> Workflow:
    """A workflow that is not archived (GET /workflows/{id}: a deleted workflow is gone)."""
    workflow = await repository.get(session, tenant_id=principal.tenant_id, workflow_id=workflow_id)
    if workflow is None:
        raise NotFoundError(f"workflow {workflow_id} not found")
    return workflow


async def _locked(session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID) -> Workflow:
    workflow = await repository.get(
        session, tenant_id=principal.tenant_id, workflow_id=workflow_id, for_update=True
    )
    if workflow is None:
        raise NotFoundError(f"workflow {workflow_id} not found")
    return workflow


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal,
    status: str | None,
    trigger_type: str | None,
    search: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Workflow], str | None]:
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.page(
        session,
        tenant_id=principal.tenant_id,
        status=status,
        trigger_type=trigger_type,
        search=search,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return rows, next_cursor


async def summaries(session: AsyncSession, rows: list[Workflow]) -> list[dict[str, Any]]:
    """List rows with their run counts, in the stats' meaning (completed includes goal-reached runs)."""
    counters = await repository.run_counters(session, workflow_ids=[r.id for r in rows])
    return [summary(row, counters.get(row.id)) for row in rows]


def summary(workflow: Workflow, counters: WorkflowRunCounters | None) -> dict[str, Any]:
    total = running = goal = completed = 0
    if counters is not None:
        total, running, goal = counters.total, counters.running, counters.goal_reached
        completed = counters.completed + goal
    trigger_type = workflow.trigger.get("type") if isinstance(workflow.trigger, dict) else None
    return {
        "id": workflow.id,
        "name": workflow.name,
        "description": workflow.description,
        "status": workflow.status,
        "version": workflow.version,
        "trigger": workflow.trigger,
        "trigger_type": trigger_type if isinstance(trigger_type, str) else "",
        "total_runs": total,
        "running_runs": running,
        "completed_runs": completed,
        "goal_reached_runs": goal,
        "conversion_rate": round(goal * 100 / completed, 2) if completed else 0.0,
        "created_by": workflow.created_by,
        "created_at": workflow.created_at,
        "updated_at": workflow.updated_at,
    }


def _ensure_token(workflow: Workflow, trigger: dict[str, Any]) -> None:
    """A webhook-triggered workflow gets a token the first time it needs one (this answer shows it once)."""
    if trigger.get("type") == "webhook" and workflow.webhook_token_hash is None:
        issue_token(workflow)


async def create(
    session: AsyncSession, *, principal: Principal, body: WorkflowCreate, changelog: str = "created"
) -> Workflow:
    content = {f: getattr(body, f) for f in CONTENT_FIELDS}
    check_definition({"name": body.name, **content}, tenant_id=principal.tenant_id)
    user = user_uuid(principal)
    workflow = Workflow(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        name=body.name,
        description=body.description,
        status="draft",
        version=1,
        stats={},
        created_by=user,
        **content,
    )
    first = WorkflowVersion(
        id=uuid.uuid4(),
        workflow_id=workflow.id,
        version=1,
        changelog=changelog,
        created_by=user,
        author=principal.user_id[:200],
        **content,
    )
    _ensure_token(workflow, body.trigger)
    repository.add(session, workflow)
    await repository.flush(session)  # the version's FK needs the workflow row first
    repository.add(session, first)
    await repository.flush(session)
    return workflow


async def _new_version(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    workflow: Workflow,
    content: dict[str, Any],
    changelog: str | None,
) -> WorkflowVersion:
    number = await repository.latest_version_number(session, workflow_id=workflow.id) + 1
    row = WorkflowVersion(
        id=uuid.uuid4(),
        workflow_id=workflow.id,
        version=number,
        changelog=changelog,
        created_by=user_uuid(principal),
        author=principal.user_id[:200],
        **content,
    )
    for field, value in content.items():
        setattr(workflow, field, value)
    workflow.version = number
    _ensure_token(workflow, content["trigger"])
    repository.add(session, row)
    await repository.flush(session)
    if workflow.status != "draft":
        records.publish_version(session, settings, workflow=workflow, version=row)
        records.publish_pointer(session, settings, workflow=workflow)
    return row


async def update(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    body: WorkflowUpdate,
) -> Workflow:
    workflow = await _locked(session, principal=principal, workflow_id=workflow_id)
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", *CONTENT_FIELDS):
        if field in changes and changes[field] is None:
            raise UnprocessableError(
                f"{field} cannot be null", details=[{"path": f"$.{field}", "code": "invalid_type"}]
            )
    if "name" in changes:
        workflow.name = changes["name"]
    if "description" in changes:
        workflow.description = changes["description"]
    content = {f: changes.get(f, getattr(workflow, f)) for f in CONTENT_FIELDS}
    if any(f in changes and changes[f] != getattr(workflow, f) for f in CONTENT_FIELDS):
        check_definition({"name": workflow.name, **content}, tenant_id=principal.tenant_id)
        if workflow.status == "active":  # the new version is active at once: an activation too
            await cycles.refuse_subworkflow_cycle(session, workflow=workflow, nodes=content["nodes"])
        await _new_version(
            session,
            settings,
            principal=principal,
            workflow=workflow,
            content=content,
            changelog=changes.get("changelog"),
        )
    workflow.updated_at = datetime.now(UTC)
    await repository.flush(session)
    return workflow


async def transition(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    action: str,
    cancel_runs: bool = False,
) -> Workflow:
    """``cancel_runs`` (delete only): archive an active workflow too, and cancel its running runs."""
    workflow = await _locked(session, principal=principal, workflow_id=workflow_id)
    allowed, target = _TRANSITIONS[action]
    if action == "delete" and cancel_runs:
        allowed = {*allowed, "active"}
    if workflow.status not in allowed:
        hint = " (pause it first, or pass cancelRuns=true)" if action == "delete" else ""
        raise ConflictError(
            f"cannot {action} a workflow that is {workflow.status}{hint}",
            code="invalid_status_transition",
            details={"status": workflow.status, "action": action, "allowedFrom": sorted(allowed)},
        )
    if target == "active":
        await cycles.refuse_subworkflow_cycle(session, workflow=workflow, nodes=workflow.nodes)
    first_activation = workflow.status == "draft" and target == "active"
    workflow.status = target
    now = datetime.now(UTC)
    workflow.updated_at = now
    if target == "archived":
        workflow.deleted_at = now
        workflow.webhook_token_hash = None
        if cancel_runs:
            await bulk.cancel_running(
                session,
                settings,
                tenant_id=principal.tenant_id,
                workflow_id=workflow.id,
                only=bulk.RunFilter(),
                reason="workflow archived",
            )
    if first_activation:
        current = await repository.version(session, workflow_id=workflow.id, number=workflow.version)
        if current is None:
            raise ConflictError("the workflow's current version is missing; revert to an existing version")
        records.publish_version(session, settings, workflow=workflow, version=current)
    records.publish_pointer(session, settings, workflow=workflow)
    await repository.flush(session)
    return workflow


async def versions(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID
) -> list[WorkflowVersion]:
    workflow = await get_live(session, principal=principal, workflow_id=workflow_id)
    return await repository.versions(session, workflow_id=workflow.id)


async def revert(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    number: int,
) -> Workflow:
    workflow = await _locked(session, principal=principal, workflow_id=workflow_id)
    old = await repository.version(session, workflow_id=workflow.id, number=number)
    if old is None:
        raise NotFoundError(f"workflow {workflow_id} has no version {number}")
    content = {f: getattr(old, f) for f in CONTENT_FIELDS}
    await _new_version(
        session,
        settings,
        principal=principal,
        workflow=workflow,
        content=content,
        changelog=f"reverted to version {number}",
    )
    workflow.updated_at = datetime.now(UTC)
    await repository.flush(session)
    return workflow


async def duplicate(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID, name: str | None
) -> Workflow:
    """A new draft (version 1) with a workflow's current definition; its runs and versions stay behind."""
    source = await get_live(session, principal=principal, workflow_id=workflow_id)
    copy_name = name or f"Copy of {source.name}"[:255]
    body = WorkflowCreate(
        name=copy_name,
        description=source.description,
        **{f: getattr(source, f) for f in CONTENT_FIELDS},
    )
    return await create(session, principal=principal, body=body, changelog=f"duplicated from {source.id}")
