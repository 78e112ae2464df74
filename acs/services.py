"""The pieces a request handler needs, built once at start-up and shared through the app."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

from acs.challenge.deps import ChallengeDeps
from acs.challenge.render import Renderer
from acs.config import Settings
from acs.crypto.pki import PKI
from acs.crypto.signed_content import Signers
from acs.faults import Faults
from acs.issuer.directory import Directory
from acs.issuer.models import TestCard
from acs.issuer.vault import Vault
from acs.risk.decision import DecisionEngine
from acs.risk.loader import LoadedRules
from acs.risk.shadow import ShadowRules
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
    challenge: ChallengeDeps  # sessions, timers, delivery: the challenge engine's own set
    renderer: Renderer
    http: aiohttp.ClientSession  # outgoing calls: RReq to the DS
    pki: PKI  # ACS signing and DS keys (--keys, or generated in memory)
    signers: Signers  # acsSignedContent per algorithm (a card range's app_signing)
    shadow: ShadowRules | None = None  # serve --shadow-rules: a draft set decides beside
    # TLS for calls to this process's own listeners (acs.tls.own_context); None without TLS
    own_tls: ssl.SSLContext | None = None
    # the catalog cards' faults (``fault:``), by PAN hash: one dict lookup an AReq
    card_faults: Mapping[str, Faults] = field(default_factory=dict)

    async def close(self) -> None:
        await self.challenge.delivery.close()
        await self.http.close()
        await self.store.close()
