"""Goal and exit checks: on every event, for every run that was active before it. The first matching goal
ends the run as ``goal_reached``; else a match of the workflow's exit criteria (``settings.exitWhen``, e.g.
an unsubscribe) ends it as ``exited``, which is not a goal. Either way its timer is cancelled and the
remaining nodes are skipped. Internal events (timers, action results...) are facts about runs, not about
the contact: they never match exit criteria."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streams.engine import event_types as et
from streams.engine.runner import end_run

if TYPE_CHECKING:
    from streams.engine.conditions import Scope
    from streams.engine.context import StepContext

__all__ = ["check_goals"]


def check_goals(ctx: StepContext) -> None:
    event_type = ctx.event.type
    internal = event_type in et.INTERNAL_EVENT_TYPES or event_type.startswith("workflow.")
    for run_id, run in list(ctx.runs.items()):
        plan = ctx.definitions.plan(run.workflow_id, run.version)
        if plan is None:
            continue  # a missing version fails the run when it next resumes
        exit_when = plan.exit_when
        if exit_when is not None and (
            internal or (exit_when.events is not None and event_type not in exit_when.events)
        ):
            exit_when = None  # not listening to this event (internal events never match exit criteria)
        # Built only when a goal or the exit criteria listen to this event type (most events: none).
        scope: Scope | None = None
        for goal in plan.goals:
            if goal.events is not None and event_type not in goal.events:
                continue
            if scope is None:
                scope = ctx.event_scope(run)
            if goal.predicate(scope):
                end_run(ctx, ctx.touch(run_id), "goal_reached", goal_id=goal.id)
                break
        else:
            if exit_when is not None:
                if scope is None:
                    scope = ctx.event_scope(run)
                if exit_when.predicate(scope):
                    end_run(ctx, ctx.touch(run_id), "exited")
