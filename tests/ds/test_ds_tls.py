"""serve --ds behind TLS, as the README's "Connect a 3DS Server" runs it: the 3DS Server calls the
DS front on the mutual-TLS DS listener, and the ACS's RReq reaches the DS front in the same
process even when the certificate names only the public host (not the bind address)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from acs.config import ProtocolTimers
from acs.crypto.pki import init_keys
from tests.ds.three_ds_server import ThreeDSServer, browser_areq
from tests.test_tls import Keys, context, post, run_acs, tls_settings

SMS_CARD = "4016000000000111"
PUBLIC_HOST = "acs.example.test"  # the only name the server certificate carries


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    directory = tmp_path_factory.mktemp("ds-tls") / "keys"
    init_keys(directory, ca_bits=2048)
    return Keys(directory)


def public_host_certificate(keys: Keys, where: Path) -> tuple[Path, Path]:
    """A server certificate from the test root for PUBLIC_HOST only."""
    root_key = serialization.load_pem_private_key(keys.root_ca_key.read_bytes(), None)
    root = x509.load_pem_x509_certificate(keys.root_ca_crt.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PUBLIC_HOST)]))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(PUBLIC_HOST)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(root_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    crt, pem_key = where / "public.crt", where / "public.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return crt, pem_key


async def test_challenge_through_the_mutual_tls_ds_front_ends_with_the_rres(
    keys: Keys, tmp_path: Path
) -> None:
    crt, key = public_host_certificate(keys, tmp_path)
    timers = ProtocolTimers(first_creq_seconds=0.3, poll_seconds=0.05, rres_wait_seconds=3.0)
    settings = tls_settings(
        keys, tls_cert=crt, tls_key=key, trust=None, ds_front=True, timers=timers
    )
    settings.base_url = f"https://{PUBLIC_HOST}:{settings.port}"
    server = await ThreeDSServer().start()
    try:
        async for acs in run_acs(settings):
            client = context(keys, keys, check_hostname=False)  # the 3DS Server, by address
            ds = f"https://127.0.0.1:{settings.ds_port}"
            status, ares = await post(f"{ds}/ds/areq", client, browser_areq(SMS_CARD, server.url))
            assert status == 200 and ares["transStatus"] == "C", ares
            assert ares["acsURL"].startswith(f"https://{PUBLIC_HOST}:")
            # no CReq: the first-CReq timer ends the challenge, and the ACS owes an RReq to
            # the DS front on its own mutual-TLS listener, named by a host its cert lacks
            rreq = await server.wait_rreq()
            assert (rreq["transStatus"], rreq["transStatusReason"]) == ("N", "14")
            assert rreq["dsTransID"] == ares["dsTransID"]
            sessions = acs.services.challenge.sessions
            for _ in range(100):
                session = await sessions.get(ares["acsTransID"])
                if session and session.rreq and session.rreq.status == "delivered":
                    break
                await asyncio.sleep(0.05)
            assert session and session.rreq and session.rreq.status == "delivered", session
            assert session.rreq.rres is not None and session.rreq.rres.resultsStatus == "01"
            # and the 3DS Server without a client certificate is refused at the handshake
            with pytest.raises(aiohttp.ClientError):
                await post(
                    f"{ds}/ds/areq",
                    context(None, keys, check_hostname=False),
                    {"id": str(uuid.uuid4())},
                )
    finally:
        await server.close()
