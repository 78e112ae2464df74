"""TLS with real handshakes: server TLS on the public listener, mutual TLS on the DS listener
(no client certificate, one from another root, the right one), the DS-facing routes kept off
the public listener, and the RReq sent with the client certificate. Certificates come from
`acs keys init` in a temporary directory, made once for the module."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import ssl
import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.app import build_services, create_app
from acs.challenge.session import RReqState
from acs.config import ProtocolTimers, Settings, SettingsError
from acs.crypto.pki import PKI, TLS_CLIENT, TLS_SERVER, init_keys
from acs.listeners import Listener, serve_listeners, start
from acs.services import Services
from acs.tls import TLSError, client_context, server_context
from acs.web.middleware import is_ds_facing
from tests.conftest import ROOT, make_settings
from tests.protocol import samples
from tests.redis_server import free_port

SMS_CARD = "4016000000000111"  # config/: a browser challenge by SMS OTP
CONSULT = "4016010000000011"  # config/: the issuer (at /issuer-sim) decides; Y up to 49.99


@dataclass(frozen=True)
class Keys:
    dir: Path

    def __getattr__(self, name: str) -> Path:  # keys.tls_server_crt -> DIR/tls-server.crt
        stem, _, suffix = name.rpartition("_")
        return self.dir / f"{stem.replace('_', '-')}.{suffix}"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    directory = tmp_path_factory.mktemp("tls") / "keys"
    init_keys(directory, ca_bits=2048)
    return Keys(directory)


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    """Another root's set: the same file names and subjects, another key."""
    directory = tmp_path_factory.mktemp("tls") / "other"
    PKI.generate(ca_bits=2048).write(directory)
    return Keys(directory)


def tls_settings(keys: Keys, **overrides: Any) -> Settings:
    port = free_port()
    fields: dict[str, Any] = {
        "port": port,
        "ds_port": free_port(),
        "base_url": f"https://localhost:{port}",
        "tls_cert": keys.tls_server_crt,
        "tls_key": keys.tls_server_key,
        "ds_client_ca": keys.root_ca_crt,
        "client_cert": keys.tls_client_crt,
        "client_key": keys.tls_client_key,
        "trust": keys.root_ca_crt,
    }
    return make_settings("memory", **(fields | overrides))


@dataclass
class Running:
    settings: Settings
    services: Services

    @property
    def public(self) -> str:
        return f"https://localhost:{self.settings.port}"

    @property
    def ds(self) -> str:
        return f"https://localhost:{self.settings.ds_port}"


async def run_acs(settings: Settings) -> AsyncIterator[Running]:
    services = await build_services(settings)
    runner = await start(create_app(services), serve_listeners(settings))
    try:
        yield Running(settings, services)
    finally:
        await runner.cleanup()


@pytest.fixture
async def acs(keys: Keys) -> AsyncIterator[Running]:
    async for running in run_acs(tls_settings(keys)):
        yield running


def context(keys: Keys | None, trust: Keys, **kwargs: Any) -> ssl.SSLContext:
    """What a client brings: ``keys``' client certificate (None: none), trusting ``trust``."""
    ctx = client_context(
        keys.tls_client_crt if keys else None,
        keys.tls_client_key if keys else None,
        trust.root_ca_crt,
    )
    assert ctx is not None
    for name, value in kwargs.items():
        setattr(ctx, name, value)
    return ctx


async def post(url: str, ctx: ssl.SSLContext, body: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, ssl=ctx, timeout=aiohttp.ClientTimeout(total=10)) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


def handshake(port: int, ctx: ssl.SSLContext) -> tuple[str, str]:
    """A bare TLS handshake, then one request read back: ("ok", status line), or the step that
    failed ("handshake" or "read") and the error, or ("closed", "") when the server hung up."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        tls = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except (ssl.SSLError, ConnectionError) as exc:
            return "handshake", str(exc).lower()
        try:
            tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = tls.recv(100)
            return ("ok", answer.decode().splitlines()[0]) if answer else ("closed", "")
        except (ssl.SSLError, ConnectionError) as exc:
            return "read", str(exc).lower()
        finally:
            tls.close()


# -- the files ------------------------------------------------------------------------------


def test_keys_init_makes_tls_certificates_for_localhost(keys: Keys) -> None:
    pki = PKI.load(keys.dir)
    server = pki[TLS_SERVER].certificate
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(n.value) for n in names] == ["localhost", "127.0.0.1", "::1"]
    assert pki[TLS_CLIENT].certificate.issuer == pki.root.subject  # no chain file needed
    server_context(keys.tls_server_crt, keys.tls_server_key, keys.root_ca_crt)  # loads


def test_tls_files_that_cannot_be_used_say_which_and_why(keys: Keys, tmp_path: Path) -> None:
    with pytest.raises(TLSError) as info:
        server_context(keys.tls_server_crt, keys.tls_client_key)
    assert info.value.file == keys.tls_server_crt
    assert f"does not match the key {keys.tls_client_key}" in str(info.value)
    with pytest.raises(TLSError, match="no such file"):
        server_context(tmp_path / "none.crt", keys.tls_server_key)
    with pytest.raises(TLSError, match="no PEM certificate"):
        server_context(keys.tls_server_key, keys.tls_server_key)
    secret = tmp_path / "bad.key"
    secret.write_text("-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n")
    with pytest.raises(TLSError) as info:
        server_context(keys.tls_server_crt, secret)
    assert "not a PEM private key" in str(info.value) and "TOPSECRET" not in str(info.value)
    key = serialization.load_pem_private_key(keys.tls_server_key.read_bytes(), None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    with pytest.raises(TLSError, match="encrypted; give an unencrypted PEM key"):
        server_context(keys.tls_server_crt, locked)  # never a passphrase prompt


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tls_key": None}, "--tls-cert and --tls-key go together"),
        ({"client_key": None}, "--client-cert and --client-key go together"),
        ({"ds_port": None}, "--ds-client-ca needs --ds-port"),
        ({"tls_cert": None, "tls_key": None}, "--ds-client-ca needs --tls-cert"),
        ({"ds_port": 0}, "--ds-port 0: give a free port"),
        ({"trust": Path("/nonexistent.pem")}, "--trust [ACS_TRUST] /nonexistent.pem: no such"),
    ],
)
def test_tls_settings_are_checked_before_any_port_opens(
    keys: Keys, overrides: dict[str, Any], message: str
) -> None:
    settings = tls_settings(keys, **overrides)
    with pytest.raises(SettingsError) as info:
        settings.check()
    assert message in str(info.value)


def test_mismatched_server_files_name_the_flag(keys: Keys) -> None:
    settings = tls_settings(keys, tls_key=keys.tls_client_key)
    with pytest.raises(SettingsError, match=r"^--tls-cert \[ACS_TLS_CERT\] .*does not match"):
        settings.check()


# -- the listeners ----------------------------------------------------------------------------


async def test_public_listener_speaks_tls_with_the_test_certificate(
    acs: Running, keys: Keys
) -> None:
    assert acs.settings.public_url.startswith("https://")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{acs.public}/healthz", ssl=context(None, keys)) as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "ok"
        with pytest.raises(aiohttp.ClientConnectorCertificateError):  # the system roots only
            await http.get(f"{acs.public}/healthz")
        with pytest.raises(aiohttp.ClientError):  # plain HTTP to a TLS port
            await http.get(f"http://127.0.0.1:{acs.settings.port}/healthz")
    assert await asyncio.to_thread(handshake, acs.settings.port, context(None, keys)) == (
        "ok",
        "HTTP/1.1 200 OK",
    )
    old = context(None, keys)
    with warnings.catch_warnings():  # TLS 1.1 is deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
    assert (await asyncio.to_thread(handshake, acs.settings.port, old))[0] == "handshake"


async def test_ds_listener_answers_an_areq_over_mutual_tls(acs: Running, keys: Keys) -> None:
    body = samples.areq("2.2.0", "02", "01", pan="4016000000000012")
    status, ares = await post(f"{acs.ds}/3ds/areq", context(keys, keys), body)
    assert status == 200 and ares["messageType"] == "ARes" and ares["transStatus"] == "Y"


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
@pytest.mark.parametrize("client", ["none", "stranger", "ours"])
async def test_ds_listener_admits_only_clients_with_a_certificate_from_its_ca(
    acs: Running, keys: Keys, stranger: Keys, client: str, version: ssl.TLSVersion
) -> None:
    """No client certificate, or one from another root: TLS 1.2 fails in the handshake; TLS 1.3
    checks the client's certificate after the client has finished, so the server hangs up
    before reading the request. Our test client certificate gets its answer."""
    ctx = context({"none": None, "stranger": stranger, "ours": keys}[client], keys)
    ctx.minimum_version = ctx.maximum_version = version
    step, error = await asyncio.to_thread(handshake, acs.settings.ds_port, ctx)
    if client == "ours":
        assert (step, error) == ("ok", "HTTP/1.1 200 OK")
        return
    assert step == ("handshake" if version is ssl.TLSVersion.TLSv1_2 else "closed"), error
    with pytest.raises(aiohttp.ClientError):  # and through aiohttp, the AReq gets no answer
        await post(f"{acs.ds}/3ds/areq", ctx, samples.areq("2.2.0", "02", "01"))


async def test_ds_facing_routes_answer_only_on_the_ds_listener(acs: Running, keys: Keys) -> None:
    ds_port = acs.settings.ds_port
    body = samples.areq("2.2.0", "02", "01", pan="4016000000000012")
    status, erro = await post(f"{acs.public}/3ds/areq", context(None, keys), body)
    assert status == 404 and erro["messageType"] == "Erro"
    assert f"DS port {ds_port} only" in erro["errorDetail"]
    status, error = await post(f"{acs.public}/ds/preq", context(None, keys), {})
    assert status == 404 and f"DS port {ds_port}" in error["error"]
    async with aiohttp.ClientSession() as http:
        url = f"{acs.ds}/qa/outbox"  # the public listener's routes are not on the DS one
        async with http.get(url, ssl=context(keys, keys)) as resp:
            answer = await resp.json()
            assert resp.status == 404 and f"public port {acs.settings.port}" in answer["hint"]
        for origin, ctx in ((acs.public, context(None, keys)), (acs.ds, context(keys, keys))):
            async with http.get(f"{origin}/healthz", ssl=ctx) as resp:
                assert resp.status == 200  # a load balancer checks either


PATHS = st.one_of(
    st.sampled_from(["/3ds/areq", "/ds/areq", "/ds/preq", "/ds/rreq", "/ds/", "/healthz"]),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from(["/", "/3ds/", "/ds/", "/qa/", "/admin/", "/3ds/areq"]),
        st.text("abcdefz/._-~%", max_size=12),
    ),
)


async def test_fuzz_paths_on_both_listeners(acs: Running, keys: Keys) -> None:
    """Any path, either listener, GET or POST: never a 5xx, and a DS-facing path on the public
    listener (or another on the DS one) is a 404 naming the right port."""
    public_ctx, ds_ctx = context(None, keys), context(keys, keys)
    async with aiohttp.ClientSession() as http:

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
            database=None,
        )
        @given(path=PATHS, on_ds=st.booleans(), method=st.sampled_from(["GET", "POST"]))
        def fuzz(path: str, on_ds: bool, method: str) -> None:
            asyncio.run_coroutine_threadsafe(probe(path, on_ds, method), loop).result(20)

        async def probe(path: str, on_ds: bool, method: str) -> None:
            origin, ctx = (acs.ds, ds_ctx) if on_ds else (acs.public, public_ctx)
            async with http.request(method, origin + path, ssl=ctx, data=b"{}") as resp:
                text = await resp.text()
                assert resp.status < 500, (path, on_ds, resp.status, text)
                request_path = resp.url.path
                misplaced = is_ds_facing(request_path) != on_ds and request_path != "/healthz"
                if misplaced:
                    port = acs.settings.port if on_ds else acs.settings.ds_port
                    assert resp.status == 404 and str(port) in text, (path, on_ds, text)

        loop = asyncio.get_running_loop()
        await asyncio.to_thread(fuzz)


# -- outgoing: the RReq with the client certificate --------------------------------------------


class MutualDS:
    """A DS's RReq endpoint behind mutual TLS (clients from the test root): it records the
    subject of each client certificate and answers an RRes."""

    def __init__(self, keys: Keys) -> None:
        self.peers: list[str] = []
        self.port = free_port()
        self.ssl = server_context(keys.tls_server_crt, keys.tls_server_key, keys.root_ca_crt)
        app = web.Application()
        app.router.add_post("/rreq", self.rreq)
        self.app = app

    async def rreq(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        self.peers.append(dict(x[0] for x in peer["subject"])["commonName"] if peer else "")
        body = await request.json()
        ids = ("messageVersion", "threeDSServerTransID", "acsTransID", "dsTransID")
        rres = {"messageType": "RRes", **{k: body[k] for k in ids}, "resultsStatus": "01"}
        return web.json_response(rres)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}/rreq"


@pytest.fixture
async def mutual_ds(keys: Keys) -> AsyncIterator[MutualDS]:
    ds = MutualDS(keys)
    runner = await start(ds.app, [Listener("ds", "127.0.0.1", ds.port, ds.ssl)])
    yield ds
    await runner.cleanup()


async def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def rreq_state(acs: Running, acs_trans_id: str, status: str) -> RReqState:
    """The session's RReq delivery state, once it reaches ``status``."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        session = await acs.services.challenge.sessions.get(acs_trans_id)
        if session and session.rreq and session.rreq.status == status:
            return session.rreq
        assert asyncio.get_running_loop().time() < deadline, session and session.rreq
        await asyncio.sleep(0.05)


FAST = {"first_creq_seconds": 0.2, "poll_seconds": 0.05, "rres_wait_seconds": 2.0}


async def challenge_without_creq(acs: Running, keys: Keys, ds: MutualDS) -> str:
    """An AReq for a challenge over mutual TLS, then no CReq: the first-CReq timer ends it
    and the ACS owes the DS an RReq."""
    body = samples.areq(
        "2.2.0",
        "02",
        "01",
        pan=SMS_CARD,
        dsURL=ds.url,
        threeDSServerTransID=str(uuid.uuid4()),
    )
    status, ares = await post(f"{acs.ds}/3ds/areq", context(keys, keys), body)
    assert status == 200 and ares["transStatus"] == "C", ares
    return str(ares["acsTransID"])


async def test_rreq_goes_out_with_the_client_certificate(keys: Keys, mutual_ds: MutualDS) -> None:
    async for acs in run_acs(tls_settings(keys, timers=ProtocolTimers(**FAST))):
        acs_trans_id = await challenge_without_creq(acs, keys, mutual_ds)
        await wait_for(lambda: bool(mutual_ds.peers))
        assert mutual_ds.peers == ["acs test TLS client"]  # the ACS's --client-cert
        rreq = await rreq_state(acs, acs_trans_id, "delivered")
        assert rreq.attempts == 1 and rreq.rres is not None


async def test_without_a_client_certificate_the_mutual_tls_ds_refuses_the_rreq(
    keys: Keys, mutual_ds: MutualDS
) -> None:
    timers = ProtocolTimers(**FAST, rreq_max_attempts=1)
    settings = tls_settings(keys, client_cert=None, client_key=None, timers=timers)
    async for acs in run_acs(settings):
        acs_trans_id = await challenge_without_creq(acs, keys, mutual_ds)
        rreq = await rreq_state(acs, acs_trans_id, "failed")
        assert rreq.last_error and "DS unreachable" in rreq.last_error
        assert mutual_ds.peers == []  # refused at the handshake, before any request


async def test_the_issuer_sim_is_called_over_tls_with_the_own_certificate_pinned(
    keys: Keys,
) -> None:
    """The card ranges' issuer: {url: /issuer-sim} calls go to this process's own listener by
    its bind address; with TLS on they pin its certificate, so they work with no root to trust
    (and with a certificate made for another host name)."""
    settings = tls_settings(keys, trust=None, client_cert=None, client_key=None)
    async for acs in run_acs(settings):
        body = samples.areq("2.2.0", "02", "01", pan=CONSULT, purchaseAmount="4999")
        body["purchaseExponent"] = "2"
        status, ares = await post(f"{acs.ds}/3ds/areq", context(keys, keys), body)
        assert status == 200 and ares["transStatus"] == "Y", ares
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{acs.public}/qa/transactions/{ares['acsTransID']}", ssl=context(None, keys)
            ) as resp,
        ):
            (call,) = (await resp.json())["issuer_calls"]
        assert call["call"] == "check-authentication-method" and call["ok"] is True, call


def readme_tls_commands() -> list[str]:
    """The README's curl check of mutual TLS (a ```bash block under "TLS and mutual TLS"; the
    ```sh ones run against a plain `make run` in tests/test_readme_curl.py), one command each."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### TLS and mutual TLS", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip()]


async def test_readme_mutual_tls_check_works_when_pasted(
    acs: Running, keys: Keys, tmp_path: Path
) -> None:
    (tmp_path / ".acs").mkdir()
    (tmp_path / ".acs" / "keys").symlink_to(keys.dir)
    refused, answered = readme_tls_commands()
    assert "# refused" in refused and "--cert" not in refused and "--cert" in answered
    for command, ok in ((refused, False), (answered, True)):
        script = command.replace(":8444/", f":{acs.settings.ds_port}/")
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", script, cwd=tmp_path, stdout=PIPE, stderr=PIPE
        )
        out, err = await proc.communicate()
        assert (proc.returncode == 0) is ok, (command, err.decode())
        if ok:
            assert json.loads(out)["status"] == "ok"
