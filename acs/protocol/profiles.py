"""Validation profiles: how strictly an AReq is held to the field table of its own version."""

from __future__ import annotations

from enum import StrEnum


class ValidationProfile(StrEnum):
    """``strict``: an element that only another message version defines is an Erro 203, as a
    certification platform checks. ``lenient``: such an element is dropped when it is valid as
    that other version defines it (and still an Erro 203 when it is not), as production ACSs
    tolerate. Unknown names are ignored in both. See ``validate.py``."""

    STRICT = "strict"
    LENIENT = "lenient"
