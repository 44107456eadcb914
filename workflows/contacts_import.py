"""`workflows contacts import FILE`: contacts known before their first event, as ``contact.snapshot`` events.

Each row becomes one snapshot envelope ``{"id": "import:<run>:<n>", "type": "contact.snapshot", "tenantId",
"contactId", "occurredAt": now, "data": {"contact": profile}}``, checked with the bridge's own admission
rules (``bridge.envelope.admit``: identifiers, size), and produced straight to ``workflows.events`` packed
per partition with the bridge's ``pack``, so an import moves at bridge speed and the worker sees exactly
what a snapshot on NATS would have given it. A row breaking the rules is reported with its line and reason
and never sent.

Formats (chosen by the suffix; ``.csv`` is CSV, anything else JSON Lines):

* JSON Lines: one object per line, ``{"contactId", "tenantId", "email", "attributes": {...}, "tags": [...],
  "segments": [...], ...}``; every key but ``contactId`` and ``tenantId`` is part of the profile.
* CSV with a header: ``contactId``, ``tenantId`` (or ``--tenant`` for the whole file), ``email``, ``tags``
  and ``segments`` (``;``-separated), ``attributes.<name>`` columns, and any other column as a profile
  field. An empty cell is left out. Attribute cells that read as numbers or ``true``/``false`` become
  numbers and booleans, so conditions like ``attributes.score > 5`` work on imported values.
"""

from __future__ import annotations

import csv
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from bridge.config import BridgeSettings
from bridge.envelope import Accepted, admit, pack, partitioner
from streams.engine import event_types as et
from workflows.settings import Settings
from workflows.wire import envelope

__all__ = ["ContactsImportError", "ImportSummary", "import_contacts", "row_count", "snapshots"]

Progress = Callable[[int], None]  # rows read so far

_CHUNK = 5000  # rows packed and sent together: large enough to fill records, small enough to stream
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_LIST_COLUMNS = ("tags", "segments")


class ContactsImportError(Exception):
    """The import cannot start (unreadable file, topic mismatch); the message says what to fix."""


@dataclass(slots=True)
class ImportSummary:
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    records: int = 0
    elapsed_s: float = 0.0

    @property
    def events_per_s(self) -> float:
        return self.imported / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _cell(value: str) -> Any:
    if _NUMBER.fullmatch(value):
        return float(value) if any(c in value for c in ".eE") else int(value)
    return {"true": True, "false": False}.get(value, value)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            line = reader.line_num
            if None in row:
                yield line, f"{len(row[None])} cells more than the header's columns"
                continue
            out: dict[str, Any] = {}
            attributes: dict[str, Any] = {}
            for column, value in row.items():
                if value is None or value == "":
                    continue
                if column.startswith("attributes."):
                    attributes[column.removeprefix("attributes.")] = _cell(value)
                elif column in _LIST_COLUMNS:
                    out[column] = [part.strip() for part in value.split(";") if part.strip()]
                else:
                    out[column] = value
            if attributes:
                out["attributes"] = attributes
            yield line, out


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield line, f"malformed JSON: {exc}"
                continue
            yield (
                line,
                row if isinstance(row, dict) else f"a row must be a JSON object, got {type(row).__name__}",
            )


def snapshots(
    path: Path, *, tenant: str | None, run: str, max_bytes: int
) -> Iterator[tuple[int, Accepted | str]]:
    """Each row of the file as an admitted snapshot, or the reason it is refused."""
    rows = _csv_rows(path) if path.suffix.lower() == ".csv" else _jsonl_rows(path)
    for line, row in rows:
        if isinstance(row, str):
            yield line, row
            continue
        profile = dict(row)
        contact_id = profile.pop("contactId", None)
        tenant_id: Any = profile.pop("tenantId", None) or tenant  # any JSON value: admit checks it
        for key in _LIST_COLUMNS:
            if key in profile and not isinstance(profile[key], list):
                yield line, f"{key} must be a list"
                break
        else:
            message = envelope(
                et.CONTACT_SNAPSHOT,
                tenant_id=tenant_id,
                contact_id=contact_id,
                data={"contact": profile},
                event_id=f"import:{run}:{line}",
            )
            verdict = admit(orjson.dumps(message), subject=et.CONTACT_SNAPSHOT, max_bytes=max_bytes)
            yield line, verdict if isinstance(verdict, Accepted) else verdict.reason


def row_count(path: Path) -> int:
    """Rows in the file (a progress bar's total)."""
    with path.open("rb") as handle:
        lines = sum(1 for raw in handle if raw.strip())
    return max(0, lines - 1) if path.suffix.lower() == ".csv" else lines


async def import_contacts(
    settings: Settings,
    path: Path,
    *,
    tenant: str | None = None,
    bridge: BridgeSettings | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    b = bridge or BridgeSettings()
    summary = ImportSummary()
    started = time.perf_counter()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="workflows-contacts-import",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1024 * 1024,
        max_request_size=1024 * 1024,
    )
    await producer.start()
    try:
        partitions = await producer.partitions_for(settings.events_topic)
        if len(partitions) != settings.events_partitions:
            raise ContactsImportError(
                f"{settings.events_topic} has {len(partitions)} partitions but WORKFLOWS_EVENTS_PARTITIONS="
                f"{settings.events_partitions}: set the setting to the topic's partition count"
            )
        partition_of = partitioner(settings.events_partitions)
        chunk: list[Accepted] = []
        pending = []
        read = 0

        async def send(batch: list[Accepted]) -> None:
            for record in pack(batch, partition_of=partition_of, max_record_bytes=b.max_record_bytes):
                pending.append(
                    await producer.send(
                        settings.events_topic, record.value, key=record.key, partition=record.partition
                    )
                )
                summary.records += 1

        run = uuid.uuid4().hex[:12]
        for line, verdict in snapshots(path, tenant=tenant, run=run, max_bytes=b.max_body_bytes):
            read += 1
            if isinstance(verdict, str):
                summary.rejected.append((line, verdict))
            else:
                chunk.append(verdict)
            if len(chunk) >= _CHUNK:
                await send(chunk)
                summary.imported += len(chunk)
                chunk = []
                if progress is not None:
                    progress(read)
        await send(chunk)
        summary.imported += len(chunk)
        for future in pending:
            await future  # a record Kafka refused raises here
        if progress is not None:
            progress(read)
    finally:
        await producer.stop()
    summary.elapsed_s = time.perf_counter() - started
    return summary
