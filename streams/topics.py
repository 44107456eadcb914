"""Create the worker's topics when missing (Faust creates only its internal topics)."""

from __future__ import annotations

from workflows import topics
from workflows.settings import Settings


async def ensure_topics(settings: Settings) -> None:
    s = settings
    specs = [
        topics.events_topic(s),
        topics.out_topic(s),
        topics.events_dlq_topic(s),
        topics.definitions_topic(s),
    ]
    await topics.ensure_topics(s, specs, client_id=f"{s.worker_id}-admin")
