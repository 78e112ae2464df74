"""EMV 3DS messages as msgspec Structs (2.1.0, 2.2.0 and 2.3.1).

One Struct per message holds the union of the fields of every supported version; all are
optional with ``None`` defaults and ``omit_defaults=True`` drops them when encoding, so a
Struct built for 2.1.0 never emits a 2.3.1-only field. Attribute names are the EMV names.
Which fields a version/channel requires is not expressed here: see ``fields.py`` and
``validate.py`` (an AReq Struct should only be built from a validated message).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from acs.protocol.codes import (
    AcsInfoInd,
    ActionInd,
    AuthenticationMethod,
    AuthenticationType,
    ChallengeCancel,
    ChallengeInd,
    DecReqInd,
    DeviceChannel,
    ErrorCode,
    ErrorComponent,
    MessageCategory,
    MessageType,
    MessageVersion,
    ResultsStatus,
    TransStatus,
    TransStatusReason,
)


class EmvStruct(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base for every EMV message and sub-object: keyword-only, absent fields not encoded."""


# --------------------------------------------------------------------------- sub-objects


class PhoneNumber(EmvStruct):
    cc: str | None = None
    subscriber: str | None = None


class MessageExtension(EmvStruct):
    name: str | None = None
    id: str | None = None
    criticalityIndicator: bool | None = None
    data: Any = None


class AcctInfo(EmvStruct):
    chAccAgeInd: str | None = None
    chAccChange: str | None = None
    chAccChangeInd: str | None = None
    chAccDate: str | None = None
    chAccPwChange: str | None = None
    chAccPwChangeInd: str | None = None
    chAccReqID: str | None = None  # 2.3.1
    nbPurchaseAccount: str | None = None
    paymentAccAge: str | None = None
    paymentAccInd: str | None = None
    provisionAttemptsDay: str | None = None
    shipAddressUsage: str | None = None
    shipAddressUsageInd: str | None = None
    shipNameIndicator: str | None = None
    suspiciousAccActivity: str | None = None
    txnActivityDay: str | None = None
    txnActivityYear: str | None = None


class MerchantRiskIndicator(EmvStruct):
    deliveryEmailAddress: str | None = None
    deliveryTimeframe: str | None = None
    giftCardAmount: str | None = None
    giftCardCount: str | None = None
    giftCardCurr: str | None = None
    preOrderDate: str | None = None
    preOrderPurchaseInd: str | None = None
    reorderItemsInd: str | None = None
    shipIndicator: str | None = None
    transChar: list[str] | None = None  # 2.3.1


class DeviceRenderOptions(EmvStruct):
    sdkInterface: str | None = None
    sdkUiType: list[str] | None = None
    sdkAuthenticationType: list[str] | None = None  # 2.3.1


class ThreeDSRequestorAuthenticationInfo(EmvStruct):
    threeDSReqAuthMethod: str | None = None
    threeDSReqAuthTimestamp: str | None = None
    threeDSReqAuthData: Any = None  # a string; 2.3.1 also allows JSON
    dsAuthInfVerifInd: str | None = None  # 2.3.1, set by the DS


class ThreeDSRequestorPriorAuthenticationInfo(EmvStruct):
    threeDSReqPriorAuthData: str | None = None
    threeDSReqPriorAuthMethod: str | None = None
    threeDSReqPriorAuthTimestamp: str | None = None
    threeDSReqPriorRef: str | None = None
    threeDSReqPriorDsTransId: str | None = None  # 2.3.1


class AcsRenderingType(EmvStruct):
    acsInterface: str | None = None
    acsUiTemplate: str | None = None
    deviceUserInterfaceMode: str | None = None  # 2.3.1


class RecurringInd(EmvStruct):
    """2.3.1: whether the recurring amount and frequency are fixed (01) or variable (02)."""

    amountInd: str | None = None
    frequencyInd: str | None = None


class Image(EmvStruct):
    """issuerImage / psImage: logo URLs for three screen densities."""

    medium: str | None = None
    high: str | None = None
    extraHigh: str | None = None


class CardholderInfo(EmvStruct):
    """2.3.1 object form of ``cardholderInfo`` (a plain string up to 128 chars in 2.2.0)."""

    text: str | None = None
    issuerImage: Image | None = None
    paymentSystemImage: Image | None = None


class SellerInfo(EmvStruct):
    sellerName: str | None = None
    sellerId: str | None = None
    sellerBusinessName: str | None = None
    sellerAccDate: str | None = None
    sellerAddrLine1: str | None = None
    sellerAddrLine2: str | None = None
    sellerAddrLine3: str | None = None
    sellerAddrCity: str | None = None
    sellerAddrState: str | None = None
    sellerAddrPostCode: str | None = None
    sellerAddrCountry: str | None = None
    sellerEmail: str | None = None
    sellerPhone: PhoneNumber | None = None


# Versions differ in shape: an object in 2.1.0/2.2.0, an array in 2.3.1.
AuthInfo = ThreeDSRequestorAuthenticationInfo | list[ThreeDSRequestorAuthenticationInfo]
PriorAuthInfo = (
    ThreeDSRequestorPriorAuthenticationInfo | list[ThreeDSRequestorPriorAuthenticationInfo]
)


# ------------------------------------------------------------------------------ messages


class AReq(EmvStruct):
    messageType: str | None = None
    messageVersion: str | None = None
    # routing and IDs
    threeDSServerTransID: str | None = None
    dsTransID: str | None = None
    dsReferenceNumber: str | None = None
    dsURL: str | None = None
    sdkTransID: str | None = None
    deviceChannel: str | None = None
    messageCategory: str | None = None
    threeDSServerRefNumber: str | None = None
    threeDSServerOperatorID: str | None = None
    threeDSServerURL: str | None = None
    # 3DS Requestor
    threeDSRequestorID: str | None = None
    threeDSRequestorName: str | None = None
    threeDSRequestorURL: str | None = None
    threeDSRequestorAuthenticationInd: str | None = None
    threeDSRequestorAuthenticationInfo: AuthInfo | None = None
    threeDSRequestorChallengeInd: str | list[str] | None = None
    threeDSRequestorDecReqInd: str | None = None
    threeDSRequestorDecMaxTime: str | None = None
    threeDSRequestorPriorAuthenticationInfo: PriorAuthInfo | None = None
    threeDSRequestorSpcSupport: str | None = None
    threeDSReqAuthMethodInd: str | None = None
    threeRIInd: str | None = None
    threeDSCompInd: str | None = None
    threeDSMethodId: str | None = None
    spcIncompInd: str | None = None
    payeeOrigin: str | None = None
    notificationURL: str | None = None
    # card and purchase
    acctNumber: str | None = None
    acctType: str | None = None
    acctID: str | None = None
    acctInfo: AcctInfo | None = None
    cardExpiryDate: str | None = None
    cardSecurityCode: str | None = None
    cardSecurityCodeStatus: str | None = None
    cardSecurityCodeStatusSource: str | None = None
    acquirerBIN: str | None = None
    acquirerMerchantID: str | None = None
    acquirerCountryCode: str | None = None
    acquirerCountryCodeSource: str | None = None
    mcc: str | None = None
    merchantCountryCode: str | None = None
    merchantName: str | None = None
    merchantRiskIndicator: MerchantRiskIndicator | None = None
    purchaseAmount: str | None = None
    purchaseCurrency: str | None = None
    purchaseExponent: str | None = None
    purchaseDate: str | None = None
    purchaseInstalData: str | None = None
    recurringExpiry: str | None = None
    recurringFrequency: str | None = None
    recurringAmount: str | None = None
    recurringCurrency: str | None = None
    recurringExponent: str | None = None
    recurringDate: str | None = None
    recurringInd: RecurringInd | None = None
    transType: str | None = None
    payTokenInd: bool | None = None
    payTokenSource: str | None = None
    payTokenInfo: Any = None
    multiTransaction: Any = None
    sellerInfo: list[SellerInfo] | None = None
    taxId: str | None = None
    broadInfo: Any = None
    whiteListStatus: str | None = None
    whiteListStatusSource: str | None = None
    trustListStatus: str | None = None
    trustListStatusSource: str | None = None
    deviceBindingStatus: str | None = None
    deviceBindingStatusSource: str | None = None
    messageExtension: list[MessageExtension] | None = None
    # cardholder
    cardholderName: str | None = None
    email: str | None = None
    homePhone: PhoneNumber | None = None
    mobilePhone: PhoneNumber | None = None
    workPhone: PhoneNumber | None = None
    addrMatch: str | None = None
    billAddrCity: str | None = None
    billAddrCountry: str | None = None
    billAddrLine1: str | None = None
    billAddrLine2: str | None = None
    billAddrLine3: str | None = None
    billAddrPostCode: str | None = None
    billAddrState: str | None = None
    shipAddrCity: str | None = None
    shipAddrCountry: str | None = None
    shipAddrLine1: str | None = None
    shipAddrLine2: str | None = None
    shipAddrLine3: str | None = None
    shipAddrPostCode: str | None = None
    shipAddrState: str | None = None
    # browser
    browserAcceptHeader: str | None = None
    browserColorDepth: str | None = None
    browserIP: str | None = None
    browserJavaEnabled: bool | None = None
    browserJavascriptEnabled: bool | None = None
    browserLanguage: str | None = None
    browserScreenHeight: str | None = None
    browserScreenWidth: str | None = None
    browserTZ: str | None = None
    browserUserAgent: str | None = None
    acceptLanguage: list[str] | None = None
    deviceId: str | None = None
    userId: str | None = None
    # app
    sdkAppID: str | None = None
    sdkEncData: str | None = None
    deviceInfo: str | None = None
    sdkEphemPubKey: dict[str, Any] | None = None
    sdkMaxTimeout: str | None = None
    sdkReferenceNumber: str | None = None
    deviceRenderOptions: DeviceRenderOptions | None = None
    sdkType: str | None = None
    defaultSdkType: dict[str, Any] | None = None
    splitSdkType: dict[str, Any] | None = None
    sdkServerSignedContent: str | None = None
    sdkSignatureTimestamp: str | None = None
    appIp: str | None = None

    # The properties below assume a validated message (see validate.parse_areq).

    # Dict lookups, not Enum calls: read many times per AReq, and an Enum call costs ten times
    # as much. A validated AReq always has all three.
    @property
    def version(self) -> MessageVersion:
        return _VERSIONS[self.messageVersion or ""]

    @property
    def channel(self) -> DeviceChannel:
        return _CHANNELS[self.deviceChannel or ""]

    @property
    def category(self) -> MessageCategory:
        return _CATEGORIES[self.messageCategory or ""]

    @property
    def challenge_indicators(self) -> tuple[ChallengeInd, ...]:
        """Requestor challenge preferences in priority order; absent means "no preference".

        DS-specific values (80-99) have no generic meaning and are skipped.
        """
        raw = self.threeDSRequestorChallengeInd
        if isinstance(raw, str):  # 2.1.0/2.2.0: one value
            known = _CHALLENGE_INDS.get(raw)
            return (known,) if known else _NO_PREFERENCE
        found = tuple(_CHALLENGE_INDS[v] for v in raw or () if v in _CHALLENGE_INDS)
        return found or _NO_PREFERENCE

    @property
    def decoupled_fallback(self) -> bool:
        """2.3.1: decoupled accepted when a challenge cannot run (F fallback, B both)."""
        return self.threeDSRequestorDecReqInd in _DECOUPLED_FALLBACKS

    @property
    def decoupled_requested(self) -> bool:
        """Decoupled authentication asked for: Y, or (2.3.1) F fallback / B both."""
        return self.threeDSRequestorDecReqInd in _DECOUPLED_REQUESTS


_CHALLENGE_INDS = {c.value: c for c in ChallengeInd}
_NO_PREFERENCE = (ChallengeInd.NO_PREFERENCE,)
_VERSIONS = {v.value: v for v in MessageVersion}
_CHANNELS = {c.value: c for c in DeviceChannel}
_CATEGORIES = {c.value: c for c in MessageCategory}
_DECOUPLED_FALLBACKS = frozenset({DecReqInd.FALLBACK.value, DecReqInd.BOTH.value})
_DECOUPLED_REQUESTS = frozenset(
    {DecReqInd.YES.value, DecReqInd.FALLBACK.value, DecReqInd.BOTH.value}
)


class ARes(EmvStruct):
    messageType: str | None = None
    messageVersion: str | None = None
    threeDSServerTransID: str | None = None
    acsTransID: str | None = None
    dsTransID: str | None = None
    sdkTransID: str | None = None
    acsReferenceNumber: str | None = None
    acsOperatorID: str | None = None
    dsReferenceNumber: str | None = None
    transStatus: str | None = None
    transStatusReason: str | None = None
    transStatusReasonInfo: str | None = None  # 2.3.1
    authenticationValue: str | None = None
    eci: str | None = None
    acsChallengeMandated: str | None = None
    authenticationType: str | None = None  # 2.1.0 / 2.2.0
    authenticationMethod: list[str] | None = None  # 2.3.1
    acsURL: str | None = None
    acsSignedContent: str | None = None
    acsRenderingType: AcsRenderingType | None = None
    acsDecConInd: str | None = None  # 2.2.0+
    cardholderInfo: str | CardholderInfo | None = None  # string 2.1/2.2, object 2.3.1
    whiteListStatus: str | None = None
    whiteListStatusSource: str | None = None
    trustListStatus: str | None = None
    trustListStatusSource: str | None = None
    broadInfo: Any = None
    threeDSRequestorAppURLInd: str | None = None
    transChallengeExemption: str | None = None
    cardSecurityCodeStatus: str | None = None
    cardSecurityCodeStatusSource: str | None = None
    deviceBindingStatus: str | None = None
    deviceBindingStatusSource: str | None = None
    deviceInfoRecognisedVersion: str | None = None
    spcTransData: Any = None
    webAuthnCredList: list[Any] | None = None
    messageExtension: list[MessageExtension] | None = None


class RReq(EmvStruct):
    """What the ACS sends (built, never parsed here): coded fields typed by their enums."""

    messageType: Literal["RReq"]  # required: a default would be left out of the encoding
    messageVersion: str
    threeDSServerTransID: str
    acsTransID: str
    dsTransID: str
    messageCategory: MessageCategory
    transStatus: TransStatus
    interactionCounter: str
    sdkTransID: str | None = None
    transStatusReason: TransStatusReason | None = None
    transStatusReasonInfo: str | None = None
    authenticationValue: str | None = None
    eci: str | None = None
    authenticationType: AuthenticationType | None = None  # 2.1.0 / 2.2.0
    authenticationMethod: list[AuthenticationMethod] | None = None  # 2.3.1 (an array)
    challengeCancel: ChallengeCancel | None = None
    acsRenderingType: AcsRenderingType | None = None
    whiteListStatus: str | None = None
    whiteListStatusSource: str | None = None
    trustListStatus: str | None = None
    trustListStatusSource: str | None = None
    cardholderInfo: CardholderInfo | None = None
    challengeErrorReporting: Any = None
    deviceBindingStatus: str | None = None
    deviceBindingStatusSource: str | None = None
    messageExtension: list[MessageExtension] | None = None


class RRes(EmvStruct):
    """The DS's answer to an RReq, decoded strictly: a wrong type or code fails the decode."""

    messageType: Literal["RRes"]
    messageVersion: str
    threeDSServerTransID: str
    acsTransID: str
    dsTransID: str
    resultsStatus: ResultsStatus
    sdkTransID: str | None = None
    messageExtension: list[MessageExtension] | None = None


def acknowledgement(rreq: RReq, status: ResultsStatus = ResultsStatus.RECEIVED) -> RRes:
    """The RRes that acknowledges ``rreq``: what a 3DS Server (or a stand-in DS) answers."""
    return RRes(
        messageType="RRes",
        messageVersion=rreq.messageVersion,
        threeDSServerTransID=rreq.threeDSServerTransID,
        acsTransID=rreq.acsTransID,
        dsTransID=rreq.dsTransID,
        sdkTransID=rreq.sdkTransID,
        resultsStatus=status,
    )


class PReq(EmvStruct):
    """A 3DS Server asks the DS for card ranges (reference section 3.6); decoded by the DS front."""

    messageType: Literal["PReq"]
    messageVersion: str
    threeDSServerRefNumber: str
    threeDSServerTransID: str
    threeDSServerOperatorID: str | None = None
    serialNum: str | None = None
    cardRangeDataDownloadInd: str | None = None  # 2.3.1: Y asks for the full data as a file
    messageExtension: list[MessageExtension] | None = None


class CardRangeData(EmvStruct):
    """One PRes card range, 2.1.0/2.2.0 form (``acsInfoInd`` from 2.2.0)."""

    startRange: str
    endRange: str
    actionInd: ActionInd
    acsStartProtocolVersion: str
    acsEndProtocolVersion: str
    threeDSMethodURL: str | None = None
    acsInfoInd: list[AcsInfoInd] | None = None


class AcsProtocolVersion(EmvStruct):
    """2.3.1 PRes: one protocol version an ACS supports for a range, with what goes with it."""

    version: str
    acsInfoInd: list[AcsInfoInd]
    threeDSMethodURL: str | None = None
    supportedMsgExt: list[dict[str, str]] | None = None


class CardRangeData231(EmvStruct):
    """One PRes card range, 2.3.1 form: the versions and their details as a list."""

    startRange: str
    endRange: str
    actionInd: ActionInd
    acsProtocolVersions: list[AcsProtocolVersion]


class PRes(EmvStruct):
    """PRes for a 2.1.0/2.2.0 PReq. ``cardRangeData`` is absent when the 3DS Server's
    ``serialNum`` is current: nothing changed."""

    messageType: Literal["PRes"]
    messageVersion: str
    threeDSServerTransID: str
    dsTransID: str
    serialNum: str
    dsStartProtocolVersion: str
    dsEndProtocolVersion: str
    cardRangeData: list[CardRangeData] | None = None
    messageExtension: list[MessageExtension] | None = None


class PRes231(EmvStruct):
    """PRes for a 2.3.1 PReq: the DS's versions as a list, ranges in the 2.3.1 form."""

    messageType: Literal["PRes"]
    messageVersion: str
    threeDSServerTransID: str
    dsTransID: str
    serialNum: str
    dsProtocolVersions: list[str]
    cardRangeData: list[CardRangeData231] | None = None
    messageExtension: list[MessageExtension] | None = None


class CReq(EmvStruct):
    """App CReq (decrypted JWE payload) and browser CReq (``creq`` form field) alike."""

    messageType: str | None = None
    messageVersion: str | None = None
    threeDSServerTransID: str | None = None
    acsTransID: str | None = None
    sdkTransID: str | None = None
    sdkCounterStoA: str | None = None
    challengeWindowSize: str | None = None
    challengeDataEntry: str | None = None
    challengeNoEntry: str | None = None
    challengeHTMLDataEntry: str | None = None
    challengeCancel: str | None = None
    resendChallenge: str | None = None
    oobContinue: bool | None = None
    whitelistingDataEntry: str | None = None  # 2.2.0
    trustListDataEntry: str | None = None  # 2.3.1
    threeDSRequestorAppURL: str | None = None
    messageExtension: list[MessageExtension] | None = None


class CRes(EmvStruct):
    messageType: str | None = None
    messageVersion: str | None = None
    threeDSServerTransID: str | None = None
    acsTransID: str | None = None
    sdkTransID: str | None = None
    acsCounterAtoS: str | None = None
    challengeCompletionInd: str | None = None
    transStatus: str | None = None
    acsUiType: str | None = None
    acsHTML: str | None = None
    acsHTMLRefresh: str | None = None
    challengeInfoHeader: str | None = None
    challengeInfoLabel: str | None = None
    challengeInfoText: str | None = None
    challengeInfoTextIndicator: str | None = None
    challengeAddInfo: str | None = None
    challengeSelectInfo: list[dict[str, str]] | None = None
    submitAuthenticationLabel: str | None = None
    resendInformationLabel: str | None = None
    oobContinueLabel: str | None = None
    oobAppURL: str | None = None
    oobAppLabel: str | None = None
    expandInfoLabel: str | None = None
    expandInfoText: str | None = None
    whyInfoLabel: str | None = None
    whyInfoText: str | None = None
    whitelistingInfoText: str | None = None  # 2.2.0
    trustListInfoText: str | None = None  # 2.3.1
    issuerImage: Image | None = None
    psImage: Image | None = None
    messageExtension: list[MessageExtension] | None = None


class Erro(EmvStruct):
    """Built in one place, ``acs.protocol.errors.erro_message``; read (strictly) where a peer
    answers one, such as an ACS behind the DS front."""

    messageType: Literal["Erro"]
    messageVersion: str
    errorCode: ErrorCode
    errorComponent: ErrorComponent
    errorDescription: str
    errorDetail: str
    errorMessageType: MessageType | None = None
    threeDSServerTransID: str | None = None
    acsTransID: str | None = None
    dsTransID: str | None = None
    sdkTransID: str | None = None
    messageExtension: list[MessageExtension] | None = None
