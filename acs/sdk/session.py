"""One app-channel transaction as a 3DS SDK runs it, from the AReq fields to the final CRes.

Written on jwcrypto and ``cryptography`` (``acs.sdk.jose``), never on the ACS's own crypto, so
what it accepts is checked by a second implementation rather than by the code under test::

    sdk = SdkSession(enc="A128GCM")
    ares = post_areq(sdk.areq(base_areq))       # the transport's, to /3ds/areq
    sdk.accept_ares(ares, root_pem)             # JWS, x5c chain, payload; ECDH + Concat KDF
    cres = sdk.cres(post_creq(sdk.start()))     # POST application/jose to acsURL
    cres = sdk.cres(post_creq(sdk.enter_text("123456")))
    assert sdk.finished and cres["transStatus"] == "Y"

What it checks mirrors Stripe's Android SDK (``stripe3ds2`` ``JwsValidator``,
``DefaultMessageTransformer``, ``ChallengeResponseProcessor``, ``ChallengeResponseData``) and
the EMV rules in the protocol reference; every failure is an ``SdkCheckError`` naming the check
and the Erro code an SDK would answer with. An ``Erro`` from the ACS raises ``ErroReceived``.
``acs.sdk.client`` drives it over HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwcrypto import jwe, jwk, jws
from jwcrypto.common import JWException

from acs.sdk.errors import ErroReceived, SdkCheckError
from acs.sdk.htmlform import parse_forms, submission
from acs.sdk.jose import (
    ENCS,
    SIGNING_ALGS,
    b64url,
    b64url_decode,
    cbc_hs256,
    channel_key,
    compact,
    concat_kdf,
    decrypt_jwe,
    ec_public_key,
    encrypt_jwe,
    public_jwk,
    verify_x5c,
)

CHALLENGE_URL: Final = "https://emv3ds/challenge"  # where an acsHTML form submits (any case)
# Stripe's FINAL_CRES_FIELDS: any other member on a final CRes is Erro 101
FINAL_CRES_FIELDS: Final = frozenset((
    "threeDSServerTransID", "acsCounterAtoS", "acsTransID", "challengeCompletionInd",
    "messageExtension", "messageType", "messageVersion", "sdkTransID", "transStatus",
))  # fmt: skip
# Stripe's isValidForUi: a native UI (01-04) shows at least one of these
_INFO_FIELDS: Final = (
    "challengeInfoHeader", "challengeInfoLabel", "challengeInfoText", "whyInfoLabel",
    "whyInfoText", "expandInfoLabel", "expandInfoText", "resendInformationLabel",
)  # fmt: skip
# UI fields that belong to some acsUiTypes only
_UI_ONLY: Final = {"challengeSelectInfo": "02 03", "oobContinueLabel": "04", "acsHTML": "05 06"}


class SdkSession:
    """One app-channel transaction as a 3DS SDK runs it, from AReq fields to the final CRes."""

    def __init__(
        self,
        *,
        message_version: str = "2.2.0",
        enc: str = "A128CBC-HS256",
        sdk_reference_number: str = "3DS_LOA_SDK_SIMU_020200_00001",
        sdk_app_id: str | None = None,
        sdk_trans_id: str | None = None,
        sdk_max_timeout: str = "05",
        sdk_interface: str = "03",
        sdk_ui_types: Sequence[str] = ("01", "02", "03", "04", "05"),
        device_info: Mapping[str, Any] | None = None,
        ds_public_key: rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | x509.Certificate
        | None = None,
        ds_key_id: str | None = None,
        ds_id: str = "A000000003",
        ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
    ) -> None:
        if enc not in ENCS:
            raise ValueError(f"enc must be one of {ENCS}")
        self.message_version = message_version
        self.enc = enc
        self.sdk_reference_number = sdk_reference_number
        self.sdk_app_id = sdk_app_id or str(uuid.uuid4())
        self.sdk_trans_id = sdk_trans_id or str(uuid.uuid4())
        self.sdk_max_timeout = sdk_max_timeout
        self.sdk_interface = sdk_interface
        self.sdk_ui_types = list(sdk_ui_types)
        self.device_info: dict[str, Any] = dict(
            device_info
            or {
                "DV": "1.6",
                "DD": {"C001": "Android", "C002": "SDK simulator"},
                "DPNA": {},
                "SW": [],
            }
        )
        self._ds_key = (
            ds_public_key.public_key()
            if isinstance(ds_public_key, x509.Certificate)
            else ds_public_key
        )
        self.ds_key_id = ds_key_id
        self.ds_id = ds_id
        self._key = ephemeral_key or ec.generate_private_key(ec.SECP256R1())
        self.sdk_ephem_pub_key = public_jwk(self._key.public_key())
        # known once the AReq / ARes are
        self.three_ds_server_trans_id: str | None = None
        self.acs_trans_id: str | None = None
        self.acs_url: str | None = None
        self.acs_rendering_type: dict[str, Any] | None = None
        self.cek: bytes | None = None
        # the challenge
        self._counter_stoa = 0
        self._counter_atos = 0
        self._ivs: set[bytes] = set()
        self.ui: dict[str, Any] | None = None  # the interim CRes on screen
        self.html: str | None = None  # its decoded acsHTML (UI 05/06)
        self.final: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.final is not None

    # -- AReq ----------------------------------------------------------------------------------

    def areq_fields(self, *, leg: str = "ds-to-acs") -> dict[str, Any]:
        """The app-channel AReq fields. On ``"ds-to-acs"`` (what the ACS receives) deviceInfo
        is there; on ``"sdk-to-ds"`` sdkEncData replaces it."""
        fields: dict[str, Any] = {
            "deviceChannel": "01",
            "sdkAppID": self.sdk_app_id,
            "sdkTransID": self.sdk_trans_id,
            "sdkReferenceNumber": self.sdk_reference_number,
            "sdkMaxTimeout": self.sdk_max_timeout,
            "sdkEphemPubKey": dict(self.sdk_ephem_pub_key),
            "deviceRenderOptions": {
                "sdkInterface": self.sdk_interface,
                "sdkUiType": list(self.sdk_ui_types),
            },
        }
        if leg == "ds-to-acs":
            fields["deviceInfo"] = b64url(self._device_info_json())
        elif leg == "sdk-to-ds":
            fields["sdkEncData"] = self.sdk_enc_data()
        else:
            raise ValueError("leg is ds-to-acs or sdk-to-ds")
        if self.message_version.startswith("2.3"):
            fields |= {"sdkType": "01", "defaultSdkType": {"sdkVariant": "01"}}
        return fields

    def areq(self, base: Mapping[str, Any], *, leg: str = "ds-to-acs") -> dict[str, Any]:
        """``base`` with the app fields merged in; remembers its messageVersion and
        threeDSServerTransID, which the ARes and every CRes must repeat."""
        self.message_version = base.get("messageVersion", self.message_version)
        self.three_ds_server_trans_id = base.get("threeDSServerTransID")
        return {"messageVersion": self.message_version, **base, **self.areq_fields(leg=leg)}

    def _device_info_json(self) -> bytes:
        return compact(self.device_info).encode("utf-8")

    def sdk_enc_data(self) -> str:
        """deviceInfo encrypted to the DS key: RSA-OAEP-256 (jwcrypto) for an RSA key; for an EC
        key ECDH-ES with EMV's Concat KDF (PartyVInfo = the DS ID) as Stripe's iOS SDK builds it.
        Without a DS key, a JWE-shaped placeholder."""
        plaintext = self._device_info_json()
        header: dict[str, Any] = {"alg": "RSA-OAEP-256", "enc": "A128CBC-HS256"}
        if self.ds_key_id:
            header["kid"] = self.ds_key_id
        if isinstance(self._ds_key, rsa.RSAPublicKey):
            token = jwe.JWE(plaintext, protected=compact(header))
            token.add_recipient(jwk.JWK.from_pyca(self._ds_key))
            serialized: str = token.serialize(compact=True)
            return serialized
        if isinstance(self._ds_key, ec.EllipticCurvePublicKey):
            ephemeral = ec.generate_private_key(ec.SECP256R1())
            cek = concat_kdf(ephemeral.exchange(ec.ECDH(), self._ds_key), self.ds_id)
            header |= {"alg": "ECDH-ES", "epk": public_jwk(ephemeral.public_key())}
            return cbc_hs256(cek, b64url(compact(header).encode()), plaintext)
        parts = (compact(header).encode(), os.urandom(256), os.urandom(16), plaintext)
        return ".".join(b64url(p) for p in (*parts, os.urandom(16)))

    # -- ARes ----------------------------------------------------------------------------------

    def accept_ares(
        self,
        ares: Mapping[str, Any],
        trusted_roots_pem: bytes | Sequence[bytes],
        *,
        now: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Check a challenge ARes and its acsSignedContent, then derive the CEK. Returns the
        JWS payload."""
        self._check_ares(ares)
        token = ares.get("acsSignedContent")
        if not isinstance(token, str):
            raise SdkCheckError("ARes has no acsSignedContent")
        obj = jws.JWS()
        try:
            obj.deserialize(token)
        except (JWException, ValueError) as exc:
            raise SdkCheckError(f"acsSignedContent is not a compact JWS: {exc}") from exc
        if token.count(".") != 2:
            raise SdkCheckError("acsSignedContent must use the compact serialisation")
        header: dict[str, Any] = obj.jose_header
        alg = header.get("alg")
        if alg not in SIGNING_ALGS:
            raise SdkCheckError(f"acsSignedContent alg {alg!r}: only PS256 or ES256")
        if "crit" in header:
            raise SdkCheckError("acsSignedContent header has crit, which the SDK does not know")
        pems = [trusted_roots_pem] if isinstance(trusted_roots_pem, bytes) else trusted_roots_pem
        roots = [c for pem in pems for c in x509.load_pem_x509_certificates(pem)]
        leaf = verify_x5c(header.get("x5c"), roots, now or dt.datetime.now(dt.UTC))
        public = leaf.public_key()
        if not (
            (alg == "ES256" and isinstance(public, ec.EllipticCurvePublicKey)
             and isinstance(public.curve, ec.SECP256R1))
            or (alg == "PS256" and isinstance(public, rsa.RSAPublicKey))
        ):  # fmt: skip
            raise SdkCheckError(f"acsSignedContent alg {alg} does not fit the x5c leaf's key")
        try:
            obj.verify(jwk.JWK.from_pyca(public), alg=alg)
        except (JWException, ValueError) as exc:
            raise SdkCheckError(f"acsSignedContent signature does not verify: {exc}") from exc
        try:
            payload = json.loads(obj.payload)
        except ValueError as exc:
            raise SdkCheckError("acsSignedContent payload is not JSON") from exc
        if not isinstance(payload, dict):
            raise SdkCheckError("acsSignedContent payload is not a JSON object")
        self._check_signed_payload(payload, ares)
        self.acs_url = payload["acsURL"]
        self.establish(
            acs_trans_id=ares["acsTransID"],
            three_ds_server_trans_id=ares["threeDSServerTransID"],
            acs_ephem_pub_key=payload["acsEphemPubKey"],
        )
        return payload

    def _check_ares(self, ares: Mapping[str, Any]) -> None:
        if ares.get("messageType") == "Erro":
            raise ErroReceived(dict(ares), encrypted=False)
        if ares.get("messageType") != "ARes":
            raise SdkCheckError(f"messageType {ares.get('messageType')!r} is not ARes")
        if ares.get("transStatus") != "C":
            raise SdkCheckError(f"transStatus {ares.get('transStatus')!r}: no challenge to run")
        expected = {
            "messageVersion": self.message_version,
            "sdkTransID": self.sdk_trans_id,
            "threeDSServerTransID": self.three_ds_server_trans_id,
        }
        for name, value in expected.items():
            if value is not None and ares.get(name) != value:
                raise SdkCheckError(f"ARes {name} {ares.get(name)!r} is not the AReq's {value!r}")
        if not _is_uuid(ares.get("acsTransID")) or not _is_uuid(ares.get("threeDSServerTransID")):
            raise SdkCheckError("ARes acsTransID and threeDSServerTransID must be UUIDs")
        rendering = ares.get("acsRenderingType")
        if not isinstance(rendering, dict):
            raise SdkCheckError("ARes has no acsRenderingType")
        interface, template = rendering.get("acsInterface"), rendering.get("acsUiTemplate")
        self._check_ui_fits("acsRenderingType.acsUiTemplate", template, interface)
        self.acs_rendering_type = dict(rendering)

    def _check_ui_fits(self, field: str, ui_type: object, interface: object = None) -> None:
        if ui_type not in self.sdk_ui_types:
            raise SdkCheckError(f"{field} {ui_type!r} is not one of sdkUiType {self.sdk_ui_types}")
        # the interface the ARes chose; without an ARes, the one the SDK offers (03: either)
        interface = interface or (self.acs_rendering_type or {}).get("acsInterface")
        interface = interface or ("01" if self.sdk_interface == "01" else "02")
        if interface not in ("01", "02") or (
            self.sdk_interface != "03" and interface != self.sdk_interface
        ):
            raise SdkCheckError(
                f"acsInterface {interface!r} does not fit sdkInterface {self.sdk_interface!r}"
            )
        if interface == "01" and ui_type in ("05", "06"):
            raise SdkCheckError(f"{field} {ui_type} is an HTML UI, acsInterface 01 is native")

    def _check_signed_payload(self, payload: dict[str, Any], ares: Mapping[str, Any]) -> None:
        for name in ("acsTransID", "acsRefNumber", "acsURL"):
            if not isinstance(payload.get(name), str) or not payload[name]:
                raise SdkCheckError(f"acsSignedContent payload has no {name}")
        if payload["acsTransID"] != ares.get("acsTransID"):
            raise SdkCheckError("acsSignedContent acsTransID is not the ARes's acsTransID")
        if "acsReferenceNumber" in ares and payload["acsRefNumber"] != ares["acsReferenceNumber"]:
            raise SdkCheckError(
                "acsSignedContent acsRefNumber is not the ARes's acsReferenceNumber"
            )
        url = urlsplit(payload["acsURL"])
        if url.scheme not in ("https", "http") or not url.netloc:
            raise SdkCheckError(f"acsURL {payload['acsURL']!r} is not an http(s) URL")
        if payload.get("sdkEphemPubKey") != self.sdk_ephem_pub_key:
            raise SdkCheckError("acsSignedContent sdkEphemPubKey is not the key this SDK sent")

    def establish(
        self, *, acs_trans_id: str, three_ds_server_trans_id: str, acs_ephem_pub_key: object
    ) -> bytes:
        """ECDH with acsEphemPubKey and the Concat KDF (PartyVInfo = sdkReferenceNumber)."""
        acs_key = ec_public_key(acs_ephem_pub_key)
        z = self._key.exchange(ec.ECDH(), acs_key)
        self.cek = concat_kdf(z, self.sdk_reference_number)
        self.acs_trans_id = acs_trans_id
        self.three_ds_server_trans_id = three_ds_server_trans_id
        return self.cek

    # -- CReq ----------------------------------------------------------------------------------

    def creq(self, **fields: Any) -> bytes:
        """The next CReq as the compact JWE to POST (``application/jose``). ``fields`` are
        added to (or, for a negative test, replace) the base fields; None drops one."""
        if self.cek is None or self.acs_trans_id is None:
            raise RuntimeError("no ARes accepted yet")
        if self._counter_stoa > 255:
            raise RuntimeError("sdkCounterStoA would wrap")
        message: dict[str, Any] = {
            "messageType": "CReq",
            "messageVersion": self.message_version,
            "threeDSServerTransID": self.three_ds_server_trans_id,
            "acsTransID": self.acs_trans_id,
            "sdkTransID": self.sdk_trans_id,
            "sdkCounterStoA": f"{self._counter_stoa:03d}",
        }
        message.update(fields)
        message = {k: v for k, v in message.items() if v is not None}
        self._counter_stoa += 1
        key = channel_key(self.cek, self.enc, "SDK->ACS")
        payload = compact(message).encode("utf-8")
        return encrypt_jwe(payload, key, self.enc, self.acs_trans_id).encode("ascii")

    def start(self) -> bytes:
        """The first CReq, sent once the ARes is accepted: no cardholder data yet."""
        return self.creq()

    def _showing(self, *ui_types: str) -> dict[str, Any]:
        if self.ui is None or self.final is not None:
            raise RuntimeError("no challenge UI is showing")
        if ui_types and self.ui["acsUiType"] not in ui_types:
            raise RuntimeError(f"the UI showing is {self.ui['acsUiType']}, not {ui_types}")
        return self.ui

    def enter_text(self, code: str) -> bytes:
        """UI 01 submitted; an empty entry is ``challengeNoEntry: Y`` (EMV Req 40/71)."""
        self._showing("01")
        return self.creq(challengeDataEntry=code) if code else self.creq(challengeNoEntry="Y")

    def choose(self, values: str | Sequence[str]) -> bytes:
        """UI 02/03: the chosen option names, comma-separated in challengeDataEntry."""
        ui = self._showing("02", "03")
        chosen = [values] if isinstance(values, str) else list(values)
        names = [next(iter(option)) for option in ui["challengeSelectInfo"]]
        if unknown := [v for v in chosen if v not in names]:
            raise ValueError(f"{unknown} are not among the options {names}")
        if ui["acsUiType"] == "02" and len(chosen) != 1:
            raise ValueError("a single select takes exactly one value")
        if not chosen:
            return self.creq(challengeNoEntry="Y")
        return self.creq(challengeDataEntry=",".join(chosen))

    def oob_continue(self) -> bytes:
        self._showing("04")
        return self.creq(oobContinue=True)

    def html_submit(
        self,
        data: Mapping[str, str] | None = None,
        *,
        button: str | None = None,
        tick: Sequence[str] = (),
    ) -> bytes:
        """UI 05/06: fill the acsHTML form that submits to HTTPS://EMV3DS/challenge and send
        what its navigation's query string would be, as challengeHTMLDataEntry (a web view
        intercepts the URL; Stripe's ThreeDS2WebViewClient passes ``uri.query`` on).
        ``tick``: the values of the radio buttons or checkboxes the cardholder ticks."""
        self._showing("05", "06")
        forms = [
            f for f in parse_forms(self.html or "") if f.action.lower().startswith(CHALLENGE_URL)
        ]
        if not forms:
            raise SdkCheckError(f"acsHTML has no form whose action is {CHALLENGE_URL}")
        pairs = submission(forms[0], data, tick=tick, button=button)
        entry = urlencode(pairs)
        if len(entry) > 256:
            raise SdkCheckError(f"challengeHTMLDataEntry would be {len(entry)} > 256 characters")
        return self.creq(challengeHTMLDataEntry=entry)

    def cancel(self, reason: str = "01") -> bytes:
        self._showing()
        return self.creq(challengeCancel=reason)

    def resend(self) -> bytes:
        self._showing()
        return self.creq(resendChallenge="Y")

    # -- CRes ----------------------------------------------------------------------------------

    def cres(self, body: bytes, content_type: str | None = None) -> dict[str, Any]:
        """Decrypt and check a CRes as an SDK does; an Erro raises ``ErroReceived``."""
        if self.cek is None or self.acs_trans_id is None:
            raise RuntimeError("no ARes accepted yet")
        text = body.decode("ascii", "replace").strip()
        is_json = content_type is not None and content_type.split(";")[0].strip().lower() in (
            "application/json",
        )
        if is_json or text.startswith("{"):
            return self._plain_json(text)
        if content_type is not None and not content_type.lower().startswith("application/jose"):
            raise SdkCheckError(f"CRes content type {content_type!r} is not application/jose")
        message = self._decrypt_cres(text)
        if message.get("messageType") == "Erro":
            raise ErroReceived(message, encrypted=True)
        self._check_cres(message)
        return message

    def _plain_json(self, text: str) -> dict[str, Any]:
        try:
            message = json.loads(text)
        except ValueError as exc:
            raise SdkCheckError("CRes body is neither a JWE nor JSON", "302") from exc
        if isinstance(message, dict) and message.get("messageType") == "Erro":
            raise ErroReceived(message, encrypted=False)
        raise SdkCheckError("a JSON answer that is not an Erro (a CRes must be a JWE)", "302")

    def _decrypt_cres(self, text: str) -> dict[str, Any]:
        assert self.cek is not None
        parts = text.split(".")
        if len(parts) != 5:
            raise SdkCheckError(f"CRes is not a compact JWE ({len(parts)} parts)", "302")
        if any(c in part for part in parts for c in "=+/ \n"):
            raise SdkCheckError("CRes JWE parts must be unpadded base64url", "302")  # Stripe
        try:
            header = json.loads(b64url_decode(parts[0]))
        except ValueError as exc:
            raise SdkCheckError("CRes JWE header is not base64url JSON", "302") from exc
        if not isinstance(header, dict) or header.get("alg") != "dir" or parts[1]:
            raise SdkCheckError(f"CRes JWE must be alg dir with no encrypted key: {header}", "302")
        if header.get("enc") != self.enc:
            raise SdkCheckError(
                f"CRes enc {header.get('enc')!r} is not the CReq's {self.enc}", "302"
            )
        if header.get("kid") != self.acs_trans_id:
            raise SdkCheckError(f"CRes kid {header.get('kid')!r} is not the acsTransID", "301")
        if "zip" in header or "crit" in header:
            raise SdkCheckError("CRes JWE header has zip or crit", "302")
        _, plaintext, iv = decrypt_jwe(text, channel_key(self.cek, self.enc, "ACS->SDK"), self.enc)
        if iv in self._ivs:
            raise SdkCheckError(f"CRes IV {iv.hex()} was used before in this session", "302")
        self._ivs.add(iv)
        try:
            message = json.loads(plaintext)
        except ValueError as exc:
            raise SdkCheckError("CRes plaintext is not JSON", "101") from exc
        if not isinstance(message, dict):
            raise SdkCheckError("CRes plaintext is not a JSON object", "101")
        return message

    def _check_cres(self, cres: dict[str, Any]) -> None:
        if self.final is not None:
            raise SdkCheckError("a CRes after the final CRes", "101")
        if cres.get("messageType") != "CRes":
            raise SdkCheckError(f"messageType {cres.get('messageType')!r} is not CRes", "101")
        if cres.get("messageVersion") != self.message_version:
            raise SdkCheckError(
                f"CRes messageVersion {cres.get('messageVersion')!r} is not the AReq's "
                f"{self.message_version!r}", "102")  # fmt: skip
        ids = {
            "threeDSServerTransID": self.three_ds_server_trans_id,
            "acsTransID": self.acs_trans_id,
            "sdkTransID": self.sdk_trans_id,
        }
        for name, value in ids.items():
            if cres.get(name) != value:
                raise SdkCheckError(f"CRes {name} {cres.get(name)!r} is not {value!r}", "301")
        counter = cres.get("acsCounterAtoS")
        expected = f"{self._counter_atos:03d}"
        if counter != expected:
            raise SdkCheckError(f"acsCounterAtoS {counter!r}, expected {expected!r}", "302")
        self._counter_atos += 1
        for extension in cres.get("messageExtension") or []:
            if isinstance(extension, dict) and extension.get("criticalityIndicator") is True:
                raise SdkCheckError(f"unrecognised critical extension {extension.get('id')}", "202")
        completion = cres.get("challengeCompletionInd")
        if completion not in ("Y", "N"):
            raise SdkCheckError(f"challengeCompletionInd {completion!r} must be Y or N", "203")
        if completion == "Y":
            if extra := sorted(set(cres) - FINAL_CRES_FIELDS):
                raise SdkCheckError(f"final CRes carries {extra}", "101")
            if cres.get("transStatus") not in ("Y", "N"):
                raise SdkCheckError(
                    f"final CRes transStatus {cres.get('transStatus')!r} must be Y or N", "203"
                )
            self.final, self.ui, self.html = cres, None, None
            return
        self._check_ui(cres)

    def _check_ui(self, cres: dict[str, Any]) -> None:
        if "transStatus" in cres:
            raise SdkCheckError("transStatus on an interim CRes (challengeCompletionInd N)", "203")
        ui_type = cres.get("acsUiType")
        if not ui_type:
            raise SdkCheckError("interim CRes has no acsUiType", "201")
        if ui_type not in ("01", "02", "03", "04", "05", "06", "07") or (
            ui_type in ("06", "07") and not self.message_version.startswith("2.3")
        ):
            raise SdkCheckError(
                f"acsUiType {ui_type!r} is not a UI type of {self.message_version}", "203"
            )
        self._check_ui_fits("acsUiType", ui_type)
        for field, types in _UI_ONLY.items():
            if field in cres and ui_type not in types.split():
                raise SdkCheckError(f"{field} does not belong to acsUiType {ui_type}", "203")
        html = None
        if ui_type in ("05", "06"):
            try:
                html = b64url_decode(cres.get("acsHTML") or "").decode("utf-8")
            except (ValueError, UnicodeDecodeError) as exc:
                raise SdkCheckError("acsHTML is not base64url of UTF-8 HTML", "203") from exc
            if not html.strip():
                raise SdkCheckError(f"acsUiType {ui_type} needs acsHTML", "201")
        else:  # Stripe's isValidForUi for the native UIs
            if all(not str(cres.get(f) or "").strip() for f in _INFO_FIELDS):
                raise SdkCheckError(f"acsUiType {ui_type} has no challenge text to show", "201")
            if ui_type == "04" and not str(cres.get("oobContinueLabel") or "").strip():
                raise SdkCheckError("acsUiType 04 needs oobContinueLabel", "201")
            if (
                ui_type in ("01", "02", "03")
                and not str(cres.get("submitAuthenticationLabel") or "").strip()
            ):
                raise SdkCheckError(f"acsUiType {ui_type} needs submitAuthenticationLabel", "201")
            if ui_type in ("02", "03"):
                _check_select_info(cres.get("challengeSelectInfo"))
        if cres.get("resendInformationLabel") == "":
            raise SdkCheckError("resendInformationLabel is present but empty", "203")
        if cres.get("challengeInfoTextIndicator") not in (None, "Y", "N"):
            raise SdkCheckError("challengeInfoTextIndicator must be Y or N", "203")
        self.ui, self.html = cres, html


def _check_select_info(options: object) -> None:
    if not isinstance(options, list) or not options:
        raise SdkCheckError("challengeSelectInfo must be a non-empty array", "201")
    for option in options:
        if not (
            isinstance(option, dict) and len(option) == 1
            and all(isinstance(v, str) for v in option.values())
        ):  # fmt: skip
            raise SdkCheckError(
                f"challengeSelectInfo option {option!r} is not {{name: label}}", "203"
            )


def _is_uuid(value: object) -> bool:
    try:
        return isinstance(value, str) and len(value) == 36 and bool(uuid.UUID(value))
    except ValueError:
        return False
