"""Simulate steps through the path of the spec's scenario 3 (goal-based exit): the contact gets the first
email, waits, buys, and the run leaves at its goal without the second email. Each step outlines its node on
the canvas, draws the path taken and shows the effects so far and the virtual clock; the keyboard steps
too."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.ui.conftest import App
from tests.ui.kit import Builder, shot

pytestmark = pytest.mark.integration

SCENARIO_3 = {
    "name": "Nurture until purchase",
    "trigger": {"type": "event", "event": "contact.created"},
    "nodes": [
        {"id": "first", "type": "send_email", "position": {"x": 0, "y": 120}, "data": {"templateId": "t1"}},
        {
            "id": "wait",
            "type": "delay",
            "position": {"x": 0, "y": 260},
            "data": {"duration": 1, "unit": "hours"},
        },
        {"id": "second", "type": "send_email", "position": {"x": 0, "y": 400}, "data": {"templateId": "t2"}},
    ],
    "edges": [
        {"id": "e-trigger-first", "source": "trigger", "target": "first"},
        {"id": "e-first-wait", "source": "first", "target": "wait"},
        {"id": "e-wait-second", "source": "wait", "target": "second"},
    ],
    "goals": [
        {
            "id": "goal-1",
            "name": "Purchased",
            "event": "contact.attribute_changed",
            "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
        }
    ],
}
CURRENT = "rgb(245, 158, 11)"  # the current step's outline
PATH = "rgb(5, 150, 105)"  # the path taken


def open_workflow(page: Page, app: App, workflow: dict[str, object]) -> Builder:
    """The saved workflow in the editor: its own page, or (before that page exists) loaded by its JSON."""
    b = Builder(page)
    page.goto(f"{app.base}/workflows/{workflow['id']}")
    try:
        expect(b.node("first")).to_be_visible(timeout=5_000)
    except AssertionError:
        b.wait_ready()
        b.load({**SCENARIO_3, "id": workflow["id"]})
        expect(b.node("first")).to_be_visible()
    return b


def test_simulate_steps_through_scenario_3(page: Page, app: App) -> None:
    workflow = app.api.call("POST", "", json=SCENARIO_3, expect=201)
    b = open_workflow(page, app, workflow)

    page.get_by_role("button", name="Simulate").click()
    panel = page.get_by_test_id("simulate-panel")
    expect(panel).to_be_visible()
    panel.get_by_test_id("sim-contact").fill(
        json.dumps({"id": "c-ada", "email": "ada@example.com", "attributes": {}})
    )
    panel.get_by_label("Event 1 type").fill("contact.created")
    panel.get_by_test_id("sim-add-event").click()
    panel.get_by_label("Event 2 type").fill("contact.updated")
    panel.get_by_label("Event 2 offset", exact=True).fill("30")
    panel.get_by_label("Event 2 offset unit").select_option("minutes")
    panel.get_by_label("Event 2 data").fill(json.dumps({"changes": {"attributes": {"has_purchased": True}}}))
    panel.get_by_test_id("sim-run").click()

    counter = panel.get_by_test_id("sim-counter")
    current = panel.get_by_test_id("sim-current")
    expect(counter).to_have_text("Step 1 of 4")
    expect(panel.get_by_test_id("sim-step")).to_have_count(4)

    seen = []
    for i in range(4):
        if i:
            panel.get_by_test_id("sim-forward").click()
        expect(counter).to_have_text(f"Step {i + 1} of 4")
        node = current.get_attribute("data-node-id")
        seen.append(
            (
                node,
                panel.get_by_test_id("sim-path").inner_text().split("\n"),
                panel.get_by_test_id("sim-clock").inner_text().split(" ")[0],
            )
        )
        # The current node is outlined on the canvas; a node the run never reached is dimmed.
        assert (
            b.node(str(node)).locator(".node-face").evaluate("e => getComputedStyle(e).outlineColor")
            == CURRENT
        )
        assert float(b.node("second").evaluate("e => getComputedStyle(e).opacity")) < 1
        if i == 1:
            expect(panel.get_by_test_id("sim-effects").locator('[data-group="message"]')).to_contain_text(
                "email: template t1"
            )
            shot(page, "simulate-first-email")
    assert seen == [
        ("trigger", ["trigger"], "+0s"),
        ("first", ["trigger", "first"], "+0s"),
        ("wait", ["trigger", "first", "wait"], "+0s"),
        ("wait", ["trigger", "first", "wait"], "+30m"),
    ]
    expect(current).to_contain_text("goal reached: Purchased")
    messages = panel.get_by_test_id("sim-effects").locator('[data-group="message"]')
    expect(messages).to_contain_text("(1)")  # the second email was never sent
    expect(messages).not_to_contain_text("t2")
    # The path's edges are drawn; the edge to the second email is not.
    path_stroke = "e => getComputedStyle(e.querySelector('.react-flow__edge-path')).stroke"
    assert page.locator('.react-flow__edge[data-id="e-first-wait"]').evaluate(path_stroke) == PATH
    assert page.locator('.react-flow__edge[data-id="e-wait-second"]').evaluate(path_stroke) != PATH
    shot(page, "simulate-goal-reached")

    # Keyboard: back one step, then Home to the start.
    panel.get_by_test_id("sim-current").click()
    page.keyboard.press("ArrowLeft")
    expect(counter).to_have_text("Step 3 of 4")
    expect(current).to_contain_text("waits until")
    page.keyboard.press("Home")
    expect(counter).to_have_text("Step 1 of 4")
    expect(current).to_have_attribute("data-node-id", "trigger")


def test_a_bad_sample_contact_is_shown_in_place_and_nothing_runs(page: Page, app: App) -> None:
    workflow = app.api.call("POST", "", json=SCENARIO_3, expect=201)
    open_workflow(page, app, workflow)
    page.get_by_role("button", name="Simulate").click()
    panel = page.get_by_test_id("simulate-panel")
    panel.get_by_test_id("sim-contact").fill("{not json")
    expect(panel).to_contain_text("not valid JSON")
    expect(panel.get_by_test_id("sim-run")).to_be_disabled()
    # An event the API refuses (the version does not exist) is an error in the panel, the form kept.
    panel.get_by_test_id("sim-contact").fill("{}")
    panel.get_by_text("Start time and version").click()
    panel.get_by_label("Version (empty = current)").fill("99")
    panel.get_by_test_id("sim-run").click()
    expect(panel.get_by_test_id("sim-error")).to_contain_text("no version 99")
    expect(panel.get_by_test_id("sim-contact")).to_have_value("{}")
    shot(page, "simulate-error-in-place")
