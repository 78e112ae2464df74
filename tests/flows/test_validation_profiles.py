"""AReq validation through the app: broadInfo in every version, and the validation profiles
(strict / lenient) chosen globally and per card range."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from acs.app import build_services, create_app
from acs.protocol.profiles import ValidationProfile
from acs.store.store import StoreUnavailable
from tests.conftest import ROOT, auth, make_settings
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


# ------------------------------------------------------------------------ validation profiles

VISA = "4016000000000012"  # demo-visa: no `validation`, the global profile applies
MASTERCARD = "5105000000000011"  # demo-mastercard: `validation: lenient` in the config below
JCB = "3528000000000007"
JCB_RANGE = {
    "id": "demo-jcb",
    "start": "3528000000000000",
    "end": "3528009999999999",
    "scheme": "jcb",
    "issuer_name": "Demo Bank",
    "acs_reference_number": "3DS_LOA_ACS_DEMO_020300_00001",
    "keys": {"cavv_key_a": "0123456789ABCDEF", "cavv_key_b": "FEDCBA9876543210"},
}
# 2.2.0's name for 2.3.1's trustListStatus: of another version in a 2.3.1 AReq
OTHER_VERSION = {"whiteListStatus": "Y", "whiteListStatusSource": "01"}


def _areq(pan: str, **members: Any) -> dict[str, Any]:
    return samples.areq("2.3.1", "02", "01", pan=pan, **members)


def _lenient_mastercard(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    ranges = config / "card-ranges.yaml"
    text = ranges.read_text()
    marker = "    scheme: mastercard\n"
    assert text.count(marker) == 1
    ranges.write_text(text.replace(marker, marker + "    validation: lenient\n"))
    return config


async def _app(aiohttp_client: Any, **settings: Any) -> Any:
    services = await build_services(make_settings("memory", **settings))
    return await aiohttp_client(create_app(services))


def _is_203_for_other_version(erro: dict[str, Any]) -> None:
    assert erro["messageType"] == "Erro", erro
    assert erro["errorCode"] == "203"
    assert erro["errorDetail"] == ("whiteListStatus,whiteListStatusSource: not defined in 2.3.1")


async def _is_ares_without_them(client: Any, ares: dict[str, Any]) -> dict[str, Any]:
    assert ares["messageType"] == "ARes", ares
    record = await _record(client, ares["acsTransID"])
    assert not set(OTHER_VERSION) & set(record["areq"])
    assert record["decision"]["adjustments"][0] == (
        "validation lenient: dropped whiteListStatus, whiteListStatusSource "
        "(defined only in another message version than 2.3.1)"
    )
    return record


async def test_strict_by_default_reports_elements_of_another_version(memory_client: Any) -> None:
    _is_203_for_other_version(await _post(memory_client, _areq(VISA, **OTHER_VERSION)))
    # unknown names are ignored, and so is an empty element of another version
    ares = await _post(memory_client, _areq(VISA, zzFuture={"a": 1}, whiteListStatus=None))
    assert ares["transStatus"] == "Y"


async def test_lenient_globally_drops_them_and_notes_it(aiohttp_client: Any) -> None:
    client = await _app(aiohttp_client, validation=ValidationProfile.LENIENT)
    ares = await _post(client, _areq(VISA, **OTHER_VERSION))
    assert ares["transStatus"] == "Y"
    await _is_ares_without_them(client, ares)
    # a malformed one is still an Erro
    erro = await _post(client, _areq(VISA, whiteListStatus="X"))
    assert erro["errorCode"] == "203"
    assert erro["errorDetail"] == "whiteListStatus: not defined in 2.3.1"
    # a valid AReq carries no note
    ares = await _post(client, _areq(VISA))
    record = await _record(client, ares["acsTransID"])
    assert not any("validation" in a for a in record["decision"].get("adjustments", []))


async def test_a_lenient_card_range_under_a_strict_default(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await _app(aiohttp_client, config_dir=_lenient_mastercard(tmp_path))
    ares = await _post(client, _areq(MASTERCARD, **OTHER_VERSION))
    assert ares["transStatus"] == "Y"
    await _is_ares_without_them(client, ares)
    _is_203_for_other_version(await _post(client, _areq(VISA, **OTHER_VERSION)))
    # the range's profile decides an error too: lenient reports the 304 behind the 203
    erro = await _post(client, _areq(MASTERCARD, purchaseCurrency="999", **OTHER_VERSION))
    assert erro["errorCode"] == "304" and erro["errorDetail"].startswith("purchaseCurrency")
    erro = await _post(client, _areq(VISA, purchaseCurrency="999", **OTHER_VERSION))
    assert erro["errorCode"] == "203"
    # malformed: an Erro in the lenient range as well
    erro = await _post(client, _areq(MASTERCARD, whiteListStatus="X"))
    assert (erro["errorCode"], erro["errorDetail"]) == (
        "203",
        "whiteListStatus: not defined in 2.3.1",
    )
    # the admin API shows the profile; absent = the global one
    ranges = await (await client.get("/admin/card-ranges", headers=auth())).json()
    shown = {r["id"]: r["validation"] for r in ranges}
    assert shown["demo-mastercard"] == "lenient" and shown["demo-visa"] is None


async def test_a_strict_card_range_under_a_lenient_default(aiohttp_client: Any) -> None:
    client = await _app(aiohttp_client, validation=ValidationProfile.LENIENT)
    resp = await client.post(
        "/admin/card-ranges", json={**JCB_RANGE, "validation": "strict"}, headers=auth()
    )
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["validation"] == "strict"
    _is_203_for_other_version(await _post(client, _areq(JCB, **OTHER_VERSION)))
    # without them the range answers (no cardholder: not enrolled)
    assert (await _post(client, _areq(JCB)))["messageType"] == "ARes"
    ares = await _post(client, _areq(VISA, **OTHER_VERSION))
    await _is_ares_without_them(client, ares)
    # the profile can change at run time, like the rest of the range
    resp = await client.put(
        "/admin/card-ranges/demo-jcb", json={**JCB_RANGE, "validation": "lenient"}, headers=auth()
    )
    assert resp.status == 200, await resp.text()
    assert (await _post(client, _areq(JCB, **OTHER_VERSION)))["messageType"] == "ARes"
    resp = await client.post(
        "/admin/card-ranges",
        json={**JCB_RANGE, "id": "bad", "start": "3529000000000000", "end": "3529009999999999",
              "validation": "loose"},
        headers=auth(),
    )  # fmt: skip
    assert resp.status == 400 and "validation" in await resp.text()


async def test_the_range_profile_falls_back_to_this_nodes_copy_when_the_store_is_down(
    aiohttp_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = await build_services(
        make_settings("memory", config_dir=_lenient_mastercard(tmp_path))
    )
    client = await aiohttp_client(create_app(services))

    async def unavailable(pan: str, pan_hash: str) -> Any:
        raise StoreUnavailable("store down")

    monkeypatch.setattr(services.directory, "lookup", unavailable)
    # the lenient range accepts the AReq; the store then fails the transaction itself: 403
    erro = await _post(client, _areq(MASTERCARD, **OTHER_VERSION))
    assert erro["errorCode"] == "403" and "threeDSServerTransID" in erro
    _is_203_for_other_version(await _post(client, _areq(VISA, **OTHER_VERSION)))
