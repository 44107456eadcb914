"""update_contact, add_tag, remove_tag (also applied to the engine's profile snapshot), add_to_segment and
remove_from_segment (membership changes arrive later as segment.member.* events from the segments module)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from streams.engine.effects import AddTag, AddToSegment, RemoveFromSegment, RemoveTag, UpdateContact
from streams.engine.nodes.base import Continue, NodeHandler, Outcome
from streams.engine.rules import Collector, require
from streams.engine.templating import render

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["HANDLERS"]


def _split_updates(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``attributes`` sets attributes; ``updates`` keys are paths: ``attributes.x`` or a top-level field."""
    attributes = dict(data.get("attributes") or {})
    fields: dict[str, Any] = {}
    for path, value in (data.get("updates") or {}).items():
        head, dot, rest = str(path).partition(".")
        if head == "attributes" and dot:
            attributes[rest] = value
        elif path not in ("attributes", "tags", "segments"):
            fields[str(path)] = value
    return attributes, fields


def _update_contact(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    attributes, fields = node.config["attributes"], node.config["fields"]
    if node.config["templated"]:
        scope = ctx.run_scope(run)
        attributes, fields = render(attributes, scope), render(fields, scope)
    ctx.update_profile(attributes, fields)
    ctx.emit(UpdateContact(ctx.tenant_id, ctx.contact_id, run.run_id, node.id, key, attributes, fields))
    return Continue(node.next, {"attributes": attributes, "fields": fields})


def _prepare_update(node: PlanNode) -> None:
    node.config["attributes"], node.config["fields"] = _split_updates(node.data)
    # Decided once per compiled node: without a placeholder the maps are sent (and recorded) as they are.
    maps = [node.config["attributes"], node.config["fields"]]
    node.config["templated"] = "{{" in json.dumps(maps, default=str)


def _add_tag(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    tag = node.data["tag"]
    ctx.set_member("tags", tag, present=True)
    ctx.emit(AddTag(ctx.tenant_id, ctx.contact_id, run.run_id, node.id, key, tag))
    return Continue(node.next, {"tag": tag})


def _remove_tag(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    tag = node.data["tag"]
    ctx.set_member("tags", tag, present=False)
    ctx.emit(RemoveTag(ctx.tenant_id, ctx.contact_id, run.run_id, node.id, key, tag))
    return Continue(node.next, {"tag": tag})


def _add_to_segment(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    segment = node.data["segmentId"]
    ctx.emit(AddToSegment(ctx.tenant_id, ctx.contact_id, run.run_id, node.id, key, segment))
    return Continue(node.next, {"segmentId": segment})


def _remove_from_segment(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    segment = node.data["segmentId"]
    ctx.emit(RemoveFromSegment(ctx.tenant_id, ctx.contact_id, run.run_id, node.id, key, segment))
    return Continue(node.next, {"segmentId": segment})


def _check_update(data: dict[str, Any], path: str, out: Collector) -> None:
    maps = [data.get(k) for k in ("attributes", "updates")]
    if not any(isinstance(m, dict) and m for m in maps):
        out.add(f"{path}.attributes", "missing_required", "update_contact needs a non-empty attributes map")


def _requires(key: str, kind: str) -> Callable[[dict[str, Any], str, Collector], None]:
    def check(data: dict[str, Any], path: str, out: Collector) -> None:
        require(data, key, path, out, kind)

    return check


HANDLERS: Final = {
    "update_contact": NodeHandler(_update_contact, _prepare_update, _check_update),
    "add_tag": NodeHandler(_add_tag, check=_requires("tag", "add_tag")),
    "remove_tag": NodeHandler(_remove_tag, check=_requires("tag", "remove_tag")),
    "add_to_segment": NodeHandler(_add_to_segment, check=_requires("segmentId", "add_to_segment")),
    "remove_from_segment": NodeHandler(
        _remove_from_segment, check=_requires("segmentId", "remove_from_segment")
    ),
}
