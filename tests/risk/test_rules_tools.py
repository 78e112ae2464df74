"""`acs rules` for an analyst: rule sets that stand alone, explain trees (golden JSON), fraud
labels with metrics worked out by hand, per-transaction output, invalid-line numbers, the compare
transition matrix, JUnit output and the generator's options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from acs.flows.areq import handle_areq
from acs.protocol.messages import ARes
from acs.risk.loader import RuleLoadError, load_rules
from acs.risk.sample import base_areq
from acs.rules_cli import rules_line
from tests.conftest import ROOT, fresh_services

EXPLAIN = ROOT / "tests/risk/explain"
Y_CARD = "4016000000000012"  # the catalog's frictionless-y test card


def acs(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acs.cli", "rules", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},  # rich wraps at the terminal's width
    )


# -- rule sets that stand alone ---------------------------------------------------------------


def test_a_rule_set_alone_decides_as_it_does_in_its_folder() -> None:
    alone = json.loads(
        acs("backtest", "rules/default.yaml", "rules/samples/transactions.jsonl", "--json").stdout
    )
    folder = json.loads(
        acs("backtest", "rules", "rules/samples/transactions.jsonl", "--json").stdout
    )
    assert alone["summary"]["outcomes"] == folder["summary"]["outcomes"]
    assert alone["summary"]["rates"]["frictionless"] > 0.5  # the policy came along: EUR rates


@pytest.mark.parametrize(
    ("policy", "rule", "message"),
    [
        (
            "",
            "{field: velocity.day.count, op: ge, value: 3}",
            "velocity.day.count reads the velocity window 'day', which this rule set's policy "
            "does not define (it has: 1h, 24h)",
        ),
        (
            "policy: {velocity: {1h: {seconds: 3600}}}\n",
            "{field: velocity.24h.count, op: ge, value: 3}",
            "which this rule set's policy does not define (it has: 1h)",
        ),
        (
            "policy: {eur_rates: {}}\n",
            "{field: amount.eur, op: gt, value: 100}",
            "rule 'r' reads amount.eur, which needs policy.eur_rates, empty in the policy",
        ),
        (
            "policy: nowhere.yaml\n",
            "{field: amount.eur, op: gt, value: 100}",
            "policy: no such file",
        ),
    ],
)
def test_check_refuses_a_rule_that_reads_policy_the_set_lacks(
    tmp_path: Path, policy: str, rule: str, message: str
) -> None:
    file = tmp_path / "alone.yaml"
    file.write_text(
        f"name: alone\n{policy}rules:\n"
        f"  - {{id: r, description: d, when: {rule}, then: {{status: 'Y'}}}}\n"
    )
    checked = acs("check", str(file), "--no-test-cards")
    assert checked.returncode == 2, checked.stdout
    assert "OK" not in checked.stdout
    assert message in checked.stderr


def test_a_set_in_a_manifest_may_not_bring_another_policy(tmp_path: Path) -> None:
    (tmp_path / "rulesets.yaml").write_text(
        "sets: [own.yaml]\npolicy: {tra: {reference_fraud_rate: 0.01}}\n"
    )
    (tmp_path / "own.yaml").write_text(
        "name: own\npolicy: {tra: {reference_fraud_rate: 0.1}}\n"
        "rules: [{id: r, description: d, then: {status: 'Y'}}]\n"
    )
    with pytest.raises(RuleLoadError, match="differs from the policy of the manifest"):
        load_rules(tmp_path)
    (tmp_path / "own.yaml").write_text(
        "name: own\npolicy: rulesets.yaml\nrules: [{id: r, description: d, then: {status: 'Y'}}]\n"
    )
    assert load_rules(tmp_path).policy.tra.limit_eur == 500.0  # the manifest's, included


def test_check_names_where_the_policy_comes_from() -> None:
    checked = acs("check", "rules/examples/strict.yaml")
    assert checked.returncode == 0
    assert "policy from rules/examples/../rulesets.yaml" in checked.stdout.replace("\n", " ")
    assert "test cards from rules/test-cards.yaml in front" in checked.stdout.replace("\n", " ")
    data = json.loads(acs("check", "rules/examples/strict.yaml", "--json").stdout)
    assert [s["name"] for s in data["sets"]] == ["test-cards", "strict"]
    alone = json.loads(
        acs("check", "rules/examples/strict.yaml", "--no-test-cards", "--json").stdout
    )
    assert [s["name"] for s in alone["sets"]] == ["strict"]


def test_a_missing_test_card_set_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RuleLoadError, match="run from the folder that holds rules/, or give"):
        load_rules(ROOT / "rules/examples/strict.yaml", test_cards=tmp_path / "test-cards.yaml")


async def test_serve_with_a_rules_file_keeps_the_test_cards_unless_told() -> None:
    strict = ROOT / "rules/examples/strict.yaml"
    for test_cards, status in ((True, "Y"), (False, "C")):
        services = await fresh_services("memory", rules_path=strict, test_cards=test_cards)
        try:
            ares = await handle_areq(services, json.dumps(base_areq(acctNumber=Y_CARD)).encode())
            assert isinstance(ares, ARes) and ares.transStatus == status
            line = rules_line(services)
            assert ("test cards from" in line) is test_cards
        finally:
            await services.close()


# -- explain ----------------------------------------------------------------------------------


def test_explain_json_is_the_golden_tree_for_not_any_all() -> None:
    """Every rule tried in order: a missed all shows its first false condition, a missed any
    and a missed not are shown whole, the fired rule with every condition; numbers as written."""
    got = acs(
        "explain",
        str(EXPLAIN / "trees.yaml"),
        str(EXPLAIN / "areq.json"),
        "--no-test-cards",
        "--json",
    )
    assert got.returncode == 0, got.stderr
    golden = json.loads((EXPLAIN / "trees.golden.json").read_text())
    assert json.loads(got.stdout) == golden
    tried = {row["rule"]: row for row in golden["tried"]}
    assert list(tried) == ["all-misses-on-second", "any-all-false", "not-of-true", "fires"]
    assert tried["all-misses-on-second"]["missed"]["field"] == "amount.minor"
    assert tried["all-misses-on-second"]["missed"]["actual"] == 4999  # not 4999.0
    fired = tried["fires"]["when"]
    negated = fired["children"][0]
    assert negated["group"] == "not" and negated["result"] is True
    assert negated["children"][0]["result"] is False  # false under a not: the rule holds


def test_explain_draws_the_tree_for_people() -> None:
    got = acs("explain", str(EXPLAIN / "trees.yaml"), str(EXPLAIN / "areq.json"), "--no-test-cards")
    assert got.returncode == 0, got.stderr
    text = got.stdout
    first, second, fired = "all-misses-on-second", "any-all-false", "trees/fires"
    assert text.index(first) < text.index(second) < text.index(fired)
    assert "amount.minor gt 100000: was 4999" in text
    assert "not → true" in text and "counters read: velocity 1h: 0" in text


# -- backtest with labels ---------------------------------------------------------------------

TIERS = """\
name: tiers
rules:
  - {id: decline-big, description: d, when: {field: amount.minor, op: ge, value: 100000},
     then: {status: "N", reason: "11"}}
  - {id: challenge-mid, description: d, when: {field: amount.minor, op: ge, value: 20000},
     then: {status: "C", methods: [otp_sms]}}
  - {id: pass, description: d, then: {status: "Y"}}
"""
STRICTER = """\
name: stricter
rules:
  - {id: challenge-from-40, description: d, when: {field: amount.minor, op: ge, value: 4000},
     then: {status: "C", methods: [otp_sms]}}
  - {id: pass, description: d, then: {status: "Y"}}
"""


def _line(n: int, amount: int, fraud: bool | None = None) -> str:
    areq = base_areq(
        purchaseAmount=str(amount),
        threeDSServerTransID=f"00000000-0000-4000-8000-{n:012d}",
        purchaseDate=f"202611250{n}0000",
    )
    if fraud is not None:
        areq["label"] = {"fraud": fraud}
    return json.dumps(areq)


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    lines = [
        _line(1, 5000, True),  # Y: fraud passed frictionless, EUR 50
        _line(2, 25000, True),  # C: caught
        _line(3, 150000, True),  # N: caught
        _line(4, 3000, False),  # Y
        _line(5, 30000, False),  # C: a false-positive challenge
        _line(6, 4000, False),  # Y
        '{"messageType": "AReq", "messageVersion": "2.2.0"}',  # line 7: an Erro
        _line(8, 7000),  # Y, unlabelled
        "",  # blank: skipped, but counted in line numbers
        _line(9, 8000),  # Y: fraud by the side file, EUR 80
    ]
    (tmp_path / "tx.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "labels.jsonl").write_text(
        json.dumps({"threeDSServerTransID": "00000000-0000-4000-8000-000000000009", "fraud": True})
        + "\n"
    )
    (tmp_path / "tiers.yaml").write_text(TIERS)
    (tmp_path / "stricter.yaml").write_text(STRICTER)
    return tmp_path


def _backtest(folder: Path, *extra: str) -> dict[str, Any]:
    got = acs(
        "backtest",
        str(folder / "tiers.yaml"),
        str(folder / "tx.jsonl"),
        "--no-test-cards",
        "--labels",
        str(folder / "labels.jsonl"),
        "--json",
        *extra,
    )
    assert got.returncode == 0, got.stderr
    result: dict[str, Any] = json.loads(got.stdout)
    return result


def test_backtest_fraud_metrics_are_those_worked_out_by_hand(labelled: Path) -> None:
    fraud = _backtest(labelled)["summary"]["fraud"]
    assert fraud["labelled"] == 7 and fraud["fraud"] == 4 and fraud["genuine"] == 3
    assert fraud["fraud_caught"] == 2 and fraud["fraud_caught_rate"] == 0.5
    assert fraud["fraud_frictionless"] == 2 and fraud["fraud_frictionless_eur"] == 130.0
    assert fraud["false_positive_challenge_rate"] == round(1 / 3, 4)
    by_rule = fraud["by_rule"]
    assert by_rule["pass"] == {
        "hits": 4,
        "fraud": 2,
        "genuine": 2,
        "fraud_caught": 0,
        "fraud_frictionless": 2,
        "fraud_frictionless_eur": 130.0,
        "genuine_challenged": 0,
    }
    assert by_rule["challenge-mid"]["fraud_caught"] == 1
    assert by_rule["challenge-mid"]["genuine_challenged"] == 1
    assert by_rule["decline-big"]["fraud_caught"] == 1


def test_backtest_out_lines_and_invalid_line_numbers(labelled: Path) -> None:
    out = labelled / "results.jsonl"
    summary = _backtest(labelled, "--out", str(out))["summary"]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    first = rows[0]
    assert first["transStatus"] == "Y" and first["rule"] == "pass" and first["fraud"] is True
    assert first["threeDSServerTransID"] == "00000000-0000-4000-8000-000000000001"
    assert rows[4]["transStatus"] == "C" and rows[4]["methods"] == ["otp_sms"]
    assert rows[2]["transStatusReason"] == "11"
    invalid = rows[6]
    assert invalid["line"] == 7 and invalid["error"]["errorCode"] == "201"
    assert "fraud" not in rows[7]  # unlabelled
    assert summary["invalid_lines"] == [
        {
            "line": 7,
            "trans_id": None,
            "error_code": "201",
            "error_detail": invalid["error"]["errorDetail"],
        }
    ]


def test_backtest_compare_has_the_transition_matrix_and_rule_moves(labelled: Path) -> None:
    compare = _backtest(labelled, "--compare", str(labelled / "stricter.yaml"))["compare"]
    matrix = {(t["before"], t["after"]): t["count"] for t in compare["transitions"]}
    assert matrix == {
        ("Y", "Y"): 1,
        ("Y", "C"): 4,
        ("C", "C"): 2,
        ("N", "C"): 1,
        ("Erro", "Erro"): 1,
    }
    assert compare["outcome_changed"] == 5 and compare["rule_changed"] == 7
    hits = {r["rule"]: r["change"] for r in compare["rule_hits"]}
    assert hits == {"challenge-from-40": 7, "pass": -4, "challenge-mid": -2, "decline-big": -1}
    moves = {(m["before"], m["after"]): m["count"] for m in compare["rule_moves"]}
    assert moves[("pass", "challenge-from-40")] == 4
    assert moves[("challenge-mid", "challenge-from-40")] == 2
    assert compare["summary"]["fraud"]["fraud_caught"] == 4  # the stricter set catches all


def test_backtest_report_and_table_for_people(labelled: Path) -> None:
    report = labelled / "report.html"
    got = acs(
        "backtest",
        str(labelled / "tiers.yaml"),
        str(labelled / "tx.jsonl"),
        "--no-test-cards",
        "--labels",
        str(labelled / "labels.jsonl"),
        "--compare",
        str(labelled / "stricter.yaml"),
        "--html",
        str(report),
    )
    assert got.returncode == 0, got.stderr
    assert "fraud passed frictionless" in got.stdout and "2 (EUR 130.00)" in got.stdout
    assert "outcome transitions: 5 transactions change outcome, 7 change the deciding rule" in (
        got.stdout.replace("\n", " ")
    )
    page = report.read_text()
    assert page.index("Summary") < page.index("outcome transitions") < page.index("Details")
    assert "fraud by rule" in page and "<script" not in page


def test_a_bad_label_names_the_line(tmp_path: Path) -> None:
    areq = base_areq()
    areq["label"] = {"fraud": "maybe"}
    (tmp_path / "tx.jsonl").write_text(json.dumps(base_areq()) + "\n" + json.dumps(areq) + "\n")
    got = acs("backtest", "rules", str(tmp_path / "tx.jsonl"))
    assert got.returncode == 2
    assert "line 2: label:" in got.stderr and '"label": {"fraud": true}' in got.stderr


# -- test -------------------------------------------------------------------------------------


def test_rules_test_writes_junit_and_lists_passes_only_when_verbose(tmp_path: Path) -> None:
    junit = tmp_path / "rules.xml"
    quiet = acs("test", "rules", "--junit", str(junit))
    assert quiet.returncode == 0 and "pass " not in quiet.stdout
    suites = ElementTree.parse(junit).getroot()
    cases = suites.findall("testsuite/testcase")
    assert len(cases) > 20 and not suites.findall("testsuite/testcase/failure")
    verbose = acs("test", "rules", "--verbose")
    assert verbose.stdout.count("pass ") == len(cases)


def test_a_failing_case_is_in_the_junit_file_with_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "strict.yaml").write_text(
        (ROOT / "rules/examples/strict.yaml").read_text().replace("policy: ../rulesets.yaml\n", "")
    )
    (tmp_path / "strict.tests.yaml").write_text(
        "tests:\n  - {name: wrong, expect: {status: 'Y'}}\n"
    )
    junit = tmp_path / "out.xml"
    failed = acs("test", str(tmp_path / "strict.yaml"), "--junit", str(junit))
    assert failed.returncode == 1
    assert "FAIL" in failed.stdout and "expected status=Y" in failed.stdout
    failure = ElementTree.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and "got      status=C" in (failure.text or "")


# -- generate ---------------------------------------------------------------------------------


def test_generate_follows_the_mix_options() -> None:
    got = acs(
        "generate",
        "--count",
        "400",
        "--mcc",
        "5411=1,7995=1",
        "--amounts",
        "10-20=1",
        "--countries",
        "GB=1",
        "--fraud-rate",
        "0.1",
    )
    assert got.returncode == 0, got.stderr
    areqs = [json.loads(line) for line in got.stdout.splitlines()]
    assert {a["mcc"] for a in areqs} == {"5411", "7995"}
    assert {a["merchantCountryCode"] for a in areqs} == {"826"}
    assert {a["purchaseCurrency"] for a in areqs} == {"826"}
    assert all(1000 <= int(a["purchaseAmount"]) <= 2000 for a in areqs)
    fraud = sum(a["label"]["fraud"] for a in areqs)
    assert 10 < fraud < 100  # about 10 %
    default = [json.loads(line) for line in acs("generate", "--count", "5").stdout.splitlines()]
    assert all("label" not in a for a in default)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--mcc", "54111=1", "is not a 4-digit merchant category code"),
        ("--amounts", "30=1", "is not a band LOW-HIGH in EUR"),
        ("--countries", "XX=1", "is not an ISO 3166-1 alpha-2 or numeric code"),
        ("--mcc", "5411=-1", "with positive weights"),
        ("--fraud-rate", "2", "give a share between 0 and 1"),
    ],
)
def test_generate_says_what_is_wrong_with_an_option(option: str, value: str, message: str) -> None:
    got = acs("generate", "--count", "1", option, value)
    assert got.returncode == 2 and message in got.stderr
