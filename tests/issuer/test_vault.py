"""PAN protection and secret hashing."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from acs.issuer.vault import (
    Vault,
    hash_secret,
    is_secret_hash,
    normalise_answer,
    verify_secret,
    verify_secret_async,
)

PAN = "4016000000000012"


def test_pan_index_is_keyed_and_stable() -> None:
    vault = Vault(bytes(32))
    assert vault.pan_hash(PAN) == Vault(bytes(32)).pan_hash(PAN)
    assert vault.pan_hash(PAN) != Vault(bytes([1] * 32)).pan_hash(PAN)  # another key, another index
    assert PAN not in vault.pan_hash(PAN)


def test_pan_and_secret_encryption_round_trip_and_detect_tampering() -> None:
    vault = Vault(bytes(32))
    token = vault.encrypt_pan(PAN)
    assert PAN not in token and vault.decrypt_pan(token) == PAN
    assert vault.encrypt_pan(PAN) != token  # a fresh nonce every time
    secret = vault.encrypt_secret("JBSWY3DPEHPK3PXP")
    assert vault.decrypt_secret(secret) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidTag):
        vault.decrypt_pan(secret)  # bound to its purpose
    with pytest.raises(InvalidTag):
        Vault(bytes([2] * 32)).decrypt_pan(token)


def test_derived_keys_differ_by_purpose() -> None:
    vault = Vault(bytes(32))
    assert vault.derived_key("otp") != vault.derived_key("form token")
    assert vault.derived_key("otp") == Vault(bytes(32)).derived_key("otp")


async def test_secret_hashes_verify_only_the_right_value() -> None:
    stored = hash_secret("123456")
    assert is_secret_hash(stored) and "123456" not in stored
    assert verify_secret("123456", stored)
    assert not verify_secret("123457", stored)
    assert not verify_secret("123456", "plain-text")
    assert await verify_secret_async("123456", stored)
    assert hash_secret("123456") != stored  # salted
    assert normalise_answer("  New   York ") == normalise_answer("new york")
