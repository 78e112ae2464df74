"""Every load error names the file, the YAML path and, where it can, a fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from acs.risk.loader import RuleLoadError, load_rules
from tests.conftest import ROOT


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


def edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_shipped_rules_load_with_a_stable_version() -> None:
    first, second = load_rules(ROOT / "rules"), load_rules(ROOT / "rules")
    assert first.version == second.version and len(first.version) == 12
    assert [s.name for s in first.sets] == ["test-cards", "default"]
    for example in ("strict", "frictionless-heavy"):
        assert load_rules(ROOT / "rules" / "examples" / f"{example}.yaml").sets[0].name == example


def test_version_follows_the_content(rules_dir: Path) -> None:
    before = load_rules(rules_dir).version
    edit(rules_dir / "default.yaml", lambda d: d["rules"][0].update(description="changed"))
    assert load_rules(rules_dir).version != before


@pytest.mark.parametrize(
    ("file", "change", "path", "reason"),
    [
        (
            "default.yaml",
            lambda d: d["rules"][3]["when"]["all"][0].update(field="exemption.one_leg"),
            "rules[3].when.all[0].field",
            "did you mean 'exemption.one_leg_out'",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][0]["when"].update(op="equals"),
            "rules[0].when.op",
            "unknown operator",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][0]["when"].update(value="yes"),
            "rules[0].when.value",
            "expected true or false",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][0]["then"].update(status="Q"),
            "rules[0].then.status",
            "Invalid enum value 'Q'",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][0]["then"].update(reason="99x"),
            "rules[0].then.reason",
            "Invalid enum",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][1].update(id=d["rules"][0]["id"]),
            "rules[1].id",
            "duplicate of rules[0]",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][0]["then"].pop("status"),
            "rules[0].then.status",
            "first-match rules need a status",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][0]["then"].update(methods=["otp_sms"]),
            "rules[0].then.methods",
            "only go with status C",
        ),
        (
            "default.yaml",
            lambda d: d["rules"][0].update(colour="red"),
            "rules[0]",
            "unknown field `colour`",
        ),
        ("default.yaml", lambda d: d.update(mode="best"), "mode", "Invalid enum"),
        (
            "rulesets.yaml",
            lambda d: d["sets"].append("missing.yaml"),
            "sets[2]",
            "no such rule file",
        ),
        (
            "rulesets.yaml",
            lambda d: d["policy"]["tra"].update(reference_fraud_rate=-1),
            "policy.tra.reference_fraud_rate",
            ">= 0",
        ),
        (
            "rulesets.yaml",
            lambda d: d["policy"]["velocity"].update({"1 hour": {"seconds": 3600}}),
            "policy.velocity",
            "",
        ),
    ],
)
def test_load_errors(rules_dir: Path, file, change, path, reason) -> None:
    edit(rules_dir / file, change)
    with pytest.raises(RuleLoadError) as info:
        load_rules(rules_dir)
    err = info.value
    assert err.file.endswith(file)
    assert err.path.startswith(path), str(err)
    assert reason in str(err), str(err)


def test_score_sets_need_thresholds_and_files_need_a_shape(tmp_path: Path) -> None:
    bad = tmp_path / "score.yaml"
    bad.write_text("name: s\nmode: score\nrules: [{id: a, description: d, then: {score: 1}}]\n")
    with pytest.raises(RuleLoadError, match="thresholds"):
        load_rules(bad)
    odd = tmp_path / "odd.yaml"
    odd.write_text("hello: world\n")
    with pytest.raises(RuleLoadError, match="expected a rule set"):
        load_rules(odd)
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n")
    with pytest.raises(RuleLoadError, match="not valid YAML"):
        load_rules(broken)
