"""What a successful challenge (SCA) changes in risk state. The challenge flows call this once, when
a challenge ends with transStatus Y.

- the low-value exemption count and total start again (PSD2 RTS art. 16: "since the last SCA");
- when the requestor asked to add the merchant to the cardholder's trusted list
  (threeDSRequestorChallengeInd 09) and the cardholder agreed, the merchant becomes a trusted
  beneficiary (art. 13), so later payments there may be exempt.
"""

from __future__ import annotations

import structlog

from acs.issuer.directory import Directory
from acs.risk.counters import Counters

log = structlog.get_logger("acs.sca")


async def sca_succeeded(
    *,
    counters: Counters,
    directory: Directory,
    pan_hash: str,
    cardholder_id: str | None,
    trust_requested: bool,
    merchant: str | None,
) -> list[str]:
    """Apply the effects of a successful SCA; returns what changed (for the transaction record).

    ``trust_requested``: the AReq carried threeDSRequestorChallengeInd 09 and the cardholder
    completed the challenge it prompted (the simulator takes completing it as consent).
    """
    await counters.reset_after_sca(pan_hash)
    changes = ["low-value counters reset"]
    wanted = trust_requested and cardholder_id and merchant
    if wanted and await directory.trust_merchant(str(cardholder_id), str(merchant)):
        changes.append(f"merchant {merchant!r} added to trusted beneficiaries")
    log.info("sca.succeeded", cardholder=cardholder_id, changes=changes)
    return changes
