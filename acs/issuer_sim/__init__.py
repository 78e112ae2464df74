"""The reference issuer service the ACS calls back (``acs issuer-sim``, or mounted in process):
check-authentication-method, validate-passcode, delegated OTP and biometric-by-issuer, with a
deterministic documented policy. See ``acs.issuer_sim.app``."""
