"""Every node type the onboarding test does not place is dragged from the palette and configured in the
inspector here; the definition then holds what was typed. (send_email, delay, condition and end: see
test_build_onboarding; wait_for_event and send windows: see test_journeys.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.conftest import App
from tests.ui.kit import Builder, shot

pytestmark = pytest.mark.integration

# type -> [(field label, value, kind)], and what the node's data then holds (a subset)
CASES: list[tuple[str, list[tuple[str, str, str]], dict[str, object]]] = [
    (
        "send_sms",
        [("Template id", "sms-1", "fill"), ("From number", "+15550100", "fill")],
        {"templateId": "sms-1"},
    ),
    ("send_whatsapp", [("Template id", "wa-1", "fill")], {"templateId": "wa-1"}),
    ("send_push", [("Template id", "push-1", "fill")], {"templateId": "push-1"}),
    ("add_tag", [("Tag", "vip", "fill")], {"tag": "vip"}),
    ("remove_tag", [("Tag", "trial", "fill")], {"tag": "trial"}),
    ("add_to_segment", [("Segment id", "seg-a", "fill")], {"segmentId": "seg-a"}),
    ("remove_from_segment", [("Segment id", "seg-b", "fill")], {"segmentId": "seg-b"}),
    (
        "webhook",
        [("Method", "PUT", "choose"), ("URL", "https://example.com/hook", "fill")],
        {"method": "PUT", "url": "https://example.com/hook"},
    ),
    ("slack", [("Channel", "#growth", "fill"), ("Message", "New signup", "fill")], {"channel": "#growth"}),
    ("switch", [("Field", "attributes.plan", "fill")], {"field": "attributes.plan"}),
    (
        "split",
        [("Percentage", "30", "fill"), ("Percentage#1", "70", "fill"), ("Variant label", "Short", "fill")],
        {
            "variants": [
                {"id": "a", "percentage": 30, "label": "Short"},
                {"id": "b", "percentage": 70},
            ]
        },
    ),
    (
        "update_contact",
        [("+ Entry", "", "click"), ("Key", "plan", "fill"), ("Value", "pro", "fill")],
        {"attributes": {"plan": "pro"}},
    ),
    (
        "wait_until",
        [("Attribute", "attributes.renewal_date", "fill")],
        {"attribute": "attributes.renewal_date"},
    ),
]


def test_every_other_node_type_is_placed_and_configured(page: Page, app: App) -> None:
    b = Builder(page).open_blank(app.base)
    placed: dict[str, str] = {}
    for i, (kind, fields, _) in enumerate(CASES):
        node = b.drop(kind, 130 + (i % 3) * 250, 60 + (i // 3) * 150)
        placed[kind] = node
        b.select(node)
        for label, value, how in fields:
            name, _, nth = label.partition("#")
            if how == "click":
                page.get_by_label("Inspector").get_by_role("button", name=name).click()
            else:
                (b.fill if how == "fill" else b.choose)(name, value, nth=int(nth or 0))
    page.locator(".react-flow__pane").click(position={"x": 10, "y": 10})
    nodes = {n["id"]: n for n in b.definition()["nodes"]}
    for kind, _, expected in CASES:
        node = nodes[placed[kind]]
        assert node["type"] == kind
        assert {k: node.get("data", {}).get(k) for k in expected} == expected, node
    # The split's face reads the new percentages; its handles are still keyed by variant id.
    split = b.node(placed["split"])
    expect(split).to_contain_text("Short 30% / b 70%")
    expect(split.locator('.react-flow__handle.source[data-handleid="a"]')).to_have_count(1)
    expect(b.node(placed["update_contact"])).to_contain_text("Set plan")
    shot(page, "every-node-type")
