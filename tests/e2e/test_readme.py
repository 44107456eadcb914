"""The README's walk-through, executed verbatim against a running stack."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.stack import Stack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- walkthrough -->\n```bash\n(.*?)```", readme, re.S)
    assert found, "README has no walk-through block"
    return found.group(1)


def test_readme_walkthrough_runs_as_written(stack: Stack) -> None:
    env = {**stack.env, "API": stack.api, "PATH": f"{ROOT / '.venv' / 'bin'}:{stack.env.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _walkthrough()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "published contact.created" in out
    assert '"status": "running"' in out  # step 3 saw the run waiting in the delay
    assert '"resumesAt": "' in out
    stats = json.loads(out[out.rindex('{\n    "success"') :])
    assert stats["data"]["goalReachedRuns"] == 1  # step 4's purchase reached the goal
