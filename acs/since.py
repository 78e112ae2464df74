"""``since``, as the QA API and ``acs report`` read it: a moment in the past, given as epoch
seconds, an ISO 8601 date-time, or an age (``90s``, ``15m``, ``2h``, ``7d``)."""

from __future__ import annotations

import datetime as dt
import math
import re

FORMS = (
    "epoch seconds (1717000000), an ISO 8601 date-time (2024-05-29T16:00:00Z) "
    "or an age (15m, 2h, 7d)"
)
_AGE = re.compile(r"(\d{1,9})([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: float) -> float:
    """Epoch seconds; ``ValueError`` saying which forms work."""
    text = text.strip()
    age = _AGE.fullmatch(text)
    if age:
        return now - int(age.group(1)) * _UNIT[age.group(2)]
    try:
        moment = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(moment) and moment >= 0:
            return moment
        raise ValueError(f"since {text!r}: give {FORMS}")
    try:
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)  # no offset given: UTC, like every time here
        return parsed.timestamp()
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"since {text[:40]!r}: give {FORMS}") from exc
