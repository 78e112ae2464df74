"""The shipped rule sets' own YAML test cases run in `make test`."""

from __future__ import annotations

from pathlib import Path

import pytest

from acs.flows.offline import OfflineDecider
from acs.risk.cases import load_cases, run_case
from acs.risk.loader import load_rules
from tests.conftest import ROOT

RULE_PATHS = [
    ROOT / "rules",
    ROOT / "rules/examples/strict.yaml",
    ROOT / "rules/examples/frictionless-heavy.yaml",
]
CASES = [
    (path, file, case)
    for path in RULE_PATHS
    for file in load_rules(path).test_files()
    for case in load_cases(file)
]
DECIDERS = {path: OfflineDecider(load_rules(path), ROOT / "config") for path in RULE_PATHS}


def test_every_rule_set_ships_test_cases() -> None:
    files = {file.name for _, file, _ in CASES}
    assert files == {
        "default.tests.yaml",
        "test-cards.tests.yaml",
        "strict.tests.yaml",
        "frictionless-heavy.tests.yaml",
    }
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("path", "file", "case"), CASES, ids=[f"{f.stem}:{c.name}" for _, f, c in CASES]
)
async def test_case(path: Path, file: Path, case) -> None:  # type: ignore[no-untyped-def]
    result = await run_case(DECIDERS[path], file, case)
    assert result.passed, f"expected {result.expected}, got {result.got}"
