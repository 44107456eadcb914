"""Split results: per variant, runs that entered and converted, a 95 % Wilson interval, and a
two-proportion z-test of the best variant against the baseline (the first in the definition). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from api.analytics.funnel import Definition
from api.analytics.stats import two_proportion_p, wilson

MIN_SAMPLE: Final = 100
ALPHA: Final = 0.05


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _p_text(p: float) -> str:
    return "p < 0.0001" if p < 0.0001 else f"p = {p:.4f}" if p < 0.01 else f"p = {p:.2f}"


def _variants(node: dict[str, Any]) -> list[tuple[str, float]]:
    data = node.get("data") if isinstance(node.get("data"), dict) else {}
    raw = data.get("variants") if isinstance(data, dict) else None
    out = []
    for v in raw if isinstance(raw, list) else []:
        if isinstance(v, dict) and v.get("id") is not None:
            weight = v.get("percentage")
            out.append((str(v["id"]), float(weight) if isinstance(weight, int | float) else 0.0))
    return out


def _goal_id(node: dict[str, Any], goals: list[dict[str, Any]]) -> str | None:
    data = node.get("data")
    if isinstance(data, dict) and isinstance(data.get("goalId"), str):
        return str(data["goalId"])
    ids = [str(g["id"]) for g in goals if isinstance(g, dict) and g.get("id") is not None]
    return ids[0] if len(ids) == 1 else None


def compare(variants: list[dict[str, Any]]) -> dict[str, Any] | None:
    if len(variants) < 2:
        return None
    baseline = variants[0]
    best = max(variants, key=lambda v: (v["conversion_rate"], v["entered"]))
    other = baseline if best is not baseline else max(variants[1:], key=lambda v: v["conversion_rate"])
    p = two_proportion_p(best["converted"], best["entered"], other["converted"], other["entered"])
    significant = p < ALPHA
    short = [v for v in (best, other) if v["entered"] < MIN_SAMPLE]
    winner = best["variant_id"] if significant and not short and best is not other else None
    rates = (
        f"Variant {best['variant_id']} converts at {_pct(best['conversion_rate'])} against "
        f"{_pct(other['conversion_rate'])} for {other['variant_id']} ({_p_text(p)})"
    )
    if short:
        counts = ", ".join(f"{v['variant_id']} has {v['entered']}" for v in short)
        summary = (
            f"{rates}, but there are not enough runs yet to call a winner: each compared variant needs at "
            f"least {MIN_SAMPLE} runs ({counts})."
        )
    elif significant:
        summary = f"{rates}: the difference is significant at 95%."
    else:
        summary = f"{rates}: no significant difference at 95%; the gap may be chance."
    return {
        "baseline_id": baseline["variant_id"],
        "best_id": best["variant_id"],
        "p_value": round(p, 6),
        "significant": significant,
        "winner": winner,
        "summary": summary,
    }


def split_results(
    definition: Definition, figures: Mapping[tuple[str, str], Mapping[str, int]]
) -> list[dict[str, Any]]:
    """``figures``: (split node id, variant id) -> {"entered", "converted"}."""
    out = []
    for node in definition.nodes:
        if not isinstance(node, dict) or node.get("type") != "split":
            continue
        node_id = str(node.get("id"))
        variants = []
        for variant_id, weight in _variants(node):
            counts = figures.get((node_id, variant_id), {})
            entered, converted = int(counts.get("entered", 0)), int(counts.get("converted", 0))
            low, high = wilson(converted, entered)
            variants.append(
                {
                    "variant_id": variant_id,
                    "weight": weight,
                    "entered": entered,
                    "converted": converted,
                    "conversion_rate": round(converted / entered, 6) if entered else 0.0,
                    "ci_low": round(low, 6),
                    "ci_high": round(high, 6),
                }
            )
        out.append(
            {
                "node_id": node_id,
                "goal_id": _goal_id(node, definition.goals),
                "min_sample": MIN_SAMPLE,
                "variants": variants,
                "comparison": compare(variants),
            }
        )
    return out
