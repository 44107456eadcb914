"""Reading a response body up to a size cap counted after decompression.

httpx's ``aiter_bytes`` decodes each received chunk whole: a small gzip chunk can expand to hundreds of
megabytes before any cap applies. Here the raw bytes are decompressed with ``max_length``, so at most the
cap (plus one byte to notice the excess) is ever produced. Only the encodings the executor asks for
(``ACCEPT_ENCODING``) are decoded; any other is kept as received, still capped.
"""

from __future__ import annotations

import zlib
from typing import Final

import httpx

ACCEPT_ENCODING: Final = "gzip, deflate"


class _Decoder:
    def __init__(self, encoding: str) -> None:
        # wbits 47: a zlib or gzip header, detected; raw deflate is retried on the first error.
        self._raw = encoding == "deflate"
        self._z = zlib.decompressobj(-zlib.MAX_WBITS if self._raw else 47)
        self._identity = encoding not in ("gzip", "x-gzip", "deflate")
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """At most ``room`` bytes of output; input not yet decoded is kept for the next call."""
        if self._identity:
            return data[:room]
        try:
            out = self._z.decompress(self._z.unconsumed_tail + data, room)
        except zlib.error:
            if self._started or self._raw:
                raise
            # "deflate" is sometimes sent as zlib, sometimes raw: try raw once before giving up.
            self._raw = True
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, room)
        self._started = True
        return out


async def read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """(body, truncated): at most ``cap`` decoded bytes."""
    if response.is_stream_consumed:  # built in memory (a test's MockTransport): nothing left to stream
        return response.content[:cap], len(response.content) > cap
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    decoder = _Decoder(encoding)
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        out = decoder.feed(raw, cap + 1 - size)
        size += len(out)
        chunks.append(out)
        if size > cap:  # input left undecoded means the output filled ``room``: over the cap
            break
    body = b"".join(chunks)
    return body[:cap], size > cap
