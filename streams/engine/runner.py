"""Moving a run: start it, execute nodes until it waits or ends, resume it, end it.

Every executed node yields a ``workflow.node.executed`` step record; waiting nodes yield a ``pending``
(delay, wait_until) or ``running`` (webhook, slack) record first and a ``completed``/``failed`` one when
resumed. Run lifecycle events carry the run fields the projector stores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streams.engine import event_types as et
from streams.engine.effects import CancelTimer, EmitRunEvent, ScheduleTimer
from streams.engine.ids import action_key, run_event_key, step_key, timer_id_for
from streams.engine.nodes import HANDLERS, Continue, Wait
from streams.engine.readview import context_and_trigger
from streams.engine.redact import redact_data
from streams.engine.state import Run

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode

__all__ = [
    "advance",
    "begin_wait",
    "cancel_wait_timer",
    "emit_step",
    "end_run",
    "fail_action",
    "finish_wait",
    "start_run",
]

_TERMINAL_EVENTS = {
    "completed": et.RUN_COMPLETED,
    "failed": et.RUN_FAILED,
    "goal_reached": et.RUN_GOAL_REACHED,
    "cancelled": et.RUN_CANCELLED,
    "exited": et.RUN_EXITED,
}


def run_fields(run: Run, plan: Plan | None, memo: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every run event carries. ``plan`` is the run's version (None when it is gone: the trigger type
    and goal name are then unknown). ``workflowVersion`` and ``goalReachedId`` are the projector's names;
    ``version``, ``triggerType``, ``goalId`` and ``goalName`` are the platform's. ``memo`` (one step's)
    reuses the redacted context and trigger data while the run's variables have not changed: a step
    records several nodes of one run, and redacting them again for each record was a third of its cost."""
    trigger = run.trigger
    trigger_event: dict[str, Any] = {
        "id": trigger.get("id"),
        "type": trigger.get("type"),
        "occurredAt": trigger.get("occurredAt"),
    }
    if trigger.get("replayed"):
        trigger_event["replayed"] = True  # enrolled by a backfill, not live
    fields: dict[str, Any] = {
        "workflowId": run.workflow_id,
        "workflowVersion": run.version,
        "version": run.version,
        "runId": run.run_id,
        "triggerType": plan.trigger_type if plan is not None else None,
        "status": run.status,
        "currentNodeId": run.current_node_id,
        "goalReachedId": run.goal_reached_id,
        "errorMessage": run.error_message,
        "triggerEvent": trigger_event,
        "startedAt": run.started_at,
        "completedAt": run.completed_at,
    }
    goal_id = run.goal_reached_id
    if goal_id is not None:
        fields["goalId"] = goal_id
        fields["goalName"] = _goal_name(plan, goal_id)
    # For the run read model only (the bridge publishes neither): see streams.engine.readview.
    fields["context"], fields["triggerData"] = context_and_trigger(run, memo)
    return fields


def _goal_name(plan: Plan | None, goal_id: str) -> str | None:
    if plan is not None:
        for goal in plan.goals:
            if goal.id == goal_id:
                return goal.name
    return None


def _configured_input(node: PlanNode) -> dict[str, Any]:
    return node.record_input if node.record_input is not None else redact_data(node.data)


def _plan_of(ctx: StepContext, run: Run) -> Plan | None:
    return ctx.definitions.plan(run.workflow_id, run.version)


def emit_step(
    ctx: StepContext,
    run: Run,
    node: PlanNode,
    visit: int,
    status: str,
    *,
    output: dict[str, Any] | None = None,
    error: str | None = None,
    started_at: int | None = None,
    scheduled_at: int | None = None,
    recorded: dict[str, Any] | None = None,
) -> None:
    key = action_key(run.run_id, node.id, visit)
    done = status in ("completed", "failed", "skipped")
    record = {
        "nodeId": node.id,
        "nodeType": node.type,
        "visit": visit,
        # Position in the run's path (node visits so far): steps of one event share a timestamp, so
        # readers order by this. A run never branches in parallel, so a node's records share one seq.
        "seq": sum(run.visits.values()),
        "status": status,
        # Redacted: the record is published, stored and served; the executor got the real values. A node
        # that rendered what it sent (a message) records that instead of its configuration.
        "input": recorded if recorded is not None else _configured_input(node),
        "output": output if output is not None else {},
        "errorMessage": error,
        "startedAt": started_at if started_at is not None else ctx.now,
        "completedAt": ctx.now if done else None,
        "scheduledAt": scheduled_at,
    }
    ctx.emit(
        EmitRunEvent(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            step_key(key, status),
            et.NODE_EXECUTED,
            ctx.now,
            run_fields(run, _plan_of(ctx, run), ctx.memo),
            record,
        )
    )


def cancel_wait_timer(ctx: StepContext, run: Run, node_id: str | None) -> None:
    """Cancel the timer the run waits on, if any (the pump deletes the key; a late firing is a no-op)."""
    if run.wait_timer_id is None or run.wait_due_at is None:
        return
    ctx.emit(
        CancelTimer(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node_id,
            f"{run.wait_timer_id}:cancel",
            run.wait_timer_id,
            run.wait_due_at,
        )
    )


def start_run(ctx: StepContext, run: Run, plan: Plan) -> None:
    """Record a new run and execute it."""
    ctx.add_run(run)
    ctx.emit(
        EmitRunEvent(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            None,
            run_event_key(run.run_id, et.RUN_STARTED),
            et.RUN_STARTED,
            ctx.now,
            run_fields(run, plan, ctx.memo),
            None,
        )
    )
    advance(ctx, run, plan, plan.start)


def end_run(
    ctx: StepContext, run: Run, status: str, *, error: str | None = None, goal_id: str | None = None
) -> None:
    """End a run: cancel the timer it waits on, emit its lifecycle event, retire it from the active set."""
    cancel_wait_timer(ctx, run, run.current_node_id)
    run.clear_wait()
    run.status = status
    run.error_message = error
    run.goal_reached_id = goal_id
    run.completed_at = ctx.now
    event_type = _TERMINAL_EVENTS[status]
    ctx.emit(
        EmitRunEvent(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            run.current_node_id,
            run_event_key(run.run_id, event_type),
            event_type,
            ctx.now,
            run_fields(run, _plan_of(ctx, run), ctx.memo),
            None,
        )
    )
    ctx.retire(run)
    if isinstance(run.trigger.get("parent"), dict):
        ctx.ended_children.append(run)  # a sub-workflow's run: its parent may wait for it


def advance(ctx: StepContext, run: Run, plan: Plan, node_id: str | None) -> None:
    """Execute nodes from ``node_id`` until the run waits or ends."""
    # Definitions are acyclic, so a run visits at most every node once per advance; the bound turns a
    # corrupted plan into a failed run instead of a hung worker.
    for _ in range(len(plan.nodes) + 1):
        if node_id is None:
            end_run(ctx, run, "completed")
            return
        node = plan.nodes.get(node_id)
        if node is None:
            end_run(ctx, run, "failed", error=f"node {node_id!r} does not exist in version {plan.version}")
            return
        run.current_node_id = node_id
        visit = run.visits.get(node_id, 0) + 1
        run.visits[node_id] = visit
        key = action_key(run.run_id, node_id, visit)
        outcome = HANDLERS[node.type].execute(ctx, run, plan, node, key)
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
            )
            node_id = outcome.target
        elif isinstance(outcome, Wait):
            begin_wait(ctx, run, node, visit, key, outcome)
            return
        else:
            emit_step(ctx, run, node, visit, "failed", error=outcome.message)
            end_run(ctx, run, "failed", error=f"node {node.id!r} ({node.type}) failed: {outcome.message}")
            return
    end_run(ctx, run, "failed", error="run exceeded the node count of its workflow (corrupted definition)")


def begin_wait(ctx: StepContext, run: Run, node: PlanNode, visit: int, key: str, wait: Wait) -> None:
    timer_id = timer_id_for(key, wait.timer_kind)
    run.wait_timer_id = timer_id
    run.wait_due_at = wait.due_at
    run.wait_kind = wait.timer_kind
    run.wait_action_key = wait.action_key
    run.wait_started_at = ctx.now
    ctx.emit(
        ScheduleTimer(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            f"{timer_id}:schedule",
            timer_id,
            wait.due_at,
            wait.timer_kind,
        )
    )
    # The record says what the run waits for (run detail shows it): the node type alone does not, e.g. a
    # message held by its send window or by a frequency cap, or a parent waiting for its sub-workflow.
    if wait.action_key is None:
        emit_step(
            ctx, run, node, visit, "pending", output={"waitingFor": wait.timer_kind}, scheduled_at=wait.due_at
        )
    else:
        output: dict[str, Any] = {"waitingFor": wait.timer_kind, "timeoutAt": wait.due_at}
        if wait.timer_kind == et.TIMER_SUBWORKFLOW:
            output["childRunId"] = wait.action_key
        emit_step(ctx, run, node, visit, "running", output=output)


def finish_wait(ctx: StepContext, run: Run, plan: Plan, *, output: dict[str, Any] | None = None) -> None:
    """A delay, wait_until or action the run waited on is done: record the step and move on."""
    node = plan.nodes.get(run.current_node_id or "")
    if node is None:
        end_run(
            ctx, run, "failed", error=f"node {run.current_node_id!r} does not exist in version {plan.version}"
        )
        return
    action = run.wait_action_key is not None
    if action:
        cancel_wait_timer(ctx, run, node.id)
    scheduled = None if action else run.wait_due_at
    started = run.wait_started_at
    run.clear_wait()
    if output is not None:
        run.variables[node.id] = output
    emit_step(
        ctx,
        run,
        node,
        run.visits.get(node.id, 1),
        "completed",
        output=output if output is not None else {"scheduledAt": scheduled, "waited": True},
        started_at=started,
        scheduled_at=scheduled,
    )
    advance(ctx, run, plan, node.next)


def fail_action(ctx: StepContext, run: Run, plan: Plan, message: str, *, timer_fired: bool) -> None:
    """An HTTP action failed or timed out: fail the run unless the node says continueOnError."""
    node = plan.nodes.get(run.current_node_id or "")
    if node is None:
        end_run(
            ctx, run, "failed", error=f"node {run.current_node_id!r} does not exist in version {plan.version}"
        )
        return
    if not timer_fired:
        cancel_wait_timer(ctx, run, node.id)
    started = run.wait_started_at
    run.clear_wait()
    visit = run.visits.get(node.id, 1)
    emit_step(ctx, run, node, visit, "failed", error=message, started_at=started)
    if node.data.get("continueOnError") is True:
        run.variables[node.id] = {"error": message}
        advance(ctx, run, plan, node.next)
    else:
        end_run(ctx, run, "failed", error=f"node {node.id!r} ({node.type}) failed: {message}")
