"""Fault specs (acs/faults.py): what parses, what each error says, the three ways to ask (a
catalog card, a rule's then.fault, the request), and the header and messageExtension under
generated input: a fault, an Erro 203 naming where, never a 500."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from hypothesis import assume, given
from hypothesis import strategies as st

from acs.app import create_app
from acs.faults import (
    ARES_FIELDS,
    SPECS,
    ArgKind,
    Fault,
    FaultError,
    FaultName,
    Stage,
    find,
    from_extensions,
    merge,
    parse_faults,
    spec_text,
)
from acs.issuer.config_files import ConfigError, load_issuer_config
from acs.protocol.messages import MessageExtension
from acs.risk.loader import RuleLoadError, load_rules
from tests.conftest import ROOT, fresh_services
from tests.protocol import samples
from tests.web.test_fuzz_routes import FUZZ

PLAIN_CARD = "4016000000000087"  # enrolled, no catalog outcome: the rules decide
ARGS = {  # an argument each kind accepts
    ArgKind.SECONDS: "1.5",
    ArgKind.ERROR_CODE: "305",
    ArgKind.ARES_FIELD: "acsURL",
    ArgKind.MEDIA_TYPE: "text/html",
    ArgKind.VERSION: "2.1.0",
    ArgKind.MEMBER: "acsHTML",
    ArgKind.WHERE: "cres",
    ArgKind.PRES_MODE: "json",
}


@pytest.mark.parametrize("name", list(FaultName))
def test_every_fault_parses_with_and_without_its_argument(name: FaultName) -> None:
    spec = SPECS[name]
    if spec.arg is ArgKind.NONE:
        assert parse_faults(name.value) == (Fault(name),)
        with pytest.raises(FaultError, match="takes no argument"):
            parse_faults(f"{name.value}:1")
        return
    (fault,) = parse_faults(f" {name.value.upper()} : {ARGS[spec.arg]} ")
    assert fault == Fault(
        name, ARGS[spec.arg].lower() if spec.arg is ArgKind.MEDIA_TYPE else ARGS[spec.arg]
    )
    if spec.required:
        with pytest.raises(FaultError, match=f"{name.value}: needs an argument"):
            parse_faults(name.value)
    else:
        assert parse_faults(name.value) == (Fault(name),)
    with pytest.raises(FaultError, match=f"takes {spec.arg.value}|takes seconds"):
        parse_faults(f"{name.value}:\u00e9!")


def test_errors_say_what_is_valid() -> None:
    with pytest.raises(FaultError) as err:
        parse_faults("ares-dealy:2")
    assert "no such fault" in str(err.value)
    for name in FaultName:  # every fault and what it takes
        assert f"{name.value} (" in str(err.value)
    with pytest.raises(FaultError, match=r"acsURL\|acsSignedContent\|sdkTransID"):
        parse_faults("ares-missing:acsurl")
    with pytest.raises(FaultError, match="0-120"):
        parse_faults("ares-delay:121")
    with pytest.raises(FaultError, match="given twice"):
        parse_faults("drop, drop:cres")
    with pytest.raises(FaultError, match="empty fault"):
        parse_faults("drop,,http-500")
    with pytest.raises(FaultError, match="at most 8"):
        parse_faults(",".join(n.value for n in list(FaultName)[:9]))
    assert parse_faults("") == parse_faults("  ") == ()


def test_defaults_merge_and_lookup() -> None:
    faults = parse_faults("ares-erro, ares-timeout, http-500, rreq-slow")
    assert find(faults, FaultName.ARES_ERRO).error_code.value == "403"  # type: ignore[union-attr]
    assert find(faults, FaultName.ARES_TIMEOUT).seconds is None  # type: ignore[union-attr]  # the DS's + 1
    assert find(faults, FaultName.RREQ_SLOW).seconds == 3.0  # type: ignore[union-attr]
    assert find(faults, FaultName.HTTP_500).value == "ares"  # type: ignore[union-attr]
    assert find(faults, FaultName.DROP) is None and find(None, FaultName.DROP) is None
    card, rule = parse_faults("ares-delay:1, drop"), parse_faults("ares-delay:2")
    assert merge(card, None, rule) == (Fault(FaultName.ARES_DELAY, "2"), Fault(FaultName.DROP))
    assert merge(None, (), None) is None
    assert {s.stage for s in SPECS.values()} == set(Stage)
    assert set(ARES_FIELDS) == {"acsURL", "acsSignedContent", "sdkTransID"}


def test_extension_data() -> None:
    def ext(data: Any, id: str = "acs.fault") -> list[MessageExtension]:
        return [MessageExtension(id="other", data="x"), MessageExtension(id=id, data=data)]

    assert from_extensions(ext("drop")) == "drop"
    assert from_extensions(ext(["drop", "rreq-twice"])) == "drop,rreq-twice"
    assert from_extensions(ext("drop", id="else")) is None and from_extensions(None) is None
    with pytest.raises(FaultError, match="data must be a fault spec string"):
        from_extensions(ext({"faults": "drop"}))


faults_st = st.lists(
    st.sampled_from(list(FaultName)).flatmap(
        lambda name: (
            st.just(Fault(name))
            if SPECS[name].arg is ArgKind.NONE
            else st.just(Fault(name, ARGS[SPECS[name].arg]))
        )
    ),
    max_size=8,
    unique_by=lambda f: f.name,
)


@given(faults_st)
def test_a_spec_reads_back_as_written(faults: list[Fault]) -> None:
    assert parse_faults(spec_text(faults) or "") == tuple(faults)


@given(
    st.text(max_size=80)
    | st.from_regex(r"[a-z0-9-]{1,20}(:[^,]{0,10})?(, ?[a-z0-9-:.]{0,20}){0,3}")
)
def test_any_text_is_faults_or_a_fault_error(text: str) -> None:
    try:
        faults = parse_faults(text)
    except FaultError as exc:
        assert str(exc)
        return
    assert all(isinstance(f, Fault) for f in faults)


# -- the three ways to ask ----------------------------------------------------------------------


def test_a_bad_catalog_fault_names_the_card(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    catalog = yaml.safe_load((config / "test-cards.yaml").read_text())
    catalog["cards"][0]["fault"] = "ares-delay:forever"
    (config / "test-cards.yaml").write_text(yaml.safe_dump(catalog))
    with pytest.raises(ConfigError) as err:
        load_issuer_config(config)
    assert "cards[0]" in str(err.value) and "ares-delay:forever: takes seconds" in str(err.value)


RULES = """
name: faulty
description: a rule whose outcome plays a fault
rules:
  - id: faulty-card
    description: the plain card answers with an Erro 404
    when:
      all:
        - {field: card.bin, op: eq, value: "401600"}
        - {field: card.pan_suffix, op: eq, value: "0087"}
    then: {status: "Y", fault: "%s"}
  - id: rest
    description: everything else
    then: {status: "Y"}
"""


async def test_a_rule_outcome_plays_its_fault_without_faults_on(  # type: ignore[no-untyped-def]
    aiohttp_client, tmp_path: Path
) -> None:
    rules = tmp_path / "faulty.yaml"
    rules.write_text(RULES % "ares-erro:404")
    services = await fresh_services("memory", rules_path=rules)
    assert not services.settings.faults
    client: TestClient = await aiohttp_client(create_app(services))
    erro = await (
        await client.post("/3ds/areq", json=samples.areq("2.2.0", "02", "01", pan=PLAIN_CARD))
    ).json()
    assert (erro["messageType"], erro["errorCode"]) == ("Erro", "404")
    assert "fault ares-erro:404" in erro["errorDetail"]
    ares = await (
        await client.post(
            "/3ds/areq", json=samples.areq("2.2.0", "02", "01", pan="4016000000000095")
        )
    ).json()
    assert ares["transStatus"] == "Y"  # another card, another rule: no fault


def test_a_bad_rule_fault_names_the_rule(tmp_path: Path) -> None:
    rules = tmp_path / "faulty.yaml"
    rules.write_text(RULES % "ares-erro:999")
    with pytest.raises(RuleLoadError) as err:
        load_rules(rules)
    assert "rules[0].then" in str(err.value) and "ares-erro:999: takes error code" in str(err.value)


# -- the header and the extension under generated input --------------------------------------

_PLAYED_LATE = frozenset(
    {
        FaultName.ARES_DELAY,
        FaultName.ARES_TIMEOUT,
        FaultName.LATENCY,
        FaultName.HTTP_500,
        FaultName.DROP,
    }
)


@pytest.fixture
async def faulty(aiohttp_client) -> TestClient:  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(await fresh_services("memory", faults=True)))


def _harmless(text: str) -> bool:
    """Parsed specs that answer at once (no delay, no 500, no drop), or bad ones."""
    try:
        faults = parse_faults(text)
    except FaultError:
        return True
    return not any(f.name in _PLAYED_LATE for f in faults)


header_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=126), max_size=60
) | st.from_regex(r"(ares|cres|rreq|bad|pres)-[a-z-]{0,12}(:[a-zA-Z0-9./]{0,8})?", fullmatch=True)


@FUZZ
@given(text=header_text)
async def test_fault_header_fuzz(faulty: TestClient, text: str) -> None:
    assume(_harmless(text))
    resp = await faulty.post(
        "/3ds/areq",
        json=samples.areq("2.2.0", "02", "01", pan=PLAIN_CARD),
        headers={"X-ACS-Fault": text},
    )
    assert resp.status == 200
    answer = await resp.json()
    assert answer["messageType"] in ("ARes", "Erro"), answer
    if answer["messageType"] == "Erro":
        assert answer["errorCode"] in ("203", "305", "101", "403", "404") or text.startswith(
            "ares-erro"
        )
        if answer["errorCode"] == "203":
            assert answer["errorDetail"].startswith("X-ACS-Fault header: ")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(data=json_values | header_text)
async def test_fault_extension_fuzz(faulty: TestClient, data: Any) -> None:
    if isinstance(data, str):
        assume(_harmless(data))
    elif isinstance(data, list) and all(isinstance(d, str) for d in data):
        assume(_harmless(",".join(data)))
    ext = [{"id": "acs.fault", "name": "fuzz", "criticalityIndicator": False, "data": data}]
    body = samples.areq("2.2.0", "02", "01", pan=PLAIN_CARD, messageExtension=ext)
    resp = await faulty.post("/3ds/areq", json=body)
    assert resp.status == 200
    answer = await resp.json()
    assert answer["messageType"] in ("ARes", "Erro"), answer
    if answer["messageType"] == "Erro" and answer["errorCode"] == "203":
        assert "acs.fault" in answer["errorDetail"] or "messageExtension" in answer["errorDetail"]
