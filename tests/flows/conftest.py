from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.flows.test_browser_flow import StubDS


@pytest.fixture
async def ds() -> AsyncIterator[StubDS]:
    """A DS that answers every RReq with a valid RRes, on a real port."""
    stub = StubDS()
    await stub.server.start_server()
    yield stub
    await stub.server.close()
