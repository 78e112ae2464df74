"""Challenge sessions in the store, so that any ACS process can continue any challenge.

A session is one JSON value at ``acs:{<acsTransID>}:session`` with a revision number. Every change
is a compare-and-set on that revision (a Lua script), so two requests racing on one session (a
double-clicked submit, two nodes) cannot both spend the same OTP attempt.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

import msgspec

from acs.challenge.methods.states import MethodState
from acs.challenge.methods.wire import WIRE
from acs.faults import Faults
from acs.issuer.models import ChallengeMethod, Factor
from acs.protocol.messages import RReq, RRes
from acs.store.batch import Script
from acs.store.store import Store


class Phase(StrEnum):
    AWAITING_CREQ = "awaiting-creq"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"  # result known, RReq being delivered or delivered


class Result(msgspec.Struct):
    trans_status: str
    reason: str | None = None
    challenge_cancel: str | None = None
    authentication_value: str | None = None
    eci: str | None = None
    evidence: dict[str, str] | None = None
    completed_at: float = 0.0
    outside: bool = False  # decided out of band, not on a challenge screen (see flow.complete)
    factors: list[str] = msgspec.field(default_factory=list)  # the methods passed, in order
    categories: list[str] = msgspec.field(default_factory=list)  # their SCA categories


class RReqState(msgspec.Struct):
    status: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    last_error: str | None = None
    rres: RRes | None = None
    sent: RReq | None = None
    delivered_at: float | None = None


class AppChannel(msgspec.Struct):
    """The app channel's part of a session (deviceChannel 01)."""

    cek_enc: str  # the secure channel's key, encrypted at rest like the PAN
    acs_interface: str  # acsRenderingType of the first screen: 01 native, 02 HTML
    acs_ui_template: str  # 01 text ... 05 HTML other
    # what the SDK offered (deviceRenderOptions), to choose each later screen's UI
    sdk_interface: str = ""
    sdk_ui_types: list[str] = msgspec.field(default_factory=list)
    prefer_html: bool = False  # the HTML UI whenever the SDK offers it
    # the first CReq's threeDSRequestorAppURL (2.2+, https only): where the banking app sends
    # the cardholder back after an out-of-band approval
    requestor_app_url: str | None = None


class BrowserChannel(msgspec.Struct):
    """The browser channel's part of a session (deviceChannel 02)."""

    notification_url: str  # where the final page posts the CRes (from the AReq)
    window_size: str | None = None  # challengeWindowSize, from the first CReq
    session_data: str | None = None  # threeDSSessionData, echoed unchanged to notificationURL


class Session(msgspec.Struct):
    acs_trans_id: str
    three_ds_server_trans_id: str
    ds_trans_id: str
    message_version: str
    device_channel: str
    message_category: str
    card_range_id: str
    scheme: str
    pan_hash: str
    pan_enc: str
    pan_masked: str
    methods: list[ChallengeMethod]  # the current factor's: methods[0] runs, the rest fall back
    created_at: float
    creq_deadline: float
    rev: int = 0
    phase: Phase = Phase.AWAITING_CREQ
    sdk_trans_id: str | None = None
    ds_url: str | None = None
    cardholder_id: str | None = None
    merchant_name: str | None = None
    purchase_amount: str | None = None
    purchase_currency: str | None = None
    purchase_exponent: str | None = None
    browser_language: str | None = None
    challenge_indicators: list[str] = msgspec.field(default_factory=list)
    scenario_codes: bool = False  # catalog card: magic OTP codes choose the outcome
    page_deadline: float | None = None
    # what the next action must carry: the nonce of the page shown (browser), or the next
    # sdkCounterStoA (app); an action with anything else is stale
    page_token: str | None = None
    attempts: int = 0
    resends: int = 0
    interaction_counter: int = 0
    trust_requested: bool = False
    state: MethodState | None = None  # the method's own (a tagged union)
    chain: list[Factor] = msgspec.field(default_factory=list)  # the factors still to pass
    passed: list[ChallengeMethod] = msgspec.field(default_factory=list)  # factors passed so far
    app: AppChannel | None = None  # the secure channel and UI, on the app channel only
    browser: BrowserChannel | None = None  # the page's window and return, in the browser only
    result: Result | None = None
    rreq: RReqState | None = None
    steps: list[dict[str, Any]] = msgspec.field(default_factory=list)
    faults: Faults | None = None  # chosen at the AReq (acs/faults.py): the CRes and RReq play them

    @property
    def method(self) -> ChallengeMethod:
        return self.methods[0]

    @property
    def authentication_type(self) -> str:
        return WIRE[self.method][0].value

    @property
    def authentication_method(self) -> str:
        return WIRE[self.method][1].value

    def log(self, event: str, **details: Any) -> None:
        self.steps.append({"at": round(time.time(), 3), "event": event, **details})


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Session).decode

# KEYS: session. ARGV: expected rev (-1 = create), new json, ttl seconds.
_CAS = """
local current = redis.call('GET', KEYS[1])
local expected = tonumber(ARGV[1])
if expected < 0 then
  if current then return 0 end
else
  if not current then return -1 end
  if (cjson.decode(current)['rev'] or 0) ~= expected then return 0 end  -- rev 0 is omitted
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""


# KEYS: session, transaction record (same hash tag). ARGV: session json, ttl, record, record ttl.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
redis.call('SET', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[4]))
return 1
"""


class Conflict(Exception):
    """Another request changed the session first, every time it was tried."""


class Stale(Exception):
    """Raised by a change that no longer applies to the session as it now stands (a parallel
    request got there first): the update is abandoned without writing."""


def session_key(acs_trans_id: str) -> str:
    return f"acs:{{{acs_trans_id}}}:session"


class Sessions:
    def __init__(self, store: Store, ttl_seconds: int) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self._cas = Script(_CAS)
        self._create = Script(_CREATE)

    async def create(
        self, session: Session, record_key: str, record: bytes, record_ttl: int
    ) -> None:
        """The session and the transaction record appear together or not at all."""
        ok = await self.store.batch.script(
            self._create,
            [session_key(session.acs_trans_id), record_key],
            [_encode(session), self.ttl, record, record_ttl],
        )
        if ok != 1:
            raise Conflict(session.acs_trans_id)

    async def get(self, acs_trans_id: str) -> Session | None:
        raw = await self.store.batch.command("GET", session_key(acs_trans_id))
        return _decode(raw) if raw else None

    async def _write(self, session: Session, expected: int) -> None:
        session.rev = expected + 1 if expected >= 0 else 0
        ok = await self.store.batch.script(
            self._cas,
            [session_key(session.acs_trans_id)],
            [expected, _encode(session), self.ttl],
        )
        if ok != 1:
            raise Conflict(session.acs_trans_id)

    async def update(
        self,
        acs_trans_id: str,
        change: Callable[[Session], Awaitable[Any]],
        *,
        current: Session | None = None,
        retries: int = 12,
    ) -> tuple[Session, Any]:
        """Apply ``change`` to the latest session and save it; retried on a concurrent change.

        ``current``: a copy the caller already holds, tried first (saves a read; a stale copy
        just fails the compare-and-set and is read again). ``change`` re-checks whatever limit or
        phase it relies on, against the session it is given, and raises (``Stale``) to abandon
        without writing; its return value is passed back. Changes that consume the page they
        came from lose at most once to a burst of parallel requests, so the retries are for
        unrelated writers meeting by chance; a short random pause spreads them out.
        """
        for attempt in range(retries):
            session = (
                current if attempt == 0 and current is not None else await self.get(acs_trans_id)
            )
            if session is None:
                raise KeyError(acs_trans_id)
            rev = session.rev
            outcome = await change(session)
            try:
                await self._write(session, rev)
            except Conflict:
                if attempt:
                    await asyncio.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311
                continue
            return session, outcome
        raise Conflict(acs_trans_id)
