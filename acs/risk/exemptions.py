"""PSD2 exemption state that needs more than one field: low value (RTS art. 16).

The limits come from the policy entry for the purchase currency (``EUR`` when there is none) and
are in that currency's major units; the running total since the last SCA is kept in EUR, so the
cumulative limit is converted with the same rate table as ``amount.eur``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from acs.risk import currency
from acs.risk.model import LowValuePolicy

if TYPE_CHECKING:
    from acs.risk.fields import RiskInput


class LowValueLimits(NamedTuple):  # built on every decision: a tuple is cheapest
    max_amount_eur: float
    max_count: int
    max_cumulative_eur: float


def low_value_limits(i: RiskInput) -> LowValueLimits | None:
    alpha = currency.currency_alpha(i.areq.purchaseCurrency or "") or "EUR"
    policy = i.policy.low_value.get(alpha)
    policy_currency = alpha
    if policy is None:
        policy, policy_currency = i.policy.low_value.get("EUR", LowValuePolicy()), "EUR"
    rate = i.policy.eur_rates.get(policy_currency, 1.0 if policy_currency == "EUR" else None)
    if rate is None:
        return None
    return LowValueLimits(policy.max_amount * rate, policy.max_count, policy.max_cumulative * rate)


def low_value_available(i: RiskInput) -> bool:
    amount = i.eur
    limits = low_value_limits(i)
    if amount is None or limits is None or amount >= limits.max_amount_eur:
        return False
    return (
        i.counters.low_value_count < limits.max_count
        and i.counters.low_value_eur + amount <= limits.max_cumulative_eur + 1e-9
    )
