"""A real ACS server process on a throwaway redis-server (``acs_server``, a module fixture),
and the ``acs`` command run in a process of its own, as CI runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import ROOT
from tests.redis_server import RedisServer, free_port


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the ACS server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the ACS server did not listen on {port}")


@pytest.fixture(scope="module")
def acs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, root certificate) of an ACS server process on a throwaway redis-server."""
    server = RedisServer()
    server.start()
    redis.Redis.from_url(server.url).flushdb()
    root = tmp_path_factory.mktemp("acs") / "root-ca.pem"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.scenario.acs_server", str(port), server.url, str(root)],
        cwd=ROOT,
        env={**os.environ, "ACS_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}", root
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.stop()


def acs(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    """The `acs` command in a process of its own, as CI runs it."""
    return subprocess.run(
        [sys.executable, "-m", "acs.cli", *map(str, argv)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
