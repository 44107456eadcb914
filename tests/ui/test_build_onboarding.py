"""From an empty canvas, a user builds the spec's onboarding workflow with the mouse: nodes dragged from the
palette, handles connected, every field filled in the inspector. What the canvas then holds is the example
definition (`examples/onboarding.json`) node for node and edge for edge. Writes the README's screenshot."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.ui.conftest import App
from tests.ui.kit import ROOT, Builder, branch_of, shot

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((ROOT / "examples" / "onboarding.json").read_text())


def test_build_the_onboarding_workflow_by_drag_and_drop(page: Page, app: App) -> None:
    b = Builder(page).open_blank(app.base)
    assert b.node_ids() == ["trigger"]  # an empty canvas: only the trigger

    # The trigger: contact.created, only for website signups.
    b.drop("trigger:event", 300, 60)
    b.select("trigger")
    b.fill("Event type", "contact.created")
    b.add_condition("source", "equals", "website_signup")

    # Five nodes, dragged where a marketer would put them.
    welcome = b.drop("send_email", 330, 170)
    wait = b.drop("delay", 330, 290)
    opened = b.drop("condition", 330, 410)
    done = b.drop("end", 170, 560)
    nudge = b.drop("send_email", 520, 560)
    assert [welcome, wait, opened, done, nudge] == [n["id"] for n in EXAMPLE["nodes"]]

    for node, template in (
        (welcome, "550e8400-e29b-41d4-a716-446655440001"),
        (nudge, "550e8400-e29b-41d4-a716-446655440002"),
    ):
        b.select(node)
        b.fill("Template id", template)
        b.fill("From name", "Acme Team")
        b.fill("From email", "hello@acme.com")
    b.select(wait)
    b.fill("Duration", "86400")
    b.choose("Unit", "seconds")
    b.select(opened)
    b.add_condition("hasOpened", "equals", "true")

    # Edges, drawn from handle to handle; the condition's are its labelled true/false handles.
    b.connect("trigger", welcome)
    b.connect(welcome, wait)
    b.connect(wait, opened)
    b.connect(opened, done, branch="true")
    b.connect(opened, nudge, branch="false")
    b.tidy()
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})  # nothing selected for the picture

    built = b.definition()
    assert built["trigger"] == EXAMPLE["trigger"]
    assert [(n["id"], n["type"], n.get("data", {})) for n in built["nodes"]] == [
        (n["id"], n["type"], n["data"]) for n in EXAMPLE["nodes"]
    ]
    edges = sorted((e["source"], e["target"], branch_of(e)) for e in built["edges"])
    assert edges == sorted((e["source"], e["target"], e.get("branch")) for e in EXAMPLE["edges"])
    expect(page.locator(".react-flow__edge")).to_have_count(5)
    for label in ("true", "false"):
        expect(b.node(opened).locator(".branch-label", has_text=label)).to_be_visible()

    b.select(opened)
    shot(page, "onboarding-built", to=ROOT / "docs" / "builder.png")
