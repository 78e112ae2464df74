"""Which ARes transStatus values a given AReq admits (reference section 4.1, Tables A.15/A.17)."""

from __future__ import annotations

from acs.protocol.codes import ChallengeInd, DeviceChannel, MessageVersion, TransStatus
from acs.protocol.messages import AReq


def _statuses(codes: str) -> frozenset[TransStatus]:
    return frozenset(TransStatus(c) for c in codes)


_BY_VERSION: dict[MessageVersion, frozenset[TransStatus]] = {
    MessageVersion.V2_1_0: _statuses("YNUACR"),
    MessageVersion.V2_2_0: _statuses("YNUACRDI"),
    MessageVersion.V2_3_1: _statuses("YNUACRDIS"),
}
_INFORMATIONAL_INDICATORS = frozenset(
    {
        ChallengeInd.NO_CHALLENGE_TRA_PERFORMED,
        ChallengeInd.NO_CHALLENGE_DATA_SHARE_ONLY,
        ChallengeInd.NO_CHALLENGE_SCA_PERFORMED,
    }
)


def why_not(status: TransStatus, areq: AReq) -> str | None:
    """None when ``status`` may appear in the ARes for ``areq``, else the rule that forbids it."""
    version = areq.version
    if status not in _BY_VERSION[version]:
        return f"transStatus {status.value} does not exist in {version.value}"
    indicators = areq.challenge_indicators
    if status in (TransStatus.CHALLENGE, TransStatus.DECOUPLED):
        if areq.channel is DeviceChannel.THREE_RI:
            return f"transStatus {status.value} is not allowed for 3RI (deviceChannel 03)"
        if ChallengeInd.NO_CHALLENGE_DATA_SHARE_ONLY in indicators:
            return f"transStatus {status.value} is not allowed with threeDSRequestorChallengeInd 06"
    if status is TransStatus.DECOUPLED and not areq.decoupled_requested:
        return "transStatus D needs threeDSRequestorDecReqInd Y"
    if status is TransStatus.INFORMATIONAL and not _INFORMATIONAL_INDICATORS & set(indicators):
        return "transStatus I needs threeDSRequestorChallengeInd 05, 06 or 07"
    if status is TransStatus.SPC:
        return "transStatus S (SPC) is not offered by this ACS"
    return None
