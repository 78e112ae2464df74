"""Every public route under generated input: never a 5xx, always an answer in the route's format.

- POST /3ds/areq: a JSON Erro with errorComponent A, or an ARes.
- /3ds/challenge, /3ds/challenge/step: an HTML page (the challenge, or an error page).
- /3ds/method, /3ds/method/collect: an HTML page, or a JSON error naming threeDSMethodData.
- /qa/*, /admin/*: JSON.
- Raw bytes on a socket (the HTTP parser's own failures): the same, by path.

and nothing in the logs that looks like a crash: no traceback, no ``http.unhandled``, no
aiohttp "Error handling request". Live challenges are opened for the browser routes so that the
CReq and the page actions reach the challenge flow, not just the parsers.

``ACS_FUZZ_EXAMPLES`` sets the examples per test (default 20, a few seconds in all); the runs
are derandomized and use no example database, so CI sees the same inputs every time. The inputs
sent are counted and written to ``artifacts/fuzz-routes.json`` at the end of the module:

    ACS_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest -q tests/web/test_fuzz_routes.py
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import re
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlparse

import pytest
import structlog
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.app import create_app
from acs.config import DEV_ISSUER_SECRET
from acs.crypto.signature import sign
from acs.risk.sample import base_areq
from acs.web.appkeys import SERVICES
from tests.conftest import ROOT, auth, fresh_services
from tests.e2e.stubs import StubDS
from tests.interop.sdk import ErroReceived, SdkCheckError, SdkSession
from tests.protocol import samples
from tests.web import fuzz_strategies as fs

# a form in charset=unicode_escape decodes with Python's warning for a bad escape: expected here
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")

EXAMPLES = int(os.environ.get("ACS_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
FUZZ_REDIS = settings(FUZZ, max_examples=max(5, EXAMPLES // 5))

CHALLENGE_CARDS = [
    *("4016000000000111", "4016000000000129", "4016000000000137"),  # a code by SMS, email, voice
    *("4016000000000145", "4016000000000152", "4016000000000160"),  # choice, history, OOB
]
OOB_CARD = "4016000000000160"
SENT: collections.Counter[str] = collections.Counter()  # inputs per route, for the report
STATUSES: collections.Counter[str] = collections.Counter()
INCOMPLETE: collections.Counter[str] = collections.Counter()  # raw requests left unanswered
CRASH_WORDS = ("Traceback", "http.unhandled", "Error handling request", "Unhandled exception")


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    started = time.monotonic()
    yield
    total = sum(SENT.values())
    result = {
        "examples_per_test": EXAMPLES,
        "inputs": total,
        "inputs_per_route": dict(sorted(SENT.items())),
        "statuses": dict(sorted(STATUSES.items())),
        "raw_requests_the_parser_still_waited_on": INCOMPLETE["raw"],
        "5xx": sum(n for s, n in STATUSES.items() if s.startswith("5")),
        "seconds": round(time.monotonic() - started, 1),
    }
    out = ROOT / "artifacts" / "fuzz-routes.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nfuzz-routes: {total} inputs, {result['5xx']} answered 5xx; see {out}")


@dataclass
class Answer:
    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Harness:
    """The app on one store, a stub DS for the RReqs, and the crash checks on every answer."""

    client: TestClient
    ds: StubDS
    caplog: pytest.LogCaptureFixture
    events: list[dict[str, Any]]
    seen_events: int = 0
    live: list[dict[str, str]] = field(default_factory=list)

    async def send(
        self, route: str, method: str, path: str, body: fs.Body | None = None, **kw: Any
    ) -> Answer:
        headers = dict(body.headers if body else {}) | kw.pop("headers", {})
        skip = () if "Content-Type" in headers else ("Content-Type",)
        resp = await self.client.request(
            method,
            path,
            data=body.data if body else None,
            headers=headers,
            skip_auto_headers=skip,
            allow_redirects=False,
            **kw,
        )
        answer = Answer(resp.status, resp.content_type, await resp.text(errors="replace"))
        SENT[route] += 1
        STATUSES[str(resp.status)] += 1
        sent = body.data[:300] if body else b""
        where = f"{method} {path} {headers} {body.note if body else ''}: {sent!r}"
        assert answer.status < 500, f"{answer.status} for {where}\n{answer.text[:500]}"
        self.check_logs(where)
        return answer

    def check_logs(self, where: str) -> None:
        new, self.seen_events = self.events[self.seen_events :], len(self.events)
        for event in new:
            crashed = "exc_info" in event or "exception" in event
            crashed |= event.get("event") == "http.unhandled"
            crashed |= event.get("log_level") in ("error", "critical")
            assert not crashed, f"log {event} after {where}"
        for record in self.caplog.records:
            text = record.getMessage()
            bad = record.exc_info is not None or record.levelno >= logging.ERROR
            assert not bad and not any(w in text for w in CRASH_WORDS), (
                f"log {record.name}: {text} after {where} (or just before)\n"
                + "".join(traceback.format_exception(*record.exc_info) if record.exc_info else [])
            )
        self.caplog.clear()

    async def open_challenge(self, card: str) -> dict[str, str]:
        """A challenge ARes for a fresh transaction (setup, not counted as a fuzz input)."""
        body = base_areq(
            acctNumber=card,
            dsURL=self.ds.url,
            notificationURL="https://merchant.example/notify",
            threeDSServerTransID=str(uuid.uuid4()),
        )
        ares = await (await self.client.post("/3ds/areq", json=body)).json()
        assert ares["transStatus"] == "C", ares
        return dict(ares)

    async def page_token(self, ares: dict[str, str]) -> str | None:
        """The form token of the first challenge page (setup)."""
        creq = fs.b64url(fs.to_json({**_creq_ids(ares), "challengeWindowSize": "03"}))
        page = await self.client.post("/3ds/challenge", data={"creq": creq})
        found = re.search(r'name="token" value="([^"]+)"', await page.text())
        return found.group(1) if found else None

    async def code(self, acs_trans_id: str) -> str:
        messages = await (await self.client.get(f"/qa/outbox?acsTransID={acs_trans_id}")).json()
        return str(messages[-1].get("code") or "") if messages else ""


def _creq_ids(ares: dict[str, str]) -> dict[str, str]:
    return {
        "messageType": "CReq",
        "messageVersion": ares["messageVersion"],
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
    }


async def _harness(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture, store_url: str
) -> AsyncIterator[Harness]:
    ds = StubDS()
    await ds.start()
    services = await fresh_services(store_url)
    client = await aiohttp_client(create_app(services))
    caplog.set_level(logging.WARNING)
    with structlog.testing.capture_logs() as events:
        harness = Harness(client, ds, caplog, events)
        yield harness
        await asyncio.sleep(0.05)  # RReqs and timers still running log into the capture
        harness.check_logs("the end of the test")
    await ds.close()


@pytest.fixture
async def harness(aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Harness]:
    async for h in _harness(aiohttp_client, caplog, "memory"):
        yield h


@pytest.fixture
async def redis_harness(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture, redis_server: Any
) -> AsyncIterator[Harness]:
    async for h in _harness(aiohttp_client, caplog, redis_server.url):
        yield h


# -- the examples -----------------------------------------------------------------------------


async def areq_example(h: Harness, data: st.DataObject) -> None:
    body = data.draw(fs.areq_bodies(), label="body")
    method = data.draw(st.sampled_from(["POST"] * 12 + ["GET", "PUT", "PATCH", "DELETE"]))
    answer = await h.send("/3ds/areq", method, "/3ds/areq", body)
    assert answer.content_type == "application/json", answer
    message = answer.json()
    assert message["messageType"] in ("ARes", "Erro"), message
    if message["messageType"] == "Erro":
        assert message["errorComponent"] == "A" and message["errorDetail"], message


def expect_page(answer: Answer) -> None:
    assert answer.content_type == "text/html", answer
    if answer.status != 200:
        assert "<dt>errorCode</dt>" in answer.text, answer.text[:800]


APP_TYPES = ("application/jose", "application/jwt")


def expect_acs_url_answer(body: fs.Body, method: str, answer: Answer) -> None:
    """The acsURL answers a browser with a page, and a 3DS SDK (a JOSE body) with a JWE CRes or
    a JSON Erro."""
    ctype = body.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if method != "POST" or ctype not in APP_TYPES:
        expect_page(answer)
    elif answer.content_type != "application/jose":
        assert answer.content_type == "application/json", answer
        erro = json.loads(answer.text)
        assert erro["messageType"] == "Erro" and erro["errorComponent"] == "A", erro


async def creq_example(h: Harness, data: st.DataObject) -> None:
    ids: dict[str, str] | None = None
    if data.draw(st.integers(0, 2), label="live") > 0:
        ids = await h.open_challenge(data.draw(st.sampled_from(CHALLENGE_CARDS)))
    fields: dict[str, str] = {}
    if data.draw(st.integers(0, 8)):
        fields["creq"] = data.draw(fs.creq_fields(ids), label="creq")
    if data.draw(st.booleans()):
        fields["threeDSSessionData"] = data.draw(
            fs.texts | st.text(st.characters(codec="ascii"), min_size=1000, max_size=1100)
        )
    body = data.draw(fs.form_bodies(fields), label="form")
    method = data.draw(st.sampled_from(["POST"] * 12 + ["GET", "PUT"]))
    answer = await h.send("/3ds/challenge", method, "/3ds/challenge", body)
    expect_acs_url_answer(body, method, answer)
    if ids is not None and data.draw(st.booleans()):  # the same CReq again, or another one
        again = data.draw(fs.form_bodies({"creq": data.draw(fs.creq_fields(ids))}))
        expect_page(await h.send("/3ds/challenge", "POST", "/3ds/challenge", again))


async def step_example(h: Harness, data: st.DataObject) -> None:
    token: str | None = None
    ares: dict[str, str] | None = None
    if data.draw(st.integers(0, 3), label="live") > 0:
        ares = await h.open_challenge(data.draw(st.sampled_from(CHALLENGE_CARDS)))
        token = await h.page_token(ares)
    for _ in range(data.draw(st.integers(1, 3), label="steps")):
        fields: dict[str, str] = {}
        choice = data.draw(st.sampled_from(["real", "real", "real", "altered", "random", "none"]))
        if choice == "real" and token:
            fields["token"] = token
        elif choice == "altered" and token:
            at = fs.position(data.draw, len(token) - 1)
            fields["token"] = token[:at] + data.draw(fs.texts) + token[at + 1 :]
        elif choice == "random":
            fields["token"] = data.draw(fs.texts)
        action = data.draw(
            st.sampled_from(["submit", "submit", "resend", "cancel", "continue", None, "x"])
        )
        if action is not None:
            fields["action"] = action
        otp = data.draw(st.sampled_from(["real", "magic", "digits", "text", "none"]))
        if otp == "real" and ares is not None:
            fields["otp"] = await h.code(ares["acsTransID"])
        elif otp == "magic":
            fields["otp"] = data.draw(st.sampled_from(["111111", "222222", "333333"]))
        elif otp == "digits":
            fields["otp"] = data.draw(st.text("0123456789", max_size=12))
        elif otp == "text":
            fields["otp"] = data.draw(fs.texts)
        if data.draw(st.booleans(), label="choice"):
            fields["choice"] = data.draw(
                st.sampled_from(["otp_sms", "otp_voice", "1", "2", "5", "9"]) | fs.texts
            )
        if data.draw(st.integers(0, 5), label="poll") == 0:  # a waiting page's reload (GET)
            query = {"n": data.draw(st.sampled_from(["0", "7", "99999", "-1", "x"]))}
            if "token" in fields:
                query["token"] = fields["token"]
            answer = await h.send("/3ds/challenge/step", "GET", "/3ds/challenge/step", params=query)
            expect_page(answer)
            continue
        body = data.draw(fs.form_bodies(fields), label="form")
        answer = await h.send("/3ds/challenge/step", "POST", "/3ds/challenge/step", body)
        expect_page(answer)
        found = re.search(r'name="token" value="([^"]+)"', answer.text)
        token = found.group(1) if found else token


async def oob_example(h: Harness, data: st.DataObject) -> None:
    """The banking-app inbox (/oob/<token>) and the issuer API (/issuer/oob/<acsTransID>), with
    real, altered and random links, IDs and bodies."""
    ares = await h.open_challenge(OOB_CARD)
    await h.page_token(ares)  # the first CReq: the push goes out
    messages = await (await h.client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
    link = urlparse(messages[-1]["link"]).path
    for _ in range(data.draw(st.integers(1, 3), label="steps")):
        if data.draw(st.booleans(), label="inbox"):
            path = data.draw(
                st.sampled_from([link, link[:-3], "/oob/", "/oob/x"])
                | fs.texts.map(lambda t: "/oob/" + quote(t, safe="", errors="surrogatepass"))
            )
            method = data.draw(st.sampled_from(["GET", "POST", "POST"]))
            fields = {"decision": data.draw(st.sampled_from(["approve", "deny", "", "x"]))}
            body = data.draw(fs.form_bodies(fields)) if method == "POST" else None
            answer = await h.send("/oob", method, path, body)
            assert answer.content_type in ("text/html", "application/json"), answer
            if answer.content_type == "application/json":
                assert answer.status >= 400 and answer.json()["error"], answer
            continue
        trans_id = data.draw(st.sampled_from([ares["acsTransID"], str(uuid.uuid4()), "x"]))
        raw = data.draw(
            st.sampled_from([b'{"decision": "approve"}', b'{"decision": "deny"}', b"{}", b"[]"])
            | st.binary(max_size=80)
            | fs.texts.map(lambda t: t.encode("utf-8", "surrogatepass"))
        )
        body = data.draw(fs.encoded(raw)) if data.draw(st.booleans()) else fs.Body(raw, {})
        answer = await h.send("/issuer", "POST", f"/issuer/oob/{trans_id}", body)
        assert answer.content_type == "application/json", answer
        if answer.status >= 400:
            assert answer.json()["error"], answer


async def callback_example(h: Harness, data: st.DataObject) -> None:
    """The issuer's biometric callback: signed or not, well-formed or not, any transaction."""
    trans_id = data.draw(st.sampled_from([str(uuid.uuid4()), "x", "%00", "a" * 300]))
    raw = data.draw(
        st.sampled_from([b'{"verdict": "approved"}', b'{"verdict": "denied"}', b"{}", b"[]"])
        | st.binary(max_size=80)
    )
    headers: dict[str, str] = {}
    signature = data.draw(st.sampled_from(["good", "stale", "garbage", "none"]), label="sig")
    if signature == "good":
        headers["X-ACS-Signature"] = sign(DEV_ISSUER_SECRET, raw, int(time.time()))
    elif signature == "stale":
        headers["X-ACS-Signature"] = sign(DEV_ISSUER_SECRET, raw, 1)
    elif signature == "garbage":
        headers["X-ACS-Signature"] = data.draw(fs.texts.filter(str.isprintable))
    body = fs.Body(raw, {"Content-Type": "application/json", **headers})
    answer = await h.send("/callbacks", "POST", f"/callbacks/biometric/{trans_id}", body)
    assert answer.content_type == "application/json" and answer.status >= 400, answer


async def method_example(h: Harness, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(["/3ds/method", "/3ds/method/collect"]), label="path")
    fields: dict[str, str] = {}
    if data.draw(st.integers(0, 8)):
        fields["threeDSMethodData"] = data.draw(fs.method_data_fields(), label="data")
    if path.endswith("collect"):
        for name in data.draw(st.lists(st.sampled_from(["screenWidth", "language", "zz"]))):
            fields[name] = data.draw(fs.texts)
    body = data.draw(fs.form_bodies(fields), label="form")
    method = data.draw(st.sampled_from(["POST"] * 12 + ["GET"]))
    answer = await h.send(path, method, path, body)
    if answer.content_type == "application/json":
        assert answer.status >= 400 and answer.json()["field"] == "threeDSMethodData", answer
    else:
        expect_page(answer)


async def qa_example(h: Harness, data: st.DataObject) -> None:
    path = data.draw(
        st.sampled_from(["/qa/test-cards", "/qa/outbox", "/qa/transactions/", "/qa/", "/qa/x"])
    )
    if path.endswith("/transactions/"):
        path += data.draw(st.sampled_from([str(uuid.uuid4()), "x", "%00", "a" * 300]))
    if data.draw(st.integers(0, 4), label="card") == 0:  # a card's state and its reset
        card = data.draw(st.sampled_from(["4016000000000053", "12", "4" * 30, "x"]) | fs.texts)
        path = f"/qa/cards/{quote(card, safe='', errors='surrogatepass')}/state"
    query = data.draw(
        st.dictionaries(
            st.sampled_from(["acsTransID", "acctNumber", "x"]),
            fs.uuids | st.text("0123456789", max_size=20),
            max_size=2,
        )
    )
    method = data.draw(st.sampled_from(["GET"] * 6 + ["POST", "DELETE"]))
    answer = await h.send("/qa", method, path, params=query)
    assert answer.content_type == "application/json", answer
    assert isinstance(answer.json(), (dict, list))


ADMIN_PATHS = [
    "/admin/card-ranges",
    "/admin/card-ranges/fuzz-jcb",
    "/admin/card-ranges/demo-visa",
    "/admin/cardholders",
    "/admin/cardholders/fuzz-holder",
    "/admin/cardholders/x y",
    "/admin/cardholders/passcode/passcode",
    "/admin/cardholders/totp/totp",
    "/admin/cardholders/nobody/passcode",
    "/admin/rules",
    "/admin/rules/reload",
    "/admin/nowhere",
]


# the demo ranges and cardholders stay when the other routes share the app (the challenges)
SHARED_ADMIN_PATHS = [p for p in ADMIN_PATHS if "demo" not in p]


async def admin_example(h: Harness, data: st.DataObject, paths: list[str] = ADMIN_PATHS) -> None:
    path = data.draw(st.sampled_from(paths), label="path")
    method = data.draw(st.sampled_from(["POST", "POST", "PUT", "PUT", "GET", "DELETE"]))
    body = data.draw(fs.admin_bodies(), label="body") if method in ("POST", "PUT") else None
    headers = auth() if data.draw(st.integers(0, 9)) else {"Authorization": "Bearer nope"}
    answer = await h.send("/admin", method, path, body, headers=headers)
    assert answer.content_type == "application/json", answer
    payload = answer.json()
    if answer.status >= 400:
        assert isinstance(payload, dict) and payload["error"], payload


async def raw_example(h: Harness, data: st.DataObject) -> None:
    request = data.draw(fs.raw_requests(), label="request")
    host, port = h.client.server.host, h.client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        try:  # most requests end in "Connection: close", or in an error that closes
            reply = await asyncio.wait_for(reader.read(), 1)
        except TimeoutError:  # a request the parser still waits on: end it (no answer, then)
            INCOMPLETE["raw"] += 1
            writer.write_eof()
            reply = await asyncio.wait_for(reader.read(), 10)
    except ConnectionResetError:
        reply = b""
    finally:
        writer.close()
    SENT["raw"] += 1
    where = f"raw {request[:300]!r}"
    if reply:
        status_line = reply.split(b"\r\n", 1)[0]
        status = int(status_line.split()[1])
        STATUSES[str(status)] += 1
        assert status < 500, f"{status_line!r} for {where}\n{reply[:800]!r}"
        head = reply.split(b"\r\n\r\n", 1)[0].lower()
        found = re.match(rb"[!-~]{1,20} +(?:[a-z]+://[^/ ]*)?(/[^ ?#\x00-\x20]*)", request, re.I)
        path = found.group(1).decode("latin-1") if found else ""
        if status >= 400 and not path.startswith("/3ds/static"):
            html = path.startswith(("/3ds/challenge", "/3ds/method"))
            kind = b"content-type: text/html" if html else b"content-type: application/json"
            json_ok = path.startswith("/3ds/method") and b"application/json" in head
            assert kind in head or json_ok or b"HEAD " in request[:5], f"{head!r} for {where}"
    h.check_logs(where)


# -- the tests --------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
async def test_areq_route(harness: Harness, data: st.DataObject) -> None:
    await areq_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_acs_url_route(harness: Harness, data: st.DataObject) -> None:
    await creq_example(harness, data)


async def app_creq_example(h: Harness, data: st.DataObject) -> None:
    """JWE CReqs on a live app challenge: genuine ones with members of any shape, and
    altered, truncated or foreign JWEs; the answer is always a CRes or a JSON Erro."""
    sdk = SdkSession(
        message_version=data.draw(st.sampled_from(["2.1.0", "2.2.0", "2.3.1"])),
        enc=data.draw(st.sampled_from(["A128CBC-HS256", "A128GCM"])),
    )
    base = samples.areq(sdk.message_version, "01", "01", pan=CHALLENGE_CARDS[0], dsURL=h.ds.url)
    ares = await (await h.client.post("/3ds/areq", json=sdk.areq(base))).json()
    assert ares["transStatus"] == "C", ares
    sdk.accept_ares(ares, h.client.server.app[SERVICES].pki.root_pem())
    for _ in range(data.draw(st.integers(1, 4), label="creqs")):
        kind = data.draw(st.sampled_from(["genuine", "fields", "altered", "truncated", "random"]))
        if kind == "genuine":
            genuine = [
                {},
                {"resendChallenge": "Y"},
                {"challengeCancel": "01"},
                {"challengeDataEntry": "111111"},
                {"challengeNoEntry": "Y"},
            ]
            jwe = sdk.creq(**data.draw(st.sampled_from(genuine)))
        elif kind == "fields":
            names = [
                "challengeDataEntry",
                "challengeNoEntry",
                "challengeCancel",
                "resendChallenge",
                "oobContinue",
                "challengeHTMLDataEntry",
                "sdkCounterStoA",
                "messageVersion",
                "messageType",
                "sdkTransID",
                "acsTransID",
                "messageExtension",
            ]
            fields = data.draw(
                st.dictionaries(st.sampled_from(names), fs.member_values, max_size=4),
                label="fields",
            )
            jwe = sdk.creq(**fields)
        else:
            jwe = sdk.creq(challengeDataEntry="123456")
            if kind == "altered":
                at = fs.position(data.draw, len(jwe) - 1)
                jwe = jwe[:at] + data.draw(st.binary(min_size=1, max_size=4)) + jwe[at + 1 :]
            elif kind == "truncated":
                jwe = jwe[: fs.position(data.draw, len(jwe))]
            else:
                jwe = data.draw(st.binary(max_size=300))
        ctype = data.draw(
            st.sampled_from(
                ["application/jose", "application/jose; charset=UTF-8", "application/jwt"]
            )
        )
        body = fs.Body(jwe, {"Content-Type": ctype}, f"app CReq ({kind})")
        answer = await h.send("/3ds/challenge", "POST", "/3ds/challenge", body)
        expect_acs_url_answer(body, "POST", answer)
        if answer.content_type == "application/jose":
            # the simulator's counters no longer match the ACS's after a refused CReq
            with contextlib.suppress(SdkCheckError, ErroReceived):
                sdk.cres(answer.text.encode(), answer.content_type)


@FUZZ
@given(data=st.data())
async def test_app_creq_route(harness: Harness, data: st.DataObject) -> None:
    await app_creq_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_challenge_step_route(harness: Harness, data: st.DataObject) -> None:
    await step_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_method_routes(harness: Harness, data: st.DataObject) -> None:
    await method_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_oob_routes(harness: Harness, data: st.DataObject) -> None:
    await oob_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_callback_routes(harness: Harness, data: st.DataObject) -> None:
    await callback_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_qa_routes(harness: Harness, data: st.DataObject) -> None:
    await qa_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_admin_routes(harness: Harness, data: st.DataObject) -> None:
    await admin_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_raw_http(harness: Harness, data: st.DataObject) -> None:
    await raw_example(harness, data)


async def shared_admin_example(h: Harness, data: st.DataObject) -> None:
    await admin_example(h, data, SHARED_ADMIN_PATHS)


EXAMPLES_BY_ROUTE = [
    areq_example,
    creq_example,
    app_creq_example,
    step_example,
    oob_example,
    callback_example,
    method_example,
    shared_admin_example,
]


@pytest.mark.redis
@FUZZ_REDIS
@given(data=st.data())
async def test_every_route_on_redis(redis_harness: Harness, data: st.DataObject) -> None:
    example = data.draw(st.sampled_from(EXAMPLES_BY_ROUTE), label="route")
    await example(redis_harness, data)
