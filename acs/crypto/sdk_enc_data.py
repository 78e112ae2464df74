"""sdkEncData: the device information a 3DS SDK encrypts to the Directory Server's key
(reference section 6.1). The DS front opens it and forwards ``deviceInfo`` to the ACS.

Two forms:
- RSA DS key: a standard JWE, ``alg: RSA-OAEP-256``, ``enc: A128CBC-HS256`` (or A128GCM),
  opened with joserfc.
- EC DS key: ``alg: ECDH-ES`` with the SDK's ``epk``, but EMV's key derivation, not JOSE's: the
  Concat KDF has an empty AlgorithmID and PartyUInfo and PartyVInfo = the directoryServerID, and
  its 256 bits are the A128CBC-HS256 key. No JOSE library derives that (RFC 7518 4.6 puts the
  ``enc`` name in AlgorithmID), so this half is written on ``cryptography``, sharing the secure
  channel's KDF and content decryption. Stripe's Android SDK labels the same JWE ``alg: dir``
  with an ``epk``; it is read the same way.

A ``kid``, when the SDK sends one, must name the DS key (its RFC 7638 thumbprint): a wrong one
is ``KidError`` (Erro 311 from 2.3.1 on).
"""

from __future__ import annotations

import base64
import binascii
import json

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from acs.crypto.secure_channel import (
    DecryptionError,
    Enc,
    EphemeralKeyError,
    derive_cek,
    ecdh,
    open_content,
    parse_public_jwk,
)

RSA_ALG = "RSA-OAEP-256"
EC_ALG = "ECDH-ES"
_EC_ALGS = frozenset({EC_ALG, "dir"})  # "dir" with an epk: Stripe Android's label for ECDH-ES
_RSA_ALGORITHMS = (RSA_ALG, Enc.A128CBC_HS256.value, Enc.A128GCM.value)
_IV_LENGTH = {Enc.A128CBC_HS256: 16}
_TAG_LENGTH = 16


class KidError(DecryptionError):
    """The JWE names a key the DS does not have."""


class DsKeys:
    """The DS's private keys for sdkEncData, made once at start-up, with their kids."""

    __slots__ = ("ec", "kids", "rsa_jwk")

    def __init__(self, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> None:
        self.rsa_jwk = RSAKey.import_key(rsa_key)  # joserfc's form, made once, not per AReq
        self.ec = ec_key
        self.kids = {
            RSA_ALG: self.rsa_jwk.thumbprint(),
            EC_ALG: ECKey.import_key(ec_key).thumbprint(),
        }

    def kid(self, alg: str) -> str:
        """The kid an SDK may send for this key (RSA-OAEP-256 or ECDH-ES)."""
        return self.kids[alg]


def decrypt(token: str, keys: DsKeys, directory_server_id: str) -> bytes:
    """The plaintext (the device information JSON) of an sdkEncData JWE.

    Raises ``KidError`` for a kid that is not the DS key's, ``DecryptionError`` for anything
    else wrong with the JWE; the message says what.
    """
    parts = token.split(".")
    if len(parts) != 5:
        raise DecryptionError(f"sdkEncData: a compact JWE has 5 parts, this has {len(parts)}")
    header = _header(parts[0])
    alg, enc = header.get("alg"), header.get("enc")
    if alg == RSA_ALG or alg not in _EC_ALGS:
        _check_kid(header, keys, RSA_ALG)
        return _decrypt_rsa(token, keys, alg)
    if enc != Enc.A128CBC_HS256.value:
        raise DecryptionError(f"sdkEncData: {alg} needs enc A128CBC-HS256, got {enc!r}")
    _check_kid(header, keys, EC_ALG)
    try:
        peer = parse_public_jwk(header.get("epk"), field="sdkEncData epk")
    except EphemeralKeyError as exc:
        raise DecryptionError(str(exc)) from None
    cek = derive_cek(ecdh(keys.ec, peer), directory_server_id)
    if parts[1]:
        raise DecryptionError("sdkEncData: the encrypted key must be empty with ECDH-ES")
    iv, ciphertext, tag = (_b64(p) for p in parts[2:])
    if len(iv) != _IV_LENGTH[Enc.A128CBC_HS256] or len(tag) != _TAG_LENGTH:
        raise DecryptionError("sdkEncData: IV must be 16 bytes and tag 16 bytes")
    return open_content(Enc.A128CBC_HS256, cek, parts[0], iv, ciphertext, tag)


def _decrypt_rsa(token: str, keys: DsKeys, alg: object) -> bytes:
    if alg != RSA_ALG:
        raise DecryptionError(
            f"sdkEncData: alg must be {RSA_ALG} (RSA DS key) or {EC_ALG} (EC DS key), "
            f"got {str(alg)[:40]!r}"
        )
    try:
        plaintext = jwe.decrypt_compact(token, keys.rsa_jwk, algorithms=_RSA_ALGORITHMS).plaintext
    except (JoseError, ValueError) as exc:
        raise DecryptionError(f"sdkEncData: cannot decrypt with the DS RSA key: {exc}") from None
    if plaintext is None:
        raise DecryptionError("sdkEncData: empty plaintext")
    return plaintext


def _check_kid(header: dict[str, object], keys: DsKeys, alg: str) -> None:
    kid = header.get("kid")
    if kid is not None and kid != keys.kid(alg):
        raise KidError(
            f"sdkEncData: kid {str(kid)[:64]!r} is not the DS {alg} key's ({keys.kid(alg)})"
        )


def _header(part: str) -> dict[str, object]:
    try:
        header = json.loads(_b64(part))
    except ValueError:
        raise DecryptionError("sdkEncData: the protected header is not JSON") from None
    if not isinstance(header, dict):
        raise DecryptionError("sdkEncData: the protected header is not a JSON object")
    return header


def _b64(part: str) -> bytes:
    try:
        return base64.b64decode(part + "=" * (-len(part) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("sdkEncData: a JWE part is not base64url") from None
