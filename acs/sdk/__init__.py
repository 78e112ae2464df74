"""The built-in 3DS SDK: plays an SDK over the app channel (ephemeral key, acsSignedContent
check, secure channel, JWE CReq/CRes with counters) against this ACS or any other. It is a client:
it knows the wire format (``acs.protocol``), never the server's code (import-linter keeps it so).
"""
