"""The SDK's cryptography, on jwcrypto and ``cryptography`` only (never the ACS's own code, which
it checks): base64url, P-256 JWKs, EMV's Concat KDF (reference section 6.3), the CReq/CRes JWE
(6.4), the sdkEncData JWE to a DS key (6.1) and the x5c chain of acsSignedContent (6.2)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import struct
from collections.abc import Sequence
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.x509 import verification as pkix
from jwcrypto import jwe, jwk
from jwcrypto.common import JWException

from acs.sdk.errors import SdkCheckError

ENCS: Final = ("A128CBC-HS256", "A128GCM")
SIGNING_ALGS: Final = ("PS256", "ES256")
_CURVE_BYTES: Final = 32


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded or padded base64url; ValueError on anything else (+, /, spaces)."""
    if any(c in text for c in "+/ \n\r\t"):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(_CURVE_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_CURVE_BYTES, "big")),
    }


def concat_kdf_other_info(party_v: str) -> bytes:
    """EMV's OtherInfo: empty AlgorithmID and PartyUInfo, PartyVInfo, keydatalen 256 bits."""
    v = party_v.encode("utf-8")
    return struct.pack(">II", 0, 0) + struct.pack(">I", len(v)) + v + struct.pack(">I", 256)


def concat_kdf(z: bytes, party_v: str) -> bytes:
    """The 32-byte CEK by cryptography's NIST SP 800-56A Concat KDF (SHA-256)."""
    kdf = ConcatKDFHash(hashes.SHA256(), 32, otherinfo=concat_kdf_other_info(party_v))
    return kdf.derive(z)


def channel_key(cek: bytes, enc: str, direction: str) -> bytes:
    """CBC-HS256 uses the whole CEK both ways; GCM SDK->ACS the first half, ACS->SDK the second."""
    if enc == "A128CBC-HS256":
        return cek
    return cek[:16] if direction == "SDK->ACS" else cek[16:]


def encrypt_jwe(payload: bytes, key: bytes, enc: str, kid: str) -> str:
    """A compact JWE, alg dir, by jwcrypto (random IV)."""
    token = jwe.JWE(
        payload, protected=compact({"alg": "dir", "enc": enc, "kid": kid}), algs=["dir", enc]
    )
    token.add_recipient(jwk.JWK(kty="oct", k=b64url(key)))
    serialized: str = token.serialize(compact=True)
    return serialized


def decrypt_jwe(token: str, key: bytes, enc: str) -> tuple[dict[str, Any], bytes, bytes]:
    """(protected header, plaintext, IV) of a compact alg-dir JWE, by jwcrypto."""
    obj = jwe.JWE(algs=["dir", enc])
    try:
        obj.deserialize(token, jwk.JWK(kty="oct", k=b64url(key)))
    except (JWException, ValueError) as exc:
        raise SdkCheckError(f"JWE does not decrypt: {exc}", "302") from exc
    header: dict[str, Any] = obj.jose_header
    return header, obj.payload, obj.objects["iv"]


def cbc_hs256(cek: bytes, header_b64: str, plaintext: bytes) -> str:
    """A128CBC-HS256 content encryption (RFC 7518 5.2), for the EMV EC sdkEncData only."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(cek[16:]), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize())
    ciphertext += encryptor.finalize()
    aad = header_b64.encode("ascii")
    mac = hmac.HMAC(cek[:16], hashes.SHA256())
    mac.update(aad + iv + ciphertext + struct.pack(">Q", len(aad) * 8))
    tag = mac.finalize()[:16]
    return ".".join((header_b64, "", b64url(iv), b64url(ciphertext), b64url(tag)))


def _signs(_policy: object, _cert: x509.Certificate, ext: x509.KeyUsage | None) -> None:
    if ext is None or not ext.digital_signature:
        raise ValueError("the signing certificate's keyUsage must allow digitalSignature")


def verify_x5c(
    x5c: object, roots: Sequence[x509.Certificate], now: dt.datetime
) -> x509.Certificate:
    """The leaf of ``x5c`` once the chain verifies up to ``roots`` (RFC 5280 path validation by
    cryptography's ClientVerifier). CAs follow the Web PKI profile; the leaf needs no
    subjectAltName (a JWS signer has no host name) and no particular extendedKeyUsage (the
    PKIX CertPathBuilder an Android SDK uses checks none), but keyUsage digitalSignature."""
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise SdkCheckError("x5c must be a non-empty array of base64 certificates")
    certs = []
    for i, item in enumerate(x5c):
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode(item, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise SdkCheckError(f"x5c[{i}] is not standard base64 of a DER certificate") from exc
    ee_policy = (
        pkix.ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.SubjectAlternativeName, pkix.Criticality.AGNOSTIC, None)
        .may_be_present(x509.ExtendedKeyUsage, pkix.Criticality.AGNOSTIC, None)
        .require_present(x509.KeyUsage, pkix.Criticality.AGNOSTIC, _signs)
    )
    verifier = (
        pkix.PolicyBuilder()
        .store(pkix.Store(list(roots)))
        .time(now)
        .extension_policies(
            ca_policy=pkix.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy
        )
        .build_client_verifier()
    )
    try:
        verifier.verify(certs[0], certs[1:])
    except pkix.VerificationError as exc:
        raise SdkCheckError(f"x5c chain does not verify to a trusted root: {exc}") from exc
    return certs[0]


def ec_public_key(value: object) -> ec.EllipticCurvePublicKey:
    """acsEphemPubKey as jwcrypto imports it: a public EC P-256 JWK with a point on the curve."""
    if not isinstance(value, dict) or value.get("kty") != "EC" or value.get("crv") != "P-256":
        raise SdkCheckError(f"acsEphemPubKey {value!r} is not an EC P-256 JWK")
    if "d" in value:
        raise SdkCheckError("acsEphemPubKey carries a private key (d)")
    try:
        key = jwk.JWK(kty="EC", crv="P-256", x=value.get("x"), y=value.get("y"))
        public = key.get_op_key("wrapKey")
    except (JWException, ValueError, TypeError) as exc:
        raise SdkCheckError(f"acsEphemPubKey is not a usable P-256 key: {exc}") from exc
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise SdkCheckError("acsEphemPubKey is not an EC public key")
    return public
