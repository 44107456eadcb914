"""Pending HTTP actions as durable keys (``A|...``, see ``streams.keys``) and the sweep that hands them out.

The processor writes an action's key in the commit unit that emits it, and deletes it in the unit where its
run stops waiting on it (its result applied, the run cancelled or erased, the action timed out). The
executor never gets an action straight from a unit while holding the store lock if it has no room: the
sweep (``pending_actions``) offers the owned partitions' keys that are neither in flight nor recently done
whenever the executor has a free slot, after the partitions were assigned, and periodically. So a full
executor never blocks a unit, and an action pending when the worker stops is called after it restarts (the
key was changelogged with the state that waits on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from streams.engine import CallWebhook, ContactState, Effect, SendSlack
from streams.keys import ACTION_PREFIX, prefix_end
from streams.store import PartitionStore

HttpAction = CallWebhook | SendSlack


def is_action(effect: Effect) -> bool:
    return isinstance(effect, CallWebhook | SendSlack)


def encode_action(effect: HttpAction) -> bytes:
    return orjson.dumps(effect.to_dict())


def decode_action(value: bytes) -> HttpAction:
    d: dict[str, Any] = orjson.loads(value)
    head = (d["tenantId"], d["contactId"], d["runId"], d.get("nodeId"), d["idempotencyKey"])
    if d.get("kind") == CallWebhook.kind:
        return CallWebhook(
            *head,
            url=d["url"],
            method=d["method"],
            headers=d.get("headers") or {},
            body=d.get("body"),
            timeout_ms=int(d["timeoutMs"]),
        )
    if d.get("kind") == SendSlack.kind:
        return SendSlack(
            *head,
            webhook_url=d.get("webhookUrl"),
            channel=d.get("channel"),
            message=d.get("message") or "",
            blocks=d.get("blocks"),
            timeout_ms=int(d["timeoutMs"]),
        )
    raise ValueError(f"not an HTTP action: {d.get('kind')!r}")


def waited_actions(state: ContactState | None) -> frozenset[str]:
    """Idempotency keys of the actions the contact's runs wait on (an action key lives exactly that long)."""
    if state is None:
        return frozenset()
    return frozenset(r.wait_action_key for r in state.runs.values() if r.wait_action_key is not None)


def pending_actions(store: PartitionStore, partitions: Iterable[int]) -> Iterator[tuple[str, bytes]]:
    """(idempotency key, stored effect) of every pending action of these partitions."""
    for partition in sorted(partitions):
        for key, value in store.scan(partition, ACTION_PREFIX, prefix_end(ACTION_PREFIX)):
            yield key.rsplit(b"|", 1)[1].decode(), value
