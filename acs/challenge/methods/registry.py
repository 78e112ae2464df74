"""Which module runs which challenge method."""

from __future__ import annotations

from acs.challenge.methods.base import Method
from acs.challenge.methods.biometric import Biometric
from acs.challenge.methods.choose import Choose
from acs.challenge.methods.history import History
from acs.challenge.methods.knowledge import Kba, Passcode, Totp
from acs.challenge.methods.oob import Oob
from acs.challenge.methods.otp import CHANNELS, Otp
from acs.challenge.methods.states import ChooseState
from acs.challenge.session import Session
from acs.issuer.models import ChallengeMethod

_OTP, _OOB = Otp(), Oob()
REGISTRY: dict[ChallengeMethod, Method] = {
    **dict.fromkeys(CHANNELS, _OTP),
    ChallengeMethod.TOTP: Totp(),
    ChallengeMethod.OOB: _OOB,
    ChallengeMethod.DECOUPLED: _OOB,  # the same push and approval, without challenge screens
    ChallengeMethod.PASSCODE: Passcode(),
    ChallengeMethod.KBA: Kba(),
    ChallengeMethod.HISTORY: History(),
    ChallengeMethod.BIOMETRIC: Biometric(),
}
CHOOSE: Method = Choose()  # not a method of its own: the step that picks one

# The methods a challenge can run, in the order it falls back through them (decoupled runs only
# for a D, after the ARes, without screens).
READY: tuple[ChallengeMethod, ...] = tuple(
    m for m in REGISTRY if m is not ChallengeMethod.DECOUPLED
)


def method_for(kind: ChallengeMethod) -> Method:
    return REGISTRY[kind]


def current(session: Session) -> Method:
    """The step the session is at: the cardholder's choice, or the method."""
    if isinstance(session.state, ChooseState):
        return CHOOSE
    return REGISTRY[session.method]
