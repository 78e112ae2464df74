"""Loading and swapping the rule sets of a running ACS: at start-up, on POST /admin/rules/reload
and, with --rules-watch, on file changes. A broken rule set is rejected with its error and the
old one keeps serving; the swap is a single assignment, so a request in flight finishes on the
engine it started with. The shadow set (--shadow-rules) loads and reloads beside the live one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from watchfiles import awatch

from acs.config import Settings
from acs.risk.counters import StoreCounters
from acs.risk.engine import RuleEngine
from acs.risk.loader import LoadedRules, RuleLoadError, load_rules, test_cards_set
from acs.risk.shadow import ShadowRules, counter_windows
from acs.services import Services
from acs.store.store import Store

log = structlog.get_logger("acs.rules")


def served_rules(settings: Settings) -> LoadedRules:
    """``--rules`` as served: a single rule-set file gets the test-card set in front of it
    unless ``--no-test-cards`` (a folder or manifest lists its own sets)."""
    return load_rules(settings.rules_path, test_cards=_test_cards(settings))


def shadow_rules(settings: Settings, store: Store, live: LoadedRules) -> ShadowRules | None:
    """``--shadow-rules``, loaded as ``--rules`` is (test cards included), or None."""
    if settings.shadow_rules_path is None:
        return None
    loaded = load_rules(settings.shadow_rules_path, test_cards=_test_cards(settings))
    return ShadowRules.build(store, loaded, live)


def _test_cards(settings: Settings) -> Path | None:
    return test_cards_set() if settings.test_cards else None


def live_engine(store: Store, loaded: LoadedRules, shadow: ShadowRules | None) -> RuleEngine:
    """The live engine; its counters also record the shadow set's own windows."""
    windows = counter_windows(loaded, shadow.rules if shadow else None)
    return loaded.engine(StoreCounters(store, windows))


def engine_for(services: Services, loaded: LoadedRules, shadow: ShadowRules | None) -> None:
    services.rules = loaded
    services.engine = live_engine(services.store, loaded, shadow)
    services.shadow = shadow


async def reload_rules(services: Services) -> LoadedRules:
    old = services.rules.version
    settings = services.settings
    loaded = await asyncio.to_thread(served_rules, settings)
    shadow = await asyncio.to_thread(shadow_rules, settings, services.store, loaded)
    engine_for(services, loaded, shadow)
    log.info(
        "rules.reloaded",
        version=loaded.version,
        previous=old,
        shadow=shadow.rules.version if shadow else None,
    )
    return loaded


async def watch_rules(services: Services, stop: asyncio.Event) -> None:
    """Reload on a change in the rules' folder, or the shadow rules' (--shadow-rules)."""
    settings = services.settings
    paths = [settings.rules_path] + [p for p in [settings.shadow_rules_path] if p is not None]
    folders = sorted({p if p.is_dir() else p.parent for p in paths})
    async for _changes in awatch(*folders, stop_event=stop, recursive=True, debounce=300):
        try:
            await reload_rules(services)
        except RuleLoadError as exc:
            log.warning("rules.reload_rejected", error=str(exc), serving=services.rules.version)
