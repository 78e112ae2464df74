"""Fit a decision to what the AReq admits (reference section 4.1, Tables A.15/A.17) and to what
this ACS can carry out; every change is returned, to be recorded with the transaction."""

from __future__ import annotations

from acs.protocol.codes import DeviceChannel, MessageVersion, TransStatus, TransStatusReason
from acs.protocol.messages import AReq
from acs.protocol.status_rules import why_not
from acs.risk.decision import Decision

# Channels with a challenge flow (3RI has none: a challenge there is not allowed at all).
CHALLENGE_CHANNELS: frozenset[DeviceChannel] = frozenset({DeviceChannel.BROWSER, DeviceChannel.APP})

_DEFAULT_REASON = {
    TransStatus.NOT_AUTHENTICATED: TransStatusReason.AUTHENTICATION_FAILED,
    TransStatus.UNABLE: TransStatusReason.ACS_TECHNICAL_ISSUE,
    TransStatus.REJECTED: TransStatusReason.SUSPECTED_FRAUD,
}
_NEEDS_REASON = frozenset(_DEFAULT_REASON)


def technical_reason(version: MessageVersion) -> TransStatusReason:
    """ "ACS technical issue" (22) exists from 2.2.0; 2.1.0 has only "invalid transaction" (07)."""
    if version.at_least_2_2:
        return TransStatusReason.ACS_TECHNICAL_ISSUE
    return TransStatusReason.INVALID_TRANSACTION


def conform(
    decision: Decision,
    areq: AReq,
    challenge_channels: frozenset[DeviceChannel] = CHALLENGE_CHANNELS,
) -> list[str]:
    """Bend a decision to the transStatus rules of this AReq; returns what changed and why.

    ``challenge_channels``: where this ACS can run a challenge (backtests pass every channel, to
    show what the rules ask for rather than what this build can deliver)."""
    changes: list[str] = []

    def change(status: TransStatus, reason: TransStatusReason | None, why: str) -> None:
        changes.append(f"{decision.status.value} -> {status.value}: {why}")
        decision.status, decision.reason = status, reason

    if decision.status is TransStatus.DECOUPLED and why_not(decision.status, areq):
        change(TransStatus.CHALLENGE, None, str(why_not(decision.status, areq)))
    if decision.status in (TransStatus.CHALLENGE, TransStatus.DECOUPLED):
        forbidden = why_not(decision.status, areq)
        if forbidden and areq.channel is DeviceChannel.THREE_RI:
            change(
                TransStatus.NOT_AUTHENTICATED, TransStatusReason.THREE_RI_NOT_SUPPORTED, forbidden
            )
        elif forbidden and not why_not(TransStatus.INFORMATIONAL, areq):
            change(TransStatus.INFORMATIONAL, None, forbidden)
        elif forbidden:
            change(TransStatus.NOT_AUTHENTICATED, TransStatusReason.INVALID_TRANSACTION, forbidden)
        elif areq.channel not in challenge_channels:
            change(
                TransStatus.UNABLE,
                TransStatusReason.ACS_TECHNICAL_ISSUE,
                f"no challenge flow for deviceChannel {areq.deviceChannel} in this ACS build",
            )
    if why_not(decision.status, areq):
        change(
            TransStatus.NOT_AUTHENTICATED,
            TransStatusReason.INVALID_TRANSACTION,
            str(why_not(decision.status, areq)),
        )
    if decision.status in _NEEDS_REASON and decision.reason is None:
        decision.reason = _DEFAULT_REASON[decision.status]
        changes.append(
            f"transStatusReason {decision.reason.value}: default for {decision.status.value}"
        )
    if decision.status not in _NEEDS_REASON:
        decision.reason = None
    if decision.reason and not decision.reason.allowed_in(areq.version):
        changes.append(
            f"transStatusReason {decision.reason.value} -> 07: not defined in {areq.messageVersion}"
        )
        decision.reason = TransStatusReason.INVALID_TRANSACTION
    return changes
