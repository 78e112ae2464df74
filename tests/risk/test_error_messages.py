"""A rule-set or config error says what would have been right: an enum's valid values, the
nearest name to a misspelt key, the line and column of a YAML syntax error (not "<byte string>"),
the operators there are."""

from __future__ import annotations

from pathlib import Path

import pytest

from acs.issuer.config_files import ConfigError, load_issuer_config
from acs.risk.cases import load_cases
from acs.risk.loader import RuleLoadError, load_rules
from tests.conftest import ROOT


def rule_error(tmp_path: Path, text: str) -> str:
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    with pytest.raises(RuleLoadError) as info:
        load_rules(file)
    return str(info.value)


def test_an_unknown_status_lists_the_valid_ones(tmp_path: Path) -> None:
    text = "name: bad\nrules:\n  - {id: r1, description: x, then: {status: Q}}\n"
    message = rule_error(tmp_path, text)
    assert "rules[0].then.status" in message and "use one of Y, N, U, A, C, R, D, I" in message


def test_a_misspelt_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    text = "name: bad\nrules:\n  - {id: r1, descripton: x, then: {status: Y}}\n"
    message = rule_error(tmp_path, text)
    assert "rules[0].descripton" in message and "did you mean `description`" in message


def test_an_unknown_operator_lists_the_operators(tmp_path: Path) -> None:
    text = (
        "name: bad\nrules:\n  - id: r1\n    description: x\n"
        "    when: {field: amount.eur, op: greater, value: 3}\n    then: {status: Y}\n"
    )
    message = rule_error(tmp_path, text)
    assert "unknown operator 'greater'; use one of eq, ne, lt" in message


def test_a_yaml_syntax_error_names_the_file_line_and_column(tmp_path: Path) -> None:
    message = rule_error(tmp_path, "name: bad\nrules:\n  - id: r1\n    description: [x\n")
    assert "bad.yaml" in message and "line 5, column 1" in message
    assert "<byte string>" not in message and "<unicode string>" not in message


def test_config_errors_explain_too(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("card-ranges.yaml", "cardholders.yaml", "test-cards.yaml"):
        (config / name).write_text((ROOT / "config" / name).read_text())
    cards = (
        (config / "test-cards.yaml")
        .read_text()
        .replace('expected: {transStatus: "Y"}', 'expected: {transStatus: "YES"}', 1)
    )
    (config / "test-cards.yaml").write_text(cards)
    with pytest.raises(ConfigError) as info:
        load_issuer_config(config)
    assert "transStatus" in str(info.value) and "use one of Y, N" in str(info.value)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "tests:\n  - {name: x, expect: {status: 'Y'}\n",
            "cases.tests.yaml: not valid YAML at line 3, column 1",
        ),
        (
            "tests:\n  - {name: x, expekt: {status: 'Y'}}\n",
            "tests[0].expekt: Object contains unknown field `expekt` (did you mean `expect`?)",
        ),
        (
            "tests:\n  - {name: x, expect: {status: 'Q'}}\n",
            "tests[0].expect.status: Invalid enum value 'Q'; use one of Y, N, U, A, C, R, D, I",
        ),
    ],
)
def test_a_rule_test_file_error_says_where_and_what_is_right(
    tmp_path: Path, text: str, said: str
) -> None:
    file = tmp_path / "cases.tests.yaml"
    file.write_text(text)
    with pytest.raises(RuleLoadError) as info:
        load_cases(file)
    assert said in str(info.value) and "<unicode string>" not in str(info.value)
