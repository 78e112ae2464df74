"""The SDK simulator (tests/interop/sdk.py) checked on its own, before it checks the ACS.

It reproduces the secure-channel vectors (KDF, both JWE modes), and runs challenges against a
minimal ACS played here with jwcrypto and cryptography (a throwaway CA, a JWS with x5c, CRes
JWEs), catching each kind of tampering. Nothing here imports acs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import struct
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from jwcrypto import jwe, jwk, jws

from tests.interop.sdk import (
    ErroReceived,
    SdkCheckError,
    SdkSession,
    channel_key,
    concat_kdf,
    concat_kdf_other_info,
    decrypt_jwe,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "secure-channel.json").read_text()
)
V_ACS_TRANS_ID = "d7c1ee99-9478-44a6-b1f2-391e29c6b340"
V_SERVER_TRANS_ID = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"
V_SDK_TRANS_ID = "b2385523-a66c-4907-ac3c-91848e8c0067"
V_SDK_REF = VECTORS["sdkReferenceNumber (partyVInfo)"]
ENCS = ["A128CBC-HS256", "A128GCM"]

TEXT_UI = {
    "challengeCompletionInd": "N",
    "acsUiType": "01",
    "challengeInfoHeader": "Purchase authentication",
    "challengeInfoLabel": "Code",
    "challengeInfoText": "Enter the code we sent to *** 123",
    "submitAuthenticationLabel": "Submit",
    "resendInformationLabel": "Send a new code",
}
FINAL_Y = {"challengeCompletionInd": "Y", "transStatus": "Y"}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ec_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    n = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64u(n.x.to_bytes(32, "big")),
        "y": b64u(n.y.to_bytes(32, "big")),
    }


# --- a throwaway PKI ---------------------------------------------------------------------------


def _cert(
    key: Any, cn: str, issuer_key: Any, issuer_cn: str, *, ca: bool, days: int = 30
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    usage = dict.fromkeys(
        (
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, **usage),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def pki() -> SimpleNamespace:
    root_key, ca_key, foreign_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert(root_key, "Test DS Root", root_key, "Test DS Root", ca=True, days=365)
    ca = _cert(ca_key, "Test ACS CA", root_key, "Test DS Root", ca=True, days=180)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = _cert(foreign_key, "Other Root", foreign_key, "Other Root", ca=True)
    pem = serialization.Encoding.PEM
    return SimpleNamespace(
        root_pem=root.public_bytes(pem),
        foreign_pem=foreign.public_bytes(pem),
        ca=ca,
        leaves={
            "ES256": (ec_key, _cert(ec_key, "ACS signing EC", ca_key, "Test ACS CA", ca=False)),
            "PS256": (rsa_key, _cert(rsa_key, "ACS signing RSA", ca_key, "Test ACS CA", ca=False)),
        },
    )


# --- a minimal ACS, by hand ------------------------------------------------------------------


def seal(key: bytes, enc: str, kid: str, payload: bytes, iv: bytes) -> str:
    """A compact alg-dir JWE with a chosen IV (jwcrypto picks its own)."""
    header = b64u(json.dumps({"alg": "dir", "enc": enc, "kid": kid}).encode())
    aad = header.encode()
    if enc == "A128GCM":
        sealed = AESGCM(key).encrypt(iv, payload, aad)
        ciphertext, tag = sealed[:-16], sealed[-16:]
    else:
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padder.update(payload) + padder.finalize())
        ciphertext += encryptor.finalize()
        mac = hmac.HMAC(key[:16], hashes.SHA256())
        mac.update(aad + iv + ciphertext + struct.pack(">Q", len(aad) * 8))
        tag = mac.finalize()[:16]
    return ".".join((header, "", b64u(iv), b64u(ciphertext), b64u(tag)))


class LoopbackAcs:
    """The ACS's side of one transaction: ARes with acsSignedContent, CReq in, CRes out."""

    def __init__(self, areq: dict[str, Any], pki: SimpleNamespace, alg: str, enc: str) -> None:
        self.areq, self.pki, self.alg, self.enc = areq, pki, alg, enc
        self.acs_trans_id = str(uuid.uuid4())
        self.key = ec.generate_private_key(ec.SECP256R1())
        sdk_jwk = areq["sdkEphemPubKey"]
        sdk_key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64u_decode(sdk_jwk["x"]), "big"),
            int.from_bytes(b64u_decode(sdk_jwk["y"]), "big"),
            ec.SECP256R1(),
        ).public_key()
        z = self.key.exchange(ec.ECDH(), sdk_key)
        ref = areq["sdkReferenceNumber"].encode()
        other = bytes(8) + struct.pack(">I", len(ref)) + ref + struct.pack(">I", 256)
        self.cek = hashlib.sha256(b"\0\0\0\1" + z + other).digest()
        self.creqs: list[dict[str, Any]] = []
        self.counter = 0

    def signed_content(self, *, header: dict[str, Any] | None = None, **payload: Any) -> str:
        key, leaf = self.pki.leaves[self.alg]
        der = serialization.Encoding.DER
        body = {
            "acsTransID": self.acs_trans_id,
            "acsRefNumber": "3DS_LOA_ACS_TEST_020200_00001",
            "acsURL": "https://acs.example/challenge/app",
            "acsEphemPubKey": ec_jwk(self.key.public_key()),
            "sdkEphemPubKey": self.areq["sdkEphemPubKey"],
        } | payload
        protected = {
            "alg": self.alg,
            "x5c": [base64.b64encode(c.public_bytes(der)).decode() for c in (leaf, self.pki.ca)],
        } | (header or {})
        token = jws.JWS(json.dumps(body).encode())
        token.add_signature(jwk.JWK.from_pyca(key), alg=self.alg, protected=json.dumps(protected))
        compact: str = token.serialize(compact=True)
        return compact

    def x5c(self) -> list[str]:
        header = json.loads(b64u_decode(self.signed_content().split(".")[0]))
        return list(header["x5c"])

    def ares(self, *, interface: str = "01", **overrides: Any) -> dict[str, Any]:
        return {
            "messageType": "ARes",
            "messageVersion": self.areq["messageVersion"],
            "threeDSServerTransID": self.areq["threeDSServerTransID"],
            "acsTransID": self.acs_trans_id,
            "dsTransID": str(uuid.uuid4()),
            "sdkTransID": self.areq["sdkTransID"],
            "acsReferenceNumber": "3DS_LOA_ACS_TEST_020200_00001",
            "transStatus": "C",
            "acsChallengeMandated": "Y",
            "authenticationType": "02",
            "acsRenderingType": {"acsInterface": interface, "acsUiTemplate": "01"},
            "acsSignedContent": self.signed_content(),
        } | overrides

    def answer(
        self,
        creq: bytes,
        fields: dict[str, Any],
        *,
        iv: bytes | None = None,
        kid: str | None = None,
        counter: str | None = None,
        key: bytes | None = None,
    ) -> bytes:
        """Decrypt the CReq (checking kid and sdkCounterStoA), answer with a CRes of ``fields``."""
        obj = jwe.JWE(algs=["dir", self.enc])
        obj.deserialize(creq.decode(), jwk.JWK(kty="oct", k=b64u(self.sdk_to_acs)))
        assert obj.jose_header == {"alg": "dir", "enc": self.enc, "kid": self.acs_trans_id}
        message = json.loads(obj.payload)
        assert message["sdkCounterStoA"] == f"{len(self.creqs):03d}"
        self.creqs.append(message)
        cres = {
            "messageType": "CRes",
            "messageVersion": self.areq["messageVersion"],
            "threeDSServerTransID": self.areq["threeDSServerTransID"],
            "acsTransID": self.acs_trans_id,
            "sdkTransID": self.areq["sdkTransID"],
            "acsCounterAtoS": counter or f"{self.counter:03d}",
        } | fields
        self.counter += 1
        payload = json.dumps({k: v for k, v in cres.items() if v is not None}).encode()
        key = key or self.acs_to_sdk
        if iv is not None or kid is not None:
            iv = iv or os.urandom(16 if self.enc == "A128CBC-HS256" else 12)
            return seal(key, self.enc, kid or self.acs_trans_id, payload, iv).encode()
        token = jwe.JWE(
            payload,
            protected=json.dumps({"alg": "dir", "enc": self.enc, "kid": self.acs_trans_id}),
        )
        token.add_recipient(jwk.JWK(kty="oct", k=b64u(key)))
        compact: str = token.serialize(compact=True)
        return compact.encode()

    @property
    def wrong_key(self) -> bytes:
        return self.cek[:16] if self.enc == "A128GCM" else os.urandom(32)

    @property
    def sdk_to_acs(self) -> bytes:
        return self.cek if self.enc == "A128CBC-HS256" else self.cek[:16]

    @property
    def acs_to_sdk(self) -> bytes:
        return self.cek if self.enc == "A128CBC-HS256" else self.cek[16:]


def begin(
    pki: SimpleNamespace, *, alg: str = "ES256", enc: str = "A128CBC-HS256", interface: str = "01"
) -> tuple[SdkSession, LoopbackAcs]:
    """The AReq built, the ARes accepted: the channel is up, no CReq sent yet."""
    sdk = SdkSession(enc=enc)
    base = {
        "messageType": "AReq",
        "messageVersion": "2.2.0",
        "threeDSServerTransID": str(uuid.uuid4()),
        "acctNumber": "4016000000000111",
    }
    acs = LoopbackAcs(sdk.areq(base), pki, alg, enc)
    payload = sdk.accept_ares(acs.ares(interface=interface), pki.root_pem)
    assert payload["acsURL"] == sdk.acs_url == "https://acs.example/challenge/app"
    assert sdk.cek == acs.cek
    return sdk, acs


# --- vectors -----------------------------------------------------------------------------------


def vector_session(enc: str) -> SdkSession:
    key = ec.derive_private_key(int(VECTORS["sdk_private_d_hex"], 16), ec.SECP256R1())
    sdk = SdkSession(
        enc=enc,
        ephemeral_key=key,
        sdk_reference_number=V_SDK_REF,
        sdk_trans_id=V_SDK_TRANS_ID,
        message_version="2.2.0",
    )
    sdk.establish(
        acs_trans_id=V_ACS_TRANS_ID,
        three_ds_server_trans_id=V_SERVER_TRANS_ID,
        acs_ephem_pub_key=VECTORS["acsEphemPubKey"],
    )
    return sdk


def test_vectors_kdf() -> None:
    sdk = vector_session("A128CBC-HS256")
    assert sdk.sdk_ephem_pub_key == VECTORS["sdkEphemPubKey"]
    assert concat_kdf_other_info(V_SDK_REF).hex() == VECTORS["concatkdf_otherinfo_hex"]
    z = bytes.fromhex(VECTORS["Z_shared_secret_hex"])
    assert concat_kdf(z, V_SDK_REF).hex() == VECTORS["CEK_32_hex"]
    assert sdk.cek is not None and sdk.cek.hex() == VECTORS["CEK_32_hex"]
    gcm = VECTORS["A128GCM"]
    assert channel_key(sdk.cek, "A128GCM", "SDK->ACS").hex() == gcm["sdk_to_acs_key_hex"]
    assert channel_key(sdk.cek, "A128GCM", "ACS->SDK").hex() == gcm["acs_to_sdk_key_hex"]
    assert channel_key(sdk.cek, "A128CBC-HS256", "ACS->SDK") == sdk.cek


@pytest.mark.parametrize(
    ("enc", "jwe_key", "iv_key", "plaintext_key"),
    [
        ("A128CBC-HS256", "jwe", "iv_hex", "creq_plaintext"),
        ("A128GCM", "creq_jwe", "creq_iv_hex", "creq_plaintext"),
    ],
)
def test_vectors_creq_decrypts(enc: str, jwe_key: str, iv_key: str, plaintext_key: str) -> None:
    vector = VECTORS[enc]
    cek = bytes.fromhex(VECTORS["CEK_32_hex"])
    header, plaintext, iv = decrypt_jwe(vector[jwe_key], channel_key(cek, enc, "SDK->ACS"), enc)
    assert header == {"alg": "dir", "enc": enc, "kid": V_ACS_TRANS_ID}
    assert plaintext.decode() == vector.get(plaintext_key, VECTORS["A128CBC-HS256"][plaintext_key])
    assert iv.hex() == vector[iv_key]
    with pytest.raises(SdkCheckError, match="does not decrypt"):  # the other direction's key
        decrypt_jwe(vector[jwe_key], channel_key(cek, "A128GCM", "ACS->SDK"), enc)


@pytest.mark.parametrize("enc", ENCS)
def test_vectors_creq_built_like_the_vector(enc: str) -> None:
    sdk = vector_session(enc)
    body = sdk.creq(challengeDataEntry="1234")
    assert sdk.cek is not None
    header, plaintext, _ = decrypt_jwe(body.decode(), channel_key(sdk.cek, enc, "SDK->ACS"), enc)
    assert header["kid"] == V_ACS_TRANS_ID
    assert json.loads(plaintext) == json.loads(VECTORS["A128CBC-HS256"]["creq_plaintext"])


def test_vectors_gcm_cres_accepted() -> None:
    sdk = vector_session("A128GCM")
    cres = sdk.cres(VECTORS["A128GCM"]["cres_jwe"].encode(), "application/jose; charset=UTF-8")
    assert cres == json.loads(VECTORS["A128GCM"]["cres_plaintext"])
    assert sdk.finished


# --- AReq fields -------------------------------------------------------------------------------


def test_areq_fields() -> None:
    sdk = SdkSession()
    areq = sdk.areq({"messageVersion": "2.3.1", "threeDSServerTransID": V_SERVER_TRANS_ID})
    assert set(areq["sdkEphemPubKey"]) == {"kty", "crv", "x", "y"}
    assert areq["deviceRenderOptions"] == {
        "sdkInterface": "03",
        "sdkUiType": ["01", "02", "03", "04", "05"],
    }
    assert areq["sdkMaxTimeout"] == "05" and areq["deviceChannel"] == "01"
    assert json.loads(b64u_decode(areq["deviceInfo"]))["DV"] == "1.6"
    assert "=" not in areq["deviceInfo"] and "sdkEncData" not in areq
    assert areq["sdkType"] == "01"  # 2.3.x only
    uuid.UUID(areq["sdkAppID"]), uuid.UUID(areq["sdkTransID"])
    placeholder = sdk.areq_fields(leg="sdk-to-ds")["sdkEncData"]
    assert placeholder.count(".") == 4 and "deviceInfo" not in sdk.areq_fields(leg="sdk-to-ds")


def test_sdk_enc_data_rsa_ds_key() -> None:
    ds_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sdk = SdkSession(ds_public_key=ds_key.public_key(), ds_key_id="ds-key-1")
    token = jwe.JWE()
    token.deserialize(sdk.sdk_enc_data(), jwk.JWK.from_pyca(ds_key))
    assert token.jose_header == {"alg": "RSA-OAEP-256", "enc": "A128CBC-HS256", "kid": "ds-key-1"}
    assert json.loads(token.payload) == sdk.device_info


def test_sdk_enc_data_ec_ds_key_uses_the_emv_kdf() -> None:
    ds_key = ec.generate_private_key(ec.SECP256R1())
    sdk = SdkSession(ds_public_key=ds_key.public_key(), ds_id="A000000004")
    header_b64, empty, iv, ciphertext, tag = sdk.sdk_enc_data().split(".")
    header = json.loads(b64u_decode(header_b64))
    assert (header["alg"], header["enc"], empty) == ("ECDH-ES", "A128CBC-HS256", "")
    epk = header["epk"]
    peer = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64u_decode(epk["x"]), "big"),
        int.from_bytes(b64u_decode(epk["y"]), "big"),
        ec.SECP256R1(),
    ).public_key()
    z = ds_key.exchange(ec.ECDH(), peer)
    cek = hashlib.sha256(b"\0\0\0\1" + z + bytes(8) + b"\0\0\0\x0aA000000004\0\0\1\0").digest()
    mac = hmac.HMAC(cek[:16], hashes.SHA256())
    aad = header_b64.encode()
    mac.update(aad + b64u_decode(iv) + b64u_decode(ciphertext) + struct.pack(">Q", len(aad) * 8))
    assert mac.finalize()[:16] == b64u_decode(tag)
    decryptor = Cipher(algorithms.AES(cek[16:]), modes.CBC(b64u_decode(iv))).decryptor()
    padded = decryptor.update(b64u_decode(ciphertext)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    assert json.loads(unpadder.update(padded) + unpadder.finalize()) == sdk.device_info


# --- challenges against the loopback ACS -------------------------------------------------------


@pytest.mark.parametrize("enc", ENCS)
@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_text_challenge(pki: SimpleNamespace, alg: str, enc: str) -> None:
    sdk, acs = begin(pki, alg=alg, enc=enc)
    shown = sdk.cres(acs.answer(sdk.start(), TEXT_UI))
    assert shown["acsUiType"] == "01" and sdk.ui == shown and not sdk.finished
    final = sdk.cres(acs.answer(sdk.enter_text("123456"), FINAL_Y))
    assert final["transStatus"] == "Y" and sdk.finished and sdk.ui is None
    first, second = acs.creqs
    assert first == {
        "messageType": "CReq",
        "messageVersion": "2.2.0",
        "threeDSServerTransID": acs.areq["threeDSServerTransID"],
        "acsTransID": acs.acs_trans_id,
        "sdkTransID": sdk.sdk_trans_id,
        "sdkCounterStoA": "000",
    }
    assert second["sdkCounterStoA"] == "001" and second["challengeDataEntry"] == "123456"
    with pytest.raises(RuntimeError, match="no challenge UI"):
        sdk.enter_text("1")


@pytest.mark.parametrize(
    ("ui_type", "values", "entry"), [("02", "sms", "sms"), ("03", ["a", "c"], "a,c")]
)
def test_select_challenge(pki: SimpleNamespace, ui_type: str, values: Any, entry: str) -> None:
    sdk, acs = begin(pki, enc="A128GCM")
    options = [{"sms": "Text message"}, {"a": "A"}, {"c": "C"}]
    ui = TEXT_UI | {"acsUiType": ui_type, "challengeSelectInfo": options}
    sdk.cres(acs.answer(sdk.start(), ui))
    with pytest.raises(ValueError, match="not among"):
        sdk.choose("voice")
    assert sdk.cres(acs.answer(sdk.choose(values), FINAL_Y))["transStatus"] == "Y"
    assert acs.creqs[1]["challengeDataEntry"] == entry


def test_oob_cancel_resend_and_no_entry(pki: SimpleNamespace) -> None:
    sdk, acs = begin(pki)
    sdk.cres(acs.answer(sdk.start(), TEXT_UI))
    sdk.cres(acs.answer(sdk.enter_text(""), TEXT_UI))
    sdk.cres(
        acs.answer(
            sdk.resend(),
            TEXT_UI
            | {"acsUiType": "04", "oobContinueLabel": "Done", "submitAuthenticationLabel": None},
        )
    )
    sdk.cres(acs.answer(sdk.oob_continue(), TEXT_UI))
    sdk.cres(acs.answer(sdk.cancel(), FINAL_Y | {"transStatus": "N"}))
    entries = [{k: v for k, v in c.items() if k not in acs.creqs[0]} for c in acs.creqs[1:]]
    assert entries == [
        {"challengeNoEntry": "Y"},
        {"resendChallenge": "Y"},
        {"oobContinue": True},
        {"challengeCancel": "01"},
    ]
    assert [c["sdkCounterStoA"] for c in acs.creqs] == ["000", "001", "002", "003", "004"]


HTML = """<!doctype html><html><body>
<form action="https://elsewhere.example/x" method="post"><input name="wrong" value="1"></form>
<form action="HTTPS://EMV3DS/challenge" method="post" name="cardholderInput">
  <input type="hidden" name="session" value="a&amp;b">
  <input type="text" name="otp" value="">
  <input type="checkbox" name="remember" value="yes">
  <select name="channel"><option value="sms">SMS</option><option selected>email</option></select>
  <textarea name="note">hi there</textarea>
  <input type="submit" name="action" value="verify">
  <button type="submit" name="action" value="resend">Resend</button>
</form></body></html>"""


def test_html_challenge(pki: SimpleNamespace) -> None:
    sdk, acs = begin(pki, interface="02")
    ui = {"challengeCompletionInd": "N", "acsUiType": "05", "acsHTML": b64u(HTML.encode())}
    sdk.cres(acs.answer(sdk.start(), ui))
    assert sdk.html == HTML
    with pytest.raises(ValueError, match="no fields"):
        sdk.html_submit({"wrong": "1"})
    sdk.cres(acs.answer(sdk.html_submit({"otp": "12 34"}), ui))
    sdk.cres(acs.answer(sdk.html_submit(button="resend"), FINAL_Y))
    assert [c["challengeHTMLDataEntry"] for c in acs.creqs[1:]] == [
        "session=a%26b&otp=12+34&channel=email&note=hi+there&action=verify",
        "session=a%26b&otp=&channel=email&note=hi+there&action=resend",
    ]


# --- what the SDK refuses ----------------------------------------------------------------------


def _flip_signature(token: str) -> str:
    head, payload, sig = token.split(".")
    middle = len(sig) // 2
    return ".".join(
        (head, payload, sig[:middle] + ("A" if sig[middle] != "A" else "B") + sig[middle + 1 :])
    )


def _other_payload(token: str) -> str:
    head, payload, sig = token.split(".")
    body = json.loads(b64u_decode(payload)) | {"acsURL": "https://evil.example/"}
    return ".".join((head, b64u(json.dumps(body).encode()), sig))


def _hs256(acs: LoopbackAcs) -> str:
    token = jws.JWS(b"{}")
    token.add_signature(
        jwk.JWK.generate(kty="oct", size=256), alg="HS256", protected=json.dumps({"alg": "HS256"})
    )
    compact: str = token.serialize(compact=True)
    return compact


ARES_TAMPERING = {
    "bad signature": (
        lambda acs: acs.ares(acsSignedContent=_flip_signature(acs.signed_content())),
        "signature does not verify",
    ),
    "payload changed": (
        lambda acs: acs.ares(acsSignedContent=_other_payload(acs.signed_content())),
        "signature does not verify",
    ),
    "mismatched sdkEphemPubKey": (
        lambda acs: acs.ares(
            acsSignedContent=acs.signed_content(
                sdkEphemPubKey=ec_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
            )
        ),
        "sdkEphemPubKey is not the key",
    ),
    "other acsTransID": (
        lambda acs: acs.ares(acsSignedContent=acs.signed_content(acsTransID=str(uuid.uuid4()))),
        "acsTransID is not the ARes",
    ),
    "HS256": (lambda acs: acs.ares(acsSignedContent=_hs256(acs)), "only PS256 or ES256"),
    "x5c without the CA": (
        lambda acs: acs.ares(acsSignedContent=acs.signed_content(header={"x5c": acs.x5c()[:1]})),
        "does not verify to a trusted root",
    ),
    "x5c not base64": (
        lambda acs: acs.ares(acsSignedContent=acs.signed_content(header={"x5c": ["*"]})),
        r"x5c\[0\]",
    ),
    "acsEphemPubKey off the curve": (
        lambda acs: acs.ares(
            acsSignedContent=acs.signed_content(
                acsEphemPubKey=ec_jwk(acs.key.public_key()) | {"y": b64u(bytes(32))}
            )
        ),
        "acsEphemPubKey is not a usable",
    ),
    "other sdkTransID": (lambda acs: acs.ares(sdkTransID=str(uuid.uuid4())), "sdkTransID"),
    "other messageVersion": (lambda acs: acs.ares(messageVersion="2.1.0"), "messageVersion"),
    "frictionless": (lambda acs: acs.ares(transStatus="Y"), "no challenge"),
    "UI template not offered": (
        lambda acs: acs.ares(acsRenderingType={"acsInterface": "01", "acsUiTemplate": "05"}),
        "HTML UI",
    ),
}


@pytest.mark.parametrize("case", ARES_TAMPERING)
def test_ares_tampering_is_caught(pki: SimpleNamespace, case: str) -> None:
    sdk = SdkSession()
    base = {"messageVersion": "2.2.0", "threeDSServerTransID": str(uuid.uuid4())}
    acs = LoopbackAcs(sdk.areq(base), pki, "ES256", "A128CBC-HS256")
    make, message = ARES_TAMPERING[case]
    with pytest.raises(SdkCheckError, match=message):
        sdk.accept_ares(make(acs), pki.root_pem)
    assert sdk.cek is None


def test_wrong_root_and_expired_chain(pki: SimpleNamespace) -> None:
    sdk = SdkSession()
    acs = LoopbackAcs(
        sdk.areq({"threeDSServerTransID": str(uuid.uuid4())}), pki, "PS256", "A128GCM"
    )
    with pytest.raises(SdkCheckError, match="does not verify to a trusted root"):
        sdk.accept_ares(acs.ares(), pki.foreign_pem)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    with pytest.raises(SdkCheckError, match="does not verify to a trusted root"):
        sdk.accept_ares(acs.ares(), pki.root_pem, now=later)
    sdk.accept_ares(acs.ares(), [pki.foreign_pem, pki.root_pem])  # either root may be the one


def _repeat_iv(sdk: SdkSession, acs: LoopbackAcs) -> None:
    iv = os.urandom(16 if acs.enc == "A128CBC-HS256" else 12)
    sdk.cres(acs.answer(sdk.start(), TEXT_UI, iv=iv))
    sdk.cres(acs.answer(sdk.enter_text("1"), TEXT_UI, iv=iv))


CRES_TAMPERING = {
    "wrong counter": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI, counter="001")),
        "acsCounterAtoS '001', expected '000'",
    ),
    "repeated IV": (_repeat_iv, "was used before"),
    "final CRes with UI fields": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI | FINAL_Y)),
        "final CRes carries",
    ),
    "wrong kid": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI, kid="other")),
        "kid 'other' is not the acsTransID",
    ),
    "final transStatus A": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), FINAL_Y | {"transStatus": "A"})),
        "must be Y or N",
    ),
    "other messageVersion": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI | {"messageVersion": "2.1.0"})),
        "messageVersion",
    ),
    "other sdkTransID": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI | {"sdkTransID": "x"})),
        "sdkTransID",
    ),
    "select without options": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI | {"acsUiType": "02"})),
        "challengeSelectInfo",
    ),
    "acsHTML on a text UI": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI | {"acsHTML": b64u(b"<p>")})),
        "acsHTML does not belong",
    ),
    "UI 06 in 2.2.0": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI | {"acsUiType": "06"})),
        "not a UI type",
    ),
    "HTML UI after a native acsInterface": (
        lambda sdk, acs: sdk.cres(
            acs.answer(
                sdk.start(),
                {"challengeCompletionInd": "N", "acsUiType": "05", "acsHTML": b64u(HTML.encode())},
            )
        ),
        "HTML UI, acsInterface 01 is native",
    ),
    "transStatus on an interim CRes": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI | {"transStatus": "Y"})),
        "interim",
    ),
    "text UI without a submit label": (
        lambda sdk, acs: sdk.cres(
            acs.answer(sdk.start(), TEXT_UI | {"submitAuthenticationLabel": None})
        ),
        "submitAuthenticationLabel",
    ),
    "sealed with the SDK->ACS half (GCM), another key (CBC)": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI, key=acs.wrong_key)),
        "does not decrypt",
    ),
    "padded base64": (
        lambda sdk, acs: sdk.cres(acs.answer(sdk.start(), TEXT_UI) + b"=="),
        "unpadded",
    ),
    "JSON that is no Erro": (lambda sdk, acs: sdk.cres(b'{"messageType":"CRes"}'), "not an Erro"),
}


@pytest.mark.parametrize("enc", ENCS)
@pytest.mark.parametrize("case", CRES_TAMPERING)
def test_cres_tampering_is_caught(pki: SimpleNamespace, case: str, enc: str) -> None:
    sdk, acs = begin(pki, enc=enc)
    act, message = CRES_TAMPERING[case]
    with pytest.raises(SdkCheckError, match=message):
        act(sdk, acs)


def test_erro_plain_and_encrypted(pki: SimpleNamespace) -> None:
    sdk, acs = begin(pki)
    erro = {
        "messageType": "Erro",
        "messageVersion": "2.2.0",
        "errorCode": "302",
        "errorComponent": "A",
        "errorDescription": "Data decryption failure",
        "errorDetail": "CReq",
    }
    with pytest.raises(ErroReceived, match="Erro 302") as plain:
        sdk.cres(json.dumps(erro).encode(), "application/json")
    assert plain.value.erro == erro and not plain.value.encrypted
    encrypted_erro = acs.answer(sdk.start(), erro | {"acsCounterAtoS": None})
    with pytest.raises(ErroReceived) as sealed:
        sdk.cres(encrypted_erro)
    assert sealed.value.encrypted and sealed.value.erro["errorCode"] == "302"
