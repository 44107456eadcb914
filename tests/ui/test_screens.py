"""Every screen of the builder in a real browser against the end-to-end stack: development sign-in, the
workflow list (search, a template from the gallery, duplicate, archive with its confirmation), a validation
problem pinned to its node and gone when fixed, save -> activate -> an event on NATS -> the run counted in
the list, a version diff, the unsaved-changes question, and a 401 that goes to sign-in and back with the
edit kept."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Observer
from tests.ui.conftest import App, guarded_page
from tests.ui.kit import Builder, shot

pytestmark = pytest.mark.integration


def welcome(name: str, template: str = "tpl-welcome") -> dict[str, Any]:
    """A small valid workflow: contact.created -> an email -> end."""
    return {
        "name": name,
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": [
            {
                "id": "hello",
                "type": "send_email",
                "position": {"x": 0, "y": 120},
                "data": {"templateId": template},
            },
            {"id": "done", "type": "end", "position": {"x": 0, "y": 260}, "data": {}},
        ],
        "edges": [
            {"id": "e-1", "source": "trigger", "target": "hello"},
            {"id": "e-2", "source": "hello", "target": "done"},
        ],
        "goals": [],
        "settings": {"reEntry": "always"},
    }


@pytest.fixture
def signed_out(browser: Browser, app: App) -> Iterator[Page]:
    """A page with no token in its session (the `page` fixture signs in before every document)."""
    with guarded_page(browser, app, token=None) as p:
        yield p


def dev_sign_in(page: Page, tenant: str) -> None:
    form = page.get_by_test_id("dev-sign-in")
    expect(form).to_be_visible()
    page.get_by_test_id("sign-in-tenant").fill(tenant)
    page.get_by_test_id("sign-in-user").fill("ada@example.com")
    page.get_by_test_id("sign-in-dev-submit").click()


def open_editor(page: Page, app: App, workflow_id: str, first_node: str) -> Builder:
    b = Builder(page)
    page.goto(f"{app.base}/workflows/{workflow_id}")
    expect(b.node(first_node)).to_be_visible(timeout=30_000)
    return b


def row(page: Page, workflow_id: str) -> Any:
    return page.get_by_test_id(f"workflow-row-{workflow_id}")


def test_sign_in_then_the_list_search_template_duplicate_and_archive(signed_out: Page, app: App) -> None:
    page = signed_out
    cart = app.api.call("POST", "", json=welcome("Cart recovery"), expect=201)
    birthday = app.api.call("POST", "", json=welcome("Birthday wishes"), expect=201)

    # Signed out, the list sends to sign-in, and comes back after the development sign-in.
    page.goto(f"{app.base}/workflows")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    shot(page, "screens-sign-in")
    dev_sign_in(page, app.tenant)
    expect(page).to_have_url(re.compile(r"/workflows$"))
    expect(row(page, cart["id"])).to_be_visible()
    expect(row(page, birthday["id"])).to_be_visible()

    # Search asks the API: only the matching row stays.
    page.get_by_test_id("workflow-search").fill("cart")
    expect(row(page, birthday["id"])).to_be_hidden()
    expect(row(page, cart["id"])).to_be_visible()
    shot(page, "screens-list-search")
    page.get_by_test_id("workflow-search").fill("")
    expect(row(page, birthday["id"])).to_be_visible()

    # A template from the gallery opens as a new draft; Save creates it.
    page.get_by_test_id("create-from-template").click()
    gallery = page.get_by_test_id("template-gallery")
    expect(gallery).to_be_visible()
    shot(page, "screens-template-gallery")
    gallery.get_by_test_id("template-abandoned-cart").click()
    expect(page).to_have_url(re.compile(r"/workflows/new"))
    b = Builder(page)
    b.wait_ready()
    expect(page.get_by_test_id("workflow-name")).to_have_text("Abandoned Cart")
    assert len(b.node_ids()) > 2
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/workflows/[0-9a-f-]{36}$"), timeout=15_000)
    created = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("save-status")).not_to_have_attribute("data-state", "dirty")
    shot(page, "screens-template-saved")
    page.get_by_role("link", name="Workflows").first.click()
    expect(row(page, created)).to_be_visible()

    # Duplicate opens the copy in the editor; the list then holds both.
    row(page, cart["id"]).get_by_test_id(f"duplicate-{cart['id']}").click()
    expect(page).to_have_url(re.compile(r"/workflows/[0-9a-f-]{36}$"))
    copy = page.url.rsplit("/", 1)[1]
    assert copy != cart["id"]
    expect(Builder(page).node("hello")).to_be_visible()
    page.get_by_role("link", name="Workflows").first.click()
    expect(row(page, copy)).to_be_visible()
    expect(row(page, copy)).to_contain_text("Cart recovery")

    # Archive asks first: cancelling keeps it, confirming archives it.
    page.get_by_test_id(f"archive-{birthday['id']}").click()
    dialog = page.get_by_test_id("archive-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("in-flight")).to_be_visible()
    shot(page, "screens-archive-dialog")
    dialog.get_by_test_id("archive-dialog-cancel").click()
    expect(dialog).to_be_hidden()
    assert app.api.call("GET", f"/{birthday['id']}")["status"] == "draft"
    page.get_by_test_id(f"archive-{birthday['id']}").click()
    page.get_by_test_id("archive-dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id(f"archive-{birthday['id']}")).to_have_count(0)
    # An archived workflow is gone from authoring (its runs stay readable).
    expect(row(page, birthday["id"])).to_have_count(0)
    expect(row(page, cart["id"])).to_be_visible()
    app.api.call("GET", f"/{birthday['id']}", expect=404)
    shot(page, "screens-list-after-archive")


def test_a_validation_problem_is_pinned_to_its_node_and_goes_when_fixed(page: Page, app: App) -> None:
    wf = app.api.call("POST", "", json=welcome("Pinned problems"), expect=201)
    b = open_editor(page, app, wf["id"], "hello")
    expect(page.get_by_test_id("problem-badge-hello")).to_have_count(0)

    b.select("hello")
    b.fill("Template id", "")
    face = page.get_by_test_id("node-hello")
    expect(face).to_have_attribute("data-problem", "error", timeout=10_000)
    expect(page.get_by_test_id("problem-badge-hello")).to_be_visible()
    item = page.get_by_test_id("validation-panel").locator('[data-node="hello"]').first
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-severity", "error")
    expect(page.get_by_test_id("activate")).to_be_disabled()
    shot(page, "screens-validation-problem")

    # Clicking the item selects its node.
    page.locator(".react-flow__pane").click(position={"x": 30, "y": 30})
    item.click()
    expect(page.get_by_label("Inspector")).to_contain_text("hello")

    b.fill("Template id", "tpl-fixed")
    expect(face).not_to_have_attribute("data-problem", re.compile("."), timeout=10_000)
    expect(page.get_by_test_id("problem-badge-hello")).to_have_count(0)
    expect(page.get_by_test_id("validation-panel").locator('[data-node="hello"]')).to_have_count(0)
    shot(page, "screens-validation-fixed")


def test_save_activate_and_an_event_on_nats_is_counted_in_the_list(page: Page, app: App) -> None:
    page.goto(f"{app.base}/workflows/new?blank=1")
    b = Builder(page)
    b.wait_ready()
    b.load(welcome("Counted on NATS"))
    expect(b.node("hello")).to_be_visible()
    page.keyboard.press("Control+s")
    expect(page).to_have_url(re.compile(r"/workflows/[0-9a-f-]{36}$"), timeout=15_000)
    wf_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("workflow-status")).to_contain_text("draft")

    activate = page.get_by_test_id("activate")
    expect(activate).to_be_enabled(timeout=15_000)
    activate.click()
    dialog = page.get_by_test_id("activate-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("activate-dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("workflow-status")).to_contain_text("active")
    expect(page.get_by_test_id("save")).to_have_text(re.compile("Publish"))
    shot(page, "screens-activated")
    app.stack.wait_definitions_synced()

    publish_on_nats(app, f"c-{uuid.uuid4().hex[:8]}")
    app.api.wait_runs(wf_id, count=1)

    page.get_by_role("link", name="Workflows").first.click()
    runs = page.get_by_test_id(f"runs-{wf_id}")
    for _ in range(30):
        if re.search(r"\b1\b", runs.inner_text()):
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(runs).to_contain_text("1")
    expect(row(page, wf_id)).to_contain_text("active")
    shot(page, "screens-run-counted")


def test_the_version_diff_highlights_the_changed_node(page: Page, app: App) -> None:
    wf = app.api.call("POST", "", json=welcome("Two versions"), expect=201)
    changed = welcome("Two versions", template="tpl-welcome-v2")
    app.api.call("PATCH", f"/{wf['id']}", json={"nodes": changed["nodes"], "edges": changed["edges"]})
    open_editor(page, app, wf["id"], "hello")

    page.get_by_test_id("history-toggle").click()
    expect(page.get_by_test_id("history-panel")).to_be_visible()
    expect(page.get_by_test_id("history-item-2")).to_be_visible()
    page.get_by_test_id("history-choose-1").check()
    page.get_by_test_id("history-choose-2").check()
    page.get_by_test_id("history-compare").click()

    diff = page.get_by_test_id("version-diff")
    expect(diff).to_be_visible()
    expect(diff.get_by_test_id("diff-node-hello")).to_have_attribute("data-change", "changed")
    expect(diff.get_by_test_id("node-hello")).to_have_attribute("data-diff", "changed")
    expect(diff.get_by_test_id("node-done")).to_have_attribute("data-diff", "same")
    fields = diff.get_by_test_id("diff-fields-hello")
    expect(fields).to_contain_text("tpl-welcome")
    expect(fields).to_contain_text("tpl-welcome-v2")
    shot(page, "screens-version-diff")
    diff.get_by_test_id("diff-close").click()
    expect(diff).to_be_hidden()


def test_leaving_with_unsaved_changes_asks_and_staying_keeps_the_edit(page: Page, app: App) -> None:
    wf = app.api.call("POST", "", json=welcome("Unsaved"), expect=201)
    b = open_editor(page, app, wf["id"], "hello")
    b.select("hello")
    b.fill("Template id", "tpl-unsaved-edit")
    expect(page.get_by_test_id("save-status")).not_to_have_attribute("data-state", "saved")

    page.get_by_role("link", name="Workflows").first.click()
    leave = page.get_by_test_id("leave-dialog")
    expect(leave).to_be_visible()
    shot(page, "screens-leave-dialog")
    page.get_by_test_id("leave-stay").click()
    expect(leave).to_be_hidden()
    assert page.url.endswith(f"/workflows/{wf['id']}")
    assert b.definition()["nodes"][0]["data"]["templateId"] == "tpl-unsaved-edit"

    page.get_by_role("link", name="Workflows").first.click()
    page.get_by_test_id("leave-confirm").click()
    expect(page).to_have_url(re.compile(r"/workflows$"))
    expect(row(page, wf["id"])).to_be_visible()


def test_a_401_goes_to_sign_in_and_back_with_the_edit_kept(page: Page, app: App) -> None:
    wf = app.api.call("POST", "", json=welcome("Expired session"), expect=201)
    b = open_editor(page, app, wf["id"], "hello")
    # The session's token stops being valid; the next request (the edit's validation) answers 401.
    page.evaluate("sessionStorage.setItem('workflows.token', 'expired.token.value')")
    b.select("hello")
    b.fill("Template id", "tpl-kept-through-401")

    expect(page).to_have_url(re.compile(r"/sign-in\?next=.*expired=1"), timeout=15_000)
    expect(page.get_by_test_id("sign-in-expired")).to_be_visible()
    shot(page, "screens-sign-in-expired")
    dev_sign_in(page, app.tenant)

    expect(page).to_have_url(re.compile(rf"/workflows/{wf['id']}$"), timeout=15_000)
    expect(b.node("hello")).to_be_visible()
    expect(page.get_by_test_id("draft-restored")).to_be_visible()
    assert b.definition()["nodes"][0]["data"]["templateId"] == "tpl-kept-through-401"
    expect(b.node("hello")).to_contain_text("tpl-kept-through-401")
    shot(page, "screens-draft-restored")


def publish_on_nats(app: App, *contacts: str) -> None:
    """contact.created for each contact on NATS, from another thread (Playwright holds this one's loop)."""

    async def go() -> None:
        observer = Observer(app.stack)
        await observer.open()
        try:
            for c in contacts:
                await observer.publish("contact.created", app.tenant, c, {})
        finally:
            await observer.close()

    worker = threading.Thread(target=lambda: asyncio.run(go()))
    worker.start()
    worker.join(60)


def test_publish_shows_the_diff_and_waiting_runs_then_pause_and_revert(page: Page, app: App) -> None:
    waits = welcome("Publish with waiting runs")
    waits["nodes"].insert(
        0,
        {
            "id": "pause-1d",
            "type": "delay",
            "position": {"x": 0, "y": 0},
            "data": {"duration": 1, "unit": "days"},
        },
    )
    waits["edges"] = [
        {"id": "e-0", "source": "trigger", "target": "pause-1d"},
        {"id": "e-1", "source": "pause-1d", "target": "hello"},
        {"id": "e-2", "source": "hello", "target": "done"},
    ]
    wf = app.api.create_active(waits)
    publish_on_nats(app, f"c-{uuid.uuid4().hex[:8]}")
    app.api.wait_runs(wf["id"], count=1, status="running")

    b = open_editor(page, app, wf["id"], "hello")
    expect(page.get_by_test_id("save")).to_have_text(re.compile("Publish"))
    b.select("hello")
    b.fill("Template id", "tpl-published")
    page.get_by_test_id("save").click()
    dialog = page.get_by_test_id("publish-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("diff-node-hello")).to_have_attribute("data-change", "changed")
    expect(dialog.get_by_test_id("publish-waiting-total")).to_have_text("1", timeout=15_000)
    shot(page, "screens-publish-dialog")
    dialog.get_by_test_id("publish-dialog-confirm").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("workflow-status")).to_contain_text("v2")
    assert app.api.call("GET", f"/{wf['id']}")["version"] == 2

    page.get_by_test_id("pause").click()
    pause = page.get_by_test_id("pause-dialog")
    expect(pause.get_by_test_id("in-flight")).to_contain_text("1")
    shot(page, "screens-pause-dialog")
    pause.get_by_test_id("pause-dialog-confirm").click()
    expect(pause).to_be_hidden()
    expect(page.get_by_test_id("workflow-status")).to_contain_text("paused")

    page.get_by_test_id("history-toggle").click()
    page.get_by_test_id("history-revert-1").click()
    revert = page.get_by_test_id("revert-dialog")
    expect(revert).to_be_visible()
    shot(page, "screens-revert-dialog")
    revert.get_by_test_id("revert-dialog-confirm").click()
    expect(revert).to_be_hidden()
    expect(b.node("hello")).to_contain_text("tpl-welcome")
    expect(b.node("hello")).not_to_contain_text("tpl-published")
