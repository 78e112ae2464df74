"""The app channel (deviceChannel 01) as HTTP-free verbs: ``prepare_app_challenge`` makes the
secure channel and the signed content for a C ARes, ``handle_app_creq`` answers each JWE CReq
from the 3DS SDK with a JWE CRes (``acs/web/challenge.py`` is the HTTP side).

An error is raised as ``ProtocolError``, which goes back as a plain JSON Erro (SDKs accept one
when the Content-Type is JSON, reference section 1); every other answer is the CRes, encrypted
with the CReq's ``enc``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from urllib.parse import parse_qs

import msgspec
import structlog

from acs.challenge import flow
from acs.challenge.app import (
    HTML,
    app_channel,
    image,
    native_ui,
    plan_rendering,
    step_rendering,
)
from acs.challenge.deps import ChallengeDeps
from acs.challenge.methods.base import Entry
from acs.challenge.session import AppChannel, Phase, Session
from acs.challenge.start import Plan
from acs.challenge.view import InputKind
from acs.crypto.secure_channel import (
    DecryptionError,
    EphemeralKey,
    EphemeralKeyError,
    KidMismatchError,
    SecureChannel,
    jwe_kid,
    parse_public_jwk,
)
from acs.crypto.signed_content import signed_content_payload
from acs.faults import Faults, merge
from acs.flows.browser import ACS_URL_PATH, branding_of, purchase_of
from acs.flows.faults import content_type, cres_body, cres_transport, latency_floor
from acs.flows.rreq import send_rreq
from acs.issuer.models import AppUi, CardRange
from acs.protocol import urls
from acs.protocol.codes import (
    ChallengeCancel,
    ErrorCode,
    MessageType,
    MessageVersion,
    TransStatus,
    TransStatusReason,
)
from acs.protocol.creq import b64url_encode
from acs.protocol.errors import ProtocolError, TransactionIds
from acs.protocol.fields import is_uuid
from acs.protocol.messages import AcsRenderingType, AReq, CReq, CRes, Image
from acs.risk.conform import technical_reason
from acs.services import Services

log = structlog.get_logger("acs.app")

_encode = msgspec.json.Encoder().encode
_decode_creq = msgspec.json.Decoder(CReq).decode
_COUNTER_MAX = 255  # sdkCounterStoA is the decimal of one byte and must not wrap
JOSE = "application/jose"  # a CRes's Content-Type


# -- the ARes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppSetup:
    signed_content: str  # acsSignedContent
    rendering: AcsRenderingType  # acsRenderingType
    channel: AppChannel  # kept with the session


def app_can_show(areq: AReq, app_ui: AppUi | None) -> Callable[[InputKind], bool]:
    """Whether the 3DS SDK offers a UI for a kind of answer (to plan the challenge)."""
    options, html = areq.deviceRenderOptions, app_ui is AppUi.HTML
    return lambda kind: plan_rendering(options, kind, html) is not None


def prepare_app_challenge(
    services: Services,
    areq: AReq,
    acs_trans_id: str,
    card_range: CardRange,
    plan: Plan,
    app_ui: AppUi | None,
) -> AppSetup:
    """A fresh ephemeral key for this transaction, the CEK agreed with the SDK's key, and the
    signed content that hands the SDK our key and the acsURL. A bad sdkEphemPubKey is Erro 203."""
    try:
        sdk_key = parse_public_jwk(areq.sdkEphemPubKey)
    except EphemeralKeyError as exc:
        raise ProtocolError(ErrorCode.FORMAT_INVALID, exc.reason) from exc
    assert areq.sdkEphemPubKey is not None  # parse_public_jwk refuses None
    options = areq.deviceRenderOptions
    rendering = plan_rendering(options, plan.first_kind, app_ui is AppUi.HTML)
    assert options is not None and rendering is not None  # the plan was made with app_can_show
    ephemeral = EphemeralKey.generate()
    cek = ephemeral.derive_cek(sdk_key, areq.sdkReferenceNumber or "")
    payload = signed_content_payload(
        acs_trans_id=acs_trans_id,
        acs_ref_number=card_range.acs_reference_number,
        acs_url=services.settings.public_url + ACS_URL_PATH,
        acs_ephem_pub_key=ephemeral.public_jwk(),
        sdk_ephem_pub_key=areq.sdkEphemPubKey,
    )
    return AppSetup(
        signed_content=services.signers.sign(card_range.app_signing, payload),
        rendering=rendering,
        channel=app_channel(
            options,
            rendering,
            services.vault.encrypt_secret(cek.hex()),
            prefer_html=app_ui is AppUi.HTML,
        ),
    )


# -- CReq / CRes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppAnswer:
    body: bytes
    content_type: str
    headers: dict[str, str]


async def handle_app_creq(
    services: Services, body: bytes, asked: Faults | None = None
) -> AppAnswer:
    """One JWE CReq in, one JWE CRes out; a ``ProtocolError`` for anything else (the web layer
    answers it as a JSON Erro). The CRes plays the transaction's faults and ``asked`` (the
    CReq's own, acs/faults.py): it may come late, spoiled, or as a ``TransportFault``."""
    started = perf_counter()
    try:
        kid = jwe_kid(body)  # not authenticated: only to find the transaction
    except DecryptionError as exc:
        raise _error(ErrorCode.DECRYPTION_FAILURE, f"CReq: {exc.reason}") from exc
    if not is_uuid(kid):
        raise _error(ErrorCode.TRANSACTION_ID_UNKNOWN, "kid: not an acsTransID")
    session = await services.challenge.sessions.get(kid)
    if session is None or session.app is None:
        raise _error(
            ErrorCode.TRANSACTION_ID_UNKNOWN,
            "kid: no app challenge for this acsTransID at this ACS",
            TransactionIds(acsTransID=kid),
        )
    channel = SecureChannel(bytes.fromhex(services.vault.decrypt_secret(session.app.cek_enc)), kid)
    try:
        creq = _decode_creq(channel.decrypt_creq(body))
    except KidMismatchError as exc:  # (the kid was read from this JWE: only if it is broken)
        raise _session_error(session, ErrorCode.TRANSACTION_ID_UNKNOWN, exc.reason) from exc
    except DecryptionError as exc:
        raise _session_error(session, ErrorCode.DECRYPTION_FAILURE, f"CReq: {exc.reason}") from exc
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _session_error(session, ErrorCode.MESSAGE_INVALID, f"CReq: {exc}") from exc
    step = await _step(services, session, creq)
    if step.finished:
        step.session = await send_rreq(services, kid, session=step.session) or step.session
    if step.error is not None:
        raise step.error
    cres = _cres(services, step, str(creq.sdkCounterStoA))
    headers = {}
    if MessageVersion(session.message_version).is_2_3:
        headers = {"X-Request-ID": session.sdk_trans_id or "", "X-Response-ID": kid}
    faults = merge(session.faults, asked) if asked else session.faults
    if faults is None:
        return AppAnswer(channel.encrypt_cres(_encode(cres)).encode(), JOSE, headers)
    answer = AppAnswer(
        channel.encrypt_cres(cres_body(cres, faults)).encode(),
        content_type(faults, JOSE),
        headers,
    )
    await latency_floor(faults, started)
    cres_transport(faults)
    return answer


async def _step(services: Services, session: Session, creq: CReq) -> flow.Step:
    """Check the CReq against the session, then run the cardholder's action."""
    deps = services.challenge
    _check_creq(session, creq)
    counter = str(creq.sdkCounterStoA)
    if creq.messageVersion != session.message_version:
        done = await flow.complete(
            deps,
            session.acs_trans_id,
            TransStatus.UNABLE,
            technical_reason(MessageVersion(session.message_version)),
            ChallengeCancel.TRANSACTION_ERROR,
            note="CReq messageVersion differs from the AReq",
        )
        done.error = _session_error(
            session,
            ErrorCode.FORMAT_INVALID,
            f"messageVersion: {creq.messageVersion} differs from the AReq "
            f"({session.message_version})",
        )
        return done
    if session.phase is Phase.COMPLETED:
        if session.result and session.result.outside and counter == session.page_token:
            # approved (or denied) out of band while the SDK waited: this CReq gets the result
            return await _after_outside(deps, session, counter)
        if session.result and session.result.reason == TransStatusReason.TIMED_OUT:
            raise _session_error(session, ErrorCode.TIMED_OUT, "CReq after the challenge timed out")
        raise _session_error(
            session, ErrorCode.CREQ_AFTER_RREQ, "CReq received after the challenge ended"
        )
    if counter != session.page_token:
        raise _session_error(
            session,
            ErrorCode.DECRYPTION_FAILURE,
            f"sdkCounterStoA: {counter}, expected {session.page_token} (a replayed or lost CReq)",
        )
    action = _action(session, creq)
    if session.phase is Phase.AWAITING_CREQ:
        if action == "cancel":  # cancelled on the first screen
            return await _cancel(deps, session, counter, creq)
        step = await flow.start(deps, session, token=counter, app_url=_app_url(creq))
    elif action == "cancel":
        step = await _cancel(deps, session, counter, creq)
    elif action == "resend":
        step = await flow.resend(deps, session, counter)
    else:
        step = await flow.submit(deps, session, counter, _entry(creq))
    if step.stale:  # a parallel CReq with the same counter got there first
        raise _session_error(
            session, ErrorCode.DECRYPTION_FAILURE, f"sdkCounterStoA: {counter} was already used"
        )
    return step


async def _after_outside(deps: ChallengeDeps, session: Session, counter: str) -> flow.Step:
    step = await flow.take_result(deps, session, counter)
    if step.stale:
        raise _session_error(
            session, ErrorCode.DECRYPTION_FAILURE, f"sdkCounterStoA: {counter} was already used"
        )
    return step


async def _cancel(deps: ChallengeDeps, session: Session, counter: str, creq: CReq) -> flow.Step:
    if session.phase is Phase.AWAITING_CREQ:
        return await flow.complete(
            deps,
            session.acs_trans_id,
            TransStatus.NOT_AUTHENTICATED,
            _cancel_reason(session),
            _challenge_cancel(creq),
            note="cancelled in the app before the first challenge screen",
        )
    return await flow.cancel(deps, session, counter, _challenge_cancel(creq))


def _app_url(creq: CReq) -> str | None:
    """threeDSRequestorAppURL, kept only as an https link (a universal link): any other scheme
    would be a link the banking app's page could not safely offer."""
    url = creq.threeDSRequestorAppURL
    ok = isinstance(url, str) and len(url) <= 2048 and url.startswith("https://")
    return url if ok and urls.is_web_url(url) else None


def _cancel_reason(session: Session) -> TransStatusReason:
    if MessageVersion(session.message_version).at_least_2_2:
        return TransStatusReason.ATTEMPTED_NOT_PERFORMED
    return TransStatusReason.AUTHENTICATION_FAILED


def _challenge_cancel(creq: CReq) -> ChallengeCancel:
    try:
        return ChallengeCancel(creq.challengeCancel or "01")
    except ValueError:  # an SDK's own code: the cardholder cancelled
        return ChallengeCancel.CARDHOLDER_CANCELLED


def _check_creq(session: Session, creq: CReq) -> None:
    """The members every app CReq carries (reference section 3.3), before anything else."""
    if creq.messageType != MessageType.CREQ.value:
        raise _session_error(
            session, ErrorCode.MESSAGE_INVALID, f"messageType: {creq.messageType!r}, not CReq"
        )
    missing = [
        name
        for name in (
            "messageVersion",
            "threeDSServerTransID",
            "acsTransID",
            "sdkTransID",
            "sdkCounterStoA",
        )
        if not getattr(creq, name)
    ]
    if missing:
        raise _session_error(session, ErrorCode.REQUIRED_MISSING, ",".join(missing))
    counter = str(creq.sdkCounterStoA)
    if not (len(counter) == 3 and counter.isdigit() and int(counter) <= _COUNTER_MAX):
        raise _session_error(session, ErrorCode.FORMAT_INVALID, "sdkCounterStoA: 000-255")
    for name, expected in (
        ("acsTransID", session.acs_trans_id),
        ("threeDSServerTransID", session.three_ds_server_trans_id),
        ("sdkTransID", session.sdk_trans_id),
    ):
        if getattr(creq, name) != expected:
            raise _session_error(
                session, ErrorCode.TRANSACTION_ID_UNKNOWN, f"{name}: does not match the AReq"
            )


def _action(session: Session, creq: CReq) -> str:
    """What the CReq asks for, by the combination rules of reference section 3.3 (Table A.16):
    data entered, or exactly one of cancel, resend and 'no entry'; anything else is Erro 203."""
    flags = [
        name
        for name, present in (
            ("cancel", creq.challengeCancel is not None),
            ("resend", creq.resendChallenge == "Y"),
            ("no-entry", creq.challengeNoEntry == "Y"),
        )
        if present
    ]
    entered = [
        name
        for name in ("challengeDataEntry", "challengeHTMLDataEntry", "oobContinue")
        if getattr(creq, name) not in (None, "", False)
    ]
    if len(flags) + len(entered) > 1 and not (flags == ["cancel"] and entered):
        both = ", ".join([*flags, *entered])
        raise _session_error(
            session, ErrorCode.FORMAT_INVALID, f"CReq: {both} may not come together"
        )
    if flags == ["cancel"]:
        return "cancel"
    if flags == ["resend"] or _html_fields(creq).get("action") == ["resend"]:
        return "resend"
    return "submit"


_MAX_CHOICES = 10


def _html_fields(creq: CReq) -> dict[str, list[str]]:
    """What our HTML UI's form sent (its query string, as challengeHTMLDataEntry)."""
    if not creq.challengeHTMLDataEntry:
        return {}
    return parse_qs(creq.challengeHTMLDataEntry)


def _entry(creq: CReq) -> Entry:
    """The answer: a native UI's challengeDataEntry (a code, or the option values chosen,
    comma-separated) or oobContinue; the HTML UI's form fields."""
    if creq.challengeHTMLDataEntry:
        fields = _html_fields(creq)
        return Entry(
            text=fields.get("otp", [""])[0][:45],
            choices=tuple(c[:45] for c in fields.get("choice", [])[:_MAX_CHOICES]),
            oob_continue=fields.get("action") == ["continue"],
        )
    text = creq.challengeDataEntry or ""
    return Entry(
        text=text[:45],
        choices=tuple(c for c in text.split(",") if c)[:_MAX_CHOICES],
        oob_continue=creq.oobContinue is True,
    )


def _cres(services: Services, step: flow.Step, counter: str) -> CRes:
    session = step.session
    cres = CRes(
        messageType=MessageType.CRES.value,
        messageVersion=session.message_version,
        threeDSServerTransID=session.three_ds_server_trans_id,
        acsTransID=session.acs_trans_id,
        sdkTransID=session.sdk_trans_id,
        acsCounterAtoS=counter,  # one CRes per CReq: the SDK counts them the same way
    )
    if session.phase is Phase.COMPLETED:
        assert session.result is not None
        status = session.result.trans_status
        # final CRes: Y or N and nothing else (SDKs refuse any other member)
        cres.challengeCompletionInd = "Y"
        cres.transStatus = status if status == TransStatus.AUTHENTICATED else "N"
        return cres
    cres.challengeCompletionInd = "N"
    view = flow.view(services.challenge, step)
    assert session.app is not None
    if step_rendering(session.app, view.kind).acsInterface == HTML:  # the SDK's web view
        html = services.renderer.app_html(
            view,
            language=session.browser_language,
            branding=branding_of(services, session),
            purchase=purchase_of(session),
            pan_masked=session.pan_masked,
        )
        cres.acsUiType, cres.acsHTML = InputKind.HTML.value, b64url_encode(html.encode())
    else:
        native_ui(view, cres)
        cres.issuerImage, cres.psImage = _images(services, session)
    return cres


def _images(services: Services, session: Session) -> tuple[Image | None, Image]:
    """The issuer's logo (the card range's ``app_logo``) and the scheme's, as absolute URLs: the
    SDK loads them itself."""
    public, static = services.settings.public_url, services.renderer.static_prefix
    card_range = services.directory.range_by_id(session.card_range_id)
    logo = card_range.branding.app_logo if card_range else None
    issuer = image(logo if not logo or "://" in logo else public + logo) if logo else None
    return issuer, image(f"{public}{static}/images/{session.scheme}")


def _error(code: ErrorCode, detail: str, ids: TransactionIds | None = None) -> ProtocolError:
    return ProtocolError(code, detail, message_type="CReq", ids=ids or TransactionIds())


def _session_error(session: Session, code: ErrorCode, detail: str) -> ProtocolError:
    return flow.erro(code, detail, session)
