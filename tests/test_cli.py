"""`acs serve` as a user runs it: banner, a real AReq over HTTP, clean failure on bad config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.protocol import samples
from tests.redis_server import free_port


def _acs(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "acs.cli", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def test_serve_starts_answers_and_prints_what_it_loaded() -> None:
    port = free_port()
    proc = _acs("serve", "--port", str(port), env={"ACS_LOG_LEVEL": "warning"})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "acs serve did not come up"
                time.sleep(0.2)
        body = json.dumps(samples.areq("2.2.0", "02", "01", pan="4016000000000012")).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/3ds/areq",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert json.load(r)["transStatus"] == "Y"
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert f"listening on http://127.0.0.1:{port}" in stderr
    assert "store:  memory" in stderr and "config: config/" in stderr and "rules:" in stderr


def test_bad_config_stops_start_up_with_file_path_reason(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    text = (config / "card-ranges.yaml").read_text().replace("scheme: amex", "scheme: amexx")
    (config / "card-ranges.yaml").write_text(text)
    proc = _acs("serve", "--port", str(free_port()), "--config", str(config))
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "card-ranges.yaml: ranges[2].scheme: Invalid enum value 'amexx'" in stderr


def test_redis_store_needs_a_data_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACS_DATA_KEY"}
    proc = subprocess.run(
        [sys.executable, "-m", "acs.cli", "serve", "--store", "redis://127.0.0.1:1/0"],
        cwd=ROOT,
        text=True,
        capture_output=True,
        env=env,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "ACS_DATA_KEY" in proc.stderr and "acs keys data-key" in proc.stderr
