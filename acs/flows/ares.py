"""build_ares: the ARes for a decided AReq, per version and channel (reference section 3.2)."""

from __future__ import annotations

import base64
import json
from typing import Any

from acs.challenge.methods.wire import WIRE
from acs.crypto import authvalue
from acs.flows.app import AppSetup
from acs.issuer.models import CardholderRecord, CardRange, ChallengeMethod
from acs.protocol.codes import ChallengeInd, DeviceChannel, MessageType, MessageVersion, TransStatus
from acs.protocol.messages import AReq, ARes, CardholderInfo
from acs.risk.decision import Decision
from acs.risk.model import Exemption


def build_ares(
    areq: AReq,
    acs_trans_id: str,
    card_range: CardRange,
    decision: Decision,
    auth: authvalue.AuthValue | None,
    cardholder: CardholderRecord | None = None,
    method: ChallengeMethod | None = None,
    acs_url: str = "",
    app: AppSetup | None = None,
    cardholder_info: str | None = None,
) -> ARes:
    """The ARes. ``cardholder_info``: for a D, what the requestor shows meanwhile."""
    fields: dict[str, Any] = {
        "messageType": MessageType.ARES.value,
        "messageVersion": areq.messageVersion,
        "threeDSServerTransID": areq.threeDSServerTransID,
        "acsTransID": acs_trans_id,
        "dsTransID": areq.dsTransID,
        "dsReferenceNumber": areq.dsReferenceNumber,
        "acsReferenceNumber": card_range.acs_reference_number,
        "transStatus": decision.status.value,
    }
    if card_range.acs_operator_id:
        fields["acsOperatorID"] = card_range.acs_operator_id
    if areq.channel is DeviceChannel.APP:
        fields["sdkTransID"] = areq.sdkTransID
        if areq.version is MessageVersion.V2_3_1:
            # the banking app's page sends the cardholder back to the CReq's app URL
            fields["threeDSRequestorAppURLInd"] = "Y"
            fields["deviceInfoRecognisedVersion"] = _device_info_version(areq.deviceInfo)
    if decision.reason is not None:
        fields["transStatusReason"] = decision.reason.value
    if auth is not None:
        fields["authenticationValue"] = auth.value
        fields["eci"] = auth.eci
    exemption = Exemption(decision.exemption) if decision.exemption else None
    if areq.version is MessageVersion.V2_3_1 and exemption and exemption.ares_code:
        fields["transChallengeExemption"] = exemption.ares_code.value
    fields.update(_trust_list_status(areq, cardholder))
    if decision.status in (TransStatus.CHALLENGE, TransStatus.DECOUPLED):
        mandated = ChallengeInd.CHALLENGE_MANDATED in areq.challenge_indicators
        fields["acsChallengeMandated"] = "Y" if mandated else "N"
    if decision.status is TransStatus.CHALLENGE and method is not None:
        auth_type, auth_method = WIRE[method]
        if areq.version is MessageVersion.V2_3_1:
            fields["authenticationMethod"] = [auth_method.value]
        else:
            fields["authenticationType"] = auth_type.value
        if areq.channel is DeviceChannel.BROWSER:
            fields["acsURL"] = acs_url
        elif app is not None:  # the acsURL travels in the signed content
            fields["acsSignedContent"] = app.signed_content
            fields["acsRenderingType"] = app.rendering
    if decision.status is TransStatus.DECOUPLED:
        auth_type, auth_method = WIRE[ChallengeMethod.DECOUPLED]
        if areq.version is MessageVersion.V2_3_1:
            fields["authenticationMethod"] = [auth_method.value]
            fields["cardholderInfo"] = CardholderInfo(text=cardholder_info)
        else:
            fields["authenticationType"] = auth_type.value
            fields["cardholderInfo"] = cardholder_info
        fields["acsDecConInd"] = "Y"
    return ARes(**fields)


_TRUST_INDICATORS = frozenset(
    {ChallengeInd.NO_CHALLENGE_TRUST_LIST_EXEMPTION, ChallengeInd.CHALLENGE_TRUST_LIST_PROMPT}
)


def _trust_list_status(areq: AReq, cardholder: CardholderRecord | None) -> dict[str, str]:
    """When the requestor asks about the trust list (2.2 whiteList*, 2.3 trustList*), say whether
    the merchant is on this cardholder's list; source 03 means the ACS."""
    if areq.version is MessageVersion.V2_1_0:
        return {}
    asked = (areq.whiteListStatus or areq.trustListStatus) or _TRUST_INDICATORS & set(
        areq.challenge_indicators
    )
    if not asked:
        return {}
    trusted = cardholder is not None and bool(
        {areq.merchantName, areq.acquirerMerchantID} & set(cardholder.trusted_beneficiaries)
    )
    name = "trustListStatus" if areq.version is MessageVersion.V2_3_1 else "whiteListStatus"
    return {name: "Y" if trusted else "N", f"{name}Source": "03"}


def _device_info_version(device_info: str | None) -> str:
    """The deviceInfo data version (DV) the ACS recognised; validation already decoded it once."""
    if not device_info:
        return "1.0"
    try:
        padded = device_info + "=" * (-len(device_info) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded)).get("DV", "1.0")
        return str(value)
    except (ValueError, AttributeError):
        return "1.0"
