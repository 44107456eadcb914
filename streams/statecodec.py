"""The stored form of a contact's state (``S|`` keys): a version byte, then the body.

* version 2 (written now): ``0x02`` + MessagePack of the engine's ``ContactState`` dataclasses themselves,
  decoded straight back into them by msgspec (no dict in between: a third of the cost of version 1).
* version 1 (read only): ``0x01`` + MessagePack of ``ContactState.to_dict()``.
* version 0 (read only): the JSON object the first releases wrote, recognised by its first byte ``{``.

A state in an older version is migrated by the next unit that changes it; one never changed again stays
readable as it is, so a worker upgraded over an existing store or changelog needs no migration step.
Any other first byte is a corrupt or a newer record: :class:`StateFormatError` says what to do.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
import orjson

from streams.engine import ContactState, StateError

VERSION: Final = 2
_V2: Final = b"\x02"
_V1: Final = 1
_JSON: Final = ord("{")

_encoder = msgspec.msgpack.Encoder()
# Lax: an int-valued float in an int field (a timestamp computed in floats) decodes as the int it is.
_typed = msgspec.msgpack.Decoder(ContactState, strict=False)
_untyped = msgspec.msgpack.Decoder()


class StateFormatError(ValueError):
    """A stored state in no format this release reads (or malformed in the one it names)."""


def encode_state(state: ContactState) -> bytes:
    return _V2 + _encoder.encode(state)


def decode_state(raw: bytes) -> ContactState:
    if raw and raw[0] == VERSION:
        try:
            return _typed.decode(memoryview(raw)[1:])
        except msgspec.DecodeError as exc:  # ValidationError included
            raise StateFormatError(f"undecodable state record (version {VERSION}): {exc}") from exc
    try:
        return ContactState.from_dict(_older(raw))
    except StateError as exc:
        raise StateFormatError(str(exc)) from exc


def decode_state_dict(raw: bytes) -> dict[str, Any]:
    """The state's dict form (``ContactState.to_dict()``), whatever version stored it."""
    if raw and raw[0] == VERSION:
        return decode_state(raw).to_dict()
    return _older(raw)


def _older(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise StateFormatError("empty state record")
    tag = raw[0]
    try:
        if tag == _V1:
            decoded = _untyped.decode(memoryview(raw)[1:])
        elif tag == _JSON:
            decoded = orjson.loads(raw)
        else:
            raise StateFormatError(
                f"state record of unknown version {tag}: written by a newer release? Run that release, "
                "or rebuild the store from a changelog it can read"
            )
    except (msgspec.DecodeError, orjson.JSONDecodeError) as exc:
        raise StateFormatError(f"undecodable state record (version {tag}): {exc}") from exc
    if not isinstance(decoded, dict):
        raise StateFormatError(f"state record (version {tag}) is not an object")
    return decoded
