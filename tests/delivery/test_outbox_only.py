"""A cardholder with ``delivery: outbox`` never reaches a real provider, whatever the config."""

from __future__ import annotations

from acs.delivery.base import Channel, DeliveryReceipt, OtpMessage, VerifyResult, sent
from acs.delivery.outbox import by_transaction
from acs.delivery.router import Delivery
from acs.store.store import Store


class Provider:
    name = "pin-api"

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, msg: OtpMessage) -> DeliveryReceipt:
        self.calls += 1
        return sent(msg, self.name, provider_ref="pin-1", provider_verifies=True)

    async def resend(self, msg: OtpMessage, previous: DeliveryReceipt) -> DeliveryReceipt:
        return await self.send(msg)

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        return VerifyResult(True)


def _msg(trans: str) -> OtpMessage:
    return OtpMessage(
        acs_trans_id=trans,
        channel=Channel.SMS,
        destination="+447700900123",
        code="123456",
        text="Demo Bank: 123456 is your code",
        pan_hash="h" * 64,
        pan_masked="401600******0111",
    )


async def test_outbox_only_bypasses_the_configured_adapter(store_url: str) -> None:
    store = Store.connect(store_url)
    await store.client.flushdb()
    provider = Provider()
    delivery = Delivery(store, {Channel.SMS: provider})
    receipt = await delivery.send(_msg("t-1"), outbox_only=True)
    assert (receipt.adapter, receipt.provider_verifies, provider.calls) == ("outbox", False, 0)
    assert (await by_transaction(store, "t-1"))[-1]["code"] == "123456"

    receipt = await delivery.send(_msg("t-2"))
    assert (receipt.adapter, provider.calls) == ("pin-api", 1)
    assert (await by_transaction(store, "t-2"))[-1]["code"] is None  # the provider has the PIN
    await delivery.close()
    await store.close()
