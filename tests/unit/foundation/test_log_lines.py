"""The JSON formatter writes a record carrying many lines (``extra={LINES: [...]}``) as one JSON object per
line, each with the record's head and then the line's own fields, whatever the values hold."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from workflows.logs import LINES, JsonFormatter


def _record(lines: list[Any]) -> logging.LogRecord:
    record = logging.LogRecord("streams.runs", logging.INFO, __file__, 1, "%d lines", (len(lines),), None)
    record.__dict__[LINES] = lines
    return record


def _written(lines: list[Any]) -> list[dict[str, Any]]:
    text = JsonFormatter().format(_record(lines))
    return [orjson.loads(line) for line in text.split("\n")]


def test_each_line_is_one_object_with_the_head_then_its_own_fields() -> None:
    lines = [
        {"msg": "[RUN] workflow run started", "runId": "r-1", "version": 3},
        # Text that looks like a line break and an object inside a value must stay inside that value.
        {"msg": "[NODE] node executed", "error": 'timed out\n{"a": 1}\n{', "nodeId": "n{1}"},
        {"msg": "[GOAL] goal reached", "nested": {"x": [1, {"y": None}]}, "ok": True, "ratio": 0.25},
    ]
    written = _written(lines)
    assert len(written) == 3
    for line, out in zip(lines, written, strict=True):
        assert {k: out[k] for k in ("level", "logger")} == {"level": "INFO", "logger": "streams.runs"}
        assert list(out)[:3] == ["ts", "level", "logger"]
        assert {k: v for k, v in out.items() if k not in ("ts", "level", "logger")} == line


def test_values_json_has_no_form_for_are_written_as_text_like_single_lines() -> None:
    when = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    written = _written([{"msg": "m", "at": when, "thing": object}])
    assert datetime.fromisoformat(written[0]["at"]) == when  # ISO 8601 text of the same instant
    assert written[0]["thing"] == str(object)


def test_an_empty_or_malformed_line_is_written_as_the_head_alone() -> None:
    written = _written([{"msg": "first"}, {}, "not a line", {"msg": "last"}])
    assert [w.get("msg") for w in written] == ["first", None, None, "last"]
    assert all(w["logger"] == "streams.runs" for w in written)
