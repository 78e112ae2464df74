"""Delivery: configuration, adapter choice, and the rule that every attempt lands in the outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web

from acs import logs
from acs.delivery import outbox
from acs.delivery.base import Channel, DeliveryReceipt, OtpMessage, VerifyResult
from acs.delivery.config import (
    DeliveryConfig,
    OutboxChannel,
    PinApiChannel,
    load_delivery_config,
)
from acs.delivery.router import Delivery
from acs.issuer.config_files import ConfigError
from acs.store.store import Store
from tests.conftest import ROOT
from tests.delivery.fakes import API_KEY, APPLICATION_ID, MESSAGE_ID, FakePinProvider, message
from tests.redis_server import free_port

TXN = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"
ENV = {"ACS_PIN_API_KEY": API_KEY, "ACS_WEBHOOK_SECRET": "whsec", "ACS_SMTP_PASSWORD": "pw"}


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "delivery.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def pin_api_yaml(base_url: str) -> str:
    return f"""
channels:
  sms:
    adapter: pin-api
    base_url: {base_url}
    application_id: {APPLICATION_ID}
    message_id: {MESSAGE_ID}
"""


# -- configuration ----------------------------------------------------------------------------


def test_shipped_config_is_outbox_only() -> None:
    config = load_delivery_config(ROOT / "config" / "delivery.yaml", env={})
    assert config.channels == {c: OutboxChannel() for c in Channel}
    assert (config.outbox.ttl_seconds, config.outbox.max_entries) == (3600, 50)
    assert config.webhook is None


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file missing"):
        load_delivery_config(tmp_path / "nope.yaml", env={})
    assert load_delivery_config(tmp_path / "nope.yaml", env={}, missing_ok=True) == DeliveryConfig()
    assert load_delivery_config(write(tmp_path, "# all commented\n"), env={}) == DeliveryConfig()


def test_channels_left_out_use_the_outbox(tmp_path: Path) -> None:
    config = load_delivery_config(write(tmp_path, pin_api_yaml("https://pin.example")), env=ENV)
    assert isinstance(config.channels[Channel.SMS], PinApiChannel)
    assert config.channels[Channel.EMAIL] == OutboxChannel()
    assert config.channels[Channel.VOICE] == OutboxChannel()


@pytest.mark.parametrize(
    ("yaml_text", "path", "reason"),
    [
        (
            "channels: {email: {adapter: pin-api, base_url: 'https://x', application_id: a, "
            "message_id: m}}",
            "channels.email.adapter",
            "pin-api delivers sms and voice only; use outbox, smtp for email",
        ),
        (
            "channels: {sms: {adapter: smtp, host: h, sender: a@b.example}}",
            "channels.sms.adapter",
            "smtp delivers email only",
        ),
        ("channels: {sms: {adapter: pigeon}}", "channels.sms.adapter", "Invalid value 'pigeon'"),
        (
            "channels: {fax: {adapter: outbox}}",
            "channels.fax",
            "unknown channel; use sms, email, voice",
        ),
        ("channels: [sms]", "channels", "expected a mapping"),
        ("outbox: {ttl: 5}", "outbox.ttl", "unknown field `ttl`"),
        (
            "channels: {sms: {adapter: pin-api, base_url: 'https://x', application_id: a, "
            "message_id: m, api_key: abc}}",
            "channels.sms.api_key",
            "secrets are not read from the YAML",
        ),
        (
            "channels: {sms: {adapter: pin-api, base_url: 'https://x', application_id: a, "
            "message_id: m, api_key_env: ACS_NOT_SET}}",
            "channels.sms.api_key_env",
            "environment variable ACS_NOT_SET is not set",
        ),
        (
            "channels: {sms: {adapter: pin-api, base_url: 'ftp://x', application_id: a, "
            "message_id: m}}",
            "channels.sms.base_url",
            "not an http(s) URL",
        ),
        (
            "channels: {email: {adapter: smtp, host: h, sender: a@b.example, tls: true, "
            "starttls: true}}",
            "channels.email.tls",
            "not both",
        ),
        (
            "channels: {email: {adapter: smtp, host: h, sender: a@b.example, "
            "password_env: ACS_SMTP_PASSWORD}}",
            "channels.email.username",
            "needs a username",
        ),
        ("outbox: {ttl_seconds: 0}", "outbox.ttl_seconds", "must be positive"),
        (
            "webhook: {url: 'https://issuer.example', secret_env: ACS_NOPE}",
            "webhook.secret_env",
            "ACS_NOPE is not set",
        ),
        (
            "webhook: {url: 'https://issuer.example', secret: x}",
            "webhook.secret",
            "secrets are not read from the YAML",
        ),
        ("- just a list", "", "expected a mapping"),
    ],
)
def test_config_errors_name_file_path_and_fix(
    tmp_path: Path, yaml_text: str, path: str, reason: str
) -> None:
    file = write(tmp_path, yaml_text)
    with pytest.raises(ConfigError) as info:
        load_delivery_config(file, env=ENV)
    assert info.value.file == str(file)
    assert info.value.path == path
    assert reason in info.value.reason


# -- delivering -------------------------------------------------------------------------------


def shipped(store: Store) -> Delivery:
    return Delivery.from_config(
        load_delivery_config(ROOT / "config" / "delivery.yaml", env={}), store
    )


async def test_default_delivery_is_the_outbox(store: Store) -> None:
    delivery = shipped(store)
    for channel in Channel:
        msg = message(channel)
        receipt = await delivery.send(msg)
        assert (receipt.status, receipt.adapter, receipt.provider_verifies) == (
            "sent",
            "outbox",
            False,
        )
    entries = await outbox.by_transaction(store, TXN)
    assert [(e["channel"], e["code"], e["status"]) for e in entries] == [
        ("sms", "123456", "sent"),
        ("email", "123456", "sent"),
        ("voice", "123456", "sent"),
        ("push", "123456", "sent"),
    ]
    assert entries == await outbox.by_card(store, "f" * 64)
    assert entries[1]["destination"] == "c***@example.com"
    await delivery.close()


async def test_resend_through_the_outbox_adds_an_entry(store: Store) -> None:
    delivery = shipped(store)
    first = await delivery.send(message())
    again = await delivery.resend(message(code="654321"), first)
    assert again.status == "sent"
    assert [e["code"] for e in await outbox.by_transaction(store, TXN)] == ["123456", "654321"]


class Exploding:
    """An adapter with a bug: it raises instead of returning a failed receipt."""

    name = "exploding"

    async def send(self, msg: OtpMessage) -> DeliveryReceipt:
        raise RuntimeError("boom")

    async def resend(self, msg: OtpMessage, previous: DeliveryReceipt) -> DeliveryReceipt:
        raise RuntimeError("boom")

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        raise RuntimeError("boom")


async def test_a_raising_adapter_still_records_a_failed_receipt(store: Store) -> None:
    delivery = Delivery(store, {Channel.SMS: Exploding()})
    receipt = await delivery.send(message())
    assert receipt.status == "failed"
    assert receipt.error == "adapter exploding raised RuntimeError('boom')"
    (entry,) = await outbox.by_transaction(store, TXN)
    assert (entry["adapter"], entry["status"], entry["error"]) == (
        "exploding",
        "failed",
        receipt.error,
    )


async def test_a_provider_that_is_down_is_recorded_as_failed(store: Store, tmp_path: Path) -> None:
    file = write(tmp_path, pin_api_yaml(f"http://127.0.0.1:{free_port()}"))
    delivery = Delivery.from_config(load_delivery_config(file, env=ENV), store, env=ENV)
    try:
        receipt = await delivery.send(message(code=None))
    finally:
        await delivery.close()
    assert receipt.status == "failed" and receipt.adapter == "pin-api"
    (entry,) = await outbox.by_card(store, "f" * 64)
    assert entry["status"] == "failed" and "cannot reach" in entry["error"]


async def test_pin_api_send_resend_verify(
    store: Store, provider: FakePinProvider, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    file = write(tmp_path, pin_api_yaml(provider.base_url))
    delivery = Delivery.from_config(
        load_delivery_config(file, env=ENV), store, session=session, env=ENV
    )
    msg = message(code=None, text="")
    receipt = await delivery.send(msg)
    assert (receipt.provider_ref, receipt.provider_verifies) == ("PIN0001", True)
    again = await delivery.resend(msg, receipt)
    assert again.provider_ref == "PIN0001"

    assert (await delivery.verify(again, "1111")).error == "WRONG_PIN"
    assert (await delivery.verify(again, "8177")).verified is True
    assert [(e["code"], e["provider_ref"]) for e in await outbox.by_transaction(store, TXN)] == [
        (None, "PIN0001"),
        (None, "PIN0001"),
    ]


async def test_verify_of_an_acs_generated_code_is_refused(store: Store) -> None:
    receipt = await shipped(store).send(message())
    result = await shipped(store).verify(receipt, "123456")
    assert result.verified is False
    assert result.error is not None and result.error.startswith("NOT_PROVIDER_VERIFIED")


async def test_webhook_copy_is_signed_and_recorded(
    store: Store, tmp_path: Path, aiohttp_server, session: aiohttp.ClientSession
) -> None:
    got: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        got.append(json.loads(await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/otp", handle)
    server = await aiohttp_server(app)
    file = write(tmp_path, f"webhook: {{url: '{server.make_url('/otp')}'}}\n")
    delivery = Delivery.from_config(
        load_delivery_config(file, env=ENV), store, session=session, env=ENV
    )

    receipt = await delivery.send(message())
    assert receipt.adapter == "outbox"  # the caller gets the delivery's receipt, not the copy's
    assert got[0]["code"] == "123456" and got[0]["delivery"]["adapter"] == "outbox"
    entries = await outbox.by_transaction(store, TXN)
    assert [(e["adapter"], e["status"]) for e in entries] == [
        ("outbox", "sent"),
        ("webhook", "sent"),
    ]


async def test_store_outage_fails_outbox_delivery_without_raising(
    provider: FakePinProvider, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    down = Store.connect(f"redis://127.0.0.1:{free_port()}/0")
    try:
        logs.configure("info", cache=False)
        try:
            with structlog.testing.capture_logs() as events:
                receipt = await shipped(down).send(message())
        finally:
            logs.configure("warning", cache=False)
        assert receipt.status == "failed"
        assert receipt.error is not None and "resend once the store is back" in receipt.error
        assert [e["event"] for e in events] == ["delivery.outbox_unavailable", "delivery.failed"]

        # a provider delivery stays valid: the pinId is needed to verify
        file = write(tmp_path, pin_api_yaml(provider.base_url))
        config = load_delivery_config(file, env=ENV)
        via_provider = Delivery.from_config(config, down, session=session, env=ENV)
        receipt = await via_provider.send(message(code=None))
        assert receipt.status == "sent" and receipt.provider_ref == "PIN0001"
    finally:
        await down.close()


async def test_logs_mask_the_destination_and_never_carry_the_code(store: Store) -> None:
    delivery = Delivery(store, {Channel.SMS: Exploding()})
    logs.configure("info", cache=False)
    try:
        with structlog.testing.capture_logs() as events:
            await shipped(store).send(message(Channel.EMAIL))
            await delivery.send(message())
    finally:
        logs.configure("warning", cache=False)
    sent_event = next(e for e in events if e["event"] == "delivery.sent")
    assert sent_event["destination"] == "c***@example.com"
    failed_event = next(e for e in events if e["event"] == "delivery.failed")
    assert failed_event["destination"] == "+44*******123"
    text = repr(events)
    for secret in ("123456", "447700900123", "cardholder@example.com"):
        assert secret not in text
