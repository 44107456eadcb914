"""What a browser test does on the builder, the way a user does it: drag from the palette, connect handles
with the mouse, fill the inspector, read the definition in the JSON dialog, and save screenshots."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SCREENSHOTS = ROOT / "var" / "ui-screenshots"


def shot(page: Page, name: str, *, to: Path | None = None) -> Path:
    """A screenshot under var/ui-screenshots/ (and a copy at `to`), named in the test output."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path.relative_to(ROOT)}")
    if to is not None:
        to.parent.mkdir(parents=True, exist_ok=True)
        to.write_bytes(path.read_bytes())
        print(f"screenshot: {to.relative_to(ROOT)}")
    return path


class Builder:
    """The builder screen in a page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    # ---- getting there ----

    def open_blank(self, base: str) -> Builder:
        """A blank canvas: the builder with no draft kept in this browser."""
        self.page.goto(f"{base}/builder")
        self.page.evaluate("localStorage.clear()")
        self.page.goto(f"{base}/builder")
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        expect(self.page.locator(".react-flow__node").first).to_be_visible(timeout=30_000)

    # ---- the canvas ----

    def node(self, node_id: str) -> Locator:
        return self.page.locator(f'.react-flow__node[data-id="{node_id}"]')

    def node_ids(self) -> list[str]:
        return [
            str(i)
            for i in self.page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)")
        ]

    def drop(self, palette_type: str, x: float, y: float) -> str:
        """Drag a palette item onto the canvas at (x, y) in the canvas box; returns the new node's id."""
        before = set(self.node_ids())
        item = self.page.locator(f'.palette-item[data-type="{palette_type}"]')
        item.scroll_into_view_if_needed()
        item.drag_to(self.page.locator(".canvas .react-flow__pane"), target_position={"x": x, "y": y})
        if palette_type.startswith("trigger:"):
            return "trigger"
        expect(self.page.locator(".react-flow__node")).to_have_count(len(before) + 1)
        (new,) = set(self.node_ids()) - before
        return new

    def connect(self, source: str, target: str, branch: str | None = None) -> None:
        """Drag with the mouse from a source handle (a branch's, when given) to the target's input handle."""
        edges = self.page.locator(".react-flow__edge").count()
        handle = (
            self.node(source).locator(f'.react-flow__handle.source[data-handleid="{branch}"]')
            if branch
            else self.node(source).locator(".react-flow__handle.source").first
        )
        into = self.node(target).locator(".react-flow__handle.target")
        a = handle.bounding_box()
        b = into.bounding_box()
        assert a, f"no source handle on {source}"
        assert b, f"no target handle on {target}"
        mouse = self.page.mouse
        mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
        mouse.down()
        mouse.move(a["x"] + 20, a["y"] + 60, steps=5)
        mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=10)
        mouse.up()
        expect(self.page.locator(".react-flow__edge")).to_have_count(edges + 1)

    def select(self, node_id: str) -> Locator:
        """Click a node's title; returns the inspector."""
        self.node(node_id).locator(".node-head").click()
        inspector = self.page.get_by_label("Inspector")
        expect(inspector).to_contain_text(node_id if node_id != "trigger" else "Trigger")
        return inspector

    def tidy(self) -> None:
        self.page.get_by_role("button", name="Tidy up").click()
        self.page.wait_for_timeout(400)

    # ---- the inspector ----

    def fill(self, label: str, value: str, *, nth: int = 0) -> None:
        field = self.page.get_by_label("Inspector").get_by_label(label, exact=True).nth(nth)
        field.fill(value)
        field.blur()

    def choose(self, label: str, value: str, *, nth: int = 0) -> None:
        self.page.get_by_label("Inspector").get_by_label(label, exact=True).nth(nth).select_option(value)

    def add_condition(self, field: str, operator: str, value: str | None) -> None:
        """Fill the first empty condition row, or add one with "+ Condition"."""
        inspector = self.page.get_by_label("Inspector")
        fields = inspector.get_by_label("Field", exact=True)
        values = [fields.nth(i).input_value() for i in range(fields.count())]
        n = values.index("") if "" in values else len(values)
        if n == len(values):
            inspector.get_by_role("button", name="+ Condition").first.click()
        fields.nth(n).fill(field)
        inspector.get_by_label("Operator", exact=True).nth(n).select_option(operator)
        if value is not None:
            box = inspector.get_by_label("Value", exact=True).nth(n)
            box.fill(value)
            box.blur()

    # ---- the definition ----

    def definition(self) -> dict[str, Any]:
        """The definition as the JSON dialog shows it (what will run)."""
        self.page.get_by_role("button", name="JSON", exact=True).click()
        dialog = self.page.get_by_role("dialog", name="Definition JSON")
        text = dialog.get_by_role("textbox").input_value()
        dialog.get_by_role("button", name="Close").click()
        return dict(json.loads(text))

    def load(self, definition: dict[str, Any]) -> None:
        """Paste a definition into the JSON dialog and load it onto the canvas."""
        self.page.get_by_role("button", name="JSON", exact=True).click()
        dialog = self.page.get_by_role("dialog", name="Definition JSON")
        dialog.get_by_role("textbox").fill(json.dumps(definition))
        dialog.get_by_role("button", name="Load into the canvas").click()
        expect(dialog).to_be_hidden()


def branch_of(edge: dict[str, Any]) -> str | None:
    b = edge.get("sourceHandle") or edge.get("branch") or edge.get("label")
    return str(b) if b is not None else None


def outline_colour(locator: Locator) -> str:
    """The computed outline of a node face: what the simulation's highlight sets."""
    return str(
        locator.locator(".node-face").evaluate(
            "e => getComputedStyle(e).outlineColor + ' ' + getComputedStyle(e).outlineWidth"
        )
    )


RGB = re.compile(r"rgb\((\d+), (\d+), (\d+)\)")
