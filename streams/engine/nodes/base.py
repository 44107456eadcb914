"""What a node handler returns, and the shape of a handler.

A handler gets the step context, the (already cloned) run, the run's plan, the node and the node's action
key ``{runId}:{nodeId}:{visit}``. It emits its own action effects through ``ctx.emit`` and returns what the
run does next; the runner records the step and moves the run. Handlers never raise on data: bad data is a
``Fail`` with a message the operator can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["Continue", "Fail", "NodeHandler", "Outcome", "Wait"]


@dataclass(frozen=True, slots=True)
class Continue:
    """The node is done; go to ``target`` (None ends the run as completed). ``input``, when set, is what the
    step record shows as the node's input (what it actually sent, redacted) instead of its configuration."""

    target: str | None
    output: dict[str, Any] = field(default_factory=dict)
    input: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Wait:
    """The run waits for a timer (delay, wait_until) or for an action result guarded by a timeout timer."""

    timer_kind: str
    due_at: int
    action_key: str | None = None


@dataclass(frozen=True, slots=True)
class Fail:
    message: str


Outcome = Continue | Wait | Fail
Execute = Callable[["StepContext", "Run", "Plan", "PlanNode", str], Outcome]
Prepare = Callable[["PlanNode"], None]


@dataclass(frozen=True, slots=True)
class NodeHandler:
    """``prepare`` runs once at compile time to precompute ``node.config``; ``execute`` runs per visit."""

    execute: Execute
    prepare: Prepare | None = None
