"""The PIN API adapter against a local server that speaks the provider's wire format."""

from __future__ import annotations

import asyncio

import aiohttp

from acs.delivery.base import Channel, DeliveryReceipt
from acs.delivery.pin_api import PinApiAdapter
from tests.delivery.fakes import API_KEY, APPLICATION_ID, MESSAGE_ID, FakePinProvider, message
from tests.redis_server import free_port


def adapter(
    base_url: str, session: aiohttp.ClientSession, *, key: str = API_KEY, **kw: object
) -> PinApiAdapter:
    return PinApiAdapter(base_url, key, APPLICATION_ID, MESSAGE_ID, session, **kw)  # type: ignore[arg-type]


async def test_send_speaks_the_wire_format(provider: FakePinProvider, session) -> None:
    pin_api = adapter(provider.base_url, session, placeholders={"bank": "Demo Bank"})
    receipt = await pin_api.send(message(code=None))

    assert receipt.status == "sent" and receipt.error is None
    assert receipt.provider_ref == "PIN0001"
    assert receipt.provider_verifies is True
    assert receipt.adapter == "pin-api" and receipt.channel is Channel.SMS
    assert receipt.destination_masked == "+44*******123"
    method, path, body = provider.requests[0]
    assert (method, path) == ("POST", "/2fa/2/pin?ncNeeded=false")
    assert body == {
        "applicationId": APPLICATION_ID,
        "messageId": MESSAGE_ID,
        "to": "447700900123",  # digits only
        "placeholders": {"bank": "Demo Bank"},
    }


async def test_verify_wrong_pin_then_right_pin(provider: FakePinProvider, session) -> None:
    pin_api = adapter(provider.base_url, session)
    receipt = await pin_api.send(message(code=None))

    wrong = await pin_api.verify(receipt, "0000")
    assert (wrong.verified, wrong.attempts_remaining, wrong.error) == (False, 2, "WRONG_PIN")
    right = await pin_api.verify(receipt, "8177")
    assert (right.verified, right.attempts_remaining, right.error) == (True, 2, None)
    assert provider.requests[-1][1:] == ("/2fa/2/pin/PIN0001/verify", {"pin": "8177"})


async def test_attempts_run_out(provider: FakePinProvider, session) -> None:
    pin_api = adapter(provider.base_url, session)
    receipt = await pin_api.send(message(code=None))
    for _ in range(3):
        await pin_api.verify(receipt, "0000")
    last = await pin_api.verify(receipt, "8177")
    assert (last.verified, last.error) == (False, "NO_MORE_PIN_ATTEMPTS")


async def test_resend_keeps_the_pin_id(provider: FakePinProvider, session) -> None:
    pin_api = adapter(provider.base_url, session)
    first = await pin_api.send(message(code=None))
    again = await pin_api.resend(message(code=None), first)
    assert again.status == "sent" and again.provider_ref == first.provider_ref
    assert provider.requests[-1][:2] == ("POST", "/2fa/2/pin/PIN0001/resend")


async def test_resend_after_a_failed_send_sends_afresh(provider: FakePinProvider, session) -> None:
    pin_api = adapter(provider.base_url, session)
    nothing = DeliveryReceipt(Channel.SMS, "pin-api", "+44*******123", "failed", error="x")
    receipt = await pin_api.resend(message(code=None), nothing)
    assert receipt.status == "sent"
    assert provider.requests[-1][1] == "/2fa/2/pin?ncNeeded=false"


async def test_voice_uses_the_voice_paths(provider: FakePinProvider, session) -> None:
    pin_api = adapter(provider.base_url, session, voice=True)
    msg = message(Channel.VOICE, code=None)
    receipt = await pin_api.send(msg)
    await pin_api.resend(msg, receipt)
    assert receipt.status == "sent" and receipt.channel is Channel.VOICE
    assert [p for _, p, _ in provider.requests] == [
        "/2fa/2/pin/voice",
        "/2fa/2/pin/PIN0001/resend/voice",
    ]


async def test_401_names_the_provider_error_and_the_fix(provider: FakePinProvider, session) -> None:
    receipt = await adapter(provider.base_url, session, key="wrong").send(message(code=None))
    assert receipt.status == "failed"
    assert receipt.error is not None
    assert "HTTP 401" in receipt.error
    assert "UNAUTHORIZED: Invalid login details" in receipt.error
    assert "api_key_env" in receipt.error
    assert "wrong" not in receipt.error  # the key is never echoed


async def test_provider_error_text_never_shows_the_full_number(
    provider: FakePinProvider, session
) -> None:
    provider.blocked.add("447700900123")
    receipt = await adapter(provider.base_url, session).send(message(code=None))
    # the provider echoes "Invalid destination address 447700900123"; the receipt masks it
    assert receipt.status == "failed"
    assert receipt.error == (
        "PIN API answered HTTP 400 (BAD_REQUEST: Invalid destination address +44*******123); "
        "check application_id, message_id and the phone number"
    )


async def test_500_gives_a_failed_receipt(provider: FakePinProvider, session) -> None:
    provider.fail_with = 500
    pin_api = adapter(provider.base_url, session)
    receipt = await pin_api.send(message(code=None))
    assert receipt.status == "failed"
    assert (
        receipt.error
        == "PIN API answered HTTP 500 (upstream exploded); provider error; try again later"
    )


async def test_provider_down_gives_a_failed_receipt(session) -> None:
    pin_api = adapter(f"http://127.0.0.1:{free_port()}", session)
    receipt = await pin_api.send(message(code=None))
    assert receipt.status == "failed"
    assert receipt.error is not None and "cannot reach" in receipt.error
    assert "check base_url" in receipt.error

    verdict = await pin_api.verify(
        DeliveryReceipt(Channel.SMS, "pin-api", "+44*******123", "sent", "PIN9", True), "8177"
    )
    assert verdict.verified is False
    assert verdict.error is not None and verdict.error.startswith("PROVIDER_ERROR: ")


async def test_a_hanging_provider_times_out(provider: FakePinProvider, session) -> None:
    provider.hang = asyncio.Event()  # never set: the provider never answers
    receipt = await adapter(provider.base_url, session, timeout=0.05).send(message(code=None))
    assert receipt.status == "failed"
    assert receipt.error is not None and "no answer" in receipt.error


async def test_verify_refuses_receipts_the_provider_does_not_own(session) -> None:
    pin_api = adapter("http://127.0.0.1:9", session)
    own_code = DeliveryReceipt(Channel.SMS, "outbox", "+44*******123", "sent")
    result = await pin_api.verify(own_code, "123456")
    assert result.verified is False
    assert result.error is not None and result.error.startswith("NOT_PROVIDER_VERIFIED")
