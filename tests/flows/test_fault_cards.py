"""The catalog's fault cards: each plays its fault with per-request faults off, seen from the
3DS Server's HTTP client; the challenge ones record it for the later steps."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from acs.app import create_app
from acs.config import ProtocolTimers
from acs.issuer.config_files import load_issuer_config
from tests.conftest import ROOT, fresh_services
from tests.protocol import samples

CARDS = [c for c in load_issuer_config(ROOT / "config").catalog if c.fault]


def test_every_fault_but_the_pres_ones_has_a_card() -> None:
    played = {f.name.value for c in CARDS for f in c.faults}
    from acs.faults import FaultName

    assert played == {n.value for n in FaultName} - {"pres-late", "pres-malformed"}
    assert len(CARDS) >= 19 and all(c.acctNumber.startswith("401600700000") for c in CARDS)


@pytest.fixture
async def client(aiohttp_client) -> TestClient:  # type: ignore[no-untyped-def]
    timers = ProtocolTimers(ds_ares_seconds=0.2)  # ares-timeout: 0.2 s + 1
    return await aiohttp_client(create_app(await fresh_services("memory", timers=timers)))


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.scenario)
async def test_a_fault_card_plays_its_fault(client: TestClient, card: Any) -> None:
    assert (
        not client.server.app["services"].settings.faults
        if "services" in client.server.app
        else True
    )
    body = samples.areq("2.2.0", "02", "01", pan=card.acctNumber)
    fault = card.fault
    started = time.monotonic()
    if fault == "drop":
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await client.post("/3ds/areq", json=body)
        return
    resp = await client.post("/3ds/areq", json=body)
    took = time.monotonic() - started
    if fault == "http-500":
        assert resp.status == 500
        return
    answer = await resp.json()
    if fault.startswith("ares-erro"):
        assert (answer["messageType"], answer["errorCode"]) == ("Erro", "305")
        return
    assert answer["transStatus"] == card.expected.transStatus.value, answer
    if fault in ("ares-delay:1", "latency:1"):
        assert took >= 1.0
    elif fault == "ares-timeout":
        assert took >= 1.2
    record = await (await client.get(f"/qa/transactions/{answer['acsTransID']}")).json()
    assert record["faults"] == fault
    if fault == "ares-missing:acsURL":
        assert "acsURL" not in answer
