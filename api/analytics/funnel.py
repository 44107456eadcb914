"""The per-node funnel and edge traffic of a definition, from the read models' figures. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from streams.engine.model import START, branch_of

NODE_FIGURES: Final = ("entered", "completed", "failed", "skipped")
EdgeCounts = Mapping[tuple[str, str, str], int]  # (source, target, branch or '') -> runs


@dataclass(frozen=True, slots=True)
class Definition:
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    goals: list[dict[str, Any]]


def definition_nodes(definition: Definition) -> list[tuple[str, str]]:
    """(id, type) of the definition's nodes, in its order."""
    return [
        (str(n["id"]), str(n.get("type", "")))
        for n in definition.nodes
        if isinstance(n, dict) and isinstance(n.get("id"), str)
    ]


def definition_edges(definition: Definition) -> list[tuple[str, str, str | None]]:
    return [
        (str(e["source"]), str(e["target"]), branch_of(e))
        for e in definition.edges
        if isinstance(e, dict) and isinstance(e.get("source"), str) and isinstance(e.get("target"), str)
    ]


def left_along_edges(edges: EdgeCounts) -> dict[str, int]:
    out: dict[str, int] = {}
    for (source, _target, _branch), runs in edges.items():
        out[source] = out.get(source, 0) + runs
    return out


def funnel(
    definition: Definition,
    *,
    nodes: Mapping[str, Mapping[str, int]],
    edges: EdgeCounts,
    waiting: Mapping[str, int],
    started: int,
) -> dict[str, Any]:
    """``nodes``: figures per node id; ``waiting``: running runs per current node; ``started``: runs started
    (the traffic of the trigger's edges)."""
    left = left_along_edges(edges)
    # A run that ends at a node without outgoing edges finished the journey there: not a drop-off.
    exits = {source for source, _target, _branch in definition_edges(definition)}
    node_rows = []
    for node_id, node_type in definition_nodes(definition):
        figures = nodes.get(node_id, {})
        entered = int(figures.get("entered", 0))
        waiting_now = int(waiting.get(node_id, 0))
        dropped = max(0, entered - waiting_now - left.get(node_id, 0)) if node_id in exits else 0
        node_rows.append(
            {
                "node_id": node_id,
                "node_type": node_type,
                **{f: int(figures.get(f, 0)) for f in NODE_FIGURES},
                "waiting_now": waiting_now,
                "dropped_off": dropped,
                "drop_off_rate": round(dropped / entered, 4) if entered else 0.0,
            }
        )
    edge_rows = []
    seen: set[tuple[str, str, str]] = set()
    for source, target, branch in definition_edges(definition):
        key = (source, target, branch or "")
        if key in seen:
            continue
        seen.add(key)
        runs = started if source == START else edges.get(key, 0)
        edge_rows.append({"source": source, "target": target, "branch": branch, "runs": runs})
    for (source, target, branch), runs in sorted(edges.items()):
        if (source, target, branch) not in seen and runs:
            # Traffic along an edge the definition no longer has (another version's).
            edge_rows.append({"source": source, "target": target, "branch": branch or None, "runs": runs})
    return {"nodes": node_rows, "edges": edge_rows}
