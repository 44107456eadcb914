"""Derived ids stay what they were: run ids are uuid5 of their inputs in the run namespace."""

from __future__ import annotations

import uuid

import pytest

from streams.engine.ids import RUN_NAMESPACE, run_id_for


@pytest.mark.parametrize(
    ("tenant", "workflow", "contact", "event"),
    [
        ("tenant-bench", "wf-10", "c1", "c1-created"),
        ("t", "w", "c", "e"),
        ("tenant", "wf:with:colons", "contact ünïcode", "évènement-42"),
        ("", "", "", ""),
        ("t" * 200, "w" * 300, "c" * 64, "e" * 128),
    ],
)
def test_run_id_is_uuid5_of_its_inputs(tenant: str, workflow: str, contact: str, event: str) -> None:
    expected = str(uuid.uuid5(RUN_NAMESPACE, f"{tenant}:{workflow}:{contact}:{event}"))
    assert run_id_for(tenant, workflow, contact, event) == expected


def test_run_id_matches_uuid5_over_many_inputs() -> None:
    for i in range(2000):
        parts = (f"tenant-{i % 7}", f"wf-{i}", f"c{i * 31}", f"e-{i}-{i % 13}")
        assert run_id_for(*parts) == str(uuid.uuid5(RUN_NAMESPACE, ":".join(parts)))
