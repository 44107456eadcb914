"""run_workflow: start another active workflow of the tenant for the same contact (a sub-workflow).

Data: ``{"workflowId": "...", "variables": {"plan": "{{ trigger.data.plan }}"}, "wait": true}``.

* The child run is started like a targeted trigger, pinned to the child workflow's active version, whatever
  its trigger type and without its trigger conditions. Its run id derives from the parent's action key
  (run, node, visit), so a replayed step finds the run it already started. The child's trigger is
  ``workflow.run_workflow`` with the rendered ``variables`` as its data, and the child run starts with them
  as its variables (``{{ variables.plan }}``, or ``plan`` in conditions).
* ``wait: false`` (the default) continues at once on the node's plain edge.
* ``wait: true`` waits for the child to end, then takes ``completed``, ``goal_reached`` or ``failed`` (a
  cancelled child takes ``failed``; one that exited by the child's ``exitWhen`` takes ``completed``). Both
  runs live in the contact's state, so the child's end resumes the parent in the same step. The parent's
  timer is a horizon, not a timeout: when it fires while the child still runs, the parent waits again.
* Sub-workflows nest at most ``MAX_SUBWORKFLOW_DEPTH`` deep; a deeper start, a workflow that is not active
  for the tenant, or a contact at its active-run caps fails the node with the reason. Cycles through
  run_workflow are refused when a workflow is activated (the API); the depth cap is the engine's guard.
* ``simulate`` starts the sub-workflows it is given (the API gives the tenant's active workflows that
  run_workflow nodes name, transitively); a workflow it was not given fails the node as "not active".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.encoding import json_bytes
from streams.engine.ids import run_id_for
from streams.engine.limits import MAX_ACTIVE_RUNS
from streams.engine.nodes.base import Branch, Continue, Fail, NodeHandler, Outcome, Wait
from streams.engine.rules import Collector, require
from streams.engine.state import Run
from streams.engine.templating import render

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode

__all__ = ["HANDLERS", "MAX_SUBWORKFLOW_DEPTH", "MAX_SUBWORKFLOW_VARIABLES_BYTES", "TRIGGER_TYPE"]

# A run started by run_workflow is depth 1; its own sub-workflow depth 2, and so on.
MAX_SUBWORKFLOW_DEPTH: Final = 5
# What a child run carries of its variables (its state and every run event hold them).
MAX_SUBWORKFLOW_VARIABLES_BYTES: Final = 4 * 1024
TRIGGER_TYPE: Final = "workflow.run_workflow"
# The parent's wait timer: far enough that it rarely fires, near enough that a stale-run scan never sees it
# overdue. Firing while the child runs only renews it.
HORIZON_MS: Final = 30 * 86_400_000
_STATUS_BRANCH: Final = {
    "completed": "completed",
    "exited": "completed",
    "goal_reached": "goal_reached",
    "failed": "failed",
    "cancelled": "failed",
}


def _check(data: dict[str, Any], path: str, out: Collector) -> None:
    require(data, "workflowId", path, out, "run_workflow")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        out.add(f"{path}.variables", "invalid_type", "variables must be an object")
    elif isinstance(variables, dict) and json_bytes(variables) > MAX_SUBWORKFLOW_VARIABLES_BYTES:
        out.add(
            f"{path}.variables",
            "too_large",
            f"variables must be at most {MAX_SUBWORKFLOW_VARIABLES_BYTES} bytes as JSON",
        )
    wait = data.get("wait")
    if wait is not None and not isinstance(wait, bool):
        out.add(f"{path}.wait", "invalid_type", "wait must be true or false")


def _branches(data: dict[str, Any]) -> list[Branch] | None:
    if data.get("wait") is not True:
        return None  # continues at once: one plain edge
    return [
        Branch(key, f"run_workflow {{node}} waits for its sub-workflow but has no {key!r} edge")
        for key in ("completed", "goal_reached", "failed")
    ]


def _depth(run: Run) -> int:
    link = run.trigger.get("parent")
    depth = link.get("depth") if isinstance(link, dict) else None
    return depth if isinstance(depth, int) and not isinstance(depth, bool) else 0


def _execute(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    workflow_id = str(node.data["workflowId"])
    wait = node.data.get("wait") is True
    depth = _depth(run) + 1
    if depth > MAX_SUBWORKFLOW_DEPTH:
        return Fail(f"sub-workflows nest at most {MAX_SUBWORKFLOW_DEPTH} deep: not starting {workflow_id!r}")
    definition = ctx.definitions.active(workflow_id)
    child_plan = definition.plan if definition is not None else None
    if child_plan is None or child_plan.tenant_id != ctx.tenant_id:
        if ctx.definitions.simulated:
            return Fail(f"workflow {workflow_id!r} is not active: a simulation starts active workflows only")
        return Fail(f"workflow {workflow_id!r} is not active")
    child_id = run_id_for(ctx.tenant_id, workflow_id, ctx.contact_id, f"run_workflow:{key}")
    output: dict[str, Any] = {
        "childRunId": child_id,
        "workflowId": workflow_id,
        "version": child_plan.version,
    }
    finished = ctx.finished.get(workflow_id)
    if child_id not in ctx.runs and not (finished is not None and finished.run_id == child_id):
        refused = _over_cap(ctx, child_plan)
        if refused is not None:
            return Fail(refused)
        variables = render(node.data.get("variables") or {}, ctx.run_scope(run))
        if not isinstance(variables, dict) or json_bytes(variables) > MAX_SUBWORKFLOW_VARIABLES_BYTES:
            return Fail(f"the rendered variables are over {MAX_SUBWORKFLOW_VARIABLES_BYTES} bytes")
        trigger = {
            "id": f"run_workflow:{key}",
            "type": TRIGGER_TYPE,
            "occurredAt": ctx.now,
            "data": variables,
            "parent": {"runId": run.run_id, "workflowId": run.workflow_id, "nodeId": node.id, "depth": depth},
        }
        child = Run(child_id, workflow_id, child_plan.version, ctx.now, trigger, variables=dict(variables))
        _start(ctx, child, child_plan)
    if not wait:
        return Continue(node.branches.get(""), output)
    if child_id in ctx.runs:
        return Wait(et.TIMER_SUBWORKFLOW, ctx.now + HORIZON_MS, action_key=child_id)
    # Ended already (in this step, or a replayed step whose child ended): the memory has its status.
    ended = ctx.finished.get(workflow_id)
    status = ended.status if ended is not None and ended.run_id == child_id else "failed"
    return _branch(node, output, status, None)


def _start(ctx: StepContext, child: Run, plan: Plan) -> None:
    # Imported here: the runner imports the handler table this module is part of.
    from streams.engine.runner import start_run

    start_run(ctx, child, plan)


def _over_cap(ctx: StepContext, plan: Plan) -> str | None:
    total = len(ctx.runs)
    if total >= MAX_ACTIVE_RUNS:
        return f"the contact has {total} active runs, the most it may have ({MAX_ACTIVE_RUNS})"
    own = sum(1 for r in ctx.runs.values() if r.workflow_id == plan.workflow_id)
    if own >= plan.max_active_runs:
        return (
            f"the contact has {own} active runs of workflow {plan.workflow_id!r}, "
            f"its maxActiveRunsPerContact ({plan.max_active_runs})"
        )
    return None


def _branch(node: PlanNode, output: dict[str, Any], status: str, child: Run | None) -> Outcome:
    branch = _STATUS_BRANCH.get(status, "failed")
    result = {**output, "branch": branch, "childStatus": status}
    if child is not None and child.goal_reached_id is not None:
        result["goalId"] = child.goal_reached_id
    if child is not None and child.error_message is not None:
        result["childError"] = child.error_message
    return Continue(node.branches.get(branch), result, variables={node.id: result})


def _on_run_ended(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, child: Run) -> Outcome | None:
    output = {"childRunId": child.run_id, "workflowId": child.workflow_id, "version": child.version}
    return _branch(node, output, child.status, child)


def _on_timer(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    child_id = run.wait_action_key
    if child_id is not None and child_id in ctx.runs:
        return Wait(et.TIMER_SUBWORKFLOW, ctx.now + HORIZON_MS, action_key=child_id)
    return Fail(f"the sub-workflow run {child_id!r} ended without resuming this run")


HANDLERS: Final = {
    "run_workflow": NodeHandler(
        _execute, None, _check, _branches, on_timer=_on_timer, on_run_ended=_on_run_ended
    ),
}
