"""condition, switch, split and end: choose the next node (or none)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Final

from streams.engine.conditions import MISSING, compile_condition, compile_path, values_equal
from streams.engine.limits import MAX_CONDITIONS
from streams.engine.nodes.base import Branch, Continue, NodeHandler, Outcome
from streams.engine.rules import Collector, check_conditions_capped, is_number, nonempty_str, require

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["HANDLERS", "split_bucket", "switch_case_key", "switch_keys"]

_BUCKETS: Final = 10_000  # basis points: percentages with two decimals split exactly


def switch_case_key(case: dict[str, Any]) -> str:
    """A switch case's branch label: its id (or label), else its value as a string."""
    key = case.get("id", case.get("label", case.get("value")))
    return "true" if key is True else "false" if key is False else str(key)


def switch_keys(data: dict[str, Any]) -> list[str]:
    """Branch labels of a switch's cases (see ``switch_case_key``)."""
    cases = data.get("cases")
    if not isinstance(cases, list):
        return []
    return [switch_case_key(case) for case in cases if isinstance(case, dict)]


def _variants(data: dict[str, Any]) -> list[tuple[int, str]]:
    variants = data.get("variants")
    if not isinstance(variants, list):
        return []
    return [(i, str(v.get("id"))) for i, v in enumerate(variants) if isinstance(v, dict)]


def _check_condition(data: dict[str, Any], path: str, out: Collector) -> None:
    conditions = data.get("conditions")
    if conditions is None or conditions == [] or conditions == {}:
        out.add(f"{path}.conditions", "missing_required", "a condition node needs conditions")
    else:
        check_conditions_capped(conditions, f"{path}.conditions", out, cap=MAX_CONDITIONS)


def _condition_branches(data: dict[str, Any]) -> list[Branch]:
    return [Branch(b, f"condition {{node}} has no {b!r} edge") for b in ("true", "false")]


def _check_switch(data: dict[str, Any], path: str, out: Collector) -> None:
    require(data, "field", path, out, "switch")
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        out.add(f"{path}.cases", "missing_required", "switch needs a non-empty list of cases")
    else:
        for i, case in enumerate(cases):
            if not isinstance(case, dict) or "value" not in case:
                out.add(f"{path}.cases[{i}]", "missing_required", "a switch case needs a value")


def _switch_branches(data: dict[str, Any]) -> list[Branch]:
    cases = data.get("cases")
    branches = [
        Branch(key, f"case {key!r} of switch {{node}} has no edge", f".data.cases[{i}]")
        for i, case in enumerate(cases if isinstance(cases, list) else [])
        if isinstance(case, dict) and (key := switch_case_key(case)) is not None
    ]
    branches.append(Branch("default", "switch {node} has no 'default' edge", code="missing_default_branch"))
    return branches


def _check_split(data: dict[str, Any], path: str, out: Collector) -> None:
    variants = data.get("variants")
    if not isinstance(variants, list) or not variants:
        out.add(f"{path}.variants", "missing_required", "split needs a non-empty list of variants")
        return
    total = 0.0
    for i, variant in enumerate(variants):
        pct = variant.get("percentage") if isinstance(variant, dict) else None
        if not isinstance(variant, dict) or not nonempty_str(variant.get("id")):
            out.add(f"{path}.variants[{i}].id", "missing_required", "a split variant needs an id")
        if not is_number(pct) or pct < 0:
            out.add(f"{path}.variants[{i}].percentage", "invalid_value", "percentage must be a number >= 0")
        else:
            total += pct
    if abs(total - 100) > 1e-6:
        out.add(f"{path}.variants", "split_percentages", f"split percentages must sum to 100, got {total:g}")


def _split_branches(data: dict[str, Any]) -> list[Branch]:
    return [
        Branch(variant_id, f"variant {variant_id!r} of split {{node}} has no edge", f".data.variants[{i}]")
        for i, variant_id in _variants(data)
    ]


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


HANDLERS: Final = {
    "condition": NodeHandler(_condition, _prepare_condition, _check_condition, _condition_branches),
    "switch": NodeHandler(_switch, _prepare_switch, _check_switch, _switch_branches),
    "split": NodeHandler(_split, _prepare_split, _check_split, _split_branches),
    "end": NodeHandler(_end, terminal=True),
}
