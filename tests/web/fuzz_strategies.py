"""Hypothesis strategies for whole HTTP requests to the ACS: bodies of any shape, in any
encoding and content type, browser forms in odd charsets and multipart layouts, CReqs and 3DS
Method data of any shape, and raw bytes for the HTTP parser itself."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import urllib.parse
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.protocol import samples
from tests.protocol.test_fuzz import json_values, mutated_areqs

DrawFn = st.DrawFn


@dataclass
class Body:
    """A request body and the headers that describe it."""

    data: bytes
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""  # what kind of body, for failure reports


def b64url(raw: bytes, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if pad else text.rstrip("=")


def position(draw: DrawFn, size: int) -> int:
    """An index in 0..size, drawn the same way whatever ``size`` is: sizes vary between runs
    (fresh IDs and times in the samples), and Hypothesis needs the same draws to replay."""
    return draw(st.integers(0, 1 << 16)) % (size + 1)


def to_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "%", "%%%", "+", "&", "=", "\u00e9", "\ud800", "x" * 5000]),
)
uuids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: u.hex),
    texts,
)

# -- encodings and content types ------------------------------------------------------------

ENCODINGS = [
    "identity",
    "gzip",
    "x-gzip",
    "deflate",
    "br",
    "zstd",
    "compress",
    "gzip, br",
    "GZIP",
    " gzip ",
    "chunked",
    "gzip, gzip",
    "*",
    "identity;q=0",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "application/octet-stream",
    "application/jose",
    "application/json; charset=nope",
    "*/*",
    "text/html; charset=latin-1",
    "application/x-www-form-urlencoded; charset=base64",
]
CHARSETS = [
    "utf-8",
    "UTF-8",
    "latin-1",
    "utf-16",
    "utf-32",
    "ascii",
    "base64",
    "rot13",
    "hex",
    "zip",
    "idna",
    "punycode",
    "no-such-charset",
    "",
    '"utf-8"',
    "utf-8; x=y",
    "unicode_escape",
    "cp1252",
    "\u00e9",
]


@st.composite
def encoded(draw: DrawFn, raw: bytes) -> Body:
    """``raw`` sent as is, compressed properly, compressed and broken, or under a
    Content-Encoding that does not match."""
    how = draw(st.sampled_from(["plain", "gzip", "deflate", "raw-deflate", "broken", "label"]))
    if how == "plain":
        return Body(raw, note="plain")
    if how == "gzip":
        return Body(gzip.compress(raw), {"Content-Encoding": "gzip"}, "gzip")
    if how == "deflate":
        return Body(zlib.compress(raw), {"Content-Encoding": "deflate"}, "deflate")
    if how == "raw-deflate":
        return Body(zlib.compress(raw)[2:-4], {"Content-Encoding": "deflate"}, "raw deflate")
    if how == "broken":
        packed = gzip.compress(raw) if draw(st.booleans()) else zlib.compress(raw)
        cut = position(draw, len(packed))
        flip = draw(st.integers(0, 255))
        data = packed[:cut] + bytes([flip]) + packed[cut + 1 :]
        label = draw(st.sampled_from(["gzip", "deflate", "x-gzip"]))
        return Body(data, {"Content-Encoding": label}, f"broken {label}")
    label = draw(st.sampled_from(ENCODINGS) | st.text(max_size=12))
    if not label.isprintable():
        label = "x-junk"
    return Body(raw, {"Content-Encoding": label}, f"labelled {label!r}")


def content_type(draw: DrawFn, default: str | None) -> dict[str, str]:
    choice = draw(st.sampled_from(["default", "default", "other", "none"]))
    if choice == "default" and default:
        return {"Content-Type": default}
    if choice == "other":
        return {"Content-Type": draw(st.sampled_from(CONTENT_TYPES))}
    return {}


# -- AReq bodies ------------------------------------------------------------------------------


@st.composite
def areq_bodies(draw: DrawFn) -> Body:
    kind = draw(st.sampled_from(["mutated", "mutated", "sample", "json", "bytes", "huge"]))
    if kind == "mutated":
        raw = draw(mutated_areqs()).encode("utf-8", "surrogatepass")
    elif kind == "sample":
        raw = to_json(samples.areq(*draw(st.sampled_from(samples.ALL_COMBINATIONS))))
    elif kind == "json":
        raw = to_json(draw(json_values))
    elif kind == "bytes":
        raw = draw(st.binary(max_size=300))
    else:  # over the limit, before or after decompression
        raw = b'{"messageType":"AReq","x":"' + b"a" * draw(st.integers(200_000, 400_000)) + b'"}'
    body = draw(encoded(raw))
    body.headers.update(content_type(draw, "application/json"))
    body.note = f"{kind}, {body.note}"
    return body


# -- browser forms ----------------------------------------------------------------------------


def _part(draw: DrawFn, name: str, value: str) -> bytes:
    headers = [f'Content-Disposition: form-data; name="{name}"']
    if draw(st.integers(0, 5)) == 0:
        headers[0] += '; filename="x.bin"'
    if draw(st.booleans()):
        headers.append(
            "Content-Type: "
            + draw(
                st.sampled_from(
                    ["text/plain", "application/octet-stream", "multipart/mixed; boundary=z"]
                    + [f"text/plain; charset={c}" for c in CHARSETS]
                )
            )
        )
    data = value.encode("utf-8", "surrogatepass")
    transfer = draw(
        st.sampled_from(
            [None, "base64", "quoted-printable", "binary", "7bit", "8bit", "x-junk", "BASE64"]
        )
    )
    if transfer is not None:
        headers.append(f"Content-Transfer-Encoding: {transfer}")
        if transfer.lower() == "base64" and draw(st.booleans()):
            data = base64.b64encode(data)
    part_encoding = draw(st.sampled_from([None, "gzip", "deflate", "br", "identity", "junk"]))
    if part_encoding is not None:
        headers.append(f"Content-Encoding: {part_encoding}")
        if part_encoding == "gzip" and draw(st.booleans()):
            data = gzip.compress(data)
    if draw(st.integers(0, 8)) == 0:
        headers.append(draw(st.sampled_from(["X-Odd", "Content-Length: -1", ": empty", "\x01"])))
    return "\r\n".join(headers).encode("utf-8", "surrogatepass") + b"\r\n\r\n" + data


@st.composite
def form_bodies(draw: DrawFn, fields: dict[str, str]) -> Body:
    """``fields`` as a browser would post them, or in a layout or charset it never would."""
    kind = draw(st.sampled_from(["urlencoded", "urlencoded", "multipart", "raw"]))
    if kind == "urlencoded":
        data = urllib.parse.urlencode(fields, errors="surrogatepass").encode()
        charset = draw(st.sampled_from([None, None, None, *CHARSETS]))
        ctype = "application/x-www-form-urlencoded" + (f"; charset={charset}" if charset else "")
        body = Body(data, {"Content-Type": ctype}, f"urlencoded charset={charset}")
        if draw(st.integers(0, 6)) == 0:
            compressed = draw(encoded(data))
            body.data, body.note = compressed.data, body.note + " " + compressed.note
            body.headers.update(compressed.headers)
        return body
    if kind == "multipart":
        boundary = draw(st.sampled_from(["b0und", "x", "-" * 70, "a b", "\u00e9"]))
        parts = [
            b"--" + boundary.encode() + b"\r\n" + _part(draw, name, value)
            for name, value in fields.items()
        ]
        ending = draw(st.sampled_from([b"--\r\n", b"--", b"", b"\r\n", b"--junk"]))
        data = b"\r\n".join(parts) + b"\r\n--" + boundary.encode() + ending
        if not parts:
            data = draw(st.sampled_from([b"", b"--" + boundary.encode() + b"--\r\n"]))
        header_boundary = draw(st.sampled_from([boundary, boundary, "other", ""]))
        ctype = f"multipart/form-data; boundary={header_boundary}"
        if draw(st.integers(0, 4)) == 0:
            ctype += f"; charset={draw(st.sampled_from(CHARSETS))}"
        return Body(data, {"Content-Type": ctype}, "multipart")
    return Body(
        draw(st.binary(max_size=200)),
        {"Content-Type": draw(st.sampled_from(CONTENT_TYPES))},
        "raw bytes",
    )


# -- CReqs --------------------------------------------------------------------------------------

CREQ_MEMBERS = [
    "messageType",
    "messageVersion",
    "threeDSServerTransID",
    "acsTransID",
    "challengeWindowSize",
    "sdkTransID",
    "challengeDataEntry",
    "challengeCancel",
    "oobContinue",
    "messageExtension",
    "resendChallenge",
    "zz",
]
member_values = st.one_of(
    json_values,
    st.sampled_from(["CReq", "2.1.0", "2.2.0", "2.3.1", "01", "03", "05", "06", "Y"]),
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": json_values,
                "criticalityIndicator": st.booleans() | json_values,
                "name": texts,
                "data": json_values,
            },
        ),
        max_size=3,
    ),
)


@st.composite
def creq_fields(draw: DrawFn, ids: dict[str, str] | None) -> str:
    """A ``creq`` form field: a CReq for ``ids`` (a live challenge, or made-up IDs) with
    members changed, or base64 of any JSON, or not base64 at all."""
    kind = draw(st.sampled_from(["creq", "creq", "creq", "json", "text"]))
    if kind == "text":
        return draw(texts)
    if kind == "json":
        return b64url(to_json(draw(json_values)), pad=draw(st.booleans()))
    message: dict[str, Any] = {
        "messageType": "CReq",
        "messageVersion": (ids or {}).get("messageVersion", "2.2.0"),
        "threeDSServerTransID": (ids or {}).get("threeDSServerTransID", str(uuid.uuid4())),
        "acsTransID": (ids or {}).get("acsTransID", str(uuid.uuid4())),
        "challengeWindowSize": draw(st.sampled_from(["01", "02", "03", "04", "05"])),
    }
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(CREQ_MEMBERS))
        if draw(st.integers(0, 3)) == 0:
            message.pop(name, None)
        else:
            message[name] = draw(member_values)
    raw = to_json(message)
    if draw(st.integers(0, 10)) == 0:
        raw = raw[: position(draw, len(raw))]
    text = b64url(raw, pad=draw(st.booleans()))
    return draw(st.sampled_from([text, text, text, " " + text + "\n", text + "!"]))


# -- URLs and 3DS Method data ----------------------------------------------------------------

url_texts = st.one_of(
    st.sampled_from(
        [
            "https://merchant.example/method",
            "http://127.0.0.1:9/n",
            "https://a_b.example/n",
            "https://[::1]/n",
            "https://1.2.3/n",
            "javascript:alert(1)",
            "//evil.example/",
            "/local",
            "",
            "https://a b/",
        ]
    ),
    st.builds(
        "{}{}{}{}".format,
        st.sampled_from(["https://", "http://", "HTTP://", "ftp://", "", "/", "//"]),
        st.text(st.sampled_from("ab-_.:[]1@%\\ \t/?#0x\u00e9"), max_size=12),
        st.sampled_from(["", ":443", ":0", ":99999", ":"]),
        st.text(max_size=8),
    ),
    texts,
)


@st.composite
def method_data_fields(draw: DrawFn) -> str:
    kind = draw(st.sampled_from(["data", "data", "data", "json", "text"]))
    if kind == "text":
        return draw(texts)
    if kind == "json":
        return b64url(to_json(draw(json_values)))
    data: dict[str, Any] = {
        "threeDSServerTransID": draw(uuids),
        "threeDSMethodNotificationURL": draw(url_texts),
    }
    if draw(st.integers(0, 4)) == 0:
        data[draw(st.sampled_from([*data, "zz"]))] = draw(json_values)
    return b64url(to_json(data), pad=draw(st.booleans()))


# -- admin payloads ---------------------------------------------------------------------------

CARD_RANGE = {
    "id": "fuzz-jcb",
    "start": "3528000000000000",
    "end": "3528009999999999",
    "scheme": "jcb",
    "issuer_name": "Fuzz Bank",
    "acs_reference_number": "3DS_LOA_ACS_DEMO_020300_00001",
    "branding": {"primary_color": "#123456", "issuer_logo": "https://bank.example/l.svg"},
    "challenge": {"max_attempts": 3, "otp_length": 6},
    "keys": {"cavv_key_a": "0123456789ABCDEF", "cavv_key_b": "FEDCBA9876543210"},
}
CARDHOLDER = {
    "id": "fuzz-holder",
    "pan": "4016000000000103",
    "name": "Fuzz Holder",
    "mobile": "+447700900456",
    "email": "fuzz@example.com",
    "methods": ["otp_sms", "passcode", "kba"],
    "passcode": "246810",
    "kba": [{"question": "Pet?", "answer": "rex"}],
}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


@st.composite
def mutated(draw: DrawFn, base: dict[str, Any]) -> Any:
    """``base`` with a few members replaced by any JSON value, removed or added."""
    message = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(message)[1:]))
        parent = message
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        if not isinstance(message, dict) or not message:
            break
    return message


@st.composite
def admin_bodies(draw: DrawFn) -> Body:
    kind = draw(st.sampled_from(["range", "range", "holder", "holder", "json", "bytes"]))
    if kind == "range":
        raw = to_json(draw(mutated(CARD_RANGE)) if draw(st.integers(0, 4)) else CARD_RANGE)
    elif kind == "holder":
        raw = to_json(draw(mutated(CARDHOLDER)) if draw(st.integers(0, 4)) else CARDHOLDER)
    elif kind == "json":
        raw = to_json(draw(json_values))
    else:
        raw = draw(st.binary(max_size=200))
    body = draw(encoded(raw)) if draw(st.integers(0, 4)) == 0 else Body(raw)
    body.headers.update(content_type(draw, "application/json"))
    body.note = f"{kind}, {body.note}"
    return body


# -- raw HTTP ---------------------------------------------------------------------------------

ROUTES = [
    "/3ds/areq",
    "/3ds/challenge",
    "/3ds/challenge/step",
    "/3ds/method",
    "/3ds/method/collect",
    "/qa/test-cards",
    "/qa/outbox",
    "/admin/card-ranges",
    "/healthz",
    "/nowhere",
    "/3ds/nowhere",
]


@st.composite
def raw_requests(draw: DrawFn) -> bytes:
    """One HTTP/1.x request as bytes, from well-formed to anything a parser can meet."""
    method = draw(
        st.sampled_from(
            [
                b"POST",
                b"GET",
                b"PUT",
                b"DELETE",
                b"OPTIONS",
                b"HEAD",
                b"G\x00T",
                b"",
                b"post",
                b"BREW",
                b"\x16\x03\x01",
            ]
        )
    )
    target = draw(st.sampled_from(ROUTES)).encode()
    how = draw(st.sampled_from(["plain", "plain", "query", "long", "junk", "absolute", "star"]))
    if how == "query":
        target += b"?" + urllib.parse.quote(draw(texts), safe="=&", errors="replace").encode()
    elif how == "long":
        target += b"?" + b"a" * draw(st.integers(7000, 20000))
    elif how == "junk":
        target += draw(st.binary(max_size=12))
    elif how == "absolute":
        target = b"http://acs.test" + target
    elif how == "star":
        target = b"*"
    version = draw(
        st.sampled_from(
            [
                b"HTTP/1.1",
                b"HTTP/1.1",
                b"HTTP/1.0",
                b"HTTP/2.0",
                b"HTTP/9.Z",
                b"",
                b"HTTP/1.1 x",
                b"http/1.1",
            ]
        )
    )
    body = draw(st.binary(max_size=120))
    headers = [b"Host: acs.test"]
    if draw(st.integers(0, 9)):  # else keep-alive: the fuzz test then waits for a timeout
        headers.append(b"Connection: close")
    framing = draw(
        st.sampled_from(
            ["length", "length", "chunked", "bad-chunked", "both", "bad-length", "none", "te-junk"]
        )
    )
    if framing == "length":
        headers.append(b"Content-Length: %d" % len(body))
    elif framing in ("chunked", "bad-chunked", "both"):
        headers.append(b"Transfer-Encoding: chunked")
        if framing == "both":
            headers.append(b"Content-Length: %d" % len(body))
        if framing == "bad-chunked":
            body = draw(st.sampled_from([b"zz\r\n", b"5\r\nab\r\n0\r\n\r\n", b"-1\r\n"])) + body
        else:
            body = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    elif framing == "bad-length":
        headers.append(
            b"Content-Length: "
            + draw(st.sampled_from([b"-1", b"1e3", b"", b"9" * 30, b"3, 4", b"0x10"]))
        )
    elif framing == "te-junk":
        headers.append(
            b"Transfer-Encoding: "
            + draw(st.sampled_from([b"gzip", b"chunked, x", b"identity", b"\x00"]))
        )
    for _ in range(draw(st.integers(0, 3))):
        headers.append(
            draw(
                st.sampled_from(
                    [
                        b"Content-Type: application/json",
                        b"Content-Type: application/x-www-form-urlencoded; charset=nope",
                        b"Content-Encoding: " + draw(st.sampled_from(ENCODINGS)).encode(),
                        b"X-Big: " + b"b" * draw(st.integers(8000, 12000)),
                        b"No-Colon",
                        b" folded",
                        b"X-Nul: a\x00b",
                        b"\xff\xfe: x",
                        b"Connection: close",
                        b"Expect: 100-continue",
                    ]
                )
            )
        )
    if draw(st.integers(0, 10)) == 0:
        headers += [b"X-%d: y" % i for i in range(draw(st.integers(100, 140)))]
    head = b"\r\n".join([method + b" " + target + (b" " + version if version else b""), *headers])
    return head + b"\r\n\r\n" + body
