"""Run tests/interop/node/jose-cli.mjs (npm jose under Node), installing jose on first use.

The module installs itself (``npm ci`` from the committed lock file, into tests/interop/node only)
when it is missing or not the locked version, so ``make test`` on a fresh clone needs no extra
step; ``.ci/run`` installs it up front. Without Node, npm or the registry the tests fail in CI
(``CI=true``) and are skipped with the reason elsewhere.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
CLI = NODE_DIR / "jose-cli.mjs"
LOCK = NODE_DIR / "package-lock.json"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _locked_version() -> str:
    lock: dict[str, Any] = json.loads(LOCK.read_text())
    version: str = lock["packages"]["node_modules/jose"]["version"]
    return version


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "jose" / "package.json"
    try:
        version: str = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version


def _install() -> str | None:
    """None once the locked jose is installed, else why it could not be."""
    npm = shutil.which("npm")
    if npm is None:
        return "npm not installed (it comes with Node 20+), needed to install npm jose"
    # Another test run in this tree may be installing too: npm ci removes node_modules first.
    with LOCK.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if _installed_version() == _locked_version():
            return None
        done = subprocess.run(
            [npm, "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if done.returncode != 0:
        head = [line[:160] for line in (done.stderr or done.stdout).strip().splitlines()[:4]]
        return f"npm ci --prefix tests/interop/node failed (offline?): {' / '.join(head)}"
    return None


def jose_cli() -> str:
    """The node binary, with the locked jose installed; fails (CI) or skips when impossible."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node not installed (Node 20+ runs the npm jose interop checks)")
        raise AssertionError("unreachable")
    if _installed_version() != _locked_version():
        problem = _install()
        if problem is not None:
            _unavailable(problem)
    return node


def run(node: str, command: str, request: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(CLI), command],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def call(node: str, command: str, request: dict[str, Any]) -> dict[str, Any]:
    """The CLI's JSON answer; the test fails with its stderr when jose refused the input."""
    done = run(node, command, request)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer
