"""The reference issuer service: what the ACS calls back (``acs.issuer.callbacks``), as an aiohttp
app of its own (``acs issuer-sim``) or mounted in the ACS's process (``add_subapp``).

Every POST carries ``X-ACS-Signature`` (``acs.crypto.signature``, 300 s tolerance) and a JSON
object of at most 16 KiB; a missing or wrong signature is 401, a body of the wrong shape is 400
naming the field, a larger body 413; every error is JSON ``{"error", "hint"}``. Every documented
member is required; cardholderId, amount, merchantName and mcc may be null (an AReq may lack
the last two); members not documented are ignored.

Routes (relative to where the app is mounted):

- ``POST /check-authentication-method``: the policy, first match wins: a merchantName containing
  "DECLINE" (any case) is ``decline``; an amount of at least 100.00 in its currency
  (``minor / 10**exponent >= 100``) is ``challenge`` by ``otp_sms``; a rule with transStatus "C"
  is ``challenge`` by the rule's methods; anything else is ``frictionless``.
- ``POST /validate-passcode``: ``{"valid"}``, compared in constant time against the passcode of
  the cardholderId (by default every cardholder's is 123456; with a ``passcodes`` mapping, a
  cardholder not in it has none). The passcode is never logged nor recorded.
- ``POST /otp/send`` makes a 6-digit code (``secrets``) and a reference; ``POST /otp/verify``
  accepts the code once, for its reference and acsTransID only (constant time); ``POST
  /otp/cancel`` always answers ``{"cancelled": true}`` (a cancelled code no longer verifies).
  ``GET /otp/{acsTransID}`` shows the newest code of a transaction (QA, unsigned).
- ``POST /biometric``: by the instance's mode, ``approve``/``deny`` answer at once; ``pending``
  answers pending and, ``biometric_delay`` seconds later, POSTs ``{"verdict": "approved"}``,
  signed, to the callbackUrl; ``timeout`` answers nothing for 35 s (then 503), for the ACS's
  fallback. A cardholderId ending in "-deny" is always denied.
- ``GET /healthz``; ``GET /calls`` (``?acsTransID=`` filters): the last 1000 calls, newest last.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

import aiohttp
import msgspec
import structlog
from aiohttp import web
from yarl import URL

from acs.crypto.signature import SIGNATURE_HEADER, sign, verify_signature
from acs.issuer.config_files import msgspec_path

__all__ = [
    "BIOMETRIC_MODES",
    "ISSUER_SIM",
    "MAX_BODY",
    "IssuerSim",
    "create_issuer_sim",
]

log = structlog.get_logger("acs.issuer_sim")

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_BODY = 16 * 1024
SIGNATURE_TOLERANCE = 300
DEFAULT_PASSCODE = "123456"  # the documented test passcode of every cardholder
CHALLENGE_FROM = 100  # major units of the amount's currency
CHALLENGE_BY_AMOUNT = ["otp_sms"]
MAX_CALLS = 1000
MAX_OTPS = 10_000  # codes kept (oldest dropped first), so a long run does not grow without end
TIMEOUT_SECONDS = 35.0  # --biometric timeout: longer than any ACS deadline (30 s at most)
CALLBACK_TIMEOUT = 10.0
BIOMETRIC_MODES = ("approve", "deny", "pending", "timeout")
SIGNATURE_HINT = (
    "sign each request: X-ACS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
    "f'{t}.' + body with the shared secret (ACS_ISSUER_SECRET)>"
)

# -- request bodies ---------------------------------------------------------------------------

TransID = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Amount(msgspec.Struct, frozen=True):
    minor: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,18}$")]
    currency: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$")]  # ISO 4217 numeric
    exponent: Annotated[int, msgspec.Meta(ge=0, le=9)]

    def at_least(self, major: int) -> bool:
        scale: int = 10**self.exponent  # exponent >= 0: an int
        return int(self.minor) >= major * scale

    def __str__(self) -> str:
        digits = str(int(self.minor)).rjust(self.exponent + 1, "0")
        whole, cents = digits[: len(digits) - self.exponent], digits[len(digits) - self.exponent :]
        return f"{whole}.{cents} ({self.currency})" if cents else f"{whole} ({self.currency})"


class Rule(msgspec.Struct, frozen=True):
    transStatus: Annotated[str, msgspec.Meta(max_length=2)]
    rule: str | None = None
    methods: list[str] = msgspec.field(default_factory=list)


class CheckRequest(msgspec.Struct, frozen=True):
    acsTransID: TransID
    panMasked: str
    messageVersion: str
    deviceChannel: str
    merchantName: str | None  # an AReq may lack them (3RI, non-payment): present, maybe null
    mcc: str | None
    rule: Rule
    cardholderId: str | None = None
    amount: Amount | None = None


class PasscodeRequest(msgspec.Struct, frozen=True):
    acsTransID: TransID
    passcode: str
    cardholderId: str | None = None


class OtpSendRequest(msgspec.Struct, frozen=True):
    acsTransID: TransID
    channel: Literal["sms", "email", "voice"]
    merchantName: str | None
    cardholderId: str | None = None
    amount: Amount | None = None


class OtpVerifyRequest(msgspec.Struct, frozen=True):
    acsTransID: TransID
    reference: str
    code: str


class OtpCancelRequest(msgspec.Struct, frozen=True):
    acsTransID: TransID
    reference: str


class BiometricRequest(msgspec.Struct, frozen=True):
    acsTransID: TransID
    merchantName: str | None
    callbackUrl: str
    cardholderId: str | None = None
    amount: Amount | None = None


class _TransIDOnly(msgspec.Struct):
    """For the call record of a body refused for another field."""

    acsTransID: TransID | None = None


# -- state ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Otp:
    acs_trans_id: str
    reference: str
    code: str
    channel: str
    status: str = "sent"  # then "used" or "cancelled"


class Refused(Exception):
    """An answer other than 200: the status and a JSON ``{"error", "hint", ...}``."""

    def __init__(self, status: int, error: str, hint: str, **extra: str) -> None:
        super().__init__(error)
        self.status = status
        self.body: dict[str, Any] = {"error": error, "hint": hint, **extra}


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _matches(given: str, expected: str | None) -> bool:
    """Constant time in the expected value; no expected value never matches."""
    same = hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), (expected or "").encode("utf-8", "surrogatepass")
    )
    return same and expected is not None


def decide(req: CheckRequest) -> dict[str, Any]:
    """The documented policy of check-authentication-method, first match wins."""
    if "decline" in (req.merchantName or "").casefold():
        return {"decision": "decline", "methods": [], "reason": "merchantName contains DECLINE"}
    if req.amount is not None and req.amount.at_least(CHALLENGE_FROM):
        return {
            "decision": "challenge",
            "methods": list(CHALLENGE_BY_AMOUNT),
            "reason": f"amount {req.amount} is at least {CHALLENGE_FROM}.00",
        }
    if req.rule.transStatus == "C":
        return {
            "decision": "challenge",
            "methods": list(req.rule.methods),
            "reason": f"rule {req.rule.rule or '(unnamed)'} asks for a challenge",
        }
    return {
        "decision": "frictionless",
        "methods": [],
        "reason": f"below {CHALLENGE_FROM}.00 and no rule asks for a challenge",
    }


async def _read_body(request: web.Request) -> bytes:
    """The body, refused past MAX_BODY (read here, not by client_max_size, so that the bound holds
    when the app is mounted in another whose limit differs)."""
    too_large = Refused(
        413, f"body over {MAX_BODY} bytes", "the documented bodies are well under 1 KiB"
    )
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(path: str, decoder: msgspec.json.Decoder[T], kind: type[Any], body: bytes) -> T:
    shape = f"POST {path} takes a JSON object with " + ", ".join(kind.__struct_fields__)
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        where, reason = msgspec_path(exc)
        field = where or "(body)"
        raise Refused(400, f"{field}: {reason}", shape, field=field) from None
    except msgspec.DecodeError as exc:
        raise Refused(400, f"(body): not JSON: {exc}", shape, field="(body)") from None


def _trans_id(body: bytes) -> str | None:
    try:
        return _TRANS_ID.decode(body).acsTransID
    except msgspec.DecodeError:  # ValidationError is one
        return None


_TRANS_ID = msgspec.json.Decoder(_TransIDOnly)


class IssuerSim:
    """The service's state: passcodes, codes sent, the biometric mode, the calls seen."""

    def __init__(
        self,
        secret: str,
        *,
        passcodes: Mapping[str, str] | None = None,
        biometric: str = "pending",
        biometric_delay: float = 1.0,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        if not secret:
            raise ValueError("issuer-sim: the shared secret is empty")
        if biometric not in BIOMETRIC_MODES:
            modes = ", ".join(BIOMETRIC_MODES)
            raise ValueError(f"issuer-sim: biometric mode {biometric!r} is not one of {modes}")
        if not biometric_delay >= 0:
            raise ValueError(f"issuer-sim: biometric_delay {biometric_delay!r} must be >= 0")
        self.secret = secret
        self.passcodes = dict(passcodes) if passcodes is not None else None
        self.biometric = biometric
        self.biometric_delay = biometric_delay
        self.http = http
        self.calls: deque[dict[str, Any]] = deque(maxlen=MAX_CALLS)
        self.otps: OrderedDict[str, Otp] = OrderedDict()  # by reference, oldest first
        self.newest_otp: dict[str, str] = {}  # acsTransID -> reference
        self.tasks: set[asyncio.Task[None]] = set()  # biometric callbacks under way
        self._closing = asyncio.Event()

    # -- the POST routes ---------------------------------------------------------------------

    def post(
        self, path: str, kind: type[T], answer: Callable[[T], Awaitable[dict[str, Any]]]
    ) -> Handler:
        """A handler: bounded body, signature, decoded body, answer, recorded and logged."""
        decoder = msgspec.json.Decoder(kind)

        async def handle(request: web.Request) -> web.StreamResponse:
            trans_id: str | None = None
            try:
                body = await _read_body(request)
                problem = self._signature_problem(request.headers.get(SIGNATURE_HEADER), body)
                if problem is not None:
                    raise Refused(401, problem, SIGNATURE_HINT)
                trans_id = _trans_id(body)
                req = _decode(path, decoder, kind, body)
                result, status = await answer(req), 200
            except Refused as exc:
                result, status = exc.body, exc.status
            self.record(path, trans_id, result, status)
            (log.info if status == 200 else log.warning)(
                "issuer_sim.call", path=path, acs_trans_id=trans_id, status=status, answer=result
            )
            return web.json_response(result, status=status)

        return handle

    def _signature_problem(self, header: str | None, body: bytes) -> str | None:
        if not header:
            return f"missing {SIGNATURE_HEADER} header"
        try:
            if verify_signature(self.secret, header, body, SIGNATURE_TOLERANCE):
                return None
            right_but_old = verify_signature(self.secret, header, body, 10**10)
        except (ValueError, OverflowError):
            # verify_signature raises on a t= it cannot read as a number of seconds (digits other
            # than 0-9, or hundreds of them)
            return f"malformed {SIGNATURE_HEADER} header: t= is not a unix time"
        if right_but_old:
            return (
                f"{SIGNATURE_HEADER} timestamp is more than {SIGNATURE_TOLERANCE} s from this "
                "server's clock (check both clocks; sign at send time)"
            )
        return f"{SIGNATURE_HEADER} does not match the body (another secret, or a changed body)"

    def record(self, path: str, trans_id: str | None, answer: Any, status: int) -> None:
        self.calls.append(
            {
                "path": path,
                "acsTransID": trans_id,
                "at": _now_iso(),
                "answer": answer,
                "status": status,
            }
        )

    async def check(self, req: CheckRequest) -> dict[str, Any]:
        return decide(req)

    async def validate_passcode(self, req: PasscodeRequest) -> dict[str, Any]:
        if self.passcodes is None:
            expected: str | None = DEFAULT_PASSCODE
        else:
            expected = self.passcodes.get(req.cardholderId) if req.cardholderId else None
        return {"valid": _matches(req.passcode, expected)}

    async def otp_send(self, req: OtpSendRequest) -> dict[str, Any]:
        otp = Otp(req.acsTransID, str(uuid.uuid4()), f"{secrets.randbelow(10**6):06d}", req.channel)
        self.otps[otp.reference] = otp
        self.newest_otp[otp.acs_trans_id] = otp.reference
        while len(self.otps) > MAX_OTPS:
            _, old = self.otps.popitem(last=False)
            if self.newest_otp.get(old.acs_trans_id) == old.reference:
                del self.newest_otp[old.acs_trans_id]
        return {"reference": otp.reference, "status": "sent"}

    async def otp_verify(self, req: OtpVerifyRequest) -> dict[str, Any]:
        otp = self.otps.get(req.reference)
        live = otp is not None and otp.status == "sent" and otp.acs_trans_id == req.acsTransID
        valid = _matches(req.code, otp.code if otp is not None and live else None)
        if valid and otp is not None:
            otp.status = "used"
        return {"valid": valid}

    async def otp_cancel(self, req: OtpCancelRequest) -> dict[str, Any]:
        otp = self.otps.get(req.reference)
        if otp is not None and otp.acs_trans_id == req.acsTransID and otp.status == "sent":
            otp.status = "cancelled"
        return {"cancelled": True}

    async def biometric_check(self, req: BiometricRequest) -> dict[str, Any]:
        try:
            url = URL(req.callbackUrl)
            usable = url.scheme in ("http", "https") and bool(url.host) and url.port is not None
        except (ValueError, TypeError):
            usable = False
        if not usable:
            raise Refused(
                400,
                "callbackUrl: not an absolute http(s) URL",
                "the ACS's URL for the verdict, such as https://acs.example/issuer/biometric/<id>",
                field="callbackUrl",
            )
        if (req.cardholderId or "").endswith("-deny"):
            return {"verdict": "denied"}
        if self.biometric == "approve":
            return {"verdict": "approved"}
        if self.biometric == "deny":
            return {"verdict": "denied"}
        if self.biometric == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), TIMEOUT_SECONDS)
            raise Refused(
                503,
                "no verdict: this issuer-sim runs with --biometric timeout",
                "for the ACS's fallback tests; start it with --biometric pending for a verdict",
            )
        task = asyncio.create_task(self._approve_later(req.acsTransID, req.callbackUrl))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return {"verdict": "pending"}

    async def _approve_later(self, trans_id: str, url: str) -> None:
        """After the delay, POST the signed verdict to the ACS's callbackUrl (one attempt)."""
        await asyncio.sleep(self.biometric_delay)
        body = msgspec.json.encode({"verdict": "approved"})
        headers = {
            SIGNATURE_HEADER: sign(self.secret, body, int(time.time())),
            "Content-Type": "application/json",
        }
        outcome: dict[str, Any] = {"verdict": "approved"}
        try:
            if self.http is None:
                raise RuntimeError("no HTTP session: the app was not started")
            async with self.http.post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT),
            ) as resp:
                await resp.read()
                outcome["delivered"] = resp.status
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a background task: report every failure, raise none
            outcome["error"] = f"{type(exc).__name__}: {exc}"[:300]
        self.record("biometric callback", trans_id, outcome, int(outcome.get("delivered", 0)))
        (log.info if 200 <= outcome.get("delivered", 0) < 300 else log.warning)(
            "issuer_sim.biometric_callback", acs_trans_id=trans_id, url=url, **outcome
        )

    # -- the GET routes ----------------------------------------------------------------------

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def list_calls(self, request: web.Request) -> web.Response:
        wanted = request.query.get("acsTransID")
        calls = [c for c in self.calls if wanted is None or c["acsTransID"] == wanted]
        return web.json_response(calls)

    async def show_otp(self, request: web.Request) -> web.Response:
        trans_id = request.match_info["acsTransID"]
        otp = self.otps.get(self.newest_otp.get(trans_id, ""))
        if otp is None:
            return web.json_response(
                {
                    "error": f"no code sent for acsTransID {trans_id[:64]!r}",
                    "hint": "the ACS sends one with POST /otp/send (delegated OTP)",
                },
                status=404,
            )
        return web.json_response(
            {
                "acsTransID": otp.acs_trans_id,
                "code": otp.code,
                "reference": otp.reference,
                "channel": otp.channel,
                "status": otp.status,
            }
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def lifecycle(self, _app: web.Application) -> AsyncIterator[None]:
        """An HTTP session for the callbacks when none was given; on the way out, the callbacks
        under way are cancelled and the session made here is closed."""
        own = None
        if self.http is None:
            own = self.http = aiohttp.ClientSession()
        self._closing.clear()
        yield
        self._closing.set()
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if own is not None:
            await own.close()
            self.http = None

    async def on_shutdown(self, _app: web.Application) -> None:
        self._closing.set()  # a --biometric timeout answer in flight ends now, not in 35 s


ROUTES_HINT = (
    "routes: POST /check-authentication-method, /validate-passcode, /otp/send, /otp/verify, "
    "/otp/cancel, /biometric; GET /healthz, /calls, /otp/{acsTransID}"
)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own refusals (404, 405) as JSON too."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return web.json_response(
            {"error": f"{exc.status} {exc.reason}", "hint": ROUTES_HINT},
            status=exc.status,
            headers=headers,
        )


ISSUER_SIM = web.AppKey("issuer_sim", IssuerSim)


def create_issuer_sim(
    secret: str,
    *,
    passcodes: Mapping[str, str] | None = None,
    biometric: str = "pending",
    biometric_delay: float = 1.0,
    http: aiohttp.ClientSession | None = None,
) -> web.Application:
    """The issuer-sim app; its state is ``app[ISSUER_SIM]``. ``http`` (else one made at start-up)
    sends the biometric callbacks."""
    sim = IssuerSim(
        secret, passcodes=passcodes, biometric=biometric, biometric_delay=biometric_delay, http=http
    )
    app = web.Application(middlewares=[json_errors])
    app[ISSUER_SIM] = sim
    app.cleanup_ctx.append(sim.lifecycle)
    app.on_shutdown.append(sim.on_shutdown)
    r = app.router
    r.add_post(
        "/check-authentication-method",
        sim.post("/check-authentication-method", CheckRequest, sim.check),
    )
    r.add_post(
        "/validate-passcode", sim.post("/validate-passcode", PasscodeRequest, sim.validate_passcode)
    )
    r.add_post("/otp/send", sim.post("/otp/send", OtpSendRequest, sim.otp_send))
    r.add_post("/otp/verify", sim.post("/otp/verify", OtpVerifyRequest, sim.otp_verify))
    r.add_post("/otp/cancel", sim.post("/otp/cancel", OtpCancelRequest, sim.otp_cancel))
    r.add_post("/biometric", sim.post("/biometric", BiometricRequest, sim.biometric_check))
    r.add_get("/otp/{acsTransID}", sim.show_otp)
    r.add_get("/healthz", sim.healthz)
    r.add_get("/calls", sim.list_calls)
    return app
