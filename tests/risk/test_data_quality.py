"""The data-quality report: per threeDSRequestorID, the risk signals its AReqs omit, how often,
and the decisions with and without them; over HTTP, and from `acs report data-quality`."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient

from acs import cli
from acs.app import create_app
from acs.risk.data_quality import SIGNALS, tally
from tests.conftest import fresh_services
from tests.protocol import samples
from tests.redis_server import free_port

Y_CARD, C_CARD = "4016000000000012", "4016000000000111"


async def send(client: TestClient, requestor: str, pan: str, *omit: str) -> None:
    body = samples.areq("2.2.0", "02", "01", pan=pan, threeDSRequestorID=requestor)
    body["threeDSRequestorName"] = f"Shop {requestor}"
    for name in omit:
        body.pop(name, None)
    ares = await (await client.post("/3ds/areq", json=body)).json()
    assert ares["messageType"] == "ARes", ares


async def traffic(client: TestClient) -> None:
    """Shop A sends everything; shop B leaves acctInfo out of its challenged AReqs only."""
    for _ in range(3):
        await send(client, "shop-a", Y_CARD)
    await send(client, "shop-b", Y_CARD)
    await send(client, "shop-b", C_CARD, "acctInfo", "browserIP")
    await send(client, "shop-b", C_CARD, "acctInfo", "browserIP")
    bad = samples.areq("2.2.0", "02", "01", pan="4999990000000001", threeDSRequestorID="shop-b")
    await client.post("/3ds/areq", json=bad)  # an Erro: no decision, left out


def signal(report: dict[str, Any], requestor: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in report["requestors"] if r["threeDSRequestorID"] == requestor]
    (entry,) = [s for s in found["signals"] if s["signal"] == name]
    return entry


async def test_omissions_and_decisions_per_requestor(client: TestClient) -> None:
    await traffic(client)
    report = await (await client.get("/qa/data-quality?since=1h")).json()
    assert report["transactions"] == 6
    assert [r["threeDSRequestorID"] for r in report["requestors"]] == ["shop-a", "shop-b"]
    shop_a, shop_b = report["requestors"]
    assert shop_a["threeDSRequestorName"] == "Shop shop-a" and shop_a["challenge_rate"] == 0
    omitted = {s["signal"]: s["omitted"] for s in shop_a["signals"] if s["omitted"]}
    assert omitted == {"threeDSRequestorPriorAuthenticationInfo": 3}  # the sample has none
    info = signal(report, "shop-b", "acctInfo")
    assert (info["applicable"], info["omitted"], info["omitted_rate"]) == (3, 2, 0.6667)
    assert info["with"]["statuses"] == {"Y": 1} and info["without"]["statuses"] == {"C": 2}
    assert (info["with"]["challenge_rate"], info["without"]["challenge_rate"]) == (0.0, 1.0)
    assert info["challenge_rate_difference"] == 1.0
    assert signal(report, "shop-b", "browserIP")["omitted"] == 2
    assert signal(report, "shop-b", "email")["omitted"] == 0
    assert shop_b["transactions"] == 3 and shop_b["statuses"] == {"C": 2, "Y": 1}
    # nothing since a minute from now; a bad since is a 400 that says what works
    later = f"/qa/data-quality?since={time.time() + 60:.0f}"
    assert (await (await client.get(later)).json())["requestors"] == []
    bad = await client.get("/qa/data-quality?since=soon")
    assert bad.status == 400 and "ISO 8601" in (await bad.json())["error"]


def test_signals_count_only_on_their_channel() -> None:
    app = {"threeDSRequestorID": "r", "deviceChannel": "01", "deviceInfo": "x"}
    report = tally([(app, "Y")])
    names = {s["signal"] for s in report["requestors"][0]["signals"]}
    assert "browserIP" not in names and "deviceInfo" in names
    assert len(names) == len([s for s in SIGNALS if s.channel in (None, "01")])
    nobody = tally([({"deviceChannel": "02"}, "N")])
    assert nobody["requestors"][0]["threeDSRequestorID"] == "(none)"


async def test_the_cli_reads_a_store_and_an_acs(
    aiohttp_client, redis_server, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(await fresh_services(redis_server.url)))
    await traffic(client)
    page = tmp_path / "dq.html"
    argv = ["report", "data-quality", "--store", redis_server.url, "--json", "--html", str(page)]
    assert await asyncio.to_thread(cli.main, argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["transactions"] == 6 and signal(report, "shop-b", "acctInfo")["omitted"] == 2
    html = page.read_text()
    assert "shop-b" in html and "acctInfo" in html and "Plotly" in html
    assert "<script src=" not in html  # the chart library is inlined: it reads offline

    target = str(client.server.make_url("")).rstrip("/")
    assert await asyncio.to_thread(cli.main, ["report", "data-quality", "--target", target]) == 0
    out = capsys.readouterr().out
    assert "shop-b" in out and "acctInfo" in out and "data quality" in out

    closed = f"http://127.0.0.1:{free_port()}"
    assert await asyncio.to_thread(cli.main, ["report", "data-quality", "--target", closed]) == 1
    assert "start the ACS" in capsys.readouterr().err
    assert cli.main(["report", "data-quality", "--since", "soon"]) == 2
    assert "--since 'soon'" in capsys.readouterr().err
