"""AReq -> ARes through the real app, on the in-process store and on a real redis-server."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import msgspec
import pytest

from acs.app import create_app
from acs.crypto import authvalue
from acs.crypto.authvalue import AuthContext
from acs.issuer.config_files import load_issuer_config
from acs.protocol.codes import TransStatus
from acs.protocol.schemes import Scheme
from tests.conftest import ROOT, fresh_services
from tests.protocol import samples

RANGES = {r.id: r for r in load_issuer_config(ROOT / "config").ranges}
Y_CARD = "4016000000000012"


async def post_areq(client, body: dict) -> dict:  # type: ignore[no-untyped-def]
    resp = await client.post("/3ds/areq", json=body)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


@pytest.mark.parametrize(("version", "channel", "category"), samples.ALL_COMBINATIONS)
async def test_every_version_channel_category_gets_a_well_formed_ares(
    memory_client, version: str, channel: str, category: str
) -> None:
    areq = samples.areq(version, channel, category, pan=Y_CARD)
    ares = await post_areq(memory_client, areq)
    assert ares["messageType"] == "ARes", ares
    assert ares["messageVersion"] == version
    assert ares["transStatus"] == "Y"
    for echoed in ("threeDSServerTransID", "dsTransID", "dsReferenceNumber"):
        assert ares[echoed] == areq[echoed]
    uuid.UUID(ares["acsTransID"])
    assert ares["acsReferenceNumber"] == "3DS_LOA_ACS_DEMO_020300_00001"
    assert len(ares["authenticationValue"]) == 28
    assert ares["eci"] == "05"
    assert "transStatusReason" not in ares
    if channel == "01":
        assert ares["sdkTransID"] == areq["sdkTransID"]
        if version == "2.3.1":
            assert ares["threeDSRequestorAppURLInd"] == "Y"  # (the banking app sends them back)
            assert ares["deviceInfoRecognisedVersion"] == "1.6"
    else:
        assert "sdkTransID" not in ares


async def _catalog(client) -> list[dict]:  # type: ignore[no-untyped-def]
    resp = await client.get("/qa/test-cards")
    assert resp.status == 200
    return await resp.json()


async def test_catalog_lists_the_required_scenarios(memory_client) -> None:
    cards = await _catalog(memory_client)
    scenarios = {c["scenario"] for c in cards}
    required = {f"frictionless-{s}" for s in "yanuri"} | {"not-enrolled"}
    assert required <= scenarios
    for card in cards:
        assert set(card) >= {"scenario", "acctNumber", "scheme", "expected", "description"}
    sms = next(c for c in cards if c["scenario"] == "challenge-otp-sms")
    assert set(sms["magic_codes"]) == {"111111", "222222", "333333"}


async def test_every_catalog_card_gives_its_expected_outcome(client) -> None:
    for card in await _catalog(client):
        if card.get("fault"):  # its fault changes the answer (tests/flows/test_fault_cards.py)
            continue
        # I needs a "no challenge" indicator; 2.2.0 is enabled on every demo range
        fields = {"threeDSRequestorChallengeInd": "05", **card.get("areq", {})}
        areq = samples.areq("2.2.0", "02", "01", pan=card["acctNumber"], **fields)
        ares = await post_areq(client, areq)
        expected = card["expected"]
        assert ares["transStatus"] == expected["transStatus"], card["scenario"]
        assert ares.get("transStatusReason") == expected.get("transStatusReason"), card["scenario"]
        if expected["transStatus"] in "YA":
            record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
            card_range = RANGES[record["card_range_id"]]
            ctx = AuthContext(
                scheme=Scheme(card["scheme"]),
                pan=card["acctNumber"],
                status=TransStatus(expected["transStatus"]),
                method=None,
                ds_trans_id=areq["dsTransID"],
                merchant_name=areq["merchantName"],
                purchase_amount=areq["purchaseAmount"],
                purchase_currency=areq["purchaseCurrency"],
            )
            evidence = record["authentication"]
            assert authvalue.verify(card_range.keys, ctx, ares["authenticationValue"], evidence)
            assert evidence["eci"] == ares["eci"]


@pytest.mark.parametrize(
    ("pan", "eci", "prefixes"),
    [
        ("5105000000000011", "02", ("kA", "kB", "kC", "kD")),
        ("5105000000000029", "01", ("kE", "kF")),
    ],
)
async def test_mastercard_values_carry_the_outcome_indicator(
    memory_client, pan, eci, prefixes
) -> None:
    ares = await post_areq(memory_client, samples.areq("2.2.0", "02", "01", pan=pan))
    assert ares["eci"] == eci
    assert ares["authenticationValue"][:2] in prefixes


async def test_informational_is_refused_where_the_version_forbids_it(memory_client) -> None:
    ares = await post_areq(memory_client, samples.areq("2.1.0", "02", "01", pan="4016000000000079"))
    assert (ares["transStatus"], ares["transStatusReason"]) == ("N", "07")
    record = await (await memory_client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    assert any("transStatus I" in a for a in record["decision"]["adjustments"])


async def test_pan_outside_every_range_is_305(memory_client) -> None:
    areq = samples.areq("2.2.0", "02", "01", pan="4999999999999995")
    erro = await post_areq(memory_client, areq)
    assert erro["messageType"] == "Erro"
    assert erro["errorCode"] == "305"
    assert "acctNumber" in erro["errorDetail"]
    assert "4999999999999995" not in erro["errorDetail"]
    assert erro["threeDSServerTransID"] == areq["threeDSServerTransID"]
    assert erro["errorComponent"] == "A"


async def test_version_not_enabled_for_the_range_is_102(memory_client) -> None:
    erro = await post_areq(memory_client, samples.areq("2.1.0", "02", "01", pan="6011000000000012"))
    assert erro["errorCode"] == "102"
    assert "2.2.0, 2.3.1" in erro["errorDetail"]


async def test_record_shows_decision_and_masks_the_pan(client) -> None:
    ares = await post_areq(client, samples.areq("2.3.1", "02", "01", pan=Y_CARD))
    resp = await client.get(f"/qa/transactions/{ares['acsTransID']}")
    assert resp.status == 200
    text = await resp.text()
    assert Y_CARD not in text
    record = await resp.json()
    assert record["areq"]["acctNumber"] == "401600******0012"
    assert record["ares"] == ares
    assert record["decision"]["status"] == "Y"
    assert record["decision"]["rule_id"] == "frictionless-y"
    assert record["decision"]["explanation"]
    assert {"atn", "algorithm"} <= set(record["authentication"])
    assert "pan_enc" not in record and "pan_hash" not in record


async def test_a_pan_in_free_text_fields_is_masked_everywhere_in_the_record(
    aiohttp_client, store_url: str, tmp_path: Path
) -> None:
    """cardholderName and acctID carry the PAN, and a rule reads cardholderName without deciding
    on it, so the trace quotes it too: the record shows the PAN nowhere in clear."""
    rules = tmp_path / "quotes-the-name.yaml"
    rules.write_text(
        "name: quotes-the-name\n"
        "mode: first-match\n"
        "rules:\n"
        "  - id: name-or-any-amount\n"
        "    description: Reads the cardholder name on its way to Y.\n"
        "    when: {any: [{field: cardholder.name, op: eq, value: nobody},\n"
        "                 {field: amount.minor, op: ge, value: 0}]}\n"
        '    then: {status: "Y"}\n'
    )
    services = await fresh_services(store_url, rules_path=rules, test_cards=False)
    client = await aiohttp_client(create_app(services))
    body = samples.areq(
        "2.2.0", "02", "01", pan=Y_CARD, cardholderName=f"JANE {Y_CARD}", acctID=Y_CARD
    )
    ares = await post_areq(client, body)
    assert ares["transStatus"] == "Y"
    resp = await client.get(f"/qa/transactions/{ares['acsTransID']}")
    text = await resp.text()
    assert Y_CARD not in text
    record = json.loads(text)
    assert record["areq"]["cardholderName"] == "JANE 401600******0012"
    assert record["areq"]["acctID"] == "401600******0012"
    checks = record["decision"]["trace"][0]["conditions"][0]["checks"]
    assert {"field": "cardholder.name", "actual": "JANE 401600******0012"}.items() <= checks[
        0
    ].items()
    assert record["areq"]["purchaseDate"] == body["purchaseDate"]  # a date, not a PAN


async def test_unknown_and_malformed_transaction_ids(memory_client) -> None:
    resp = await memory_client.get(f"/qa/transactions/{uuid.uuid4()}")
    assert resp.status == 404
    assert "error" in await resp.json()
    resp = await memory_client.get("/qa/transactions/not-a-uuid")
    assert resp.status == 400
    assert (await resp.json())["field"] == "acsTransID"


def test_stored_message_masks_the_pan_and_drops_the_card_security_code() -> None:
    from acs.protocol.validate import parse_areq
    from acs.transactions import masked_message

    areq = msgspec.structs.replace(
        parse_areq(json.dumps(samples.areq("2.3.1", "02", "01", pan=Y_CARD))),
        cardSecurityCode="737",
    )
    # with the parser's encoding too: it holds the code, so masking it in place would not do
    for encoded in (None, msgspec.json.encode(areq)):
        stored = json.loads(bytes(masked_message(areq, encoded)))
        assert stored["acctNumber"] == "401600******0012"
        assert "cardSecurityCode" not in stored and "737" not in json.dumps(stored)
        assert stored["threeDSServerTransID"] == areq.threeDSServerTransID
