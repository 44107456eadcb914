"""Recorded transcripts: events in, effects out, as JSON under tests/fixtures/transcripts/.

The scenarios below are the source; ``regenerate()`` runs them through the current engine and writes one
file per scenario with concrete events (symbolic steps such as "fire the last timer" are resolved) and the
effects produced. ``test_transcripts.py`` replays the files and fails on any difference.

Regenerate after an intended behaviour change, review the diff, and commit it::

    REGENERATE_TRANSCRIPTS=1 .venv/bin/pytest tests/unit/engine/test_transcripts.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streams.engine import ContactState, DefinitionIndex, Event, ScheduleTimer, compile_definition, step
from streams.engine.timeutil import format_iso

from .helpers import CONTACT, DAY, HOUR, T0, TENANT, node, workflow

DIRECTORY = Path(__file__).resolve().parents[2] / "fixtures" / "transcripts"

Step = dict[str, Any]


def ev(kind: str, data: dict[str, Any] | None = None, *, at: int, event_id: str | None = None) -> Step:
    return {"type": kind, "data": data or {}, "at": at, "id": event_id}


def fire(*, at: int | None = None) -> Step:
    """Fire the most recently scheduled timer that was not fired yet (at its due time unless ``at``)."""
    return {"fire": True, "at": at}


def complete(ok: bool = True, *, at: int, output: Any = None, error: str | None = None) -> Step:
    """Answer the most recent HTTP action."""
    return {"action": ok, "at": at, "output": output, "error": error}


ONBOARDING = workflow(
    [
        node(
            "node-1", "send_email", templateId="tpl-welcome", fromName="Acme Team", fromEmail="hello@acme.com"
        ),
        node("node-2", "delay", duration=86400, unit="seconds"),
        node("node-3", "condition", conditions=[{"field": "hasOpened", "operator": "equals", "value": True}]),
        node("yes", "send_sms", templateId="tpl-thanks"),
        node("no", "send_email", templateId="tpl-reminder"),
    ],
    [
        {"source": "trigger", "target": "node-1"},
        {"source": "node-1", "target": "node-2"},
        {"source": "node-2", "target": "node-3"},
        {"source": "node-3", "target": "yes", "branch": "true"},
        {"source": "node-3", "target": "no", "branch": "false"},
    ],
    trigger={
        "type": "event",
        "event": "contact.created",
        "conditions": [{"field": "source", "operator": "equals", "value": "website_signup"}],
    },
    goals=[
        {
            "id": "goal-1",
            "name": "Purchased",
            "event": "contact.attribute_changed",
            "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
        }
    ],
)
SIGNUP = {"contact": {"email": "ada@example.com", "source": "website_signup", "attributes": {"plan": "free"}}}

HTTP = workflow(
    [
        node(
            "hook",
            "webhook",
            url="https://crm.example.com/leads?apiKey=k-123",
            headers={"Authorization": "Bearer crm-token"},
            body={"email": "{{email}}"},
            actionTimeoutMs=120_000,
            continueOnError=True,
        ),
        node("notify", "slack", channel="#sales", message="Lead {{email}}: {{variables.hook.status}}"),
        node("tag", "add_tag", tag="synced"),
    ]
)

BRANCHES = workflow(
    [
        node("sw", "switch", field="attributes.plan", cases=[{"value": "pro"}, {"value": "free"}]),
        node("sp", "split", variants=[{"id": "A", "percentage": 50}, {"id": "B", "percentage": 50}]),
        node("a", "send_email", templateId="tpl-a"),
        node("b", "send_email", templateId="tpl-b"),
        node("pro", "update_contact", attributes={"tier": "gold"}),
        node("other", "end"),
    ],
    [
        {"source": "trigger", "target": "sw"},
        {"source": "sw", "target": "pro", "branch": "pro"},
        {"source": "sw", "target": "sp", "branch": "free"},
        {"source": "sw", "target": "other", "branch": "default"},
        {"source": "sp", "target": "a", "branch": "A"},
        {"source": "sp", "target": "b", "branch": "B"},
    ],
    trigger={"type": "event", "event": "plan.chosen"},
    settings={"reEntry": "once"},
)

DST = workflow(
    [
        node("wait", "delay", duration=1, unit="days", timeOfDay="09:00"),
        node("send", "send_push", templateId="tpl-push"),
    ],
    trigger={"type": "segment_entry", "segmentId": "seg-east"},
    settings={"timezone": "America/New_York"},
)

SCHEDULED = workflow(
    [
        node("d", "wait_until", attribute="attributes.renewal", offset={"amount": -7, "unit": "days"}),
        node("s", "send_email", templateId="tpl-renew"),
    ],
    trigger={
        "type": "schedule",
        "cron": "0 9 * * 1",
        "timezone": "Europe/Berlin",
        "audience": {"segmentId": "renewals"},
    },
    settings={"reEntry": "not_while_active"},
)

SCENARIOS: dict[str, dict[str, Any]] = {
    "spec_onboarding_opened": {
        "definitions": [ONBOARDING],
        "steps": [
            ev("contact.created", SIGNUP, at=T0, event_id="created"),
            ev("contact.created", SIGNUP, at=T0, event_id="created"),  # redelivered: no effects
            ev("pipeline.message.opened", {"idempotencyKey": "RUN:node-1:1"}, at=T0 + HOUR),
            fire(),
        ],
    },
    "spec_onboarding_not_opened": {
        "definitions": [ONBOARDING],
        "steps": [ev("contact.created", SIGNUP, at=T0, event_id="created"), fire(at=T0 + DAY + 5000)],
    },
    "spec_goal_exit": {
        "definitions": [ONBOARDING],
        "steps": [
            ev("contact.created", SIGNUP, at=T0, event_id="created"),
            ev("contact.updated", {"changes": {"attributes.has_purchased": True}}, at=T0 + 2 * HOUR),
            fire(),
        ],
    },
    "http_actions": {
        "definitions": [HTTP],
        "steps": [
            ev("contact.created", {"contact": {"email": "bob@example.com"}}, at=T0, event_id="created"),
            complete(True, at=T0 + 1500, output={"status": 201}),
            complete(False, at=T0 + 3000, error="slack: channel_not_found"),
        ],
    },
    "http_timeout_continue_on_error": {
        "definitions": [HTTP],
        "steps": [
            ev("contact.created", {"contact": {"email": "bob@example.com"}}, at=T0, event_id="created"),
            fire(),
        ],
    },
    "switch_split_reentry_once": {
        "definitions": [BRANCHES],
        "profile": {"attributes": {"plan": "free"}},
        "steps": [ev("plan.chosen", at=T0), ev("plan.chosen", at=T0 + HOUR)],
    },
    "dst_delay_new_york": {
        "definitions": [DST],
        "steps": [
            ev("segment.member.added", {"segmentId": "seg-east"}, at=1_772_881_200_000),  # 2026-03-07T11:00Z
            fire(),
            ev("segment.member.removed", {"segmentId": "seg-east"}, at=1_772_981_000_000),
        ],
    },
    "schedule_tick_and_cancel": {
        "definitions": [SCHEDULED],
        "profile": {"segments": ["renewals"], "attributes": {"renewal": "2026-02-01T00:00:00Z"}},
        "steps": [
            ev(
                "workflow.schedule.tick",
                {"workflowId": "wf1", "version": 1, "tickAt": T0},
                at=T0,
                event_id="tick:wf1:1",
            ),
            ev(
                "workflow.schedule.tick",
                {"workflowId": "wf1", "version": 1, "tickAt": T0 + 7 * DAY},
                at=T0 + 7 * DAY,
                event_id="tick:wf1:2",
            ),
            ev(
                "workflow.run.cancel_requested",
                {"workflowId": "wf1", "reason": "renewed early"},
                at=T0 + 8 * DAY,
            ),
            fire(),
        ],
    },
}


class _Recorder:
    def __init__(self, scenario: dict[str, Any]) -> None:
        self.index = DefinitionIndex([compile_definition(d) for d in scenario["definitions"]])
        self.state = ContactState.empty(TENANT, CONTACT)
        self.state.profile.update(scenario.get("profile", {}))
        self.timers: list[ScheduleTimer] = []
        self.fired: set[str] = set()
        self.actions: list[dict[str, Any]] = []
        self.run_id = ""
        self.counter = 0

    def resolve(self, raw: Step) -> tuple[dict[str, Any], int]:
        self.counter += 1
        if raw.get("fire"):
            timer = next(t for t in reversed(self.timers) if t.timer_id not in self.fired)
            self.fired.add(timer.timer_id)
            at = raw["at"] or timer.due_at
            data = {"runId": timer.run_id, "timerId": timer.timer_id, "kind": timer.timer_kind}
            return self._envelope("workflow.timer.fired", data, at, f"timer:{timer.timer_id}"), at
        if "action" in raw:
            action = self.actions.pop(0)
            kind = "workflow.action.completed" if raw["action"] else "workflow.action.failed"
            data = {k: action[k] for k in ("runId", "nodeId", "idempotencyKey")}
            data.update({"output": raw["output"]} if raw["action"] else {"error": {"message": raw["error"]}})
            return self._envelope(kind, data, raw["at"], f"result:{action['idempotencyKey']}"), raw["at"]
        data = json.loads(json.dumps(raw["data"]).replace("RUN:", f"{self.run_id}:"))
        return self._envelope(raw["type"], data, raw["at"], raw["id"] or f"ev-{self.counter}"), raw["at"]

    def _envelope(self, kind: str, data: dict[str, Any], at: int, event_id: str) -> dict[str, Any]:
        return {
            "id": event_id,
            "type": kind,
            "tenantId": TENANT,
            "contactId": CONTACT,
            "occurredAt": format_iso(at),
            "data": data,
        }

    def apply(self, envelope: dict[str, Any], now: int) -> list[dict[str, Any]]:
        transition = step(self.state, Event.from_dict(envelope), definitions=self.index, now=now)
        self.state = transition.state
        for effect in transition.effects:
            if isinstance(effect, ScheduleTimer):
                self.timers.append(effect)
            if effect.kind in ("call_webhook", "send_slack"):
                self.actions.append(effect.to_dict())
            if effect.kind == "run_event" and not self.run_id:
                self.run_id = effect.run_id
        return [e.to_dict() for e in transition.effects]


def record(scenario: dict[str, Any]) -> dict[str, Any]:
    recorder = _Recorder(scenario)
    steps = []
    for raw in scenario["steps"]:
        envelope, now = recorder.resolve(raw)
        steps.append({"now": now, "event": envelope, "effects": recorder.apply(envelope, now)})
    return {
        "definitions": scenario["definitions"],
        "profile": scenario.get("profile", {}),
        "steps": steps,
        "finalState": recorder.state.to_dict(),
    }


def replay(transcript: dict[str, Any]) -> dict[str, Any]:
    """Feed a recorded transcript's events to the current engine; returns it with fresh effects."""
    index = DefinitionIndex([compile_definition(d) for d in transcript["definitions"]])
    state = ContactState.empty(TENANT, CONTACT)
    state.profile.update(transcript["profile"])
    steps = []
    for recorded in transcript["steps"]:
        # The worker's round trip: the state goes through JSON between events.
        state = ContactState.from_dict(json.loads(json.dumps(state.to_dict())))
        transition = step(state, Event.from_dict(recorded["event"]), definitions=index, now=recorded["now"])
        state = transition.state
        steps.append(
            {**recorded, "effects": [json.loads(json.dumps(e.to_dict())) for e in transition.effects]}
        )
    return {**transcript, "steps": steps, "finalState": json.loads(json.dumps(state.to_dict()))}


def regenerate() -> list[Path]:
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    written = []
    for name, scenario in SCENARIOS.items():
        path = DIRECTORY / f"{name}.json"
        path.write_text(json.dumps(record(scenario), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
