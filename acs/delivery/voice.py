"""Text-to-speech text for a code: read digit by digit ("8, 1, 7, 7") and said twice.

A listener cannot scroll back, so the code is repeated; separating the digits makes the TTS
engine read "8, 1, 7, 7" rather than "eight thousand one hundred seventy-seven".
"""

from __future__ import annotations

from acs.delivery.base import language

_TEMPLATES = {
    "en": "Your code is {digits}. I repeat, your code is {digits}.",
    "de": "Ihr Code lautet {digits}. Ich wiederhole, Ihr Code lautet {digits}.",
}


def voice_text(code: str, locale: str) -> str:
    return _TEMPLATES[language(locale)].format(digits=", ".join(code))
