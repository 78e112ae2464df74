"""The transaction record: everything a QA run or a later step needs, with the PAN protected."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from acs.logs import mask_pan
from acs.protocol.messages import AReq

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
    ares: dict[str, Any]
    decision: DecisionRecord
    cardholder_id: str | None = None
    authentication: dict[str, str] | None = None  # evidence to re-verify the value (ATN, ...)
    state: str = "complete"
    three_ds_method: dict[str, Any] | None = None  # signals the 3DS Method collected

    def public(self) -> dict[str, Any]:
        """The QA view: no PAN hash."""
        data: dict[str, Any] = msgspec.json.decode(encode(self))  # to_builtins refuses Raw
        data.pop("pan_hash", None)
        return data


def masked_message(message: AReq, encoded: bytes | None = None) -> msgspec.Raw:
    """The message as JSON with the PAN masked and what must never be stored left out.

    ``encoded``: the message as msgspec encodes it (``validate.read_areq`` makes it). When
    nothing is to be left out, masking it is one replace: a member name can be found with its
    quotes only where it is a member (a quote inside a string is escaped).
    """
    pan = message.acctNumber
    if encoded is not None and pan and all(getattr(message, n) is None for n in _NEVER_STORED):
        member = b'"acctNumber":"%s"' % pan.encode()
        if member in encoded:
            return msgspec.Raw(
                encoded.replace(member, b'"acctNumber":"%s"' % mask_pan(pan).encode())
            )
    masked = msgspec.structs.replace(
        message,
        acctNumber=mask_pan(pan) if pan else pan,
        **_NEVER_STORED,
    )
    return msgspec.Raw(_encode_message(masked))


def now() -> float:
    return time.time()


encode = msgspec.json.Encoder().encode
decode = msgspec.json.Decoder(TransactionRecord).decode
