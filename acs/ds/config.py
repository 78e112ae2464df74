"""The DS front's settings: who it is, where it routes, how long it waits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acs.protocol.profiles import ValidationProfile

AREQ_PATH = "/ds/areq"  # 3DS Server -> DS
PREQ_PATH = "/ds/preq"  # 3DS Server -> DS
RREQ_PATH = "/ds/rreq"  # ACS -> DS: the dsURL this DS puts in every AReq
SINK_PATH = "/ds/sink/rreq"  # a stand-in threeDSServerURL that acknowledges every RReq
DEFAULT_REFERENCE_NUMBER = "3DS_LOA_DIS_ACSS_020301_00001"  # reference section 7.5's shape
DEFAULT_DS_PORT = 8445  # `acs ds` alone


class UnknownRange(StrEnum):
    """What the DS answers for a PAN in no card range."""

    ARES = "ares"  # ARes N/13 (cardholder not enrolled), built by the DS
    ERRO = "erro"  # Erro 305 (transaction data not valid), errorComponent D


@dataclass(slots=True)
class DsConfig:
    public_url: str  # where ACSs reach this DS: dsURL is public_url + RREQ_PATH
    method_url: str | None  # the ACS's 3DS Method URL, for PRes; None: not offered
    acs_url: str | None = None  # a remote ACS's AReq URL; None: the in-process ACS
    reference_number: str = DEFAULT_REFERENCE_NUMBER
    unknown_range: UnknownRange = UnknownRange.ARES
    validation: ValidationProfile = ValidationProfile.STRICT  # a card range's setting wins
    ares_timeout_seconds: float = 10.0  # DS-defined (reference section 8); then Erro 402
    rres_wait_seconds: float = 3.0  # DS -> 3DS Server RReq: RRes wait (reference section 8)
    record_seconds: int = 8 * 86400  # an RReq may follow a decoupled AReq by up to 7 days
    # per-request faults (X-ACS-Fault, acs/faults.py) on the PRes: off unless --faults
    faults: bool = False

    @property
    def ds_url(self) -> str:
        return self.public_url.rstrip("/") + RREQ_PATH
