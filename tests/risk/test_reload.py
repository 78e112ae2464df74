"""Hot reload: a new rule set takes over with no failed request; a broken one is refused."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from acs.app import build_services, create_app
from acs.risk.sample import base_areq
from tests.conftest import ROOT, auth, make_settings


async def _client(aiohttp_client, rules: Path, **settings):  # type: ignore[no-untyped-def]
    services = await build_services(make_settings("memory", rules_path=rules, **settings))
    return await aiohttp_client(create_app(services))


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


async def test_reload_under_load_fails_no_request(aiohttp_client, tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    client = await _client(aiohttp_client, rules)
    before = (await (await client.get("/admin/rules", headers=auth())).json())["version"]
    stop = asyncio.Event()
    answers: list[dict] = []

    async def load() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            body = base_areq(acctNumber="4016000000000087", purchaseAmount=str(4000 + n))
            resp = await client.post("/3ds/areq", json=body)
            assert resp.status == 200
            answers.append(await resp.json())

    workers = [asyncio.create_task(load()) for _ in range(8)]
    await asyncio.sleep(0.05)
    # make the strict example the only set: every payment is now challenged
    (rules / "rulesets.yaml").write_text("sets: [examples/strict.yaml]\n")
    resp = await client.post("/admin/rules/reload", headers=auth())
    assert resp.status == 200, await resp.text()
    after = (await resp.json())["version"]
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*workers)

    assert after != before
    assert len(answers) > 20
    assert all(a["messageType"] == "ARes" for a in answers), [
        a for a in answers if a["messageType"] != "ARes"
    ][:1]
    records = [
        await (await client.get(f"/qa/transactions/{a['acsTransID']}")).json() for a in answers
    ]
    versions = [r["decision"]["rules_version"] for r in records]
    assert set(versions) == {before, after}
    first_new = versions.index(after)
    assert all(v == after for v in versions[first_new:])  # no request went back to the old rules
    assert {
        r["decision"]["rule_id"] for r in records if r["decision"]["rules_version"] == after
    } == {"challenge-everything"}


async def test_a_broken_rule_set_is_refused_and_the_old_one_serves(
    aiohttp_client, tmp_path: Path
) -> None:
    rules = _copy_rules(tmp_path)
    client = await _client(aiohttp_client, rules)
    before = (await (await client.get("/admin/rules", headers=auth())).json())["version"]
    (rules / "default.yaml").write_text(
        (rules / "default.yaml").read_text().replace("cardholder.enrolled", "cardholder.enroled")
    )
    resp = await client.post("/admin/rules/reload", headers=auth())
    assert resp.status == 422
    body = await resp.json()
    assert "default.yaml" in body["error"] and "cardholder.enrolled" in body["error"]
    assert body["field"] == "rules[0].when.field"
    assert before in body["hint"]
    current = await (await client.get("/admin/rules", headers=auth())).json()
    assert current["version"] == before
    ares = await (await client.post("/3ds/areq", json=base_areq())).json()
    assert ares["transStatus"] == "Y"


async def test_rules_routes_need_the_token(memory_client) -> None:
    assert (await memory_client.get("/admin/rules")).status == 401
    assert (await memory_client.post("/admin/rules/reload")).status == 401


async def test_file_watch_reloads_on_change(aiohttp_client, tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    client = await _client(aiohttp_client, rules, rules_watch=True)
    before = (await (await client.get("/admin/rules", headers=auth())).json())["version"]
    await asyncio.sleep(0.3)  # let the watcher start
    (rules / "rulesets.yaml").write_text("sets: [examples/strict.yaml]\n")
    for _ in range(100):
        await asyncio.sleep(0.1)
        current = (await (await client.get("/admin/rules", headers=auth())).json())["version"]
        if current != before:
            break
    assert current != before
    ares = await (
        await client.post("/3ds/areq", json=base_areq(acctNumber="4016000000000087"))
    ).json()
    record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    assert record["decision"]["rule_id"] == "challenge-everything"
