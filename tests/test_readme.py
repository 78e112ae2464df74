"""The README is the user's door: its examples and its test-card table must stay true."""

from __future__ import annotations

import json

from acs.issuer.config_files import load_issuer_config
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_catalog_card_is_in_the_readme_table() -> None:
    for card in load_issuer_config(ROOT / "config").catalog:
        status = card.expected.transStatus.value
        row = f"| `{card.scenario}` | `{card.acctNumber}` | {card.scheme} | {status}"
        assert row in README, f"README test-card table is missing or wrong for {card.scenario}"


async def test_example_areqs_get_an_ares(memory_client) -> None:
    for name in ("areq-browser-2.2.0.json", "areq-app-2.3.1.json"):
        assert f"@examples/{name}" in README
        body = json.loads((ROOT / "examples" / name).read_text())
        ares = await (await memory_client.post("/3ds/areq", json=body)).json()
        assert ares["messageType"] == "ARes" and ares["transStatus"] == "Y", ares


async def test_the_erro_example_is_what_the_acs_says(memory_client) -> None:
    resp = await memory_client.post(
        "/3ds/areq", json={"messageType": "AReq", "messageVersion": "2.0.9"}
    )
    erro = await resp.json()
    assert erro["errorCode"] == "102"
    assert f'"errorDetail":"{erro["errorDetail"]}"' in README
