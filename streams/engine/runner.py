"""Moving a run: start it, execute nodes until it waits or ends, resume it, end it.

Every executed node yields a ``workflow.node.executed`` step record; waiting nodes yield a ``pending``
(delay, wait_until) or ``running`` (webhook, slack) record first and a ``completed``/``failed`` one when
resumed. Run lifecycle events carry the run fields the projector stores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.effects import CancelTimer, EmitRunEvent, ScheduleTimer
from streams.engine.ids import action_key, node_step_key, run_event_key, timer_id_for
from streams.engine.nodes import HANDLERS, Continue, Fail, Wait
from streams.engine.readview import run_context, trigger_data
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


class RunShare:
    """What the events of one run share within one step (``StepContext.memo``, by run id): the run fields
    fixed for the run's life (ids, version, trigger type and event, start), and the redacted context and
    trigger data, kept while the run's variables and open/click flags have not changed. A step records
    several nodes of one run; rebuilding and redacting these for each record was most of a record's cost.
    Nested dicts are shared between records: nothing changes a record once built."""

    __slots__ = ("clicked", "context", "fixed", "opened", "trigger_data", "variables")

    def __init__(self, run: Run, plan: Plan | None) -> None:
        trigger = run.trigger
        trigger_event: dict[str, Any] = {
            "id": trigger.get("id"),
            "type": trigger.get("type"),
            "occurredAt": trigger.get("occurredAt"),
        }
        if trigger.get("replayed"):
            trigger_event["replayed"] = True  # enrolled by a backfill, not live
        self.fixed: dict[str, Any] = {
            "workflowId": run.workflow_id,
            "workflowVersion": run.version,
            "version": run.version,
            "runId": run.run_id,
            # None when the run's version is gone: the trigger type is then unknown.
            "triggerType": plan.trigger_type if plan is not None else None,
            "triggerEvent": trigger_event,
            "startedAt": run.started_at,
        }
        self.trigger_data = trigger_data(run)  # a run's trigger never changes
        self.variables: dict[str, Any] = dict(run.variables)
        self.opened = run.has_opened
        self.clicked = run.has_clicked
        self.context = run_context(run)

    def refresh(self, run: Run) -> None:
        """Keep the context current; cheap when nothing changed (the common case)."""
        same_flags = run.has_opened is self.opened and run.has_clicked is self.clicked
        if same_flags and run.variables == self.variables:
            return
        # A shallow copy: variables are replaced by node id, never changed inside.
        self.variables = dict(run.variables)
        self.opened = run.has_opened
        self.clicked = run.has_clicked
        self.context = run_context(run)


_LOOKUP: Final[Any] = object()  # run_fields: look the run's plan up only if this step has not yet


def run_fields(ctx: StepContext, run: Run, plan: Plan | None = _LOOKUP) -> dict[str, Any]:
    """What every run event carries. ``plan`` is the run's version (None when it is gone: the trigger type
    and goal name are then unknown); without it, the step's index is asked once per run.
    ``workflowVersion`` and ``goalReachedId`` are the projector's names; ``version``, ``triggerType``,
    ``goalId`` and ``goalName`` are the platform's. ``context`` and ``triggerData`` are for the run read
    model only (the bridge publishes neither): see streams.engine.readview."""
    share: RunShare | None = ctx.memo.get(run.run_id)
    if share is None:
        if plan is _LOOKUP:
            plan = ctx.definitions.plan(run.workflow_id, run.version)
        share = ctx.memo[run.run_id] = RunShare(run, plan)
    else:
        share.refresh(run)
    fields = share.fixed.copy()  # then what changes as the run moves
    goal_id = run.goal_reached_id
    fields["status"] = run.status
    fields["currentNodeId"] = run.current_node_id
    fields["goalReachedId"] = goal_id
    fields["errorMessage"] = run.error_message
    fields["completedAt"] = run.completed_at
    if goal_id is not None:
        if plan is _LOOKUP:
            plan = ctx.definitions.plan(run.workflow_id, run.version)
        fields["goalId"] = goal_id
        fields["goalName"] = _goal_name(plan, goal_id)
    fields["context"] = share.context
    fields["triggerData"] = share.trigger_data
    return fields


def _goal_name(plan: Plan | None, goal_id: str) -> str | None:
    if plan is not None:
        for goal in plan.goals:
            if goal.id == goal_id:
                return goal.name
    return None


_DONE: Final = frozenset({"completed", "failed", "skipped"})


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
    plan: Plan | None = _LOOKUP,
) -> None:
    now = ctx.now
    if recorded is None:
        # Redacted: the record is published, stored and served; the executor got the real values. A node
        # that rendered what it sent (a message) records that instead of its configuration.
        recorded = node.record_input if node.record_input is not None else redact_data(node.data)
    record = {
        "nodeId": node.id,
        "nodeType": node.type,
        "visit": visit,
        # Position in the run's path (node visits so far): steps of one event share a timestamp, so
        # readers order by this. A run never branches in parallel, so a node's records share one seq.
        "seq": sum(run.visits.values()),
        "status": status,
        "input": recorded,
        "output": output if output is not None else {},
        "errorMessage": error,
        "startedAt": started_at if started_at is not None else now,
        "completedAt": now if status in _DONE else None,
        "scheduledAt": scheduled_at,
    }
    ctx.effects.append(
        EmitRunEvent(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            node_step_key(run.run_id, node.id, visit, status),
            et.NODE_EXECUTED,
            now,
            run_fields(ctx, run, plan),
            record,
        )
    )


def cancel_wait_timer(ctx: StepContext, run: Run, node_id: str | None) -> None:
    """Cancel the timer the run waits on, if any (the pump deletes the key; a late firing is a no-op)."""
    if run.wait_timer_id is None or run.wait_due_at is None:
        return
    ctx.effects.append(
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
    ctx.effects.append(
        EmitRunEvent(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            None,
            run_event_key(run.run_id, et.RUN_STARTED),
            et.RUN_STARTED,
            ctx.now,
            run_fields(ctx, run, plan),
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
    ctx.effects.append(
        EmitRunEvent(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            run.current_node_id,
            run_event_key(run.run_id, event_type),
            event_type,
            ctx.now,
            run_fields(ctx, run),
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
        visits = run.visits
        visit = visits.get(node_id, 0) + 1
        visits[node_id] = visit
        key = action_key(run.run_id, node_id, visit)
        outcome = HANDLERS[node.type].execute(ctx, run, plan, node, key)
        if type(outcome) is Continue:
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
                plan=plan,
            )
            node_id = outcome.target
        elif type(outcome) is Wait:
            begin_wait(ctx, run, node, visit, key, outcome, plan=plan)
            return
        else:
            assert isinstance(outcome, Fail)
            emit_step(ctx, run, node, visit, "failed", error=outcome.message, plan=plan)
            end_run(ctx, run, "failed", error=f"node {node.id!r} ({node.type}) failed: {outcome.message}")
            return
    end_run(ctx, run, "failed", error="run exceeded the node count of its workflow (corrupted definition)")


def begin_wait(
    ctx: StepContext,
    run: Run,
    node: PlanNode,
    visit: int,
    key: str,
    wait: Wait,
    *,
    plan: Plan | None = _LOOKUP,
) -> None:
    timer_id = timer_id_for(key, wait.timer_kind)
    run.wait_timer_id = timer_id
    run.wait_due_at = wait.due_at
    run.wait_kind = wait.timer_kind
    run.wait_action_key = wait.action_key
    run.wait_started_at = ctx.now
    ctx.effects.append(
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
            ctx,
            run,
            node,
            visit,
            "pending",
            output={"waitingFor": wait.timer_kind},
            scheduled_at=wait.due_at,
            plan=plan,
        )
    else:
        output: dict[str, Any] = {"waitingFor": wait.timer_kind, "timeoutAt": wait.due_at}
        if wait.timer_kind == et.TIMER_SUBWORKFLOW:
            output["childRunId"] = wait.action_key
        emit_step(ctx, run, node, visit, "running", output=output, plan=plan)


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
        plan=plan,
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
    emit_step(ctx, run, node, visit, "failed", error=message, started_at=started, plan=plan)
    if node.data.get("continueOnError") is True:
        run.variables[node.id] = {"error": message}
        advance(ctx, run, plan, node.next)
    else:
        end_run(ctx, run, "failed", error=f"node {node.id!r} ({node.type}) failed: {message}")
