"""Shadow mode: the draft rule set of ``serve --shadow-rules`` decides every live AReq too,
through the same pipeline (``flows/decide.py``) but without the issuer's say or an app's
secure channel, and its decision is only recorded: in the transaction record beside the live
one, and in per-version counts that ``GET /admin/rules/shadow`` and ``acs rules shadow-report``
read. It never changes an answer: a failure in it is logged and the AReq goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

import msgspec
import structlog

from acs.flows.decide import Decided, decide
from acs.protocol.errors import ProtocolError
from acs.risk.decision import Decision, DecisionContext
from acs.risk.shadow import ShadowRules
from acs.services import Services
from acs.store import keys
from acs.transactions import DecisionRecord

log = structlog.get_logger("acs.shadow")

SEP = "|"  # between two outcomes or two rule ids in a count's name (rule ids have no "|")


async def shadow_decision(
    services: Services,
    shadow: ShadowRules,
    ctx: DecisionContext,
    now: dt.datetime,
    dropped: tuple[str, ...],
    live: Decision,
) -> DecisionRecord | None:
    """The shadow set's decision on this AReq, as the record keeps it; None if it failed. It
    decides on the counters the live AReq read (``ctx.counters``: its windows included) and,
    with the same policy, on the field values the live decision read."""
    known = shadow.known(live.values)
    try:
        decided: Decided[None] = await decide(
            msgspec.structs.replace(ctx, known=known) if known else ctx,
            shadow.engine,
            services.directory.profiles,
            now=now,
            dropped=dropped,
            trace=False,
        )
    except ProtocolError as err:  # the live pipeline got past every check that raises
        log.warning("shadow.failed", error=err.detail)
        return None
    except Exception:  # a draft set must never cost a live answer: logged, left out
        log.exception("shadow.failed")
        return None
    decision = decided.decision
    return DecisionRecord(
        status=decision.status.value,
        reason=decision.reason.value if decision.reason else None,
        rule_id=decision.rule_id,
        explanation=decision.explanation,
        rules_version=shadow.rules.version,
        exemption=decision.exemption,
        adjustments=decided.adjustments,
    )


def count(services: Services, live: DecisionRecord, shadow: DecisionRecord) -> list[Awaitable[Any]]:
    """Queue the counts for one AReq (no round trip of its own: they go with the record). One
    command when both sets agree on the rule: the AReqs evaluated are the outcome counts' sum."""
    key = keys.shadow_tally(live.rules_version, shadow.rules_version)
    batch = services.store.batch
    pending: list[Awaitable[Any]] = [
        batch.command("HINCRBY", key, f"o:{_outcome(live)}{SEP}{_outcome(shadow)}", 1),
    ]
    if live.rule_id != shadow.rule_id:
        pending.append(batch.command("HINCRBY", key, f"r:{live.rule_id}{SEP}{shadow.rule_id}", 1))
    return pending


def _outcome(record: DecisionRecord) -> str:
    return f"{record.status}/{record.reason}" if record.reason else record.status


async def report(services: Services) -> dict[str, Any]:
    """How often and where the shadow set differs from the live one, for the running pair of
    versions: the outcome transitions, and the rule pairs where the two differ."""
    shadow = services.shadow
    if shadow is None:
        return {"enabled": False, "hint": "start the ACS with --shadow-rules PATH"}
    live_version = services.rules.version
    key = keys.shadow_tally(live_version, shadow.rules.version)
    raw: dict[bytes, bytes] = await services.store.batch.command("HGETALL", key, parse=_pairs)
    fields = {k.decode(): int(v) for k, v in raw.items()}
    transitions: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for name, n in sorted(fields.items(), key=lambda kv: -kv[1]):
        kind, _, pair = name.partition(":")
        before, _, after = pair.partition(SEP)
        row = {"live": before, "shadow": after, "count": n}
        (transitions if kind == "o" else rules).append(row)
    evaluated = sum(t["count"] for t in transitions)
    differ = sum(t["count"] for t in transitions if t["live"] != t["shadow"])
    return {
        "enabled": True,
        "live_version": live_version,
        "shadow_version": shadow.rules.version,
        "shadow_source": str(shadow.rules.source),
        "evaluated": evaluated,
        "differ": differ,
        "differ_rate": round(differ / evaluated, 4) if evaluated else None,
        "transitions": transitions,
        "rules": rules,
    }


def _pairs(reply: Any) -> dict[bytes, bytes]:
    """HGETALL as a dict, whether the store answers a flat list or a mapping."""
    if isinstance(reply, dict):
        return {_b(k): _b(v) for k, v in reply.items()}
    return {_b(reply[i]): _b(reply[i + 1]) for i in range(0, len(reply), 2)}


def _b(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()
