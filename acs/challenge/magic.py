"""Magic answers: on the documented test cards (``Session.scenario_codes``) these entries choose
the outcome, so QA suites can drive every ending without reading the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from acs.protocol.codes import TransStatus, TransStatusReason


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
