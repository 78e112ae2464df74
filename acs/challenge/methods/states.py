"""Per-method challenge state, kept in the session as a tagged union (``Session.state``)."""

from __future__ import annotations

import msgspec

from acs.issuer.models import ChallengeMethod


class OtpState(msgspec.Struct, tag="otp"):
    digest: str | None  # HMAC of the code; None when the provider generated and verifies it
    expires_at: float
    channel: str
    destination_masked: str = ""
    adapter: str = "outbox"
    provider_ref: str | None = None
    delivery_status: str = "sent"
    delivery_error: str | None = None


class Option(msgspec.Struct, array_like=True):
    value: str  # what the answer carries (challengeSelectInfo's key)
    label: str


class ChooseState(msgspec.Struct, tag="choose"):
    """The cardholder picks how to be challenged (where to send the code)."""

    options: list[ChallengeMethod]
    destinations: list[str]  # masked, one per option ("+44*******123")
    chosen: ChallengeMethod | None = None  # set by the answer; the engine then starts it


class OobState(msgspec.Struct, tag="oob"):
    nonce: str  # the banking-app link's: a link from an earlier push no longer works
    deadline: float  # an approval must come before this; after it the challenge ends N/14
    destination_masked: str = ""
    delivery_status: str = "sent"


class HistoryState(msgspec.Struct, tag="history"):
    options: list[Option]  # the cardholder's payments among decoys, shuffled
    digest: str  # HMAC of the right values, sorted: the session never holds them in clear


class KnowledgeState(msgspec.Struct, tag="knowledge"):
    """A passcode, a security question (``question``: its index in the cardholder's KBA list) or
    an authenticator-app code: what the cardholder knows or has is checked against the
    cardholder's record, never kept in the session."""

    question: int | None = None
    prompt: str | None = None  # the cardholder's own question, as asked (not a secret)
    prompt_id: str | None = None  # or one the pages know in every language (KbaQuestion)
    asked: list[int] = msgspec.field(default_factory=list)  # the questions asked so far
    remaining: int = 0  # questions still to ask after this one


MethodState = OtpState | ChooseState | OobState | HistoryState | KnowledgeState
