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
    reloaded = asyncio.Event()
    stop = asyncio.Event()
    answers: list[tuple[bool, dict]] = []  # (started after the reload answered, ARes)
    progress = asyncio.Condition()

    async def load() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            after_reload = reloaded.is_set()
            body = base_areq(acctNumber="4016000000000087", purchaseAmount=str(4000 + n))
            resp = await client.post("/3ds/areq", json=body)
            assert resp.status == 200
            answers.append((after_reload, await resp.json()))
            async with progress:
                progress.notify_all()

    async def until(count: int) -> None:
        async with progress:
            await progress.wait_for(lambda: len(answers) >= count)

    workers = [asyncio.create_task(load()) for _ in range(8)]
    await until(20)
    # make the strict example the only set: every payment is now challenged
    (rules / "rulesets.yaml").write_text("sets: [examples/strict.yaml]\n")
    resp = await client.post("/admin/rules/reload", headers=auth())
    assert resp.status == 200, await resp.text()
    after = (await resp.json())["version"]
    reloaded.set()
    await until(len(answers) + 20)
    stop.set()
    await asyncio.gather(*workers)

    assert after != before
    assert all(a["messageType"] == "ARes" for _, a in answers)  # no failed request
    records = [
        (late, await (await client.get(f"/qa/transactions/{a['acsTransID']}")).json())
        for late, a in answers
    ]
    assert {r["decision"]["rules_version"] for _, r in records} == {before, after}
    # a request that started after the reload answered never ran on the old rules
    late = [r for started_late, r in records if started_late]
    assert late and all(r["decision"]["rules_version"] == after for r in late)
    assert {r["decision"]["rule_id"] for r in late} == {"challenge-everything"}


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
