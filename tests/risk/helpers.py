from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from acs.issuer.config_files import load_issuer_config, range_for
from acs.protocol.validate import parse_areq
from acs.risk.counters import CardCounters
from acs.risk.fields import Facts, RiskInput
from acs.risk.model import Policy
from acs.risk.sample import base_areq
from tests.conftest import ROOT

ISSUER = load_issuer_config(ROOT / "config")
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def facts(
    counters: CardCounters | None = None, policy: Policy | None = None, **fragment: Any
) -> Facts:
    areq_dict = base_areq(**fragment)
    areq = parse_areq(msgspec.json.encode(areq_dict))
    pan = areq_dict["acctNumber"]
    card_range = range_for(ISSUER.ranges, pan)
    assert card_range is not None
    return Facts(
        RiskInput(
            areq=areq,
            pan=pan,
            card_range=card_range,
            cardholder=None,
            counters=counters or CardCounters(),
            policy=policy or Policy(eur_rates={"EUR": 1.0, "GBP": 1.17, "JPY": 0.0061, "BHD": 2.4}),
            now=NOW,
        )
    )
