"""Every curl example in the README, pasted into a shell against a running ACS, answers right."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT
from tests.redis_server import free_port

README = (ROOT / "README.md").read_text()


def _curl_blocks() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [b for b in blocks if "curl " in b]


def _json_values(text: str) -> list[object]:
    """curl -s prints bodies back to back, without newlines: split the stream."""
    decoder, values, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        value, i = decoder.raw_decode(text, i)
        values.append(value)
    return values


def test_readme_curl_examples_work_when_pasted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "ACS_ADMIN_TOKEN": "dev-token", "ACS_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [sys.executable, "-m", "acs.cli", "serve", "--port", str(port), "--ds"],  # as make run
        cwd=ROOT,
        env=env,
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
        blocks = _curl_blocks()
        assert len(blocks) >= 3
        for block in blocks:
            script = block.replace("127.0.0.1:8443", f"127.0.0.1:{port}")
            run = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert run.returncode == 0, (block, run.stderr)
            for answer in _json_values(run.stdout):
                answers = answer if isinstance(answer, list) else [answer]
                for item in answers:
                    assert "error" not in item, (block, item)
                    if item.get("messageType") == "Erro":
                        assert "2.0.9" in block, (block, item)  # only the documented Erro example
    finally:
        server.terminate()
        server.wait(timeout=10)
