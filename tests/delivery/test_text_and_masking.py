"""Voice text and destination masking: what a listener hears, what a log reader sees."""

from __future__ import annotations

import pytest

from acs.challenge.methods.otp import voice_text
from acs.challenge.texts import Texts
from acs.delivery.base import language, mask_destination, mask_email, mask_phone


def test_voice_text_reads_digits_and_repeats() -> None:
    texts = Texts()
    assert voice_text(texts["en"], "8177") == (
        "Your code is 8, 1, 7, 7. I repeat, your code is 8, 1, 7, 7."
    )
    assert voice_text(texts["de"], "8177") == (
        "Ihr Code lautet 8, 1, 7, 7. Ich wiederhole, Ihr Code lautet 8, 1, 7, 7."
    )


@pytest.mark.parametrize(
    ("locale", "lang"),
    [("de-AT", "de"), ("de_DE", "de"), ("EN-gb", "en"), ("fr", "en"), ("", "en")],
)
def test_locales_fall_back_to_english(locale: str, lang: str) -> None:
    assert language(locale) == lang
    voice = voice_text(Texts().for_browser(locale), "12")
    assert voice.startswith("Ihr" if lang == "de" else "Your")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+447700900123", "+44*******123"),  # UK: two-digit country code
        ("447700900123", "+44*******123"),  # digits only, as the PIN API takes them
        ("+44 7700 900123", "+44*******123"),
        ("+14155550123", "+1*******123"),  # NANP: one digit
        ("+41793026727", "+41******727"),
        ("+353861234567", "+353******567"),  # Ireland: three digits
        ("+49301234", "+49****34"),  # short: keep two
        ("12345", "***45"),  # not international at all
    ],
)
def test_phone_masking_keeps_country_code_and_last_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
    assert mask_destination(phone) == masked


def test_email_masking() -> None:
    assert mask_email("cardholder@example.com") == "c***@example.com"
    assert mask_destination("cardholder@example.com") == "c***@example.com"
    assert mask_email("not-an-address") == "***"
