"""PAN and secret protection: keyed-hash index, AES-GCM encryption, scrypt hashes.

The PAN never sits in the store in clear: records hold ``pan_hash`` (HMAC-SHA-256 under a key
derived from the data key, so equal PANs find each other without revealing them) and ``pan_enc``
(AES-256-GCM, bound to its purpose by associated data). Knowledge-based answers and passcodes are
stored only as scrypt hashes and checked in constant time; hashing runs in a worker thread so it
never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from acs.crypto.hmac_sha256 import KeyedMac

_PAN_AAD = b"acs/pan/v1"
_SECRET_AAD = b"acs/secret/v1"

# Two kinds of secret hash. One the ACS makes itself (from a clear value in config/ or the admin
# API) is "hscrypt": scrypt over HMAC(pepper, value), the pepper derived from the data key. A
# leaked store or dump cannot be guessed offline at all without that key, so the pepper is the
# protection and scrypt only a second layer, and it is kept cheap: measured with `make bench`
# (knowledge) on 2 cores, against OTP-only flows, N=2^14 (16 MiB, 43 ms) let passcode flows run
# at 0.07 and code-then-passcode flows at 0.09; N=2^10 at 0.55 / 0.41; N=2^9 (512 KiB, ~1 ms)
# at 0.74 / 0.58 (target 0.5). With the key leaked too, all six-digit passcodes then cost ~17
# core-minutes. A hash made away from the ACS (`acs secrets hash`, without the data key) is plain
# "scrypt" at N=2^14 (~12 core-hours for all six-digit passcodes): it must stand alone. Attempt
# limits stop online guessing either way. Hashes keep the kind and cost they were made with.
_PEPPERED, _PLAIN = "hscrypt", "scrypt"
_PEPPERED_N = 2**9
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def _derive(data_key: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(data_key)


class Vault:
    def __init__(self, data_key: bytes) -> None:
        self._root = data_key
        self._derived: dict[str, bytes] = {}
        self._index_mac = KeyedMac(_derive(data_key, b"acs pan index"))  # every AReq uses it
        self._aead = AESGCM(_derive(data_key, b"acs data encryption"))

    @classmethod
    def ephemeral(cls) -> Vault:
        """For the in-process store: nothing outlives the process, so a random key is right."""
        return cls(os.urandom(32))

    def derived_key(self, purpose: str) -> bytes:
        """A key for one purpose (form tokens, OTP digests), independent of the others."""
        key = self._derived.get(purpose)
        if key is None:
            key = self._derived[purpose] = _derive(self._root, f"acs {purpose}".encode())
        return key

    def pan_hash(self, pan: str) -> str:
        return self._index_mac.hexdigest(pan.encode())

    def encrypt_pan(self, pan: str) -> str:
        return self._seal(pan.encode(), _PAN_AAD)

    def decrypt_pan(self, token: str) -> str:
        return self._open(token, _PAN_AAD).decode()

    def encrypt_secret(self, value: str) -> str:
        return self._seal(value.encode(), _SECRET_AAD)

    def decrypt_secret(self, token: str) -> str:
        return self._open(token, _SECRET_AAD).decode()

    def hash_secret(self, value: str) -> str:
        """A passcode's or KBA answer's hash, peppered with this data key (see above)."""
        return _scrypt(_PEPPERED, self._pepper(value), _PEPPERED_N)

    def verify_secret(self, value: str, stored: str) -> bool:
        """Constant-time check of a candidate against either kind of stored hash."""
        if stored.startswith(_PEPPERED + "$"):
            return _check(_PEPPERED, self._pepper(value), stored)
        return verify_secret(value, stored)

    async def hash_secret_async(self, value: str) -> str:
        return await asyncio.to_thread(self.hash_secret, value)

    async def verify_secret_async(self, value: str, stored: str) -> bool:
        return await asyncio.to_thread(self.verify_secret, value, stored)

    def _pepper(self, value: str) -> bytes:
        return hmac.digest(self.derived_key("secret pepper"), value.encode(), "sha256")

    def _seal(self, data: bytes, aad: bytes) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, data, aad)).decode()

    def _open(self, token: str, aad: bytes) -> bytes:
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], aad)


def normalise_answer(answer: str) -> str:
    """KBA answers match regardless of case and spacing ("  New York" == "new york")."""
    return " ".join(answer.casefold().split())


def hash_secret(value: str) -> str:
    """A plain hash, for `acs secrets hash`: it verifies on any ACS, whatever its data key."""
    return _scrypt(_PLAIN, value.encode(), _SCRYPT_N)


def is_secret_hash(text: str) -> bool:
    parts = text.split("$")
    return (
        len(parts) == 6
        and parts[0] in (_PLAIN, _PEPPERED)
        and all(p.isascii() and p.isdigit() and len(p) < 8 for p in parts[1:4])
    )


def verify_secret(value: str, stored: str) -> bool:
    """Constant-time check of a candidate against a plain stored hash (a peppered one needs the
    vault: ``Vault.verify_secret``)."""
    return _check(_PLAIN, value.encode(), stored)


def _scrypt(kind: str, data: bytes, n: int) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(data, salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P)
    b64 = base64.b64encode
    return f"{kind}${n}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def _check(kind: str, data: bytes, stored: str) -> bool:
    if not is_secret_hash(stored) or not stored.startswith(kind + "$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    expected = base64.b64decode(digest)
    candidate = hashlib.scrypt(
        data, salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(candidate, expected)
