"""One test replays every recorded transcript and compares effects and final state with the recording.

Regenerate, then review the diff::

    REGENERATE_TRANSCRIPTS=1 .venv/bin/pytest tests/unit/engine/test_transcripts.py
"""

from __future__ import annotations

import json
import os

from .transcripts import DIRECTORY, SCENARIOS, regenerate, replay


def test_recorded_transcripts_replay_identically() -> None:
    if os.environ.get("REGENERATE_TRANSCRIPTS") == "1":
        regenerate()
    files = sorted(DIRECTORY.glob("*.json"))
    assert {p.stem for p in files} == set(SCENARIOS), "a scenario has no recording: regenerate"
    for path in files:
        recorded = json.loads(path.read_text())
        replayed = replay(recorded)
        for index, (old, new) in enumerate(zip(recorded["steps"], replayed["steps"], strict=True)):
            assert new["effects"] == old["effects"], (
                f"{path.name}: step {index} ({old['event']['type']}) changed"
            )
        assert replayed["finalState"] == recorded["finalState"], f"{path.name}: final state changed"
