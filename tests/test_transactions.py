"""PAN-like digit runs in stored records: masked when they may be a PAN, kept otherwise."""

from __future__ import annotations

import msgspec

from acs.protocol.messages import AReq
from acs.risk.sample import base_areq
from acs.transactions import DecisionRecord, decode, encode, mask_pan_runs, masked_areq

PAN = "4016000000000012"  # passes the Luhn check, as every issued PAN does
MASKED = "401600******0012"


def test_a_luhn_valid_run_is_masked_wherever_it_is() -> None:
    data = b'{"cardholderName":"JANE %s","acctID":"%s","n":"x5105000000000011y"}' % (
        PAN.encode(),
        PAN.encode(),
    )
    assert mask_pan_runs(data) == (
        b'{"cardholderName":"JANE 401600******0012","acctID":"401600******0012",'
        b'"n":"x510500******0011y"}'
    )


def test_runs_that_cannot_be_a_pan_stay_readable() -> None:
    kept = [
        b"4016000000000013",  # fails the Luhn check (a merchant ID, a phone number)
        b"20261206014705",  # a YYYYMMDDhhmmss date-time, even when it passes Luhn
        b"19991231235957",
        b"401600000000001",  # 15 digits, fails Luhn
        b"401600000000",  # 12 digits: too short
        b"40160000000000000000",  # 20 digits: too long (and not part of a shorter run)
    ]
    for run in kept:
        data = b'{"v":"%s"}' % run
        assert mask_pan_runs(data) == data, run


def test_the_transaction_pan_is_masked_whatever_its_check_digit() -> None:
    data = b'{"cardholderName":"4016000000000013"}'
    assert mask_pan_runs(data) == data
    assert mask_pan_runs(data, "4016000000000013") == b'{"cardholderName":"401600******0013"}'


def test_the_decision_trace_explanation_and_adjustments_hold_no_clear_pan() -> None:
    decision = DecisionRecord(
        status="Y",
        rule_id="r",
        explanation=f"name was {PAN}",
        rules_version="v",
        adjustments=[f"note {PAN}"],
        trace=[{"step": "rule", "checks": [{"actual": f"JANE {PAN}", "expected": "nobody"}]}],
    )
    decision.mask()
    assert decision.explanation == f"name was {MASKED}"
    assert decision.adjustments == [f"note {MASKED}"]
    assert decision.trace[0]["checks"][0]["actual"] == f"JANE {MASKED}"


def test_masked_areq_says_when_a_free_text_field_held_a_pan() -> None:
    """Only then can the trace quote one: the flow masks the decision in that case alone."""
    plain = msgspec.convert(base_areq(acctNumber=PAN), AReq)
    _, found = masked_areq(plain)
    assert found is False
    named = msgspec.convert(base_areq(acctNumber=PAN, cardholderName=f"JANE {PAN}"), AReq)
    stored, found = masked_areq(named)
    assert found is True and PAN.encode() not in bytes(stored)


def test_the_other_fields_are_not_scanned() -> None:
    """pan_hash (hex) and the authentication evidence (a 16-digit ATN) may hold runs that pass
    Luhn: they are not requestor text and are stored as they are."""
    stored = {
        "acsTransID": "a",
        "threeDSServerTransID": "b",
        "dsTransID": "c",
        "messageVersion": "2.2.0",
        "deviceChannel": "02",
        "messageCategory": "01",
        "created_at": 1.0,
        "card_range_id": "r",
        "scheme": "visa",
        "pan_masked": MASKED,
        "pan_hash": f"ab{PAN}cd",
        "areq": {},
        "ares": {},
        "decision": {"status": "Y", "rule_id": "r", "explanation": "", "rules_version": "v"},
        "authentication": {"atn": PAN},
    }
    record = decode(encode(decode(msgspec.json.encode(stored))))
    assert record.pan_hash == f"ab{PAN}cd"
    assert record.authentication == {"atn": PAN}
    # a record stored before masking existed shows no clear PAN in the QA view
    stored["decision"] = {**stored["decision"], "explanation": f"name was {PAN}"}  # type: ignore[dict-item]
    view = decode(msgspec.json.encode(stored)).public()
    assert view["decision"]["explanation"] == f"name was {MASKED}"
