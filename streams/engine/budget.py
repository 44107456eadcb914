"""The per-contact state budget: trim what the engine only remembers for convenience, oldest first.

The worker stores a contact's state whole, as one Kafka record, on every event. A state past the broker's
record limit can never be written again, so before that the worker calls ``fit_state`` with its budget.
What goes, in this order, until the state fits:

1. finished-run memory (re-entry "once" and the started-run check forget the oldest finished workflows);
2. the bodies of kept action responses in active runs (status and durationMs stay, ``truncated: true``);
3. the largest remaining variables of active runs, oldest run first (replaced by ``{"truncated": true}``).

Runs themselves, their trigger summary, the profile and the applied-event window are never trimmed: they
are what makes the next event's outcome correct. A state that still does not fit is returned most-trimmed,
and the caller refuses (dead-letters) the event that grew it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Final

from streams.engine.limits import MAX_KEPT_RESPONSE_BYTES
from streams.engine.state import ContactState, FinishedRun, Run

__all__ = ["TRIMMED", "fit_state", "is_kept_response", "kept_output", "trimmed_response"]

# What a trimmed variable becomes: conditions on it see a value, and an operator sees why it is empty.
TRIMMED: Final = {"truncated": True}
_TRIMMED_BYTES: Final = len('{"truncated":true}')


def is_kept_response(value: Any) -> bool:
    """An action output as the executor reports it: {"status", "body", "truncated", "durationMs"}."""
    return isinstance(value, dict) and "body" in value and "status" in value


def trimmed_response(value: dict[str, Any]) -> dict[str, Any]:
    """The response without its body: what conditions on the status still need."""
    kept: dict[str, Any] = {k: value[k] for k in ("status", "durationMs") if k in value}
    kept["body"] = None
    kept["truncated"] = True
    return kept


def kept_output(output: dict[str, Any], *, limit: int = MAX_KEPT_RESPONSE_BYTES) -> dict[str, Any]:
    """What a run keeps of an action's output (its variable and the step record): a body over ``limit``
    bytes as JSON becomes the first ``limit`` bytes of that JSON text, with ``truncated: true``; status,
    durationMs and the other fields stay. An output without a body is capped the same way as a whole."""
    if "body" in output:
        body = output["body"]
        text = body if isinstance(body, str) else _json(body)
        if len(text) <= limit // 4 or len(encoded := text.encode()) <= limit:
            return output  # the common case: small, kept as it came (cheap check first)
        kept = dict(output)
        kept["body"] = _prefix(encoded, limit)
        kept["truncated"] = True
        return kept
    text = _json(output)
    if len(text) <= limit // 4 or len(encoded := text.encode()) <= limit:
        return output
    return {"value": _prefix(encoded, limit), "truncated": True}


def _prefix(encoded: bytes, limit: int) -> str:
    # Cut on a character boundary: a partial UTF-8 sequence at the end is dropped.
    return encoded[:limit].decode(errors="ignore")


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _bytes(value: Any) -> int:
    # An estimate of what the caller's serializer spends (compact JSON, UTF-8): it decides when to measure
    # again with the real ``size``, never whether the state fits.
    return len(_json(value).encode())


def fit_state(state: ContactState, *, max_bytes: int, size: Callable[[ContactState], int]) -> ContactState:
    """A state whose size(state) <= max_bytes when trimming can get there, else the most trimmed state (the
    caller checks and dead-letters). Pure; `size` is injected (the worker passes
    len(orjson.dumps(s.to_dict()))). The input state is returned itself when it already fits, and is never
    changed."""
    current = size(state)
    if current <= max_bytes:
        return state
    trim = _Trim(state)
    pending = 0
    for saved in trim.steps():
        pending += saved
        if current - pending <= max_bytes:
            candidate = trim.build()
            current = size(candidate)
            pending = 0
            if current <= max_bytes:
                return candidate
    return trim.build()


class _Trim:
    """A copy-on-write working copy: the input state and its runs are never changed."""

    def __init__(self, state: ContactState) -> None:
        self.state = state
        self.finished: dict[str, FinishedRun] = dict(state.finished)
        self.runs: dict[str, Run] = dict(state.runs)
        self._owned: set[str] = set()

    def _touch(self, run_id: str) -> Run:
        run = self.runs[run_id]
        if run_id not in self._owned:
            run = run.clone()
            self.runs[run_id] = run
            self._owned.add(run_id)
        return run

    def steps(self) -> Iterator[int]:
        """Apply one trim per iteration, oldest first, yielding the bytes it is estimated to save."""
        for workflow_id in list(self.finished):
            yield _bytes(self.finished.pop(workflow_id).to_dict()) + 1
        for run_id in list(self.runs):
            for name, value in list(self.runs[run_id].variables.items()):
                if is_kept_response(value) and value.get("body") is not None:
                    smaller = trimmed_response(value)
                    self._touch(run_id).variables[name] = smaller
                    yield _bytes(value) - _bytes(smaller)
        for run_id in list(self.runs):
            # A response without its body is already as small as it gets and keeps the status conditions need.
            sized = [
                (_bytes(v), name)
                for name, v in self.runs[run_id].variables.items()
                if not (is_kept_response(v) and v.get("body") is None)
            ]
            for weight, name in sorted(sized, reverse=True):
                if weight <= _TRIMMED_BYTES:
                    break
                self._touch(run_id).variables[name] = dict(TRIMMED)
                yield weight - _TRIMMED_BYTES

    def build(self) -> ContactState:
        s = self.state
        return ContactState(
            s.tenant_id, s.contact_id, s.profile, dict(self.runs), dict(self.finished), s.applied, s.sends
        )
