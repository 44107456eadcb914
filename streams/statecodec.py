"""The stored form of a contact's state (``S|`` keys): a version byte, then the body.

* version 1 (written now): ``0x01`` + MessagePack of ``ContactState.to_dict()``. Smaller than JSON (ids and
  timestamps as native ints, no quoting) and faster to encode and decode.
* version 0 (read only): the JSON object earlier releases wrote, recognised by its first byte ``{``. A state
  is migrated by the next unit that changes it; one never changed again stays readable as it is, so a
  worker upgraded over an existing store or changelog needs no migration step.

Any other first byte is a corrupt or a newer record: :class:`StateFormatError` says what to do.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
import orjson

from streams.engine import ContactState

VERSION: Final = 1
_V1: Final = b"\x01"
_JSON: Final = ord("{")

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


class StateFormatError(ValueError):
    """A stored state in no format this release reads."""


def encode_state(state: ContactState) -> bytes:
    return _V1 + _encoder.encode(state.to_dict())


def decode_state_dict(raw: bytes) -> dict[str, Any]:
    """The state's dict form, whatever version stored it."""
    if not raw:
        raise StateFormatError("empty state record")
    tag = raw[0]
    try:
        if tag == VERSION:
            decoded = _decoder.decode(memoryview(raw)[1:])
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


def decode_state(raw: bytes) -> ContactState:
    return ContactState.from_dict(decode_state_dict(raw))
