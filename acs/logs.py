"""Logging: JSON lines on stdout, PANs masked, one event per AReq at info.

Two sources, one output. The ACS's own events go through structlog; everything that logs through
the standard library (aiohttp.server, aiohttp.web, asyncio's "Task exception was never
retrieved", any library) goes through ``structlog.stdlib.ProcessorFormatter`` into the same JSON,
with the same ``scrub_pans``. A traceback is a JSON string field (``exception``), so every event
is one line.

Call sites log masked PANs already (``mask_pan``); ``scrub_pans`` is the safety net that masks
any 13-19 digit run that slips into an event anyway.

Cost: the AReq path logs one event per AReq at info (``flows/areq.py``), so each event is kept
cheap: no bound-logger copy per request, one msgspec JSON encoding that also tells whether
``scrub_pans`` has anything to mask (it walks the values only when there is a 13-digit run), the
timestamp's date and time formatted once per second, and the line written as bytes in one write.
About 6.5 µs per event (an AReq cost 66 µs before: a bound-logger copy and two events, one with
the whole decision trace, now at debug).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import MutableMapping
from typing import Any, BinaryIO, cast

import msgspec
import structlog

_PAN_RUN = re.compile(r"(?<!\d)(\d{6})\d{3,9}(\d{4})(?!\d)")

# ``bytes.translate`` with this table turns every digit into b"0" and everything else into a space:
# a 13-digit run is then found with one C-speed ``in``, where a regex scan costs ~10x more.
DIGIT_SHAPE = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
SHORTEST_PAN = b"0" * 13


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


def _as_text(value: Any) -> str:
    """What msgspec cannot encode (exceptions, paths, ...) is written as its str()."""
    return str(value)


_encode = msgspec.json.Encoder(enc_hook=_as_text).encode


def scrub_pans(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    """Mask 13-19 digit runs in every string of the event. Most events have none: one encoding
    and a ``translate`` tell, and only then are the values walked."""
    if SHORTEST_PAN not in _encode(event).translate(DIGIT_SHAPE):
        return event
    return {k: scrub(v) for k, v in event.items()}


def _dumps(event: Any, **_kw: Any) -> str:
    """JSONRenderer's serializer (stdlib records): msgspec, ~10x json.dumps."""
    return _encode(event).decode()


def render_json(logger: Any, name: str, event: MutableMapping[str, Any]) -> bytes:
    """The last processor of structlog events: the event as JSON bytes (msgspec) with
    ``scrub_pans`` applied; the encoding doubles as its check, so an event with no 13-digit run
    (nearly all) is encoded once."""
    data = _encode(event)
    if SHORTEST_PAN in data.translate(DIGIT_SHAPE):
        data = _encode(scrub_pans(logger, name, event))
    return data


class _Timestamp:
    """``timestamp``: ISO 8601 UTC with microseconds, as structlog's TimeStamper(fmt="iso",
    utc=True) writes it, with the date and time formatted once per second (a third of the cost)."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        event["timestamp"] = f"{self._prefix}.{int((now - second) * 1e6):06d}Z"
        return event


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time (as logging's last-resort handler does
    with stderr), so replacing stdout (test capture, a daemon) never leaves a closed stream."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


_HANDLER_NAME = "acs.json"


def configure(level: str = "info", stream: Any = None, *, cache: bool = True) -> None:
    """JSON logs at ``level`` on ``stream`` (default: stdout), for structlog and stdlib logging.

    Calling it again replaces the previous configuration (tests switch levels).
    """
    level_no = logging.getLevelNamesMapping()[level.upper()]
    timestamp = _Timestamp()
    renderer = structlog.processors.JSONRenderer(serializer=_dumps)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            timestamp,
            structlog.processors.format_exc_info,
            render_json,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level_no),
        logger_factory=_lines(stream),
        cache_logger_on_first_use=cache,
    )

    handler = logging.StreamHandler(stream) if stream else _StdoutHandler()
    handler.name = _HANDLER_NAME
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                timestamp,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                scrub_pans,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_no)
    # aiohttp's access log is one info line per request: at info, the AReq event is the one line
    # an AReq writes (it has the IDs and the outcome); the access log shows only at debug.
    access = logging.DEBUG if level_no <= logging.DEBUG else logging.WARNING
    logging.getLogger("aiohttp.access").setLevel(access)


def _lines(stream: Any) -> Any:
    """structlog's logger factory: a BytesLogger (the line and its newline in one write, so one
    system call per event even unbuffered, PYTHONUNBUFFERED=1 as in the Docker image, where
    print() makes two) on the binary side of ``stream``, or of whatever ``sys.stdout`` is when
    the logger is made (see ``_StdoutHandler``)."""

    def factory(*_args: Any) -> structlog.BytesLogger:
        out = stream or sys.stdout
        binary = getattr(out, "buffer", None)
        if binary is None:
            binary = cast(BinaryIO, _TextSink(out))
        return structlog.BytesLogger(binary)

    return factory


class _TextSink:
    """Bytes in, text out: for a stream with no binary side (io.StringIO in tests)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data.decode())

    def flush(self) -> None:
        self.stream.flush()


log = structlog.get_logger("acs")
