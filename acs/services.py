"""The pieces a request handler needs, built once at start-up and shared through the app."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from acs.challenge.render import Renderer
from acs.challenge.session import Sessions
from acs.challenge.timers import Timers
from acs.config import Settings
from acs.crypto.pki import PKI
from acs.crypto.signed_content import Signers
from acs.delivery.router import Delivery
from acs.issuer.directory import Directory
from acs.issuer.models import TestCard
from acs.issuer.vault import Vault
from acs.risk.decision import DecisionEngine
from acs.risk.loader import LoadedRules
from acs.store.store import Store


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    vault: Vault
    directory: Directory
    engine: DecisionEngine
    rules: LoadedRules
    catalog: list[TestCard]
    sessions: Sessions
    timers: Timers
    delivery: Delivery
    renderer: Renderer
    http: aiohttp.ClientSession  # outgoing calls: RReq to the DS
    pki: PKI  # ACS signing and DS keys (--keys, or generated in memory)
    signers: Signers  # acsSignedContent per algorithm (a card range's app_signing)
    catalog_hashes: frozenset[str] = frozenset()

    def is_catalog_card(self, pan: str) -> bool:
        """Magic OTP codes work on the documented test cards only."""
        return self.vault.pan_hash(pan) in self.catalog_hashes

    async def close(self) -> None:
        await self.delivery.close()
        await self.http.close()
        await self.store.close()
