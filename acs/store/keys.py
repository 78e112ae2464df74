"""The key schema. Every key carries a hash tag so Redis Cluster keeps related keys in one slot.

- ``acs:{<acsTransID>}:txn``           transaction record (retention TTL)
- ``acs:{dir}:ranges``                 card ranges, hash id -> JSON (persistent)
- ``acs:{dir}:cardholders``            cardholders, hash id -> JSON (persistent)
- ``acs:{dir}:by_pan``                 keyed PAN hash -> cardholder id (persistent)
- ``acs:{dir}:version``                bumped on every directory change; nodes refresh caches on it
- ``acs:{qa}:txns``                    every record's acsTransID by time (QA listing; capped)
- ``acs:{card:<panhash>}:txns``        one card's records by time (QA listing; capped; retention)
- ``acs:{qa}:rreq-log``                the RReq attempts, newest last (a capped stream)
- ``acs:{shadow}:<live>:<shadow>``     shadow mode's counts per pair of rule versions (hash)

Directory keys share the ``{dir}`` tag so that a multi-key directory change is one atomic script.
Velocity counters (``acs:{card:<panhash>}:...``), challenge sessions and the timer due-set join
this schema in later issues with the same rule: one hash tag per unit of atomicity.
"""

from __future__ import annotations

PREFIX = "acs"

DIR_RANGES = f"{PREFIX}:{{dir}}:ranges"
DIR_CARDHOLDERS = f"{PREFIX}:{{dir}}:cardholders"
DIR_BY_PAN = f"{PREFIX}:{{dir}}:by_pan"
DIR_VERSION = f"{PREFIX}:{{dir}}:version"


def txn(acs_trans_id: str) -> str:
    return f"{PREFIX}:{{{acs_trans_id}}}:txn"


def card(pan_hash: str, name: str) -> str:
    """Per-card risk state (velocity, exemption counters); one hash tag per card."""
    return card_prefix(pan_hash) + name


def totp_step(cardholder_id: str, step: int) -> str:
    """An authenticator-app time step the cardholder has used: a code is good once."""
    return f"{PREFIX}:{{totp:{cardholder_id}}}:{step}"


def shadow_tally(live_version: str, shadow_version: str) -> str:
    """Shadow mode's counts for one pair of rule versions: a hash of AReqs, outcome and rule
    transitions (``flows/shadow.py``); a new version of either set starts a new one."""
    return f"{PREFIX}:{{shadow}}:{live_version}:{shadow_version}"


def card_prefix(pan_hash: str) -> str:
    """What every key of one card starts with (for building several at once)."""
    return f"{PREFIX}:{{card:{pan_hash[:32]}}}:"


def ds_relay(ds_trans_id: str, part: str) -> str:
    """The DS front's state for one transaction it routed (``part``: record, rres, lock,
    events); one hash tag per dsTransID, so the RReq relay's writes are one atomic script."""
    return f"{PREFIX}:{{ds:{ds_trans_id}}}:{part}"


DS_SNAPSHOTS = f"{PREFIX}:{{ds}}:ranges"  # PRes serial number -> the card ranges it named


# -- the QA API's records (acs/store/qa.py) -----------------------------------------------------

QA_TXNS = f"{PREFIX}:{{qa}}:txns"
QA_RREQ_LOG = f"{PREFIX}:{{qa}}:rreq-log"


def card_txns(pan_hash: str) -> str:
    """One card's records by time, beside its counters."""
    return card(pan_hash, "txns")


# What ``DELETE /qa/state`` removes: records, outboxes (``acs.delivery.outbox``), per-card state
# (counters, payments, outbox, index) and the QA indexes. Never the directory ({dir}), sessions
# and timers (a challenge in flight goes on), 3DS Method results or used TOTP steps.
QA_RESET_PATTERNS = (
    f"{PREFIX}:{{*}}:txn",
    f"{PREFIX}:{{*}}:outbox",
    f"{PREFIX}:{{card:*}}:*",
    f"{PREFIX}:{{qa}}:*",
)
