"""The definitions a worker holds: every loaded version (for in-flight runs) and, per workflow, an
active-version pointer; plus a compiled trigger index (tenant, event type) -> startable workflows, and each
tenant's frequency caps (policies every message node obeys).

A workflow starts runs only when its pointer names a loaded version whose status is ``active`` (paused,
archived and draft versions never start runs; ``start_any_status=True`` lifts that for ``simulate``).
In-flight runs keep running on the version they are pinned to as long as that version stays loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from streams.engine.caps import FrequencyCap
from streams.engine.matching import TriggerMatcher
from streams.engine.model import Plan, WorkflowDefinition

__all__ = ["DefinitionIndex"]

Key = tuple[str, str]
_NO_MATCHER = TriggerMatcher(())


class DefinitionIndex:
    def __init__(
        self,
        definitions: Iterable[WorkflowDefinition] = (),
        *,
        active: Mapping[str, int] | None = None,
        start_any_status: bool = False,
    ) -> None:
        """``active`` maps workflow id -> active version; when omitted, each workflow's highest version
        with status ``active`` is its active version."""
        self._start_any_status = start_any_status
        self._versions: dict[tuple[str, int], WorkflowDefinition] = {}
        self._plans: dict[tuple[str, int], Plan] = {}
        self._pointer: dict[str, int] = {}
        self._indexed: dict[str, tuple[str, frozenset[str]]] = {}
        self._by_key: dict[Key, dict[str, WorkflowDefinition]] = {}
        self._cache: dict[Key, tuple[WorkflowDefinition, ...]] = {}
        self._plan_cache: dict[Key, tuple[Plan, ...]] = {}
        self._matchers: dict[Key, TriggerMatcher] = {}
        self._caps: dict[str, tuple[FrequencyCap, ...]] = {}
        loaded = list(definitions)
        for definition in loaded:
            self.add(definition)
        if active is None:
            for definition in sorted(loaded, key=lambda d: d.version):
                if definition.status == "active" or start_any_status:
                    self.set_active(definition.id, definition.version)
        else:
            for workflow_id, version in active.items():
                self.set_active(workflow_id, version)

    @property
    def simulated(self) -> bool:
        """Whether this is a simulation's index (``start_any_status``)."""
        return self._start_any_status

    def add_callee(self, definition: WorkflowDefinition) -> None:
        """Load a workflow that only a run_workflow node starts (a simulation's sub-workflows): it is active
        for run_workflow, and no event starts it through its trigger."""
        self.add(definition)
        self._pointer[definition.id] = definition.version

    # -- updates (the worker applies these as definition records arrive) ---------------------------------
    def add(self, definition: WorkflowDefinition) -> None:
        """Load (or replace) one compiled version; re-index if it is the active one."""
        key = (definition.id, definition.version)
        self._versions[key] = definition
        self._plans[key] = definition.plan
        if self._pointer.get(definition.id) == definition.version:
            self._reindex(definition.id)

    def remove(self, workflow_id: str, version: int) -> None:
        self._versions.pop((workflow_id, version), None)
        self._plans.pop((workflow_id, version), None)
        if self._pointer.get(workflow_id) == version:
            self._reindex(workflow_id)

    def set_active(self, workflow_id: str, version: int | None) -> None:
        """Point a workflow at its active version; None stops it from starting runs."""
        if version is None:
            self._pointer.pop(workflow_id, None)
        else:
            self._pointer[workflow_id] = version
        self._reindex(workflow_id)

    def set_frequency_caps(self, tenant_id: str, caps: tuple[FrequencyCap, ...]) -> None:
        """The tenant's frequency caps (streams.engine.caps); an empty tuple lifts them."""
        if caps:
            self._caps[tenant_id] = caps
        else:
            self._caps.pop(tenant_id, None)

    def _reindex(self, workflow_id: str) -> None:
        previous = self._indexed.pop(workflow_id, None)
        if previous is not None:
            tenant, types = previous
            for event_type in types:
                self._by_key.get((tenant, event_type), {}).pop(workflow_id, None)
                self._cache.pop((tenant, event_type), None)
                self._plan_cache.pop((tenant, event_type), None)
                self._matchers.pop((tenant, event_type), None)
        definition = self.active(workflow_id)
        if definition is None:
            return
        plan = definition.plan
        self._indexed[workflow_id] = (plan.tenant_id, plan.trigger_event_types)
        for event_type in plan.trigger_event_types:
            key = (plan.tenant_id, event_type)
            self._by_key.setdefault(key, {})[workflow_id] = definition
            self._cache.pop(key, None)
            self._plan_cache.pop(key, None)
            self._matchers.pop(key, None)

    # -- queries -----------------------------------------------------------------------------------------
    def frequency_caps(self, tenant_id: str) -> tuple[FrequencyCap, ...]:
        return self._caps.get(tenant_id, ())

    def get(self, workflow_id: str, version: int) -> WorkflowDefinition | None:
        return self._versions.get((workflow_id, version))

    def plan(self, workflow_id: str, version: int) -> Plan | None:
        return self._plans.get((workflow_id, version))

    def active(self, workflow_id: str) -> WorkflowDefinition | None:
        """The version that starts new runs, or None when the workflow starts none."""
        version = self._pointer.get(workflow_id)
        if version is None:
            return None
        definition = self._versions.get((workflow_id, version))
        if definition is None or (definition.status != "active" and not self._start_any_status):
            return None
        return definition

    def active_version(self, workflow_id: str) -> int | None:
        return self._pointer.get(workflow_id)

    def candidates(self, tenant_id: str, event_type: str) -> tuple[WorkflowDefinition, ...]:
        """Active workflows of the tenant whose trigger listens to this event type."""
        key = (tenant_id, event_type)
        cached = self._cache.get(key)
        if cached is None:
            listeners = self._by_key.get(key)
            if not listeners:
                return ()  # not cached: arbitrary event types must not grow the caches
            cached = tuple(listeners.values())
            self._cache[key] = cached
        return cached

    def candidate_plans(self, tenant_id: str, event_type: str) -> tuple[Plan, ...]:
        """``candidates`` as compiled plans (the step function's hot path)."""
        key = (tenant_id, event_type)
        cached = self._plan_cache.get(key)
        if cached is None:
            definitions = self.candidates(tenant_id, event_type)
            if not definitions:
                return ()
            cached = tuple(d.plan for d in definitions)
            self._plan_cache[key] = cached
        return cached

    def matcher(self, tenant_id: str, event_type: str) -> TriggerMatcher:
        """The compiled matcher for (tenant, event type): narrows candidates by equality conditions."""
        key = (tenant_id, event_type)
        matcher = self._matchers.get(key)
        if matcher is None:
            if not self._by_key.get(key):
                return _NO_MATCHER  # most events start nothing; not cached, see candidates
            plans = self.candidate_plans(tenant_id, event_type)
            if not plans:
                return _NO_MATCHER
            matcher = TriggerMatcher(plans)
            self._matchers[key] = matcher
        return matcher

    def __len__(self) -> int:
        return len(self._versions)
