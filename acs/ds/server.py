"""The DS front's state, made once at start-up, and the answers its verbs return."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

import aiohttp
import msgspec

from acs.crypto.sdk_enc_data import DsKeys
from acs.ds.config import DsConfig
from acs.issuer.models import CardRange
from acs.protocol.codes import ErrorCode, ErrorComponent, MessageType
from acs.protocol.errors import ProtocolError, TransactionIds, erro_message
from acs.protocol.messages import ARes, Erro
from acs.protocol.validate import ParsedAReq
from acs.store.store import Store

# The in-process ACS: the AReq as the DS forwards it (and as the DS validated it), in; the ARes
# or Erro, out.
LocalAcs = Callable[[bytes, ParsedAReq], Awaitable[ARes | Erro]]

_encode = msgspec.json.Encoder().encode


class CardRanges(Protocol):
    """Where the DS finds card ranges: the live issuer directory, or a fixed index."""

    def find_range(self, pan: str) -> CardRange | None: ...

    @property
    def ranges(self) -> list[CardRange]: ...


class Answer(NamedTuple):
    """An HTTP-free answer: the JSON body and the 2.3.x ID headers."""

    body: bytes
    headers: dict[str, str] | None = None


class DirectoryServer:
    def __init__(
        self,
        config: DsConfig,
        store: Store,
        ranges: CardRanges,
        keys: DsKeys,
        http: aiohttp.ClientSession,
        local_acs: LocalAcs | None = None,
    ) -> None:
        if local_acs is None and config.acs_url is None:
            raise ValueError("the DS front needs an ACS: the in-process one or --acs-url")
        self.config = config
        self.store = store
        self.ranges = ranges
        self.keys = keys
        self.http = http
        self.local_acs = local_acs
        self.known_serials: set[str] = set()  # PRes snapshots already kept in the store

    @staticmethod
    def erro(err: ProtocolError) -> Erro:
        """An Erro from the DS (errorComponent D)."""
        err.component = ErrorComponent.DIRECTORY_SERVER
        return erro_message(err)


def ds_error(
    code: ErrorCode,
    detail: str,
    message_type: MessageType,
    version: object = None,
    **ids: object,
) -> ProtocolError:
    """A ProtocolError the DS found, echoing what IDs it could read."""
    return ProtocolError(
        code,
        detail,
        message_type=message_type.value,
        message_version=version if isinstance(version, str) else None,
        ids=TransactionIds(**{k: v for k, v in ids.items() if isinstance(v, str)}),
        component=ErrorComponent.DIRECTORY_SERVER,
    )


def field_detail(exc: msgspec.ValidationError) -> str:
    """msgspec says "Expected `str`, got `int` - at `$.acsTransID`": name the field first."""
    text = str(exc)
    where = text.rsplit(" - at `$.", 1)
    if len(where) == 2:
        return f"{where[1].rstrip('`')}: {where[0]}"[:256]
    if "missing required field" in text:
        return text.split("`")[1] + ": required" if "`" in text else text
    return text[:256]
