"""``Delivery``: the one entry point. Picks each channel's adapter, records every attempt.

Every attempt, sent or failed, is appended to the simulator outbox (it is always on), then copied
to the issuer webhook when one is configured; the webhook's own receipt is recorded as a second
outbox entry (adapter "webhook"). Nothing here raises for a delivery failure: the caller gets a
failed receipt and can offer a resend. A store outage is not fatal either: for the outbox
adapter it fails the delivery (the outbox *was* the delivery), for a real adapter it is logged
and the provider's receipt is returned, so a sent PIN can still be verified.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import aiohttp
import structlog

from acs.delivery import outbox
from acs.delivery.base import (
    FAILED,
    NOT_PROVIDER_VERIFIED,
    Adapter,
    Channel,
    DeliveryReceipt,
    OtpMessage,
    VerifyResult,
    failed,
    not_provider_verified,
    sent,
)
from acs.delivery.config import DeliveryConfig, PinApiChannel, SmtpChannel, secret
from acs.delivery.pin_api import PinApiAdapter
from acs.delivery.smtp import SmtpAdapter
from acs.delivery.webhook import WebhookAdapter
from acs.store.store import Store, StoreUnavailable

log = structlog.get_logger("acs.delivery")


class OutboxAdapter:
    """Delivers nowhere: the router's outbox entry is the delivery (simulator default)."""

    name = "outbox"

    async def send(self, msg: OtpMessage) -> DeliveryReceipt:
        return sent(msg, self.name)

    async def resend(self, msg: OtpMessage, previous: DeliveryReceipt) -> DeliveryReceipt:
        return sent(msg, self.name)

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        return not_provider_verified(self.name)


_OUTBOX = OutboxAdapter()


class Delivery:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[Channel, Adapter] | None = None,
        *,
        webhook: WebhookAdapter | None = None,
        outbox_ttl_seconds: int = outbox.DEFAULT_TTL_SECONDS,
        outbox_max_entries: int = outbox.DEFAULT_MAX_ENTRIES,
        owned_session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.store = store
        self.adapters: dict[Channel, Adapter] = {c: OutboxAdapter() for c in Channel}
        self.adapters.update(adapters or {})
        self.webhook = webhook
        self.outbox_ttl_seconds = outbox_ttl_seconds
        self.outbox_max_entries = outbox_max_entries
        self._owned_session = owned_session

    @classmethod
    def from_config(
        cls,
        config: DeliveryConfig,
        store: Store,
        *,
        session: aiohttp.ClientSession | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Delivery:
        """Build the adapters; call from a running loop. Without ``session`` one is created
        when an HTTP adapter needs it, and closed by ``close()``."""
        env = os.environ if env is None else env
        owned: aiohttp.ClientSession | None = None

        def http() -> aiohttp.ClientSession:
            nonlocal owned
            if session is not None:
                return session
            if owned is None:
                owned = aiohttp.ClientSession()
            return owned

        adapters: dict[Channel, Adapter] = {}
        for channel, chosen in config.channels.items():
            if isinstance(chosen, PinApiChannel):
                adapters[channel] = PinApiAdapter(
                    chosen.base_url,
                    secret(chosen.api_key_env, env),
                    chosen.application_id,
                    chosen.message_id,
                    http(),
                    voice=channel is Channel.VOICE,
                    timeout=chosen.timeout_seconds,
                    placeholders=chosen.placeholders,
                    sender=chosen.sender,
                )
            elif isinstance(chosen, SmtpChannel):
                adapters[channel] = SmtpAdapter(
                    chosen.host,
                    chosen.port,
                    chosen.sender,
                    starttls=chosen.starttls,
                    tls=chosen.tls,
                    username=chosen.username,
                    password=secret(chosen.password_env, env) if chosen.password_env else None,
                    timeout=chosen.timeout_seconds,
                    subjects=chosen.subjects,
                )
            else:
                adapters[channel] = OutboxAdapter()
        webhook = None
        if config.webhook is not None:
            webhook = WebhookAdapter(
                config.webhook.url,
                secret(config.webhook.secret_env, env),
                http(),
                include_code=config.webhook.include_code,
                timeout=config.webhook.timeout_seconds,
            )
        return cls(
            store,
            adapters,
            webhook=webhook,
            outbox_ttl_seconds=config.outbox.ttl_seconds,
            outbox_max_entries=config.outbox.max_entries,
            owned_session=owned,
        )

    async def close(self) -> None:
        if self._owned_session is not None:
            await self._owned_session.close()

    def adapter_for(self, channel: Channel, *, outbox_only: bool = False) -> Adapter:
        """The configured adapter, or the outbox for cardholders whose codes never leave the ACS."""
        return _OUTBOX if outbox_only else self.adapters[channel]

    async def send(self, msg: OtpMessage, *, outbox_only: bool = False) -> DeliveryReceipt:
        adapter = self.adapter_for(msg.channel, outbox_only=outbox_only)
        try:
            receipt = await adapter.send(msg)
        except Exception as exc:  # an adapter bug must not lose the delivery attempt
            log.exception(
                "delivery.adapter_raised", adapter=adapter.name, acsTransID=msg.acs_trans_id
            )
            receipt = failed(msg, adapter.name, f"adapter {adapter.name} raised {exc!r}")
        return await self._after(msg, receipt, "otp.sent")

    async def resend(
        self, msg: OtpMessage, previous: DeliveryReceipt, *, outbox_only: bool = False
    ) -> DeliveryReceipt:
        adapter = self.adapter_for(msg.channel, outbox_only=outbox_only)
        try:
            if previous.adapter == adapter.name:
                receipt = await adapter.resend(msg, previous)
            else:  # the configuration changed since: the old adapter's reference means nothing
                receipt = await adapter.send(msg)
        except Exception as exc:
            log.exception(
                "delivery.adapter_raised", adapter=adapter.name, acsTransID=msg.acs_trans_id
            )
            receipt = failed(msg, adapter.name, f"adapter {adapter.name} raised {exc!r}")
        return await self._after(msg, receipt, "otp.resent")

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        """Ask the provider that generated the PIN; never logs the PIN."""
        if not receipt.provider_verifies:
            return not_provider_verified(receipt.adapter)
        adapter = self.adapters.get(receipt.channel)
        if adapter is None or adapter.name != receipt.adapter:
            result = VerifyResult(
                False,
                None,
                f"{NOT_PROVIDER_VERIFIED}: {receipt.adapter} is no longer configured "
                f"for {receipt.channel}; resend the code",
            )
        else:
            try:
                result = await adapter.verify(receipt, pin)
            except Exception as exc:
                log.exception("delivery.adapter_raised", adapter=adapter.name)
                result = VerifyResult(False, None, f"PROVIDER_ERROR: adapter raised {exc!r}")
        log.info(
            "delivery.verify",
            channel=str(receipt.channel),
            adapter=receipt.adapter,
            provider_ref=receipt.provider_ref,
            verified=result.verified,
            attempts_remaining=result.attempts_remaining,
            error=result.error,
        )
        return result

    async def _after(
        self, msg: OtpMessage, receipt: DeliveryReceipt, event: str
    ) -> DeliveryReceipt:
        """Webhook copy, outbox entries, one log event each. Returns the delivery's receipt."""
        receipts = [receipt]
        if self.webhook is not None:
            try:
                receipts.append(await self.webhook.notify(msg, receipt, event))
            except Exception as exc:
                log.exception("delivery.adapter_raised", adapter="webhook")
                receipts.append(failed(msg, "webhook", f"adapter webhook raised {exc!r}"))
        try:
            for r in receipts:
                await outbox.record(
                    self.store,
                    msg,
                    r,
                    ttl_seconds=self.outbox_ttl_seconds,
                    max_entries=self.outbox_max_entries,
                )
        except StoreUnavailable as exc:
            log.error("delivery.outbox_unavailable", acsTransID=msg.acs_trans_id, error=str(exc))
            if receipt.adapter == OutboxAdapter.name:  # the outbox was the delivery: it failed
                receipt = receipts[0] = failed(
                    msg,
                    receipt.adapter,
                    f"the outbox could not be written ({exc}); resend once the store is back",
                )
        for r in receipts:
            _log(msg, r, event)
        return receipt


def _log(msg: OtpMessage, receipt: DeliveryReceipt, event: str) -> None:
    fields: dict[str, Any] = {
        "acsTransID": msg.acs_trans_id,
        "event_type": event,
        "channel": str(msg.channel),
        "adapter": receipt.adapter,
        "destination": receipt.destination_masked,
        "status": receipt.status,
        "provider_ref": receipt.provider_ref,
        "provider_verifies": receipt.provider_verifies,
    }
    if receipt.status == FAILED:
        log.warning("delivery.failed", error=_scrub(receipt.error or "", msg), **fields)
    else:
        log.info("delivery.sent", **fields)


def _scrub(text: str, msg: OtpMessage) -> str:
    """A provider may echo what it was sent; the log gets neither the code nor the address."""
    for secret_text in (msg.code, msg.destination):
        if secret_text:
            text = text.replace(secret_text, "***")
    return text
