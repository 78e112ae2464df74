"""A bad config file stops start-up with the file, the path inside it and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from acs.issuer.config_files import ConfigError, load_issuer_config
from tests.conftest import ROOT


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_shipped_config_loads() -> None:
    config = load_issuer_config(ROOT / "config")
    schemes = {r.scheme.value for r in config.ranges}
    assert {"visa", "mastercard"} <= schemes and len(schemes) >= 3
    assert all(c.scheme is not None for c in config.catalog)


@pytest.mark.parametrize(
    ("file", "change", "path", "reason"),
    [
        (
            "card-ranges.yaml",
            lambda d: d["ranges"][1].update(scheme="visaa"),
            "ranges[1].scheme",
            "Invalid enum",
        ),
        (
            "card-ranges.yaml",
            lambda d: d["ranges"][0].update(start="12"),
            "ranges[0].start",
            "matching regex",
        ),
        (
            "card-ranges.yaml",
            lambda d: d["ranges"][0]["keys"].pop("cavv_key_b"),
            "ranges[0].keys.cavv_key_b",
            "key",
        ),
        (
            "card-ranges.yaml",
            lambda d: d["ranges"][1].update(
                start=d["ranges"][0]["start"], end=d["ranges"][0]["end"]
            ),
            "ranges[",
            "overlaps",
        ),
        (
            "card-ranges.yaml",
            lambda d: d["ranges"][0].update(versions=["2.0.1"]),
            "ranges[0].versions[0]",
            "Invalid enum",
        ),
        (
            "card-ranges.yaml",
            lambda d: d["ranges"][0].update(colour="red"),
            "ranges[0]",
            "unknown field `colour`",
        ),
        (
            "cardholders.yaml",
            lambda d: d["cardholders"][2].update(pan="9999999999999995"),
            "cardholders[2].pan",
            "outside every card range",
        ),
        (
            "cardholders.yaml",
            lambda d: d["cardholders"][0].update(methods=["otp_sms"], mobile=None),
            "cardholders[0]",
            "",
        ),
        (
            "cardholders.yaml",
            lambda d: d["cardholders"][1].update(pan=d["cardholders"][0]["pan"]),
            "cardholders[1].pan",
            "same PAN",
        ),
        (
            "test-cards.yaml",
            lambda d: d["cards"][0]["expected"].update(transStatus="Q"),
            "cards[0].expected.transStatus",
            "Invalid enum",
        ),
        (
            "test-cards.yaml",
            lambda d: d["cards"][0].update(acctNumber="9999999999999995"),
            "cards[0].acctNumber",
            "outside",
        ),
    ],
)
def test_bad_files_name_file_path_and_reason(config_dir: Path, file, change, path, reason) -> None:
    edit(config_dir / file, change)
    with pytest.raises(ConfigError) as info:
        load_issuer_config(config_dir)
    err = info.value
    assert err.file.endswith(file)
    assert err.path.startswith(path), str(err)
    assert reason in err.reason, str(err)
    assert str(err).startswith(str(config_dir / file))


def test_yaml_syntax_error_and_missing_file(config_dir: Path) -> None:
    (config_dir / "card-ranges.yaml").write_text("ranges: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_issuer_config(config_dir)
    (config_dir / "card-ranges.yaml").unlink()
    with pytest.raises(ConfigError, match="file missing"):
        load_issuer_config(config_dir)
