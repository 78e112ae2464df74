"""The transaction record: everything a QA run or a later step needs, with the PAN protected.

No clear PAN is stored: the AReq's acctNumber is masked, and so is a PAN-like digit run anywhere
a requestor could have put one (a free-text field of the AReq such as cardholderName or acctID,
and the decision's trace and explanation, which may quote them): see ``mask_pan_runs``.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from acs.logs import DIGIT_SHAPE, SHORTEST_PAN, mask_pan
from acs.protocol.messages import AReq, ARes, Erro

# Card data that must never be stored, even masked (PCI DSS 3.2: no CVC after authorisation).
_NEVER_STORED: dict[str, None] = {"cardSecurityCode": None}
_encode_message = msgspec.json.Encoder().encode


class DecisionRecord(msgspec.Struct, omit_defaults=True):
    status: str
    rule_id: str
    explanation: str
    rules_version: str
    reason: str | None = None
    exemption: str | None = None
    adjustments: list[str] = msgspec.field(default_factory=list)
    trace: list[dict[str, Any]] = msgspec.field(default_factory=list)

    def mask(self) -> None:
        """Mask PAN-like runs in what the rules quoted from the AReq (cardholderName, ...).
        Needed only when the AReq carried one (``masked_areq`` says): the trace never shows
        the acctNumber itself, and its other values are the ACS's own."""
        self.explanation = _masked(self.explanation)
        self.adjustments = _masked(self.adjustments)
        self.trace = _masked(self.trace)


class TransactionRecord(msgspec.Struct, omit_defaults=True):
    acsTransID: str
    threeDSServerTransID: str
    dsTransID: str
    messageVersion: str
    deviceChannel: str
    messageCategory: str
    created_at: float
    card_range_id: str
    scheme: str
    pan_masked: str
    pan_hash: str
    areq: msgspec.Raw  # the AReq as JSON, PAN masked (masked_message): stored, shown, not read
    ares: ARes
    decision: DecisionRecord
    cardholder_id: str | None = None
    authentication: dict[str, str] | None = None  # evidence to re-verify the value (ATN, ...)
    state: str = "complete"
    three_ds_method: dict[str, Any] | None = None  # signals the 3DS Method collected
    issuer_calls: list[dict[str, Any]] = msgspec.field(default_factory=list)  # and their answers
    shadow: DecisionRecord | None = None  # serve --shadow-rules: the draft set's decision
    faults: str | None = None  # the faults this transaction plays (acs/faults.py), as a spec

    def public(self) -> dict[str, Any]:
        """The QA view: no PAN hash, and no clear PAN even in a record stored before masking."""
        data: dict[str, Any] = msgspec.json.decode(encode(self))  # to_builtins refuses Raw
        data.pop("pan_hash", None)
        data["decision"] = _masked(data["decision"])
        if "shadow" in data:
            data["shadow"] = _masked(data["shadow"])
        return data


class ErroRecord(msgspec.Struct, omit_defaults=True):
    """An AReq answered with an Erro: the Erro itself, and what the ACS could read of the AReq
    (none of it when the AReq was not readable at all)."""

    acsTransID: str  # ours, whether or not the Erro could carry it
    created_at: float
    erro: Erro
    messageVersion: str | None = None  # the AReq's, as read (the Erro's may differ)
    deviceChannel: str | None = None
    messageCategory: str | None = None
    threeDSRequestorID: str | None = None
    pan_masked: str | None = None
    pan_hash: str | None = None
    state: str = "erro"

    @property
    def threeDSServerTransID(self) -> str | None:
        return self.erro.threeDSServerTransID

    @property
    def dsTransID(self) -> str | None:
        return self.erro.dsTransID

    def public(self) -> dict[str, Any]:
        """The QA view: the Erro's members beside the record's (its messageType and version
        left out: the version shown is the AReq's), no PAN hash."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        erro = data.pop("erro")
        data.pop("pan_hash", None)
        data.update((k, v) for k, v in erro.items() if k not in ("messageType", "messageVersion"))
        data["state"] = self.state  # (a default, so not stored)
        return data


def decode_any(raw: bytes) -> TransactionRecord | ErroRecord:
    """A stored record of either kind (an Erro's has no ``ares``, so it fails the first try at
    once)."""
    try:
        return decode(raw)
    except msgspec.ValidationError:
        return decode_erro(raw)


def masked_message(message: AReq, encoded: bytes | None = None) -> msgspec.Raw:
    """The message as JSON with the PAN masked and what must never be stored left out."""
    return masked_areq(message, encoded)[0]


def masked_areq(message: AReq, encoded: bytes | None = None) -> tuple[msgspec.Raw, bool]:
    """The message as JSON with the PAN masked and what must never be stored left out, and
    whether a PAN-like run besides acctNumber was masked (a free-text field held one).

    ``encoded``: the message as msgspec encodes it (``validate.read_areq`` makes it). When
    nothing is to be left out, masking it is one replace: a member name can be found with its
    quotes only where it is a member (a quote inside a string is escaped).
    """
    pan = message.acctNumber
    if encoded is not None and pan and all(getattr(message, n) is None for n in _NEVER_STORED):
        member = b'"acctNumber":"%s"' % pan.encode()
        if member in encoded:
            plain = encoded.replace(member, b'"acctNumber":"%s"' % mask_pan(pan).encode())
            masked = mask_pan_runs(plain, pan)
            return msgspec.Raw(masked), masked is not plain
    stripped = msgspec.structs.replace(
        message,
        acctNumber=mask_pan(pan) if pan else pan,
        **_NEVER_STORED,
    )
    plain = _encode_message(stripped)
    masked = mask_pan_runs(plain, pan or "")
    return msgspec.Raw(masked), masked is not plain


def mask_pan_runs(data: bytes, pan: str = "") -> bytes:
    """``data`` with every PAN-like digit run masked as ``mask_pan`` shows a PAN.

    PAN-like: a run of 13-19 digits (not part of a longer run) that is ``pan`` (this
    transaction's card, whatever its check digit), or that passes the Luhn check and is not a
    14-digit date-time. Card PANs end in a Luhn check digit (ISO/IEC 7812), so the check keeps
    them all; nine in ten other runs (phone numbers, merchant IDs) fail it and stay readable.
    A YYYYMMDDhhmmss (purchaseDate, sdkSignatureTimestamp) starts 19 or 20, where no 14-digit
    PAN does (Diners: 30, 36, 38, 39).

    Cost: most messages have one such run at most (purchaseDate), found by ``translate`` and
    ``find`` at C speed; only the runs found are looked at in Python.
    """
    shape = data.translate(DIGIT_SHAPE)
    start = shape.find(SHORTEST_PAN)
    if start < 0:
        return data
    own = pan.encode()
    pieces: list[bytes] = []
    done = 0
    while start >= 0:
        end = shape.find(b" ", start)  # ``find`` went to the run's first digit; this is its end
        if end < 0:
            end = len(data)
        run = data[start:end]
        if len(run) <= 19 and (run == own or (not _date_time(run) and _luhn(run))):
            pieces += (data[done:start], mask_pan(run.decode()).encode())
            done = end
        start = shape.find(SHORTEST_PAN, end)
    if not pieces:
        return data
    pieces.append(data[done:])
    return b"".join(pieces)


def _luhn(digits: bytes) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = c - 0x30
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _date_time(digits: bytes) -> bool:
    return len(digits) == 14 and digits[:2] in (b"19", b"20")


def _masked(value: Any) -> Any:
    """``value`` (JSON-like) with ``mask_pan_runs`` applied to each string in it."""
    if isinstance(value, str):
        return mask_pan_runs(value.encode()).decode() if len(value) >= 13 else value
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def now() -> float:
    return time.time()


encode = msgspec.json.Encoder().encode
decode = msgspec.json.Decoder(TransactionRecord).decode
decode_erro = msgspec.json.Decoder(ErroRecord).decode
