"""The example scripts the README tells people to run work against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT
from tests.redis_server import free_port


def run_example(script: str) -> subprocess.CompletedProcess[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "acs.cli", "serve", "--port", str(port), "--ds"],  # as make run
        cwd=ROOT,
        env={**os.environ, "ACS_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        run = subprocess.run(
            ["bash", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "ACS": f"http://127.0.0.1:{port}"},
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert run.returncode == 0, run.stderr
    return run


def test_challenge_script_runs_a_challenge_to_y() -> None:
    run = run_example("examples/challenge.sh")
    assert '"transStatus":"C"' in run.stdout
    assert '"transStatus":"Y"}' in run.stdout  # the final CRes
    assert "'trans_status': 'Y'" in run.stdout
    assert "rreq relayed: [('relayed', 'Y', '01')]" in run.stdout  # through the DS front


def test_oob_script_approves_through_the_issuer_api() -> None:
    run = run_example("examples/oob.sh")
    assert '"transStatus":"C"' in run.stdout
    assert '"accepted": true' in run.stdout or '"accepted":true' in run.stdout
    assert '"transStatus":"Y"}' in run.stdout  # the final CRes, from the page's reload
    assert "result: Y" in run.stdout
    assert "rreq relayed: [('relayed', 'Y', '01')]" in run.stdout
