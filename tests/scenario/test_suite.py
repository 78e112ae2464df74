"""The shipped scenario suite: in process (twice, in random orders, on one ACS), over HTTP
against a real server on real Redis, its JUnit XML, and the catalog it must cover."""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from acs.issuer.config_files import load_issuer_config
from acs.scenario import cli
from acs.scenario.model import scenario_files
from acs.scenario.target import in_process
from tests.conftest import ROOT
from tests.scenario.server import acs, acs_server

__all__ = ["acs_server"]  # the module's fixture

SCENARIOS = ROOT / "scenarios"
CONFIG = ROOT / "config"


def shipped() -> list[Path]:
    files = scenario_files([SCENARIOS])
    assert len(files) > 30, files
    return files


def _failures(report: cli.Report) -> list[str]:
    return [f"{r.name}: {r.step}: {r.message}" for r in report.results if not r.ok]


def test_every_catalog_card_has_a_scenario() -> None:
    """The catalog cannot drift from behaviour: each entry is run by a shipped scenario."""
    catalog = {card.scenario for card in load_issuer_config(CONFIG).catalog}
    covered = {yaml.safe_load(f.read_text()).get("card") for f in shipped()}
    assert catalog - covered == set(), "catalog cards without a scenario in scenarios/"
    assert covered - {None} <= catalog


async def test_suite_in_process_twice_in_random_orders() -> None:
    """Every shipped scenario passes, in two random orders one after the other on the same ACS
    (counters, outbox, spent codes and all): none depends on what ran before."""
    files = shipped()
    async with in_process(CONFIG, ROOT / "rules") as target:
        first = await cli.run_files(target, files, CONFIG, seed=1, quiet=True)
        second = await cli.run_files(target, files, CONFIG, seed=2, quiet=True)
    assert _failures(first) == []
    assert _failures(second) == []
    assert len(first.results) == len(second.results) == len(files)
    orders = [[r.name for r in report.results] for report in (first, second)]
    assert orders[0] != orders[1]  # two different orders were run
    assert {r.channel for r in first.results} == {"browser", "app"}


# -- over HTTP, a real server on real Redis ------------------------------------------------------


def _args(**overrides: object) -> argparse.Namespace:
    args = dict(
        target=None, root=None, ds_url=None, config=CONFIG, rules=ROOT / "rules",
        store="memory", seed=None, junit=None, json=False,
    )  # fmt: skip
    return argparse.Namespace(**(args | overrides))


@pytest.mark.redis
async def test_suite_over_http_against_a_server_on_redis(acs_server: tuple[str, Path]) -> None:
    url, root = acs_server
    report = await cli.run_all(_args(target=url, root=root), shipped(), quiet=True)
    assert _failures(report) == []
    assert len(report.results) == len(shipped())


@pytest.mark.redis
def test_cli_junit_against_the_server(acs_server: tuple[str, Path], tmp_path: Path) -> None:
    """`acs scenario run --target --junit --json`: one testsuite of testcases, a failure for
    the scenario that failed, an error for the file that could not run, exit status 1."""
    url, root = acs_server
    passing = SCENARIOS / "challenge-otp-sms-browser.yaml"
    failing = tmp_path / "wrong-expectation.yaml"
    failing.write_text(
        'card: frictionless-n\nsteps:\n  - areq: {}\n    expect: {transStatus: "Y"}\n'
    )
    invalid = tmp_path / "typo.yaml"
    invalid.write_text("card: frictionless-y\nsteps:\n  - areqq: {}\n")
    junit = tmp_path / "out" / "junit.xml"
    done = acs("scenario", "run", passing, failing, invalid, "--target", url, "--root", root,
               "--junit", junit, "--json")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["passed"], report["failed"]) == (1, 2)
    assert {s["status"] for s in report["scenarios"]} == {"passed", "failed", "invalid"}

    suites = ET.parse(junit).getroot()
    assert suites.tag == "testsuites"
    (suite,) = suites.findall("testsuite")
    assert suite.attrib["tests"] == "3"
    assert suite.attrib["failures"] == "1"
    assert suite.attrib["errors"] == "1"
    assert float(suite.attrib["time"]) > 0
    cases = {case.attrib["name"]: case for case in suite.findall("testcase")}
    assert set(cases) == {"challenge-otp-sms-browser", "wrong-expectation", "typo"}
    for case in cases.values():
        assert case.attrib["classname"].startswith("scenarios")
        assert float(case.attrib["time"]) >= 0
    assert not cases["challenge-otp-sms-browser"].findall("failure")
    (failure,) = cases["wrong-expectation"].findall("failure")
    assert "step 1 (areq)" in failure.attrib["message"]
    assert "transStatus: expected 'Y', got 'N'" in failure.attrib["message"]
    (error,) = cases["typo"].findall("error")
    assert "unknown action `areqq` (did you mean `areq`?)" in error.attrib["message"]


async def test_the_readme_scenario_runs(tmp_path: Path) -> None:
    """The README's example scenario is a scenario that passes, as written."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Scenarios") :]
    example = section[
        section.index("```yaml\n") + 8 : section.index("```", section.index("```yaml") + 7)
    ]
    file = tmp_path / "readme.yaml"
    file.write_text(example)
    async with in_process(CONFIG, ROOT / "rules") as target:
        report = await cli.run_files(target, [file], CONFIG, quiet=True)
    assert _failures(report) == []
    assert report.results[0].log[-1].startswith("step 8 (record)")
