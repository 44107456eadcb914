"""Definition records (``workflows.definitions``, see ``workflows.wire``) applied to a ``DefinitionIndex``.

Every version stays loaded while its record exists, so in-flight runs keep their pinned version whatever
the pointer says. The ``{workflowId}:active`` pointer alone decides what starts runs:

* status ``active`` with a version: that version starts runs (whatever status its own record was stored with);
* ``paused``, ``archived``, ``draft``, a null version or a tombstone: no new runs. In-flight runs continue to
  their end on their pinned version; nothing is cancelled implicitly (an operator cancels runs explicitly).

``policy:{tenantId}:frequency-caps`` records carry the tenant's frequency caps (a tombstone lifts them).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from streams.engine import DefinitionError, DefinitionIndex, Plan, WorkflowDefinition, compile_definition
from streams.engine.caps import check_caps, compile_caps
from workflows.wire import ACTIVE_SUFFIX, POLICY_PREFIX, frequency_caps_tenant

log = logging.getLogger("streams.definitions")


class DefinitionFeed:
    def __init__(self, index: DefinitionIndex | None = None) -> None:
        self.index = index if index is not None else DefinitionIndex()
        self._raw: dict[tuple[str, int], dict[str, Any]] = {}
        self._pointers: dict[str, tuple[int, str]] = {}
        self.applied = 0
        self.rejected = 0

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record; a malformed record is logged and counted, never raised."""
        if key is None:
            self.rejected += 1
            return
        text = key.decode(errors="replace")
        workflow_id, _, suffix = text.rpartition(":")
        try:
            if text.startswith(POLICY_PREFIX):
                self._apply_policy(text, value)
            elif suffix == ACTIVE_SUFFIX:
                self._apply_pointer(workflow_id, value)
            else:
                self._apply_version(workflow_id, int(suffix), value)
        except (ValueError, TypeError, orjson.JSONDecodeError, DefinitionError) as exc:
            self.rejected += 1
            log.warning(
                "definition record rejected",
                extra={"key": key.decode(errors="replace"), "reason": str(exc)[:500]},
            )
            return
        self.applied += 1

    def _apply_policy(self, key: str, value: bytes | None) -> None:
        """A tenant's frequency caps: the engine reads them through the index; a tombstone lifts them."""
        tenant_id = frequency_caps_tenant(key)
        if tenant_id is None:
            raise ValueError("unknown policy record")
        document = orjson.loads(value) if value is not None else None
        if document is not None and check_caps(document):
            raise ValueError(f"invalid frequency caps: {check_caps(document)[0].message}")
        self.index.set_frequency_caps(tenant_id, compile_caps(document))

    def _apply_version(self, workflow_id: str, version: int, value: bytes | None) -> None:
        if value is None:
            self._raw.pop((workflow_id, version), None)
            self.index.remove(workflow_id, version)
            return
        raw = orjson.loads(value)
        if not isinstance(raw, dict):
            raise TypeError("a definition record must be a JSON object")
        raw.setdefault("id", workflow_id)
        raw.setdefault("version", version)
        compiled = self._compiled(raw, workflow_id, version)  # a version that does not compile is not kept
        self._raw[(workflow_id, version)] = raw
        self.index.add(compiled)

    def _apply_pointer(self, workflow_id: str, value: bytes | None) -> None:
        pointer = orjson.loads(value) if value is not None else None
        if pointer is None:
            self._pointers.pop(workflow_id, None)
            self.index.set_active(workflow_id, None)
            return
        if not isinstance(pointer, dict):
            raise TypeError("an active pointer must be a JSON object")
        version, status = pointer.get("version"), pointer.get("status")
        if not isinstance(version, int) or status != "active":
            self._pointers.pop(workflow_id, None)
            self.index.set_active(workflow_id, None)
            return
        self._pointers[workflow_id] = (version, str(status))
        raw = self._raw.get((workflow_id, version))
        if raw is not None:
            self.index.add(self._compiled(raw, workflow_id, version))
        self.index.set_active(workflow_id, version)

    def schedule_plans(self) -> list[Plan]:
        """Active versions of schedule-triggered workflows (the pump enrols their audiences)."""
        plans = []
        for workflow_id in self._pointers:
            definition = self.index.active(workflow_id)
            if definition is not None and definition.plan.trigger_type == "schedule":
                plans.append(definition.plan)
        return plans

    def _compiled(self, raw: dict[str, Any], workflow_id: str, version: int) -> WorkflowDefinition:
        # The index starts runs only from versions whose own status is active; the pointer is the
        # authority, so a version the pointer activates is compiled as active.
        pointed = self._pointers.get(workflow_id)
        if pointed is not None and pointed[0] == version and raw.get("status") != "active":
            raw = {**raw, "status": "active"}
        return compile_definition(raw)
