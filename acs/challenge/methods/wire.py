"""How each challenge method is named on the wire (ARes/RReq authenticationType and -Method)."""

from __future__ import annotations

from acs.issuer.models import ChallengeMethod
from acs.protocol.codes import AuthenticationMethod, AuthenticationType

WIRE: dict[ChallengeMethod, tuple[AuthenticationType, AuthenticationMethod]] = {
    ChallengeMethod.OTP_SMS: (AuthenticationType.DYNAMIC, AuthenticationMethod.SMS_OTP),
    ChallengeMethod.OTP_EMAIL: (AuthenticationType.DYNAMIC, AuthenticationMethod.OTP_OTHER),
    ChallengeMethod.OTP_VOICE: (AuthenticationType.DYNAMIC, AuthenticationMethod.OTP_OTHER),
    ChallengeMethod.TOTP: (AuthenticationType.DYNAMIC, AuthenticationMethod.APP_OTP),
    ChallengeMethod.PASSCODE: (AuthenticationType.STATIC, AuthenticationMethod.STATIC_PASSCODE),
    ChallengeMethod.KBA: (AuthenticationType.STATIC, AuthenticationMethod.KBA),
    ChallengeMethod.HISTORY: (AuthenticationType.STATIC, AuthenticationMethod.KBA),
    ChallengeMethod.OOB: (AuthenticationType.OOB, AuthenticationMethod.OOB_OTHER),
    ChallengeMethod.BIOMETRIC: (AuthenticationType.OOB, AuthenticationMethod.OOB_BIOMETRICS),
    ChallengeMethod.DECOUPLED: (AuthenticationType.DECOUPLED, AuthenticationMethod.DECOUPLED),
}
