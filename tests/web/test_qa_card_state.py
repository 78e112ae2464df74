"""GET/DELETE /qa/cards/{acctNumber}/state: what drives a card's next decision, and the reset
that makes its answers repeatable (six identical AReqs for the demo card answered Y Y Y C C C,
because its velocity counters kept counting)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.protocol import samples

DANA = "4016000000000053"  # visa-demo: the rules decide (velocity, low value)


async def statuses(client: TestClient, count: int) -> list[str]:
    found = []
    for _ in range(count):
        body = samples.areq("2.2.0", "02", "01", pan=DANA, purchaseAmount="1500")
        ares: dict[str, Any] = await (await client.post("/3ds/areq", json=body)).json()
        found.append(ares["transStatus"])
    return found


async def test_a_reset_makes_the_card_answer_the_same_again(client: TestClient) -> None:
    first = await statuses(client, 6)
    state = await (await client.get(f"/qa/cards/{DANA}/state")).json()
    assert state["acctNumber"] == "401600******0053"
    assert state["velocity"]["24h"]["count"] == 6 and state["velocity"]["24h"]["amount_eur"] == 90
    assert "DELETE" in state["reset"]
    reset = await client.delete(f"/qa/cards/{DANA}/state")
    assert reset.status == 200 and (await reset.json())["reset"] == "401600******0053"
    after = await (await client.get(f"/qa/cards/{DANA}/state")).json()
    assert after["velocity"]["24h"]["count"] == 0 and after["low_value"]["count"] == 0
    assert await statuses(client, 6) == first  # the same answers, in the same order


async def test_a_bad_card_number_names_the_field(client: TestClient) -> None:
    for bad in ("12", "x" * 16, "4" * 20):
        resp = await client.get(f"/qa/cards/{bad}/state")
        assert resp.status == 400 and (await resp.json())["field"] == "acctNumber"
