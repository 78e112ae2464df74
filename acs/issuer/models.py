"""Issuer directory models: card ranges, cardholders and the test-card catalog.

``*Input`` structs are what people write (YAML in ``config/``, JSON on the admin API); they are
checked strictly (unknown keys rejected) and turned into stored records that never hold a PAN,
a passcode or a KBA answer in clear.
"""

from __future__ import annotations

import bisect
import re
from enum import StrEnum
from typing import Annotated

import msgspec

from acs.crypto.keys import KeySet
from acs.crypto.signed_content import SigningAlgorithm
from acs.faults import Faults, parse_faults
from acs.protocol import urls
from acs.protocol.codes import MessageVersion, TransStatus, TransStatusReason
from acs.protocol.profiles import ValidationProfile
from acs.protocol.schemes import Scheme

Digits = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{13,19}$")]
Identifier = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ReferenceNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Passcode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{6,15}$")]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]

_RANGE_WIDTH = 19  # ranges and PANs compare left-aligned on 19 digits


class ChallengeMethod(StrEnum):
    OTP_SMS = "otp_sms"
    OTP_EMAIL = "otp_email"
    OTP_VOICE = "otp_voice"
    KBA = "kba"
    PASSCODE = "passcode"
    HISTORY = "history"
    OOB = "oob"
    BIOMETRIC = "biometric"
    TOTP = "totp"
    DECOUPLED = "decoupled"


class Category(StrEnum):
    """The SCA factor categories (PSD2 RTS art. 4): success needs two different ones."""

    KNOWLEDGE = "knowledge"
    POSSESSION = "possession"
    INHERENCE = "inherence"


CATEGORY = {
    ChallengeMethod.OTP_SMS: Category.POSSESSION,
    ChallengeMethod.OTP_EMAIL: Category.POSSESSION,
    ChallengeMethod.OTP_VOICE: Category.POSSESSION,
    ChallengeMethod.TOTP: Category.POSSESSION,
    ChallengeMethod.OOB: Category.POSSESSION,  # the enrolled device
    ChallengeMethod.DECOUPLED: Category.POSSESSION,
    ChallengeMethod.PASSCODE: Category.KNOWLEDGE,
    ChallengeMethod.KBA: Category.KNOWLEDGE,
    ChallengeMethod.HISTORY: Category.KNOWLEDGE,
    ChallengeMethod.BIOMETRIC: Category.INHERENCE,
}


class Factor(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One step of a challenge: its methods in order of preference (the first the cardholder
    has and the channel can show runs; the rest are its fallbacks), or the cardholder's choice
    among them."""

    methods: Annotated[list[ChallengeMethod], msgspec.Meta(min_length=1)]
    choose: bool = False


class ChallengeProfile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A named sequence of factors (config/challenge-profiles.yaml), e.g. a code then the
    passcode: a card range's ``challenge.profile`` or a rule's ``then.profile``."""

    id: Identifier
    factors: Annotated[list[Factor], msgspec.Meta(min_length=1, max_length=4)]
    description: str = ""

    def problems(self) -> list[str]:
        found = []
        for i, factor in enumerate(self.factors):
            if factor.choose and len(factor.methods) < 2:
                found.append(f"factors[{i}].choose: a choice needs two or more methods")
        return found


class AppUi(StrEnum):
    """The app channel's UI for a challenge: the method's native UI when the 3DS SDK offers it
    (the default), or the HTML UI (acsUiType 05) whenever the SDK offers that."""

    NATIVE = "native"
    HTML = "html"


class DeliveryMode(StrEnum):
    """How this cardholder's codes travel: as config/delivery.yaml says, or only to the outbox
    (test cardholders stay in the simulator while real phones get real SMS)."""

    CONFIGURED = "configured"
    OUTBOX = "outbox"


class Branding(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    issuer_logo: str | None = None
    primary_color: Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1a4d8f"
    # the app's native UI (issuerImage): PNGs at <app_logo>-medium.png, -high.png and
    # -extraHigh.png; 3DS SDKs load PNG, not the SVG pages may use
    app_logo: str | None = None


class ChallengeSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Per-issuer challenge limits (attempts stop brute force; resends stop SMS pumping)."""

    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=10)] = 3
    max_resends: Annotated[int, msgspec.Meta(ge=0, le=10)] = 3
    otp_length: Annotated[int, msgspec.Meta(ge=4, le=10)] = 6
    otp_ttl_seconds: Annotated[int, msgspec.Meta(ge=30, le=3600)] = 300
    # transStatusReason once the attempts are used up: 19 (exceeds max challenges) or 01
    on_max_attempts: TransStatusReason = TransStatusReason.MAX_CHALLENGES
    # how long an out-of-band approval may take before the challenge ends N/14
    oob_ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 300
    # how many of the cardholder's security questions a KBA step asks, one after the other
    kba_questions: Annotated[int, msgspec.Meta(ge=1, le=3)] = 1
    # the challenge profile (config/challenge-profiles.yaml) when the rule names no methods
    profile: Identifier | None = None


class ConsultMode(StrEnum):
    """How the issuer's answer to check-authentication-method meets the rules' decision."""

    OVERRIDE = "override"  # the issuer decides
    STRICTEST = "strictest"  # the stricter of the two: decline > challenge > frictionless


class OnFailure(StrEnum):
    """What a consult that fails (timeout, 5xx, garbage, bad signature) falls back to."""

    RULES = "rules"  # the rules' decision stands
    CHALLENGE = "challenge"
    DECLINE = "decline"
    UNAVAILABLE = "unavailable"  # U / 22


class IssuerIntegration(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The issuer's own systems, as a card range uses them: the four integration models are
    ``consult`` (ask on every AReq, or not) times ``validates_passcode`` (the issuer checks the
    knowledge factor, or the ACS does); ``delegated_otp`` lets the issuer send and check codes."""

    url: str  # base URL; a /path is this ACS's own origin (the built-in issuer-sim)
    consult: bool = False
    consult_mode: ConsultMode = ConsultMode.OVERRIDE
    on_failure: OnFailure = OnFailure.RULES
    validates_passcode: bool = False
    delegated_otp: bool = False
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=30)] = 2.0
    retries: Annotated[int, msgspec.Meta(ge=0, le=3)] = 1
    # biometric: how long the issuer may take to call back, and what then (None: U)
    biometric_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=600)] = 60.0
    biometric_fallback: ChallengeMethod | None = None

    def problems(self) -> list[str]:
        if self.url.startswith("/") or urls.is_web_url(self.url):
            return []
        return [f"issuer.url: must be {urls.WEB_URL_RULE} or a /path, got {self.url[:100]!r}"]


class CardRange(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: Identifier
    start: Digits
    end: Digits
    scheme: Scheme
    issuer_name: Text
    acs_reference_number: ReferenceNumber
    keys: KeySet
    versions: list[MessageVersion] = msgspec.field(default_factory=lambda: list(MessageVersion))
    acs_operator_id: ReferenceNumber | None = None
    branding: Branding = Branding()
    challenge: ChallengeSettings = ChallengeSettings()
    validation: ValidationProfile | None = None  # AReq validation; None: the global setting
    # the JWS algorithm (and so the signing certificate) of the app channel's acsSignedContent
    app_signing: SigningAlgorithm = SigningAlgorithm.ES256
    issuer: IssuerIntegration | None = None  # the issuer's own systems, called back

    @property
    def low(self) -> int:
        return int(self.start.ljust(_RANGE_WIDTH, "0"))

    @property
    def high(self) -> int:
        return int(self.end.ljust(_RANGE_WIDTH, "9"))

    def problems(self) -> list[str]:
        """Cross-field checks msgspec cannot express; each names the field at fault."""
        found = []
        if self.low > self.high:
            found.append("start: must not be greater than end")
        if not self.versions:
            found.append("versions: list at least one message version")
        found += self.keys.validate_for(self.scheme)
        if self.issuer is not None:
            found += self.issuer.problems()
        for name in ("issuer_logo", "app_logo"):
            logo = getattr(self.branding, name)
            if logo is not None and not urls.is_image_source(logo):
                # the page's CSP (or the SDK) would refuse it: refuse it here, not after a code
                found.append(
                    f"branding.{name}: must be {urls.IMAGE_SOURCE_RULE}, got {logo[:100]!r}"
                )
        return found


def pan_position(pan: str) -> int:
    return int(pan.ljust(_RANGE_WIDTH, "0"))


class RangeIndex:
    """Card ranges sorted for lookup by PAN (ranges do not overlap: config checks it)."""

    __slots__ = ("_lows", "ranges")

    def __init__(self, ranges: list[CardRange]) -> None:
        self.ranges = sorted(ranges, key=lambda r: r.low)
        self._lows = [r.low for r in self.ranges]

    def find_range(self, pan: str) -> CardRange | None:
        pos = pan_position(pan)
        i = bisect.bisect_right(self._lows, pos) - 1
        if i >= 0 and self.ranges[i].low <= pos <= self.ranges[i].high:
            return self.ranges[i]
        return None


class KbaQuestion(StrEnum):
    """The security questions the challenge pages know in every language (challenge_ui/i18n,
    ``kba.questions.<id>``); a cardholder may also have a question of their own, in one."""

    PET = "pet"
    CITY = "city"
    SCHOOL = "school"
    STREET = "street"
    FRIEND = "friend"
    CAR = "car"


class KbaInput(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    question_id: Identifier | None = None  # a KbaQuestion (checked in problems(), naming them)
    question: Text | None = None  # a question of the cardholder's own, instead of question_id
    answer: Text | None = None
    answer_hash: str | None = None


class PastPayment(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A recent payment of the cardholder's, for the transaction-history challenge."""

    merchant: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    amount_minor: Annotated[int, msgspec.Meta(ge=1, le=10**10)]
    currency: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$")] = "978"  # ISO 4217 numeric
    days_ago: Annotated[int, msgspec.Meta(ge=0, le=365)] = 1
    exponent: Annotated[int, msgspec.Meta(ge=0, le=4)] = 2  # the currency's minor-unit digits


class CardholderInput(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A cardholder as written in config/cardholders.yaml or posted to /admin/cardholders.

    Secrets may come in clear (``passcode``, ``kba[].answer``, admin API over TLS) or already
    hashed (``passcode_hash``, ``kba[].answer_hash``, made by ``acs secrets hash``); either way
    only the hash is stored.
    """

    pan: Digits
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=45)]
    id: Identifier | None = None
    mobile: Phone | None = None
    email: Email | None = None
    methods: list[ChallengeMethod] = msgspec.field(default_factory=list)
    kba: list[KbaInput] = msgspec.field(default_factory=list)
    passcode: Passcode | None = None
    passcode_hash: str | None = None
    totp_secret: Annotated[str, msgspec.Meta(pattern=r"^[A-Z2-7]{16,64}=*$")] | None = None
    trusted_beneficiaries: list[Text] = msgspec.field(default_factory=list)
    locale: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] | None = None
    delivery: DeliveryMode = DeliveryMode.CONFIGURED
    history: Annotated[list[PastPayment], msgspec.Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )

    def problems(self) -> list[str]:
        found = []
        if self.passcode and self.passcode_hash:
            found.append("passcode: give passcode or passcode_hash, not both")
        for i, item in enumerate(self.kba):
            if (item.answer is None) == (item.answer_hash is None):
                found.append(f"kba[{i}]: give exactly one of answer or answer_hash")
            ids = ", ".join(KbaQuestion)
            if (item.question is None) == (item.question_id is None):
                found.append(f"kba[{i}]: give exactly one of question_id ({ids}) or question")
            elif item.question_id is not None and item.question_id not in set(KbaQuestion):
                found.append(f"kba[{i}].question_id: unknown question; known ones: {ids}")
        needs = {
            ChallengeMethod.OTP_SMS: ("mobile", self.mobile),
            ChallengeMethod.OTP_VOICE: ("mobile", self.mobile),
            ChallengeMethod.OTP_EMAIL: ("email", self.email),
            ChallengeMethod.KBA: ("kba", self.kba),
            ChallengeMethod.PASSCODE: ("passcode", self.passcode or self.passcode_hash),
            ChallengeMethod.TOTP: ("totp_secret", self.totp_secret),
            ChallengeMethod.HISTORY: ("history", self.history),
            ChallengeMethod.OOB: ("mobile", self.mobile),  # the banking app's device
        }
        for method in self.methods:
            field, value = needs.get(method, ("", True))
            if not value:
                found.append(f"{field}: required because methods lists {method.value}")
        return found


class KbaRecord(msgspec.Struct, frozen=True):
    question: str  # the cardholder's own question, or "" with question_id
    answer_hash: str
    question_id: KbaQuestion | None = None


class CardholderRecord(msgspec.Struct, frozen=True, omit_defaults=True):
    """The stored form: no clear PAN, no clear secret."""

    id: str
    pan_hash: str
    pan_enc: str
    pan_masked: str
    name: str
    mobile: str | None = None
    email: str | None = None
    methods: list[ChallengeMethod] = msgspec.field(default_factory=list)
    kba: list[KbaRecord] = msgspec.field(default_factory=list)
    passcode_hash: str | None = None
    totp_secret_enc: str | None = None
    trusted_beneficiaries: list[str] = msgspec.field(default_factory=list)
    locale: str | None = None
    delivery: DeliveryMode = DeliveryMode.CONFIGURED
    history: list[PastPayment] = msgspec.field(default_factory=list)

    def public(self) -> dict[str, object]:
        """What the admin API shows: masked PAN, questions without answers, no secrets."""
        return {
            "id": self.id,
            "pan": self.pan_masked,
            "name": self.name,
            "mobile": self.mobile,
            "email": self.email,
            "methods": [m.value for m in self.methods],
            "kba": [
                {"question_id": k.question_id} if k.question_id else {"question": k.question}
                for k in self.kba
            ],
            "has_passcode": self.passcode_hash is not None,
            "has_totp": self.totp_secret_enc is not None,
            "trusted_beneficiaries": self.trusted_beneficiaries,
            "locale": self.locale,
            "delivery": self.delivery.value,
            "history": msgspec.to_builtins(self.history),
        }


class Expected(msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    transStatus: TransStatus
    transStatusReason: TransStatusReason | None = None


class TestCard(msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    """One catalog entry. ``scheme`` is filled from the card range when the catalog loads."""

    __test__ = False  # not a pytest class

    scenario: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]+$")]
    acctNumber: Digits
    expected: Expected
    description: Text
    scheme: Scheme | None = None
    # AReq fields the outcome needs besides the PAN (e.g. threeDSRequestorDecReqInd for a D)
    areq: dict[str, str] = msgspec.field(default_factory=dict)
    # what the card answers (or asks) depends on what ran before on it: velocity and low-value
    # counters, trusted merchants, payments remembered; ``reset`` is the request (METHOD path)
    # that makes it answer as the catalog says again
    depends_on_history: bool = False
    reset: Text | None = None
    # the faults every AReq with this card plays (acs/faults.py: name[:arg], ...), whatever the
    # rules decide; README "Faults"
    fault: Text | None = None

    def __post_init__(self) -> None:
        if self.depends_on_history and not self.reset:
            raise ValueError(
                "reset: a card that depends on history says how to reset it, such as "
                f"DELETE /qa/cards/{self.acctNumber}/state"
            )
        if self.fault is not None:
            self.faults  # noqa: B018 - raises FaultError (a ValueError) naming what is valid

    @property
    def faults(self) -> Faults:
        return parse_faults(self.fault) if self.fault else ()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "cardholder"
