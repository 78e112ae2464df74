"""Request bodies, read and decoded here rather than by aiohttp.

The app runs with ``auto_decompress`` off (``acs.web.server``): aiohttp would refuse an encoding
it cannot decode (br, zstd without their packages) in its HTTP parser, with plain text and
before any route runs. Decoding here keeps every body problem on the route, answered in the
route's own format (an Erro, an error page, a JSON error), and bounds what a small compressed
body may expand to.
"""

from __future__ import annotations

import zlib

from aiohttp import web

SUPPORTED_ENCODINGS = "identity or gzip"
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyError(Exception):
    """A body that cannot be read: ``status`` is the HTTP status, ``detail`` says what to fix."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def content_encoding(request: web.Request) -> str:
    """The Content-Encoding, lower case; "identity" when absent."""
    return request.headers.get("Content-Encoding", "").strip().lower() or "identity"


def unsupported_encoding(encoding: str) -> BodyError:
    shown = encoding if len(encoding) <= 40 else encoding[:40] + "..."
    return BodyError(415, f"Content-Encoding {shown} is not supported; send {SUPPORTED_ENCODINGS}")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, decoded (identity, gzip, deflate) and at most ``limit`` bytes once decoded."""
    encoding = content_encoding(request)
    if encoding != "identity" and encoding not in _WBITS:
        raise unsupported_encoding(encoding)
    if request.content_length is not None and request.content_length > limit:
        raise BodyError(413, f"message body larger than {limit} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise BodyError(413, f"message body larger than {limit} bytes") from exc
    except web.RequestPayloadError as exc:  # the body ended early or its chunks were broken
        raise BodyError(400, f"message body unreadable: {exc}") from exc
    if encoding == "identity":
        if len(raw) > limit:
            raise BodyError(413, f"message body larger than {limit} bytes")
        return raw
    return _decompress(raw, encoding, limit)


def _decompress(raw: bytes, encoding: str, limit: int) -> bytes:
    # deflate is zlib-wrapped by the HTTP spec; some clients send it raw
    attempts = [_WBITS[encoding]] + ([-zlib.MAX_WBITS] if encoding == "deflate" else [])
    for wbits in attempts:
        inflater = zlib.decompressobj(wbits)
        try:
            data = inflater.decompress(raw, limit + 1)  # one byte more tells "too large"
        except zlib.error:
            continue
        if len(data) > limit:
            raise BodyError(413, f"message body larger than {limit} bytes once decompressed")
        if inflater.eof and not inflater.unused_data:
            return data
    raise BodyError(400, f"message body is not valid {encoding} data (Content-Encoding)")
