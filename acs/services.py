"""The pieces a request handler needs, built once at start-up and shared through the app."""

from __future__ import annotations

from dataclasses import dataclass

from acs.config import Settings
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
