from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from acs import logs
from acs.logs import mask_pan, scrub

PAN = "4016000000000012"
MASKED = "401600******0012"


def test_mask_pan_keeps_first_six_and_last_four() -> None:
    assert mask_pan("4016000000000012") == "401600******0012"
    assert mask_pan("371000000000019") == "371000*****0019"
    assert mask_pan("12") == "**"


def test_scrub_masks_pans_that_slip_into_an_event() -> None:
    event = {
        "msg": "card 4016000000000012 failed",
        "nested": {"pans": ["5105000000000011"]},
        "n": 5,
    }
    cleaned = scrub(event)
    assert "4016000000000012" not in str(cleaned) and "5105000000000011" not in str(cleaned)
    assert cleaned["msg"] == "card 401600******0012 failed"
    assert cleaned["n"] == 5


@pytest.fixture
def out() -> Iterator[io.StringIO]:
    """Logs configured at info into a buffer; back to the tests' configuration afterwards."""
    buffer = io.StringIO()
    logs.configure("info", buffer, cache=False)
    try:
        yield buffer
    finally:
        logs.configure("warning", cache=False)


def lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_structlog_events_are_json_lines_with_pans_masked(out: io.StringIO) -> None:
    structlog.get_logger("acs.test").info("card.seen", note=f"card {PAN}", amount=12)
    (line,) = lines(out)
    event = json.loads(line)
    assert event == {
        "note": f"card {MASKED}",
        "amount": 12,
        "event": "card.seen",
        "level": "info",
        "timestamp": event["timestamp"],
    }
    assert event["timestamp"].endswith("Z") and len(event["timestamp"]) == 27


def test_an_aiohttp_exception_is_one_json_line_with_the_pan_masked(out: io.StringIO) -> None:
    try:
        raise ValueError(f"cannot parse card {PAN}")
    except ValueError:
        logging.getLogger("aiohttp.server").exception("Error handling request")
    (line,) = lines(out)
    event = json.loads(line)
    assert event["logger"] == "aiohttp.server"
    assert event["level"] == "error"
    assert event["event"] == "Error handling request"
    assert event["exception"].startswith("Traceback (most recent call last):")
    assert f"ValueError: cannot parse card {MASKED}" in event["exception"]
    assert PAN not in line


def test_an_unretrieved_task_exception_is_one_json_line(out: io.StringIO) -> None:
    async def fails() -> None:
        raise RuntimeError(f"lost {PAN}")

    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(fails())
        loop.run_until_complete(asyncio.sleep(0))
        del task  # never awaited: asyncio logs "Task exception was never retrieved"
        gc.collect()
    finally:
        loop.close()
    (line,) = lines(out)
    event = json.loads(line)
    assert event["logger"] == "asyncio" and event["level"] == "error"
    assert event["event"].startswith("Task exception was never retrieved")
    assert f"RuntimeError: lost {MASKED}" in event["exception"]
    assert PAN not in line


def test_stdlib_below_the_level_and_the_access_log_stay_quiet(out: io.StringIO) -> None:
    logging.getLogger("some.library").debug("noise")
    logging.getLogger("aiohttp.access").info('127.0.0.1 "POST /3ds/areq HTTP/1.1" 200')
    assert lines(out) == []


def test_configuring_again_replaces_the_handler(out: io.StringIO) -> None:
    logs.configure("info", out, cache=False)
    logging.getLogger("aiohttp.web").warning("once")
    assert len(lines(out)) == 1
