"""The test PKI: `acs keys init` (idempotent, --force, permissions), PKI.load's checks with the
file and the reason, and how `acs serve` uses it (--keys, the in-memory default)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from acs import cli
from acs.app import build_services, ephemeral_pki
from acs.crypto.pki import (
    ACS_CA,
    ACS_EC,
    ACS_RSA,
    DS_EC,
    MANIFEST,
    PKI,
    ROLES,
    ROOT,
    TLS_CLIENT,
    TLS_SERVER,
    PKIError,
    init_keys,
    key_files,
)
from acs.crypto.signed_content import SigningAlgorithm
from tests.conftest import ROOT as REPO
from tests.conftest import make_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns, _mode(p))
        for p in sorted(directory.iterdir())
    }


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `acs keys init` for the module (CA keys are RSA-3072: a second or so)."""
    directory = tmp_path_factory.mktemp("pki") / "keys"
    assert cli.main(["keys", "init", str(directory)]) == 0
    return directory


@pytest.fixture
def keys(made: Path, tmp_path: Path) -> Path:
    """A private copy of the made set (modes kept) for a test to break."""
    copy = tmp_path / "keys"
    shutil.copytree(made, copy)
    return copy


@pytest.fixture(scope="module")
def other() -> PKI:
    """A second, unrelated PKI with the same names: a wrong chain looks right by name."""
    return PKI.generate(ca_bits=2048)


def _replace(directory: Path, name: str, source: PKI | Path, as_name: str | None = None) -> None:
    """Put ``name``'s certificate and key from another PKI (or directory) in place of
    ``as_name`` (default: the same name)."""
    target = as_name or name
    if isinstance(source, Path):
        cert = (source / f"{name}.crt").read_bytes()
        key = (source / f"{name}.key").read_bytes()
    else:
        cred = source[name]
        cert = cred.certificate.public_bytes(serialization.Encoding.PEM)
        key = cred.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    (directory / f"{target}.crt").write_bytes(cert)
    (directory / f"{target}.key").write_bytes(key)
    (directory / f"{target}.key").chmod(0o600)


# -- keys init --------------------------------------------------------------------------------


def test_init_writes_every_file_keys_0600_and_a_manifest(made: Path) -> None:
    for path in key_files(made):
        assert path.is_file(), path
        assert _mode(path) == (0o600 if path.suffix == ".key" else 0o644), path
    assert _mode(made) == 0o700
    manifest = json.loads((made / MANIFEST).read_text())
    assert manifest["trust"] == "root-ca.crt"
    assert manifest["acs_signing"] == {"PS256": ACS_RSA, "ES256": ACS_EC}
    assert set(manifest["certificates"]) == {role.name for role in ROLES}
    ec = manifest["certificates"][ACS_EC]
    assert ec["key_type"] == "EC P-256" and ec["issuer"].startswith("CN=acs test ACS signing CA")
    assert manifest["certificates"][ACS_RSA]["key_type"] == "RSA-2048"
    assert "PRIVATE" not in (made / MANIFEST).read_text()


def test_init_makes_root_intermediate_leaf(made: Path) -> None:
    pki = PKI.load(made)
    assert pki.source == made
    for leaf, ca in ((ACS_RSA, ACS_CA), (ACS_EC, ACS_CA), (DS_EC, "ds-ca")):
        cred = pki[leaf]
        assert cred.chain == (cred.certificate, pki[ca].certificate)  # leaf first, no root
        assert pki[ca].certificate.issuer == pki.root.subject
    assert pki.root.issuer == pki.root.subject


def test_a_second_init_changes_nothing_and_says_so(
    keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(keys)
    assert cli.main(["keys", "init", str(keys)]) == 0
    out = capsys.readouterr().out
    assert "nothing changed" in out and "--force" in out
    assert _snapshot(keys) == before


def test_force_replaces_the_set_with_a_new_root(keys: Path) -> None:
    old_root = PKI.load(keys).root_fingerprint
    result = init_keys(keys, force=True, ca_bits=2048)
    assert result.created and "replaced" in result.message
    assert PKI.load(keys).root_fingerprint != old_root
    assert all(_mode(p) == 0o600 for p in keys.glob("*.key"))
    assert not list(keys.glob(".*"))  # no temporary file left behind


def test_init_refuses_an_incomplete_set_and_touches_nothing(
    keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (keys / f"{DS_EC}.key").unlink()
    before = _snapshot(keys)
    assert cli.main(["keys", "init", str(keys)]) == 2
    err = capsys.readouterr().err
    assert f"{keys / DS_EC}.key: file missing" in err
    assert "nothing was changed" in err and f"acs keys init --force {keys}" in err
    assert _snapshot(keys) == before


def test_init_adds_the_tls_roles_to_an_older_set_and_keeps_its_keys(
    keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run` runs `acs keys init .acs/keys` on a directory an older version made."""
    for name in (TLS_SERVER, TLS_CLIENT):
        (keys / f"{name}.crt").unlink()
        (keys / f"{name}.key").unlink()
    before = _snapshot(keys)
    assert cli.main(["keys", "init", str(keys)]) == 0
    out = capsys.readouterr().out
    assert f"{keys}: added {TLS_SERVER}, {TLS_CLIENT} to the test PKI" in out
    assert f"{keys}/{TLS_SERVER}.crt" in out and "--tls-cert" in out  # the summary
    after = _snapshot(keys)
    assert {n: v for n, v in after.items() if n in before and n != MANIFEST} == {
        n: v for n, v in before.items() if n != MANIFEST
    }  # every older file as it was, byte for byte
    assert _mode(keys / f"{TLS_SERVER}.key") == 0o600 and not list(keys.glob(".*"))
    pki = PKI.load(keys)
    assert pki.tls_server.certificate.issuer == pki.root.subject
    manifest = json.loads((keys / MANIFEST).read_text())
    assert manifest["tls"] == {
        "server": TLS_SERVER,
        "client": TLS_CLIENT,
        "hosts": ["localhost", "127.0.0.1", "::1"],
    }
    assert {TLS_SERVER, TLS_CLIENT} <= set(manifest["certificates"])
    assert cli.main(["keys", "init", str(keys)]) == 0  # and then it is complete
    assert "nothing changed" in capsys.readouterr().out


def test_init_adds_no_ca_under_certificates_it_issued(keys: Path) -> None:
    """A CA gone while what it issued stays cannot be made again (a new CA would not have
    issued them): refused, nothing changed. Nor the root, which would make a new set."""
    for name in ("ds-ca.crt", "ds-ca.key"):
        (keys / name).unlink()
    before = _snapshot(keys)
    with pytest.raises(PKIError) as info:
        init_keys(keys)
    assert info.value.file == str(keys / "ds-rsa.crt")
    assert info.value.reason.startswith("its CA ds-ca.crt is missing; ")
    assert f"acs keys init --force {keys}" in info.value.reason
    assert _snapshot(keys) == before
    for name in (f"{ROOT}.crt", f"{ROOT}.key"):
        (keys / name).unlink()
    with pytest.raises(PKIError, match=r"root-ca\.key: file missing"):
        init_keys(keys)


def test_init_with_rsa_3072(tmp_path: Path) -> None:
    result = init_keys(tmp_path / "k", rsa_bits=3072, ca_bits=2048)
    assert result.pki.acs_rsa.key.key_size == 3072
    assert result.pki.ds_rsa.key.key_size == 3072
    with pytest.raises(PKIError, match="2048 or 3072"):
        init_keys(tmp_path / "k2", rsa_bits=1024)


# -- load: the first problem, with its file ---------------------------------------------------


def _load_error(directory: Path, **kwargs: dt.datetime) -> PKIError:
    with pytest.raises(PKIError) as info:
        PKI.load(directory, **kwargs)
    return info.value


def test_load_missing_file(keys: Path) -> None:
    (keys / f"{ACS_EC}.crt").unlink()
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_EC}.crt")
    assert err.reason == f"file missing; create the keys with `acs keys init {keys}`"


def test_load_missing_directory(tmp_path: Path) -> None:
    err = _load_error(tmp_path / "nope")
    assert "not a directory" in err.reason and "acs keys init" in err.reason


def test_load_key_not_matching_its_certificate(keys: Path) -> None:
    shutil.copy(keys / f"{DS_EC}.key", keys / f"{ACS_EC}.key")  # another P-256 key
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_EC}.crt")
    assert err.reason == f"does not match {ACS_EC}.key: the certificate holds another public key"


def test_load_expired_certificate(keys: Path) -> None:
    # a set issued three years ago: CAs (5 and 10 years) still valid, leaves (2 years) expired
    PKI.generate(ca_bits=2048, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365)).write(keys)
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_RSA}.crt")
    assert err.reason.startswith("expired on ")


def test_load_not_yet_valid_and_expired_by_clock(made: Path) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=20 * 365)
    assert _load_error(made, now=future).reason.startswith("expired on ")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    err = _load_error(made, now=past)
    assert err.file == str(made / f"{ROOT}.crt") and err.reason.startswith("not valid before ")


def test_load_intermediate_from_another_root(keys: Path, other: PKI) -> None:
    _replace(keys, ACS_CA, other)  # same subject names, another key: the signature tells
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_CA}.crt")
    assert err.reason == f"not issued by {ROOT}.crt: the signature does not verify with its key"


def test_load_leaf_from_another_chain(keys: Path, other: PKI) -> None:
    _replace(keys, ACS_RSA, other)
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_RSA}.crt")
    assert err.reason.startswith(f"not issued by {ACS_CA}.crt")


def test_load_ca_with_another_name(keys: Path) -> None:
    _replace(keys, "ds-ca", keys, as_name=ACS_CA)  # the DS CA where the ACS signing CA belongs
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_RSA}.crt")
    assert err.reason.startswith(
        f"not issued by {ACS_CA}.crt: its issuer is 'CN=acs test ACS signing CA,"
    )
    assert f"{ACS_CA}.crt is 'CN=acs test DS CA," in err.reason


def test_load_certificate_made_for_another_use(keys: Path) -> None:
    _replace(keys, DS_EC, keys, as_name=ACS_EC)  # a DS (key agreement) certificate for signing
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_EC}.crt")
    assert err.reason == "keyUsage must include digitalSignature (an ACS signing certificate)"


def test_load_tls_certificate_for_the_other_side(keys: Path) -> None:
    _replace(keys, TLS_CLIENT, keys, as_name=TLS_SERVER)  # a client certificate as the server's
    err = _load_error(keys)
    assert err.file == str(keys / f"{TLS_SERVER}.crt")
    assert err.reason == "extendedKeyUsage must include serverAuth (a TLS server certificate)"


def test_load_wrong_algorithm(keys: Path) -> None:
    _replace(keys, ACS_RSA, keys, as_name=ACS_EC)
    err = _load_error(keys)
    assert err.file == str(keys / f"{ACS_EC}.key")
    assert err.reason == f"RSA-2048 key; {ACS_EC} needs an EC P-256 key"


def test_load_refuses_a_private_key_others_can_read(keys: Path) -> None:
    (keys / f"{ROOT}.key").chmod(0o644)
    err = _load_error(keys)
    assert err.file == str(keys / f"{ROOT}.key")
    assert (
        err.reason
        == f"private key readable by group or others (mode 0644); chmod 600 {keys}/{ROOT}.key"
    )


def test_load_bad_pem_never_quotes_a_key(keys: Path) -> None:
    (keys / f"{ACS_CA}.crt").write_text("not a certificate\n")
    assert "not a PEM certificate" in _load_error(keys).reason
    secret = "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n"
    (keys / f"{ROOT}.key").write_text(secret)
    err = _load_error(keys)
    assert err.reason == "not an unencrypted PEM private key"
    assert "TOPSECRET" not in str(err)


def test_reprs_hold_no_key_material(made: Path) -> None:
    pki = PKI.load(made)
    text = repr(pki) + repr(pki.acs_ec) + repr(pki.acs_rsa)
    assert "PRIVATE" not in text and "key=" not in text


# -- serve ------------------------------------------------------------------------------------


async def test_build_services_loads_keys_or_makes_one_in_memory(made: Path) -> None:
    with_keys = await build_services(make_settings("memory", keys_dir=made))
    assert with_keys.pki.source == made
    assert with_keys.signers[SigningAlgorithm.PS256].credential is with_keys.pki.acs_rsa
    await with_keys.close()
    default = await build_services(make_settings("memory"))
    assert default.pki is ephemeral_pki() and default.pki.source is None  # once per process
    await default.close()


def test_keys_line_names_the_root_to_trust(made: Path) -> None:
    pki = PKI.load(made)
    line = cli.keys_line(pki)
    assert f"SDKs trust {made}/root-ca.crt (SHA-256 {pki.root_fingerprint[:16]}" in line
    memory = ephemeral_pki()
    line = cli.keys_line(memory)
    written = Path(line.split("SDKs trust ")[1].split(" ")[0])
    try:
        assert "in memory" in line and written.read_bytes() == memory.root_pem()
    finally:
        written.unlink()


def test_serve_stops_on_a_broken_key_directory(keys: Path) -> None:
    (keys / f"{ACS_EC}.key").unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "acs.cli", "serve", "--port", "0", "--keys", str(keys)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"acs: cannot start: {keys}/{ACS_EC}.key: file missing" in proc.stderr


def test_serve_keys_must_be_a_directory(tmp_path: Path) -> None:
    settings = make_settings("memory", keys_dir=tmp_path / "none")
    with pytest.raises(Exception, match=r"--keys .*none: not a directory.*acs keys init"):
        settings.check()
