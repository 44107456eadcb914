"""Dry runs: the engine's ``simulate`` on a stored version, a sample contact and events, virtual clock.

Budgets (``ApiSettings``): events per request (``simulate_max_events``), engine steps
(``simulate_max_steps``), virtual time after the start (``simulate_max_span_days``) and answer size
(``simulate_max_answer_bytes``). The first one reached stops the simulation and the request answers 422
``simulation_budget_exceeded`` naming the budget: a truncated path could be mistaken for the whole one.
The engine runs in a worker thread, at most ``simulate_concurrency`` at once, so the event loop keeps serving
other requests (one simulation once held it for 0.93 s).

The sample contact is the profile of a ``contact.created`` event that carries none of its own (no data at
all): the engine reads such an event's data as the whole profile, so ``{"type": "contact.created"}`` would
otherwise replace the sample contact with an empty one and simulate an empty path. An event with
``data.contact``, or with data that is itself a profile (the engine's rule), keeps its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from api import metrics
from api.auth import Principal
from api.config import ApiSettings
from api.errors import NotFoundError, UnprocessableError
from api.policies import service as policies
from api.workflow import repository, service
from api.workflow.schemas import SimulateIn
from api.workflow.subworkflows import active_subworkflows
from streams.engine import DefinitionError, EngineError, compile_definition
from streams.engine.event_types import CONTACT_CREATED
from streams.engine.simulate import SimulationBudget, SimulationBudgetError, simulate

_DAY_MS = 86_400_000


def _budget_error(exc: SimulationBudgetError) -> UnprocessableError:
    setting = {
        "steps": "WORKFLOWS_SIMULATE_MAX_STEPS",
        "span_ms": "WORKFLOWS_SIMULATE_MAX_SPAN_DAYS",
        "answer_bytes": "WORKFLOWS_SIMULATE_MAX_ANSWER_BYTES",
    }[exc.limit]
    metrics.SIMULATIONS.labels(exc.limit).inc()
    return UnprocessableError(
        f"simulation stopped: {exc}",
        code="simulation_budget_exceeded",
        details=[
            {"path": "$", "code": exc.limit, "message": str(exc), "limit": exc.maximum, "setting": setting}
        ],
    )


def _with_sample_profile(events: list[dict[str, Any]], contact: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``contact.created`` event without a profile of its own gets the sample contact (``data.contact``)."""
    out = []
    for event in events:
        data = event.get("data") or {}
        if event.get("type") == CONTACT_CREATED and not data:
            event = {**event, "data": {"contact": dict(contact)}}
        out.append(event)
    return out


def _answer_bytes(value: Mapping[str, Any]) -> int:
    return len(orjson.dumps(value))


def _simulate(
    raw: dict[str, Any],
    contact: dict[str, Any],
    events: list[dict[str, Any]],
    start_ms: int,
    *,
    auto: bool,
    budget: SimulationBudget,
    subworkflows: list[dict[str, Any]],
    frequency_caps: dict[str, Any],
) -> dict[str, Any]:
    """The CPU part, in a worker thread: compile, simulate, measure the answer exactly."""
    result = simulate(
        compile_definition(raw),
        contact,
        events,
        start_ms,
        auto_complete_actions=auto,
        budget=budget,
        subworkflows=subworkflows,
        frequency_caps=frequency_caps,
    )
    out = result.to_dict()
    out.pop("state", None)  # internal worker state; path, effects and runs are what a builder shows
    limit = budget.max_answer_bytes
    if limit is not None and (size := _answer_bytes(out)) > limit:
        raise SimulationBudgetError(
            "answer_bytes", limit, f"the answer would be {size} bytes, more than {limit}; simulate less"
        )
    return out


async def run(
    session: AsyncSession,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    body: SimulateIn,
    options: ApiSettings,
    slots: asyncio.Semaphore,
) -> dict[str, Any]:
    """``slots`` (one per app, ``simulate_concurrency`` wide) bounds the threads busy simulating: a burst of
    requests queues for a slot instead of taking every thread of the default executor."""
    if len(body.events) > options.simulate_max_events:
        raise UnprocessableError(
            f"at most {options.simulate_max_events} events per simulation, got {len(body.events)}",
            code="simulation_budget_exceeded",
            details=[
                {
                    "path": "$.events",
                    "code": "events",
                    "message": f"more than {options.simulate_max_events} events",
                    "limit": options.simulate_max_events,
                    "setting": "WORKFLOWS_SIMULATE_MAX_EVENTS",
                }
            ],
        )
    workflow = await service.get_live(session, principal=principal, workflow_id=workflow_id)
    number = body.version or workflow.version
    version = await repository.version(session, workflow_id=workflow.id, number=number)
    if version is None:
        raise NotFoundError(f"workflow {workflow_id} has no version {number}")
    raw = {
        "id": str(workflow.id),
        "tenantId": workflow.tenant_id,
        "version": version.version,
        "status": "active",
        "name": workflow.name,
        "trigger": version.trigger,
        "nodes": version.nodes,
        "edges": version.edges,
        "goals": version.goals,
        "settings": version.settings,
    }
    subworkflows = await active_subworkflows(
        session, tenant_id=workflow.tenant_id, workflow_id=str(workflow.id), nodes=version.nodes
    )
    caps = await policies.frequency_caps(session, principal=principal)  # the sends count against them
    start = body.start or datetime.now(UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    events = _with_sample_profile(
        [e.model_dump(by_alias=True, exclude_none=True) for e in body.events], body.contact
    )
    budget = SimulationBudget(
        max_steps=options.simulate_max_steps,
        max_span_ms=options.simulate_max_span_days * _DAY_MS,
        max_answer_bytes=options.simulate_max_answer_bytes,
        measure=_answer_bytes,
    )
    try:
        async with slots:
            out = await asyncio.to_thread(
                _simulate,
                raw,
                body.contact,
                events,
                int(start.timestamp() * 1000),
                auto=body.auto_complete_actions,
                budget=budget,
                subworkflows=subworkflows,
                frequency_caps={"caps": caps["caps"]},
            )
    except SimulationBudgetError as exc:
        raise _budget_error(exc) from exc
    except DefinitionError as exc:
        raise UnprocessableError(
            "the stored version does not compile", details=[p.to_dict() for p in exc.problems]
        ) from exc
    except (EngineError, ValueError, TypeError, KeyError, OverflowError) as exc:
        # The sample contact and events are caller input: a bad one is a 422 with the engine's reason.
        raise UnprocessableError(
            f"the sample contact or events are invalid: {exc}",
            details=[{"path": "$", "code": "invalid_simulation_input", "message": str(exc)}],
        ) from exc
    metrics.SIMULATIONS.labels("ok").inc()
    return out
