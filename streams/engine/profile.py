"""Applying contact-scoped facts to the engine's profile snapshot.

Event ``data`` shapes (documented for the contacts and segments modules and the bridge):

* ``contact.created``: ``data.contact`` is the full profile ``{"email", "source", "timezone", ...,
  "attributes": {...}, "tags": [...]}``. If ``data`` has no ``contact`` key, ``data`` itself is the profile.
  The snapshot is replaced (segment memberships already known are kept unless the profile lists them).
* ``contact.updated`` (and ``contact.attribute_changed``): ``data.contact`` (optional) replaces the profile
  as above; then ``data.changes`` (optional) is applied: either an object
  ``{"attributes": {"plan": "pro"}, "attributes.score": 5, "email": "x@y", "tags": [...]}``
  (``attributes`` merges, ``attributes.x`` sets one attribute, ``tags`` / ``segments`` replace the list,
  any other key sets a top-level field) or a list
  ``[{"field": "attributes.plan", "newValue": "pro"}, ...]`` (``value`` is accepted for ``newValue``).
* ``contact.snapshot``: what the platform knows of the contact, ``data.contact`` or (without that key)
  ``data`` itself: ``{"email", ..., "attributes": {...}, "tags": [...], "segments": [...]}``. It replaces the
  profile; ``tags`` and ``segments`` replace the known lists when present and keep them when absent. The
  engine starts no run and checks no goal for it (see ``step``).
* ``segment.member.added`` / ``segment.member.removed``: ``data.segmentId``.
* ``pipeline.message.opened`` / ``pipeline.message.clicked``: ``data.runId`` (or the send's
  ``data.idempotencyKey``, whose first part is the run id) attributes the open/click to the run that sent
  the message; a click also counts as an open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et

if TYPE_CHECKING:
    from streams.engine.context import StepContext

__all__ = ["apply_profile_event", "normalize_profile"]

_LIST_FIELDS: Final = ("tags", "segments")
# contact.attribute_changed (the spec's goal example) carries the same shape as contact.updated.
_CONTACT_EVENTS: Final = frozenset({et.CONTACT_CREATED, et.CONTACT_UPDATED, et.CONTACT_ATTRIBUTE_CHANGED})


def normalize_profile(raw: dict[str, Any], *, segments: Any = None) -> dict[str, Any]:
    """A profile with ``attributes`` (object), ``tags`` and ``segments`` (lists) always present."""
    profile = dict(raw)
    if not isinstance(profile.get("attributes"), dict):
        profile["attributes"] = {}
    for key in _LIST_FIELDS:
        if not isinstance(profile.get(key), list):
            profile[key] = list(segments) if key == "segments" and isinstance(segments, list) else []
    return profile


def _apply_changes(ctx: StepContext, changes: Any) -> None:
    attributes: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    pairs: list[tuple[Any, Any]] = []
    if isinstance(changes, dict):
        pairs = list(changes.items())
    elif isinstance(changes, list):
        pairs = [
            (c.get("field"), c.get("newValue", c.get("value")))
            for c in changes
            if isinstance(c, dict) and isinstance(c.get("field"), str)
        ]
    for path, value in pairs:
        if not isinstance(path, str):
            continue
        head, dot, rest = path.partition(".")
        if head == "attributes":
            if dot:
                attributes[rest] = value
            elif isinstance(value, dict):
                attributes.update(value)
        elif head in _LIST_FIELDS and not dot:
            if isinstance(value, list):
                fields[head] = list(value)
        elif not dot:
            fields[path] = value
    if attributes or fields:
        ctx.update_profile(attributes, fields)


def _run_of_message(data: Any) -> str | None:
    run_id = data.get("runId")
    if isinstance(run_id, str):
        return run_id
    key = data.get("idempotencyKey")
    return key.split(":", 1)[0] if isinstance(key, str) else None


def _apply_snapshot(ctx: StepContext, data: Any) -> None:
    contact = data.get("contact", data)
    if not isinstance(contact, dict):
        return
    known = ctx.profile
    profile = normalize_profile(contact, segments=known.get("segments"))
    if not isinstance(contact.get("tags"), list) and isinstance(known.get("tags"), list):
        profile["tags"] = list(known["tags"])
    ctx.replace_profile(profile)


def apply_profile_event(ctx: StepContext) -> None:
    event = ctx.event
    kind, data = event.type, event.data
    if kind in _CONTACT_EVENTS:
        contact = data.get("contact")
        if contact is None and kind == et.CONTACT_CREATED and "changes" not in data:
            contact = data
        if isinstance(contact, dict):
            ctx.replace_profile(normalize_profile(contact, segments=ctx.profile.get("segments")))
        if kind != et.CONTACT_CREATED:
            _apply_changes(ctx, data.get("changes"))
    elif kind == et.CONTACT_SNAPSHOT:
        _apply_snapshot(ctx, data)
    elif kind == et.SEGMENT_MEMBER_ADDED or kind == et.SEGMENT_MEMBER_REMOVED:
        segment = data.get("segmentId")
        if isinstance(segment, str):
            ctx.set_member("segments", segment, present=kind == et.SEGMENT_MEMBER_ADDED)
    elif kind == et.MESSAGE_OPENED or kind == et.MESSAGE_CLICKED:
        run_id = _run_of_message(data)
        if run_id is not None and run_id in ctx.runs:
            clicked = kind == et.MESSAGE_CLICKED
            current = ctx.runs[run_id]
            if not current.has_opened or (clicked and not current.has_clicked):
                run = ctx.touch(run_id)
                run.has_opened = True
                run.has_clicked = run.has_clicked or clicked
