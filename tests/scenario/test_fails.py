"""``fails:`` on a scenario step: it passes when the step fails saying the text, and says what
happened when the step succeeds or fails otherwise."""

from __future__ import annotations

from pathlib import Path

from acs.scenario import cli
from acs.scenario.target import in_process
from tests.conftest import ROOT

CASES = {
    "ok.yaml": "card: fault-http-500\nsteps:\n  - areq: {}\n    fails: http 500\n",
    "no-failure.yaml": "card: frictionless-y\nsteps:\n  - areq: {}\n    fails: HTTP 500\n",
    "other-failure.yaml": "card: fault-drop\nsteps:\n  - areq: {}\n    fails: HTTP 500\n",
}


async def test_fails(tmp_path: Path) -> None:
    files = []
    for name, text in CASES.items():
        files.append(tmp_path / name)
        files[-1].write_text(text)
    async with in_process(ROOT / "config", ROOT / "rules") as target:
        report = await cli.run_files(target, files, ROOT / "config", quiet=True)
    by_name = {r.name: r for r in report.results}
    assert by_name["ok"].ok
    assert "expected it to fail with 'HTTP 500'; it did not" in str(by_name["no-failure"].message)
    assert "failed, but not with 'HTTP 500'" in str(by_name["other-failure"].message)
