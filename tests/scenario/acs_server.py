"""A real ACS server for the scenario suite over HTTP: ``python -m tests.scenario.acs_server PORT
STORE_URL ROOT_PEM``, its protocol timers short enough for the timeout scenarios (``acs serve``
keeps the protocol's own), the root of its test PKI written to ROOT_PEM for the SDK to trust."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web

from acs.app import build_services, create_app
from acs.config import ProtocolTimers
from tests.conftest import make_settings

TIMERS = ProtocolTimers(
    first_creq_seconds=4.0,
    challenge_page_seconds=4.0,
    decoupled_max_seconds=2.0,
    poll_seconds=0.05,
    rres_wait_seconds=1.0,
    rreq_retry_seconds=0.2,
    timer_lease_seconds=2.0,
    ds_ares_seconds=0.5,  # the fault-ares-timeout card waits it plus one second
)


def main() -> None:
    port, store, root = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    settings = make_settings(store, port=port, base_url=f"http://127.0.0.1:{port}", timers=TIMERS)

    async def make() -> web.Application:
        services = await build_services(settings)
        await asyncio.to_thread(root.write_bytes, services.pki.root_pem())
        return create_app(services)

    web.run_app(make(), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
