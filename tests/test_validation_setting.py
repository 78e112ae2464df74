"""`acs serve --validation strict|lenient` and ACS_VALIDATION: the global AReq validation
profile (card ranges may set their own: tests/flows/test_validation_profiles.py)."""

from __future__ import annotations

import argparse

import pytest

from acs import cli
from acs.config import Settings
from acs.protocol.profiles import ValidationProfile


def _settings(*argv: str) -> Settings:
    parser = argparse.ArgumentParser()
    cli._serve_parser(parser.add_subparsers(dest="command"))
    return cli.settings_from(parser.parse_args(["serve", *argv]))


def test_strict_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACS_VALIDATION", raising=False)
    assert _settings().validation is ValidationProfile.STRICT
    assert Settings().validation is ValidationProfile.STRICT


def test_the_flag_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _settings("--validation", "lenient").validation is ValidationProfile.LENIENT
    monkeypatch.setenv("ACS_VALIDATION", "lenient")
    assert _settings().validation is ValidationProfile.LENIENT
    assert _settings("--validation", "strict").validation is ValidationProfile.STRICT


def test_an_unknown_profile_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--validation", "loose"]) == 2
    assert "--validation 'loose': use strict or lenient [ACS_VALIDATION]" in capsys.readouterr().err
    monkeypatch.setenv("ACS_VALIDATION", "Lenient ")  # as an environment may spell it
    assert _settings().validation is ValidationProfile.LENIENT
