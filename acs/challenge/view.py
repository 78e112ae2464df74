"""What the cardholder sees at one step, channel-neutral: the browser renders a View as a page,
the app channel as CRes UI fields. Texts are already in the cardholder's language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acs.challenge.texts import Catalog


class InputKind(StrEnum):
    """How the cardholder answers; the values are the native ACS UI types (acsUiType)."""

    TEXT = "01"
    SINGLE_SELECT = "02"
    MULTI_SELECT = "03"
    OOB = "04"
    HTML = "05"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class View:
    kind: InputKind
    header: str  # challengeInfoHeader; the page's heading
    info: str  # challengeInfoText: what to do ("Enter the code we sent by SMS to ...")
    label: str  # challengeInfoLabel; the input's label
    submit_label: str  # submitAuthenticationLabel
    cancel_label: str
    resend_label: str | None = None  # resendInformationLabel: only when a resend is offered
    status: str | None = None  # about the last action ("Wrong code. 2 attempts left.")
    status_alert: bool = False  # the status reports an error (challengeInfoTextIndicator Y)
    hint: str | None = None  # shown with the input, e.g. the attempts left
    input_title: str | None = None  # what a valid entry looks like
    input_length: int | None = None  # a code of fixed length
    secret: bool = False  # masked as typed (a passcode)
    choices: tuple[Choice, ...] = ()  # single and multi select
    why: tuple[str, str] | None = None  # whyInfoLabel, whyInfoText
    expand: tuple[str, str] | None = None  # expandInfoLabel, expandInfoText


def why(t: Catalog) -> tuple[str, str]:
    """Why the cardholder is asked at all: the same for every method."""
    return t("why.label"), t("why.text")


def expand(t: Catalog, key: str) -> tuple[str, str]:
    """A method's help (``help.<key>``), folded under its label."""
    return t(f"help.{key}.label"), t(f"help.{key}.text")
