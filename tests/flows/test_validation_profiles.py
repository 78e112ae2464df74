"""AReq validation through the app: broadInfo in every version, and the validation profiles
(strict / lenient) chosen globally and per card range."""

from __future__ import annotations

from typing import Any

import pytest

from tests.protocol import samples

Y_CARD = "4016000000000012"
BROAD_INFO = {"message": "TLS 1.x will be turned off starting summer 2019"}


async def _post(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post("/3ds/areq", json=body)
    assert resp.status == 200, await resp.text()
    result: dict[str, Any] = await resp.json()
    return result


async def _record(client: Any, acs_trans_id: str) -> dict[str, Any]:
    resp = await client.get(f"/qa/transactions/{acs_trans_id}")
    assert resp.status == 200
    result: dict[str, Any] = await resp.json()
    return result


@pytest.mark.parametrize("version", ["2.1.0", "2.2.0", "2.3.1"])
async def test_broad_info_is_accepted_and_stored(memory_client: Any, version: str) -> None:
    areq = samples.areq(version, "02", "01", pan=Y_CARD, broadInfo=BROAD_INFO)
    ares = await _post(memory_client, areq)
    assert ares["messageType"] == "ARes", ares
    record = await _record(memory_client, ares["acsTransID"])
    assert record["areq"]["broadInfo"] == BROAD_INFO
