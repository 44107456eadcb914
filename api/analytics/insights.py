"""Suggestions with evidence, from the read models' figures. Pure: each rule is a function of figures.

Thresholds are deliberately plain (a share over a minimum number of runs) so the detail can state them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from api.analytics.funnel import Definition, EdgeCounts, definition_edges, definition_nodes
from api.projector.analytics_plan import MESSAGE_TYPES

MIN_ENTRIES: Final = 20
FAILURE_RATE: Final = 0.10
GOAL_SHARE: Final = 0.80
RARELY: Final = 0.20  # a node "rarely runs" when it is entered by at most this share of its predecessor's
NIGHT_SHARE: Final = 0.10
QUIET_DAYS: Final = 30


@dataclass(frozen=True, slots=True)
class Figures:
    nodes: Mapping[str, Mapping[str, int]]
    edges: EdgeCounts
    splits: list[dict[str, Any]]
    # (goal id, node id the runs were at) -> (runs, last time)
    goals: Mapping[tuple[str, str], tuple[int, datetime | None]]
    started_recently: int
    top_errors: Mapping[str, str | None] = field(default_factory=dict)


def _insight(
    kind: str, severity: str, node_id: str | None, title: str, detail: str, **evidence: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "severity": severity,
        "node_id": node_id,
        "title": title,
        "detail": detail,
        "evidence": evidence,
    }


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def split_winners(f: Figures) -> list[dict[str, Any]]:
    out = []
    for split in f.splits:
        comparison = split.get("comparison")
        if not comparison or not comparison.get("winner"):
            continue
        out.append(
            _insight(
                "split_winner",
                "info",
                split["node_id"],
                f"Variant {comparison['winner']} wins split {split['node_id']}",
                f"{comparison['summary']} Consider sending every contact down variant "
                f"{comparison['winner']}.",
                winner=comparison["winner"],
                baseline=comparison["baseline_id"],
                pValue=comparison["p_value"],
            )
        )
    return out


def failure_rates(d: Definition, f: Figures) -> list[dict[str, Any]]:
    out = []
    for node_id, _type in definition_nodes(d):
        figures = f.nodes.get(node_id, {})
        entered, failed = int(figures.get("entered", 0)), int(figures.get("failed", 0))
        if entered < MIN_ENTRIES or failed / entered < FAILURE_RATE:
            continue
        rate = failed / entered
        top = f.top_errors.get(node_id)
        cause = f' The most frequent error is "{top}".' if top else ""
        out.append(
            _insight(
                "node_failure_rate",
                "warning",
                node_id,
                f"Node {node_id} fails {_pct(rate)} of the time",
                f"{failed} of the {entered} runs that reached {node_id} failed there.{cause}",
                failureRate=round(rate, 4),
                failed=failed,
                entered=entered,
                topError=top,
            )
        )
    return out


def goals_before_nodes(d: Definition, f: Figures) -> list[dict[str, Any]]:
    out = []
    successors: dict[str, list[str]] = {}
    for source, target, _branch in definition_edges(d):
        successors.setdefault(source, []).append(target)
    for (goal_id, at_node), (reached, _last) in sorted(f.goals.items()):
        entered = int(f.nodes.get(at_node, {}).get("entered", 0))
        if not at_node or entered < MIN_ENTRIES or reached / entered < GOAL_SHARE:
            continue
        for after in successors.get(at_node, []):
            after_entered = int(f.nodes.get(after, {}).get("entered", 0))
            if after_entered > RARELY * entered:
                continue
            share = reached / entered
            out.append(
                _insight(
                    "goal_before_node",
                    "info",
                    after,
                    f"Most runs reach goal {goal_id} before node {after}",
                    f"{_pct(share)} of the runs that reached {at_node} ({reached} of {entered}) reached goal "
                    f"{goal_id} there, so {after} ran only {after_entered} times. The nodes after "
                    f"{at_node} may be unnecessary, or the goal may come too early.",
                    goalId=goal_id,
                    atNodeId=at_node,
                    reached=reached,
                    entered=entered,
                    share=round(share, 4),
                    nodeEntered=after_entered,
                )
            )
    return out


def night_sends(d: Definition, f: Figures) -> list[dict[str, Any]]:
    out = []
    for node_id, node_type in definition_nodes(d):
        figures = f.nodes.get(node_id, {})
        sends, night = int(figures.get("sends", 0)), int(figures.get("night_sends", 0))
        if node_type not in MESSAGE_TYPES or sends < MIN_ENTRIES or night / sends < NIGHT_SHARE:
            continue
        share = night / sends
        out.append(
            _insight(
                "night_sends",
                "warning",
                node_id,
                f"Node {node_id} sends {_pct(share)} of its messages at night",
                f"{night} of {sends} messages from {node_id} went out between 22:00 and 06:00 in the "
                "contact's time zone (the workflow's when the contact's is unknown). A send window on the "
                "node or the workflow would hold them until morning.",
                nightSends=night,
                sends=sends,
                share=round(share, 4),
            )
        )
    return out


def quiet_goals(d: Definition, f: Figures, *, now: datetime) -> list[dict[str, Any]]:
    if f.started_recently < MIN_ENTRIES:
        return []
    since = now - timedelta(days=QUIET_DAYS)
    out = []
    for goal in d.goals:
        if not isinstance(goal, dict) or goal.get("id") is None:
            continue
        goal_id = str(goal["id"])
        times = [last for (g, _n), (_c, last) in f.goals.items() if g == goal_id and last is not None]
        last = max(times) if times else None
        if last is not None and last >= since:
            continue
        when = f"last on {last.date().isoformat()}" if last else "never"
        out.append(
            _insight(
                "goal_never_reached",
                "warning",
                None,
                f"No run reached goal {goal_id} in {QUIET_DAYS} days",
                f"{f.started_recently} runs started in the last {QUIET_DAYS} days and none reached goal "
                f"{goal_id} ({when}). Check the goal's event and conditions.",
                goalId=goal_id,
                startedRecently=f.started_recently,
                lastReachedAt=last.isoformat() if last else None,
            )
        )
    return out


def untaken_branches(d: Definition, f: Figures) -> list[dict[str, Any]]:
    taken: dict[tuple[str, str], int] = {}
    for (source, _target, went), runs in f.edges.items():
        taken[(source, went)] = taken.get((source, went), 0) + runs
    out = []
    for source, target, branch in definition_edges(d):
        if branch is None:
            continue
        entered = int(f.nodes.get(source, {}).get("entered", 0))
        if entered < MIN_ENTRIES or taken.get((source, branch), 0):
            continue
        out.append(
            _insight(
                "branch_never_taken",
                "info",
                source,
                f"No run took branch {branch} of {source}",
                f"{source} was entered {entered} times and never took its {branch!r} branch (to {target}). "
                "Its condition may never hold, or the branch may be unnecessary.",
                branch=branch,
                target=target,
                entered=entered,
            )
        )
    return out


def insights(d: Definition, f: Figures, *, now: datetime) -> list[dict[str, Any]]:
    return [
        *split_winners(f),
        *failure_rates(d, f),
        *goals_before_nodes(d, f),
        *night_sends(d, f),
        *quiet_goals(d, f, now=now),
        *untaken_branches(d, f),
    ]
