"""Graph rules of a definition: edges, branches, reachability and cycles (part of ``validate``).

A branching node (condition, switch, split) needs one edge per branch: an unconnected branch is where a
visual editor left a dangling handle, and a run that takes it would end silently. An ``end`` node has no
outgoing edges. An edge names its branch with ``branch``, ``label`` or ``sourceHandle`` (``branch_of``).
Problems about one node carry its ``nodeId``; problems about one edge carry its ``edgeId`` (when the edge
has an ``id``) and the ``nodeId`` of its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from streams.engine.model import START, branch_of
from streams.engine.nodes import HANDLERS, Branch
from streams.engine.rules import Collector

__all__ = ["GRAPH_COMPLETENESS_CODES", "NodeInfo", "check_edges"]

# Codes of an incomplete (not an inconsistent) graph: refused when a definition is written, but tolerated
# when a stored version is compiled, so versions stored before these rules keep loading in the worker. At
# run time an unconnected branch ends the run and an end node's edges are never followed.
GRAPH_COMPLETENESS_CODES: Final = frozenset({"missing_branch", "missing_default_branch", "end_has_edges"})
MAX_EDGE_ID_LENGTH: Final = 200


@dataclass(slots=True)
class NodeInfo:
    """The well-formed nodes, for the graph checks: id -> type, data and index in the nodes list."""

    types: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)


class _Out(NamedTuple):
    position: int  # in the edges list
    target: str
    branch: str | None
    edge_id: str | None
    branch_key: str  # which field named the branch, for the problem's path


Outgoing = dict[str, list[_Out]]


def _branch_key(edge: dict[str, Any]) -> str:
    for key in ("branch", "label", "sourceHandle"):
        if edge.get(key) is not None:
            return key
    return "branch"


def check_edges(edges: Any, nodes: NodeInfo, out: Collector) -> None:
    types = nodes.types
    if not isinstance(edges, list):
        out.add("$.edges", "invalid_type", "edges must be a list")
        return
    outgoing: Outgoing = {}
    for i, edge in enumerate(edges):
        path = f"$.edges[{i}]"
        if not isinstance(edge, dict):
            out.add(path, "invalid_type", "an edge must be an object")
            continue
        source, target = edge.get("source"), edge.get("target")
        raw_id = edge.get("id")
        # Named only when it is an id an editor could have made (problems never echo a huge value).
        edge_id = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= MAX_EDGE_ID_LENGTH else None
        ok = True
        with out.about(edge_id=edge_id):
            if not isinstance(source, str) or (source != START and source not in types):
                out.add(
                    f"{path}.source",
                    "unknown_edge_source",
                    f"edge source {source!r} is not a node or 'trigger'",
                )
                ok = False
            if not isinstance(target, str) or target not in types:
                out.add(f"{path}.target", "unknown_edge_target", f"edge target {target!r} is not a node")
                ok = False
        if ok and isinstance(source, str) and isinstance(target, str):
            outgoing.setdefault(source, []).append(
                _Out(i, target, branch_of(edge), edge_id, _branch_key(edge))
            )
    _check_outgoing(outgoing, nodes, out)
    _check_branches_connected(outgoing, nodes, out)
    _check_graph(outgoing, nodes, out)


def _branches(kind: str, data: Any) -> list[Branch] | None:
    """A node's named branches (its handler's ``branches``); None for nodes with one plain edge."""
    handler = HANDLERS.get(kind)
    if handler is None or handler.branches is None:
        return None
    return handler.branches(data if isinstance(data, dict) else {})


def _check_outgoing(outgoing: Outgoing, nodes: NodeInfo, out: Collector) -> None:
    for source, targets in outgoing.items():
        kind = nodes.types.get(source, "")
        handler = HANDLERS.get(kind)
        if handler is not None and handler.terminal:
            for edge in targets:
                out.add(
                    f"$.edges[{edge.position}]",
                    "end_has_edges",
                    f"{kind} node {source!r} ends the run: it cannot have outgoing edges",
                    node_id=source,
                    edge_id=edge.edge_id,
                )
            continue
        branches = _branches(kind, nodes.data.get(source))
        if branches is None:
            if len(targets) > 1:
                extra = targets[1]
                out.add(
                    f"$.edges[{extra.position}]",
                    "multiple_outgoing_edges",
                    f"{source!r} may have only one outgoing edge",
                    node_id=source if source != START else None,
                    edge_id=extra.edge_id,
                )
            continue
        allowed = {b.key for b in branches}
        seen: set[str] = set()
        for edge in targets:
            branch, path = edge.branch, f"$.edges[{edge.position}].{edge.branch_key}"
            if branch is None or branch not in allowed:
                message = f"{kind} {source!r} has no branch {branch!r}"
            elif branch in seen:
                message = f"branch {branch!r} of {source!r} is used twice"
            else:
                seen.add(branch)
                continue
            out.add(path, "unknown_branch", message, node_id=source, edge_id=edge.edge_id)


def _check_branches_connected(outgoing: Outgoing, nodes: NodeInfo, out: Collector) -> None:
    """Every branch of every branching node has an edge (checked for nodes with no edges at all, too)."""
    for node_id, kind in nodes.types.items():
        branches = _branches(kind, nodes.data.get(node_id))
        if not branches:
            continue
        connected = {edge.branch for edge in outgoing.get(node_id, ())}
        at = f"$.nodes[{nodes.index[node_id]}]"
        with out.about(node_id=node_id):
            for branch in branches:
                if branch.key not in connected:
                    out.add(at + branch.at, branch.code, branch.describe.replace("{node}", repr(node_id)))


def _check_graph(outgoing: Outgoing, nodes: NodeInfo, out: Collector) -> None:
    reachable: set[str] = set()
    stack = [edge.target for edge in outgoing.get(START, [])]
    while stack:
        node = stack.pop()
        if node not in reachable:
            reachable.add(node)
            stack.extend(edge.target for edge in outgoing.get(node, []))
    order = list(nodes.types)
    for node in order:
        if node not in reachable:
            out.add(
                f"$.nodes[{nodes.index[node]}]",
                "unreachable_node",
                f"node {node!r} is not reachable from the trigger",
                node_id=node,
            )
    # Iterative three-colour DFS: recursion would hit the limit on a 100-node chain plus nesting.
    colour: dict[str, int] = {}
    for root in order:
        if colour.get(root):
            continue
        path = [(root, iter([edge.target for edge in outgoing.get(root, [])]))]
        colour[root] = 1
        while path:
            node, children = path[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                path.pop()
            elif colour.get(child) == 1:
                out.add(
                    "$.edges",
                    "cycle",
                    f"edges form a cycle through {child!r} (loops are not supported)",
                    node_id=child,
                )
                return
            elif not colour.get(child):
                colour[child] = 1
                path.append((child, iter([edge.target for edge in outgoing.get(child, [])])))
