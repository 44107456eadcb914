"""Journeys that react, built in the browser: a wait_for_event node with its received / timeout branches, a
message node's own send window and frequency-cap choice, and the workflow's send window, priority and exit
criteria, and a run_workflow that waits for its sub-workflow; the definition then holds what was typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from streams.engine.validation import validate
from tests.ui.conftest import App
from tests.ui.kit import Builder, branch_of, shot

pytestmark = pytest.mark.integration


def test_wait_for_event_is_placed_configured_and_branched(page: Page, app: App) -> None:
    b = Builder(page).open_blank(app.base)
    wait = b.drop("wait_for_event", 380, 580)
    done = b.drop("end", 150, 740)
    remind = b.drop("send_sms", 600, 740)
    inspector = b.select(wait)
    page.get_by_test_id("wait-event").fill("order.placed")
    b.fill("Timeout amount", "2")
    b.choose("Timeout unit", "hours")
    b.fill("Same as the trigger's", "cartId, orderId")
    b.add_condition("event.data.total", "gt", "0")
    expect(b.node(wait)).to_contain_text("For order.placed, 1 condition, up to 2 hours")
    expect(inspector).to_contain_text("Wait for event")
    b.connect("trigger", wait)
    b.connect(wait, done, "received")
    b.connect(wait, remind, "timeout")
    shot(page, "wait-for-event")

    d = b.definition()
    node = next(n for n in d["nodes"] if n["id"] == wait)
    assert node["type"] == "wait_for_event"
    assert node["data"] == {
        "event": "order.placed",
        "timeout": {"amount": 2, "unit": "hours"},
        "correlate": ["cartId", "orderId"],
        "conditions": [{"field": "event.data.total", "operator": "gt", "value": 0}],
    }
    out = {branch_of(e): e["target"] for e in d["edges"] if e["source"] == wait}
    assert out == {"received": done, "timeout": remind}
    # The engine reads the node as typed: no problem of its own (nor a missing branch).
    assert [p for p in validate(d) if p.node_id == wait or (".data" in p.path and wait in p.path)] == []


def test_message_send_window_frequency_cap_and_workflow_settings(page: Page, app: App) -> None:
    b = Builder(page).open_blank(app.base)
    sms = b.drop("send_sms", 300, 220)
    b.select(sms)
    b.fill("Template id", "reminder")
    window = page.get_by_test_id("sendWindow-editor")
    window.get_by_label("Only send inside a window").check()
    window.get_by_label("sat", exact=True).check()
    window.get_by_label("From", exact=True).fill("08:30")
    window.get_by_label("Until", exact=True).fill("20:00")
    window.get_by_label("Window time zone").select_option("zone")
    window.get_by_label("IANA zone").fill("Europe/Paris")
    window.get_by_label("Smoothing (minutes)").fill("30")
    b.choose("Over a frequency cap", "wait")
    expect(b.node(sms)).to_contain_text("Template reminder, mon-sat 08:30-20:00")
    shot(page, "message-send-window")

    # Nothing selected: the workflow's settings.
    page.locator(".react-flow__pane").click(position={"x": 10, "y": 10})
    settings = page.get_by_test_id("workflow-send-window")
    settings.get_by_label("Only send inside a window").check()
    settings.get_by_label("Until", exact=True).fill("18:00")
    page.get_by_test_id("workflow-priority").fill("40")
    page.get_by_test_id("exit-when-toggle").check()
    page.get_by_test_id("exit-when-event").fill("contact.unsubscribed")
    exit_when = page.get_by_test_id("exit-when-editor")
    exit_when.get_by_role("button", name="+ Condition").click()
    exit_when.get_by_label("Field", exact=True).fill("event.data.channel")
    value = exit_when.get_by_label("Value", exact=True)
    value.fill("sms")
    value.blur()
    exit_when.scroll_into_view_if_needed()
    shot(page, "workflow-settings-journeys")

    d = b.definition()
    node = next(n for n in d["nodes"] if n["id"] == sms)
    assert node["data"] == {
        "templateId": "reminder",
        "sendWindow": {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
            "start": "08:30",
            "end": "20:00",
            "timezone": "Europe/Paris",
            "smoothing": {"amount": 30, "unit": "minutes"},
        },
        "frequencyCap": "wait",
    }
    settings_out = d["settings"]
    assert settings_out["sendWindow"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "18:00",
        "timezone": "contact",
    }
    assert settings_out["priority"] == 40
    assert settings_out["exitWhen"] == {
        "event": "contact.unsubscribed",
        "conditions": [{"field": "event.data.channel", "operator": "equals", "value": "sms"}],
    }
    # The engine accepts the window, the cap choice and the settings as the builder wrote them.
    mine = [
        p
        for p in validate(d)
        if p.path.startswith("$.settings") or "sendWindow" in p.path or "frequencyCap" in p.path
    ]
    assert mine == []


def test_run_workflow_waits_and_branches(page: Page, app: App) -> None:
    b = Builder(page).open_blank(app.base)
    sub = b.drop("run_workflow", 380, 580)
    done = b.drop("end", 120, 740)
    failed = b.drop("end", 620, 740)
    b.connect("trigger", sub)
    b.connect(sub, done)  # not waiting yet: one plain edge
    b.select(sub)
    b.fill("Workflow id", "wf-child")
    inspector = page.get_by_label("Inspector")
    inspector.get_by_role("button", name="+ Entry").click()
    b.fill("Key", "plan")
    b.fill("Value", "{{ trigger.data.plan }}")
    inspector.get_by_label("Wait for it to end").check()
    node = b.node(sub)
    expect(node).to_contain_text("Run and wait for wf-child")
    for branch in ("completed", "goal_reached", "failed"):
        expect(node.locator(f'.react-flow__handle.source[data-handleid="{branch}"]')).to_have_count(1)
    b.connect(sub, failed, "failed")
    shot(page, "run-workflow")

    d = b.definition()
    data = next(n for n in d["nodes"] if n["id"] == sub)["data"]
    assert data == {"workflowId": "wf-child", "wait": True, "variables": {"plan": "{{ trigger.data.plan }}"}}
    out = {branch_of(e): e["target"] for e in d["edges"] if e["source"] == sub}
    # The edge drawn before it waited is now its completed branch.
    assert out == {"completed": done, "failed": failed}
    problems = [p for p in validate(d) if p.node_id == sub]
    assert [p.message for p in problems] == [
        f"run_workflow '{sub}' waits for its sub-workflow but has no 'goal_reached' edge"
    ]
