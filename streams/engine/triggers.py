"""Trigger matching: which active workflows start a run for this event, honouring re-entry settings.

* ``event``: the event type equals ``trigger.event``; ``segment_entry`` / ``segment_exit``: a
  ``segment.member.added`` / ``removed`` event for ``trigger.segmentId``. Conditions see the profile after
  the event's changes were applied, and the event as ``event.*``.
* ``webhook``: ``workflow.trigger.webhook`` addressed by ``data.workflowId`` (the API checked the token).
* ``schedule``: ``workflow.schedule.tick`` addressed by ``data.workflowId``; the contact must be in the
  audience segment; one run per tick (the run id derives from the tick event id).
* ``workflow.trigger.replay`` (backfill): the embedded original event is offered to one workflow only; its
  conditions see the contact's current profile and the original event; the run id is the one the original
  event would have derived, so a run that exists is not started again. See ``step``.
* ``manual``: ``workflow.trigger.manual`` addressed by ``data.workflowId`` starts any active workflow of
  the tenant, whatever its trigger type, without trigger conditions (an operator chose the contact).

Re-entry caps: a contact has at most ``settings.maxActiveRunsPerContact`` active runs of one workflow
(default 10) and ``MAX_ACTIVE_RUNS`` in all. An enrolment past a cap is not started: it emits
``EnrolmentSkipped`` (``workflow.run.enrolment_skipped``) instead, and no run exists for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.effects import EnrolmentSkipped
from streams.engine.ids import run_event_key, run_id_for
from streams.engine.limits import MAX_ACTIVE_RUNS
from streams.engine.runner import start_run
from streams.engine.state import Run

if TYPE_CHECKING:
    from streams.engine.conditions import Scope
    from streams.engine.context import StepContext
    from streams.engine.model import Plan

__all__ = ["start_triggered_runs"]


def _targeted_plan(ctx: StepContext) -> Plan | None:
    event = ctx.event
    workflow_id = event.data.get("workflowId")
    if not isinstance(workflow_id, str):
        return None
    definition = ctx.definitions.active(workflow_id)
    if definition is None:
        return None
    plan = definition.plan
    if plan.tenant_id != event.tenant_id:
        return None  # never start another tenant's workflow
    if event.type == et.TRIGGER_MANUAL:
        return plan
    if event.type == et.TRIGGER_WEBHOOK:
        return (
            plan if plan.trigger_type == "webhook" and plan.trigger_predicate(ctx.event_scope(None)) else None
        )
    # schedule tick
    version = event.data.get("version")
    if plan.trigger_type != "schedule" or (isinstance(version, int) and version != plan.version):
        return None  # a tick computed for another version is stale
    trigger = plan.trigger_data
    audience = trigger.get("audience")
    segment = audience.get("segmentId") if isinstance(audience, dict) else trigger.get("segmentId")
    segments = ctx.profile.get("segments")
    if not isinstance(segments, list) or segment not in segments:
        return None
    return plan if plan.trigger_predicate(ctx.event_scope(None)) else None


_SEGMENT_TRIGGERS: Final = frozenset({"segment_entry", "segment_exit"})


def _matches(ctx: StepContext, plan: Plan, scope: Scope) -> bool:
    if plan.trigger_type in _SEGMENT_TRIGGERS and ctx.event.data.get("segmentId") != plan.trigger_data.get(
        "segmentId"
    ):
        return False
    return plan.trigger_predicate(scope)


def _may_enter(ctx: StepContext, plan: Plan) -> bool:
    mode = plan.re_entry
    if mode == "always":
        return True
    workflow_id = plan.workflow_id
    if any(r.workflow_id == workflow_id for r in ctx.runs.values()):
        return False
    return not (mode == "once" and workflow_id in ctx.finished)


def _trigger_summary(ctx: StepContext) -> dict[str, Any]:
    event = ctx.event
    # The profile is already in the state; keep only the rest of the payload for event.* in node conditions.
    data = (
        {k: v for k, v in event.data.items() if k != "contact"}
        if "contact" in event.data
        else dict(event.data)
    )
    return {"id": event.id, "type": event.type, "occurredAt": event.occurred_at, "data": data}


def start_triggered_runs(
    ctx: StepContext, *, only_workflow: str | None = None, replayed: bool = False
) -> None:
    event = ctx.event
    if event.type in et.TARGETED_TRIGGER_TYPES:
        targeted = _targeted_plan(ctx)
        plans: list[Plan] = [targeted] if targeted is not None else []
    else:
        matcher = ctx.definitions.matcher(event.tenant_id, event.type)
        if matcher.empty:
            return  # most events (opens, timers, results) start nothing: skip building a scope
        scope = ctx.event_scope(None)  # one scope for every trigger: conditions only read it
        # All matches first: a run started here may change the profile the other triggers must not see.
        # Event triggers (most candidates, and all of a large scan) test only their predicate.
        plans = [
            p
            for p in matcher.candidates(scope)
            if (only_workflow is None or p.workflow_id == only_workflow)
            and (p.trigger_predicate(scope) if p.trigger_type == "event" else _matches(ctx, p, scope))
        ]
        if not plans:
            return
    summary: dict[str, Any] | None = None
    for plan in plans:
        if not _may_enter(ctx, plan):
            continue
        run_id = run_id_for(event.tenant_id, plan.workflow_id, event.contact_id, event.id)
        finished = ctx.finished.get(plan.workflow_id)
        if run_id in ctx.runs or (finished is not None and finished.run_id == run_id):
            continue  # this event already started this run (its id fell out of the dedupe window)
        skipped = _over_cap(ctx, plan)
        if skipped is not None:
            reason, limit, active = skipped
            ctx.emit(
                EnrolmentSkipped(
                    ctx.tenant_id,
                    ctx.contact_id,
                    run_id,
                    None,
                    run_event_key(run_id, et.RUN_ENROLMENT_SKIPPED),
                    plan.workflow_id,
                    plan.version,
                    reason,
                    limit,
                    active,
                    ctx.now,
                    {"id": event.id, "type": event.type},
                )
            )
            continue
        if summary is None:
            summary = _trigger_summary(ctx)
            if replayed:
                summary["replayed"] = True
        start_run(ctx, Run(run_id, plan.workflow_id, plan.version, ctx.now, summary), plan)


def _over_cap(ctx: StepContext, plan: Plan) -> tuple[str, int, int] | None:
    """(reason, limit, active runs) when a re-entry cap refuses a new run of ``plan``, else None."""
    total = len(ctx.runs)
    if total >= MAX_ACTIVE_RUNS:
        return "contact_active_runs_limit", MAX_ACTIVE_RUNS, total
    limit = plan.max_active_runs
    if total < limit:
        return None  # cheap common case: fewer runs in all than this workflow may have
    workflow_id = plan.workflow_id
    own = sum(1 for r in ctx.runs.values() if r.workflow_id == workflow_id)
    return ("workflow_active_runs_limit", limit, own) if own >= limit else None
