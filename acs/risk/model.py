"""Typed models of the rule files (``rules/*.yaml``), loaded with msgspec.

A rule set is an ordered list of rules; a manifest (``rules/rulesets.yaml``) lists the sets in
evaluation order and carries the policy: EUR rates, exemption thresholds, velocity windows.
``when`` stays raw here: the compiler walks it itself so that every error names its YAML path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import msgspec

from acs.faults import Faults, parse_faults
from acs.issuer.models import AppUi, ChallengeMethod
from acs.protocol.codes import TransChallengeExemption, TransStatus, TransStatusReason
from acs.risk.currency import DEFAULT_EUR_RATES  # the documented defaults (README, rules)

RuleId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,79}$")]


class Mode(StrEnum):
    FIRST_MATCH = "first-match"
    SCORE = "score"


class Exemption(StrEnum):
    """Why no challenge was needed; recorded with the decision, mapped to 2.3.1 ARes codes."""

    LOW_VALUE = "low_value"  # PSD2 RTS art. 16
    TRA = "tra"  # art. 18
    TRUSTED_BENEFICIARY = "trusted_beneficiary"  # art. 13
    RECURRING = "recurring"  # art. 14 (same amount, same payee)
    MERCHANT_INITIATED = "mit"  # out of SCA scope
    ONE_LEG_OUT = "one_leg_out"  # out of SCA scope
    SECURE_CORPORATE = "secure_corporate"  # art. 17
    DATA_ONLY = "data_only"

    @property
    def ares_code(self) -> TransChallengeExemption | None:
        return _ARES_CODES.get(self)


_ARES_CODES = {
    Exemption.TRA: TransChallengeExemption.TRA,
    Exemption.TRUSTED_BENEFICIARY: TransChallengeExemption.TRUST_LIST,
    Exemption.LOW_VALUE: TransChallengeExemption.LOW_VALUE,
    Exemption.SECURE_CORPORATE: TransChallengeExemption.SECURE_CORPORATE,
}


class Then(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    status: TransStatus | None = None
    reason: TransStatusReason | None = None
    methods: list[ChallengeMethod] = msgspec.field(default_factory=list)
    choose: bool = False  # the cardholder picks one of ``methods`` ("where to send the code")
    profile: str | None = None  # a challenge profile (config/challenge-profiles.yaml) instead
    app_ui: AppUi | None = None  # in the app channel: native (the default) or HTML
    exemption: Exemption | None = None
    score: float = 0.0
    # faults the transaction plays (acs/faults.py: name[:arg], ...), such as "ares-delay:3"
    fault: str | None = None

    def __post_init__(self) -> None:
        if self.fault is not None:
            self.faults  # noqa: B018 - raises FaultError (a ValueError) naming what is valid

    @property
    def faults(self) -> Faults | None:
        return parse_faults(self.fault) or None if self.fault else None


class Rule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: RuleId
    description: str
    then: Then
    when: Any = None  # None: always matches
    priority: int = 0


class Threshold(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    min_score: float
    then: Then


class WindowKind(StrEnum):
    SLIDING = "sliding"
    FIXED = "fixed"


class Window(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    seconds: Annotated[int, msgspec.Meta(ge=1, le=366 * 86400)]
    kind: WindowKind = WindowKind.SLIDING


class LowValuePolicy(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Amounts in the purchase currency's major units (EUR 30 / 5 / EUR 100 by default)."""

    max_amount: float = 30.0
    max_count: int = 5
    max_cumulative: float = 100.0


class TraPolicy(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The issuer's reference fraud rate for remote card payments, in percent (RTS Annex)."""

    reference_fraud_rate: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.05

    @property
    def limit_eur(self) -> float:
        rate = self.reference_fraud_rate
        if rate <= 0.01:
            return 500.0
        if rate <= 0.06:
            return 250.0
        if rate <= 0.13:
            return 100.0
        return 0.0


def _default_windows() -> dict[str, Window]:
    return {"1h": Window(seconds=3600), "24h": Window(seconds=86400)}


class Policy(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What rules read besides the AReq. Every part left out takes its default: the EUR rates of
    ``currency.DEFAULT_EUR_RATES`` (as in rules/rulesets.yaml),
    low value EUR 30 / 5 / EUR 100, a TRA reference fraud rate of 0.05 %, windows 1h and 24h."""

    eur_rates: dict[str, float] = msgspec.field(default_factory=lambda: dict(DEFAULT_EUR_RATES))
    low_value: dict[str, LowValuePolicy] = msgspec.field(
        default_factory=lambda: {"EUR": LowValuePolicy()}
    )
    tra: TraPolicy = TraPolicy()
    velocity: dict[Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,16}$")], Window] = (
        msgspec.field(default_factory=_default_windows)
    )


class RuleSet(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: RuleId
    rules: list[Rule]
    description: str = ""
    mode: Mode = Mode.FIRST_MATCH
    thresholds: list[Threshold] = msgspec.field(default_factory=list)
    # The policy the set needs when loaded alone: inline, or the name of a file (a manifest)
    # whose policy it takes; None: the defaults. Inside a manifest it must match the manifest's.
    policy: Policy | str | None = None


class Manifest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    sets: list[str]
    policy: Policy = Policy()
