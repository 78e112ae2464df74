"""The Dockerfile and docker-compose.yml, read as files (no Docker engine here): every ACS_*
variable they set or mention is one `acs serve` reads, their values make valid settings, and
the image's health check works against a plain and a TLS listener."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml

from acs import cli
from acs.app import build_services, create_app
from acs.config import Settings
from acs.crypto.pki import init_keys
from acs.listeners import serve_listeners, start
from tests.conftest import ROOT, make_settings
from tests.redis_server import free_port

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
MENTIONED = re.compile(r"\bACS_[A-Z0-9_]+\b")


def instructions(text: str) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") and not logical:
            continue
        logical += line.rstrip()
        if logical.endswith("\\"):
            logical = logical[:-1] + " "
            continue
        if logical.strip():
            word, _, rest = logical.strip().partition(" ")
            yield word.upper(), rest.strip()
        logical = ""


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions(DOCKERFILE.read_text()):
        if word == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))
    return env


class Recorder(dict[str, str]):
    """os.environ that notes every ACS_* name asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def serve_with(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str]
) -> tuple[Settings, set[str]]:
    """What `acs serve` (no flags) makes of an environment, and every ACS_* name it reads."""
    recorder = Recorder(values)
    monkeypatch.setattr(os, "environ", recorder)
    parser = argparse.ArgumentParser()
    cli._serve_parser(parser.add_subparsers(dest="command"))
    settings = cli.settings_from(parser.parse_args(["serve"]))
    monkeypatch.undo()
    return settings, {name for name in recorder.asked if name.startswith("ACS_")}


def compose_env(value: str) -> str:
    """A compose value with ${NAME:-default} and ${NAME:?error} as when NAME is unset (a data
    key stands in for the required one)."""
    value = re.sub(r"\$\{ACS_DATA_KEY:\?[^}]*\}", "00" * 32, value)
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_dockerfile_sets_only_variables_serve_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    env = dockerfile_env()
    assert env["ACS_BASE_URL"] == "http://localhost:8443" and env["PYTHONUNBUFFERED"] == "1"
    settings, read = serve_with(monkeypatch, env)
    acs_names = {name for name in env if name.startswith("ACS_")}
    assert acs_names <= read, acs_names - read
    mentioned = set(MENTIONED.findall(DOCKERFILE.read_text()))  # comments too
    assert mentioned <= read | {"ACS_DATA_KEY"}, mentioned - read
    assert {"ACS_TLS_CERT", "ACS_TLS_KEY", "ACS_DS_PORT", "ACS_DS_CLIENT_CA"} <= acs_names
    # empty TLS variables are plain HTTP, not a file called ''
    assert (settings.host, settings.port) == ("0.0.0.0", 8443)
    assert settings.public_url == "http://localhost:8443" and settings.tls_cert is None
    assert settings.ds_port is None and settings.trust is None


def test_compose_runs_acs_with_its_ds_front_and_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    acs, redis = compose["services"]["acs"], compose["services"]["redis"]
    assert acs["build"] == "." and redis["image"].startswith("redis:")
    assert acs["depends_on"]["redis"]["condition"] == "service_healthy"
    env = {name: compose_env(str(value)) for name, value in acs["environment"].items()}
    assert env["ACS_STORE"] == "redis://redis:6379/0" and env["ACS_DS"] == "1"
    assert "${ACS_DATA_KEY:?" in str(acs["environment"]["ACS_DATA_KEY"])  # required, said so
    settings, read = serve_with(monkeypatch, {**dockerfile_env(), **env})
    assert set(env) <= read, set(env) - read
    mentioned = set(MENTIONED.findall(COMPOSE.read_text()))  # the commented TLS ones too
    assert mentioned <= read, mentioned - read
    assert settings.store == "redis://redis:6379/0" and settings.data_key == bytes(32)
    assert settings.public_url == "http://localhost:8443"
    assert "8443:8443" in acs["ports"]


# -- the image's health check -----------------------------------------------------------------


def healthcheck_code() -> str:
    (check,) = [
        rest for word, rest in instructions(DOCKERFILE.read_text()) if word == "HEALTHCHECK"
    ]
    command = shlex.split(check.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"]
    return command[2]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("docker") / "keys"
    init_keys(directory, ca_bits=2048)
    return directory


@pytest.fixture(params=["plain", "tls"])
async def listening(request: pytest.FixtureRequest, keys: Path) -> AsyncIterator[dict[str, str]]:
    """An ACS on a free port, and the environment its container would have."""
    port = free_port()
    tls = request.param == "tls"
    files = {"tls_cert": keys / "tls-server.crt", "tls_key": keys / "tls-server.key"}
    settings = make_settings("memory", port=port, **(files if tls else {}))
    services = await build_services(settings)
    runner = await start(create_app(services), serve_listeners(settings))
    try:
        yield {"ACS_PORT": str(port), "ACS_TLS_CERT": str(files["tls_cert"]) if tls else ""}
    finally:
        await runner.cleanup()


async def test_the_health_check_reaches_a_plain_or_tls_listener(
    listening: dict[str, str],
) -> None:
    code = healthcheck_code()
    env = {**os.environ, **listening}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, env=env, stderr=subprocess.PIPE
    )
    _, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    wrong = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        env={**env, "ACS_PORT": str(free_port())},
        stderr=subprocess.DEVNULL,
    )
    assert await wrong.wait() != 0  # and it fails where nothing answers
