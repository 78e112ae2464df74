"""What is derived from keys is cached (DES contexts, key bytes, key-set problems): the cached
results must be the uncached ones, whatever the order and mix of calls."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from acs.crypto import cavv
from acs.crypto.authvalue import AuthContext, generate, verify
from acs.crypto.keys import KeySet
from acs.protocol.codes import AuthenticationMethod, TransStatus
from acs.protocol.schemes import Scheme

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - cryptography 42
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES


def fresh_encrypt(key: bytes, data: bytes) -> bytes:
    return Cipher(TripleDES(key * 3), modes.ECB()).encryptor().update(data)


def fresh_decrypt(key: bytes, data: bytes) -> bytes:
    return Cipher(TripleDES(key * 3), modes.ECB()).decryptor().update(data)


def test_shared_des_contexts_give_fresh_results() -> None:
    keys = [os.urandom(8) for _ in range(3)]
    for i in range(60):
        key = keys[i % 3]
        data = os.urandom(8 * (1 + i % 3))
        assert cavv.des_encrypt(key, data) == fresh_encrypt(key, data)
        assert cavv.des_decrypt(key, data) == fresh_decrypt(key, data)


def test_partial_blocks_do_not_leak_into_later_calls() -> None:
    key, block = os.urandom(8), os.urandom(8)
    assert cavv.des_encrypt(key, block[:5]) == fresh_encrypt(key, block[:5]) == b""
    assert cavv.des_decrypt(key, block[:3]) == b""
    assert cavv.des_encrypt(key, block) == fresh_encrypt(key, block)
    assert cavv.des_decrypt(key, block) == fresh_decrypt(key, block)


def test_key_buffers_and_bad_keys() -> None:
    key, block = os.urandom(8), os.urandom(8)
    assert cavv.des_encrypt(bytearray(key), block) == fresh_encrypt(key, block)  # type: ignore[arg-type]
    for _ in range(2):  # errors are not cached away
        with pytest.raises(ValueError, match="8 bytes"):
            cavv.des_encrypt(b"short", block)


def test_validate_for_returns_a_list_of_its_own() -> None:
    keys = KeySet(cavv_key_a="0123456789ABCDEF")
    problems = keys.validate_for(Scheme.VISA)
    assert problems and problems is not keys.validate_for(Scheme.VISA)
    problems.clear()
    assert keys.validate_for(Scheme.VISA)
    assert KeySet(cavv_key_a="0123456789ABCDEF") == keys  # equal key sets share the result
    assert KeySet(cavv_key_a="0123456789ABCDEF").validate_for(Scheme.VISA)


def test_invalid_key_pairs_always_raise() -> None:
    bad = KeySet(cavv_key_a="0123456789ABCDEF", cavv_key_b="XYZ")
    for _ in range(2):
        with pytest.raises(ValueError, match="cavv_key_a/cavv_key_b"):
            bad.cavv_keys()


def test_values_do_not_depend_on_call_order() -> None:
    """Interleave key sets and schemes: each value still verifies under its own keys only."""
    one = KeySet(cavv_key_a="0123456789ABCDEF", cavv_key_b="FEDCBA9876543210")
    two = KeySet(cavv_key_a="89ABCDEF01234567", cavv_key_b="76543210FEDCBA98")
    ctx = AuthContext(
        scheme=Scheme.VISA,
        pan="4123456789012345",
        status=TransStatus.AUTHENTICATED,
        method=AuthenticationMethod.SMS_OTP,
        ds_trans_id="f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
    )
    atn = "9602231034727993"
    first = generate(one, ctx, atn=atn)
    second = generate(two, ctx, atn=atn)
    assert first.value != second.value
    for _ in range(3):
        assert generate(one, ctx, atn=atn) == first
        assert generate(two, ctx, atn=atn) == second
    assert verify(one, ctx, first.value, first.evidence)
    assert not verify(two, ctx, first.value, first.evidence)
