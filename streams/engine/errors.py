"""Errors of the engine.

Hierarchy::

    EngineError                 root: catch this to catch everything the engine raises on purpose
    ├── DefinitionError         a workflow definition failed validation (carries every Problem)
    ├── EventError              an event envelope is malformed (the bridge dead-letters it)
    └── StateError              a state record cannot be decoded or does not belong to the event

Business outcomes (a failed condition, a missing definition version, a failed action) never raise: they
become failed runs and effects. These errors are for malformed input at the edges and programmer mistakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.engine.validation import Problem

__all__ = ["DefinitionError", "EngineError", "EventError", "StateError"]


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""


class DefinitionError(EngineError):
    """A workflow definition is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(f"{p.path}: {p.message}" for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"invalid workflow definition: {shown}{more}")


class EventError(EngineError):
    """An event envelope is malformed; the message says which field and why."""


class StateError(EngineError):
    """A contact state record is malformed or does not match the event being applied.

    A stored record that fails to decode means the state table holds data this engine version does not
    understand: roll back to the version that wrote it, or rebuild the table from the changelog.
    """
