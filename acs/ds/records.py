"""What the DS front keeps: one record per AReq that asked for a challenge (the RReq relay
needs its threeDSServerURL), and one event per RReq relayed."""

from __future__ import annotations

import msgspec


class RelayRecord(msgspec.Struct, omit_defaults=True):
    dsTransID: str
    threeDSServerTransID: str
    acsTransID: str
    threeDSServerURL: str
    messageVersion: str
    deviceChannel: str
    transStatus: str  # the ARes's: C or D
    created_at: float
    acs: str  # "in-process" or the remote ACS's AReq URL


class RelayEvent(msgspec.Struct, omit_defaults=True):
    """One RReq the DS received for the transaction, and what became of it."""

    at: float
    outcome: str  # "relayed", "failed", "repeated" (answered again with the kept RRes)
    transStatus: str | None = None
    resultsStatus: str | None = None
    attempts: int = 0  # POSTs to the threeDSServerURL (1, or 2 after a refused connection)
    error: str | None = None


encode_record = msgspec.json.Encoder().encode
decode_record = msgspec.json.Decoder(RelayRecord).decode
decode_event = msgspec.json.Decoder(RelayEvent).decode
