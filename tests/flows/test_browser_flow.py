"""The browser challenge over HTTP, without a browser: protocol errors, limits, timers, RReq."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from acs.app import create_app
from acs.config import ProtocolTimers
from acs.risk.sample import base_areq
from acs.web.appkeys import SERVICES
from tests.conftest import fresh_services

SMS_CARD = "4016000000000111"


class StubDS:
    """Answers RReq with a valid RRes; can fail the first attempts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_first = fail_first
        app = web.Application()
        app.router.add_post("/rreq", self.rreq)
        self.server = TestServer(app)

    async def rreq(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if len(self.received) <= self.fail_first:
            return web.Response(status=500)
        return web.json_response(
            {
                "messageType": "RRes",
                "messageVersion": body["messageVersion"],
                "threeDSServerTransID": body["threeDSServerTransID"],
                "acsTransID": body["acsTransID"],
                "dsTransID": body["dsTransID"],
                "resultsStatus": "01",
            }
        )

    @property
    def url(self) -> str:
        return str(self.server.make_url("/rreq"))


async def make_client(aiohttp_client, store_url: str = "memory", **timers: float) -> TestClient:  # type: ignore[no-untyped-def]
    settings = {"poll_seconds": 0.05, "rreq_retry_seconds": 0.1, "rres_wait_seconds": 2.0, **timers}
    services = await fresh_services(store_url, timers=ProtocolTimers(**settings))
    return await aiohttp_client(create_app(services))


def creq_field(
    ares: dict[str, Any], size: str = "03", version: str | None = None, **extra: Any
) -> str:
    creq = {
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "messageType": "CReq",
        "messageVersion": version or ares["messageVersion"],
        "challengeWindowSize": size,
        **extra,
    }
    return base64.urlsafe_b64encode(json.dumps(creq).encode()).decode().rstrip("=")


async def start(
    client: TestClient, ds: StubDS, pan: str = SMS_CARD, **fields: Any
) -> dict[str, Any]:
    body = base_areq(
        acctNumber=pan,
        dsURL=ds.url,
        notificationURL="https://merchant.example/notify",
        threeDSServerTransID=str(uuid.uuid4()),
        **fields,
    )
    ares = await (await client.post("/3ds/areq", json=body)).json()
    assert ares["transStatus"] == "C", ares
    return ares


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def cres_of(html: str) -> dict[str, Any]:
    found = re.search(r'name="cres" value="([^"]+)"', html)
    assert found, html[:500]
    text = found.group(1)
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


async def code_for(client: TestClient, acs_trans_id: str) -> str:
    messages = await (await client.get(f"/qa/outbox?acsTransID={acs_trans_id}")).json()
    return messages[-1]["code"]


async def record(client: TestClient, acs_trans_id: str) -> dict[str, Any]:
    return await (await client.get(f"/qa/transactions/{acs_trans_id}")).json()


async def test_correct_code_authenticates_and_reports_to_the_ds(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    ares = await start(client, ds)
    assert ares["acsURL"].endswith("/3ds/challenge") and ares["authenticationType"] == "02"
    page = await client.post(
        "/3ds/challenge", data={"creq": creq_field(ares), "threeDSSessionData": "opaque-123"}
    )
    assert page.status == 200
    html = await page.text()
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    code = await code_for(client, ares["acsTransID"])
    assert code not in html
    final = await client.post(
        "/3ds/challenge/step", data={"token": token_of(html), "action": "submit", "otp": code}
    )
    final_html = await final.text()
    cres = cres_of(final_html)
    assert cres == {
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "messageType": "CRes",
        "messageVersion": "2.2.0",
        "transStatus": "Y",
    }
    assert 'name="threeDSSessionData" value="opaque-123"' in final_html
    (rreq,) = ds.received
    assert (
        rreq["transStatus"] == "Y"
        and rreq["eci"] == "05"
        and len(rreq["authenticationValue"]) == 28
    )
    assert rreq["interactionCounter"] == "01" and rreq["authenticationType"] == "02"
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["rreq"]["status"] == "delivered"
    assert view["challenge"]["rreq"]["rres"]["resultsStatus"] == "01"
    assert "digest" not in view["challenge"]["state"] and SMS_CARD not in json.dumps(view)


async def test_three_wrong_codes_fail_with_reason_19(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    ares = await start(client, ds)
    html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
    for _ in range(3):
        html = await (
            await client.post(
                "/3ds/challenge/step",
                data={"token": token_of(html), "action": "submit", "otp": "000000"},
            )
        ).text()
    assert cres_of(html)["transStatus"] == "N"
    (rreq,) = ds.received
    assert (rreq["transStatus"], rreq["transStatusReason"], rreq["interactionCounter"]) == (
        "N",
        "19",
        "03",
    )
    assert "authenticationValue" not in rreq


async def test_resend_replaces_the_code_and_cancel_ends_with_01(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    ares = await start(client, ds)
    html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
    first = await code_for(client, ares["acsTransID"])
    html = await (
        await client.post("/3ds/challenge/step", data={"token": token_of(html), "action": "resend"})
    ).text()
    second = await code_for(client, ares["acsTransID"])
    html = await (
        await client.post(
            "/3ds/challenge/step", data={"token": token_of(html), "action": "submit", "otp": first}
        )
    ).text()
    if first != second:
        assert 'name="cres"' not in html  # the old code no longer works
    html = await (
        await client.post("/3ds/challenge/step", data={"token": token_of(html), "action": "cancel"})
    ).text()
    assert cres_of(html)["transStatus"] == "N"
    (rreq,) = ds.received
    assert rreq["challengeCancel"] == "01" and rreq["transStatus"] == "N"


async def test_stale_and_forged_tokens(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    ares = await start(client, ds)
    html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
    old = token_of(html)
    newer = await (
        await client.post(
            "/3ds/challenge/step", data={"token": old, "action": "submit", "otp": "000000"}
        )
    ).text()
    # the old page again: no attempt is spent, the current page comes back
    again = await (
        await client.post(
            "/3ds/challenge/step", data={"token": old, "action": "submit", "otp": "000000"}
        )
    ).text()
    assert 'name="otp"' in again
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["attempts"] == 1
    forged = old[:-3] + ("AAA" if not old.endswith("AAA") else "BBB")
    resp = await client.post(
        "/3ds/challenge/step", data={"token": forged, "action": "submit", "otp": "1"}
    )
    assert resp.status == 400 and "token" in await resp.text()
    assert 'name="otp"' in newer


async def test_attempt_limit_holds_under_parallel_submissions(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    ares = await start(client, ds)
    html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
    token = token_of(html)
    await asyncio.gather(
        *(
            client.post(
                "/3ds/challenge/step", data={"token": token, "action": "submit", "otp": f"{n:06d}"}
            )
            for n in range(10)
        )
    )
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["attempts"] <= 3


async def test_creq_protocol_errors(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    unknown = {
        "threeDSServerTransID": str(uuid.uuid4()),
        "acsTransID": str(uuid.uuid4()),
        "messageVersion": "2.2.0",
    }
    resp = await client.post("/3ds/challenge", data={"creq": creq_field(unknown)})
    assert resp.status == 400 and "301" in await resp.text()

    frictionless = await (
        await client.post("/3ds/areq", json=base_areq(acctNumber="4016000000000012"))
    ).json()
    resp = await client.post("/3ds/challenge", data={"creq": creq_field(frictionless)})
    assert "305" in await resp.text()

    resp = await client.post("/3ds/challenge", data={"creq": "%%%not-base64%%%"})
    assert resp.status == 400 and "101" in await resp.text()

    ares = await start(client, ds)
    resp = await client.post("/3ds/challenge", data={"creq": creq_field(ares, size="09")})
    assert resp.status == 400 and "challengeWindowSize" in await resp.text()
    (rreq,) = ds.received  # a malformed CReq for a live challenge ends it: U, challengeCancel 06
    assert (rreq["transStatus"], rreq["challengeCancel"]) == ("U", "06")
    resp = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    assert "315" in await resp.text()  # after the RReq


async def test_version_mismatch_and_refresh(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    ares = await start(client, ds, messageVersion="2.3.1")
    assert ares["authenticationMethod"] == ["02"]
    first = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    assert first.status == 200
    refresh = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    assert refresh.status == 400 and "314" in await refresh.text()

    older = await start(client, ds)
    await client.post("/3ds/challenge", data={"creq": creq_field(older)})
    again = await client.post("/3ds/challenge", data={"creq": creq_field(older)})
    assert again.status == 200 and 'name="otp"' in await again.text()  # 2.2.0: a sane page

    other = await start(client, ds)
    resp = await client.post("/3ds/challenge", data={"creq": creq_field(other, version="2.1.0")})
    assert resp.status == 400 and "203" in await resp.text()


async def wait_for(predicate, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def test_first_creq_timeout_sends_n_14_05_and_late_creq_gets_402(
    aiohttp_client, ds: StubDS
) -> None:
    client = await make_client(aiohttp_client, first_creq_seconds=0.2)
    ares = await start(client, ds)
    await wait_for(lambda: bool(ds.received))
    rreq = ds.received[0]
    assert (rreq["transStatus"], rreq["transStatusReason"], rreq["challengeCancel"]) == (
        "N",
        "14",
        "05",
    )
    resp = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    assert resp.status == 400 and "402" in await resp.text()


async def test_page_timeout_sends_n_14_04(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client, challenge_page_seconds=0.3)
    ares = await start(client, ds)
    await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    await wait_for(lambda: bool(ds.received))
    assert (ds.received[0]["transStatusReason"], ds.received[0]["challengeCancel"]) == ("14", "04")


async def test_rreq_is_retried_until_the_ds_answers(aiohttp_client, redis_server) -> None:
    stub = StubDS(fail_first=3)
    await stub.server.start_server()
    try:
        client = await make_client(aiohttp_client, redis_server.url)
        ares = await start(client, stub)
        html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
        final = await client.post(
            "/3ds/challenge/step",
            data={"token": token_of(html), "action": "submit", "otp": "111111"},
        )
        assert (
            cres_of(await final.text())["transStatus"] == "Y"
        )  # the cardholder is not kept waiting

        async def delivered() -> bool:
            return (await record(client, ares["acsTransID"]))["challenge"]["rreq"][
                "status"
            ] == "delivered"

        for _ in range(250):
            if await delivered():
                break
            await asyncio.sleep(0.02)
        state = (await record(client, ares["acsTransID"]))["challenge"]["rreq"]
        assert state["status"] == "delivered" and state["attempts"] == 4
        assert len(stub.received) == 4
    finally:
        await stub.server.close()


async def test_magic_codes_choose_the_outcome(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    for code, cres_status, rreq_status, reason in (
        ("222222", "N", "N", "01"),
        ("333333", "N", "U", "22"),
    ):
        ares = await start(client, ds)
        html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
        html = await (
            await client.post(
                "/3ds/challenge/step",
                data={"token": token_of(html), "action": "submit", "otp": code},
            )
        ).text()
        assert cres_of(html)["transStatus"] == cres_status
        assert (ds.received[-1]["transStatus"], ds.received[-1]["transStatusReason"]) == (
            rreq_status,
            reason,
        )


async def test_three_ds_method_is_recorded_and_seen_by_the_rules(
    aiohttp_client, ds: StubDS
) -> None:
    client = await make_client(aiohttp_client)
    server_id = str(uuid.uuid4())
    data = (
        base64.urlsafe_b64encode(
            json.dumps(
                {
                    "threeDSServerTransID": server_id,
                    "threeDSMethodNotificationURL": "https://merchant.example/method",
                }
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    page = await client.post("/3ds/method", data={"threeDSMethodData": data})
    assert page.status == 200 and "script" in await page.text()
    done = await client.post(
        "/3ds/method/collect",
        data={"threeDSMethodData": data, "screenWidth": "1920", "language": "de-DE"},
    )
    assert "https://merchant.example/method" in await done.text()
    body = base_areq(
        acctNumber="4016000000000087", threeDSServerTransID=server_id, threeDSCompInd="N"
    )
    ares = await (await client.post("/3ds/areq", json=body)).json()
    view = await record(client, ares["acsTransID"])
    assert view["three_ds_method"]["signals"]["screenWidth"] == "1920"
    assert view["decision"]["rule_id"] == "tra-issuer"  # method_completed came from the record
    bad = await client.post("/3ds/method", data={"threeDSMethodData": "not-json"})
    assert bad.status == 400 and (await bad.json())["field"] == "threeDSMethodData"


async def test_app_challenges_run_and_3ri_ones_are_refused(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    from tests.protocol import samples

    app = await (
        await client.post("/3ds/areq", json=samples.areq("2.2.0", "01", "01", pan=SMS_CARD))
    ).json()
    assert app["transStatus"] == "C" and app["acsSignedContent"].count(".") == 2
    three_ri = await (
        await client.post("/3ds/areq", json=samples.areq("2.2.0", "03", "01", pan=SMS_CARD))
    ).json()
    assert (three_ri["transStatus"], three_ri["transStatusReason"]) == ("N", "21")


async def test_an_expired_code_says_so(aiohttp_client, ds: StubDS) -> None:
    client = await make_client(aiohttp_client)
    ares = await start(client, ds)
    html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
    code = await code_for(client, ares["acsTransID"])
    services = client.server.app[SERVICES]

    async def expire(s):  # type: ignore[no-untyped-def]
        s.state.expires_at = 0.0

    await services.challenge.sessions.update(ares["acsTransID"], expire)
    page = await client.post(
        "/3ds/challenge/step", data={"token": token_of(html), "action": "submit", "otp": code}
    )
    text = await page.text()
    assert 'name="cres"' not in text
    assert "abgelaufen" in text  # the base AReq's browserLanguage is de-DE
