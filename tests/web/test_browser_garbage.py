"""The browser-facing endpoints under garbage: always a page or a JSON error, never a 500."""

from __future__ import annotations

import base64
import json
import random


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def test_garbage_forms_never_crash(memory_client) -> None:
    rng = random.Random(42)
    junk_values = [
        "",
        "x" * 9000,
        "\x00\x01",
        "%%%",
        "eyJ9",
        _b64(b"[]"),
        _b64(b"null"),
        _b64(b'{"a":1}'),
        _b64(json.dumps({"messageType": "CReq", "acsTransID": "not-a-uuid"}).encode()),
        _b64(json.dumps({"messageType": "CReq", "messageVersion": "9.9.9"}).encode()),
        "a.b.c.d",
        "0" * 40 + "." * 3,
    ]
    for _ in range(120):
        path = rng.choice(
            ["/3ds/challenge", "/3ds/challenge/step", "/3ds/method", "/3ds/method/collect"]
        )
        fields = {
            name: rng.choice(junk_values)
            for name in rng.sample(
                ["creq", "threeDSSessionData", "token", "action", "otp", "threeDSMethodData"], k=3
            )
        }
        resp = await memory_client.post(path, data=fields)
        assert resp.status in (200, 400, 413), (path, fields, resp.status)
        text = await resp.text()
        assert "Traceback" not in text
        if path.startswith("/3ds/challenge"):
            assert resp.content_type == "text/html", (path, fields)
    raw = await memory_client.post(
        "/3ds/challenge",
        data=b"\xff\xfe\x00",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert raw.status in (200, 400)
