"""What an AReq logs: one ``areq`` event at info (ARes or Erro), the decision trace at debug."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from acs import logs
from tests.protocol import samples

Y_CARD = "4016000000000012"
MASKED = "401600******0012"
COMMON = {
    "event",
    "acsTransID",
    "threeDSServerTransID",
    "dsTransID",
    "pan",
    "messageVersion",
    "deviceChannel",
    "messageCategory",
    "messageType",
    "ms",
}
ARES_KEYS = COMMON | {"transStatus", "transStatusReason", "rule", "exemption"}
ERRO_KEYS = COMMON | {"errorCode", "errorDetail"}


@contextmanager
def captured(level: str) -> Iterator[list[dict[str, Any]]]:
    logs.configure(level, cache=False)
    try:
        with structlog.testing.capture_logs() as events:
            yield events
    finally:
        logs.configure("warning", cache=False)


async def post(client, body: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = await client.post("/3ds/areq", json=body)
    assert resp.status == 200, await resp.text()
    answer: dict[str, Any] = await resp.json()
    return answer


async def test_an_ares_is_one_info_event_with_ids_outcome_and_time(memory_client) -> None:
    areq = samples.areq("2.2.0", "02", "01", pan=Y_CARD)
    with captured("info") as events:
        ares = await post(memory_client, areq)
    assert [e["event"] for e in events] == ["areq"], events
    (event,) = events
    assert event["log_level"] == "info"
    assert set(event) - {"log_level"} == ARES_KEYS  # no trace, no adjustments (none made)
    assert event["acsTransID"] == ares["acsTransID"]
    assert event["threeDSServerTransID"] == areq["threeDSServerTransID"]
    assert event["dsTransID"] == areq["dsTransID"]
    assert event["pan"] == MASKED
    assert (event["messageVersion"], event["deviceChannel"], event["messageCategory"]) == (
        "2.2.0",
        "02",
        "01",
    )
    assert (event["messageType"], event["transStatus"], event["rule"]) == (
        "ARes",
        "Y",
        "frictionless-y",
    )
    assert event["transStatusReason"] is None and event["exemption"] is None
    assert isinstance(event["ms"], float) and event["ms"] > 0
    assert Y_CARD not in repr(events)


async def test_adjustments_are_in_the_event_when_there_are_some(memory_client) -> None:
    with captured("info") as events:
        await post(memory_client, samples.areq("2.1.0", "02", "01", pan="4016000000000079"))
    (event,) = events
    assert (event["transStatus"], event["transStatusReason"]) == ("N", "07")
    assert any("transStatus I" in a for a in event["adjustments"])


async def test_the_decision_trace_is_logged_at_debug(memory_client) -> None:
    with captured("debug") as events:
        ares = await post(memory_client, samples.areq("2.2.0", "02", "01", pan=Y_CARD))
    decided = [e for e in events if e["event"] == "areq.decided"]
    assert len(decided) == 1
    assert decided[0]["acsTransID"] == ares["acsTransID"]
    assert decided[0]["rule"] == "frictionless-y"
    assert decided[0]["explanation"]
    assert decided[0]["trace"][0]["step"] == "rule"
    assert [e["event"] for e in events].count("areq") == 1
    assert Y_CARD not in repr(events)


async def test_a_rejected_areq_is_one_info_event(memory_client) -> None:
    unreadable = {"messageType": "AReq", "messageVersion": "2.0.9"}
    outside = samples.areq("2.2.0", "02", "01", pan="4999999999999995")
    with captured("info") as events:
        first = await post(memory_client, unreadable)
        second = await post(memory_client, outside)
    assert [e["event"] for e in events] == ["areq", "areq"], events
    for event, erro in zip(events, (first, second), strict=True):
        assert event["log_level"] == "info"
        assert set(event) - {"log_level"} == ERRO_KEYS
        assert event["messageType"] == "Erro"
        assert (event["errorCode"], event["errorDetail"]) == (
            erro["errorCode"],
            erro["errorDetail"],
        )
    assert events[0]["messageVersion"] == "2.0.9" and events[0]["acsTransID"] is None
    assert events[1]["errorCode"] == "305"
    assert events[1]["acsTransID"] == second["acsTransID"]
    assert events[1]["threeDSServerTransID"] == outside["threeDSServerTransID"]
    assert events[1]["pan"] == "499999******9995"
    assert "4999999999999995" not in repr(events)


async def test_at_info_an_areq_writes_one_json_line(memory_client) -> None:
    """The rendered output, not the captured events: one line, JSON, timestamped, PAN masked
    (aiohttp's access log stays quiet at info)."""
    out = io.StringIO()
    logs.configure("info", out, cache=False)
    try:
        ares = await post(memory_client, samples.areq("2.3.1", "02", "01", pan=Y_CARD))
    finally:
        logs.configure("warning", cache=False)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    event = json.loads(lines[0])
    assert event["event"] == "areq" and event["level"] == "info"
    assert event["acsTransID"] == ares["acsTransID"] and event["pan"] == MASKED
    assert event["timestamp"].endswith("Z")
    assert Y_CARD not in lines[0]


async def test_at_warning_an_areq_writes_nothing(memory_client) -> None:
    out = io.StringIO()
    logs.configure("warning", out, cache=False)
    try:
        await post(memory_client, samples.areq("2.2.0", "02", "01", pan=Y_CARD))
    finally:
        logs.configure("warning", cache=False)
    assert out.getvalue() == ""
