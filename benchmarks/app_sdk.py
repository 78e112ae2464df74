"""What the app-channel benchmarks share: the app AReq, the test PKI the ACS signs with, and the
3DS SDK's side of the ARes (signed content checked, ECDH, the CEK).

The AReq is the ``areq`` benchmark's ~2 KB body turned into an app purchase as the DS forwards
it (deviceChannel 01; deviceInfo in clear, which the DS decrypted from the SDK's sdkEncData: the
ACS refuses sdkEncData on this leg). The SDK side imports ``acs.crypto`` for speed: benchmarks
are not tests (``tests/interop/sdk.py`` is the independent SDK).
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from acs.crypto.secure_channel import (
    SecureChannel,
    SecureChannelError,
    derive_cek,
    ecdh,
    parse_public_jwk,
)
from acs.crypto.signed_content import SignedContentError, verify
from benchmarks.areq_load import build_areq
from benchmarks.procs import ROOT, BenchError, acs_binary

SDK_REFERENCE_NUMBER = "3DS_LOA_SDK_BNCH_020200_00001"
SDK_APP_ID = "0b5c8e1e-3f7a-4d2b-9c61-7e4f2a9d1b35"
SDK_UI_TYPES = ["01", "02", "03", "04", "05"]
_DEVICE_INFO = {
    "DV": "1.6",
    "DD": {"C001": "Android", "C002": "Pixel 8", "C003": "14", "C004": "en-GB"},
    "DPNA": {},
    "SW": ["SW01"],
}
KEYS_DIR = ROOT / ".bench" / "keys"  # the test PKI both app benchmarks start the ACS with
ROOT_CERT = "root-ca.crt"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def build_app_areq(
    pan: str,
    sdk_key: ec.EllipticCurvePrivateKey,
    *,
    ds_url: str | None = None,
    suspicious: bool = False,
) -> dict[str, Any]:
    """The ``areq`` benchmark's purchase as an app AReq (2.2.0) from an SDK whose ephemeral key is
    ``sdk_key``. ``suspicious``: acctInfo says suspicious account activity (02), which the
    default rules answer with a challenge for any enrolled card that no test-card rule forces."""
    areq = build_areq()
    for name in [n for n in areq if n.startswith("browser")]:
        del areq[name]
    del areq["notificationURL"], areq["threeDSCompInd"]  # browser only
    areq.update(
        acctNumber=pan,
        deviceChannel="01",
        sdkAppID=SDK_APP_ID,
        sdkTransID=str(uuid.uuid4()),
        sdkReferenceNumber=SDK_REFERENCE_NUMBER,
        sdkMaxTimeout="05",
        sdkEphemPubKey=public_jwk(sdk_key),
        deviceRenderOptions={"sdkInterface": "03", "sdkUiType": SDK_UI_TYPES},
        deviceInfo=b64url(json.dumps(_DEVICE_INFO, separators=(",", ":")).encode()),
    )
    if ds_url is not None:
        areq["dsURL"] = ds_url
    if suspicious:
        areq["acctInfo"] = {**areq["acctInfo"], "suspiciousAccActivity": "02"}
    return areq


# -- the test PKI --------------------------------------------------------------------------------


def ensure_keys(keys_dir: Path = KEYS_DIR) -> list[x509.Certificate]:
    """``acs keys init`` in ``keys_dir`` (made once, checked and reused after), for ``acs serve
    --keys``; the root certificate a 3DS SDK trusts, as the trusted roots."""
    keys_dir.parent.mkdir(parents=True, exist_ok=True)
    argv = [acs_binary(), "keys", "init", str(keys_dir)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # an old set that no longer checks (expired...): bench keys only
        done = subprocess.run([*argv, "--force"], cwd=ROOT, capture_output=True, text=True,
                              check=False)  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"`acs keys init {keys_dir}` failed:\n{done.stdout}{done.stderr}")
    return [x509.load_pem_x509_certificate((keys_dir / ROOT_CERT).read_bytes())]


# -- the SDK's side of the ARes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Challenge:
    """What an SDK holds after a C ARes: the transaction, where to send CReqs, the channel."""

    acs_trans_id: str
    acs_url: str
    channel: SecureChannel


def signed_payload(token: str) -> dict[str, Any]:
    """The JWS payload, read without verifying the signature (under load: see ``open_channel``)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError(f"acsSignedContent: {len(parts)} parts, not a compact JWS")
    payload = json.loads(b64url_decode(parts[1]))
    if not isinstance(payload, dict):
        raise ValueError("acsSignedContent: the payload is not a JSON object")
    return payload


def signed_alg(token: str) -> str:
    header = json.loads(b64url_decode(token.split(".", 1)[0]))
    return str(header.get("alg")) if isinstance(header, dict) else ""


def open_channel(
    ares: dict[str, Any],
    sdk_key: ec.EllipticCurvePrivateKey,
    *,
    roots: list[x509.Certificate] | None = None,
    sdk_reference_number: str = SDK_REFERENCE_NUMBER,
) -> Challenge:
    """The SDK's work on a C ARes: the acsSignedContent payload (verified to ``roots`` and its
    x5c leaf when given, else only read), its acsTransID the ARes's, then ECDH with
    acsEphemPubKey and the Concat KDF (PartyVInfo = sdkReferenceNumber) to the CEK.
    Raises ValueError saying what is wrong."""
    token = ares.get("acsSignedContent")
    if not isinstance(token, str):
        raise ValueError("the ARes has no acsSignedContent")
    if roots is not None:
        try:
            payload = verify(token, roots)
        except SignedContentError as exc:
            raise ValueError(f"acsSignedContent does not verify: {exc}") from exc
        if payload.get("sdkEphemPubKey") != public_jwk(sdk_key):
            raise ValueError("acsSignedContent: sdkEphemPubKey is not the AReq's")
    else:
        payload = signed_payload(token)
    acs_trans_id = payload.get("acsTransID")
    if not isinstance(acs_trans_id, str) or acs_trans_id != ares.get("acsTransID"):
        raise ValueError(f"acsSignedContent: acsTransID {acs_trans_id!r} is not the ARes's")
    acs_url = payload.get("acsURL")
    if not isinstance(acs_url, str) or not acs_url.startswith(("http://", "https://")):
        raise ValueError(f"acsSignedContent: acsURL {acs_url!r}")
    try:
        acs_key = parse_public_jwk(payload.get("acsEphemPubKey"), field="acsEphemPubKey")
    except SecureChannelError as exc:
        raise ValueError(f"acsSignedContent: {exc}") from exc
    cek = derive_cek(ecdh(sdk_key, acs_key), sdk_reference_number)
    return Challenge(acs_trans_id, acs_url, SecureChannel(cek, acs_trans_id))
