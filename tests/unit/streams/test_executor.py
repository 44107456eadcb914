"""ActionExecutor over httpx.MockTransport: SSRF guard, retries with backoff, response cap, results."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest

from streams.engine import CallWebhook, SendSlack
from streams.executor import ActionError, ActionExecutor, SsrfGuard
from streams.metrics import Metrics
from streams.store import MemoryPartitionStore
from streams.worker_settings import WorkerSettings
from tests.unit.engine.helpers import workflow
from tests.unit.streams.builders import (
    T0,
    TENANT,
    apply,
    contact_on,
    envelope,
    feed_with,
    node,
    processor,
    record,
    subjects,
)

PUBLIC = "http://93.184.216.34"  # a public address literal: the guard resolves it without DNS


def settings(**overrides: Any) -> WorkerSettings:
    values: dict[str, Any] = {
        "executor_attempts": 3,
        "executor_backoff_base_s": 0.001,
        "executor_backoff_max_s": 0.002,
        "executor_max_response_bytes": 1024,
        "executor_allow_hosts": [],
        "slack_bot_token": None,
        **overrides,
    }
    return WorkerSettings(**values)


class Calls:
    """A MockTransport handler answering from a script (the last answer repeats), recording requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def noop_emit(envelopes: list[dict[str, Any]]) -> None:
    return None


def executor(calls: Calls, ws: WorkerSettings | None = None, emit: Any = noop_emit) -> ActionExecutor:
    return ActionExecutor(
        ws or settings(), emit=emit, metrics=Metrics(), transport=httpx.MockTransport(calls)
    )


def webhook(url: str = f"{PUBLIC}/hook", body: Any = None) -> CallWebhook:
    return CallWebhook(
        TENANT, "c1", "run-1", "h", "run-1:h:1", url, "POST", {"x-sig": "abc"}, body or {"a": 1}, 1_000
    )


async def run_once(calls: Calls, effect: Any, ws: WorkerSettings | None = None) -> dict[str, Any]:
    ex = executor(calls, ws)
    try:
        return await ex.run(effect)
    finally:
        await ex.stop()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/x", "non-public address 127.0.0.1"),
        ("http://10.1.2.3/x", "non-public address 10.1.2.3"),
        ("http://172.16.5.4/x", "non-public address 172.16.5.4"),
        ("http://192.168.0.10/x", "non-public address 192.168.0.10"),
        (f"{PUBLIC}:8080/x", "port 8080 is not allowed"),
        ("http://example.com:22/x", "port 22 is not allowed"),
        ("http://169.254.169.254/latest/meta-data", "non-public address 169.254.169.254"),
        ("http://[::1]/x", "non-public address ::1"),
        ("http://[::ffff:127.0.0.1]/x", "non-public address ::ffff:7f00:1"),
        ("http://[fe80::1]/x", "non-public address fe80::1"),
        ("http://100.100.100.200/x", "non-public address 100.100.100.200"),
        ("http://0.0.0.0/x", "non-public address 0.0.0.0"),
        ("http://2130706433/x", "non-public address 127.0.0.1"),
        ("http://metadata.google.internal/computeMetadata/v1", "cloud metadata host"),
        ("ftp://93.184.216.34/x", "only http(s) URLs with a host"),
        ("http:///x", "only http(s) URLs with a host"),
    ],
)
async def test_the_guard_refuses_non_public_targets(url: str, why: str) -> None:
    with pytest.raises(ActionError, match="refused URL") as refused:
        await SsrfGuard([]).check(url)
    assert why in str(refused.value)


@pytest.mark.parametrize(
    ("allow", "url"),
    [
        ([], f"{PUBLIC}/x"),
        (["127.0.0.1"], "http://127.0.0.1/x"),
        (["10.0.0.0/8"], "http://10.1.2.3/x"),
        (["hooks.internal"], "https://hooks.internal/x"),  # allow-listed names are not resolved
    ],
)
async def test_public_and_allow_listed_targets_are_called(allow: list[str], url: str) -> None:
    calls = Calls(httpx.Response(204))
    result = await run_once(calls, webhook(url), settings(executor_allow_hosts=allow))
    assert result["type"] == "workflow.action.completed"
    assert [str(r.url) for r in calls.requests] == [url]


async def test_an_allow_listed_network_does_not_open_other_private_ones() -> None:
    with pytest.raises(ActionError, match=r"192\.168\.0\.1"):
        await SsrfGuard(["10.0.0.0/8"]).check("http://192.168.0.1/x")


async def test_a_refused_url_fails_the_action_without_any_request() -> None:
    calls = Calls(httpx.Response(200))
    result = await run_once(calls, webhook("http://169.254.169.254/latest?token=secret"))
    assert result["type"] == "workflow.action.failed"
    message = result["data"]["error"]["message"]
    assert message.startswith("refused URL")
    assert "169.254.169.254" in message
    assert "secret" not in message
    assert "/latest" not in message
    assert calls.requests == []


async def test_5xx_is_retried_with_capped_exponential_backoff_then_reported_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caps: list[tuple[float, float]] = []

    def no_jitter(low: float, high: float) -> float:
        caps.append((low, high))
        return 0.0

    monkeypatch.setattr(random, "uniform", no_jitter)
    calls = Calls(httpx.Response(503))
    ws = settings(executor_attempts=5, executor_backoff_base_s=0.5, executor_backoff_max_s=1.5)
    result = await run_once(calls, webhook(f"{PUBLIC}/hook?key=secret"), ws)

    assert len(calls.requests) == 5
    assert caps == [(0, 0.5), (0, 1.0), (0, 1.5), (0, 1.5)]
    assert result["id"] == "action:run-1:h:1:failed"
    assert result["type"] == "workflow.action.failed"
    assert result["data"]["error"] == {"message": f"POST {PUBLIC} answered 503 (after 5 attempts)"}


async def test_a_transient_failure_then_success_completes() -> None:
    calls = Calls(httpx.Response(502), httpx.ConnectError("refused"), httpx.Response(200, json={"ok": 1}))
    result = await run_once(calls, webhook())
    assert len(calls.requests) == 3
    assert result["type"] == "workflow.action.completed"
    assert result["data"]["output"]["body"] == {"ok": 1}


async def test_a_4xx_is_not_retried() -> None:
    calls = Calls(httpx.Response(404))
    result = await run_once(calls, webhook())
    assert len(calls.requests) == 1
    assert result["data"]["error"]["message"] == f"POST {PUBLIC} answered 404"


async def _chunks() -> AsyncIterator[bytes]:
    for _ in range(5):
        yield b"abcd"


@pytest.mark.parametrize(
    ("response", "body"),
    [
        (lambda: httpx.Response(200, content=b'{"long": "' + b"x" * 40 + b'"}'), '{"long": "'),
        (lambda: httpx.Response(200, content=_chunks()), "abcdabcdab"),
    ],
    ids=["one-chunk", "streamed"],
)
async def test_the_response_is_read_up_to_the_size_cap(
    response: Callable[[], httpx.Response], body: str
) -> None:
    result = await run_once(Calls(response()), webhook(), settings(executor_max_response_bytes=10))
    output = result["data"]["output"]
    assert (output["status"], output["body"], output["truncated"]) == (200, body, True)


async def test_a_submitted_action_reports_completion_through_emit() -> None:
    emitted: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def emit(envelopes: list[dict[str, Any]]) -> None:
        emitted.extend(envelopes)
        done.set()

    calls = Calls(httpx.Response(201, json={"id": 42}))
    ex = executor(calls, emit=emit)
    await ex.start()
    try:
        assert ex.offer(webhook(body={"email": "a@b.test"}))
        await asyncio.wait_for(done.wait(), timeout=2)
    finally:
        await ex.stop()

    [request] = calls.requests
    assert (request.method, str(request.url)) == ("POST", f"{PUBLIC}/hook")
    assert orjson.loads(request.content) == {"email": "a@b.test"}
    assert (request.headers["content-type"], request.headers["x-sig"]) == ("application/json", "abc")
    assert request.headers["idempotency-key"] == "run-1:h:1"
    [result] = emitted
    assert result["id"] == "action:run-1:h:1:completed"
    assert (result["type"], result["tenantId"], result["contactId"]) == (
        "workflow.action.completed",
        TENANT,
        "c1",
    )
    data = result["data"]
    assert (data["runId"], data["nodeId"], data["idempotencyKey"]) == ("run-1", "h", "run-1:h:1")
    assert (data["output"]["status"], data["output"]["body"], data["output"]["truncated"]) == (
        201,
        {"id": 42},
        False,
    )


async def test_the_result_of_a_webhook_node_resumes_its_run() -> None:
    store = MemoryPartitionStore()
    definition = workflow([node("h", "webhook", url=f"{PUBLIC}/signup", body={"email": "{{email}}"})])
    proc = processor(store, feed_with(definition))
    contact = contact_on(1)
    created = envelope("e1", "contact.created", contact, {"contact": {"email": "x@y.test"}})
    started = proc.process([record(1, 0, created)], now=T0)
    apply(store, started)
    [action] = started.actions
    # its action_timeout timer, and the action pending until its result is applied
    assert sorted(key[:2] for key in started.timer_changes[1]) == [b"A|", b"T|"]

    calls = Calls(httpx.Response(200, json={"ok": True}))
    result = await run_once(calls, action)
    assert orjson.loads(calls.requests[0].content) == {"email": "x@y.test"}
    done = proc.process([record(1, 1, result)], now=T0 + 50)

    assert subjects(done.outputs) == ["workflow.node.executed", "workflow.run.completed"]
    assert sorted(done.timer_changes[1]) == sorted(started.timer_changes[1])  # both deleted
    assert list(done.timer_changes[1].values()) == [None, None]


async def test_slack_without_a_webhook_or_token_fails_without_a_request() -> None:
    calls = Calls(httpx.Response(200))
    slack = SendSlack(TENANT, "c1", "run-1", "s", "run-1:s:1", None, "#ops", "hi", None, 1_000)
    result = await run_once(calls, slack)
    assert (
        result["data"]["error"]["message"]
        == "slack: no webhookUrl, and no channel with a configured bot token"
    )
    assert calls.requests == []


async def test_a_url_with_an_invalid_port_is_reported_failed() -> None:
    result = await run_once(Calls(httpx.Response(200)), webhook(f"{PUBLIC}:99999/hook"))
    assert result["type"] == "workflow.action.failed"
