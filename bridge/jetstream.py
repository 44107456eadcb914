"""JetStream topology the bridge relies on, ensured idempotently at start, and dead-letter publishing.

A stream that already exists under the configured name is used with its own retention (the platform may own
it); only subjects the bridge needs and the stream lacks are added to it. If another stream already captures
the subjects, that stream is used instead of creating an overlapping one, which JetStream would refuse.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from bridge.config import OUTBOUND_SUBJECTS, BridgeSettings
from workflows.settings import Settings
from workflows.subjects import inbound_subjects
from workflows.wire import (
    NATS_DLQ_REASON_HEADER,
    NATS_DLQ_SOURCE_HEADER,
    NATS_DLQ_SUBJECT_HEADER,
    NATS_MSG_ID_HEADER,
)

log = logging.getLogger("bridge.jetstream")

REASON_HEADER = NATS_DLQ_REASON_HEADER
SUBJECT_HEADER = NATS_DLQ_SUBJECT_HEADER
SOURCE_HEADER = NATS_DLQ_SOURCE_HEADER
_MAX_REASON = 1024


async def ensure_stream(
    js: JetStreamContext,
    *,
    name: str,
    subjects: Sequence[str],
    max_age_s: float,
    duplicate_window_s: float = 0,
) -> str:
    """The name of the stream that captures ``subjects``: ours if it exists, else one that already captures
    them, else a new one with our name."""
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        pass
    else:
        # A stream made by an older release lacks subjects added since (e.g. workflow.contact.erased).
        have = list(info.config.subjects or [])
        missing = [s for s in subjects if s not in have]
        if missing:
            await js.update_stream(replace(info.config, subjects=have + missing))
            log.info("stream subjects added", extra={"stream": name, "subjects": missing})
        return name
    try:
        owner: str = await js.find_stream_name_by_subject(subjects[0])
    except NotFoundError:
        owner = ""
    if owner:
        log.info("subjects already captured by another stream; using it", extra={"stream": owner})
        return owner
    config = StreamConfig(
        name=name,
        subjects=list(subjects),
        storage=StorageType.FILE,
        max_age=max_age_s,
        duplicate_window=duplicate_window_s,  # 0: the server's default (2 minutes)
    )
    await js.add_stream(config)
    log.info("stream created", extra={"stream": name, "subjects": list(subjects)})
    return name


async def ensure_inbound(js: JetStreamContext, settings: Settings, bridge: BridgeSettings) -> str:
    """Ensure the inbound stream and the durable pull consumer; returns the stream name."""
    stream = await ensure_stream(
        js,
        name=settings.nats_stream,
        subjects=[bridge.subject(s) for s in inbound_subjects(settings)],
        max_age_s=bridge.inbound_max_age_s,
    )
    try:
        await js.consumer_info(stream, bridge.inbound_durable)
    except NotFoundError:
        await js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=bridge.inbound_durable,
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=bridge.ack_wait_s,
                max_ack_pending=bridge.max_ack_pending,
                max_waiting=512,
            ),
        )
        log.info("consumer created", extra={"stream": stream, "consumer": bridge.inbound_durable})
    return stream


async def ensure_outbound(js: JetStreamContext, bridge: BridgeSettings) -> str:
    return await ensure_stream(
        js,
        name=bridge.outbound_stream,
        subjects=[bridge.subject(s) for s in OUTBOUND_SUBJECTS],
        max_age_s=bridge.outbound_max_age_s,
        duplicate_window_s=bridge.outbound_dedupe_window_s,
    )


async def ensure_dlq(js: JetStreamContext, settings: Settings, bridge: BridgeSettings) -> str:
    return await ensure_stream(
        js, name=bridge.dlq_stream, subjects=[settings.nats_dlq_subject], max_age_s=bridge.dlq_max_age_s
    )


def _header_value(text: str) -> str:
    # NATS headers are single lines; reasons come from parsers and may quote the payload.
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_REASON else flat[: _MAX_REASON - 3] + "..."


async def dead_letter(
    js: JetStreamContext,
    subject: str,
    payload: bytes,
    *,
    reason: str,
    original_subject: str,
    source_id: str,
    publish_timeout: float,
) -> None:
    """Publish the original bytes with the reason in headers, and wait for JetStream to store them.
    ``source_id`` (stream sequence or topic/partition/offset) is the Nats-Msg-Id, so a redelivered poison
    message is dead-lettered once."""
    headers = {
        REASON_HEADER: _header_value(reason),
        SUBJECT_HEADER: original_subject,
        SOURCE_HEADER: source_id,
        NATS_MSG_ID_HEADER: f"dlq:{source_id}",
    }
    await js.publish(subject, payload, timeout=publish_timeout, headers=headers)
