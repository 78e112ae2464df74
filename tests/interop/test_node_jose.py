"""npm jose under Node, an implementation acs shares nothing with, reads what acs writes.

decrypt: CRes JWEs from acs.crypto.secure_channel (both encryption modes) and the vectors.
verify: the CLI's JWS + x5c check, on JWSs signed here, so the signed-content work can use it.
"""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from acs.crypto.secure_channel import Enc, EphemeralKey, SecureChannel
from tests.interop.node_jose import call, jose_cli, run

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "secure-channel.json").read_text()
)
ACS_TRANS_ID = "d7c1ee99-9478-44a6-b1f2-391e29c6b340"


@pytest.fixture(scope="module")
def node() -> str:
    return jose_cli()


def acs_to_sdk_key(cek: bytes, enc: Enc) -> bytes:
    # EMV: CBC-HS256 uses the whole CEK both ways; GCM's ACS->SDK key is its second half
    return cek if enc is Enc.A128CBC_HS256 else cek[16:]


@pytest.mark.parametrize("enc", list(Enc))
def test_node_jose_decrypts_an_acs_cres(node: str, enc: Enc) -> None:
    acs, sdk = EphemeralKey.generate(), EphemeralKey.generate()
    cek = acs.derive_cek(sdk.private_key.public_key(), "3DS_LOA_SDK_TEST_020200_00001")
    cres = {
        "messageType": "CRes",
        "messageVersion": "2.2.0",
        "acsTransID": ACS_TRANS_ID,
        "acsCounterAtoS": "000",
        "challengeCompletionInd": "N",
        "acsUiType": "01",
        "challengeInfoText": "Code sent to •••• 1234: ünïcödé stays intact",
    }
    payload = json.dumps(cres, ensure_ascii=False).encode()
    jwe = SecureChannel(cek, ACS_TRANS_ID).encrypt_cres(payload, enc=enc)

    answer = call(node, "decrypt", {"jwe": jwe, "key_hex": acs_to_sdk_key(cek, enc).hex()})

    assert answer["plaintext"].encode() == payload
    assert answer["protectedHeader"] == {"alg": "dir", "enc": enc.value, "kid": ACS_TRANS_ID}


def test_node_jose_refuses_the_other_gcm_half(node: str) -> None:
    cek = bytes(range(32))
    jwe = SecureChannel(cek, ACS_TRANS_ID).encrypt_cres(b"{}", enc=Enc.A128GCM)
    assert call(node, "decrypt", {"jwe": jwe, "key_hex": cek[16:].hex()})["plaintext"] == "{}"
    done = run(node, "decrypt", {"jwe": jwe, "key_hex": cek[:16].hex()})
    assert done.returncode == 1
    assert "ERR_JWE_DECRYPTION_FAILED" in done.stderr


@pytest.mark.parametrize(
    ("jwe", "key_hex", "plaintext"),
    [
        (
            VECTORS["A128CBC-HS256"]["jwe"],
            VECTORS["CEK_32_hex"],
            VECTORS["A128CBC-HS256"]["creq_plaintext"],
        ),
        (
            VECTORS["A128GCM"]["creq_jwe"],
            VECTORS["A128GCM"]["sdk_to_acs_key_hex"],
            VECTORS["A128CBC-HS256"]["creq_plaintext"],
        ),
        (
            VECTORS["A128GCM"]["cres_jwe"],
            VECTORS["A128GCM"]["acs_to_sdk_key_hex"],
            VECTORS["A128GCM"]["cres_plaintext"],
        ),
    ],
    ids=["cbc-creq", "gcm-creq", "gcm-cres"],
)
def test_node_jose_decrypts_the_vectors(node: str, jwe: str, key_hex: str, plaintext: str) -> None:
    assert call(node, "decrypt", {"jwe": jwe, "key_hex": key_hex})["plaintext"] == plaintext


# --- verify: JWS with x5c -------------------------------------------------------------------


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    return builder.sign(issuer_key, hashes.SHA256())


def sign_jws(
    payload: bytes, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, x5c: list[x509.Certificate]
) -> str:
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "PS256"
    chain = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in x5c]
    header = b64u(json.dumps({"alg": alg, "x5c": chain}).encode())
    signing_input = f"{header}.{b64u(payload)}".encode()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32) + s.to_bytes(32)  # JWS wants r || s, not DER
    else:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = key.sign(signing_input, pss, hashes.SHA256())
    return f"{signing_input.decode()}.{b64u(signature)}"


@pytest.fixture(scope="module")
def root() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, certificate("Test DS Root", key)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
def test_node_jose_verifies_a_jws_with_x5c(
    node: str, root: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], alg: str
) -> None:
    root_key, root_cert = root
    key = (
        ec.generate_private_key(ec.SECP256R1())
        if alg == "ES256"
        else (rsa.generate_private_key(public_exponent=65537, key_size=2048))
    )
    leaf = certificate("Test ACS signing", key, issuer=("Test DS Root", root_key))
    payload = b'{"acsURL":"https://acs.test/3ds/challenge/app"}'
    jws = sign_jws(payload, key, [leaf])

    answer = call(node, "verify", {"jws": jws, "roots_pem": [pem(root_cert)]})
    assert answer["payload"].encode() == payload
    assert answer["protectedHeader"]["alg"] == alg
    assert answer["chain"] == "verified"
    assert call(node, "verify", {"jws": jws})["chain"] == "not checked"

    head, _, signature = jws.split(".")
    forged = f"{head}.{b64u(b'{}')}.{signature}"
    done = run(node, "verify", {"jws": forged, "roots_pem": [pem(root_cert)]})
    assert done.returncode == 1
    assert "signature verification failed" in done.stderr

    other_root = certificate("Other Root", ec.generate_private_key(ec.SECP256R1()))
    done = run(node, "verify", {"jws": jws, "roots_pem": [pem(other_root)]})
    assert done.returncode == 1
    assert "does not lead to any of the given roots" in done.stderr


def test_node_jose_verify_needs_x5c(node: str) -> None:
    header = b64u(json.dumps({"alg": "ES256"}).encode())
    jws = f"{header}.{b64u(b'{}')}.{b64u(bytes(64))}"
    done = run(node, "verify", {"jws": jws})
    assert done.returncode == 1
    assert "no x5c" in done.stderr
