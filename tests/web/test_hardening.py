"""Regression tests for the hardening findings: each bad input gets an answer in its route's own
format (an Erro, an error page, a JSON error that says what to fix), never a 500."""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from acs import cli
from acs.app import build_services, create_app
from acs.config import QaAccess, Settings, SettingsError, is_loopback
from acs.issuer.config_files import ConfigError, load_issuer_config
from acs.protocol.creq import parse_browser_creq
from acs.protocol.errors import ProtocolError
from acs.risk.sample import base_areq
from tests.conftest import ROOT, auth, make_settings
from tests.protocol import samples
from tests.redis_server import free_port

CHALLENGE_PATHS = ("/3ds/challenge", "/3ds/challenge/step")
METHOD_PATHS = ("/3ds/method", "/3ds/method/collect")


def b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def method_data(url: str) -> str:
    return b64({"threeDSServerTransID": str(uuid.uuid4()), "threeDSMethodNotificationURL": url})


async def expect_refused_form(resp: Any, path: str, *words: str, code: str | None = "101") -> None:
    """A challenge path answers a 400 error page (Erro ``code``, any when None), a method path
    a 400 JSON error naming threeDSMethodData."""
    text = await resp.text()
    assert resp.status == 400, (path, resp.status, text[:300])
    if path in CHALLENGE_PATHS:
        assert resp.content_type == "text/html"
        assert f"<code>{code}</code>" in text if code else "<dt>errorCode</dt>" in text
    else:
        body = json.loads(text)
        assert body["field"] == "threeDSMethodData"
    for word in words:
        assert word in text, (word, text[:800])


# -- 1. form bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHALLENGE_PATHS + METHOD_PATHS)
@pytest.mark.parametrize(
    ("charset", "word"),
    [("no-such-charset", "unknown charset"), ("base64", "unknown charset"), ("rot13", "charset")],
)
async def test_a_form_in_an_unknown_or_non_text_charset_is_refused(
    memory_client: TestClient, path: str, charset: str, word: str
) -> None:
    resp = await memory_client.post(
        path,
        data=b"creq=abc&threeDSMethodData=x",
        headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"},
    )
    await expect_refused_form(resp, path, "form body", word)


def _multipart(part_headers: str, body: bytes = b"abc", boundary: str = "b0und") -> bytes:
    return (
        f"--{boundary}\r\n{part_headers}\r\n\r\n".encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )


MULTIPART_CASES = {
    "unknown-transfer-encoding": _multipart(
        'Content-Disposition: form-data; name="creq"\r\nContent-Transfer-Encoding: x-rot13'
    ),
    "broken-base64-part": _multipart(
        'Content-Disposition: form-data; name="creq"\r\nContent-Transfer-Encoding: base64',
        b"%%%",
    ),
    "part-charset": _multipart(
        'Content-Disposition: form-data; name="creq"\r\nContent-Type: text/plain; charset=nope'
    ),
    "part-content-encoding": _multipart(
        'Content-Disposition: form-data; name="creq"\r\nContent-Encoding: br'
    ),
    "nested-multipart": _multipart(
        'Content-Disposition: form-data; name="creq"\r\nContent-Type: multipart/mixed; boundary=x',
        b"--x\r\n\r\nq\r\n--x--",
    ),
    "no-closing-boundary": b'--b0und\r\nContent-Disposition: form-data; name="creq"\r\n\r\nabc',
    "garbage": b"\x00\xff" * 40,
}


LENIENT = {"broken-base64-part", "part-content-encoding"}


@pytest.mark.parametrize("path", CHALLENGE_PATHS + METHOD_PATHS)
@pytest.mark.parametrize("case", sorted(MULTIPART_CASES))
async def test_a_multipart_body_with_odd_parts_is_refused(
    memory_client: TestClient, path: str, case: str
) -> None:
    resp = await memory_client.post(
        path,
        data=MULTIPART_CASES[case],
        headers={"Content-Type": "multipart/form-data; boundary=b0und"},
    )
    # unreadable (101), or read leniently (a bad base64 part) into a form without a usable
    # field: an error page either way
    await expect_refused_form(resp, path, code=None if case in LENIENT else "101")


async def test_a_compressed_form_is_refused_with_the_reason(memory_client: TestClient) -> None:
    for path in CHALLENGE_PATHS + METHOD_PATHS:
        resp = await memory_client.post(
            path,
            data=gzip.compress(b"creq=abc"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Encoding": "gzip",
            },
        )
        await expect_refused_form(resp, path, "Content-Encoding gzip is not supported")


async def test_a_plain_multipart_form_still_works(memory_client: TestClient) -> None:
    form = FormData()
    form.add_field("threeDSMethodData", method_data("https://merchant.example/m"))
    resp = await memory_client.post("/3ds/method", data=form)
    assert resp.status == 200 and "merchant.example" not in resp.headers["Content-Type"]


# -- 2. CReq member types --------------------------------------------------------------------

IDS = {"threeDSServerTransID": str(uuid.uuid4()), "acsTransID": str(uuid.uuid4())}
CREQ = {"messageType": "CReq", "messageVersion": "2.2.0", "challengeWindowSize": "03", **IDS}


@pytest.mark.parametrize(
    ("edit", "code", "field"),
    [
        ({"messageVersion": ["2.2.0"]}, "203", "messageVersion"),
        ({"messageVersion": {"v": 1}}, "203", "messageVersion"),
        ({"messageVersion": 2.2}, "203", "messageVersion"),
        ({"challengeWindowSize": ["03"]}, "203", "challengeWindowSize"),
        ({"acsTransID": {"id": 1}}, "203", "acsTransID"),
        ({"messageExtension": "ext"}, "203", "messageExtension"),
        ({"messageExtension": {"id": "x"}}, "203", "messageExtension"),
        ({"messageExtension": [1, "x"]}, "203", "messageExtension[0]"),
        ({"messageExtension": [{"id": 7}]}, "203", "messageExtension[0].id"),
        (
            {"messageExtension": [{"id": "x", "criticalityIndicator": "true"}]},
            "203",
            "messageExtension[0].criticalityIndicator",
        ),
        ({"oobContinue": "yes"}, "203", "oobContinue"),
        ({"challengeDataEntry": 123456}, "203", "challengeDataEntry"),
        ({"messageType": ["CReq"]}, "101", "messageType"),
    ],
)
def test_creq_members_of_the_wrong_type_are_named(
    edit: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_browser_creq(b64({**CREQ, **edit}))
    assert err.value.code.value == code
    assert err.value.detail.startswith(field), err.value.detail
    assert err.value.message_version in (None, "2.2.0")


async def test_a_creq_with_a_list_version_gets_an_error_page(memory_client: TestClient) -> None:
    resp = await memory_client.post(
        "/3ds/challenge", data={"creq": b64({**CREQ, "messageVersion": ["2.2.0"]})}
    )
    text = await resp.text()
    assert resp.status == 400 and "<code>203</code>" in text and "messageVersion" in text


# -- 3. URLs refused where they enter --------------------------------------------------------


@pytest.mark.parametrize("url", ["https://a_b.example/n", "https://1.2.3/n", "http://a b/"])
async def test_a_method_notification_url_no_page_could_post_to_is_refused(
    memory_client: TestClient, url: str
) -> None:
    for path in METHOD_PATHS:
        resp = await memory_client.post(path, data={"threeDSMethodData": method_data(url)})
        assert resp.status == 400
        body = await resp.json()
        assert body["field"] == "threeDSMethodData"
        assert "threeDSMethodNotificationURL" in body["error"]


async def test_a_method_transaction_id_must_be_a_canonical_uuid(memory_client) -> None:
    data = b64({"threeDSServerTransID": "{" + str(uuid.uuid4()) + "}"})
    resp = await memory_client.post("/3ds/method", data={"threeDSMethodData": data})
    assert resp.status == 400 and (await resp.json())["field"] == "threeDSMethodData"


async def test_an_areq_notification_url_no_page_could_post_to_is_erro_203(
    memory_client: TestClient,
) -> None:
    body = base_areq(
        acctNumber="4016000000000111",
        notificationURL="https://shop_example.com/notify",
        threeDSServerTransID=str(uuid.uuid4()),
    )
    erro = await (await memory_client.post("/3ds/areq", json=body)).json()
    assert erro["messageType"] == "Erro" and erro["errorCode"] == "203"
    assert "notificationURL" in erro["errorDetail"]


RANGE = {
    "id": "demo-jcb",
    "start": "3528000000000000",
    "end": "3528009999999999",
    "scheme": "jcb",
    "issuer_name": "Demo Bank",
    "acs_reference_number": "3DS_LOA_ACS_DEMO_020300_00001",
    "keys": {"cavv_key_a": "0123456789ABCDEF", "cavv_key_b": "FEDCBA9876543210"},
}


@pytest.mark.parametrize("name", ["issuer_logo", "app_logo"])
@pytest.mark.parametrize(
    "logo", ["http://bank.example/logo.png", "//bank.example/l.png", "https://bank_1.example/l"]
)
async def test_a_card_range_logo_the_page_could_not_show_is_refused(
    memory_client: TestClient, logo: str, name: str
) -> None:
    bad = {**RANGE, "branding": {name: logo}}
    resp = await memory_client.post("/admin/card-ranges", json=bad, headers=auth())
    assert resp.status == 400
    body = await resp.json()
    assert body["field"] == f"branding.{name}" and "https://" in body["error"]
    ok = await memory_client.post("/admin/card-ranges", json=RANGE, headers=auth())
    assert ok.status == 201
    resp = await memory_client.put("/admin/card-ranges/demo-jcb", json=bad, headers=auth())
    assert resp.status == 400 and (await resp.json())["field"] == f"branding.{name}"
    good = {**RANGE, "branding": {name: "https://bank.example/logo"}}
    resp = await memory_client.put("/admin/card-ranges/demo-jcb", json=good, headers=auth())
    assert resp.status == 200


def test_a_config_logo_the_page_could_not_show_stops_start_up(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    ranges = yaml.safe_load((config / "card-ranges.yaml").read_text())
    ranges["ranges"][1]["branding"]["issuer_logo"] = "http://bank.example/logo.png"
    (config / "card-ranges.yaml").write_text(yaml.safe_dump(ranges))
    with pytest.raises(ConfigError) as err:
        load_issuer_config(config)
    assert err.value.path == "ranges[1].branding.issuer_logo"
    assert "card-ranges.yaml: ranges[1].branding.issuer_logo: must be" in str(err.value)


@pytest.mark.parametrize("base_url", ["http://acs_1:8443", "acs.example.com", "https://a b/"])
def test_a_public_url_no_page_could_post_to_stops_start_up(base_url: str) -> None:
    with pytest.raises(SettingsError, match="--base-url"):
        make_settings("memory", base_url=base_url).check()
    with pytest.raises(SettingsError, match="--host"):
        make_settings("memory", base_url="", host="acs_1").check()
    assert make_settings("memory", base_url="", host="::").public_url == "http://[::]:8443"


# -- 4. bodies the ACS cannot decode --------------------------------------------------------


def _areq_bytes() -> bytes:
    return json.dumps(samples.areq("2.2.0", "02", "01")).encode()


async def _post_areq(client: TestClient, body: bytes, encoding: str) -> tuple[int, Any]:
    resp = await client.post(
        "/3ds/areq",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": encoding},
    )
    return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(_areq_bytes())),
        ("x-gzip", gzip.compress(_areq_bytes())),
        ("deflate", zlib.compress(_areq_bytes())),
        ("deflate", zlib.compress(_areq_bytes())[2:-4]),  # raw deflate, as some clients send
        ("identity", _areq_bytes()),
        ("", _areq_bytes()),
    ],
)
async def test_encoded_areqs_are_read(memory_client, encoding: str, body: bytes) -> None:
    status, ares = await _post_areq(memory_client, body, encoding)
    assert status == 200 and ares["messageType"] == "ARes", ares


@pytest.mark.parametrize(
    ("encoding", "body", "status", "detail"),
    [
        ("gzip", b"0123456789", 400, "not valid gzip"),
        ("gzip", gzip.compress(b"{}")[:-3], 400, "not valid gzip"),
        ("gzip", gzip.compress(b"{}") + b"trailing", 400, "not valid gzip"),
        ("deflate", b"\xff" * 10, 400, "not valid deflate"),
        ("gzip", gzip.compress(b" " * 2_000_000), 413, "larger than"),
        ("br", b"\x0b\x02\x80{}\x03", 415, "Content-Encoding br is not supported; send identity"),
        ("zstd", b"(\xb5/\xfd", 415, "Content-Encoding zstd is not supported"),
        ("gzip, br", b"x", 415, "Content-Encoding gzip, br is not supported"),
        ("compress", b"x", 415, "not supported"),
    ],
)
async def test_undecodable_areq_bodies_get_an_erro(
    memory_client, encoding: str, body: bytes, status: int, detail: str
) -> None:
    got, erro = await _post_areq(memory_client, body, encoding)
    assert got == status
    assert erro["messageType"] == "Erro" and erro["errorComponent"] == "A"
    assert erro["errorCode"] == "101" and detail in erro["errorDetail"], erro


async def test_undecodable_admin_bodies_get_a_json_error(memory_client: TestClient) -> None:
    for encoding, status in (("gzip", 400), ("br", 415)):
        resp = await memory_client.post(
            "/admin/card-ranges",
            data=b"junk",
            headers={**auth(), "Content-Encoding": encoding},
        )
        body = await resp.json()
        assert resp.status == status and encoding in body["error"] and body["hint"]
    resp = await memory_client.post(
        "/admin/card-ranges",
        data=gzip.compress(json.dumps(RANGE).encode()),
        headers={**auth(), "Content-Encoding": "gzip"},
    )
    assert resp.status == 201


async def raw_exchange(client: TestClient, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes on a fresh connection; the status, headers and body of the answer."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


PARSER_CASES = {
    "long-url": b"POST /3ds/areq?" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "long-header": b"POST /3ds/areq HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\n",
    "many-headers": b"POST /3ds/areq HTTP/1.1\r\n"
    + b"".join(b"X-%d: y\r\n" % i for i in range(200))
    + b"\r\n",
    "bad-chunk": b"POST /3ds/areq HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\nabc\r\n0\r\n\r\n",
    "length-and-chunked": b"POST /3ds/areq HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Length: 3\r\n\r\n0\r\n\r\n",
    "bad-transfer-encoding": b"POST /3ds/areq HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
    b"\r\n",
    "nul-in-path": b"POST /3ds/areq\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad-version": b"POST /3ds/areq HTTP/9.Z\r\nHost: x\r\n\r\n",
    "absolute-form": b"POST http://acs.test/3ds/areq HTTP/1.1\r\nHost: x\r\nX: \x01\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(PARSER_CASES))
async def test_requests_the_http_parser_refuses_get_an_erro_on_the_emv_route(
    memory_client: TestClient, case: str
) -> None:
    status, headers, body = await raw_exchange(memory_client, PARSER_CASES[case])
    assert status == 400 and headers["content-type"].startswith("application/json")
    erro = json.loads(body)
    assert erro["messageType"] == "Erro" and erro["errorComponent"] == "A"
    assert erro["errorCode"] == "101" and erro["errorDetail"].startswith("HTTP ")


async def test_parser_failures_on_browser_paths_get_a_page_and_elsewhere_json(
    memory_client: TestClient,
) -> None:
    long_header = b"\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\n"
    for path in ("/3ds/challenge", "/3ds/challenge/step", "/3ds/method"):
        status, headers, body = await raw_exchange(
            memory_client, b"POST " + path.encode() + b" HTTP/1.1" + long_header
        )
        assert status == 400 and headers["content-type"].startswith("text/html")
        assert b"<code>101</code>" in body and b"longer than" in body
    for request in (b"GET /qa/test-cards HTTP/1.1" + long_header, b"GARBAGE\r\n\r\n"):
        status, headers, body = await raw_exchange(memory_client, request)
        assert status == 400 and headers["content-type"].startswith("application/json")
        assert set(json.loads(body)) == {"error", "hint"}


async def test_a_wrong_method_on_an_emv_path_is_an_erro_or_its_page(memory_client) -> None:
    resp = await memory_client.get("/3ds/areq")
    erro = await resp.json()
    assert resp.status == 405 and resp.headers["Allow"] == "POST"
    assert erro["messageType"] == "Erro" and erro["errorCode"] == "101"
    assert "GET /3ds/areq" in erro["errorDetail"]
    page = await memory_client.get("/3ds/challenge")
    assert page.status == 405 and page.content_type == "text/html"
    assert "<code>101</code>" in await page.text()
    elsewhere = await memory_client.get("/3ds/nowhere")
    assert elsewhere.status == 404 and set(await elsewhere.json()) == {"error", "hint"}


# -- 5. the QA API on a non-loopback address -------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False), ("::", False),
     ("192.0.2.7", False), ("acs.example", False), ("", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_qa_access() -> None:
    assert Settings(host="127.0.0.1").qa_access is QaAccess.LOOPBACK
    assert Settings(host="0.0.0.0").qa_access is QaAccess.CLOSED
    assert Settings(host="0.0.0.0", qa_open=True).qa_access is QaAccess.OPEN
    assert Settings(host="0.0.0.0", qa_token="t").qa_access is QaAccess.BEARER


async def _qa_client(aiohttp_client: Any, **overrides: Any) -> TestClient:
    services = await build_services(make_settings("memory", **overrides))
    client: TestClient = await aiohttp_client(create_app(services))
    return client


async def test_qa_is_closed_on_another_address_without_a_token(aiohttp_client: Any) -> None:
    client = await _qa_client(aiohttp_client, host="0.0.0.0")
    for path in ("/qa/test-cards", "/qa/outbox?acctNumber=4016000000000111"):
        resp = await client.get(path)
        assert resp.status == 403
        body = await resp.json()
        assert "not loopback" in body["error"]
        assert body["hint"] == (
            "set ACS_QA_TOKEN, or start with --qa-open to leave the QA API open on 0.0.0.0"
        )
    assert (await client.get("/healthz")).status == 200  # the rest is unaffected


async def test_qa_open_or_a_token_on_another_address(aiohttp_client: Any) -> None:
    opened = await _qa_client(aiohttp_client, host="0.0.0.0", qa_open=True)
    assert (await opened.get("/qa/test-cards")).status == 200
    tokened = await _qa_client(aiohttp_client, host="0.0.0.0", qa_token="qa-secret")
    assert (await tokened.get("/qa/test-cards")).status == 401
    ok = await tokened.get("/qa/test-cards", headers={"Authorization": "Bearer qa-secret"})
    assert ok.status == 200


def _serve_args(*argv: str) -> Settings:
    parser = argparse.ArgumentParser()
    cli._serve_parser(parser.add_subparsers(dest="command"))
    return cli.settings_from(parser.parse_args(["serve", *argv]))


def test_qa_open_flag_environment_and_start_up_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACS_QA_TOKEN", raising=False)
    monkeypatch.delenv("ACS_QA_OPEN", raising=False)
    closed = _serve_args("--host", "0.0.0.0")
    assert closed.qa_access is QaAccess.CLOSED
    assert cli.qa_line(closed) == (
        "closed on 0.0.0.0 (not loopback): set ACS_QA_TOKEN, or start with --qa-open"
    )
    opened = _serve_args("--host", "0.0.0.0", "--qa-open")
    assert opened.qa_access is QaAccess.OPEN and "open on 0.0.0.0 (--qa-open)" in cli.qa_line(
        opened
    )
    assert "open on loopback 127.0.0.1" in cli.qa_line(_serve_args())
    monkeypatch.setenv("ACS_QA_OPEN", "1")
    assert _serve_args("--host", "0.0.0.0").qa_access is QaAccess.OPEN
    monkeypatch.setenv("ACS_QA_TOKEN", "t")
    assert cli.qa_line(_serve_args("--host", "0.0.0.0")) == "token required (ACS_QA_TOKEN)"


def test_acs_serve_on_another_address_closes_qa_and_answers_parser_failures() -> None:
    """Under web.run_app (acs serve), as under the test server: the same protocol hook."""
    port = free_port()
    env = {**os.environ, "ACS_LOG_LEVEL": "warning"}
    for name in ("ACS_QA_TOKEN", "ACS_QA_OPEN", "ACS_BASE_URL"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "acs.cli", "serve", "--host", "0.0.0.0", "--port", str(port)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "acs serve did not come up"
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/qa/test-cards", timeout=5)
        assert refused.value.code == 403
        assert "--qa-open" in json.load(refused.value)["hint"]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(PARSER_CASES["long-header"])
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 400") and b"application/json" in head
        assert json.loads(body)["errorCode"] == "101"
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "qa:     closed on 0.0.0.0 (not loopback)" in stderr
    assert "Error handling request" not in stderr and "Traceback" not in stderr
