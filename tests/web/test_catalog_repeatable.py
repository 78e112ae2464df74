"""A catalog card answers the same every time, whatever ran before; a card whose answer depends
on its history says so (``depends_on_history``) with the reset that makes it repeatable."""

from __future__ import annotations

import random
from typing import Any

from aiohttp.test_utils import TestClient

from tests.protocol import samples

DECIDED = frozenset({"Y", "A", "N", "U", "R", "I"})  # frictionless: the ARes is the whole answer


async def catalog(client: TestClient) -> list[dict[str, Any]]:
    """The catalog but the fault cards, whose answer is their fault's (an Erro, a 500, late)."""
    cards: list[dict[str, Any]] = await (await client.get("/qa/test-cards")).json()
    return [card for card in cards if not card.get("fault")]


async def answer(client: TestClient, card: dict[str, Any]) -> tuple[str, str | None]:
    body = samples.areq("2.2.0", "02", "01", pan=card["acctNumber"], **card.get("areq", {}))
    ares = await (await client.post("/3ds/areq", json=body)).json()
    return ares.get("transStatus") or f"Erro {ares.get('errorCode')}", ares.get("transStatusReason")


async def reset(client: TestClient, card: dict[str, Any]) -> None:
    method, path = card["reset"].split(" ", 1)
    resp = await client.request(method, path)
    assert resp.status == 200, (card["reset"], await resp.text())


async def test_frictionless_cards_in_random_order_twice_answer_the_same(client: TestClient) -> None:
    cards = [c for c in await catalog(client) if c["expected"]["transStatus"] in DECIDED]
    assert len(cards) >= 10
    runs = []
    shuffle = random.Random(20)
    for _ in range(2):
        order = cards * 2
        shuffle.shuffle(order)
        found: dict[str, list[tuple[str, str | None]]] = {}
        for card in order:
            if card["depends_on_history"]:  # its reset, as the catalog says
                await reset(client, card)
            found.setdefault(card["scenario"], []).append(await answer(client, card))
        runs.append(found)
    assert runs[0] == runs[1]
    for card in cards:
        expected = (card["expected"]["transStatus"], card["expected"].get("transStatusReason"))
        assert runs[0][card["scenario"]] == [expected, expected], card["scenario"]


async def test_a_card_that_drifts_says_it_depends_on_history(client: TestClient) -> None:
    """Six identical AReqs per card: any card whose answers change is flagged, with a reset."""
    for card in await catalog(client):
        if card["expected"]["transStatus"] not in DECIDED:
            continue
        answers = {await answer(client, card) for _ in range(6)}
        if len(answers) > 1:
            assert card["depends_on_history"] and card["reset"], card["scenario"]
    flagged = {c["scenario"] for c in await catalog(client) if c["depends_on_history"]}
    assert {"issuer-consult", "challenge-history", "challenge-multi-select"} <= flagged
    for card in await catalog(client):
        if card["depends_on_history"]:
            assert card["reset"] == f"DELETE /qa/cards/{card['acctNumber']}/state"
