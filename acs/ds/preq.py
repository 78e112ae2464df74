"""answer_preq: the card ranges a 3DS Server caches (reference section 3.6).

A PRes names a serial number for the set of ranges it describes: the first 20 hex digits of
the set's SHA-256, so every DS process (and a restart) gives the same set the same serial.
Each set is kept in the store under its serial; a PReq that carries one gets only the changes
since (actionInd A, M, D), none at all when it is current, and Erro 307 when the DS never
gave it out. A 2.1.0/2.2.0 PReq gets the ``cardRangeData`` list of that version; a 2.3.1 PReq
the 2.3.1 form, with one ``acsProtocolVersions`` entry per version the range's ACS speaks.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from time import perf_counter

import msgspec

from acs.ds.server import Answer, DirectoryServer, ds_error, field_detail
from acs.faults import FaultName, Faults, find
from acs.protocol.codes import AcsInfoInd, ActionInd, ErrorCode, MessageType, MessageVersion
from acs.protocol.errors import ProtocolError
from acs.protocol.messages import (
    AcsProtocolVersion,
    CardRangeData,
    CardRangeData231,
    PReq,
    PRes,
    PRes231,
)
from acs.protocol.validate import load_message

SERIAL_LENGTH = 20  # serialNum: at most 20 characters
# pres-malformed:fields: required members left out, the range list of the wrong type
_SPOILED = {"serialNum": None, "dsTransID": None, "cardRangeData": "not a list"}
_VERSIONS = [v.value for v in MessageVersion]


class RangeEntry(msgspec.Struct, frozen=True, array_like=True):
    """What a PRes says of one range, in a form that compares and serialises stably."""

    start: str
    end: str
    versions: tuple[str, ...]
    method_url: str | None
    info: dict[str, tuple[str, ...]]  # version -> acsInfoInd


_encode = msgspec.json.Encoder().encode
_canonical = msgspec.json.Encoder(order="sorted").encode  # a snapshot's bytes name its serial
_decode_entries = msgspec.json.Decoder(list[RangeEntry]).decode


def acs_info(version: MessageVersion) -> tuple[str, ...]:
    """acsInfoInd for one version: this ACS authenticates and answers attempts, runs decoupled
    challenges and keeps trust lists from 2.2.0, and (2.3.1) grants the TRA, trust-list and
    low-value exemptions its rules decide. (A 2.1.0 PRes carries no acsInfoInd at all.)"""
    info = [AcsInfoInd.AUTHENTICATION, AcsInfoInd.ATTEMPTS]
    if version.at_least_2_2:
        info += [AcsInfoInd.DECOUPLED, AcsInfoInd.TRUST_LIST]
    if version.is_2_3:
        info += [
            AcsInfoInd.TRA_EXEMPTION,
            AcsInfoInd.TRUST_LIST_EXEMPTION,
            AcsInfoInd.LOW_VALUE_EXEMPTION,
        ]
    return tuple(i.value for i in info)


def entries(ds: DirectoryServer) -> list[RangeEntry]:
    found = []
    for r in sorted(ds.ranges.ranges, key=lambda r: r.low):
        versions = sorted(r.versions, key=_VERSIONS.index)
        found.append(
            RangeEntry(
                r.start,
                r.end,
                tuple(v.value for v in versions),
                ds.config.method_url,
                {v.value: acs_info(v) for v in versions},
            )
        )
    return found


def serial_of(snapshot: bytes) -> str:
    return hashlib.sha256(snapshot).hexdigest()[:SERIAL_LENGTH]


async def answer_preq(ds: DirectoryServer, body: bytes) -> Answer:
    try:
        preq = _read(body)
        current = entries(ds)
        snapshot = _canonical(current)
        serial = serial_of(snapshot)
        if serial not in ds.known_serials:
            await ds.store.ds_keep_snapshot(serial, snapshot)
            ds.known_serials.add(serial)
        changes = await _changes(ds, preq, current, serial)
    except ProtocolError as err:
        return Answer(_encode(ds.erro(err)))
    pres = _pres(preq, serial, changes)
    headers = None
    if MessageVersion(preq.messageVersion).is_2_3:
        headers = {"X-Request-ID": preq.threeDSServerTransID, "X-Response-ID": pres.dsTransID}
    return Answer(_encode(pres), headers)


async def play_faults(answer: Answer, faults: Faults, started: float) -> Answer:
    """A PRes with its faults (acs/faults.py): malformed (pres-malformed), late (pres-late,
    and the latency floor). An Erro goes as it is."""
    fault = find(faults, FaultName.PRES_MALFORMED)
    if fault is not None and b'"messageType":"PRes"' in answer.body:
        if fault.value == "json":
            body = answer.body[: len(answer.body) // 2]  # cut short: not JSON at all
        else:
            pres = msgspec.json.decode(answer.body)
            for name, value in _SPOILED.items():
                if value is None:
                    pres.pop(name, None)
                else:
                    pres[name] = value
            body = _encode(pres)
        answer = Answer(body, answer.headers)
    wait = 0.0
    if (late := find(faults, FaultName.PRES_LATE)) is not None:
        wait = late.seconds or 0.0
    if (floor := find(faults, FaultName.LATENCY)) is not None:
        wait = max(wait, (floor.seconds or 0.0) - (perf_counter() - started))
    if wait > 0:
        await asyncio.sleep(wait)
    return answer


def _read(body: bytes) -> PReq:
    message = load_message(body)
    version = message.get("messageVersion")
    server_id = message.get("threeDSServerTransID")
    if message.get("messageType") != MessageType.PREQ.value:
        raise ds_error(
            ErrorCode.MESSAGE_INVALID,
            f"messageType: this URL takes PReq, got {str(message.get('messageType'))[:20]!r}",
            MessageType.PREQ,
            version,
            threeDSServerTransID=server_id,
        )
    if version not in _VERSIONS:
        raise ds_error(
            ErrorCode.VERSION_NOT_SUPPORTED,
            ",".join(_VERSIONS),
            MessageType.PREQ,
            None,
            threeDSServerTransID=server_id,
        )
    required = ("threeDSServerRefNumber", "threeDSServerTransID")
    missing = [n for n in required if message.get(n) is None]
    if missing:
        raise ds_error(
            ErrorCode.REQUIRED_MISSING,
            ", ".join(f"{n}: required" for n in missing),
            MessageType.PREQ,
            version,
            threeDSServerTransID=server_id,
        )
    problems = _format_problems(message)
    if problems:
        raise ds_error(
            ErrorCode.FORMAT_INVALID,
            "; ".join(problems),
            MessageType.PREQ,
            version,
            threeDSServerTransID=server_id,
        )
    try:
        return msgspec.convert(message, PReq)
    except msgspec.ValidationError as exc:  # a member the checks above do not look at
        raise ds_error(
            ErrorCode.FORMAT_INVALID,
            field_detail(exc),
            MessageType.PREQ,
            version,
            threeDSServerTransID=server_id,
        ) from None


def _format_problems(message: dict[str, object]) -> list[str]:
    problems = []
    server_id = message.get("threeDSServerTransID")
    if not isinstance(server_id, str) or not _is_uuid(server_id):
        problems.append("threeDSServerTransID: must be a UUID")
    for name, limit in (
        ("threeDSServerRefNumber", 32),
        ("threeDSServerOperatorID", 32),
        ("serialNum", SERIAL_LENGTH),
    ):
        value = message.get(name)
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= limit):
            problems.append(f"{name}: must be a string of 1-{limit} characters")
    download = message.get("cardRangeDataDownloadInd")
    if download is not None and download not in ("Y", "N"):
        problems.append("cardRangeDataDownloadInd: must be Y or N")
    return problems


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower() and len(text) == 36
    except ValueError:
        return False


async def _changes(
    ds: DirectoryServer, preq: PReq, current: list[RangeEntry], serial: str
) -> list[tuple[ActionInd, RangeEntry]] | None:
    """What to send: every range (A) without a serial, nothing (None) when it is current, else
    the changes since the set the serial names."""
    if preq.serialNum is None:
        return [(ActionInd.ADD, e) for e in current]
    if preq.serialNum == serial:
        return None
    kept = await ds.store.ds_snapshot(preq.serialNum)
    if kept is None:
        raise ds_error(
            ErrorCode.SERIAL_NUMBER_INVALID,
            f"serialNum: {preq.serialNum[:20]!r} was never given out by this DS; "
            "send the PReq without serialNum for every range",
            MessageType.PREQ,
            preq.messageVersion,
            threeDSServerTransID=preq.threeDSServerTransID,
        )
    before = {(e.start, e.end): e for e in _decode_entries(kept)}
    now = {(e.start, e.end): e for e in current}
    changes = [(ActionInd.DELETE, e) for key, e in before.items() if key not in now]
    for key, entry in now.items():
        if key not in before:
            changes.append((ActionInd.ADD, entry))
        elif before[key] != entry:
            changes.append((ActionInd.MODIFY, entry))
    return changes


def _pres(
    preq: PReq, serial: str, changes: list[tuple[ActionInd, RangeEntry]] | None
) -> PRes | PRes231:
    version = MessageVersion(preq.messageVersion)
    ds_trans_id = str(uuid.uuid4())
    if version.is_2_3:
        return PRes231(
            messageType="PRes",
            messageVersion=version.value,
            threeDSServerTransID=preq.threeDSServerTransID,
            dsTransID=ds_trans_id,
            serialNum=serial,
            dsProtocolVersions=list(_VERSIONS),
            cardRangeData=None if changes is None else [_range_231(a, e) for a, e in changes],
        )
    return PRes(
        messageType="PRes",
        messageVersion=version.value,
        threeDSServerTransID=preq.threeDSServerTransID,
        dsTransID=ds_trans_id,
        serialNum=serial,
        dsStartProtocolVersion=_VERSIONS[0],
        dsEndProtocolVersion=_VERSIONS[-1],
        cardRangeData=None if changes is None else [_range_22(version, a, e) for a, e in changes],
    )


def _range_22(version: MessageVersion, action: ActionInd, entry: RangeEntry) -> CardRangeData:
    """2.1.0 knows no acsInfoInd; 2.2.0 has one list per range, in its own codes."""
    info = acs_info(version) if version.at_least_2_2 else ()
    return CardRangeData(
        startRange=entry.start,
        endRange=entry.end,
        actionInd=action,
        acsStartProtocolVersion=entry.versions[0],
        acsEndProtocolVersion=entry.versions[-1],
        threeDSMethodURL=entry.method_url,
        acsInfoInd=[AcsInfoInd(i) for i in info] or None,
    )


def _range_231(action: ActionInd, entry: RangeEntry) -> CardRangeData231:
    return CardRangeData231(
        startRange=entry.start,
        endRange=entry.end,
        actionInd=action,
        acsProtocolVersions=[
            AcsProtocolVersion(
                version=v,
                acsInfoInd=[AcsInfoInd(i) for i in entry.info[v]],
                threeDSMethodURL=entry.method_url,
            )
            for v in entry.versions
        ],
    )
