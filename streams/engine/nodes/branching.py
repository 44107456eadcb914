"""condition, switch, split and end: choose the next node (or none)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final

from streams.engine.conditions import MISSING, compile_condition, compile_path, values_equal
from streams.engine.nodes.base import Continue, NodeHandler, Outcome
from streams.engine.rules import switch_case_key

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["BRANCHING_HANDLERS", "split_bucket"]

_BUCKETS: Final = 10_000  # basis points: percentages with two decimals split exactly


def _prepare_condition(node: PlanNode) -> None:
    node.predicate = compile_condition(node.data.get("conditions"))
    node.config["out_true"] = {"result": True, "branch": "true"}
    node.config["out_false"] = {"result": False, "branch": "false"}


def _condition(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    assert node.predicate is not None
    if node.predicate(ctx.run_scope(run)):
        return Continue(node.branches.get("true"), node.config["out_true"])
    return Continue(node.branches.get("false"), node.config["out_false"])


def _prepare_switch(node: PlanNode) -> None:
    node.getter = compile_path(str(node.data["field"]))
    node.config["cases"] = [(switch_case_key(c), c.get("value")) for c in node.data["cases"]]


def _switch(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    assert node.getter is not None
    value = node.getter(ctx.run_scope(run))
    for case_key, expected in node.config["cases"]:
        if value is not MISSING and values_equal(value, expected):
            # A matched case without an edge ends the run: falling through to default would hide a gap.
            return Continue(node.branches.get(case_key), {"case": case_key})
    return Continue(node.branches.get("default"), {"case": "default"})


def split_bucket(run_id: str, node_id: str) -> int:
    """A stable bucket in [0, 10000) so a replay of the run picks the same variant."""
    digest = hashlib.sha256(f"{run_id}:{node_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS


def _prepare_split(node: PlanNode) -> None:
    bounds, upper = [], 0
    for variant in node.data["variants"]:
        upper += round(variant["percentage"] * _BUCKETS / 100)
        bounds.append((upper, str(variant["id"])))
    node.config["bounds"] = bounds


def _split(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    bucket = split_bucket(run.run_id, node.id)
    bounds = node.config["bounds"]
    variant = bounds[-1][1]
    for upper, variant_id in bounds:
        if bucket < upper:
            variant = variant_id
            break
    return Continue(node.branches.get(variant), {"variant": variant, "bucket": bucket})


def _end(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    return Continue(None)


BRANCHING_HANDLERS: Final = {
    "condition": NodeHandler(_condition, _prepare_condition),
    "switch": NodeHandler(_switch, _prepare_switch),
    "split": NodeHandler(_split, _prepare_split),
    "end": NodeHandler(_end),
}
