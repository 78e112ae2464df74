"""sdkEncData opened by the DS front: JWEs made by independent code (jwcrypto for RSA-OAEP-256,
and the SDK simulator's own ECDH-ES with EMV's Concat KDF, on ``cryptography``)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto import jwe, jwk

from acs.crypto.pki import PKI
from acs.crypto.sdk_enc_data import DsKeys, KidError, decrypt
from acs.crypto.secure_channel import DecryptionError
from acs.sdk.jose import b64url, cbc_hs256, compact, concat_kdf, public_jwk
from acs.sdk.session import SdkSession

DS_ID = "A000000004"
DEVICE = {"DV": "1.6", "DD": {"C001": "Android"}, "DPNA": {}, "SW": []}


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI.generate(ca_bits=2048)


@pytest.fixture(scope="module")
def keys(pki: PKI) -> DsKeys:
    return DsKeys(pki.ds_rsa.key, pki.ds_ec.key)  # type: ignore[arg-type]


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_opens_what_the_sdk_simulator_encrypts(pki: PKI, keys: DsKeys, which: str) -> None:
    cert = (pki.ds_rsa if which == "rsa" else pki.ds_ec).certificate
    sdk = SdkSession(ds_public_key=cert, ds_id=DS_ID, device_info=DEVICE)
    assert json.loads(decrypt(sdk.sdk_enc_data(), keys, DS_ID)) == DEVICE


def test_rsa_oaep_256_with_a128gcm_from_jwcrypto(pki: PKI, keys: DsKeys) -> None:
    header = {"alg": "RSA-OAEP-256", "enc": "A128GCM", "kid": keys.kid("RSA-OAEP-256")}
    token = jwe.JWE(b'{"DV":"1.0"}', protected=json.dumps(header))
    token.add_recipient(jwk.JWK.from_pyca(pki.ds_rsa.certificate.public_key()))
    assert decrypt(token.serialize(compact=True), keys, DS_ID) == b'{"DV":"1.0"}'


def _ec_token(pki: PKI, party_v: str, alg: str = "ECDH-ES", **extra: str) -> str:
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    peer = pki.ds_ec.certificate.public_key()
    assert isinstance(peer, ec.EllipticCurvePublicKey)
    cek = concat_kdf(ephemeral.exchange(ec.ECDH(), peer), party_v)
    header = {"alg": alg, "enc": "A128CBC-HS256", "epk": public_jwk(ephemeral.public_key())}
    return cbc_hs256(cek, b64url(compact(header | extra).encode()), b'{"DV":"1.0"}')


def test_stripe_android_labels_ecdh_es_as_dir(pki: PKI, keys: DsKeys) -> None:
    assert decrypt(_ec_token(pki, DS_ID, alg="dir"), keys, DS_ID) == b'{"DV":"1.0"}'


def test_the_ds_id_is_part_of_the_key(pki: PKI, keys: DsKeys) -> None:
    """PartyVInfo is the directoryServerID: a JWE made for another DS does not open."""
    with pytest.raises(DecryptionError, match="tag"):
        decrypt(_ec_token(pki, "A000000003"), keys, DS_ID)


def test_a_kid_must_name_the_ds_key(pki: PKI, keys: DsKeys) -> None:
    token = _ec_token(pki, DS_ID, kid=keys.kid("ECDH-ES"))
    assert decrypt(token, keys, DS_ID) == b'{"DV":"1.0"}'
    with pytest.raises(KidError, match="kid"):
        decrypt(_ec_token(pki, DS_ID, kid="someone-else"), keys, DS_ID)


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("a.b.c", "5 parts"),
        ("!!!.a.b.c.d", "base64url"),
        (b64url(b"[1]") + ".a.b.c.d", "JSON object"),
        (b64url(b'{"alg":"A128KW","enc":"A128GCM"}') + ".a.b.c.d", "alg must be"),
        (b64url(b'{"alg":"ECDH-ES","enc":"A128GCM"}') + ".a.b.c.d", "A128CBC-HS256"),
        (b64url(b'{"alg":"ECDH-ES","enc":"A128CBC-HS256"}') + ".a.b.c.d", "epk"),
        (b64url(b'{"alg":"RSA-OAEP-256","enc":"A128GCM"}') + ".a.b.c.d", "RSA key"),
    ],
)
def test_malformed_jwes_say_what_is_wrong(keys: DsKeys, token: str, says: str) -> None:
    with pytest.raises(DecryptionError, match=says):
        decrypt(token, keys, DS_ID)


def test_a_tampered_ciphertext_fails_the_tag(pki: PKI, keys: DsKeys) -> None:
    parts = _ec_token(pki, DS_ID).split(".")
    parts[3] = b64url(bytes(16))
    with pytest.raises(DecryptionError, match="tag"):
        decrypt(".".join(parts), keys, DS_ID)
