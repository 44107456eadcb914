"""Which NATS subjects the bridge subscribes to, and which event type each subject carries.

One list (``WORKFLOWS_BRIDGE_SUBJECTS``, comma-separated; empty means :data:`DEFAULT_SUBJECTS`, derived
from the engine's event types: every platform event type on its own subject, which are the spec's six,
``form.submitted`` and ``contact.snapshot``, and the custom namespace ``events.>``) that the bridge
subscribes to and the API validates triggers against, so the two cannot disagree.

The event type of a subject is the subject itself, except in the custom namespace: a message on
``events.<type>`` is the event type ``<type>`` (``events.order.placed`` is ``order.placed``). A type of the
platform's own (``contact.created``...) or of the engine (``workflow.*``) is never accepted through that
namespace: its own subject is what the platform's access control vouches for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from streams.engine import event_types as et
from streams.engine.subscriptions import subject_matches

if TYPE_CHECKING:
    from workflows.settings import Settings

__all__ = [
    "DEFAULT_SUBJECTS",
    "custom_type_problem",
    "event_type_of",
    "inbound_subjects",
    "parse_subjects",
    "subscribed_event_types",
]


# A platform event's subject is its type; custom types arrive under one namespace.
DEFAULT_SUBJECTS: Final = (*sorted(et.PLATFORM_EVENT_TYPES), et.CUSTOM_SUBJECTS)


def parse_subjects(value: str) -> tuple[str, ...]:
    """The configured subjects (the default list when empty); ValueError names what is wrong."""
    subjects = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not subjects:
        return DEFAULT_SUBJECTS
    for subject in subjects:
        tokens = subject.split(".")
        if any(not t or " " in t for t in tokens) or ">" in tokens[:-1]:
            raise ValueError(f"{subject!r} is not a NATS subject (tokens split by '.', '>' only last)")
        if subject.startswith("workflow.") or subject in (">", "*.>"):
            raise ValueError(f"{subject!r} would take in the engine's own workflow.* events")
        if subject.startswith(et.CUSTOM_SUBJECT_PREFIX) and len(tokens) < 2:
            raise ValueError(f"{subject!r}: a custom subject needs a type after {et.CUSTOM_SUBJECT_PREFIX!r}")
    return subjects


def inbound_subjects(settings: Settings) -> tuple[str, ...]:
    """The subjects the bridge subscribes to, without the test/staging subject prefix."""
    return parse_subjects(settings.bridge_subjects)


def event_type_of(subject: str) -> str:
    """The event type a (prefix-free) subject carries."""
    return subject.removeprefix(et.CUSTOM_SUBJECT_PREFIX)


def custom_type_problem(event_type: str, subjects: tuple[str, ...]) -> str | None:
    """Why a type derived from the custom namespace is refused (``None`` when it is fine)."""
    if event_type.startswith("workflow.") or event_type in et.INTERNAL_EVENT_TYPES:
        return f"type {event_type!r} is internal to the engine and never accepted from NATS"
    own = [s for s in subjects if not s.startswith(et.CUSTOM_SUBJECT_PREFIX)]
    if event_type in et.PLATFORM_EVENT_TYPES or any(subject_matches(s, event_type) for s in own):
        return f"type {event_type!r} has a subject of its own and is not accepted as a custom event"
    return None


def subscribed_event_types(settings: Settings) -> list[str]:
    """The event types that can reach the engine through the bridge, as exact types or NATS patterns (what
    ``streams.engine.validate(..., subscribed_types=...)`` takes). The custom namespace ``events.>`` is the
    pattern ``>``: any custom type can arrive. ``contact.snapshot`` is left out: it never starts a run."""
    types = (event_type_of(s) for s in inbound_subjects(settings))
    return [t for t in dict.fromkeys(types) if t != et.CONTACT_SNAPSHOT]
