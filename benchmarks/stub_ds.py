"""A stub Directory Server for the ``challenge`` benchmark: answers every RReq with a valid RRes.

It records each RReq it receives (its transaction IDs and transStatus) and reports the tally at
``GET /stats``; the benchmark compares it with the flows its load generator completed.

    python -m benchmarks.stub_ds --port 8557
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_IDS = ("threeDSServerTransID", "acsTransID", "dsTransID")


@dataclass(slots=True)
class Received:
    """Every RReq, kept by acsTransID; the counts the benchmark reads."""

    total: int = 0
    invalid: int = 0  # not a JSON object, not an RReq, or missing an ID: answered Erro
    statuses: Counter[str] = field(default_factory=Counter)
    by_transaction: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def stats(self) -> dict[str, Any]:
        return {
            "received": self.total,
            "invalid": self.invalid,
            "trans_status": dict(self.statuses),
            "transactions": len(self.by_transaction),
            "duplicates": self.total - self.invalid - len(self.by_transaction),
        }


def _erro(detail: str) -> web.Response:
    body = {"messageType": "Erro", "errorCode": "203", "errorDetail": detail}
    return web.Response(body=_encode(body), status=200, content_type="application/json")


def create_app() -> web.Application:
    received = Received()

    async def rreq(request: web.Request) -> web.Response:
        received.total += 1
        try:
            body = _decode(await request.read())
        except msgspec.DecodeError:
            body = None
        if (
            not isinstance(body, dict)
            or body.get("messageType") != "RReq"
            or not all(isinstance(body.get(name), str) for name in _IDS)
        ):
            received.invalid += 1
            return _erro("not an RReq with threeDSServerTransID, acsTransID and dsTransID")
        received.statuses[str(body.get("transStatus"))] += 1
        received.by_transaction.setdefault(body["acsTransID"], []).append(body)
        rres = {
            "messageType": "RRes",
            "messageVersion": body.get("messageVersion", "2.2.0"),
            **{name: body[name] for name in _IDS},
            "resultsStatus": "01",
        }
        return web.Response(body=_encode(rres), content_type="application/json")

    async def stats(_request: web.Request) -> web.Response:
        return web.Response(body=_encode(received.stats()), content_type="application/json")

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.add_routes(
        [web.post("/rreq", rreq), web.get("/stats", stats), web.get("/healthz", healthz)]
    )
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="stub DS: answers RReq with RRes, counts them")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8557)
    args = parser.parse_args(argv)
    web.run_app(create_app(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
