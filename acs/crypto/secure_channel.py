"""The app channel's secure channel between the 3DS SDK and the ACS (EMV 3DS Core spec 6.2.3-6.2.4).

Each side makes an ephemeral P-256 key pair; ECDH gives Z, and a one-round NIST SP 800-56A Concat
KDF (SHA-256, keydatalen 256, AlgorithmID and PartyUInfo empty, PartyVInfo = sdkReferenceNumber)
turns Z into a 32-byte CEK. CReq and CRes then travel as compact JWEs with ``alg: dir``,
``enc: A128CBC-HS256`` or ``A128GCM`` and ``kid: acsTransID``.

Hand-written on ``cryptography`` because no JOSE library expresses the EMV Concat KDF: JOSE's
ECDH-ES (RFC 7518 §4.6) always puts the ``enc`` name in AlgorithmID and takes the party infos from
``apu``/``apv`` header members, while EMV leaves AlgorithmID empty, takes PartyVInfo from the AReq
and then uses the result as a ``dir`` key. Nor does JOSE model EMV's A128GCM keys: the 32-byte CEK
split into one 16-byte key per direction (SDK->ACS the first half, ACS->SDK the second).

Errors are this module's own: ``EphemeralKeyError`` (a bad ``sdkEphemPubKey``),
``DecryptionError`` (anything wrong with a JWE) and ``KidMismatchError`` (a well-formed JWE for
another transaction); the flow layer maps them to Erro codes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import struct
from enum import StrEnum
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CEK_LENGTH: Final = 32
KEYDATALEN_BITS: Final = 256
_COORD_LENGTH: Final = 32  # P-256 coordinates and private scalars, in bytes
_P256_PRIME: Final = 2**256 - 2**224 + 2**192 + 2**96 - 1
_TAG_LENGTH: Final = 16
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_QUOTE_MAX: Final = 40  # how much of a peer's value an error message repeats


class Enc(StrEnum):
    """The JWE content encryption the app channel allows (``enc``)."""

    A128CBC_HS256 = "A128CBC-HS256"
    A128GCM = "A128GCM"


_IV_LENGTH: Final = {Enc.A128CBC_HS256: 16, Enc.A128GCM: 12}


class SecureChannelError(Exception):
    """Base of this module's errors; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EphemeralKeyError(SecureChannelError):
    """An ephemeral public key JWK is unusable (the flow answers Erro 203)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class DecryptionError(SecureChannelError):
    """A JWE is malformed, uses what the channel does not allow, or fails to decrypt (Erro 302)."""


class KidMismatchError(SecureChannelError):
    """A well-formed JWE whose ``kid`` is not this transaction's acsTransID (Erro 301)."""

    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"JWE kid {_quote(got)} is not the acsTransID {expected!r}")
        self.expected = expected
        self.got = got


def _quote(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 3] + "..."


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes | None:
    """Strict unpadded base64url: None on any other alphabet, padding or non-canonical tail."""
    if _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        return None
    # Unused tail bits must be zero, so each byte string has one spelling and no JWE part is
    # malleable without the change being seen.
    return data if _b64url_encode(data) == text else None


# --- ephemeral keys, ECDH and the Concat KDF ------------------------------------------------


def parse_public_jwk(jwk: object, *, field: str = "sdkEphemPubKey") -> ec.EllipticCurvePublicKey:
    """The P-256 public key of an ephemeral public JWK, or ``EphemeralKeyError`` naming the fault.

    Members other than kty, crv, x, y and d (kid, use, ...) are ignored.
    """
    if not isinstance(jwk, dict):
        raise EphemeralKeyError(field, "must be a JSON object (a JWK)")
    if jwk.get("kty") != "EC":
        raise EphemeralKeyError(field, f"kty must be EC, got {_quote(jwk.get('kty'))}")
    if jwk.get("crv") != "P-256":
        raise EphemeralKeyError(field, f"crv must be P-256, got {_quote(jwk.get('crv'))}")
    if "d" in jwk:
        raise EphemeralKeyError(field, "must be a public key, has a private part d")
    coords: list[int] = []
    for name in ("x", "y"):
        value = jwk.get(name)
        if not isinstance(value, str):
            raise EphemeralKeyError(field, f"{name} must be a base64url string")
        raw = _b64url_decode(value)
        if raw is None:
            raise EphemeralKeyError(field, f"{name} is not unpadded base64url")
        if len(raw) != _COORD_LENGTH:
            raise EphemeralKeyError(
                field, f"{name} must encode {_COORD_LENGTH} bytes for P-256, has {len(raw)}"
            )
        number = int.from_bytes(raw, "big")
        if number >= _P256_PRIME:
            raise EphemeralKeyError(field, f"{name} is not a P-256 field element")
        coords.append(number)
    try:
        return ec.EllipticCurvePublicNumbers(coords[0], coords[1], ec.SECP256R1()).public_key()
    except ValueError:
        raise EphemeralKeyError(field, "the point (x, y) is not on the P-256 curve") from None


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public JWK of a P-256 key, as ``acsEphemPubKey`` carries it."""
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url_encode(numbers.x.to_bytes(_COORD_LENGTH, "big")),
        "y": _b64url_encode(numbers.y.to_bytes(_COORD_LENGTH, "big")),
    }


def ecdh(private_key: ec.EllipticCurvePrivateKey, peer_key: ec.EllipticCurvePublicKey) -> bytes:
    """Z: the x-coordinate of the shared point, 32 bytes."""
    if not isinstance(peer_key.curve, ec.SECP256R1):
        raise EphemeralKeyError("peer key", f"must be on P-256, is on {peer_key.curve.name}")
    return private_key.exchange(ec.ECDH(), peer_key)


def concat_kdf_other_info(party_v_info: str) -> bytes:
    """OtherInfo: empty AlgorithmID and PartyUInfo, PartyVInfo, keydatalen. PartyVInfo is the
    sdkReferenceNumber for the secure channel, the directoryServerID for sdkEncData."""
    party_v = party_v_info.encode("utf-8")
    # each info is a 32-bit big-endian length then its bytes; SuppPubInfo is keydatalen in bits
    return struct.pack(">III", 0, 0, len(party_v)) + party_v + struct.pack(">I", KEYDATALEN_BITS)


def derive_cek(z: bytes, party_v_info: str) -> bytes:
    """The 32-byte CEK: Concat KDF over SHA-256. keydatalen equals the hash size: one round."""
    counter = struct.pack(">I", 1)
    return hashlib.sha256(counter + z + concat_kdf_other_info(party_v_info)).digest()


class EphemeralKey:
    """One side's ephemeral P-256 key pair for one transaction.

    ``to_bytes`` is the 32-byte private scalar, so a session can keep the key between requests
    (the caller encrypts it at rest). Keeping only the CEK is enough once it is derived.
    """

    __slots__ = ("private_key",)

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError(f"ephemeral key must be on P-256, is on {private_key.curve.name}")
        self.private_key = private_key

    def __repr__(self) -> str:
        return "EphemeralKey(<P-256 private key>)"

    @classmethod
    def generate(cls) -> EphemeralKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_bytes(cls, scalar: bytes) -> EphemeralKey:
        if len(scalar) != _COORD_LENGTH:
            raise ValueError(
                f"P-256 private scalar must be {_COORD_LENGTH} bytes, is {len(scalar)}"
            )
        # derive_private_key refuses 0 and values >= the group order
        return cls(ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1()))

    def to_bytes(self) -> bytes:
        return self.private_key.private_numbers().private_value.to_bytes(_COORD_LENGTH, "big")

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key.public_key())

    def derive_cek(self, peer_key: ec.EllipticCurvePublicKey, sdk_reference_number: str) -> bytes:
        return derive_cek(ecdh(self.private_key, peer_key), sdk_reference_number)


# --- JWE (compact, alg dir) -----------------------------------------------------------------


class _Direction(StrEnum):
    SDK_TO_ACS = "SDK->ACS"
    ACS_TO_SDK = "ACS->SDK"


def _gcm_key(cek: bytes, direction: _Direction) -> bytes:
    # EMV splits the CEK per direction for GCM; CBC-HS256 uses all 32 bytes both ways.
    return cek[:16] if direction is _Direction.SDK_TO_ACS else cek[16:]


def _cbc_tag(mac_key: bytes, aad: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    al = struct.pack(">Q", len(aad) * 8)
    return hmac.digest(mac_key, aad + iv + ciphertext + al, "sha256")[:_TAG_LENGTH]


def _encrypt(
    cek: bytes, direction: _Direction, enc: Enc, kid: str, payload: bytes, iv: bytes | None
) -> str:
    if iv is None:
        iv = os.urandom(_IV_LENGTH[enc])
    elif len(iv) != _IV_LENGTH[enc]:
        raise ValueError(f"{enc} IV must be {_IV_LENGTH[enc]} bytes, is {len(iv)}")
    header = json.dumps({"alg": "dir", "enc": str(enc), "kid": kid}, separators=(",", ":"))
    header_b64 = _b64url_encode(header.encode("utf-8"))
    aad = header_b64.encode("ascii")
    if enc is Enc.A128GCM:
        sealed = AESGCM(_gcm_key(cek, direction)).encrypt(iv, payload, aad)
        ciphertext, tag = sealed[:-_TAG_LENGTH], sealed[-_TAG_LENGTH:]
    else:
        padder = padding.PKCS7(128).padder()
        padded = padder.update(payload) + padder.finalize()
        encryptor = Cipher(algorithms.AES(cek[16:]), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padded) + encryptor.finalize()
        tag = _cbc_tag(cek[:16], aad, iv, ciphertext)
    parts = (header_b64, "", _b64url_encode(iv), _b64url_encode(ciphertext), _b64url_encode(tag))
    return ".".join(parts)


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise DecryptionError("JWE protected header has a duplicate member")
    return members


def _split(jwe: str | bytes) -> list[str]:
    if isinstance(jwe, bytes):
        try:
            jwe = jwe.decode("ascii")
        except UnicodeDecodeError:
            raise DecryptionError("JWE is not ASCII") from None
    parts = jwe.split(".")
    if len(parts) != 5:
        raise DecryptionError(f"JWE compact serialisation has 5 parts, this has {len(parts)}")
    return parts


def _read_header(header_b64: str) -> tuple[Enc, str]:
    raw = _b64url_decode(header_b64)
    if raw is None:
        raise DecryptionError("JWE protected header is not unpadded base64url")
    try:
        header = json.loads(raw, object_pairs_hook=_reject_duplicates)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DecryptionError("JWE protected header is not JSON") from None
    if not isinstance(header, dict):
        raise DecryptionError("JWE protected header is not a JSON object")
    if header.get("alg") != "dir":
        raise DecryptionError(f"JWE alg must be dir, got {_quote(header.get('alg'))}")
    enc = header.get("enc")
    if enc not in (Enc.A128CBC_HS256.value, Enc.A128GCM.value):
        raise DecryptionError(f"JWE enc must be A128CBC-HS256 or A128GCM, got {_quote(enc)}")
    # Members we would have to act on but do not support: refusing beats misreading.
    for member in ("crit", "zip"):
        if member in header:
            raise DecryptionError(f"JWE protected header member {member} is not supported")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise DecryptionError("JWE protected header has no kid (the acsTransID)")
    return Enc(enc), kid


def jwe_kid(jwe: str | bytes) -> str:
    """The ``kid`` of a JWE's protected header, unauthenticated: to find its transaction.

    Raises ``DecryptionError`` when the JWE or its header is malformed.
    """
    return _read_header(_split(jwe)[0])[1]


def _decrypt(cek: bytes, direction: _Direction, kid: str, jwe: str | bytes) -> tuple[Enc, bytes]:
    header_b64, encrypted_key, iv_b64, ciphertext_b64, tag_b64 = _split(jwe)
    enc, got_kid = _read_header(header_b64)
    if got_kid != kid:
        raise KidMismatchError(kid, got_kid)
    if encrypted_key:
        raise DecryptionError("JWE encrypted key must be empty with alg dir")
    iv = _b64url_decode(iv_b64)
    ciphertext = _b64url_decode(ciphertext_b64)
    tag = _b64url_decode(tag_b64)
    if iv is None or ciphertext is None or tag is None:
        raise DecryptionError("JWE IV, ciphertext or tag is not unpadded base64url")
    if len(iv) != _IV_LENGTH[enc]:
        raise DecryptionError(f"JWE IV must be {_IV_LENGTH[enc]} bytes for {enc}, is {len(iv)}")
    if len(tag) != _TAG_LENGTH:
        raise DecryptionError(f"JWE tag must be {_TAG_LENGTH} bytes, is {len(tag)}")
    key = _gcm_key(cek, direction) if enc is Enc.A128GCM else cek
    return enc, open_content(enc, key, header_b64, iv, ciphertext, tag)


def open_content(
    enc: Enc, key: bytes, header_b64: str, iv: bytes, ciphertext: bytes, tag: bytes
) -> bytes:
    """Decrypt and authenticate a JWE's content (RFC 7518 5.2.2 and 5.3), the protected header
    as AAD. ``key``: 16 bytes for A128GCM, 32 (MAC key then AES key) for A128CBC-HS256.
    Shared by the secure channel and the DS front's sdkEncData."""
    aad = header_b64.encode("ascii")
    if enc is Enc.A128GCM:
        try:
            return AESGCM(key).decrypt(iv, ciphertext + tag, aad)
        except InvalidTag:
            raise DecryptionError("JWE authentication tag does not match") from None
    if not ciphertext or len(ciphertext) % 16:
        raise DecryptionError("JWE ciphertext is not whole AES-CBC blocks")
    # MAC first, in constant time; only authenticated ciphertext is decrypted (no padding oracle)
    if not hmac.compare_digest(_cbc_tag(key[:16], aad, iv, ciphertext), tag):
        raise DecryptionError("JWE authentication tag does not match")
    decryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError("JWE plaintext has bad PKCS#7 padding") from None


class SecureChannel:
    """One transaction's channel: its CEK and the acsTransID every JWE names as ``kid``.

    The ACS decrypts CReqs and encrypts CRes; the SDK-side methods serve the built-in SDK and
    tests. Output IVs are random (16 bytes CBC, 12 GCM), not the counter pattern the spec allows:
    an ACS node can build a CRes again for the same counter (a retried request, another node
    carrying the session on), and a repeated GCM nonce under one key would expose the GHASH key;
    CBC needs an unpredictable IV anyway. At most 256 messages a direction make a random 96-bit
    nonce collision about 2^-81 likely. The ``iv`` parameters exist for the reference vectors.
    """

    __slots__ = ("_cek", "_creq_enc", "acs_trans_id")

    def __init__(self, cek: bytes, acs_trans_id: str) -> None:
        if len(cek) != CEK_LENGTH:
            raise ValueError(f"CEK must be {CEK_LENGTH} bytes, is {len(cek)}")
        self._cek = cek
        self.acs_trans_id = acs_trans_id
        self._creq_enc: Enc | None = None

    def __repr__(self) -> str:
        return f"SecureChannel(acs_trans_id={self.acs_trans_id!r})"

    @property
    def creq_enc(self) -> Enc | None:
        """The ``enc`` of the last CReq this channel decrypted, which its CRes answers with."""
        return self._creq_enc

    def decrypt_creq(self, jwe: str | bytes) -> bytes:
        enc, plaintext = _decrypt(self._cek, _Direction.SDK_TO_ACS, self.acs_trans_id, jwe)
        self._creq_enc = enc
        return plaintext

    def encrypt_cres(
        self, payload: bytes, *, enc: Enc | None = None, iv: bytes | None = None
    ) -> str:
        """A CRes (or Erro) JWE; ``enc`` defaults to the last CReq's."""
        enc = enc or self._creq_enc
        if enc is None:
            raise ValueError("no CReq decrypted yet: pass enc")
        return _encrypt(self._cek, _Direction.ACS_TO_SDK, enc, self.acs_trans_id, payload, iv)

    def encrypt_creq(
        self, payload: bytes, *, enc: Enc = Enc.A128CBC_HS256, iv: bytes | None = None
    ) -> str:
        return _encrypt(self._cek, _Direction.SDK_TO_ACS, enc, self.acs_trans_id, payload, iv)

    def decrypt_cres(self, jwe: str | bytes) -> bytes:
        return _decrypt(self._cek, _Direction.ACS_TO_SDK, self.acs_trans_id, jwe)[1]
