"""Node handlers, one per node type, registered in one table."""

from __future__ import annotations

from typing import Final

from streams.engine.model import MESSAGE_CHANNELS
from streams.engine.nodes.base import Continue, Fail, NodeHandler, Outcome, Wait
from streams.engine.nodes.branching import BRANCHING_HANDLERS
from streams.engine.nodes.contact import CONTACT_HANDLERS
from streams.engine.nodes.http import HTTP_HANDLERS
from streams.engine.nodes.messaging import MESSAGE_HANDLER
from streams.engine.nodes.waits import WAIT_HANDLERS

__all__ = ["HANDLERS", "Continue", "Fail", "NodeHandler", "Outcome", "Wait"]

HANDLERS: Final[dict[str, NodeHandler]] = {
    **dict.fromkeys(MESSAGE_CHANNELS, MESSAGE_HANDLER),
    **CONTACT_HANDLERS,
    **HTTP_HANDLERS,
    **WAIT_HANDLERS,
    **BRANCHING_HANDLERS,
}
