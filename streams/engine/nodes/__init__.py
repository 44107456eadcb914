"""Node handlers, one table: every module of this package that defines ``HANDLERS`` (node type ->
``NodeHandler``) contributes its types, so a new node type is one module here plus its tests.

``NODE_TYPES`` and ``BRANCHING_TYPES`` are derived from the table; validation, the graph rules, the compiler
and the runner ask the handler, never the type's name.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Final

from streams.engine.nodes.base import Branch, Continue, Fail, NodeHandler, Outcome, Wait

__all__ = [
    "BRANCHING_TYPES",
    "HANDLERS",
    "NODE_TYPES",
    "Branch",
    "Continue",
    "Fail",
    "NodeHandler",
    "Outcome",
    "Wait",
]


def _collect() -> dict[str, NodeHandler]:
    table: dict[str, NodeHandler] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for kind, handler in getattr(module, "HANDLERS", {}).items():
            if kind in table:
                # Two modules claiming one type would make the winner depend on file names.
                raise ImportError(f"node type {kind!r} is defined twice (again in {module.__name__})")
            table[kind] = handler
    return table


HANDLERS: Final[dict[str, NodeHandler]] = _collect()
NODE_TYPES: Final = frozenset(HANDLERS)
BRANCHING_TYPES: Final = frozenset(kind for kind, h in HANDLERS.items() if h.branches is not None)
