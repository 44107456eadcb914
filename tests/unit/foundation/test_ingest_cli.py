"""What `workflows replay` and `workflows contacts import` print (the I/O underneath replaced)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from workflows import cli
from workflows.contacts_import import ImportSummary
from workflows.replay import ReplaySummary

WORKFLOW = "5d1f0c3e-4c1b-4a8e-9f5e-0d7e2a1b3c4d"


def test_replay_prints_activation_times_as_iso_8601(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_replay(*_args: Any, **_kwargs: Any) -> ReplaySummary:
        return ReplaySummary(targets={WORKFLOW: 1_772_956_800_123}, offered=Counter({WORKFLOW: 3}))

    monkeypatch.setattr("workflows.replay.replay", fake_replay)
    result = CliRunner().invoke(cli.app, ["replay", "--from", "0"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "2026-03-08T08:00:00.123Z" in result.output
    assert "1772956800123" not in result.output
    assert WORKFLOW in result.output


def test_contacts_import_prints_a_summary_and_the_rejected_rows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text("contactId,tenantId\nc1,t1\n,t1\n")

    async def fake_import(*_args: Any, **_kwargs: Any) -> ImportSummary:
        return ImportSummary(
            imported=1, rejected=[(3, "invalid envelope: contactId must not be empty")], records=1
        )

    monkeypatch.setattr("workflows.contacts_import.import_contacts", fake_import)
    result = CliRunner().invoke(cli.app, ["contacts", "import", str(file)], env={"COLUMNS": "120"})
    assert result.exit_code == 1  # a rejected row
    assert "line 3: invalid envelope: contactId must not be empty" in result.output
    for header in ("imported", "rejected", "records", "elapsed", "events/s"):
        assert header in result.output
