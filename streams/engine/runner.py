"""Moving a run: start it, execute nodes until it waits or ends, resume it, end it.

Every executed node yields a ``workflow.node.executed`` step record; waiting nodes yield a ``pending``
(delay, wait_until) or ``running`` (webhook, slack) record first and a ``completed``/``failed`` one when
resumed. Run lifecycle events carry the run fields the projector stores.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.budget import is_kept_response, trimmed_response
from streams.engine.effects import CancelTimer, EmitRunEvent, ScheduleTimer
from streams.engine.ids import action_key, run_event_key, step_key, timer_id_for
from streams.engine.nodes import HANDLERS, Continue, Wait
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

# Every run event carries the run's context and its trigger's data (the projector keeps the latest), so both
# are bounded: a run's events stay small whatever its responses and its event hold.
MAX_CONTEXT_BYTES: Final = 8 * 1024
MAX_TRIGGER_DATA_BYTES: Final = 4 * 1024
# Keys of an over-budget trigger data object that are still listed, so an operator sees its shape.
_LISTED_KEYS: Final = 50

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
    # For the run read model only (the bridge publishes neither): see run_context and trigger_data.
    fields["context"], fields["triggerData"] = _context_and_trigger(run, memo)
    return fields


def _context_and_trigger(run: Run, memo: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    if memo is None:
        return run_context(run), trigger_data(run)
    state = (run.has_opened, run.has_clicked)
    cached = memo.get(run.run_id)
    if cached is not None and cached[0] == run.variables and cached[1] == state:
        return cached[2], cached[3]
    context = run_context(run)
    data = cached[3] if cached is not None else trigger_data(run)  # a run's trigger never changes
    # A shallow copy: variables are replaced by node id, never changed inside.
    memo[run.run_id] = (dict(run.variables), state, context, data)
    return context, data


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode())


def _within(value: dict[str, Any], limit: int) -> bool:
    """Whether ``value`` is surely at most ``limit`` bytes as compact JSON, without encoding it: in objects
    of strings, numbers, booleans, nulls and objects, a character takes at most 6 bytes (``\\uXXXX``) and
    a number its repr. False means "measure it", not "too large"."""
    return _bound(value, limit) is not None


def _bound(value: dict[str, Any], limit: int) -> int | None:
    bound = 2
    for key, item in value.items():
        bound += 6 * len(key) + 4
        if isinstance(item, str):
            bound += 6 * len(item)
        elif item is None or isinstance(item, bool | int | float):
            bound += len(repr(item))
        elif isinstance(item, dict):
            inner = _bound(item, limit - bound)
            if inner is None:
                return None
            bound += inner
        else:
            return None
        if bound > limit:
            return None
    return bound


def run_context(run: Run) -> dict[str, Any]:
    """What run detail shows as ``context``: the run's variables (action outputs by node id, secrets
    redacted), a summary of each kept HTTP response (status, durationMs, truncated) and whether the run's
    messages were opened or clicked. Over MAX_CONTEXT_BYTES the response bodies go first, then the
    variables; the summaries stay, and ``truncated`` says something was left out."""
    context: dict[str, Any] = {
        "variables": {},
        "responses": {},
        "hasOpened": run.has_opened,
        "hasClicked": run.has_clicked,
    }
    if not run.variables:
        return context  # the common case, and the cheap one
    responses = {
        node_id: {k: value[k] for k in ("status", "durationMs", "truncated") if k in value}
        for node_id, value in run.variables.items()
        if is_kept_response(value)
    }
    context["responses"] = responses
    context["variables"] = redact_data(run.variables)
    if _within(context, MAX_CONTEXT_BYTES) or _size(context) <= MAX_CONTEXT_BYTES:
        return context
    context["truncated"] = True
    context["variables"] = {
        k: trimmed_response(v) if is_kept_response(v) else v for k, v in context["variables"].items()
    }
    if _size(context) > MAX_CONTEXT_BYTES:
        context["variables"] = {}
    return context


def trigger_data(run: Run) -> dict[str, Any]:
    """The triggering event's data with secrets redacted (the profile is not in it: the state holds it),
    at most MAX_TRIGGER_DATA_BYTES; over it, ``{"truncated": true, "keys": [...]}``."""
    data = run.trigger.get("data")
    if not isinstance(data, dict) or not data:
        return {}
    redacted: dict[str, Any] = redact_data(data)
    if _within(redacted, MAX_TRIGGER_DATA_BYTES) or _size(redacted) <= MAX_TRIGGER_DATA_BYTES:
        return redacted
    return {"truncated": True, "keys": sorted(str(k) for k in redacted)[:_LISTED_KEYS]}


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
    if wait.action_key is None:
        emit_step(ctx, run, node, visit, "pending", scheduled_at=wait.due_at)
    else:
        emit_step(ctx, run, node, visit, "running")


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
