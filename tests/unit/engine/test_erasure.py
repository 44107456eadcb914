"""Erasure: an erase request cancels every active run of the contact and reports how many."""

from __future__ import annotations

from streams.engine import ContactErased, EmitRunEvent
from streams.engine import event_types as et

from .helpers import CONTACT, DAY, TENANT, Harness, kinds, node, workflow


def delayed(workflow_id: str) -> dict[str, object]:
    return workflow(
        [node("wait", "delay", duration=1, unit="days"), node("tag", "add_tag", tag="x")],
        workflow_id=workflow_id,
    )


def test_erase_cancels_every_active_run_and_its_timer() -> None:
    h = Harness(delayed("wf1"), delayed("wf2"))
    h.create(email="ada@example.com")
    assert len(h.state.runs) == 2
    effects = h.apply(et.CONTACT_ERASE_REQUESTED, {}, event_id="erase-1")
    assert kinds(effects) == [
        "cancel_timer",
        "run.cancelled",
        "cancel_timer",
        "run.cancelled",
        "contact_erased",
    ]
    cancelled = [e for e in effects if isinstance(e, EmitRunEvent)]
    assert {e.run["workflowId"] for e in cancelled} == {"wf1", "wf2"}
    assert all(e.run["errorMessage"] == "cancelled: contact erased" for e in cancelled)
    assert all(e.run["status"] == "cancelled" for e in cancelled)
    assert h.state.runs == {}
    erased = effects[-1]
    assert isinstance(erased, ContactErased)
    assert erased.route == "nats"
    assert erased.subject == et.CONTACT_ERASED
    d = erased.to_dict()
    assert d["runsCancelled"] == 2
    assert d["tenantId"] == TENANT
    assert d["contactId"] == CONTACT
    assert d["subject"] == et.CONTACT_ERASED
    assert d["idempotencyKey"] == "erase:erase-1"
    assert "ada@example.com" not in repr(d)  # no profile content travels with the event
    # A later timer firing is a no-op: the run is gone.
    h.now += DAY
    assert h.apply(et.TIMER_FIRED, {"runId": cancelled[0].run_id, "timerId": "x"}) == []


def test_erasing_an_unknown_contact_reports_zero() -> None:
    h = Harness(delayed("wf1"))
    effects = h.apply(et.CONTACT_ERASE_REQUESTED, {}, event_id="erase-1")
    assert kinds(effects) == ["contact_erased"]
    assert effects[0].to_dict()["runsCancelled"] == 0  # type: ignore[union-attr]


def test_erase_is_idempotent() -> None:
    h = Harness(delayed("wf1"))
    h.create()
    assert len(h.apply(et.CONTACT_ERASE_REQUESTED, {}, event_id="erase-1")) == 3
    assert h.apply(et.CONTACT_ERASE_REQUESTED, {}, event_id="erase-1") == []  # redelivery: deduped
    again = h.apply(et.CONTACT_ERASE_REQUESTED, {}, event_id="erase-2")  # a second request
    assert kinds(again) == ["contact_erased"]
    assert again[0].to_dict()["runsCancelled"] == 0  # type: ignore[union-attr]


def test_erase_starts_nothing_even_for_a_matching_trigger() -> None:
    h = Harness(
        workflow(
            [node("t", "add_tag", tag="x")], trigger={"type": "event", "event": et.CONTACT_ERASE_REQUESTED}
        )
    )
    assert kinds(h.apply(et.CONTACT_ERASE_REQUESTED, {}, event_id="erase-1")) == ["contact_erased"]
