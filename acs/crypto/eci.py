"""Electronic Commerce Indicator per scheme and outcome (emv3ds.md section 7.4).

The core spec leaves ECI values to each payment system. Only this table knows the codes.
"""

from __future__ import annotations

from enum import StrEnum

from acs.protocol.codes import TransStatus
from acs.protocol.schemes import Scheme


class Eci(StrEnum):
    AUTHENTICATED = "05"  # Visa, Amex, JCB, Discover, UnionPay, CB
    ATTEMPTED = "06"
    NOT_AUTHENTICATED = "07"
    MC_AUTHENTICATED = "02"  # Mastercard / Maestro
    MC_ATTEMPTED = "01"
    MC_NOT_AUTHENTICATED = "00"


_VISA_LIKE: dict[TransStatus, Eci] = {
    TransStatus.AUTHENTICATED: Eci.AUTHENTICATED,
    TransStatus.ATTEMPTED: Eci.ATTEMPTED,
    TransStatus.NOT_AUTHENTICATED: Eci.NOT_AUTHENTICATED,
    TransStatus.UNABLE: Eci.NOT_AUTHENTICATED,
    TransStatus.REJECTED: Eci.NOT_AUTHENTICATED,
}

_MASTERCARD: dict[TransStatus, Eci] = {
    TransStatus.AUTHENTICATED: Eci.MC_AUTHENTICATED,
    TransStatus.ATTEMPTED: Eci.MC_ATTEMPTED,
    TransStatus.NOT_AUTHENTICATED: Eci.MC_NOT_AUTHENTICATED,
    TransStatus.UNABLE: Eci.MC_NOT_AUTHENTICATED,
    TransStatus.REJECTED: Eci.MC_NOT_AUTHENTICATED,
}

# C, D and S are interim (the final outcome arrives later) and I authenticates nothing - its
# ECI follows the requestor's exemption, not the ACS - so they are absent on purpose.
ECI_TABLE: dict[Scheme, dict[TransStatus, Eci]] = {
    scheme: _MASTERCARD if scheme is Scheme.MASTERCARD else _VISA_LIKE for scheme in Scheme
}


def eci_for(scheme: Scheme, status: TransStatus) -> Eci | None:
    """The ECI for a final outcome, or None for statuses that carry none (C, D, I, S)."""
    return ECI_TABLE[scheme].get(status)
