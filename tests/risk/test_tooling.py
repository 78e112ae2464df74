"""`acs rules ...` as issuers run it: exit codes, --json, reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def acs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acs.cli", "rules", *args],
        cwd=ROOT,
        text=True,
        capture_output=True,
        timeout=120,
    )


def test_check_reports_sets_and_version_and_fails_with_exit_2(tmp_path: Path) -> None:
    ok = acs("check", "rules", "--json")
    assert ok.returncode == 0
    data = json.loads(ok.stdout)
    assert [s["name"] for s in data["sets"]] == ["test-cards", "default"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nrules:\n  - {id: a, description: d, then: {status: 'Y'},\n"
        "     when: {field: amount.euro, op: lt, value: 1}}\n"
    )
    failed = acs("check", str(bad))
    assert failed.returncode == 2
    assert (
        "bad.yaml: rules[0].when.field: unknown field 'amount.euro' (did you mean 'amount.eur'?)"
        in failed.stderr
    )


def test_test_runs_the_yaml_cases_and_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    passed = acs("test", "rules", "--json")
    assert passed.returncode == 0, passed.stdout[-2000:]
    assert json.loads(passed.stdout)["failed"] == 0
    target = tmp_path / "strict.yaml"
    # alone in a folder, without the manifest whose policy it names: the defaults
    strict = (ROOT / "rules/examples/strict.yaml").read_text()
    target.write_text(strict.replace("policy: ../rulesets.yaml\n", ""))
    (tmp_path / "strict.tests.yaml").write_text(
        "tests:\n  - {name: wrong, expect: {status: 'Y'}}\n"
    )
    failed = acs("test", str(target))
    assert failed.returncode == 1
    assert "FAIL" in failed.stdout and "challenge-everything" in failed.stdout


def test_test_lists_failures_and_a_summary_and_every_case_only_with_all() -> None:
    quiet = acs("test", "rules")
    assert quiet.returncode == 0 and "test-cards.tests.yaml" in quiet.stdout
    assert "pass" not in quiet.stdout.replace("passed", "")  # no passing case listed
    everything = acs("test", "rules", "--all")
    assert everything.stdout.count("pass") > quiet.stdout.count("pass")


def test_explain_prints_the_trace(tmp_path: Path) -> None:
    areq = json.loads((ROOT / "examples/areq-browser-2.2.0.json").read_text())
    areq["acctNumber"] = "4016000000000087"
    areq["purchaseAmount"] = "2000"
    file = tmp_path / "areq.json"
    file.write_text(json.dumps(areq))
    human = acs("explain", "rules", str(file))
    assert human.returncode == 0, human.stderr
    assert "low-value" in human.stdout and "exemption.low_value.available" in human.stdout
    data = json.loads(acs("explain", "rules", str(file), "--json").stdout)
    assert data["rule"] == "low-value" and data["transStatus"] == "Y"
    assert "4016000000000087" not in json.dumps(data)


def test_backtest_compare_and_html(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result = acs(
        "backtest",
        "rules",
        "rules/samples/transactions.jsonl",
        "--compare",
        "rules/examples/strict.yaml",
        "--html",
        str(report),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    summary = data["summary"]
    assert summary["transactions"] == 300 and summary["invalid"] == 0
    assert sum(summary["outcomes"].values()) == 300
    assert 0 < summary["rates"]["frictionless"] < 1
    assert summary["exemptions"]
    assert data["compare"]["outcome_changed"] > 0
    first = data["compare"]["differences"][0]
    assert {"line", "before", "after", "rule_before", "rule_after"} <= set(first)
    html = report.read_text()
    assert "outcome mix" in html and "rule hits" in html and "amount (EUR) by outcome" in html
    # summary and charts lead, details follow; no script or chart library: small, offline
    assert html.index("Summary") < html.index("outcome mix") < html.index("Details")
    assert "<script" not in html and len(html) < 100_000


def test_fields_lists_the_registry() -> None:
    data = json.loads(acs("fields", "--json").stdout)
    names = {f["field"] for f in data}
    for required in (
        "amount.eur",
        "amount.minor",
        "merchant.mcc",
        "challenge_ind",
        "account.suspicious_activity",
        "risk.ship_indicator",
        "browser.language",
        "method_completed",
        "card.scheme",
        "cardholder.methods",
        "velocity.1h.count",
        "exemption.low_value.available",
        "device.new",
        "device.first_seen_days",
        "version",
    ):
        assert required in names


def test_generate_writes_valid_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "tx.jsonl"
    assert acs("generate", "--count", "50", "--out", str(out)).returncode == 0
    result = json.loads(acs("backtest", "rules", str(out), "--json").stdout)
    assert result["summary"]["transactions"] == 50 and result["summary"]["invalid"] == 0
