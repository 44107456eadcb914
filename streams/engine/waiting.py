"""Resuming a waiting run through its node's handler: when its timer fires (``NodeHandler.on_timer``) and
when an event it waits for arrives (``NodeHandler.on_event``, runs whose ``wait_kind`` is ``event_wait``).

A node without ``on_timer`` resumes the plain way (``finish_wait``: record the wait, follow the edge).
Events are offered after goals, so a goal still wins over a wait, and only to runs that were active before
the event (a run started by it waits for the next one). A run started by another run (run_workflow) that
ends resumes its waiting parent through ``NodeHandler.on_run_ended`` at the end of the same step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streams.engine import event_types as et
from streams.engine.ids import action_key
from streams.engine.nodes import HANDLERS, Continue, Fail, Outcome
from streams.engine.runner import advance, begin_wait, cancel_wait_timer, emit_step, end_run, finish_wait

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["offer_event", "resume_on_timer", "resume_parents", "settle"]


def resume_on_timer(ctx: StepContext, run: Run, plan: Plan) -> None:
    """The timer the run waits on fired (not an action timeout: see ``fail_action``)."""
    node = plan.nodes.get(run.current_node_id or "")
    handler = HANDLERS.get(node.type) if node is not None else None
    if node is None or handler is None or handler.on_timer is None:
        finish_wait(ctx, run, plan)
        return
    key = action_key(run.run_id, node.id, run.visits.get(node.id, 1))
    settle(ctx, run, plan, node, handler.on_timer(ctx, run, plan, node, key), timer_fired=True)


def settle(
    ctx: StepContext, run: Run, plan: Plan, node: PlanNode, outcome: Outcome, *, timer_fired: bool
) -> None:
    """Close the node's wait with ``outcome``: record its step and move the run on (or fail it)."""
    if not timer_fired:
        cancel_wait_timer(ctx, run, node.id)
    started, scheduled = run.wait_started_at, run.wait_due_at
    run.clear_wait()
    visit = run.visits.get(node.id, 1)
    if isinstance(outcome, Continue):
        if outcome.variables:
            run.variables.update(outcome.variables)
        emit_step(
            ctx,
            run,
            node,
            visit,
            outcome.status,
            output=outcome.output,
            error=outcome.reason,
            recorded=outcome.input,
            started_at=started,
            scheduled_at=scheduled,
            plan=plan,
        )
        advance(ctx, run, plan, outcome.target)
    elif isinstance(outcome, Fail):
        emit_step(ctx, run, node, visit, "failed", error=outcome.message, started_at=started, plan=plan)
        end_run(ctx, run, "failed", error=f"node {node.id!r} ({node.type}) failed: {outcome.message}")
    elif timer_fired and outcome.due_at > ctx.now:
        # A message held by a frequency cap whose slot another workflow took meanwhile: wait again, on a
        # timer of its own (the due time in its id: a timer id is scheduled once).
        key = f"{action_key(run.run_id, node.id, visit)}@{outcome.due_at}"
        begin_wait(ctx, run, node, visit, key, outcome, plan=plan)
    else:  # otherwise a resumed node never waits again: a handler bug, not a contact's data
        emit_step(
            ctx, run, node, visit, "failed", error="the node waited again", started_at=started, plan=plan
        )
        end_run(ctx, run, "failed", error=f"node {node.id!r} ({node.type}) waited again after resuming")


def offer_event(ctx: StepContext) -> None:
    """Offer the event to every run that waits for an event; a matching one resumes."""
    if ctx.event.type in et.INTERNAL_EVENT_TYPES or ctx.event.type.startswith("workflow."):
        return
    before = ctx.state.runs
    for run_id, run in list(ctx.runs.items()):
        if run.wait_kind != et.TIMER_EVENT_WAIT or run_id not in before:
            continue
        plan = ctx.definitions.plan(run.workflow_id, run.version)
        node = plan.nodes.get(run.current_node_id or "") if plan is not None else None
        handler = HANDLERS.get(node.type) if node is not None else None
        if plan is None or node is None or handler is None or handler.on_event is None:
            continue  # a missing version fails the run when its timeout fires
        outcome = handler.on_event(ctx, run, plan, node)
        if outcome is not None:
            settle(ctx, ctx.touch(run_id), plan, node, outcome, timer_fired=False)


def resume_parents(ctx: StepContext) -> None:
    """Resume the parents of the sub-workflow runs that ended in this step (a resumed parent may end and
    resume its own parent: the queue grows while it is drained, at most the depth cap per chain)."""
    queue = ctx.ended_children
    while queue:
        child = queue.pop(0)
        link = child.trigger.get("parent")
        parent_id = link.get("runId") if isinstance(link, dict) else None
        current = ctx.runs.get(parent_id) if isinstance(parent_id, str) else None
        if current is None or current.wait_action_key != child.run_id:
            continue  # the parent did not wait (wait: false), moved on, or ended
        plan = ctx.definitions.plan(current.workflow_id, current.version)
        node = plan.nodes.get(current.current_node_id or "") if plan is not None else None
        handler = HANDLERS.get(node.type) if node is not None else None
        if plan is None or node is None or handler is None or handler.on_run_ended is None:
            continue  # a missing version fails the parent when its timer fires
        outcome = handler.on_run_ended(ctx, current, plan, node, child)
        if outcome is not None:
            settle(ctx, ctx.touch(current.run_id), plan, node, outcome, timer_fired=False)
