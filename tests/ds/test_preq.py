"""PReq/PRes: the card ranges a 3DS Server caches, in the 2.1/2.2 and 2.3.1 forms, with serial
numbers that give the changes only. Checked against the reference's field tables (section 3.6
and the cardRangeData table), copied here: tests never read ../shared."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import aiohttp
import msgspec
import pytest
import redis.asyncio

from acs.crypto.pki import PKI
from acs.crypto.sdk_enc_data import DsKeys
from acs.ds.config import DsConfig
from acs.ds.preq import answer_preq
from acs.ds.server import DirectoryServer
from acs.issuer.config_files import load_issuer_config
from acs.issuer.models import CardRange, RangeIndex
from acs.store.store import Store
from tests.conftest import ROOT
from tests.ds.three_ds_server import dumps, preq

# reference section 3.6 and the cardRangeData (PRes) table
PRES_22_REQUIRED = {
    "messageType",
    "messageVersion",
    "threeDSServerTransID",
    "dsTransID",
    "serialNum",
    "dsStartProtocolVersion",
    "dsEndProtocolVersion",
}
RANGE_22_REQUIRED = {
    "startRange",
    "endRange",
    "actionInd",
    "acsStartProtocolVersion",
    "acsEndProtocolVersion",
}
RANGE_22_OPTIONAL = {"threeDSMethodURL", "acsInfoInd"}
ACS_INFO_22 = re.compile(r"^(0[1-4]|[89][0-9])$")
ACS_INFO_231 = re.compile(r"^(0[1-9]|1[01]|[89][0-9])$")
VERSION = re.compile(r"^2\.[123]\.[0-9]$")
METHOD_URL = "https://acs.test/3ds/method"
NO_HTTP: aiohttp.ClientSession = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def keys() -> DsKeys:
    pki = PKI.generate(ca_bits=2048)
    return DsKeys(pki.ds_rsa.key, pki.ds_ec.key)  # type: ignore[arg-type]


def config_ranges() -> list[CardRange]:
    return load_issuer_config(ROOT / "config").ranges


async def front(store: Store, keys: DsKeys, ranges: list[CardRange]) -> DirectoryServer:
    config = DsConfig(
        public_url="https://ds.test", method_url=METHOD_URL, acs_url="https://acs.test/3ds/areq"
    )
    # PReq needs no outgoing call: a session that is never opened
    return DirectoryServer(config, store, RangeIndex(ranges), keys, NO_HTTP)


async def ask(ds: DirectoryServer, message: dict[str, Any]) -> dict[str, Any]:
    answer = await answer_preq(ds, dumps(message))
    result: dict[str, Any] = json.loads(answer.body)
    return result


@pytest.fixture
async def store(store_url: str) -> Any:
    if store_url != "memory":
        flusher = redis.asyncio.Redis.from_url(store_url)
        await flusher.flushdb()
        await flusher.aclose()
    store = Store.connect(store_url)
    yield store
    await store.close()


@pytest.mark.parametrize("version", ["2.1.0", "2.2.0"])
async def test_pres_22_form(store: Store, keys: DsKeys, version: str) -> None:
    ranges = config_ranges()
    ds = await front(store, keys, ranges)
    request = preq(version)
    pres = await ask(ds, request)
    assert pres["messageType"] == "PRes" and pres["messageVersion"] == version
    assert set(pres) >= PRES_22_REQUIRED
    assert pres["threeDSServerTransID"] == request["threeDSServerTransID"]
    assert str(uuid.UUID(pres["dsTransID"])) == pres["dsTransID"]
    assert 0 < len(pres["serialNum"]) <= 20
    assert VERSION.match(pres["dsStartProtocolVersion"])
    assert len(pres["cardRangeData"]) == len(ranges)
    for entry in pres["cardRangeData"]:
        assert set(entry) >= RANGE_22_REQUIRED
        assert set(entry) <= RANGE_22_REQUIRED | RANGE_22_OPTIONAL
        assert entry["actionInd"] == "A"
        assert entry["startRange"] <= entry["endRange"]
        assert entry["threeDSMethodURL"] == METHOD_URL
        if version == "2.1.0":  # acsInfoInd came with 2.2.0
            assert "acsInfoInd" not in entry
        else:
            assert all(ACS_INFO_22.match(i) for i in entry["acsInfoInd"])
    by_start = {e["startRange"]: e for e in pres["cardRangeData"]}
    for r in ranges:
        entry = by_start[r.start]
        assert entry["endRange"] == r.end
        assert entry["acsStartProtocolVersion"] == min(v.value for v in r.versions)
        assert entry["acsEndProtocolVersion"] == max(v.value for v in r.versions)


async def test_pres_231_form(store: Store, keys: DsKeys) -> None:
    ranges = config_ranges()
    ds = await front(store, keys, ranges)
    pres = await ask(ds, preq("2.3.1"))
    assert pres["dsProtocolVersions"] == ["2.1.0", "2.2.0", "2.3.1"]
    assert "dsStartProtocolVersion" not in pres
    for entry in pres["cardRangeData"]:
        assert set(entry) == {"startRange", "endRange", "actionInd", "acsProtocolVersions"}
        versions = [v["version"] for v in entry["acsProtocolVersions"]]
        assert versions == sorted(versions) and all(VERSION.match(v) for v in versions)
        for item in entry["acsProtocolVersions"]:
            assert item["threeDSMethodURL"] == METHOD_URL
            assert item["acsInfoInd"] and all(ACS_INFO_231.match(i) for i in item["acsInfoInd"])
        info = {v["version"]: v["acsInfoInd"] for v in entry["acsProtocolVersions"]}
        if "2.3.1" in info:
            assert "10" in info["2.3.1"]  # the low-value exemption: 2.3.1 codes only
        if "2.2.0" in info:
            assert all(ACS_INFO_22.match(i) for i in info["2.2.0"])


async def test_serial_numbers_give_the_changes_only(store: Store, keys: DsKeys) -> None:
    ranges = config_ranges()
    first = await ask(await front(store, keys, ranges), preq("2.2.0"))
    serial = first["serialNum"]
    # a current serial: nothing to change, no cardRangeData at all
    same = await ask(await front(store, keys, ranges), preq("2.2.0", serial))
    assert same["serialNum"] == serial and "cardRangeData" not in same
    # another DS process with one range gone, one changed and one new (same store)
    gone, changed, *rest = ranges
    narrowed = msgspec.structs.replace(changed, versions=changed.versions[-1:])
    added = msgspec.structs.replace(
        changed, id="added", start="6011990000000000", end="6011999999999999"
    )
    later = await front(store, keys, [narrowed, added, *rest])
    update = await ask(later, preq("2.2.0", serial))
    assert update["serialNum"] != serial
    actions = {(e["actionInd"], e["startRange"]) for e in update["cardRangeData"]}
    assert actions == {("D", gone.start), ("M", changed.start), ("A", added.start)}
    modified = next(e for e in update["cardRangeData"] if e["actionInd"] == "M")
    assert modified["acsStartProtocolVersion"] == changed.versions[-1].value
    # and from the new serial, nothing again; the same in the 2.3.1 form
    assert "cardRangeData" not in await ask(later, preq("2.3.1", update["serialNum"]))
    update_231 = await ask(later, preq("2.3.1", serial))
    assert {e["actionInd"] for e in update_231["cardRangeData"]} == {"A", "M", "D"}


@pytest.mark.parametrize(
    ("change", "code", "detail"),
    [
        ({"serialNum": "never-given-out"}, "307", "serialNum"),
        ({"messageType": "AReq"}, "101", "messageType"),
        ({"messageVersion": "3.0.0"}, "102", "2.2.0"),
        ({"threeDSServerRefNumber": None}, "201", "threeDSServerRefNumber"),
        ({"threeDSServerTransID": "not-a-uuid"}, "203", "threeDSServerTransID"),
        ({"serialNum": "x" * 21}, "203", "serialNum"),
        ({"cardRangeDataDownloadInd": "maybe"}, "203", "cardRangeDataDownloadInd"),
    ],
)
async def test_bad_preq_gets_a_ds_erro(
    store: Store, keys: DsKeys, change: dict[str, Any], code: str, detail: str
) -> None:
    ds = await front(store, keys, config_ranges())
    message = preq("2.3.1")
    for name, value in change.items():
        if value is None:
            del message[name]
        else:
            message[name] = value
    erro = await ask(ds, message)
    assert erro["messageType"] == "Erro"
    assert (erro["errorCode"], erro["errorComponent"]) == (code, "D"), erro
    assert erro["errorMessageType"] == "PReq"
    assert detail in erro["errorDetail"]
