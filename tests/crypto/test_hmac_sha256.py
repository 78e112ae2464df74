"""The hot-path HMAC is plain HMAC-SHA-256: checked against `cryptography` (OpenSSL)."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC

from acs.crypto.hmac_sha256 import KeyedMac, sha256


def reference(key: bytes, message: bytes) -> bytes:
    mac = HMAC(key, hashes.SHA256())
    mac.update(message)
    return mac.finalize()


@pytest.mark.parametrize("key_length", [0, 1, 32, 64, 65, 200])  # 64: SHA-256's block size
def test_keyed_mac_is_hmac_sha256(key_length: int) -> None:
    key = os.urandom(key_length)
    keyed = KeyedMac(key)
    for length in (0, 1, 16, 63, 64, 65, 1000):
        message = os.urandom(length)
        expected = reference(key, message)
        assert keyed.digest(message) == expected
        assert keyed.hexdigest(message) == expected.hex()
    # the keyed state is copied, never consumed: the first message again gives the same MAC
    assert keyed.digest(b"") == reference(key, b"")


def test_sha256_is_sha256() -> None:
    for data in (b"", b"abc", os.urandom(1000)):
        assert sha256(data).digest() == hashlib.sha256(data).digest()
