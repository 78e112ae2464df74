"""structlog JSON logging: one event per step, bound to acsTransID, PANs masked.

Call sites log masked PANs already (``mask_pan``); the ``scrub_pans`` processor is the safety net
that masks any 13-19 digit run that slips into an event anyway.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_PAN_RUN = re.compile(r"(?<!\d)(\d{6})\d{3,9}(\d{4})(?!\d)")


def mask_pan(pan: str) -> str:
    """First 6 and last 4 digits, the rest as '*' (PCI DSS display rule)."""
    if len(pan) < 13:
        return "*" * len(pan)
    return f"{pan[:6]}{'*' * (len(pan) - 10)}{pan[-4:]}"


def _mask_match(m: re.Match[str]) -> str:
    return mask_pan(m.group(0))


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _PAN_RUN.sub(_mask_match, value) if len(value) >= 13 else value
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def scrub_pans(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    return {k: scrub(v) for k, v in event.items()}


def configure(level: str = "info", stream: Any = None, *, cache: bool = True) -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            scrub_pans,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=cache,
    )


log = structlog.get_logger("acs")
