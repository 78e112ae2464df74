"""Operators, field types and the edge cases: missing fields, string vs number, exponents."""

from __future__ import annotations

import pytest

from acs.risk.compiler import RuleError, compile_when, explain
from tests.risk.helpers import facts


def check(when: dict, **fragment) -> bool:  # type: ignore[no-untyped-def]
    node = compile_when(when, "when")
    assert node is not None
    return node.test(facts(**fragment))


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"field": "amount.minor", "op": "eq", "value": 4999}, True),
        ({"field": "amount.minor", "op": "ne", "value": 4999}, False),
        ({"field": "amount.major", "op": "eq", "value": 49.99}, True),
        ({"field": "amount.eur", "op": "lt", "value": 50}, True),
        ({"field": "amount.eur", "op": "le", "value": 49.99}, True),
        ({"field": "amount.eur", "op": "gt", "value": 49.99}, False),
        ({"field": "amount.eur", "op": "ge", "value": 49.99}, True),
        ({"field": "amount.eur", "op": "between", "value": [40, 50]}, True),
        ({"field": "amount.minor", "op": "in", "value": [1, 4999]}, True),
        ({"field": "amount.minor", "op": "not_in", "value": [1, 2]}, True),
        ({"field": "merchant.mcc", "op": "eq", "value": "5411"}, True),
        ({"field": "merchant.mcc", "op": "in", "value": ["5411", "5412"]}, True),
        ({"field": "merchant.mcc", "op": "not_in", "value": ["5411"]}, False),
        ({"field": "merchant.name", "op": "prefix", "value": "Example"}, True),
        ({"field": "merchant.name", "op": "suffix", "value": "Groceries"}, True),
        ({"field": "merchant.name", "op": "matches", "value": "(?i)^example\\s+gro"}, True),
        ({"field": "browser.javascript", "op": "eq", "value": True}, True),
        ({"field": "merchant.in_eea", "op": "eq", "value": True}, True),
        ({"field": "challenge_ind", "op": "in", "value": ["01"]}, True),
        ({"field": "challenge_ind", "op": "eq", "value": ["01"]}, True),
        ({"field": "challenge_ind", "op": "not_in", "value": ["04"]}, True),
        ({"field": "amount.currency_alpha", "op": "eq", "value": "EUR"}, True),
        ({"field": "account.age_days", "op": "gt", "value": 2000}, True),
        (
            {
                "all": [
                    {"field": "amount.eur", "op": "gt", "value": 1},
                    {"field": "channel", "op": "eq", "value": "02"},
                ]
            },
            True,
        ),
        (
            {
                "any": [
                    {"field": "amount.eur", "op": "gt", "value": 1000},
                    {"field": "channel", "op": "eq", "value": "01"},
                ]
            },
            False,
        ),
        ({"not": {"field": "channel", "op": "eq", "value": "01"}}, True),
    ],
)
def test_operators(when: dict, expected: bool) -> None:
    assert check(when) is expected


def test_missing_optional_fields_never_match_a_comparison() -> None:
    fragment = {"acctInfo": None, "purchaseAmount": "4999"}
    assert (
        check({"field": "account.suspicious_activity", "op": "eq", "value": "02"}, **fragment)
        is False
    )
    assert (
        check({"field": "account.suspicious_activity", "op": "ne", "value": "02"}, **fragment)
        is False
    )
    assert check({"field": "account.txn_day", "op": "lt", "value": 100}, **fragment) is False
    assert (
        check({"field": "account.suspicious_activity", "op": "exists", "value": False}, **fragment)
        is True
    )
    assert check({"field": "account.suspicious_activity", "op": "exists"}, **fragment) is False
    # the idiom the shipped rules use for "not suspicious", which holds when acctInfo is absent
    assert check(
        {"not": {"field": "account.suspicious_activity", "op": "eq", "value": "02"}}, **fragment
    )


def test_amounts_use_the_currency_exponent() -> None:
    # JPY has exponent 0, BHD 3: the same minor units are very different major amounts
    f = facts(purchaseAmount="5000", purchaseCurrency="392", purchaseExponent="0")
    assert (f.get("amount.major"), f.get("amount.eur")) == (5000.0, 30.5)
    f = facts(purchaseAmount="5000", purchaseCurrency="048", purchaseExponent="3")
    assert (f.get("amount.major"), f.get("amount.eur")) == (5.0, 12.0)
    # a currency missing from the rate table has no EUR amount, so EUR rules do not match
    f = facts(purchaseCurrency="986")
    assert f.get("amount.eur") is None
    assert f.get("amount.major") == 49.99


def test_string_and_number_are_not_mixed() -> None:
    with pytest.raises(RuleError, match="expected a number, got '4999'"):
        compile_when({"field": "amount.minor", "op": "eq", "value": "4999"}, "when")
    with pytest.raises(RuleError) as info:
        compile_when({"field": "merchant.mcc", "op": "eq", "value": 5411}, "when")
    assert "expected a string" in str(info.value)
    with pytest.raises(RuleError) as info:
        compile_when({"field": "account.age_ind", "op": "eq", "value": 5}, "when")
    assert info.value.suggestion == "quote it: '05'"


@pytest.mark.parametrize(
    ("when", "path", "message", "suggestion"),
    [
        (
            {"field": "amount.euro", "op": "lt", "value": 1},
            "when.field",
            "unknown field 'amount.euro'",
            "amount.eur",
        ),
        (
            {"field": "amount.eur", "op": "less", "value": 1},
            "when.op",
            "unknown operator 'less'",
            "le",
        ),
        (
            {"field": "merchant.mcc", "op": "gt", "value": "1"},
            "when.op",
            "gt does not apply to string field",
            None,
        ),
        (
            {"field": "browser.javascript", "op": "in", "value": [True]},
            "when.op",
            "does not apply to bool",
            None,
        ),
        (
            {"field": "amount.eur", "op": "between", "value": [5, 1]},
            "when.value",
            "low is greater than high",
            None,
        ),
        ({"field": "amount.eur", "op": "between", "value": [1]}, "when.value", "two numbers", None),
        (
            {"field": "merchant.name", "op": "matches", "value": "("},
            "when.value",
            "invalid regular expression",
            None,
        ),
        ({"field": "merchant.mcc", "op": "in", "value": []}, "when.value", "non-empty list", None),
        (
            {"field": "merchant.mcc", "op": "exists", "value": "yes"},
            "when.value",
            "true or false",
            None,
        ),
        ({"field": "merchant.mcc", "op": "eq"}, "when.value", "needs a value", None),
        (
            {"field": "merchant.mcc", "op": "eq", "value": "1", "vaule": 2},
            "when.vaule",
            "unknown key",
            "value",
        ),
        (
            {"all": [{"field": "channel", "op": "eq", "value": "02"}, "oops"]},
            "when.all[1]",
            "expected a mapping",
            None,
        ),
        ({"all": [], "any": []}, "when", "must be the only key", None),
        ({"any": []}, "when.any", "non-empty list", None),
        (
            {"not": {"all": [{"field": "nope", "op": "eq", "value": "1"}]}},
            "when.not.all[0].field",
            "unknown field",
            None,
        ),
    ],
)
def test_errors_name_the_path_and_suggest(when, path, message, suggestion) -> None:
    with pytest.raises(RuleError) as info:
        compile_when(when, "when")
    assert info.value.path == path
    assert message in info.value.reason
    if suggestion:
        assert info.value.suggestion == suggestion
        assert f"did you mean {suggestion!r}" in str(info.value)


def test_explain_lists_each_condition_with_actual_values() -> None:
    node = compile_when(
        {
            "all": [
                {"field": "amount.eur", "op": "lt", "value": 30},
                {"not": {"field": "channel", "op": "eq", "value": "01"}},
            ]
        },
        "when",
    )
    assert node is not None
    rows = explain(node, facts())
    assert rows[0] == {
        "field": "amount.eur",
        "op": "lt",
        "expected": 30.0,
        "actual": 49.99,
        "result": False,
    }
    assert (
        rows[1]["field"] == "channel" and rows[1]["actual"] == "02" and rows[1]["result"] is False
    )
    assert rows[1]["negated"] is True  # False under a not: the condition holds
    assert len(rows) == 2
