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

# scrypt cost, measured with `make bench` (knowledge) on 2 cores: N=2^14 (16 MiB, ~43 ms) let
# passcode flows run at 0.07 of OTP flows; N=2^12 (4 MiB, ~8 ms) at ~0.15, and a leaked hash of
# a six-digit passcode still costs ~2.3 core-hours to guess; N=2^10 would reach 0.5 at ~35
# core-minutes. Attempt limits stop online guessing; this cost is for a leaked store. Existing
# hashes keep the cost they were made with (it is in the hash).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**12, 8, 1


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
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(value.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def is_secret_hash(text: str) -> bool:
    parts = text.split("$")
    return len(parts) == 6 and parts[0] == "scrypt" and all(p.isdigit() for p in parts[1:4])


def verify_secret(value: str, stored: str) -> bool:
    """Constant-time comparison of a candidate against a stored scrypt hash."""
    if not is_secret_hash(stored):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    expected = base64.b64decode(digest)
    candidate = hashlib.scrypt(
        value.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
    )
    return hmac.compare_digest(candidate, expected)


async def hash_secret_async(value: str) -> str:
    return await asyncio.to_thread(hash_secret, value)


async def verify_secret_async(value: str, stored: str) -> bool:
    return await asyncio.to_thread(verify_secret, value, stored)
