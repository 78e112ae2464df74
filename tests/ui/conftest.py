from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from acs.challenge.render import Branding, Purchase, Renderer

ROOT = Path(__file__).resolve().parents[2]
UI_ROOT = ROOT / "challenge_ui"

# The longest merchantName EMV allows is 40 characters; one unbreakable word makes it worse.
LONG_MERCHANT = "Donaudampfschifffahrtsgesellschaftsladen"


def otp_kwargs(**overrides: Any) -> dict[str, Any]:
    """The worst case for layout: long merchant, wrong code, resend offered, logo, e-mail."""
    kwargs: dict[str, Any] = {
        "window_size": "02",
        "language": "de-DE",
        "branding": Branding(
            issuer_name="Demo Bank",
            scheme_name="Mastercard",
            primary_color="#eb001b",
            issuer_logo="/3ds/static/demo-bank.svg",
        ),
        "purchase": Purchase(LONG_MERCHANT, "1234599", "978", 2),
        "pan_masked": "5105 •••• •••• 0011",
        "channel": "email",
        "destination_masked": "c***@cardholder-mail.example.com",
        "attempts_left": 2,
        "resends_left": 2,
        "message": "wrong",
        "form_action": "/3ds/challenge",
        "token": "tx-0001.nonce.1700000000.sig",
        "code_length": 6,
    }
    kwargs.update(overrides)
    return kwargs


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer(UI_ROOT)
