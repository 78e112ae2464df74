"""acsSignedContent: the JWS checked by an independent implementation (jwcrypto), its x5c chain
checked up to the root by cryptography's X.509 path validation (PolicyBuilder/ClientVerifier),
both algorithms, tampering, and the per-range choice of algorithm."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography import x509
from cryptography.x509 import verification as pkix
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from acs.crypto.pki import ACS_EC, ACS_RSA, PKI
from acs.crypto.secure_channel import EphemeralKey
from acs.crypto.signed_content import (
    SignedContentError,
    Signer,
    Signers,
    SigningAlgorithm,
    signed_content_payload,
    verify,
)
from acs.issuer.config_files import ConfigError, load_issuer_config
from acs.issuer.models import CardRange
from tests.conftest import ROOT, auth

ALGORITHMS = list(SigningAlgorithm)
LEAF = {SigningAlgorithm.PS256: ACS_RSA, SigningAlgorithm.ES256: ACS_EC}


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI.generate(ca_bits=2048)


@pytest.fixture(scope="module")
def other_pki() -> PKI:
    return PKI.generate(ca_bits=2048)


@pytest.fixture(scope="module")
def signers(pki: PKI) -> Signers:
    return Signers(pki)


@pytest.fixture
def payload() -> dict[str, Any]:
    sdk_key = EphemeralKey.generate().public_jwk()
    return signed_content_payload(
        acs_trans_id="8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        acs_ref_number="3DS_LOA_ACS_DEMO_020300_00001",
        acs_url="https://acs.test/3ds/app/challenge",
        acs_ephem_pub_key=EphemeralKey.generate().public_jwk(),
        sdk_ephem_pub_key={**sdk_key, "use": "sig"},  # echoed as the SDK sent it
    )


def _jwcrypto_verify(token: str, alg: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An SDK's check with jwcrypto: the leaf of x5c verifies the signature for ``alg``."""
    obj = jwcrypto_jws.JWS()
    obj.deserialize(token)
    header = obj.jose_header
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0], validate=True))
    obj.verify(jwcrypto_jwk.JWK.from_pyca(leaf.public_key()), alg=alg)
    return header, json.loads(obj.payload)


def _key_usage_signs(_policy: object, _cert: x509.Certificate, ext: x509.KeyUsage | None) -> None:
    if ext is None or not ext.digital_signature:
        raise ValueError("an ACS signing certificate must allow digitalSignature")


def _pkix_chain(
    x5c: list[str], roots: list[x509.Certificate], at: dt.datetime | None = None
) -> list[x509.Certificate]:
    """RFC 5280 path validation by cryptography's verifier: leaf from x5c[0], intermediates from
    the rest, trust in ``roots``. CA certificates follow the Web PKI profile as it is; the leaf
    profile without its subjectAltName requirement (a JWS signer has no host name) and with
    keyUsage digitalSignature required."""
    certs = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in x5c]
    leaf_policy = (
        pkix.ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.SubjectAlternativeName, pkix.Criticality.AGNOSTIC, None)
        .require_present(x509.KeyUsage, pkix.Criticality.AGNOSTIC, _key_usage_signs)
    )
    verifier = (
        pkix.PolicyBuilder()
        .store(pkix.Store(roots))
        .time(at or dt.datetime.now(dt.UTC))
        .extension_policies(
            ca_policy=pkix.ExtensionPolicy.webpki_defaults_ca(), ee_policy=leaf_policy
        )
        .build_client_verifier()
    )
    return list(verifier.verify(certs[0], certs[1:]).chain)


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_jws_verifies_with_jwcrypto_and_chains_to_the_root(
    alg: SigningAlgorithm, pki: PKI, signers: Signers, payload: dict[str, Any]
) -> None:
    token = signers.sign(alg, payload)
    header, body = _jwcrypto_verify(token, alg.value)
    assert header == {"alg": alg.value, "x5c": header["x5c"]}
    assert body == payload
    assert list(body) == [
        "acsTransID",
        "acsRefNumber",
        "acsURL",
        "acsEphemPubKey",
        "sdkEphemPubKey",
    ]
    assert body["sdkEphemPubKey"]["use"] == "sig"  # the AReq's key, unchanged

    leaf = pki[LEAF[alg]]
    x5c = header["x5c"]
    assert len(x5c) == 2  # leaf, then the ACS signing CA; the root is the SDK's own
    for item in x5c:  # standard base64, not base64url: no '-' or '_', padded
        assert "-" not in item and "_" not in item and len(item) % 4 == 0
    chain = _pkix_chain(x5c, [pki.root])
    assert chain == [leaf.certificate, pki[leaf.role.issuer or ""].certificate, pki.root]

    assert verify(token, [pki.root]) == payload  # and the built-in SDK's side agrees


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_chain_of_another_root_fails(
    alg: SigningAlgorithm, other_pki: PKI, signers: Signers, payload: dict[str, Any]
) -> None:
    token = signers.sign(alg, payload)
    x5c = _jwcrypto_verify(token, alg.value)[0]["x5c"]
    with pytest.raises(pkix.VerificationError):
        _pkix_chain(x5c, [other_pki.root])
    with pytest.raises(SignedContentError, match=r"x5c\[1\]: does not chain to a trusted root"):
        verify(token, [other_pki.root])


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_tampered_payload_fails(
    alg: SigningAlgorithm, pki: PKI, signers: Signers, payload: dict[str, Any]
) -> None:
    header, _, signature = _segments(signers.sign(alg, payload))
    changed = {**payload, "acsURL": "https://evil.test/3ds/app/challenge"}
    token = ".".join([header, _b64url(json.dumps(changed).encode()), signature])
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        _jwcrypto_verify(token, alg.value)
    with pytest.raises(SignedContentError, match="signature"):
        verify(token, [pki.root])


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_tampered_header_fails(
    alg: SigningAlgorithm,
    pki: PKI,
    other_pki: PKI,
    signers: Signers,
    payload: dict[str, Any],
) -> None:
    header_b64, body, signature = _segments(signers.sign(alg, payload))
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    # another signer's chain in x5c, same algorithm: the signature no longer matches its leaf
    swapped = {**header, "x5c": Signers(other_pki)[alg].header["x5c"]}
    token = ".".join([_b64url(json.dumps(swapped).encode()), body, signature])
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        _jwcrypto_verify(token, alg.value)
    with pytest.raises(SignedContentError, match="signature"):
        verify(token, [pki.root, other_pki.root])
    # a header that only adds a member is covered by the signature too
    extra = {**header, "kid": "x"}
    token = ".".join([_b64url(json.dumps(extra).encode()), body, signature])
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        _jwcrypto_verify(token, alg.value)


def test_the_other_algorithm_in_the_header_fails(
    pki: PKI, signers: Signers, payload: dict[str, Any]
) -> None:
    header_b64, body, signature = _segments(signers.sign(SigningAlgorithm.ES256, payload))
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    token = ".".join([_b64url(json.dumps({**header, "alg": "PS256"}).encode()), body, signature])
    with pytest.raises(SignedContentError, match="another type"):
        verify(token, [pki.root])
    token = ".".join([_b64url(json.dumps({**header, "alg": "none"}).encode()), body, ""])
    with pytest.raises(SignedContentError, match="expected PS256 or ES256"):
        verify(token, [pki.root])


def test_expired_leaf_fails(payload: dict[str, Any]) -> None:
    old = PKI.generate(ca_bits=2048, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365))
    token = Signers(old).sign(SigningAlgorithm.ES256, payload)
    x5c = _jwcrypto_verify(token, "ES256")[0]["x5c"]
    with pytest.raises(pkix.VerificationError):
        _pkix_chain(x5c, [old.root])
    with pytest.raises(SignedContentError, match=r"x5c\[0\]: not valid now"):
        verify(token, [old.root])


def test_malformed_tokens_are_refused(pki: PKI) -> None:
    for token, reason in (
        ("a.b", "2 parts, expected 3"),
        ("!!!.e30.", "header: not base64url JSON"),
        (_b64url(b'{"alg":"ES256"}') + ".e30.", "x5c: missing or empty"),
        (_b64url(b'{"alg":"ES256","x5c":["@@"]}') + ".e30.", r"x5c\[0\]: not base64 DER"),
    ):
        with pytest.raises(SignedContentError, match=reason):
            verify(token, [pki.root])


def test_a_signer_refuses_a_key_of_the_wrong_type(pki: PKI) -> None:
    with pytest.raises(ValueError, match="ES256 needs an EC P-256 key"):
        Signer(SigningAlgorithm.ES256, pki.acs_rsa)
    with pytest.raises(ValueError, match="PS256 needs an RSA key"):
        Signer(SigningAlgorithm.PS256, pki.acs_ec)


def test_signers_pick_the_leaf_of_each_algorithm(pki: PKI, signers: Signers) -> None:
    assert signers[SigningAlgorithm.PS256].credential is pki.acs_rsa
    assert signers[SigningAlgorithm.ES256].credential is pki.acs_ec
    assert "PRIVATE" not in repr(signers[SigningAlgorithm.ES256])


# -- per card range ---------------------------------------------------------------------------


def test_card_ranges_choose_the_algorithm_and_config_uses_both() -> None:
    ranges = load_issuer_config(ROOT / "config").ranges
    chosen = {r.id: r.app_signing for r in ranges}
    assert set(chosen.values()) == set(SigningAlgorithm)
    assert chosen["demo-visa"] is SigningAlgorithm.ES256
    assert chosen["demo-mastercard"] is SigningAlgorithm.PS256
    default = next(r for r in ranges if r.id == "demo-discover")  # says nothing: ES256
    assert default.app_signing is SigningAlgorithm.ES256


def test_card_range_file_refuses_an_unknown_algorithm(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("cardholders.yaml", "test-cards.yaml"):
        (config / name).write_text((ROOT / "config" / name).read_text())
    text = (ROOT / "config" / "card-ranges.yaml").read_text()
    (config / "card-ranges.yaml").write_text(
        text.replace("app_signing: PS256", "app_signing: RS256", 1)
    )
    with pytest.raises(ConfigError, match=r"ranges\[1\]\.app_signing: Invalid enum value 'RS256'"):
        load_issuer_config(config)


async def test_admin_api_takes_app_signing(memory_client) -> None:  # type: ignore[no-untyped-def]
    body = {
        "id": "demo-jcb",
        "start": "3528000000000000",
        "end": "3528009999999999",
        "scheme": "jcb",
        "issuer_name": "Demo Bank",
        "acs_reference_number": "3DS_LOA_ACS_DEMO_020300_00001",
        "keys": {"cavv_key_a": "0123456789ABCDEF", "cavv_key_b": "FEDCBA9876543210"},
        "app_signing": "PS256",
    }
    resp = await memory_client.post("/admin/card-ranges", json=body, headers=auth())
    assert resp.status == 201, await resp.text()
    shown = await (await memory_client.get("/admin/card-ranges/demo-jcb", headers=auth())).json()
    assert shown["app_signing"] == "PS256"
    resp = await memory_client.post(
        "/admin/card-ranges", json={**body, "id": "x", "app_signing": "HS256"}, headers=auth()
    )
    assert resp.status == 400 and (await resp.json())["field"] == "app_signing"
    plain = {k: v for k, v in body.items() if k != "app_signing"}
    assert msgspec.convert(plain, CardRange).app_signing is SigningAlgorithm.ES256
