"""Swapping rule sets in a running ACS: on POST /admin/rules/reload and, with --rules-watch, on file
changes. A broken rule set is rejected with its error and the old one keeps serving; the swap is a
single assignment, so a request in flight finishes on the engine it started with."""

from __future__ import annotations

import asyncio

import structlog
from watchfiles import awatch

from acs.risk.counters import StoreCounters
from acs.risk.loader import LoadedRules, RuleLoadError, load_rules
from acs.services import Services

log = structlog.get_logger("acs.rules")


def engine_for(services: Services, loaded: LoadedRules) -> None:
    services.rules = loaded
    services.engine = loaded.engine(StoreCounters(services.store, loaded.policy.velocity))


async def reload_rules(services: Services) -> LoadedRules:
    old = services.rules.version
    loaded = await asyncio.to_thread(load_rules, services.settings.rules_path)
    engine_for(services, loaded)
    log.info("rules.reloaded", version=loaded.version, previous=old)
    return loaded


async def watch_rules(services: Services, stop: asyncio.Event) -> None:
    path = services.settings.rules_path
    folder = path if path.is_dir() else path.parent
    async for _changes in awatch(folder, stop_event=stop, recursive=True, debounce=300):
        try:
            await reload_rules(services)
        except RuleLoadError as exc:
            log.warning("rules.reload_rejected", error=str(exc), serving=services.rules.version)
