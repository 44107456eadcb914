"""Key layout of the ``contacts`` table: one RocksDB store per partition, three key families.

* ``S|{tenantId}|{contactId}`` -> the contact's state (``ContactState.to_dict()`` as JSON);
* ``T|{due ms, 8 bytes big-endian}|{tenantId}|{contactId}|{timerId}`` -> the timer (JSON), so a range scan
  from ``T|`` up to ``T|{now}`` finds exactly the due timers, oldest first;
* ``K|{workflowId}`` -> the last schedule tick this partition enrolled (JSON);
* ``A|{tenantId}|{contactId}|{idempotencyKey}`` -> a pending HTTP action (the effect as JSON): written in the
  commit unit that emits it, deleted in the one that applies its result or where its run stops waiting on
  it; the executor takes it from the store (``streams.actions``), so it survives a restart or a move;
* ``P|`` -> the offset of the last ``workflows.events`` record applied to this partition, written in the
  same write batch (and changelog) as the states it produced: where `streams.reader` resumes reading
  the partition.

State and timers live in one table on purpose: a commit unit's changelog records for one partition go to
one changelog partition in order (timers and actions before state), so a state that waits on a timer or an
action never reaches Kafka without that key.
"""

from __future__ import annotations

from typing import Final

STATE_PREFIX: Final = b"S|"
TIMER_PREFIX: Final = b"T|"
SCHEDULE_PREFIX: Final = b"K|"
ACTION_PREFIX: Final = b"A|"
POSITION_KEY: Final = b"P|"
_PREFIX_END: Final = {STATE_PREFIX: b"S}", TIMER_PREFIX: b"T}", SCHEDULE_PREFIX: b"K}", ACTION_PREFIX: b"A}"}


def state_key(tenant_id: str, contact_id: str) -> bytes:
    return STATE_PREFIX + f"{tenant_id}|{contact_id}".encode()


def timer_key(due_ms: int, tenant_id: str, contact_id: str, timer_id: str) -> bytes:
    return TIMER_PREFIX + _due(due_ms) + f"|{tenant_id}|{contact_id}|{timer_id}".encode()


def timers_due_until(now_ms: int) -> bytes:
    """Exclusive upper bound of the keys due at or before ``now_ms``."""
    return TIMER_PREFIX + _due(now_ms + 1)


def action_key(tenant_id: str, contact_id: str, idempotency_key: str) -> bytes:
    return ACTION_PREFIX + f"{tenant_id}|{contact_id}|{idempotency_key}".encode()


def schedule_key(workflow_id: str) -> bytes:
    return SCHEDULE_PREFIX + workflow_id.encode()


def prefix_end(prefix: bytes) -> bytes:
    """Exclusive upper bound of a key family (``|`` + 1 is ``}``)."""
    return _PREFIX_END[prefix]


def timer_due(key: bytes) -> int:
    return int.from_bytes(key[2:10], "big")


def _due(ms: int) -> bytes:
    return max(ms, 0).to_bytes(8, "big")
