from __future__ import annotations

import secrets

import pytest

from acs.challenge import tokens
from acs.challenge.methods import otp


def test_codes_have_the_length_and_are_never_magic(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([222222, 111111, 42])
    monkeypatch.setattr(secrets, "randbelow", lambda _n: next(draws))
    assert otp.new_code(6) == "000042"  # the two magic draws were thrown away
    monkeypatch.undo()
    assert all(len(otp.new_code(n)) == n for n in (4, 6, 8))


def test_digest_is_bound_to_the_transaction_and_compared_exactly() -> None:
    key = b"k" * 32
    stored = otp.digest(key, "txn-1", "123456")
    assert otp.matches(key, "txn-1", "123456", stored)
    assert not otp.matches(key, "txn-2", "123456", stored)
    assert not otp.matches(key, "txn-1", "123457", stored)
    assert "123456" not in stored


def test_form_tokens_reject_tampering_and_expiry() -> None:
    key = b"t" * 32
    text = tokens.sign(key, tokens.FormToken("txn", "nonce", 2_000_000_000))
    expected = tokens.FormToken("txn", "nonce", 2_000_000_000)
    assert tokens.verify(key, text, now=1_000_000_000) == expected
    assert tokens.verify(key, text, now=2_000_000_001) is None  # expired
    assert tokens.verify(b"x" * 32, text, now=1) is None  # other key
    forged = text.replace("txn", "tXn", 1)
    assert tokens.verify(key, forged, now=1) is None
    assert tokens.verify(key, "a.b", now=1) is None
