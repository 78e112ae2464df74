"""Engine behaviour seen from outside: traces, indexes, score mode, exemption codes in the ARes."""

from __future__ import annotations

import msgspec

from acs.risk.engine import CompiledSet
from acs.risk.model import RuleSet
from acs.risk.sample import base_areq
from tests.risk.helpers import facts


async def test_trace_is_stored_and_logged_never_sent(memory_client) -> None:
    ares = await (
        await memory_client.post("/3ds/areq", json=base_areq(purchaseAmount="2500"))
    ).json()
    assert "trace" not in ares and "decision" not in ares
    record = await (await memory_client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    decision = record["decision"]
    assert decision["rule_id"] == "low-value" and decision["exemption"] == "low_value"
    steps = {s["step"]: s for s in decision["trace"]}
    rule = steps["rule"]
    assert rule["set"] == "default" and rule["rule"] == "low-value"
    checks = rule["conditions"][0]["checks"]
    first = checks[0]
    assert first == {
        "field": "exemption.low_value.available",
        "op": "eq",
        "expected": True,
        "actual": True,
        "result": True,
    }
    assert steps["exemption"]["considered"] == "low_value"
    assert steps["exemption-claim"]["claimed"] is True
    assert steps["counters"]["velocity"]["1h"] == {"count": 0, "amount_eur": 0.0}
    assert len(decision["rules_version"]) == 12


async def test_2_3_1_ares_names_the_exemption(memory_client) -> None:
    body = base_areq(messageVersion="2.3.1", purchaseAmount="2500")
    ares = await (await memory_client.post("/3ds/areq", json=body)).json()
    assert ares["transStatus"] == "Y"
    assert ares["transChallengeExemption"] == "10"  # low value
    ares = await (
        await memory_client.post("/3ds/areq", json=base_areq(purchaseAmount="2500"))
    ).json()
    assert "transChallengeExemption" not in ares  # 2.2.0 has no such field


def _generated(n: int) -> CompiledSet:
    rules = [
        {
            "id": f"r{i}",
            "description": "generated",
            "when": {
                "all": [
                    {"field": "merchant.mcc", "op": "eq", "value": f"{1000 + i:04d}"},
                    {"field": "amount.eur", "op": "gt", "value": 10},
                ]
            },
            "then": {"status": "C"},
        }
        for i in range(n)
    ] + [{"id": "catch-all", "description": "last", "then": {"status": "Y"}}]
    return CompiledSet(msgspec.convert({"name": "gen", "rules": rules}, RuleSet), "generated")


def test_large_sets_are_indexed_on_a_discriminating_field() -> None:
    compiled = _generated(1000)
    assert compiled.index_field == "merchant.mcc"
    hit = compiled.evaluate(facts(mcc="1500"))
    assert hit is not None and hit.rule_id == "r500" and hit.evaluated == 1
    miss = compiled.evaluate(facts(mcc="5411"))
    assert miss is not None and miss.rule_id == "catch-all" and miss.evaluated == 1


def test_priority_orders_rules_before_file_order() -> None:
    rules = [
        {"id": "late", "description": "d", "then": {"status": "N", "reason": "01"}},
        {"id": "urgent", "description": "d", "priority": 10, "then": {"status": "Y"}},
    ]
    compiled = CompiledSet(msgspec.convert({"name": "p", "rules": rules}, RuleSet), "p")
    outcome = compiled.evaluate(facts())
    assert outcome is not None and outcome.rule_id == "urgent"


def test_score_mode_sums_matching_rules_into_a_threshold() -> None:
    data = {
        "name": "score",
        "mode": "score",
        "thresholds": [
            {"min_score": 50, "then": {"status": "C"}},
            {"min_score": 0, "then": {"status": "Y"}},
        ],
        "rules": [
            {
                "id": "big",
                "description": "d",
                "when": {"field": "amount.eur", "op": "gt", "value": 40},
                "then": {"score": 30},
            },
            {
                "id": "browser",
                "description": "d",
                "when": {"field": "channel", "op": "eq", "value": "02"},
                "then": {"score": 25},
            },
            {
                "id": "app",
                "description": "d",
                "when": {"field": "channel", "op": "eq", "value": "01"},
                "then": {"score": 99},
            },
        ],
    }
    compiled = CompiledSet(msgspec.convert(data, RuleSet), "score")
    outcome = compiled.evaluate(facts())
    assert outcome is not None
    assert outcome.score == 55 and outcome.then.status == "C"
    assert [r.rule.id for r in outcome.matched] == ["big", "browser"]
    low = compiled.evaluate(facts(purchaseAmount="1000"))
    assert low is not None and low.score == 25 and low.then.status == "Y"


async def test_trust_list_status_answers_when_asked(memory_client) -> None:
    body = base_areq(
        acctNumber="4016000000000087",
        merchantName="Demo Merchant",
        whiteListStatus="N",
        whiteListStatusSource="01",
    )
    ares = await (await memory_client.post("/3ds/areq", json=body)).json()
    assert (ares["whiteListStatus"], ares["whiteListStatusSource"]) == ("Y", "03")
    body = base_areq(
        messageVersion="2.3.1", acctNumber="4016000000000087", threeDSRequestorChallengeInd=["09"]
    )
    ares = await (await memory_client.post("/3ds/areq", json=body)).json()
    assert (ares["trustListStatus"], ares["trustListStatusSource"]) == ("N", "03")
    ares = await (await memory_client.post("/3ds/areq", json=base_areq())).json()
    assert "whiteListStatus" not in ares
