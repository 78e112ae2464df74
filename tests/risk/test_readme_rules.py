"""The README's rule-tool commands and its shadow-mode example, pasted into a shell, work."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.redis_server import free_port

README = (ROOT / "README.md").read_text()


def _block(marker: str) -> str:
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", README, flags=re.S) if marker in b]
    assert len(blocks) == 1, f"one README sh block with {marker!r}"
    return blocks[0]


def _workdir(tmp_path: Path) -> Path:
    """A folder like the repository's root (the commands use relative paths and write files)."""
    for name in (".venv", "rules", "config", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def test_the_rule_tool_commands_work_when_pasted(tmp_path: Path) -> None:
    block = _block("acs rules backtest")
    cwd = _workdir(tmp_path)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "policy from rules/rulesets.yaml" in done.stdout.replace("\n", " ")
    assert "by rule frictionless-y" in done.stdout and "rules tried, in order" in done.stdout
    assert "fraud passed frictionless" in done.stdout and "outcome transitions" in done.stdout
    lines = (cwd / "results.jsonl").read_text().splitlines()
    assert len(lines) == 2000 and all("compare" in json.loads(line) for line in lines)
    assert "Summary" in (cwd / "report.html").read_text()
    assert "<testsuites" in (cwd / "rules-tests.xml").read_text()


def test_the_shadow_mode_example_works_when_pasted(tmp_path: Path) -> None:
    serve, report = _block("--shadow-rules").strip().splitlines()
    port = free_port()
    cwd = _workdir(tmp_path)
    env = {**os.environ, "ACS_PORT": str(port), "ACS_LOG_LEVEL": "warning", "COLUMNS": "200"}
    env["ACS_URL"] = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["bash", "-c", serve.split("#")[0]],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        areq = json.loads((ROOT / "examples/areq-browser-2.2.0.json").read_text())
        areq["acctNumber"] = "4016000000000053"  # decided by the default set: Y
        request = urllib.request.Request(
            f"{base}/3ds/areq",
            data=json.dumps(areq).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert json.loads(resp.read())["transStatus"] == "Y"  # the live answer
        shown = subprocess.run(
            ["bash", "-c", report.split("#")[0]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert "1 AReqs, 1 differ" in shown.stdout  # strict would have challenged it
        as_json = subprocess.run(
            ["bash", "-c", report.split("#")[0] + " --json"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        data = json.loads(as_json.stdout)
        assert data["transitions"] == [{"live": "Y", "shadow": "C", "count": 1}]
    finally:
        server.terminate()
        server.wait(timeout=10)
