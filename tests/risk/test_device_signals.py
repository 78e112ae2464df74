"""Device signals: whether this card used the AReq's device before (browser fields, or the
app's sdkAppID), and since when; kept by the counters' one update per AReq, same meaning in
memory and in the store, read by rules through the live handler and the tools alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from acs.flows.areq import handle_areq
from acs.flows.offline import OfflineDecider
from acs.protocol.messages import ARes
from acs.protocol.validate import parse_areq
from acs.risk.counters import MAX_DEVICES
from acs.risk.fields import device_id
from acs.risk.loader import load_rules
from acs.risk.sample import base_areq
from acs.transactions import decode_any
from tests.conftest import ROOT, fresh_services
from tests.protocol import samples
from tests.risk.test_counters import T0, counters  # noqa: F401 - the fixture, both stores

NEW_DEVICE = """\
name: devices
rules:
  - {id: new-device, description: d, when: {field: device.new, op: eq, value: true},
     then: {status: "C", methods: [otp_sms]}}
  - {id: known-device, description: d, when: {field: device.first_seen_days, op: ge, value: 0},
     then: {status: "Y"}}
"""
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148"


async def test_a_card_remembers_its_devices_and_when_it_first_used_them(counters) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    first = await counters.observe("card", "a", T0, 10.0, "laptop")
    assert (first.device_first_seen, first.devices) == (0, 0)
    again = await counters.observe("card", "b", T0 + 60, 10.0, "laptop")
    assert again.device_first_seen == T0 and again.devices == 1
    phone = await counters.observe("card", "c", T0 + 120, 10.0, "phone")
    assert (phone.device_first_seen, phone.devices) == (0, 1)
    none = await counters.observe("card", "d", T0 + 180, 10.0)
    assert none.device_first_seen is None  # no device named: nothing to say
    other = await counters.observe("other-card", "e", T0 + 240, 10.0, "laptop")
    assert other.device_first_seen == 0  # per card
    assert again.velocity["1h"][0] == 1  # the device rides on the velocity update


async def test_a_card_keeps_at_most_so_many_devices(counters) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for n in range(MAX_DEVICES + 3):
        await counters.observe("card", f"t{n}", T0 + n, 1.0, f"device-{n}")
    state = await counters.observe("card", "last", T0 + 999, 1.0, "device-0")
    assert state.devices == MAX_DEVICES and state.device_first_seen == T0
    late = await counters.observe("card", "late", T0 + 1000, 1.0, f"device-{MAX_DEVICES + 1}")
    assert late.device_first_seen == 0  # past the cap a device stays new


def test_the_device_is_the_browser_or_the_app_install() -> None:
    browser = parse_areq(json.dumps(base_areq()).encode())
    same = parse_areq(json.dumps(base_areq(browserIP="198.51.100.7")).encode())
    phone = parse_areq(json.dumps(base_areq(browserUserAgent=PHONE)).encode())
    assert device_id(browser) == device_id(same) != device_id(phone)  # the IP may change
    app = parse_areq(json.dumps(samples.areq("2.3.1", "01", "01")).encode())
    assert device_id(app) is not None and device_id(app) != device_id(browser)
    three_ri = parse_areq(json.dumps(samples.areq("2.2.0", "03", "02")).encode())
    assert device_id(three_ri) is None


async def _live(rules: Path, areqs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    services = await fresh_services("memory", rules_path=rules, test_cards=False)
    got = []
    try:
        for areq in areqs:
            ares = await handle_areq(services, msgspec.json.encode(areq))
            assert isinstance(ares, ARes)
            raw = await services.store.get_txn(ares.acsTransID)
            assert raw is not None
            got.append((ares.transStatus or "", decode_any(raw).decision.rule_id))  # type: ignore[union-attr]
    finally:
        await services.close()
    return got


async def test_rules_on_new_devices_decide_alike_live_and_offline(tmp_path: Path) -> None:
    rules = tmp_path / "devices.yaml"
    rules.write_text(NEW_DEVICE)
    app = samples.areq("2.3.1", "01", "01", pan="4016000000000053")
    areqs = [
        base_areq(),  # the card's first browser: new
        base_areq(),  # the same browser: known
        base_areq(browserUserAgent=PHONE),  # another browser: new
        base_areq(browserUserAgent=PHONE),
        app,  # the app install: new
        {**app, "sdkTransID": app["sdkTransID"]},  # the same install: known
    ]
    live = await _live(rules, areqs)
    assert [rule for _, rule in live] == [
        "new-device",
        "known-device",
        "new-device",
        "known-device",
        "new-device",
        "known-device",
    ]
    decider = OfflineDecider(load_rules(rules), ROOT / "config")
    offline = [await decider.decide(a, trace=False) for a in areqs]
    assert [(r.status, r.rule) for r in offline] == live
    explained = await decider.decide(base_areq(), explain=True)
    fired = next(s for s in explained.trace if s["step"] == "tried")["rules"][-1]
    assert fired["rule"] == "known-device" and fired["when"]["actual"] == 0  # same second
