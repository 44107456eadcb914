"""The engine's single entry point: ``step(state, event, *, definitions, now) -> Transition``.

Order of work for one event, chosen so that one event has one meaning whatever else is running:

1. dedupe: an event id in the applied window returns the same state and no effects;
2. the event's profile changes (contact, segments, opens/clicks of this run's messages); a
   ``contact.snapshot`` stops here: it states what the platform knew already, so it is no news that could
   trigger a run or reach a goal;
3. goals and exit criteria of every run that was active before the event (so a goal beats a timer firing in
   the same event), then the event is offered to the runs that wait for one (wait_for_event);
4. internal events addressed to one run: timer fired, action completed/failed, cancel requested, stale run
   detected;
5. triggers: new runs, executed until they wait or end (goals are not checked on a run's own trigger event);
6. parents of sub-workflow runs that ended in this step resume (run_workflow with wait).

A replay event (backfill) is not a new fact about the contact: it changes no profile, checks no goal, and only
offers its embedded original event to the one workflow it names. An erase request cancels every active run
of the contact and nothing else; the worker deletes the state after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from streams.engine import event_types as et
from streams.engine.budget import kept_output
from streams.engine.context import StepContext
from streams.engine.effects import ContactErased, Effect
from streams.engine.errors import EventError, StateError
from streams.engine.events import Event
from streams.engine.goals import check_goals
from streams.engine.index import DefinitionIndex
from streams.engine.profile import apply_profile_event
from streams.engine.runner import end_run, fail_action, finish_wait
from streams.engine.stale import fail_stale
from streams.engine.state import ContactState, Run
from streams.engine.triggers import start_triggered_runs
from streams.engine.waiting import offer_event, resume_on_timer, resume_parents

__all__ = ["ERASED_REASON", "Transition", "step"]

ERASED_REASON: Final = "cancelled: contact erased"


@dataclass(slots=True)  # one per event; not frozen: a frozen dataclass's __init__ costs several times more
class Transition:
    state: ContactState
    effects: list[Effect]


def step(state: ContactState, event: Event, *, definitions: DefinitionIndex, now: int) -> Transition:
    """Apply one event to one contact's state. Never raises for business outcomes; raises StateError only
    when the state does not belong to the event's tenant and contact (a caller bug)."""
    if event.contact_id != state.contact_id or event.tenant_id != state.tenant_id:
        raise StateError(
            f"event {event.id} is for {event.tenant_id}/{event.contact_id}, "
            f"state is for {state.tenant_id}/{state.contact_id}"
        )
    if event.id in state.applied:
        return Transition(state, [])
    if event.type == et.TRIGGER_REPLAY:
        return _replay(state, event, definitions=definitions, now=now)
    if event.type == et.CONTACT_ERASE_REQUESTED:
        return _erase(state, event, definitions=definitions, now=now)
    ctx = StepContext(state, event, definitions=definitions, now=now)
    apply_profile_event(ctx)
    if event.type == et.CONTACT_SNAPSHOT:
        return Transition(ctx.build_state(), ctx.effects)
    if ctx.runs:
        check_goals(ctx)
        offer_event(ctx)
    handle = _ADDRESSED.get(event.type)
    if handle is not None:
        handle(ctx)
    start_triggered_runs(ctx)
    resume_parents(ctx)
    return Transition(ctx.build_state(), ctx.effects)


def _replay(state: ContactState, event: Event, *, definitions: DefinitionIndex, now: int) -> Transition:
    workflow_id = event.data.get("workflowId")
    original: Event | None = None
    try:
        original = Event.from_dict(event.data.get("event"))
    except EventError:
        original = None
    if (
        original is None
        or not isinstance(workflow_id, str)
        or original.tenant_id != event.tenant_id
        or original.contact_id != event.contact_id
        or original.type in et.INTERNAL_EVENT_TYPES
    ):
        return Transition(_remember(state, event.id), [])  # malformed replay: nothing to offer
    ctx = StepContext(state, original, definitions=definitions, now=now)
    start_triggered_runs(ctx, only_workflow=workflow_id, replayed=True)
    resume_parents(ctx)
    return Transition(_remember(ctx.build_state(), event.id), ctx.effects)


def _erase(state: ContactState, event: Event, *, definitions: DefinitionIndex, now: int) -> Transition:
    """Cancel every active run (lifecycle events, waiting timers) and report the erasure. The profile is
    not touched here: the worker deletes the whole state after this transition, and the erasure is not a
    fact that should change the profile or start or end anything else."""
    ctx = StepContext(state, event, definitions=definitions, now=now)
    targets = list(ctx.runs)
    for target in targets:
        end_run(ctx, ctx.touch(target), "cancelled", error=ERASED_REASON)
    ctx.emit(ContactErased(ctx.tenant_id, ctx.contact_id, "", None, f"erase:{event.id}", now, len(targets)))
    return Transition(ctx.build_state(), ctx.effects)


def _remember(state: ContactState, event_id: str) -> ContactState:
    applied = state.with_applied(event_id)
    return ContactState(
        state.tenant_id, state.contact_id, state.profile, state.runs, state.finished, applied, state.sends
    )


def _missing_version(ctx: StepContext, run: Run) -> None:
    end_run(
        ctx,
        run,
        "failed",
        error=f"workflow {run.workflow_id} version {run.version} is not loaded (deleted or not yet received)",
    )


def _timer_fired(ctx: StepContext) -> None:
    data = ctx.event.data
    run_id, timer_id = data.get("runId"), data.get("timerId")
    current = ctx.runs.get(run_id) if isinstance(run_id, str) else None
    # Late or duplicate firings, and timers of runs that moved on, are no-ops.
    if current is None or timer_id is None or current.wait_timer_id != timer_id:
        return
    run = ctx.touch(current.run_id)
    plan = ctx.definitions.plan(run.workflow_id, run.version)
    if plan is None:
        run.clear_wait()  # the timer has fired: nothing to cancel
        _missing_version(ctx, run)
    elif run.wait_kind == et.TIMER_ACTION_TIMEOUT:
        node = plan.nodes.get(run.current_node_id or "")
        limit = node.config.get("action_timeout_ms") if node is not None else None
        fail_action(ctx, run, plan, f"no result within {limit} ms (timed out)", timer_fired=True)
    else:
        resume_on_timer(ctx, run, plan)


def _action_result(ctx: StepContext, *, ok: bool) -> None:
    data = ctx.event.data
    run_id = data.get("runId")
    current = ctx.runs.get(run_id) if isinstance(run_id, str) else None
    if current is None or current.wait_action_key is None:
        return
    key = data.get("idempotencyKey")
    if key is not None and key != current.wait_action_key:
        return  # a result for an earlier visit or another node
    if key is None and data.get("nodeId") != current.current_node_id:
        return
    run = ctx.touch(current.run_id)
    plan = ctx.definitions.plan(run.workflow_id, run.version)
    if plan is None:
        _missing_version(ctx, run)
    elif ok:
        output = data.get("output")
        # The run keeps (and the step record shows) at most MAX_KEPT_RESPONSE_BYTES of the body.
        kept = kept_output(output if isinstance(output, dict) else {"value": output})
        finish_wait(ctx, run, plan, output=kept)
    else:
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        fail_action(ctx, run, plan, str(message or "action failed"), timer_fired=False)


def _action_completed(ctx: StepContext) -> None:
    _action_result(ctx, ok=True)


def _action_failed(ctx: StepContext) -> None:
    _action_result(ctx, ok=False)


def _cancel(ctx: StepContext) -> None:
    data = ctx.event.data
    reason = data.get("reason")
    error = f"cancelled: {reason}" if isinstance(reason, str) and reason else None
    run_id, workflow_id = data.get("runId"), data.get("workflowId")
    if isinstance(run_id, str):
        targets = [run_id] if run_id in ctx.runs else []
    elif isinstance(workflow_id, str):
        targets = [r.run_id for r in ctx.runs.values() if r.workflow_id == workflow_id]
    else:
        targets = []
    for target in targets:
        end_run(ctx, ctx.touch(target), "cancelled", error=error)


# Internal events addressed to one run (or one workflow's runs), by type.
_ADDRESSED: Final[dict[str, Callable[[StepContext], None]]] = {
    et.TIMER_FIRED: _timer_fired,
    et.ACTION_COMPLETED: _action_completed,
    et.ACTION_FAILED: _action_failed,
    et.RUN_CANCEL_REQUESTED: _cancel,
    et.RUN_STALE_DETECTED: fail_stale,
}
