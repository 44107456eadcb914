"""Every node type the onboarding test does not place is dragged from the palette and configured in the
inspector here; the definition then holds what was typed. (send_email, delay, condition and end: see
test_build_onboarding.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

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
    ("split", [], {}),
    ("update_contact", [], {}),
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
            (b.fill if how == "fill" else b.choose)(label, value)
    page.locator(".react-flow__pane").click(position={"x": 10, "y": 10})
    nodes = {n["id"]: n for n in b.definition()["nodes"]}
    for kind, _, expected in CASES:
        node = nodes[placed[kind]]
        assert node["type"] == kind
        assert {k: node.get("data", {}).get(k) for k in expected} == expected, node
    shot(page, "every-node-type")
