"""Erase one contact of the caller's tenant.

Two halves, in the request's transaction: an erase-request envelope for ``workflows.events`` goes to the
outbox (keyed by contactId, so the worker applies it in order with the contact's other events, cancels its
runs, deletes its state on every partition and publishes ``workflow.contact.erased``), and the contact's
runs, steps and schedules go from PostgreSQL now, with what they counted. Events of the cancelled runs still
on their way re-create some rows; the projector deletes them again on ``workflow.contact.erased``.

The event id derives from the request's ``Idempotency-Key`` when given (a retried request is dropped by the
worker's event-id dedupe); without one, each request is a new erasure, which is harmless to repeat.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.contacts import repository
from api.outbox import records
from api.outbox import repository as outbox
from streams.engine import event_types
from workflows.settings import Settings


async def erase(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    contact_id: str,
    idempotency_key: str | None,
) -> dict[str, Any]:
    tenant = principal.tenant_id
    event_id = records.derived_event_id(
        event_types.CONTACT_ERASE_REQUESTED, tenant, contact_id, idempotency_key or str(uuid.uuid4())
    )
    # Published records of the contact's events carry its data; the erase request is written after.
    await outbox.forget_contact(session, tenant_id=tenant, topic=settings.events_topic, contact_id=contact_id)
    records.publish_event(
        session,
        settings,
        event_id=event_id,
        event_type=event_types.CONTACT_ERASE_REQUESTED,
        tenant_id=tenant,
        contact_id=contact_id,
        data={"requestedBy": principal.user_id},
    )
    erased = await repository.erase(await session.connection(), tenant_id=tenant, contact_id=contact_id)
    return {
        "contact_id": contact_id,
        "runs_deleted": erased.runs,
        "steps_deleted": erased.steps,
        "erasure_requested": True,
    }
