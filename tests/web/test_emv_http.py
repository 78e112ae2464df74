"""The DS-facing endpoint under bad input over HTTP: always an Erro, never a 500 or a traceback."""

from __future__ import annotations

import json
import random

from tests.protocol import samples


async def test_oversized_body_is_rejected_with_an_erro(memory_client) -> None:
    areq = samples.areq("2.2.0", "02", "01")
    areq["padding"] = "x" * 300_000
    resp = await memory_client.post("/3ds/areq", data=json.dumps(areq))
    assert resp.status == 413
    erro = await resp.json()
    assert erro["messageType"] == "Erro" and erro["errorComponent"] == "A"
    assert "larger than" in erro["errorDetail"]


async def test_random_garbage_and_mutations_always_get_an_erro(memory_client) -> None:
    rng = random.Random(20261125)
    base = samples.areq("2.3.1", "02", "01")
    bodies: list[bytes] = [b"", b"null", b"[]", b"\xff\xfe", b'{"messageType":', b"{}" * 50]
    for _ in range(120):
        mutated = dict(base)
        key = rng.choice(list(mutated))
        action = rng.randrange(4)
        if action == 0:
            del mutated[key]
        elif action == 1:
            mutated[key] = rng.choice([None, 1, True, [], {}, "", "x" * 3000, "<script>"])
        elif action == 2:
            mutated[rng.choice(["acctInfo", "merchantRiskIndicator"])] = {"bad": [1, {"x": None}]}
        else:
            mutated = {k: v for k, v in mutated.items() if rng.random() > 0.5}
        bodies.append(json.dumps(mutated).encode())
    for _ in range(40):
        bodies.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
    for body in bodies:
        resp = await memory_client.post("/3ds/areq", data=body)
        assert resp.status == 200, body
        answer = await resp.json()
        assert answer["messageType"] in ("Erro", "ARes"), answer
        if answer["messageType"] == "Erro":
            assert answer["errorCode"] in {
                "101",
                "102",
                "201",
                "202",
                "203",
                "204",
                "304",
                "305",
                "306",
            }
            assert "Traceback" not in answer["errorDetail"]


async def test_unknown_route_is_a_json_404(memory_client) -> None:
    resp = await memory_client.get("/nope")
    assert resp.status == 404
    assert "error" in await resp.json()


async def test_healthz(memory_client) -> None:
    resp = await memory_client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["status"] == "ok"


async def test_transaction_id_headers_only_in_2_3(memory_client) -> None:
    """Table A.29 (2.3.x): X-Request-ID carries dsTransID, X-Response-ID the ARes' acsTransID."""
    for version in ("2.1.0", "2.2.0", "2.3.1"):
        areq = samples.areq(version, "02", "01", pan="4016000000000012")
        resp = await memory_client.post("/3ds/areq", data=json.dumps(areq))
        ares = await resp.json()
        assert ares["messageType"] == "ARes", ares
        headed = version == "2.3.1"
        assert resp.headers.get("X-Request-ID") == (areq["dsTransID"] if headed else None)
        assert resp.headers.get("X-Response-ID") == (ares["acsTransID"] if headed else None)
    erro_body = {**samples.areq("2.3.1", "02", "01"), "mcc": "x"}
    resp = await memory_client.post("/3ds/areq", data=json.dumps(erro_body))
    erro = await resp.json()
    assert erro["messageType"] == "Erro" and erro["errorCode"] == "203", erro
    assert resp.headers.get("X-Request-ID") == erro_body["dsTransID"]
    assert "X-Response-ID" not in resp.headers
