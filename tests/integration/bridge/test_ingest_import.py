"""`workflows contacts import` against the real broker: snapshots packed per partition, bad rows refused."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from bridge.inbound import ensure_topics
from tests.integration.bridge.conftest import Isolated, read_events
from workflows.contacts_import import import_contacts
from workflows.wire import partition_for

pytestmark = pytest.mark.integration


async def test_a_csv_import_produces_one_snapshot_per_valid_row(isolated: Isolated, tmp_path: Path) -> None:
    iso = isolated
    await ensure_topics(iso.settings, iso.bridge)
    rows = ["contactId,email,tags,segments,attributes.plan,attributes.score,firstName"]
    rows += [f"c{i},c{i}@example.com,vip;new,aud;other,pro,{i},Ada" for i in range(500)]
    rows += [",nobody@example.com,,,,,", "c" * 101 + ",long@example.com,,,,,", "c-extra,a,b,c,d,e,f,g"]
    file = tmp_path / "contacts.csv"
    file.write_text("\n".join(rows) + "\n")
    seen: list[int] = []

    summary = await import_contacts(
        iso.settings, file, tenant="tenant-1", bridge=iso.bridge, progress=seen.append
    )
    landed = await read_events(iso.settings, expected=500, wait_s=20)

    assert summary.imported == 500
    assert [line for line, _ in summary.rejected] == [502, 503, 504]
    reasons = [reason for _, reason in summary.rejected]
    assert "contactId is missing" in reasons[0]
    assert "contactId is 101 characters long" in reasons[1]
    assert "more than the header's columns" in reasons[2]
    assert seen[-1] == 503
    events = [e for r in landed for e in r.envelopes]
    assert len(events) == 500
    assert summary.records == len(landed) < 500  # packed like the bridge packs
    for record in landed:
        assert all(
            partition_for(str(e["contactId"]), iso.settings.events_partitions) == record.partition
            for e in record.envelopes
        )
    first = next(e for e in events if e["contactId"] == "c7")
    assert first["type"] == "contact.snapshot"
    assert first["tenantId"] == "tenant-1"
    assert first["data"] == {
        "contact": {
            "email": "c7@example.com",
            "tags": ["vip", "new"],
            "segments": ["aud", "other"],
            "attributes": {"plan": "pro", "score": 7},
            "firstName": "Ada",
        }
    }


async def test_a_json_lines_import_takes_the_tenant_from_each_row(isolated: Isolated, tmp_path: Path) -> None:
    iso = isolated
    await ensure_topics(iso.settings, iso.bridge)
    file = tmp_path / "contacts.jsonl"
    lines = [
        orjson.dumps(
            {"contactId": "a", "tenantId": "tenant-a", "attributes": {"plan": "pro"}, "segments": ["s"]}
        ),
        b"{not json",
        orjson.dumps({"contactId": "b"}),  # no tenant, and no --tenant
        orjson.dumps({"contactId": "c", "tenantId": "tenant-c", "segments": "s"}),
    ]
    file.write_bytes(b"\n".join(lines) + b"\n")

    summary = await import_contacts(iso.settings, file, bridge=iso.bridge)
    landed = await read_events(iso.settings, expected=1, wait_s=10)

    assert summary.imported == 1
    assert [(line, reason.split(":")[0]) for line, reason in summary.rejected] == [
        (2, "malformed JSON"),
        (3, "invalid envelope"),
        (4, "segments must be a list"),
    ]
    [event] = [e for r in landed for e in r.envelopes]
    assert (event["tenantId"], event["contactId"]) == ("tenant-a", "a")
    assert event["data"]["contact"]["segments"] == ["s"]
