"""What the API publishes, in the formats of ``workflows.wire``: definition versions, the active pointer,
and command envelopes for ``workflows.events``."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Workflow, WorkflowVersion
from api.outbox import repository
from workflows import wire
from workflows.settings import Settings


def definition(workflow: Workflow, version: WorkflowVersion) -> dict[str, Any]:
    """A version as ``compile_definition`` accepts it. Versions are immutable, so the record for a key never
    changes; its status is "active" because the pointer alone decides whether it starts runs."""
    return {
        "id": str(workflow.id),
        "tenantId": workflow.tenant_id,
        "version": version.version,
        "status": "active",
        "name": workflow.name,
        "description": workflow.description,
        "trigger": version.trigger,
        "nodes": version.nodes,
        "edges": version.edges,
        "goals": version.goals,
        "settings": version.settings,
    }


def pointer(workflow: Workflow) -> dict[str, Any]:
    """Only an active workflow names a version: paused, draft and archived ones start no runs."""
    return {
        "workflowId": str(workflow.id),
        "tenantId": workflow.tenant_id,
        "version": workflow.version if workflow.status == "active" else None,
        "status": workflow.status,
    }


def publish_version(
    session: AsyncSession, settings: Settings, *, workflow: Workflow, version: WorkflowVersion
) -> None:
    repository.add(
        session,
        topic=settings.definitions_topic,
        key=wire.definition_key(str(workflow.id), version.version),
        value=orjson.dumps(definition(workflow, version)),
        tenant_id=workflow.tenant_id,
    )


def publish_pointer(session: AsyncSession, settings: Settings, *, workflow: Workflow) -> None:
    repository.add(
        session,
        topic=settings.definitions_topic,
        key=wire.active_key(str(workflow.id)),
        value=orjson.dumps(pointer(workflow)),
        tenant_id=workflow.tenant_id,
    )


def publish_event(
    session: AsyncSession,
    settings: Settings,
    *,
    event_id: str,
    event_type: str,
    tenant_id: str,
    contact_id: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    message = wire.envelope(
        event_type, tenant_id=tenant_id, contact_id=contact_id, data=data, event_id=event_id
    )
    # Keyed by contactId: the event lands on the contact's partition, in order with its other events.
    repository.add(
        session,
        topic=settings.events_topic,
        key=contact_id.encode(),
        value=orjson.dumps(message),
        tenant_id=tenant_id,
    )
    return message


# Derived event ids: a retried request with the same Idempotency-Key yields the same event, hence the same
# run id (uuid5 of tenant, workflow, contact, event id), and the worker's event-id dedupe drops the copy.
EVENT_NAMESPACE = uuid.UUID("0b7d3c52-6a8e-5f11-9c3d-2e4f6a8b0c1d")


def derived_event_id(*parts: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, ":".join(parts)))
