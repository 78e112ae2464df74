"""An ACS node in its own process with short protocol timers, for crash tests:
``python -m tests.acs_node PORT STORE_URL``. (``acs serve`` keeps the protocol's own timers.)"""

from __future__ import annotations

import sys

from aiohttp import web

from acs.app import build_services, create_app
from acs.config import ProtocolTimers
from tests.conftest import make_settings

TIMERS = ProtocolTimers(
    poll_seconds=0.05,
    rres_wait_seconds=1.0,
    rreq_retry_seconds=0.2,
    timer_lease_seconds=2.0,
)


def main() -> None:
    port, store = int(sys.argv[1]), sys.argv[2]
    settings = make_settings(store, port=port, base_url=f"http://127.0.0.1:{port}", timers=TIMERS)

    async def make() -> web.Application:
        return create_app(await build_services(settings))

    web.run_app(make(), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
