"""The builder's template gallery (examples/templates/): every file is a workflow the engine accepts, and the
index lists each file once with the name and trigger the file has."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streams.engine import compile_definition, validate

TEMPLATES = Path(__file__).resolve().parents[3] / "examples" / "templates"
FILES = sorted(p for p in TEMPLATES.glob("*.json") if p.name != "index.json")


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_gallery_has_the_five_journeys_of_the_issue() -> None:
    assert {p.stem for p in FILES} >= {
        "onboarding",
        "abandoned-cart",
        "re-engagement",
        "birthday",
        "lead-nurture",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_template_validates_and_compiles_without_a_problem(path: Path) -> None:
    definition = _load(path)
    assert validate(definition) == []  # no error and no warning either
    compile_definition({**definition, "id": f"template-{path.stem}", "tenantId": "gallery"})
    assert definition["name"]
    assert definition["description"]
    for node in definition["nodes"]:  # laid out for the gallery's preview, as the builder saves them
        assert set(node["position"]) == {"x", "y"}, node["id"]


def test_lead_nurture_splits_a_b_at_fifty_fifty() -> None:
    nodes = _load(TEMPLATES / "lead-nurture.json")["nodes"]
    splits = [n for n in nodes if n["type"] == "split"]
    assert [[v["percentage"] for v in s["data"]["variants"]] for s in splits] == [[50, 50]]


def test_the_index_lists_every_template_once_as_it_is() -> None:
    index = _load(TEMPLATES / "index.json")["templates"]
    assert sorted(entry["file"] for entry in index) == [p.name for p in FILES]
    assert len({entry["id"] for entry in index}) == len(index)
    for entry in index:
        definition = _load(TEMPLATES / entry["file"])
        assert entry["id"] == Path(entry["file"]).stem
        assert entry["name"] == definition["name"]
        assert entry["description"] == definition["description"]
        assert entry["triggerType"] == definition["trigger"]["type"]
