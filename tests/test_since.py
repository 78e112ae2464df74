"""``since`` as the QA API and acs report read it."""

from __future__ import annotations

import pytest

from acs.since import parse_since

NOW = 1_717_000_000.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", NOW - 90),
        ("15m", NOW - 900),
        ("2h", NOW - 7200),
        ("7d", NOW - 7 * 86400),
        ("1716999000", 1716999000.0),
        ("1716999000.5", 1716999000.5),
        ("2024-05-29T16:00:00Z", 1716998400.0),
        ("2024-05-29T18:00:00+02:00", 1716998400.0),
        ("2024-05-29T16:00:00", 1716998400.0),  # no offset: UTC
    ],
)
def test_the_forms_that_work(text: str, expected: float) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["", "yesterday", "-5", "nan", "inf", "5w", "2024-13-01", "2h ago"]
)
def test_anything_else_says_which_forms_work(text: str) -> None:
    with pytest.raises(ValueError, match=r"epoch seconds .* ISO 8601 .* age"):
        parse_since(text, NOW)
