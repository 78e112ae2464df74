"""PAN protection and secret hashing."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from acs.issuer.vault import (
    Vault,
    hash_secret,
    is_secret_hash,
    normalise_answer,
    verify_secret,
)

PAN = "4016000000000012"


def test_pan_index_is_keyed_and_stable() -> None:
    vault = Vault(bytes(32))
    assert vault.pan_hash(PAN) == Vault(bytes(32)).pan_hash(PAN)
    assert vault.pan_hash(PAN) != Vault(bytes([1] * 32)).pan_hash(PAN)  # another key, another index
    assert PAN not in vault.pan_hash(PAN)


def test_pan_index_is_hmac_sha256_under_the_derived_key() -> None:
    """Computed here with `cryptography` alone: stores written before keep finding their PANs
    whichever SHA-256 implementation the vault runs on."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"acs pan index").derive(
        bytes(32)
    )
    mac = HMAC(key, hashes.SHA256())
    mac.update(PAN.encode())
    vault = Vault(bytes(32))
    for _ in range(3):  # the keyed state is copied, never consumed
        assert vault.pan_hash(PAN) == mac.copy().finalize().hex()
    assert vault.pan_hash("5200000000000007") != vault.pan_hash(PAN)


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
    assert await Vault(bytes(32)).verify_secret_async("123456", stored)
    assert hash_secret("123456") != stored  # salted
    assert normalise_answer("  New   York ") == normalise_answer("new york")


async def test_peppered_hashes_need_the_data_key() -> None:
    """A hash the ACS makes is keyed with its data key: another ACS (another key) cannot check
    it, so a leaked store cannot be guessed offline; plain hashes still verify everywhere."""
    vault, other = Vault(bytes(32)), Vault(bytes([1]) * 32)
    stored = vault.hash_secret("482915")
    assert stored.startswith("hscrypt$512$8$1$") and is_secret_hash(stored)
    assert vault.verify_secret("482915", stored)
    assert await vault.verify_secret_async("482915", stored)
    assert not vault.verify_secret("482916", stored)
    assert not other.verify_secret("482915", stored)
    assert not verify_secret("482915", stored)  # the plain check refuses a peppered hash
    plain = hash_secret("482915")
    assert plain.startswith("scrypt$16384$8$1$") and vault.verify_secret("482915", plain)
    assert other.verify_secret("482915", plain)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "hscrypt$",
        "hscrypt$x$8$1$c2FsdA==$ZA==",
        "scrypt$99999999999$8$1$c2FsdA==$ZA==",
        "md5$1",
    ],
)
def test_a_malformed_stored_hash_never_verifies(stored: str) -> None:
    assert not Vault(bytes(32)).verify_secret("482915", stored)
