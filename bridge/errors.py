"""The bridge's errors.

``BridgeError``
 └── ``BridgeConfigError``: the bridge cannot run as configured; the process exits and the message
     says what to fix.

Transient failures (a broker restarting, a timeout) are not errors of this package: each direction logs them,
backs off and resumes from the last acknowledged position.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Root of the bridge's errors."""


class BridgeConfigError(BridgeError):
    """A configuration that would lose or misroute messages; fix the named setting and restart."""
