"""What a node handler returns, and the shape of a handler: everything one node type is, in one object.

A handler gets the step context, the (already cloned) run, the run's plan, the node and the node's action
key ``{runId}:{nodeId}:{visit}``. It emits its own action effects through ``ctx.emit`` and returns what the
run does next; the runner records the step and moves the run. Handlers never raise on data: bad data is a
``Fail`` with a message the operator can act on.

Besides ``execute`` a handler may declare: ``check`` (validation of its ``data``, with JSON paths),
``prepare`` (compile-time settings), ``branches`` (the named branches its edges carry; a handler without
it has one plain outgoing edge), ``terminal`` (no outgoing edges at all), ``on_timer`` (what happens when
the timer it waits on fires, when that is not simply "go on"), ``on_event`` (whether an event it waits
for has come) and ``on_run_ended`` (a run it started and waits for, a sub-workflow, has ended).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.rules import Collector
    from streams.engine.state import Run

__all__ = ["Branch", "Continue", "Fail", "NodeHandler", "Outcome", "Wait"]

# Outcomes are built on every node visit and read once by the runner: plain slotted dataclasses, not
# frozen ones (a frozen dataclass sets each field through object.__setattr__, several times slower).


@dataclass(slots=True)
class Continue:
    """The node is done; go to ``target`` (None ends the run as completed). ``input``, when set, is what the
    step record shows as the node's input (what it actually sent, redacted) instead of its configuration.
    ``variables`` are set on the run (later nodes and templates read them by name). ``status`` is the
    step's: ``skipped`` (with ``reason`` as its error message) records a node that chose not to act."""

    target: str | None
    output: dict[str, Any] = field(default_factory=dict)
    input: dict[str, Any] | None = None
    variables: Mapping[str, Any] | None = None
    status: str = "completed"
    reason: str | None = None


@dataclass(slots=True)
class Wait:
    """The run waits for a timer (delay, wait_until, a send window, an event's timeout) or for an action
    result guarded by a timeout timer (``action_key`` set)."""

    timer_kind: str
    due_at: int
    action_key: str | None = None


@dataclass(slots=True)
class Fail:
    message: str


@dataclass(frozen=True, slots=True)
class Branch:
    """One named branch of a branching node. ``at`` is the JSON path under the node that defines it (``""``
    for the node itself) and ``describe`` the problem's message when no edge carries it (``{node}`` is
    replaced by the node's id); ``code`` is that problem's code."""

    key: str
    describe: str
    at: str = ""
    code: str = "missing_branch"


Outcome = Continue | Wait | Fail
Execute = Callable[["StepContext", "Run", "Plan", "PlanNode", str], Outcome]
Prepare = Callable[["PlanNode"], None]
Check = Callable[[dict[str, Any], str, "Collector"], None]
# None: with this data the node has one plain outgoing edge (run_workflow without wait).
Branches = Callable[[dict[str, Any]], list[Branch] | None]
OnTimer = Callable[["StepContext", "Run", "Plan", "PlanNode", str], Outcome]
OnEvent = Callable[["StepContext", "Run", "Plan", "PlanNode"], Outcome | None]
OnRunEnded = Callable[["StepContext", "Run", "Plan", "PlanNode", "Run"], Outcome | None]


@dataclass(frozen=True, slots=True)
class NodeHandler:
    """``prepare`` runs once at compile time to precompute ``node.config``; ``execute`` runs per visit.

    ``check(data, path, out)`` validates the node's data (``path`` is ``$.nodes[i].data``); it must accept
    any JSON without raising. ``branches(data)`` lists the branches; the graph rules call it on data that
    ``check`` may have refused, so it must tolerate any dict. ``on_timer`` resumes the run when
    its timer fires (default: record the wait and follow the plain edge); ``on_event`` is offered every
    non-internal event while the run waits with ``wait_kind`` ``event`` and returns None to keep waiting.
    ``on_run_ended(ctx, run, plan, node, child)`` is called when a run this run started (its trigger names it
    as ``parent``) has ended, in the same step; None keeps waiting."""

    execute: Execute
    prepare: Prepare | None = None
    check: Check | None = None
    branches: Branches | None = None
    terminal: bool = False
    on_timer: OnTimer | None = None
    on_event: OnEvent | None = None
    on_run_ended: OnRunEnded | None = None
