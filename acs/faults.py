"""Fault and latency injection: every fault the simulator can play, by name, and how it is asked.

A fault spec is ``name[:arg]``; several go comma-separated (``ares-delay:2, rreq-twice``). They
come from a catalog card (``fault:`` in config/test-cards.yaml), a rule's outcome
(``then.fault``) or, when ``acs serve --faults`` is on, the request itself (the ``X-ACS-Fault``
header, or an AReq ``messageExtension`` with id ``acs.fault``). Faults chosen at the AReq stay
with the challenge session, so the CRes and RReq steps play theirs. Each fault is applied at one
place (see ``Stage``); a request with no fault pays a ``None`` check there and nothing else.

This module knows names and arguments only; what a fault does lives where it is applied.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import msgspec

from acs.protocol.codes import ErrorCode, MessageVersion

HEADER: Final = "X-ACS-Fault"  # per-request faults on an HTTP request (AReq, CReq, PReq)
IGNORED_HEADER: Final = "X-ACS-Fault-Ignored"  # why per-request faults were not applied
EXTENSION_ID: Final = "acs.fault"  # per-request faults inside an AReq's messageExtension
MAX_SECONDS: Final = 120.0  # a delay longer than any DS or SDK timeout worth testing
MAX_FAULTS: Final = 8
MAX_SPEC_CHARS: Final = 512
ENABLE_HINT: Final = "start acs serve with --faults (or ACS_FAULTS=1)"


class FaultName(StrEnum):
    """Every fault, by the name a spec uses."""

    ARES_DELAY = "ares-delay"
    ARES_TIMEOUT = "ares-timeout"
    ARES_ERRO = "ares-erro"
    ARES_MISSING = "ares-missing"
    ARES_MALFORMED = "ares-malformed"
    BAD_X5C = "bad-x5c"
    BAD_SIGNATURE = "bad-signature"
    RREQ_MISSING = "rreq-missing"
    RREQ_TWICE = "rreq-twice"
    RREQ_AFTER_CRES = "rreq-after-cres"
    RREQ_SLOW = "rreq-slow"
    CRES_CONTENT_TYPE = "cres-content-type"
    CRES_VERSION = "cres-version"
    CRES_EXTRA_FIELD = "cres-extra-field"
    CRES_EMPTY_INFO_TEXT = "cres-empty-info-text"
    PRES_LATE = "pres-late"
    PRES_MALFORMED = "pres-malformed"
    HTTP_500 = "http-500"
    DROP = "drop"
    LATENCY = "latency"


class Stage(StrEnum):
    """Where a fault is applied (each in one place)."""

    ARES = "ares"  # flows/areq.py: the ARes (content, signed content, timing)
    HTTP = "http"  # the web layer: the HTTP answer itself (flows raise TransportFault)
    CRES = "cres"  # flows/app.py and flows/browser.py: the CRes
    RREQ = "rreq"  # flows/rreq.py: send_rreq
    PRES = "pres"  # ds/preq.py: the DS front's PRes
    ANY = "any"  # every answer of the transaction (the latency floor)


class ArgKind(StrEnum):
    NONE = "none"
    SECONDS = "seconds"
    ERROR_CODE = "error code"
    ARES_FIELD = "ARes field"
    MEDIA_TYPE = "media type"
    VERSION = "messageVersion"
    MEMBER = "member name"
    WHERE = "message"
    PRES_MODE = "how"


ARES_FIELDS: Final = ("acsURL", "acsSignedContent", "sdkTransID")
WHERE: Final = ("ares", "cres")  # which answer an HTTP fault replaces
PRES_MODES: Final = ("fields", "json")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,30}/[a-z0-9][a-z0-9.+-]{0,30}$")
_MEMBER = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
_SECONDS = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3})?$")


@dataclass(frozen=True, slots=True)
class Spec:
    """What one fault takes and does (the README's Faults table is written from these)."""

    stage: Stage
    arg: ArgKind
    default: str | None  # None: required, unless ``default_note`` says what it depends on
    tests: str  # the behaviour it tests, in a line
    default_note: str | None = None

    @property
    def required(self) -> bool:
        return self.arg is not ArgKind.NONE and self.default is None and self.default_note is None

    @property
    def usage(self) -> str:
        if self.arg is ArgKind.NONE:
            return "no argument"
        choices = _CHOICES.get(self.arg)
        what = f"{self.arg.value} ({'|'.join(choices)})" if choices else self.arg.value
        if self.arg is ArgKind.SECONDS:
            what = f"seconds (0-{MAX_SECONDS:g})"
        if self.required:
            return f"{what}, required"
        return f"{what}, default {self.default or self.default_note}"


_CHOICES: dict[ArgKind, tuple[str, ...]] = {
    ArgKind.ERROR_CODE: tuple(c.value for c in ErrorCode),
    ArgKind.ARES_FIELD: ARES_FIELDS,
    ArgKind.VERSION: tuple(v.value for v in MessageVersion),
    ArgKind.WHERE: WHERE,
    ArgKind.PRES_MODE: PRES_MODES,
}

SPECS: Final[dict[FaultName, Spec]] = {
    FaultName.ARES_DELAY: Spec(
        Stage.ARES, ArgKind.SECONDS, "2", "a slow ACS: the ARes comes after the delay"
    ),
    FaultName.ARES_TIMEOUT: Spec(
        Stage.ARES,
        ArgKind.SECONDS,
        None,
        "an ARes past the DS timeout: the DS answers Erro 402 and drops the late ARes",
        default_note="the DS ARes timeout (--ds-ares-timeout) plus 1",
    ),
    FaultName.ARES_ERRO: Spec(
        Stage.ARES,
        ArgKind.ERROR_CODE,
        ErrorCode.TRANSIENT_FAILURE.value,
        "an Erro with that errorCode instead of the ARes (the transaction is still recorded)",
    ),
    FaultName.ARES_MISSING: Spec(
        Stage.ARES, ArgKind.ARES_FIELD, None, "a required ARes field left out"
    ),
    FaultName.ARES_MALFORMED: Spec(
        Stage.ARES, ArgKind.ARES_FIELD, None, "an ARes field with a malformed value"
    ),
    FaultName.BAD_X5C: Spec(
        Stage.ARES,
        ArgKind.NONE,
        None,
        "acsSignedContent signed by a key whose x5c chain does not reach the trusted root",
    ),
    FaultName.BAD_SIGNATURE: Spec(
        Stage.ARES, ArgKind.NONE, None, "acsSignedContent whose JWS signature does not verify"
    ),
    FaultName.RREQ_MISSING: Spec(
        Stage.RREQ, ArgKind.NONE, None, "no RReq at all after the challenge"
    ),
    FaultName.RREQ_TWICE: Spec(
        Stage.RREQ, ArgKind.NONE, None, "the same RReq sent twice (a duplicate after the RRes)"
    ),
    FaultName.RREQ_AFTER_CRES: Spec(
        Stage.RREQ,
        ArgKind.SECONDS,
        "1",
        "the final CRes first, the RReq that many seconds later (it normally goes first)",
    ),
    FaultName.RREQ_SLOW: Spec(
        Stage.RREQ,
        ArgKind.SECONDS,
        "3",
        "a slow RRes wait: the ACS holds the RReq that long, so the DS and 3DS Server wait for "
        "the result (and the final CRes, which follows the RReq, waits too)",
    ),
    FaultName.CRES_CONTENT_TYPE: Spec(
        Stage.CRES, ArgKind.MEDIA_TYPE, "text/plain", "an app CRes with the wrong Content-Type"
    ),
    FaultName.CRES_VERSION: Spec(
        Stage.CRES,
        ArgKind.VERSION,
        None,
        "CRes messageVersion unlike the AReq's (app CRes and the browser's final CRes)",
        default_note="another version than the AReq's",
    ),
    FaultName.CRES_EXTRA_FIELD: Spec(
        Stage.CRES,
        ArgKind.MEMBER,
        "acsUiType",
        "a final CRes with a member it must not carry, which SDKs reject",
    ),
    FaultName.CRES_EMPTY_INFO_TEXT: Spec(
        Stage.CRES, ArgKind.NONE, None, "an app challenge screen with an empty challengeInfoText"
    ),
    FaultName.PRES_LATE: Spec(
        Stage.PRES, ArgKind.SECONDS, "5", "the DS front's PRes after the delay"
    ),
    FaultName.PRES_MALFORMED: Spec(
        Stage.PRES,
        ArgKind.PRES_MODE,
        "fields",
        "a malformed PRes: required fields missing or mistyped (fields), or cut-short JSON (json)",
    ),
    FaultName.HTTP_500: Spec(
        Stage.HTTP,
        ArgKind.WHERE,
        "ares",
        "HTTP 500 with a text body instead of the ARes (ares) or of each CRes (cres)",
    ),
    FaultName.DROP: Spec(
        Stage.HTTP,
        ArgKind.WHERE,
        "ares",
        "the connection closed with no answer instead of the ARes (ares) or each CRes (cres)",
    ),
    FaultName.LATENCY: Spec(
        Stage.ANY,
        ArgKind.SECONDS,
        None,
        "a latency floor: every answer of the transaction (ARes, CRes, challenge pages, PRes) "
        "takes at least that long",
    ),
}


class FaultError(ValueError):
    """A fault spec that cannot be used; the message lists what can."""


class Fault(msgspec.Struct, frozen=True, array_like=True, omit_defaults=True):
    """One fault and its argument as written (checked by ``parse_faults``)."""

    name: FaultName
    arg: str | None = None

    def __str__(self) -> str:
        return f"{self.name.value}:{self.arg}" if self.arg else self.name.value

    @property
    def spec(self) -> Spec:
        return SPECS[self.name]

    @property
    def value(self) -> str | None:
        """The argument, or the default (None when the default depends on the transaction)."""
        return self.arg or self.spec.default

    @property
    def seconds(self) -> float | None:
        value = self.value
        return float(value) if value else None

    @property
    def error_code(self) -> ErrorCode:
        return ErrorCode(self.value or ErrorCode.TRANSIENT_FAILURE.value)


Faults = tuple[Fault, ...]  # as asked: at most one of each name


class TransportFault(Exception):
    """The answer is no message at all: an HTTP 500, or the connection dropped. Raised by the
    flows once the transaction is recorded; the web layer (or the in-process DS front) plays
    it."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        super().__init__(str(fault))

    @property
    def drop(self) -> bool:
        return self.fault.name is FaultName.DROP


def find(faults: Sequence[Fault] | None, name: FaultName) -> Fault | None:
    """The fault of that name among ``faults`` (None: none asked)."""
    if faults:
        for fault in faults:
            if fault.name is name:
                return fault
    return None


def transport(faults: Sequence[Fault] | None, where: str) -> Fault | None:
    """The HTTP fault (500 or drop) that replaces the ``where`` answer (ares or cres)."""
    for name in (FaultName.HTTP_500, FaultName.DROP):
        fault = find(faults, name)
        if fault is not None and fault.value == where:
            return fault
    return None


def merge(*sources: Sequence[Fault] | None) -> Faults | None:
    """One set from several sources (card, rule, request): a later source's fault of the
    same name wins. None when there are none."""
    merged: dict[FaultName, Fault] = {}
    for source in sources:
        for fault in source or ():
            merged[fault.name] = fault
    return tuple(merged.values()) or None


def usage() -> str:
    """Every fault and its argument, for error messages."""
    return "; ".join(f"{name.value} ({spec.usage})" for name, spec in SPECS.items())


@functools.lru_cache(maxsize=256)
def parse_faults(text: str) -> Faults:
    """``name[:arg][, name[:arg]...]`` -> the faults, or FaultError naming the one at fault and
    what it takes. Cached: the same spec (a card's, a rule's) is parsed once."""
    if len(text) > MAX_SPEC_CHARS:
        raise FaultError(f"fault spec: longer than {MAX_SPEC_CHARS} characters")
    items = [item.strip() for item in text.split(",")]
    if items == [""]:
        return ()
    if len(items) > MAX_FAULTS:
        raise FaultError(f"fault spec: {len(items)} faults, at most {MAX_FAULTS}")
    faults: dict[FaultName, Fault] = {}
    for item in items:
        fault = parse_fault(item)
        if fault.name in faults:
            raise FaultError(f"{fault.name.value}: given twice; give each fault once")
        faults[fault.name] = fault
    return tuple(faults.values())


def parse_fault(item: str) -> Fault:
    """One ``name[:arg]``."""
    if not item:
        raise FaultError("fault spec: an empty fault between commas; write name[:arg], ...")
    raw_name, sep, raw_arg = item.partition(":")
    name_text, arg = raw_name.strip().lower(), raw_arg.strip()
    try:
        name = FaultName(name_text)
    except ValueError:
        raise FaultError(
            f"{_printable(name_text)!r}: no such fault; known faults: {usage()}"
        ) from None
    spec = SPECS[name]
    if spec.arg is ArgKind.NONE:
        if sep:
            raise FaultError(f"{name.value}: takes no argument (write {name.value})")
        return Fault(name)
    if not sep or not arg:
        if spec.required:
            raise FaultError(f"{name.value}: needs an argument: {spec.usage}")
        return Fault(name)
    return Fault(name, _check_arg(name, spec, arg))


def _check_arg(name: FaultName, spec: Spec, arg: str) -> str:
    """The argument, canonical, or FaultError saying what the fault takes."""
    bad = FaultError(f"{name.value}:{_printable(arg)}: takes {spec.usage}")
    kind = spec.arg
    if kind is ArgKind.SECONDS:
        if not _SECONDS.match(arg):
            raise bad
        seconds = float(arg)
        if not (0 < seconds <= MAX_SECONDS) or not math.isfinite(seconds):
            raise bad
        return f"{seconds:g}"
    if kind is ArgKind.MEDIA_TYPE:
        if not _MEDIA_TYPE.match(arg.lower()):
            raise bad
        return arg.lower()
    if kind is ArgKind.MEMBER:
        if not _MEMBER.match(arg):
            raise bad
        return arg
    choices = _CHOICES[kind]
    if arg not in choices:
        raise bad
    return arg


def from_extensions(extensions: Iterable[Any] | None) -> str | None:
    """The fault spec an AReq's ``messageExtension`` carries (id ``acs.fault``, data a string
    or a list of strings), or None. Anything else in it is a FaultError."""
    for ext in extensions or ():
        if getattr(ext, "id", None) != EXTENSION_ID:
            continue
        data = ext.data
        if isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(d, str) for d in data):
            return ",".join(data)
        raise FaultError(
            f"messageExtension {EXTENSION_ID}: data must be a fault spec string such as "
            f'"ares-delay:2, rreq-twice" (or a list of them)'
        )
    return None


def spec_text(faults: Sequence[Fault] | None) -> str | None:
    """The faults as one spec string, for records and logs."""
    return ", ".join(str(f) for f in faults) if faults else None


def _printable(text: str, limit: int = 40) -> str:
    cleaned = "".join(c if c.isprintable() and c.isascii() else "?" for c in text[:limit])
    return cleaned + ("..." if len(text) > limit else "")
