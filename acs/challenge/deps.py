"""What the challenge engine works with: its own small set, not the app-wide services."""

from __future__ import annotations

from dataclasses import dataclass, field

from acs.challenge.session import Sessions
from acs.challenge.texts import Texts
from acs.challenge.timers import Timers
from acs.config import ProtocolTimers
from acs.delivery.router import Delivery
from acs.issuer.callbacks import IssuerClient
from acs.issuer.directory import Directory
from acs.issuer.vault import Vault
from acs.risk.counters import Counters
from acs.store.store import Store


@dataclass(slots=True)
class ChallengeDeps:
    store: Store
    sessions: Sessions
    timers: Timers
    protocol_timers: ProtocolTimers
    directory: Directory
    vault: Vault
    delivery: Delivery
    counters: Counters  # a successful challenge resets the card's low-value state
    retention_seconds: int  # how long transaction records are kept
    texts: Texts  # cardholder text, for views and delivered messages
    catalog_hashes: frozenset[str] = frozenset()  # PAN hashes of the documented test cards
    public_url: str = ""  # where cardholders reach this ACS (links in push notifications)
    issuer: IssuerClient | None = None  # the issuer's own systems (card ranges' ``issuer:``)
    otp_key: bytes = field(init=False)  # keys the HMAC of every one-time code

    def __post_init__(self) -> None:
        self.otp_key = self.vault.derived_key("otp")
