"""Protocol errors: one exception carrying an EMV error code, turned into an Erro in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from acs.protocol.codes import ErrorCode, ErrorComponent, MessageType, MessageVersion
from acs.protocol.messages import Erro


@dataclass(slots=True)
class TransactionIds:
    """The IDs an Erro echoes when they were readable in the message in error."""

    threeDSServerTransID: str | None = None
    acsTransID: str | None = None
    dsTransID: str | None = None
    sdkTransID: str | None = None


@dataclass
class ProtocolError(Exception):
    """A message the ACS cannot accept. ``detail`` names the field(s) at fault."""

    code: ErrorCode
    detail: str
    message_type: str | None = MessageType.AREQ.value
    message_version: str | None = None
    ids: TransactionIds = field(default_factory=TransactionIds)
    # where a cardholder's browser gets the Erro as a page: the challenge window and language
    window_size: str | None = None
    language: str | None = None
    # who found it: this ACS, or the DS front (acs.ds) for what a Directory Server rejects
    component: ErrorComponent = ErrorComponent.ACS

    def __str__(self) -> str:
        return f"{self.code.value} {self.code.description}: {self.detail}"


def erro_version(received: str | None) -> str:
    """Erro echoes the received version when we support it, else our highest one."""
    if isinstance(received, str) and received in {v.value for v in MessageVersion}:
        return received  # (a list or object read off a bad message is not hashable)
    return MessageVersion.V2_3_1.value


_MESSAGE_TYPES = frozenset(MessageType)


def erro_message(err: ProtocolError) -> Erro:
    """The Erro for an error (errorComponent A when this ACS found it, D when the DS front
    did). The one place an Erro is built; the web layer sends it as JSON or shows it on an
    error page."""
    ids = err.ids
    return Erro(
        messageType="Erro",
        messageVersion=erro_version(err.message_version),
        errorCode=err.code,
        errorComponent=err.component,
        errorDescription=err.code.description,
        errorDetail=err.detail[:2048],
        errorMessageType=MessageType(err.message_type)
        if err.message_type in _MESSAGE_TYPES
        else None,
        threeDSServerTransID=ids.threeDSServerTransID or None,
        acsTransID=ids.acsTransID or None,
        dsTransID=ids.dsTransID or None,
        sdkTransID=ids.sdkTransID or None,
    )
