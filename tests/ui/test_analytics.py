"""The analytics screen in a real browser against the end-to-end stack: after the spec's three scenarios run
through NATS, the counts on the canvas are the API's funnel figures, the run explorer finds each scenario's
contact and its run detail highlights the path it took; a split with a goal and a branch nobody takes fills
the split table and the insights panel, and lists who took a branch; who is where lists the runs waiting at
a node, and one is cancelled from its run detail and the rest in bulk; a webhook that answers 400 shows its
failures on the canvas, who failed there, and the error in the run's steps."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Observer
from tests.e2e.flows import chain, node
from tests.ui.conftest import App
from tests.ui.kit import shot

pytestmark = pytest.mark.integration

GOAL_PURCHASED = {
    "id": "goal-1",
    "name": "Purchased",
    "event": "contact.attribute_changed",
    "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
}
OFF_PATH = re.compile(r"\boff-path\b")
PURCHASED = {"changes": {"attributes": {"has_purchased": True}}}


def publish(app: App, kind: str, contacts: list[str], data: dict[str, Any]) -> None:
    """One `kind` event per contact on NATS, from another thread (Playwright holds this one's loop)."""
    failure: list[BaseException] = []

    async def go() -> None:
        observer = Observer(app.stack)
        await observer.open()
        try:
            for c in contacts:
                await observer.publish(kind, app.tenant, c, data)
        finally:
            await observer.close()

    def run() -> None:
        try:
            asyncio.run(go())
        except BaseException as e:  # handed to the test's thread
            failure.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "publishing to NATS took over 60 s"
    if failure:
        raise failure[0]


def wait_for(what: str, probe: Callable[[], Any], ok: Callable[[Any], bool], *, timeout: float = 60) -> Any:
    """The first answer of `probe` that is `ok`, polled until `timeout` (the last one is in the failure)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if ok(last):
            return last
        time.sleep(0.4)
    raise AssertionError(f"timed out waiting for {what}; last answer: {last!r}")


def funnel(app: App, workflow_id: str, **params: Any) -> dict[str, Any]:
    return dict(app.api.call("GET", f"/{workflow_id}/stats/funnel", params=params))


def entered(f: dict[str, Any]) -> dict[str, int]:
    return {n["nodeId"]: n["entered"] for n in f["nodes"]}


def waiting_at(app: App, workflow_id: str, node_id: str) -> int:
    return next(int(n["waitingNow"]) for n in funnel(app, workflow_id)["nodes"] if n["nodeId"] == node_id)


@dataclass
class Scenario:
    name: str
    workflow_id: str
    contact: str
    reached: list[str]
    """Nodes the contact's run went through, in order."""
    skipped: list[str]
    """Nodes of the workflow the run never went through."""


@pytest.fixture(scope="module")
def scenarios(app: App) -> list[Scenario]:
    """The spec's three scenarios, run end to end through NATS, each one's runs and figures settled."""
    one = app.api.create_active(
        {
            "name": "New User Onboarding",
            "trigger": {
                "type": "event",
                "event": "contact.created",
                "conditions": [{"field": "source", "operator": "equals", "value": "website_signup"}],
            },
            "nodes": [
                node("node-1", "send_email", templateId="tpl-welcome", fromEmail="hi@acme.test"),
                node("node-2", "add_tag", tag="onboarded"),
                node("node-3", "end"),
            ],
            "edges": chain("node-1", "node-2", "node-3"),
        }
    )
    signup, imported = f"c-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    publish(app, "contact.created", [signup], {"contact": {"source": "website_signup"}})
    publish(app, "contact.created", [imported], {"contact": {"source": "import"}})
    app.api.wait_runs(one["id"], count=1, status="completed")
    # The read models follow the run events: wait until the funnel holds the finished run.
    wait_for("scenario 1's funnel", lambda: funnel(app, one["id"]), lambda f: entered(f).get("node-3") == 1)
    # Each scenario's workflow is paused once its run is counted: the next scenario's events start none.
    app.api.pause(one["id"])

    two = app.api.create_active(
        {
            "name": "Delay then SMS",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [
                node("wait", "delay", duration=2, unit="seconds"),
                node("sms", "send_sms", templateId="t-sms"),
            ],
            "edges": chain("wait", "sms"),
        }
    )
    delayed = f"c-{uuid.uuid4().hex[:8]}"
    publish(app, "contact.created", [delayed], {"contact": {"email": "a@b.test"}})
    app.api.wait_runs(two["id"], count=1, status="completed", timeout=90)
    wait_for("scenario 2's funnel", lambda: funnel(app, two["id"]), lambda f: entered(f).get("sms") == 1)
    app.api.pause(two["id"])

    three = app.api.create_active(
        {
            "name": "Nurture until purchase",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [
                node("first", "send_email", templateId="t1"),
                node("wait", "delay", duration=1, unit="hours"),
                node("second", "send_email", templateId="t2"),
            ],
            "edges": chain("first", "wait", "second"),
            "goals": [GOAL_PURCHASED],
        }
    )
    buyer = f"c-{uuid.uuid4().hex[:8]}"
    publish(app, "contact.created", [buyer], {"contact": {"attributes": {}}})
    app.api.wait_runs(three["id"], count=1, status="running")
    wait_for("scenario 3's wait", lambda: funnel(app, three["id"]), lambda f: entered(f).get("wait") == 1)
    publish(app, "contact.updated", [buyer], PURCHASED)
    app.api.wait_runs(three["id"], count=1, status="goal_reached")
    wait_for(
        "scenario 3's funnel",
        lambda: funnel(app, three["id"]),
        lambda f: all(n["waitingNow"] == 0 for n in f["nodes"]),
    )
    app.api.pause(three["id"])
    return [
        Scenario("scenario-1", one["id"], signup, ["node-1", "node-2", "node-3"], []),
        Scenario("scenario-2", two["id"], delayed, ["wait", "sms"], []),
        Scenario("scenario-3", three["id"], buyer, ["first"], ["second"]),
    ]


def open_analytics(page: Page, app: App, workflow_id: str, first_node: str, query: str = "") -> None:
    page.goto(f"{app.base}/workflows/{workflow_id}/analytics{query}")
    expect(page.get_by_test_id(f"stat-entered-{first_node}")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(300)  # the view fits the measured graph


def shown(locator: Locator) -> int:
    """A figure as the canvas prints it ("1,204 entered" -> 1204)."""
    return (
        int(locator.locator("strong").inner_text().replace(",", ""))
        if locator.locator("strong").count()
        else int(locator.inner_text().replace(",", ""))
    )


def edge_label(page: Page, source: str, target: str, branch: str | None) -> Locator:
    where = f'[data-source="{source}"][data-target="{target}"][data-branch="{branch or ""}"]'
    return page.locator(f'[data-testid^="edge-runs-"]{where}')


def assert_canvas_is_the_funnel(page: Page, f: dict[str, Any]) -> None:
    assert f["nodes"], "the API's funnel has no node"
    for n in f["nodes"]:
        nid = n["nodeId"]
        assert shown(page.get_by_test_id(f"stat-entered-{nid}")) == n["entered"], nid
        assert shown(page.get_by_test_id(f"stat-waiting-{nid}")) == n["waitingNow"], nid
        failed = page.get_by_test_id(f"stat-failed-{nid}")
        if n["failed"]:
            assert shown(failed) == n["failed"], nid
        else:
            expect(failed).to_have_count(0)
    for e in f["edges"]:
        label = edge_label(page, e["source"], e["target"], e["branch"])
        expect(label).to_have_count(1)
        assert shown(label) == e["runs"], e


def test_the_canvas_shows_the_api_funnel_of_each_scenario(
    page: Page, app: App, scenarios: list[Scenario]
) -> None:
    # From the editor's toolbar to the analytics screen and back.
    first = scenarios[0]
    page.goto(f"{app.base}/workflows/{first.workflow_id}")
    page.get_by_role("link", name="Analytics").click()
    expect(page).to_have_url(f"{app.base}/workflows/{first.workflow_id}/analytics")
    expect(page.get_by_test_id("stat-entered-node-1")).to_be_visible(timeout=30_000)
    # The side panel's tabs answer the arrow keys.
    page.get_by_role("tab", name="Overview").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Splits")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Splits")).to_be_focused()
    page.get_by_role("navigation", name="Workflow views").get_by_role("link", name="Editor").click()
    expect(page.get_by_test_id("save")).to_be_visible()

    for s in scenarios:
        open_analytics(page, app, s.workflow_id, s.reached[0])
        f = funnel(app, s.workflow_id)
        assert entered(f)[s.reached[0]] == 1  # the scenario's run (scenario 1's imported contact stayed out)
        assert_canvas_is_the_funnel(page, f)
        for skipped in s.skipped:
            assert shown(page.get_by_test_id(f"stat-entered-{skipped}")) == 0
        # The busiest edge is drawn thicker than an edge no run took.
        shot(page, f"analytics-canvas-{s.name}")

    # One version picked: the same figures for that version (the API's, read with ?version=1).
    s = scenarios[0]
    open_analytics(page, app, s.workflow_id, "node-1", "?version=1")
    expect(page.get_by_test_id("version-pick")).to_have_value("1")
    assert_canvas_is_the_funnel(page, funnel(app, s.workflow_id, version=1))

    # The run totals are the API's.
    stats = app.api.call("GET", f"/{s.workflow_id}/stats")
    expect(page.get_by_test_id("totals-total-runs")).to_have_text(str(stats["totalRuns"]))
    expect(page.get_by_test_id("totals-completed-runs")).to_have_text(str(stats["completedRuns"]))
    expect(page.get_by_test_id("totals-conversion")).to_have_text(f"{stats['conversionRate']:.1f}%")

    # The overview's charts draw the API's series.
    expect(page.get_by_test_id("funnel-chart").locator(".recharts-bar-rectangle").first).to_be_visible()
    trend = page.get_by_test_id("trend-chart")
    expect(trend.locator(".recharts-line").first).to_be_visible()
    for preset, interval in (("24h", "hour"), ("30d", "day")):
        trend.get_by_label("Range").select_option(preset)
        expect(trend.get_by_label("Interval")).to_have_value(interval)
        expect(trend).to_have_attribute("data-interval", interval)
        expect(trend).to_have_attribute("data-buckets", re.compile(r"^\d+$"))
        asked = {"from": trend.get_attribute("data-from"), "to": trend.get_attribute("data-to")}
        series = app.api.call(
            "GET", f"/{s.workflow_id}/stats/timeseries", params={**asked, "interval": interval, "version": 1}
        )
        expect(trend).to_have_attribute("data-buckets", str(len(series["buckets"])))
        assert sum(b["started"] for b in series["buckets"]) == 1  # the scenario's run, in the range
        expect(trend.locator(".recharts-bar-rectangle")).not_to_have_count(0)
    expect(page.get_by_test_id("trend-error")).to_have_count(0)
    shot(page, "analytics-overview")


def test_the_run_explorer_finds_each_contact_and_highlights_its_path(
    page: Page, app: App, scenarios: list[Scenario]
) -> None:
    for s in scenarios:
        open_analytics(page, app, s.workflow_id, s.reached[0])
        page.get_by_role("tab", name="Runs").click()
        explorer = page.get_by_test_id("run-explorer")
        rows = explorer.locator("tbody tr")
        if s.name == "scenario-3":
            # By status and start time: the goal-reached run, and nothing that failed or started later.
            status = explorer.get_by_label("Status")
            status.select_option("goal_reached")
            explorer.get_by_role("button", name="Search runs").click()
            expect(rows).to_have_count(1)
            status.select_option("failed")
            explorer.get_by_role("button", name="Search runs").click()
            expect(explorer.get_by_test_id("runs-empty")).to_be_visible()
            status.select_option("")
            explorer.get_by_label("Started after").fill("2099-01-01T00:00")
            explorer.get_by_role("button", name="Search runs").click()
            expect(explorer.get_by_test_id("runs-empty")).to_be_visible()
            explorer.get_by_role("button", name="Clear").click()
        explorer.get_by_label("Contact id").fill(s.contact)
        explorer.get_by_role("button", name="Search runs").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-contact", s.contact)
        if s.name == "scenario-1":
            shot(page, "analytics-run-explorer")
        explorer.get_by_role("button", name=f"Open the run of {s.contact}").click()

        detail = page.get_by_test_id("run-detail")
        expect(detail.get_by_test_id("run-contact")).to_have_text(s.contact)
        run = app.api.runs(s.workflow_id, contactId=s.contact)[0]
        steps = app.api.call("GET", f"/{s.workflow_id}/runs/{run['id']}")["steps"]
        # The path: the trigger, then the nodes of the run's steps that were not skipped, in their order.
        path = ["trigger", *(st["nodeId"] for st in steps if st["status"] != "skipped")]
        assert path[1 : 1 + len(s.reached)] == s.reached
        assert not set(s.skipped) & set(path)
        expect(page.get_by_test_id("analytics-canvas")).to_have_attribute("data-path", " ".join(path))
        on_path = page.locator(".react-flow__node.on-path")
        expect(on_path).to_have_count(len(path))
        assert sorted(on_path.evaluate_all("els => els.map(e => e.dataset.id)")) == sorted(path)
        for skipped in s.skipped:
            expect(page.locator(f'.react-flow__node[data-id="{skipped}"]')).to_have_class(OFF_PATH)
        # Every edge between two consecutive nodes of the path is highlighted, and only those.
        expect(page.locator(".react-flow__edge.on-path")).to_have_count(len(path) - 1)
        timeline = detail.get_by_test_id("step-timeline").locator("> li")
        expect(timeline).to_have_count(len(steps))
        for i, step in enumerate(steps):
            expect(timeline.nth(i)).to_have_attribute("data-status", step["status"])
        expect(detail.get_by_test_id("run-status")).to_have_text(run["status"].replace("_", " "))
        expect(detail.get_by_test_id("run-cancel")).to_have_count(0)  # an ended run has no cancel
        shot(page, f"analytics-run-detail-{s.name}")


def test_split_results_and_insights_render_for_a_workflow_with_data(page: Page, app: App) -> None:
    wf = app.api.create_active(
        {
            "name": "Split with a goal",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [
                node(
                    "check",
                    "condition",
                    conditions=[{"field": "source", "operator": "equals", "value": "partner"}],
                ),
                node("vip", "end"),
                node("ab", "split", variants=[{"id": "a", "percentage": 50}, {"id": "b", "percentage": 50}]),
                node("mail-a", "send_email", templateId="ta"),
                node("mail-b", "send_sms", templateId="tb"),
                node("hold", "delay", duration=1, unit="hours"),
                node("done", "end"),
            ],
            "edges": [
                {"source": "trigger", "target": "check"},
                {"source": "check", "target": "vip", "branch": "true"},
                {"source": "check", "target": "ab", "branch": "false"},
                {"source": "ab", "target": "mail-a", "branch": "a"},
                {"source": "ab", "target": "mail-b", "branch": "b"},
                {"source": "mail-a", "target": "hold"},
                {"source": "mail-b", "target": "hold"},
                {"source": "hold", "target": "done"},
            ],
            "goals": [GOAL_PURCHASED],
        }
    )
    contacts = [f"c-{uuid.uuid4().hex[:8]}" for _ in range(24)]
    publish(app, "contact.created", contacts, {"contact": {"source": "ads"}})
    wait_for(
        "24 runs at hold", lambda: funnel(app, wf["id"]), lambda f: entered(f).get("hold") == 24, timeout=90
    )
    publish(app, "contact.updated", contacts[:9], PURCHASED)
    app.api.wait_runs(wf["id"], count=9, status="goal_reached")
    splits = wait_for(
        "9 conversions in the split",
        lambda: app.api.call("GET", f"/{wf['id']}/stats/splits"),
        lambda s: len(s) == 1 and sum(v["converted"] for v in s[0]["variants"]) == 9,
    )
    app.api.pause(wf["id"])  # the next test's events start no run here
    insights = app.api.call("GET", f"/{wf['id']}/insights")
    assert any(i["kind"] == "branch_never_taken" and i["nodeId"] == "check" for i in insights), insights

    open_analytics(page, app, wf["id"], "check")
    assert_canvas_is_the_funnel(page, funnel(app, wf["id"]))
    shot(page, "analytics-canvas-split")

    # Who took branch a of the split: the runs the API counts on that edge, a page at a time.
    took_a = next(
        e["runs"] for e in funnel(app, wf["id"])["edges"] if e["source"] == "ab" and e["branch"] == "a"
    )
    edge_label(page, "ab", "mail-a", "a").click()
    panel = page.get_by_test_id("contacts-panel")
    expect(panel.get_by_role("heading")).to_have_text("Took the a branch of ab")
    expect(panel.get_by_test_id("contacts-total")).to_have_text(str(took_a))
    rows = panel.get_by_test_id("contacts-list").locator("tbody tr")
    expect(rows).to_have_count(min(took_a, 20))
    if took_a > 20:
        panel.get_by_role("button", name="Load more").click()
        expect(rows).to_have_count(took_a)
    listed = rows.evaluate_all("els => els.map(e => e.dataset.contact)")
    assert len(set(listed)) == took_a
    assert set(listed) <= set(contacts)
    shot(page, "analytics-who-took-a-branch")

    # Everyone who entered hold: 24 runs, the first 20 then the rest with "Load more".
    panel.get_by_test_id("contacts-back").click()
    page.get_by_role("button", name="Entered hold: 24").click()
    rows = page.get_by_test_id("contacts-list").locator("tbody tr")
    expect(rows).to_have_count(20)
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(24)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    assert sorted(rows.evaluate_all("els => els.map(e => e.dataset.contact)")) == sorted(contacts)
    page.get_by_test_id("contacts-back").click()

    page.get_by_role("tab", name="Splits").click()
    (split,) = splits
    section = page.get_by_test_id("split-ab")
    expect(section).to_be_visible()
    for v in split["variants"]:
        row = section.get_by_test_id(f"variant-ab-{v['variantId']}")
        cells = row.locator("td")
        assert shown(cells.nth(0)) == v["entered"]
        assert shown(cells.nth(1)) == v["converted"]
        expect(cells.nth(2)).to_have_text(f"{v['conversionRate'] * 100:.1f}%")
        expect(cells.nth(3)).to_have_text(f"{v['ciLow'] * 100:.1f}% \u2013 {v['ciHigh'] * 100:.1f}%")
    c = split["comparison"]
    badge = section.get_by_test_id("split-verdict-ab")
    expect(badge).to_have_text(f"Winner: {c['winner']}" if c and c["winner"] else "No winner yet")
    if c:
        expect(section.get_by_test_id("split-summary-ab")).to_have_text(c["summary"])
    shot(page, "analytics-splits")

    page.get_by_role("tab", name="Insights").click()
    items = page.get_by_test_id("insights").locator("> li")
    expect(items).to_have_count(len(insights))
    for i, insight in enumerate(insights):
        expect(items.nth(i)).to_contain_text(insight["title"])
        expect(items.nth(i)).to_contain_text(insight["detail"])
    untaken = page.get_by_test_id("insight-branch_never_taken").first
    untaken.get_by_role("button").click()
    expect(page.locator('.react-flow__node[data-id="check"]')).to_have_class(re.compile(r"\bselected\b"))
    shot(page, "analytics-insights")


def test_who_is_where_lists_the_waiting_contacts_and_cancels_them(page: Page, app: App) -> None:
    wf = app.api.create_active(
        {
            "name": "Hold for a day",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [
                node("hello", "send_email", templateId="t1"),
                node("hold", "delay", duration=1, unit="days"),
            ],
            "edges": chain("hello", "hold"),
        }
    )
    contacts = [f"c-{uuid.uuid4().hex[:8]}" for _ in range(4)]
    publish(app, "contact.created", contacts, {})
    app.api.wait_runs(wf["id"], count=4, status="running")
    hold = wf["id"]
    wait_for("4 runs waiting at hold", lambda: waiting_at(app, hold, "hold"), lambda w: w == 4)

    open_analytics(page, app, wf["id"], "hello")
    page.get_by_role("button", name="Waiting at hold: 4").click()
    panel = page.get_by_test_id("contacts-panel")
    expect(panel.get_by_test_id("contacts-total")).to_have_text("4")
    rows = panel.get_by_test_id("contacts-list").locator("tbody tr")
    expect(rows).to_have_count(4)
    listed = rows.evaluate_all("els => els.map(e => e.dataset.contact)")
    assert sorted(listed) == sorted(contacts)
    shot(page, "analytics-who-is-where")

    # One run, from its detail: the run waits at hold until a day from now; cancel it.
    first = contacts[0]
    panel.get_by_role("button", name=f"Open the run of {first}").click()
    detail = page.get_by_test_id("run-detail")
    expect(detail.get_by_test_id("run-waiting")).to_contain_text("hold")
    expect(page.locator(".react-flow__node.current")).to_have_attribute("data-id", "hold")
    detail.get_by_test_id("run-cancel").click()
    dialog = page.get_by_test_id("cancel-run-dialog")
    expect(dialog).to_contain_text(first)
    shot(page, "analytics-cancel-run")
    dialog.get_by_test_id("cancel-run-dialog-confirm").click()
    expect(dialog).to_be_hidden()
    app.api.wait_runs(wf["id"], count=1, status="cancelled")
    expect(detail.get_by_test_id("run-status")).to_have_text("cancelled", timeout=15_000)
    wait_for("3 runs waiting at hold", lambda: waiting_at(app, hold, "hold"), lambda w: w == 3)

    # The rest in bulk, from who is where: the question names the API's count.
    page.reload()
    expect(page.get_by_role("button", name="Waiting at hold: 3")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Waiting at hold: 3").click()
    panel = page.get_by_test_id("contacts-panel")
    expect(panel.get_by_test_id("contacts-list").locator("tbody tr")).to_have_count(3)
    panel.get_by_role("button", name="Cancel all waiting here").click()
    bulk = page.get_by_test_id("cancel-waiting-dialog")
    expect(bulk.get_by_test_id("cancel-waiting-count")).to_have_text("3")
    expect(bulk.get_by_role("heading")).to_have_text("Cancel 3 waiting runs?")
    shot(page, "analytics-bulk-cancel-dialog")
    bulk.get_by_test_id("cancel-waiting-dialog-confirm").click()
    expect(bulk).to_be_hidden()
    expect(panel.get_by_test_id("cancel-waiting-done")).to_contain_text("cancel 3 runs")
    cancelled = app.api.wait_runs(wf["id"], count=4, status="cancelled")
    assert sorted(r["contactId"] for r in cancelled) == sorted(contacts)
    wait_for("nobody waiting at hold", lambda: waiting_at(app, hold, "hold"), lambda w: w == 0)
    page.get_by_test_id("refresh").click()
    expect(page.get_by_role("button", name="Waiting at hold: 0")).to_be_visible()
    shot(page, "analytics-bulk-cancelled")
    app.api.pause(wf["id"])  # the next test's events start no run here


class _Refuses(BaseHTTPRequestHandler):
    """A webhook receiver that answers 400: the executor does not retry it, so the node and its run fail."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": "refused"}')

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def refusing_hook(app: App) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", app.stack.receiver_port), _Refuses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def test_a_failing_node_shows_its_failures_and_who_failed_there(
    page: Page, app: App, refusing_hook: str
) -> None:
    wf = app.api.create_active(
        {
            "name": "Failing webhook",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [node("call", "webhook", url=refusing_hook, method="POST"), node("done", "end")],
            "edges": chain("call", "done"),
        }
    )
    contacts = [f"c-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    publish(app, "contact.created", contacts, {})
    failed = app.api.wait_runs(wf["id"], count=3, status="failed", timeout=90)
    f = wait_for(
        "3 failures at call",
        lambda: funnel(app, wf["id"]),
        lambda f: {n["nodeId"]: n["failed"] for n in f["nodes"]}.get("call") == 3,
    )
    app.api.pause(wf["id"])

    open_analytics(page, app, wf["id"], "call")
    assert_canvas_is_the_funnel(page, f)
    badge = page.get_by_role("button", name="Failed at call: 3")
    expect(badge).to_be_visible()
    shot(page, "analytics-failed-badge")
    badge.click()
    panel = page.get_by_test_id("contacts-panel")
    expect(panel.get_by_role("heading")).to_have_text("Failed at call")
    rows = panel.get_by_test_id("contacts-list").locator("tbody tr")
    expect(rows).to_have_count(3)
    assert sorted(rows.evaluate_all("els => els.map(e => e.dataset.contact)")) == sorted(contacts)
    expect(panel.get_by_role("button", name="Cancel all waiting here")).to_have_count(0)

    # A failed run's detail: the step's error where it happened, and no cancel.
    run = failed[0]
    panel.get_by_role("button", name=f"Open the run of {run['contactId']}").click()
    detail = page.get_by_test_id("run-detail")
    expect(detail.get_by_test_id("run-status")).to_have_text("failed")
    step = app.api.call("GET", f"/{wf['id']}/runs/{run['id']}")["steps"][0]
    assert step["errorMessage"], step
    expect(detail.get_by_test_id("step-error-call")).to_have_text(step["errorMessage"])
    expect(detail.get_by_test_id("run-cancel")).to_have_count(0)
    shot(page, "analytics-failed-run")
