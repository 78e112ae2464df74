"""The public URL acsURL, the 3DS Method URL and the pages are built from: start-up warns when a
browser or a DS could not use it; and `acs serve` with TLS and a DS listener, as a user runs it
(its start-up lines, the warning, a graceful stop)."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from acs.config import Settings
from acs.crypto.pki import init_keys
from acs.listeners import public_url_warnings, warn_public_url
from tests.conftest import ROOT, make_settings
from tests.redis_server import free_port


def settings(**fields: Any) -> Settings:
    return make_settings("memory", **{"base_url": "", **fields})


UNREACHABLE = "which no browser or DS can reach"
LOOPBACK = "is on loopback while acs listens on"
HTTP_WITH_TLS = "is http, but the listener speaks TLS"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"host": "127.0.0.1"}, []),
        ({"host": "0.0.0.0", "base_url": "https://acs.example.com"}, []),
        ({"host": "::", "base_url": "http://192.0.2.7:8443"}, []),
        ({"host": "0.0.0.0"}, [f"the host 0.0.0.0, {UNREACHABLE}"]),
        ({"host": "::"}, [f"the host ::, {UNREACHABLE}"]),
        ({"base_url": "http://[::]:8443"}, [f"the host ::, {UNREACHABLE}"]),
        ({"host": "0.0.0.0", "base_url": "http://localhost:8443"}, [f"{LOOPBACK} 0.0.0.0"]),
        ({"host": "192.0.2.7", "base_url": "http://127.0.0.1:8443"}, [f"{LOOPBACK} 192.0.2.7"]),
        ({"base_url": "http://acs.example.com", "tls_cert": Path("x.crt")}, [HTTP_WITH_TLS]),
        (
            {"host": "0.0.0.0", "base_url": "http://0.0.0.0:8443", "tls_cert": Path("x.crt")},
            [
                UNREACHABLE,
                f"{HTTP_WITH_TLS} (--tls-cert): browsers would be sent to a port "
                "that answers only https; use https://0.0.0.0:8443",
            ],
        ),
    ],
)
def test_public_url_warnings(fields: dict[str, Any], expected: list[str]) -> None:
    """One warning per problem, in order, each saying what to set."""
    warnings = public_url_warnings(settings(**fields))
    assert len(warnings) == len(expected), warnings
    for warning, part in zip(warnings, expected, strict=True):
        assert part in warning
        assert "--base-url [ACS_BASE_URL]" in warning or "use https://" in warning


def test_tls_makes_the_default_public_url_https() -> None:
    plain = settings(host="127.0.0.1", port=8443)
    assert plain.public_url == "http://127.0.0.1:8443" == plain.own_origin
    tls = settings(host="127.0.0.1", port=8443, tls_cert=Path("x.crt"))
    assert tls.public_url == "https://127.0.0.1:8443" == tls.own_origin
    assert public_url_warnings(tls) == []


def test_warnings_are_printed_and_logged() -> None:
    lines: list[str] = []
    with capture_logs() as logs:
        warnings = warn_public_url(settings(host="0.0.0.0", port=8443), lines.append)
    assert len(warnings) == 1 and lines == [f"acs: warning: {warnings[0]}"]
    assert logs == [
        {
            "event": "startup.public_url",
            "log_level": "warning",
            "public_url": "http://0.0.0.0:8443",
            "problem": warnings[0],
        }
    ]


def test_serve_with_tls_and_a_ds_listener(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    init_keys(keys, ca_bits=2048)
    port, ds_port = free_port(), free_port()
    args = [
        "serve",
        "--host",
        "0.0.0.0",  # the case the loopback warning is for
        "--port",
        str(port),
        "--base-url",
        f"http://localhost:{port}",
        "--ds-port",
        str(ds_port),
        "--tls-cert",
        str(keys / "tls-server.crt"),
        "--tls-key",
        str(keys / "tls-server.key"),
        "--ds-client-ca",
        str(keys / "root-ca.crt"),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "acs.cli", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "ACS_LOG_LEVEL": "warning"},
    )
    trust = ssl.create_default_context(cafile=keys / "root-ca.crt")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"https://localhost:{port}/healthz"
                with urllib.request.urlopen(url, timeout=1, context=trust) as answer:
                    assert answer.status == 200
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "acs serve did not come up"
                time.sleep(0.2)
    finally:
        proc.terminate()  # SIGTERM: a graceful stop, exit status 0
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert f"acs listening on https://0.0.0.0:{port} (public URL http://localhost:{port})" in stderr
    assert (
        f"AReq:   https://localhost:{ds_port}/3ds/areq (DS listener on 0.0.0.0:{ds_port}; "
        f"mutual TLS, clients from {keys}/root-ca.crt)"
    ) in stderr
    assert f"acs: warning: public URL http://localhost:{port} is on loopback" in stderr
    assert "is http, but the listener speaks TLS" in stderr
