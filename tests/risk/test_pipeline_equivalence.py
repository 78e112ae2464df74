"""What the tools say is what the server does: the same AReqs through the live handler
(``handle_areq`` on the in-process store) and through ``acs rules backtest``'s replay give the
same outcome, reason, rule and exemption, or the same Erro, AReq by AReq.

Every AReq carries the same purchaseDate, the current second: the live handler counts velocity on
the clock and the replay on purchaseDate, so a burst sent now means the same to both. Ranges that
consult the issuer are left out (the tools do not call the issuer; their trace says so).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from acs.flows.areq import handle_areq
from acs.flows.offline import OfflineDecider
from acs.issuer.config_files import load_issuer_config
from acs.protocol.messages import ARes
from acs.risk import backtest
from acs.risk.loader import load_rules
from acs.risk.loader import test_cards_set as card_set_path
from acs.risk.sample import Mix, base_areq, generate
from acs.transactions import decode_any
from tests.conftest import ROOT, fresh_services
from tests.protocol import samples

CONSULTING = ("401601000", "401601010")  # the issuer-consult ranges' PAN prefixes
NOT_ENROLLED_IN_RANGE = "4016000000000996"  # a demo-visa PAN with no cardholder

CHALLENGE_ALL = """\
name: challenge-all
description: Every payment is challenged, so that planning decides what happens.
rules:
  - id: challenge-everything
    description: A C with a method few cardholders have; planning falls back or answers U.
    then: {status: "C", methods: [otp_voice]}
"""

DEVICES = """\
name: devices
policy: {velocity: {1h: {seconds: 3600}, 24h: {seconds: 86400}}}
rules:
  - id: new-device-big
    description: A device new to the card, on a bigger amount.
    when:
      all:
        - {field: device.new, op: eq, value: true}
        - {field: amount.eur, op: gt, value: 50}
    then: {status: "C", methods: [otp_sms]}
  - id: busy
    description: Busy card.
    when: {field: velocity.1h.count, op: ge, value: 4}
    then: {status: "N", reason: "11"}
  - id: known
    description: Anything else.
    then: {status: "Y"}
"""


def _now_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")


def traffic() -> list[dict[str, Any]]:
    """Shipped samples, generated traffic with every generator option, each catalog card on the
    browser and app channels, cards with no usable method, and AReqs that end in an Erro."""
    areqs: list[dict[str, Any]] = []
    for line in (ROOT / "rules/samples/transactions.jsonl").read_text().splitlines():
        areq = json.loads(line)
        areq.pop("label", None)
        areqs.append(areq)
    mix = Mix.parse(
        mcc="5411=3,5816=1,7995=1",
        amounts="1-30=3,30-300=2,300-3000=1",
        countries="DE=3,GB=1,US=1",
        fraud_rate=0.05,
    )
    for areq in generate(150, seed=11, mix=mix):
        areq.pop("label")
        areqs.append(areq)
    for card in load_issuer_config(ROOT / "config").catalog:
        if card.acctNumber.startswith(CONSULTING) or card.fault:
            continue  # the issuer decides live; a fault card's answer is the fault's, by design
        areqs.append(base_areq(acctNumber=card.acctNumber, **card.areq))
        areqs.append(samples.areq("2.3.1", "01", "01", pan=card.acctNumber, **card.areq))
    # no usable method: not enrolled; an SDK that offers no UI the method needs
    areqs.append(base_areq(acctNumber=NOT_ENROLLED_IN_RANGE))
    no_ui = samples.areq("2.3.1", "01", "01", pan="4016000000000111")
    no_ui["deviceRenderOptions"] = {"sdkInterface": "01", "sdkUiType": ["05"]}
    areqs.append(no_ui)
    # Erros: a PAN outside every range, a version no range serves, a bad SDK key on a C
    areqs.append(base_areq(acctNumber="6011999999999999999"))
    areqs.append(base_areq(messageVersion="2.0.9"))
    bad_key = samples.areq("2.3.1", "01", "01", pan="4016000000000111")
    off_curve = base64.urlsafe_b64encode(bytes([1] * 32)).rstrip(b"=").decode()
    bad_key["sdkEphemPubKey"] = {"kty": "EC", "crv": "P-256", "x": off_curve, "y": off_curve}
    areqs.append(bad_key)
    stamp = _now_stamp()
    for areq in areqs:
        areq["purchaseDate"] = stamp
        areq["threeDSServerTransID"] = str(uuid.uuid4())
    return areqs


async def _live(rules_path: Path, areqs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    services = await fresh_services("memory", rules_path=rules_path)
    outcomes = []
    try:
        for areq in areqs:
            answer = await handle_areq(services, msgspec.json.encode(areq))
            if not isinstance(answer, ARes):
                outcomes.append({"erro": answer.errorCode})
                continue
            raw = await services.store.get_txn(answer.acsTransID)
            assert raw is not None
            decision = decode_any(raw).decision  # type: ignore[union-attr]
            assert answer.transStatus == decision.status
            outcomes.append(
                {
                    "status": decision.status,
                    "reason": decision.reason,
                    "rule": decision.rule_id,
                    "exemption": decision.exemption,
                }
            )
    finally:
        await services.close()
    return outcomes


async def _replayed(
    rules_path: Path, areqs: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    loaded = load_rules(rules_path, test_cards=card_set_path())
    decider = OfflineDecider(loaded, ROOT / "config")
    out = io.BytesIO()
    lines = [msgspec.json.encode(a) for a in areqs]
    await backtest.run(lines, decider, out=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    outcomes = [
        {"erro": r["error"]["errorCode"]}
        if "error" in r
        else {
            "status": r["transStatus"],
            "reason": r["transStatusReason"],
            "rule": r["rule"],
            "exemption": r["exemption"],
        }
        for r in rows
    ]
    return outcomes, rows


@pytest.mark.parametrize("rules", ["shipped", "challenge-all", "devices"])
async def test_live_and_backtest_agree_areq_by_areq(rules: str, tmp_path: Path) -> None:
    if rules == "shipped":
        rules_path = ROOT / "rules"
    else:
        rules_path = tmp_path / f"{rules}.yaml"
        rules_path.write_text(CHALLENGE_ALL if rules == "challenge-all" else DEVICES)
    areqs = traffic()
    live = await _live(rules_path, areqs)
    replayed, rows = await _replayed(rules_path, areqs)
    assert len(live) == len(replayed) == len(areqs)
    differ = [
        (n, areqs[n]["acctNumber"][-4:], areqs[n]["deviceChannel"], a, b)
        for n, (a, b) in enumerate(zip(live, replayed, strict=True))
        if a != b
    ]
    assert not differ, differ[:10]
    # the traffic covers what matters: Erros, challenges, and C answered U for want of a method
    assert {"erro": "305"} in live and {"erro": "102"} in live and {"erro": "203"} in live
    statuses = {o.get("status") for o in live}
    assert {"C", "U"} <= statuses
    if rules == "challenge-all":
        why = [a for r in rows for a in r.get("adjustments", [])]
        assert any("no challenge method this channel can run" in a for a in why)
        assert any("deviceRenderOptions offer no UI" in a for a in why)
    elif rules == "devices":
        rules_hit = {o.get("rule") for o in live}
        assert {"new-device-big", "busy", "known"} <= rules_hit
    else:
        assert {"Y", "N", "R", "A", "D"} <= statuses
