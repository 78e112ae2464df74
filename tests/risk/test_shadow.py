"""Shadow mode (serve --shadow-rules): the draft set decides every AReq beside the live one,
answers stay the live set's, each record keeps both decisions, the report counts where they
differ, and the card's counters are recorded once (the shadow's own windows included)."""

from __future__ import annotations

import asyncio
import json
import string
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.app import create_app
from acs.risk.loader import RuleLoadError
from acs.risk.sample import DEMO_PANS, base_areq
from tests.conftest import ROOT, auth, fresh_services

STRICT = ROOT / "rules/examples/strict.yaml"

# The shadow set's own 7-day window, which the live policy does not keep.
WEEKLY = """\
name: weekly
policy: {velocity: {1h: {seconds: 3600}, 7d: {seconds: 604800}}}
rules:
  - {id: busy-week, description: d, when: {field: velocity.7d.count, op: ge, value: 2},
     then: {status: "C", methods: [otp_sms]}}
  - {id: quiet, description: d, then: {status: "Y"}}
"""


def _traffic() -> list[dict[str, Any]]:
    return [
        base_areq(acctNumber=DEMO_PANS[n % 3], purchaseAmount=str(amount))
        for n, amount in enumerate((1500, 4999, 2500, 90000, 1200, 30000, 7000, 2000))
    ]


async def _answers(client: TestClient, areqs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answers = []
    for areq in areqs:
        resp = await client.post("/3ds/areq", json=areq)
        answers.append(await resp.json())
    return answers


async def test_answers_are_the_live_sets_and_records_keep_both(
    aiohttp_client: Any, store_url: str
) -> None:
    areqs = _traffic()
    plain = await aiohttp_client(create_app(await fresh_services(store_url)))
    expected = [a["transStatus"] for a in await _answers(plain, areqs)]
    services = await fresh_services(store_url, shadow_rules_path=STRICT)
    client = await aiohttp_client(create_app(services))
    answers = await _answers(client, areqs)
    assert [a["transStatus"] for a in answers] == expected  # the shadow changes no answer
    assert "Y" in expected  # and the strict shadow would have challenged those
    differ = 0
    for ares in answers:
        record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
        live, shadow = record["decision"], record["shadow"]
        assert live["status"] == ares["transStatus"]
        assert shadow["rules_version"] == services.shadow.rules.version != live["rules_version"]
        assert shadow["status"] == "C" and shadow["rule_id"] == "challenge-everything"
        differ += live["status"] != shadow["status"]
    report = await (await client.get("/admin/rules/shadow", headers=auth())).json()
    assert report["enabled"] is True and report["evaluated"] == len(areqs)
    assert report["differ"] == differ and report["differ_rate"] == round(differ / len(areqs), 4)
    assert sum(t["count"] for t in report["transitions"]) == len(areqs)
    assert {"live": "Y", "shadow": "C", "count": expected.count("Y")} in report["transitions"]
    moved = {(r["live"], r["shadow"]): r["count"] for r in report["rules"]}
    assert sum(moved.values()) == len(areqs)  # every AReq changed rule (strict has its own)
    assert all(after == "challenge-everything" for _, after in moved)


async def test_the_shadow_reads_its_own_window_recorded_once_with_the_live_counters(
    aiohttp_client: Any, store_url: str, tmp_path: Path
) -> None:
    weekly = tmp_path / "weekly.yaml"
    weekly.write_text(WEEKLY)
    services = await fresh_services(store_url, shadow_rules_path=weekly)
    client = await aiohttp_client(create_app(services))
    statuses = []
    for _ in range(3):
        ares = (await _answers(client, [base_areq(purchaseAmount="1500")]))[0]
        record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
        statuses.append((record["shadow"]["rule_id"], record["decision"]["trace"]))
    assert [rule for rule, _ in statuses] == ["quiet", "quiet", "busy-week"]
    last_trace = {s["step"]: s for s in statuses[-1][1]}
    # two earlier AReqs, each counted once, though two rule sets decided each
    assert last_trace["counters"]["velocity"]["1h"]["count"] == 2
    assert last_trace["counters"]["velocity"]["7d"]["count"] == 2


async def test_a_shadow_window_that_contradicts_the_live_one_is_refused(tmp_path: Path) -> None:
    clash = tmp_path / "clash.yaml"
    clash.write_text(
        "name: clash\npolicy: {velocity: {1h: {seconds: 60}}}\n"
        "rules: [{id: r, description: d, then: {status: 'Y'}}]\n"
    )
    with pytest.raises(RuleLoadError, match=r"window '1h' \(60 s, sliding\) differs from the live"):
        await fresh_services("memory", shadow_rules_path=clash)


async def test_the_report_route_needs_the_admin_token_and_says_when_shadow_is_off(
    memory_client: TestClient,
) -> None:
    denied = await memory_client.get("/admin/rules/shadow")
    assert denied.status == 401
    off = await (await memory_client.get("/admin/rules/shadow", headers=auth())).json()
    assert off == {"enabled": False, "hint": "start the ACS with --shadow-rules PATH"}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
@given(
    token=st.one_of(
        st.none(), st.text(string.ascii_letters + string.digits + "-_.~+/= ", max_size=40)
    ),
    query=st.text(string.ascii_letters + "=&%", max_size=30),
)
async def test_fuzz_the_shadow_report_route(
    memory_client: TestClient, token: str | None, query: str
) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}".strip()}
    resp = await memory_client.get(f"/admin/rules/shadow?{query}", headers=headers)
    assert resp.status in (200, 400, 401)
    body = json.loads(await resp.text())
    assert isinstance(body, dict)
    if resp.status == 200:
        assert body["enabled"] is False


async def test_a_reload_reloads_the_shadow_set_and_the_report_starts_anew(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(WEEKLY)
    services = await fresh_services("memory", shadow_rules_path=draft)
    client = await aiohttp_client(create_app(services))
    await _answers(client, [base_areq()])
    before = await (await client.get("/admin/rules/shadow", headers=auth())).json()
    assert before["evaluated"] == 1
    draft.write_text(WEEKLY.replace("value: 2}", "value: 5}"))
    assert (await client.post("/admin/rules/reload", headers=auth())).status == 200
    after = await (await client.get("/admin/rules/shadow", headers=auth())).json()
    assert after["shadow_version"] != before["shadow_version"] and after["evaluated"] == 0


async def test_a_failing_shadow_set_costs_no_answer(
    aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = await fresh_services("memory", shadow_rules_path=STRICT)
    client = await aiohttp_client(create_app(services))

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug in the draft set's engine")

    assert services.shadow is not None
    monkeypatch.setattr(services.shadow.engine, "decide", broken)
    ares = (await _answers(client, [base_areq()]))[0]
    assert ares["messageType"] == "ARes"
    record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    assert "shadow" not in record and record["decision"]["status"] == ares["transStatus"]


async def test_fifty_parallel_identical_areqs_are_each_counted_once(
    aiohttp_client: Any, store_url: str
) -> None:
    services = await fresh_services(store_url, shadow_rules_path=STRICT)
    client = await aiohttp_client(create_app(services))
    body = base_areq(acctNumber="4016000000000012")  # frictionless-y: Y live, Y in shadow too
    answers = await asyncio.gather(*(client.post("/3ds/areq", json=body) for _ in range(50)))
    assert all(a.status == 200 for a in answers)
    report = await (await client.get("/admin/rules/shadow", headers=auth())).json()
    assert report["evaluated"] == 50 and report["differ"] == 0
    assert report["transitions"] == [{"live": "Y", "shadow": "Y", "count": 50}]
    assert report["rules"] == []  # the same test-card rule decided in both
