"""A successful SCA resets low-value state; when asked (challengeInd 09) it trusts the merchant."""

from __future__ import annotations

from acs.risk.counters import StoreCounters
from acs.risk.sca import sca_succeeded
from tests.conftest import fresh_services

PAN = "4016000000000087"


async def test_sca_resets_low_value_and_adds_the_trusted_merchant(store_url: str) -> None:
    services = await fresh_services(store_url)
    counters = StoreCounters(services.store, services.rules.policy.velocity)
    pan_hash = services.vault.pan_hash(PAN)
    for _ in range(5):
        assert await counters.claim_low_value(pan_hash, 10.0, 5, 100.0)
    assert not await counters.claim_low_value(pan_hash, 10.0, 5, 100.0)

    changes = await sca_succeeded(
        counters=counters,
        directory=services.directory,
        pan_hash=pan_hash,
        cardholder_id="visa-plain-1",
        trust_requested=True,
        merchant="New Shop",
    )
    assert changes == [
        "low-value counters reset",
        "merchant 'New Shop' added to trusted beneficiaries",
    ]
    assert await counters.claim_low_value(pan_hash, 10.0, 5, 100.0)
    holder = await services.directory.get_cardholder("visa-plain-1")
    assert holder is not None and "New Shop" in holder.trusted_beneficiaries

    # without the 09 prompt nothing is added
    changes = await sca_succeeded(
        counters=counters,
        directory=services.directory,
        pan_hash=pan_hash,
        cardholder_id="visa-plain-1",
        trust_requested=False,
        merchant="Other Shop",
    )
    assert changes == ["low-value counters reset"]
    await services.store.close()
