"""`acs sdk` against a real ACS server: app challenges run headlessly to their final CRes,
and a root the signed content does not chain to, or a missing answer, is a clear error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.scenario.server import acs, acs_server

__all__ = ["acs_server"]  # the module's fixture

pytestmark = pytest.mark.redis


def sdk(server: tuple[str, Path], card: str, *answers: str, root: Path | None = None) -> object:
    url, server_root = server
    argv = ["sdk", "--acs", url, "--card", card, "--root", root or server_root, "--json"]
    for answer in answers:
        argv += ["--answer", answer]
    return acs(*argv)


@pytest.mark.parametrize(
    ("card", "answers", "screens"),
    [
        ("4016000000000178", ["outbox"], ["05"]),  # the HTML UI: the SDK fills its form
        ("4016000000000145", ["otp_voice", "outbox"], ["02", "01"]),  # select, then the code
        ("4016000000000160", ["approve"], ["04"]),  # out of band: the issuer API, then continue
        ("4016000000000152", ["cancel"], ["03"]),  # cancelled: final CRes N
    ],
)
def test_app_challenges_end_with_a_final_cres(
    acs_server: tuple[str, Path], card: str, answers: list[str], screens: list[str]
) -> None:
    done = sdk(acs_server, card, *answers)
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    report = json.loads(done.stdout)  # type: ignore[attr-defined]
    assert report["ares"]["transStatus"] == "C"
    shown = [s["acsUiType"] for s in report["screens"] if s["challengeCompletionInd"] == "N"]
    assert shown == screens
    final = report["screens"][-1]
    assert final["challengeCompletionInd"] == "Y"
    assert report["transStatus"] == final["transStatus"] == ("N" if "cancel" in answers else "Y")
    assert [s["acsCounterAtoS"] for s in report["screens"]] == [
        f"{i:03d}" for i in range(len(report["screens"]))
    ]


def test_a_frictionless_card_needs_no_challenge(acs_server: tuple[str, Path]) -> None:
    done = sdk(acs_server, "4016000000000012")
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    report = json.loads(done.stdout)  # type: ignore[attr-defined]
    assert report["transStatus"] == "Y"
    assert "screens" not in report


def _other_root(tmp_path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some other root")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path = tmp_path / "other-root.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_signed_content_from_another_root_is_refused(
    acs_server: tuple[str, Path], tmp_path: Path
) -> None:
    done = sdk(acs_server, "4016000000000111", "111111", root=_other_root(tmp_path))
    assert done.returncode == 1  # type: ignore[attr-defined]
    assert "x5c chain does not verify" in json.loads(done.stdout)["error"]  # type: ignore[attr-defined]


def test_usage_errors_say_what_to_pass(acs_server: tuple[str, Path], tmp_path: Path) -> None:
    done = sdk(acs_server, "4016000000000111", root=tmp_path / "missing.pem")
    assert done.returncode == 2  # type: ignore[attr-defined]
    assert "acs keys init" in done.stderr  # type: ignore[attr-defined]
    done = sdk(acs_server, "4016000000000111")  # a code screen, and no --answer
    assert done.returncode == 2  # type: ignore[attr-defined]
    assert "give one more --answer" in done.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in done.stderr  # type: ignore[attr-defined]
