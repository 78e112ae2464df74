"""EMV 3DS wire codes as named enums that keep the wire value.

Business logic compares against these names, never against bare strings such as "05".
Each enum is a ``StrEnum`` so ``TransStatus.AUTHENTICATED == "Y"`` and it serialises as "Y".
"""

from __future__ import annotations

from enum import StrEnum


class MessageType(StrEnum):
    AREQ = "AReq"
    ARES = "ARes"
    CREQ = "CReq"
    CRES = "CRes"
    RREQ = "RReq"
    RRES = "RRes"
    PREQ = "PReq"
    PRES = "PRes"
    ERRO = "Erro"


class MessageVersion(StrEnum):
    V2_1_0 = "2.1.0"
    V2_2_0 = "2.2.0"
    V2_3_1 = "2.3.1"

    @property
    def at_least_2_2(self) -> bool:
        return self is not MessageVersion.V2_1_0

    @property
    def is_2_3(self) -> bool:
        return self is MessageVersion.V2_3_1


SUPPORTED_VERSIONS: tuple[MessageVersion, ...] = tuple(MessageVersion)


class DeviceChannel(StrEnum):
    APP = "01"
    BROWSER = "02"
    THREE_RI = "03"


class MessageCategory(StrEnum):
    PAYMENT = "01"
    NON_PAYMENT = "02"


class TransStatus(StrEnum):
    AUTHENTICATED = "Y"
    NOT_AUTHENTICATED = "N"
    UNABLE = "U"
    ATTEMPTED = "A"
    CHALLENGE = "C"
    REJECTED = "R"
    DECOUPLED = "D"
    INFORMATIONAL = "I"
    SPC = "S"


class TransStatusReason(StrEnum):
    AUTHENTICATION_FAILED = "01"
    UNKNOWN_DEVICE = "02"
    UNSUPPORTED_DEVICE = "03"
    FREQUENCY_LIMIT = "04"
    EXPIRED_CARD = "05"
    INVALID_CARD_NUMBER = "06"
    INVALID_TRANSACTION = "07"
    NO_CARD_RECORD = "08"
    SECURITY_FAILURE = "09"
    STOLEN_CARD = "10"
    SUSPECTED_FRAUD = "11"
    NOT_PERMITTED = "12"
    NOT_ENROLLED = "13"
    TIMED_OUT = "14"
    LOW_CONFIDENCE = "15"
    MEDIUM_CONFIDENCE = "16"
    HIGH_CONFIDENCE = "17"
    VERY_HIGH_CONFIDENCE = "18"
    MAX_CHALLENGES = "19"
    NPA_NOT_SUPPORTED = "20"
    THREE_RI_NOT_SUPPORTED = "21"
    # 2.2.0 and later
    ACS_TECHNICAL_ISSUE = "22"
    DECOUPLED_REQUIRED = "23"
    DECOUPLED_MAX_TIME_EXCEEDED = "24"
    DECOUPLED_INSUFFICIENT_TIME = "25"
    ATTEMPTED_NOT_PERFORMED = "26"
    # 2.3.1
    PREFERRED_METHOD_UNSUPPORTED = "27"
    CSP_VALIDATION_FAILED = "28"
    FALLBACK_TO_DECOUPLED = "29"
    REINITIATE_AS_DECOUPLED = "30"

    def allowed_in(self, version: MessageVersion) -> bool:
        """Reasons 22-26 arrived in 2.2.0 and 27-30 in 2.3.1."""
        n = int(self.value)
        if version is MessageVersion.V2_1_0:
            return n <= 21
        if version is MessageVersion.V2_2_0:
            return n <= 26
        return True


class ChallengeCancel(StrEnum):
    CARDHOLDER_CANCELLED = "01"
    REQUESTOR_CANCELLED = "02"  # 2.1.0 only
    ABANDONED_OR_DECOUPLED_TIMEOUT = "03"
    TIMED_OUT_OTHER = "04"
    TIMED_OUT_FIRST_CREQ = "05"
    TRANSACTION_ERROR = "06"
    UNKNOWN = "07"
    TIMED_OUT_SDK = "08"
    ERRO_TO_CRES = "09"  # 2.3.1
    ERRO_TO_CREQ = "10"  # 2.3.1


class ErrorCode(StrEnum):
    MESSAGE_INVALID = "101"
    VERSION_NOT_SUPPORTED = "102"
    SENT_LIMIT_EXCEEDED = "103"
    REQUIRED_MISSING = "201"
    CRITICAL_EXTENSION_UNKNOWN = "202"
    FORMAT_INVALID = "203"
    DUPLICATE_ELEMENT = "204"
    TRANSACTION_ID_UNKNOWN = "301"
    DECRYPTION_FAILURE = "302"
    ACCESS_DENIED = "303"
    ISO_CODE_INVALID = "304"
    TRANSACTION_DATA_INVALID = "305"
    MCC_INVALID = "306"
    SERIAL_NUMBER_INVALID = "307"
    INCORRECT_KID = "311"
    DUPLICATE_MESSAGE = "312"
    MULTIPLE_CREQ = "314"
    CREQ_AFTER_RREQ = "315"
    TIMED_OUT = "402"
    TRANSIENT_FAILURE = "403"
    PERMANENT_FAILURE = "404"
    CONNECTION_FAILURE = "405"

    @property
    def description(self) -> str:
        return _ERROR_DESCRIPTIONS[self]


_ERROR_DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.MESSAGE_INVALID: "Message received invalid",
    ErrorCode.VERSION_NOT_SUPPORTED: "Message version number not supported",
    ErrorCode.SENT_LIMIT_EXCEEDED: "Sent messages limit exceeded",
    ErrorCode.REQUIRED_MISSING: "Required data element missing",
    ErrorCode.CRITICAL_EXTENSION_UNKNOWN: "Critical message extension not recognised",
    ErrorCode.FORMAT_INVALID: "Format of one or more data elements is invalid",
    ErrorCode.DUPLICATE_ELEMENT: "Duplicate data element",
    ErrorCode.TRANSACTION_ID_UNKNOWN: "Transaction ID not recognised",
    ErrorCode.DECRYPTION_FAILURE: "Data decryption failure",
    ErrorCode.ACCESS_DENIED: "Access denied, invalid endpoint",
    ErrorCode.ISO_CODE_INVALID: "ISO code invalid",
    ErrorCode.TRANSACTION_DATA_INVALID: "Transaction data not valid",
    ErrorCode.MCC_INVALID: "Merchant category code not valid for payment system",
    ErrorCode.SERIAL_NUMBER_INVALID: "Serial number not valid",
    ErrorCode.INCORRECT_KID: "Incorrect kid",
    ErrorCode.DUPLICATE_MESSAGE: "Duplicate message",
    ErrorCode.MULTIPLE_CREQ: "Multiple CReq messages not supported",
    ErrorCode.CREQ_AFTER_RREQ: "CReq message received after RReq",
    ErrorCode.TIMED_OUT: "Transaction timed out",
    ErrorCode.TRANSIENT_FAILURE: "Transient system failure",
    ErrorCode.PERMANENT_FAILURE: "Permanent system failure",
    ErrorCode.CONNECTION_FAILURE: "System connection failure",
}


class ErrorComponent(StrEnum):
    SDK = "C"
    THREE_DS_SERVER = "S"
    DIRECTORY_SERVER = "D"
    ACS = "A"


class ChallengeInd(StrEnum):
    NO_PREFERENCE = "01"
    NO_CHALLENGE = "02"
    CHALLENGE_PREFERRED = "03"
    CHALLENGE_MANDATED = "04"
    NO_CHALLENGE_TRA_PERFORMED = "05"
    NO_CHALLENGE_DATA_SHARE_ONLY = "06"
    NO_CHALLENGE_SCA_PERFORMED = "07"
    NO_CHALLENGE_TRUST_LIST_EXEMPTION = "08"
    CHALLENGE_TRUST_LIST_PROMPT = "09"
    NO_CHALLENGE_LOW_VALUE = "10"
    NO_CHALLENGE_SECURE_CORPORATE = "11"
    CHALLENGE_DEVICE_BINDING = "12"
    CHALLENGE_ISSUER_REQUESTED = "13"
    CHALLENGE_MIT = "14"


class AuthenticationInd(StrEnum):
    PAYMENT = "01"
    RECURRING = "02"
    INSTALMENT = "03"
    ADD_CARD = "04"
    MAINTAIN_CARD = "05"
    EMV_TOKEN_IDV = "06"
    BILLING_AGREEMENT = "07"
    SPLIT_SHIPMENT = "08"
    DELAYED_SHIPMENT = "09"
    SPLIT_PAYMENT = "10"


class ThreeRIInd(StrEnum):
    RECURRING = "01"
    INSTALMENT = "02"
    ADD_CARD = "03"
    MAINTAIN_CARD = "04"
    ACCOUNT_VERIFICATION = "05"
    SPLIT_DELAYED_SHIPMENT = "06"
    TOP_UP = "07"
    MAIL_ORDER = "08"
    TELEPHONE_ORDER = "09"
    TRUST_LIST_CHECK = "10"
    OTHER_PAYMENT = "11"


class DecReqInd(StrEnum):
    YES = "Y"
    NO = "N"
    FALLBACK = "F"  # 2.3.1
    BOTH = "B"  # 2.3.1


class AuthenticationType(StrEnum):
    """ARes/RReq ``authenticationType`` (2.1.0, 2.2.0)."""

    STATIC = "01"
    DYNAMIC = "02"
    OOB = "03"
    DECOUPLED = "04"


class AuthenticationMethod(StrEnum):
    """``authenticationMethod`` (single value in a 2.2.0 RReq, an array in 2.3.1)."""

    STATIC_PASSCODE = "01"
    SMS_OTP = "02"
    KEY_FOB_OTP = "03"
    APP_OTP = "04"
    OTP_OTHER = "05"
    KBA = "06"
    OOB_BIOMETRICS = "07"
    OOB_LOGIN = "08"
    OOB_OTHER = "09"
    OTHER = "10"
    PUSH_CONFIRMATION = "11"
    DECOUPLED = "12"
    WEBAUTHN = "13"
    SPC = "14"
    BEHAVIOURAL_BIOMETRICS = "15"
    ELECTRONIC_ID = "16"


class ChallengeWindowSize(StrEnum):
    W250X400 = "01"
    W390X400 = "02"
    W500X600 = "03"
    W600X400 = "04"
    FULL_SCREEN = "05"


class ResultsStatus(StrEnum):
    RECEIVED = "01"
    CREQ_NOT_SENT = "02"
    ARES_NOT_DELIVERED = "03"
    DECOUPLED_LATER = "04"


class ThreeDSCompInd(StrEnum):
    COMPLETED = "Y"
    NOT_COMPLETED = "N"
    UNAVAILABLE = "U"


class TransChallengeExemption(StrEnum):
    """2.3.1 ARes ``transChallengeExemption``."""

    TRA = "05"
    TRUST_LIST = "08"
    LOW_VALUE = "10"
    SECURE_CORPORATE = "11"
    NONE = "79"


class ActionInd(StrEnum):
    """PRes ``cardRangeData[].actionInd``: what the 3DS Server does to its cached range."""

    ADD = "A"
    DELETE = "D"
    MODIFY = "M"


class AcsInfoInd(StrEnum):
    """PRes ``acsInfoInd``: what the ACS of a card range supports (2.2.0+, 05-11 from 2.3.1)."""

    AUTHENTICATION = "01"
    ATTEMPTS = "02"
    DECOUPLED = "03"
    TRUST_LIST = "04"
    DEVICE_BINDING = "05"
    WEBAUTHN = "06"
    SPC = "07"
    TRA_EXEMPTION = "08"
    TRUST_LIST_EXEMPTION = "09"
    LOW_VALUE_EXEMPTION = "10"
    SECURE_CORPORATE_EXEMPTION = "11"
