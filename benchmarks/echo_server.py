"""The ceiling: the least an aiohttp JSON endpoint can do with an AReq body.

One process, the same event loop, HTTP stack and JSON library (msgspec) as the ACS: read the
body, parse it, encode it back. What the ACS achieves relative to this is the cost of its own
work, independent of the machine.

    python -m benchmarks.echo_server --port 8556
"""

from __future__ import annotations

import argparse

import msgspec
from aiohttp import web

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.Response(body=_encode(_decode(body)), content_type="application/json")


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app() -> web.Application:
    # Same body limit as the ACS AReq endpoint, so both read the body the same way.
    app = web.Application(client_max_size=256 * 1024)
    app.add_routes([web.post("/3ds/areq", echo), web.get("/healthz", healthz)])
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="aiohttp JSON echo server (benchmark ceiling)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8556)
    args = parser.parse_args(argv)
    # No access log: the ACS at --log-level warning writes none either.
    web.run_app(create_app(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
