"""The Directory Server front: what a 3DS Server talks to.

A 3DS Server sends PReq and AReq to a DS, not to an ACS. This package plays that DS for the
ACS's card ranges (reference sections 1, 3.1, 3.6, 6.1 and 8):

- ``areq``: validates the AReq as a DS does (Erro with errorComponent D), opens sdkEncData,
  adds dsTransID, dsReferenceNumber and dsURL, routes by card range to the ACS (in process or
  over HTTP) and relays the ARes;
- ``rreq``: relays the ACS's RReq to the AReq's threeDSServerURL and the RRes back;
- ``preq``: answers PReq with the card ranges, in the 2.2 and 2.3.1 forms, with serial numbers.

It needs nothing from ``challenge/``: an in-process ACS is reached through a callable that the
application factory hands in.
"""
