"""The 500-node workflow on the scratch canvas (`/builder`): it opens from this browser's draft quickly, the
canvas holds every node but draws only those in view, a node in view opens in the inspector, and panning
draws the nodes that come into view. The timing bound is loose (the target is 2 s; it took 8.5 s and more
while every node face asked to be measured again): `bench/ui_bench.py` measures it properly."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.ui.conftest import App
from tests.ui.kit import Builder, shot

pytestmark = pytest.mark.integration

N = 500
KINDS = [
    ("send_email", {"templateId": "tpl"}),
    ("delay", {"duration": 2, "unit": "days"}),
    ("add_tag", {"tag": "seen"}),
    ("update_contact", {"attributes": {"step": 1}}),
]


def chain(n: int) -> dict[str, Any]:
    """n nodes in one line under the trigger, placed (as a saved workflow is)."""
    nodes = []
    edges = []
    prev = "trigger"
    for i in range(1, n + 1):
        kind, data = KINDS[i % len(KINDS)]
        nodes.append({"id": f"node-{i}", "type": kind, "position": {"x": 0, "y": 130 * i}, "data": data})
        edges.append({"id": f"e-{i}", "source": prev, "target": f"node-{i}"})
        prev = f"node-{i}"
    return {
        "name": f"{n} nodes",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": nodes,
        "edges": edges,
        "goals": [],
        "settings": {"reEntry": "always"},
    }


# A node wholly inside the canvas (the fitted view of a long workflow cuts the top and bottom ones).
IN_VIEW = """() => {
  const box = document.querySelector('[data-testid="canvas"]').getBoundingClientRect();
  const inside = [...document.querySelectorAll('.react-flow__node')].filter(n => {
    const r = n.getBoundingClientRect();
    return r.top >= box.top && r.bottom <= box.bottom && r.left >= box.left && r.right <= box.right;
  });
  return inside[Math.floor(inside.length / 2)].dataset.id;
}"""


def drawn(page: Page) -> list[str]:
    return [
        str(i) for i in page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)")
    ]


def test_a_500_node_workflow_opens_quickly_and_draws_what_is_in_view(page: Page, app: App) -> None:
    page.goto(f"{app.base}/builder")
    page.evaluate(
        """(d) => localStorage.setItem('workflows.draft.scratch',
             JSON.stringify({definition: d, baseVersion: null, savedAt: new Date().toISOString()}))""",
        chain(N),
    )
    started = time.monotonic()
    page.goto(f"{app.base}/builder")
    canvas = page.get_by_test_id("canvas")
    expect(canvas).to_have_attribute("data-node-count", str(N + 1), timeout=30_000)
    expect(page.get_by_test_id("workflow-name")).to_have_text(f"{N} nodes")
    # Drawn: the nodes in view once the view is fitted; far fewer than the workflow holds.
    page.wait_for_function(
        "() => { const n = document.querySelectorAll('.react-flow__node').length; return n > 0 && n < 200; }",
        timeout=30_000,
    )
    seen = drawn(page)
    b = Builder(page)
    target = str(page.evaluate(IN_VIEW))
    b.node(target).locator(".node-head").click()
    expect(page.get_by_label("Inspector")).to_contain_text(target)
    took = time.monotonic() - started
    print(f"500 nodes: {len(seen)} drawn, interactive after {took:.2f} s (with the click)")
    assert took < 6, f"the 500-node workflow took {took:.1f} s to open and answer a click"
    shot(page, "large-graph-500")

    # Panning the canvas (dragging the pane beside the nodes) draws what comes into view.
    box = canvas.bounding_box()
    assert box
    for _ in range(3):
        page.mouse.move(box["x"] + 120, box["y"] + box["height"] - 60)
        page.mouse.down()
        page.mouse.move(box["x"] + 120, box["y"] + 60, steps=8)
        page.mouse.up()
    page.wait_for_timeout(300)
    after = drawn(page)
    assert set(after) - set(seen), "panning drew no new node"
    assert len(after) < 200
    shot(page, "large-graph-500-panned")
