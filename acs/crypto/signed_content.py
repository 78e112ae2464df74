"""The ARes ``acsSignedContent``: a compact JWS the 3DS SDK checks before its first CReq.

Header ``{"alg": "PS256" | "ES256", "x5c": [leaf, CA, ...]}`` (standard base64 DER, leaf first,
without the root the SDK already holds); payload the JSON object of ``signed_content_payload``:
``acsTransID``, ``acsRefNumber``, ``acsURL``, ``acsEphemPubKey`` (the ACS's ephemeral P-256
public key as a JWK) and ``sdkEphemPubKey`` (the AReq's key, echoed as received). Reference
section 6.2.

A ``Signer`` holds the joserfc key object, algorithm and serialized header, all made at start-up,
so ``sign`` only encodes the payload and signs. ``verify`` is the SDK's side (chain to
a trusted root, then the signature), for the built-in SDK and the failure switches.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import msgspec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import urlsafe_b64decode, urlsafe_b64encode

from acs.crypto.pki import PKI, Credential, rogue_signing

_encode = msgspec.json.Encoder().encode


class SigningAlgorithm(StrEnum):
    """The JWS algorithms EMV 3DS SDKs accept for acsSignedContent."""

    ES256 = "ES256"  # ECDSA P-256 with SHA-256
    PS256 = "PS256"  # RSASSA-PSS with SHA-256


class SignedContentError(ValueError):
    """acsSignedContent that does not verify; the message says why."""


def x5c(chain: Sequence[x509.Certificate]) -> list[str]:
    """The ``x5c`` header value: standard base64 (not base64url) of each DER certificate."""
    der = serialization.Encoding.DER
    return [base64.b64encode(cert.public_bytes(der)).decode("ascii") for cert in chain]


class Signer:
    """Signs acsSignedContent with one credential; everything but the signature is ready.

    At start-up joserfc serializes the header once (the ~3 KB ``x5c`` took a third of an ES256
    signature when encoded per call); ``sign`` then appends the payload and has joserfc's
    algorithm sign the JWS signing input.
    """

    __slots__ = ("_alg", "_header_segment", "_key", "algorithm", "credential", "header")

    def __init__(self, algorithm: SigningAlgorithm, credential: Credential) -> None:
        key = credential.key
        if algorithm is SigningAlgorithm.ES256:
            if not (isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"):
                raise ValueError(f"ES256 needs an EC P-256 key, {credential.role.name} is not")
            self._key: ECKey | RSAKey = ECKey.import_key(key)
        else:
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"PS256 needs an RSA key, {credential.role.name} is not")
            self._key = RSAKey.import_key(key)
        self.algorithm = algorithm
        self.credential = credential
        self.header: dict[str, Any] = {"alg": algorithm.value, "x5c": x5c(credential.chain)}
        registry = jws.JWSRegistry(algorithms=[algorithm.value])
        # joserfc checks the header and the key against the algorithm here, once
        first = jws.serialize_compact(self.header, b"{}", self._key, registry=registry)
        self._header_segment = first.split(".", 1)[0].encode("ascii") + b"."
        self._alg = registry.get_alg(algorithm.value)

    def __repr__(self) -> str:
        return f"Signer({self.algorithm.value}, {self.credential!r})"

    def sign(self, payload: Mapping[str, Any]) -> str:
        """The compact JWS of ``payload`` (encoded as compact JSON)."""
        return self.sign_segment(urlsafe_b64encode(_encode(payload)))

    def sign_segment(self, payload_segment: bytes) -> str:
        """The compact JWS of an already base64url-encoded payload."""
        signing_input = self._header_segment + payload_segment
        signature = urlsafe_b64encode(self._alg.sign(signing_input, self._key))
        return (signing_input + b"." + signature).decode("ascii")


class Signers:
    """One Signer per algorithm, from the PKI: PS256 with the RSA leaf, ES256 with the EC one."""

    __slots__ = ("_by_alg", "_rogue")

    def __init__(self, pki: PKI) -> None:
        self._by_alg = {
            SigningAlgorithm.PS256: Signer(SigningAlgorithm.PS256, pki.acs_rsa),
            SigningAlgorithm.ES256: Signer(SigningAlgorithm.ES256, pki.acs_ec),
        }
        self._rogue = Signer(SigningAlgorithm.ES256, rogue_signing())  # the bad-x5c fault's

    def __getitem__(self, algorithm: SigningAlgorithm) -> Signer:
        return self._by_alg[algorithm]

    def sign(self, algorithm: SigningAlgorithm, payload: Mapping[str, Any]) -> str:
        return self._by_alg[algorithm].sign(payload)

    def resign_rogue(self, token: str) -> str:
        """``token``'s payload signed again by the rogue key, whose x5c chain reaches no
        trusted root (the bad-x5c fault)."""
        return self._rogue.sign_segment(token.split(".")[1].encode("ascii"))


def tampered(token: str) -> str:
    """``token`` with its signature's first byte flipped: the header and x5c are fine, the
    signature does not verify (the bad-signature fault)."""
    header, payload, signature = token.split(".")
    raw = bytearray(urlsafe_b64decode(signature.encode("ascii")))
    raw[0] ^= 0xFF
    return f"{header}.{payload}.{urlsafe_b64encode(bytes(raw)).decode('ascii')}"


def signed_content_payload(
    *,
    acs_trans_id: str,
    acs_ref_number: str,
    acs_url: str,
    acs_ephem_pub_key: Mapping[str, Any],
    sdk_ephem_pub_key: Mapping[str, Any],
) -> dict[str, Any]:
    """The JWS payload. ``acs_ephem_pub_key`` is a public JWK ``{kty, crv, x, y}``;
    ``sdk_ephem_pub_key`` is the AReq's ``sdkEphemPubKey``, unchanged."""
    return {
        "acsTransID": acs_trans_id,
        "acsRefNumber": acs_ref_number,
        "acsURL": acs_url,
        "acsEphemPubKey": dict(acs_ephem_pub_key),
        "sdkEphemPubKey": dict(sdk_ephem_pub_key),
    }


# -- the SDK's side ---------------------------------------------------------------------------

# joserfc refuses headers over 512 bytes by default; an x5c of two certificates is ~3 KB.
_ALGORITHMS = frozenset(a.value for a in SigningAlgorithm)
_VERIFY_REGISTRY = jws.JWSRegistry(algorithms=_ALGORITHMS, strict_check_header=False)
_VERIFY_REGISTRY.max_header_length = 16_000


def verify(
    token: str, roots: Sequence[x509.Certificate], *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """What a 3DS SDK does with acsSignedContent: ``alg`` is PS256 or ES256, ``x5c`` chains
    (leaf first) to one of ``roots`` with every certificate valid at ``now``, and the signature
    verifies with the leaf's key. Returns the payload; raises SignedContentError."""
    header = _header(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _ALGORITHMS:
        raise SignedContentError(f"alg {alg!r}: expected PS256 or ES256")
    chain = _chain(header.get("x5c"))
    _check_chain(chain, roots, now or dt.datetime.now(dt.UTC))
    public = chain[0].public_key()
    key: ECKey | RSAKey
    if alg == SigningAlgorithm.ES256 and isinstance(public, ec.EllipticCurvePublicKey):
        key = ECKey.import_key(public)
    elif alg == SigningAlgorithm.PS256 and isinstance(public, rsa.RSAPublicKey):
        key = RSAKey.import_key(public)
    else:
        raise SignedContentError(f"alg {alg}: the x5c leaf holds a key of another type")
    try:
        obj = jws.deserialize_compact(token, key, registry=_VERIFY_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise SignedContentError(f"signature: {exc}") from exc
    try:
        payload = json.loads(obj.payload)
    except ValueError as exc:
        raise SignedContentError("payload: not JSON") from exc
    if not isinstance(payload, dict):
        raise SignedContentError("payload: not a JSON object")
    return payload


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise SignedContentError(f"not a compact JWS: {len(parts)} parts, expected 3")
    try:
        raw = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4))
        header = json.loads(raw)
    except (ValueError, binascii.Error) as exc:
        raise SignedContentError("header: not base64url JSON") from exc
    if not isinstance(header, dict):
        raise SignedContentError("header: not a JSON object")
    return header


def _chain(value: object) -> list[x509.Certificate]:
    if not isinstance(value, list) or not value:
        raise SignedContentError("x5c: missing or empty")
    chain = []
    for i, item in enumerate(value):
        try:
            der = base64.b64decode(item, validate=True) if isinstance(item, str) else b""
            chain.append(x509.load_der_x509_certificate(der))
        except (ValueError, binascii.Error) as exc:
            raise SignedContentError(f"x5c[{i}]: not base64 DER of a certificate") from exc
    return chain


def _check_chain(
    chain: list[x509.Certificate], roots: Sequence[x509.Certificate], now: dt.datetime
) -> None:
    for i, cert in enumerate(chain):
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise SignedContentError(
                f"x5c[{i}]: not valid now (from {cert.not_valid_before_utc:%Y-%m-%d} "
                f"to {cert.not_valid_after_utc:%Y-%m-%d})"
            )
        if i + 1 < len(chain) and not _issued_by(cert, chain[i + 1]):
            raise SignedContentError(f"x5c[{i}]: not issued by x5c[{i + 1}]")
        if i > 0 and not _is_ca(cert):
            raise SignedContentError(f"x5c[{i}]: not a CA certificate")
    last = chain[-1]
    if last in roots:
        return
    for root in roots:
        if _issued_by(last, root) and root.not_valid_before_utc <= now <= root.not_valid_after_utc:
            return
    raise SignedContentError(
        f"x5c[{len(chain) - 1}]: does not chain to a trusted root "
        f"(issuer {last.issuer.rfc4514_string()!r})"
    )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return _is_ca(issuer)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
