"""Which module runs which challenge method."""

from __future__ import annotations

from acs.challenge.methods.base import Method
from acs.challenge.methods.otp import CHANNELS, Otp
from acs.issuer.models import ChallengeMethod

_OTP = Otp()
REGISTRY: dict[ChallengeMethod, Method] = dict.fromkeys(CHANNELS, _OTP)

# The methods the engine can run today, in the order a challenge falls back through them.
READY: tuple[ChallengeMethod, ...] = tuple(REGISTRY)


def method_for(kind: ChallengeMethod) -> Method:
    return REGISTRY[kind]
