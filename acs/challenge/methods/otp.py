"""One-time codes: drawn from a CSPRNG, kept only as an HMAC, compared in constant time.

Catalog challenge cards also accept magic codes that choose the outcome, so QA suites can drive
every ending without reading the outbox; only on catalog cards (``Session.scenario_codes``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from acs.protocol.codes import TransStatus, TransStatusReason


def new_code(length: int) -> str:
    """A random code that is never one of the magic codes (they would pick the outcome)."""
    while True:
        code = f"{secrets.randbelow(10**length):0{length}d}"
        if code not in MAGIC_CODES:
            return code


def digest(key: bytes, acs_trans_id: str, code: str) -> str:
    """Bound to the transaction, so a digest copied to another session proves nothing."""
    return hmac.new(key, f"{acs_trans_id}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(key: bytes, acs_trans_id: str, code: str, stored: str) -> bool:
    return hmac.compare_digest(digest(key, acs_trans_id, code), stored)


@dataclass(frozen=True, slots=True)
class MagicOutcome:
    code: str
    status: TransStatus
    reason: TransStatusReason | None
    description: str


MAGIC_CODES: dict[str, MagicOutcome] = {
    m.code: m
    for m in (
        MagicOutcome("111111", TransStatus.AUTHENTICATED, None, "authenticated (Y)"),
        MagicOutcome(
            "222222",
            TransStatus.NOT_AUTHENTICATED,
            TransStatusReason.AUTHENTICATION_FAILED,
            "fails at once, no retries (N/01)",
        ),
        MagicOutcome(
            "333333",
            TransStatus.UNABLE,
            TransStatusReason.ACS_TECHNICAL_ISSUE,
            "technical problem at the ACS (RReq U/22, final CRes N)",
        ),
    )
}
