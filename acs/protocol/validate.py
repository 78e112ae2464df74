"""AReq validation: raw bytes in, an ``AReq`` Struct out, or a ``ProtocolError`` for the Erro.

Order (each step only runs when the previous ones passed):

1. UTF-8 JSON object, else 101.
2. ``messageType`` present but not AReq -> 101; ``messageVersion`` present but unsupported -> 102.
3. Duplicate keys anywhere -> 204.
4. Everything else is collected in one pass over the field tables (``fields.py``) and the
   highest-priority class is reported with every field in it:
   201 > 202 > 203 > 304 > 306.

The error detail is ``name1,parent.name2: reason``, as EMV asks for (field names first).

Before all this, the typed fast path (``typed.py``) tries one decode straight into the AReq;
it answers only for messages with nothing to report, and leaves every other to the steps above.

Profiles (``ValidationProfile``) differ only on elements that the message's version does not
define but another supported version does (``whiteListStatus`` in a 2.3.1 AReq,
``acctInfo.chAccReqID`` in a 2.2.0 one), at any depth:

- ``strict``: each is a 203 ``name: not defined in 2.3.1``.
- ``lenient``: each is dropped (absent from the AReq, listed in ``ParsedAReq.dropped``) when its
  value is valid as one of the versions defining it has the element - JSON type, length,
  pattern or values, format, ISO codes, and for an object its members by that version's
  sub-table, required ones included, nothing of a third version inside - whatever that
  version's channel, category and condition rules say (they would decide whether the element
  may be there, and it is dropped). Otherwise it is the same 203 as in strict.

Names no supported version defines are ignored in both; empty values (null, "", []) are
absent in both. The walk finds both kinds of foreign element whatever the profile, so only the
verdict (``_Context.raise_worst``) reads it; the typed path vouches for no message that has
one, so it answers the same in both profiles. When an error would differ in the other profile,
it is a ``ProfileDependentError``, so that a caller knowing a profile per card range
(``flows/areq.py``) can validate again with the other one.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

import msgspec

from acs.protocol import iso, typed
from acs.protocol.codes import (
    SUPPORTED_VERSIONS,
    DeviceChannel,
    ErrorCode,
    MessageCategory,
    MessageType,
    MessageVersion,
)
from acs.protocol.errors import ProtocolError, TransactionIds
from acs.protocol.fields import (
    CompiledField,
    Iso,
    Kind,
    ObjectPlan,
    fast_accepts,
    is_uuid,
    json_length,
    plan_for,
)
from acs.protocol.messages import AReq
from acs.protocol.profiles import ValidationProfile

RECOGNISED_EXTENSIONS: frozenset[str] = frozenset()
"""IDs of message extensions this ACS understands; reassign to extend (read at call time).
A critical extension whose id is not listed here is answered with Erro 202."""

# Highest priority first: only the first class present is reported.
PRIORITY: tuple[ErrorCode, ...] = (
    ErrorCode.MESSAGE_INVALID,
    ErrorCode.VERSION_NOT_SUPPORTED,
    ErrorCode.DUPLICATE_ELEMENT,
    ErrorCode.REQUIRED_MISSING,
    ErrorCode.CRITICAL_EXTENSION_UNKNOWN,
    ErrorCode.FORMAT_INVALID,
    ErrorCode.ISO_CODE_INVALID,
    ErrorCode.MCC_INVALID,
)
# Classes reported before a 203: the profile cannot change an error of theirs.
_BEFORE_203 = frozenset(PRIORITY[: PRIORITY.index(ErrorCode.FORMAT_INVALID)])

_MESSAGE_TYPES = frozenset(m.value for m in MessageType)
_ID_FIELDS = ("threeDSServerTransID", "dsTransID", "sdkTransID")
_SUPPORTED = {v.value: v for v in SUPPORTED_VERSIONS}
_SUPPORTED_TEXT = ", ".join(_SUPPORTED)
_MISSING = "required element missing"
_INVALID = "invalid format or value"
_ISO_CODES = {Iso.COUNTRY: iso.is_country, Iso.CURRENCY: iso.is_currency}
_CHANNELS: Mapping[str | None, DeviceChannel] = {c.value: c for c in DeviceChannel}
_CATEGORIES: Mapping[str | None, MessageCategory] = {c.value: c for c in MessageCategory}
_DS_SPECIFIC = re.compile(r"[89][0-9]")  # 80-99: reserved for DS-specific use
# Bodies that may nest deeper than this are parsed by the stdlib (see ``_plain_colons``).
_FAST_MAX_DEPTH = 256
STRICT, LENIENT = ValidationProfile.STRICT, ValidationProfile.LENIENT


def parse_areq(body: bytes | str, profile: ValidationProfile = STRICT) -> AReq:
    """Validate an AReq as the DS forwards it and return it as a Struct.

    Raises ``ProtocolError`` carrying the EMV error code, a detail naming the fields at fault,
    the received version and the well-formed transaction IDs to echo in the Erro.
    """
    return read_areq(body, profile).areq


class ParsedAReq(NamedTuple):
    areq: AReq
    encoded: bytes | None  # ``msgspec.json.encode(areq)``, when validating made it already
    dropped: tuple[str, ...] = ()  # elements of other versions the lenient profile dropped


@dataclass
class ProfileDependentError(ProtocolError):
    """An error the other profile would answer differently: well-formed elements of another
    version were found, and nothing that outranks their 203. ``acct_number``: the message's,
    when it is valid (a caller may pick the profile by card range and validate again)."""

    acct_number: str | None = None


def read_areq(body: bytes | str, profile: ValidationProfile = STRICT) -> ParsedAReq:
    """``parse_areq``, with the AReq's encoding when the typed path made one (the stored copy
    reuses it: see ``transactions.masked_message``) and the elements a lenient profile
    dropped."""
    data = _as_bytes(body)
    parsed = _parse_typed(data) if data is not None else None
    return ParsedAReq(*parsed) if parsed is not None else _parse_full(body, profile)


def load_message(body: bytes | str) -> dict[str, Any]:
    """A message as a JSON object, parsed as strictly as an AReq is (UTF-8, no NaN, no
    repeated member: Erro 101 or 204). For the DS front, which edits the AReq before the
    ACS-side checks run on it."""
    message, duplicates = _load(body)
    if duplicates:
        raise ProtocolError(
            ErrorCode.DUPLICATE_ELEMENT, _detail([(d, "duplicate element") for d in duplicates])
        )
    return message


def _parse_typed(data: bytes) -> tuple[AReq, bytes] | None:
    """The AReq and its encoding when the typed fast path (``typed.py``) vouches for it."""
    colons = _plain_colons(data)
    return typed.parse(data, colons) if colons is not None else None


def _parse_full(body: bytes | str, profile: ValidationProfile = STRICT) -> ParsedAReq:
    """The dict path: every check of the tables, and the detail of whatever fails."""
    message, duplicates = _load(body)
    ctx = _Context(message)
    ctx.check_message_type()
    version = ctx.check_version()
    if duplicates:
        ctx.fail(
            ErrorCode.DUPLICATE_ELEMENT, _detail([(d, "duplicate element") for d in duplicates])
        )
    if version is None:
        ctx.fail(ErrorCode.REQUIRED_MISSING, _detail(ctx.problems[ErrorCode.REQUIRED_MISSING]))
    channel = ctx.envelope_code("deviceChannel", _CHANNELS)
    category = ctx.envelope_code("messageCategory", _CATEGORIES)
    plan = plan_for(version, _CHANNELS.get(channel), _CATEGORIES.get(category))
    _walk(message, plan, message, "", version, ctx)
    _check_extensions(message, ctx)
    ctx.raise_worst(profile)
    try:
        return ParsedAReq(msgspec.convert(message, AReq), None, ctx.dropped_paths())
    except msgspec.ValidationError as exc:  # a gap between the tables and the Struct
        ctx.fail(ErrorCode.FORMAT_INVALID, _clean(str(exc), 256))


# ------------------------------------------------------------------------------ loading


class _DupDict(dict[str, Any]):
    """A JSON object that had repeated keys (json keeps the last value, like msgspec)."""

    duplicates: list[str]


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _load(body: bytes | str) -> tuple[dict[str, Any], list[str]]:
    """Parse strictly: UTF-8 only, no NaN/Infinity, no lone surrogates; note duplicates.

    msgspec first; whenever it cannot vouch for the result on its own (an error, a possible
    duplicate key, an escaped colon, deep nesting) the strict stdlib parse decides instead.
    """
    message = _load_fast(body)
    if message is not None:
        return message, []
    return _load_strict(body)


def _load_fast(body: bytes | str) -> dict[str, Any] | None:
    """The message when msgspec parses it as an object that surely has no repeated key.

    msgspec keeps the last of repeated keys silently, so repeats are found by counting: in valid
    JSON a colon is a member separator or a character of a string. Re-encoding the decoded
    object keeps every string (msgspec never escapes ``:``) and writes one separator per member
    it kept, so the body has more colons than the re-encoding exactly when members were dropped
    - unless a string spelt a colon as an escape, which sends the body to the strict path.
    msgspec rejects all the stdlib parse rejects (bad UTF-8, BOM, NaN, lone surrogates, numbers
    out of range) and then the strict path reports it.
    """
    data = _as_bytes(body)
    colons = _plain_colons(data) if data is not None else None
    if data is None or colons is None:
        return None
    try:
        message = msgspec.json.decode(data)
        encoded = msgspec.json.encode(message)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None
    if type(message) is not dict or encoded.count(b":") != colons:
        return None
    return message


def _as_bytes(body: bytes | str) -> bytes | None:
    try:
        return body.encode() if isinstance(body, str) else bytes(body)
    except UnicodeEncodeError:  # a str holding a lone surrogate
        return None


def _plain_colons(data: bytes) -> int | None:
    """The colons of a body whose members the fast paths can count by them, else None.

    Not when a colon may be escaped (a decoder writes it back plain), nor when the nesting may
    be deep: depth is at most colons + 1 (an object holding another has a member) plus the
    arrays, and past a small depth the stdlib parser's limit decides (it depends on the stack).
    """
    if b"\\" in data and b"\\u003" in data:  # \u003a / \u003A, an escaped colon (or near it)
        return None
    colons = data.count(b":")
    arrays = data.count(b"[") if b"[" in data else 0
    if colons + 1 + arrays > _FAST_MAX_DEPTH and arrays + data.count(b"{") > _FAST_MAX_DEPTH:
        return None
    return colons


def _load_strict(body: bytes | str) -> tuple[dict[str, Any], list[str]]:
    """The stdlib parse, with ``object_pairs_hook`` to find repeated keys anywhere."""
    marked: list[_DupDict] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        dup = _DupDict(obj)
        dup.duplicates = [k for k, n in Counter(k for k, _ in pairs).items() if n > 1]
        marked.append(dup)
        return dup

    try:
        text = body if isinstance(body, str) else bytes(body).decode("utf-8")
        obj = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        _fail_unparsed("body is not UTF-8")
    except (ValueError, RecursionError) as exc:
        _fail_unparsed(f"body is not valid JSON ({_clean(str(exc), 80)})")
    if not isinstance(obj, dict):
        _fail_unparsed("body is not a JSON object")
    # \u escapes can smuggle lone surrogates that no encoder accepts later.
    if "\\u" in text and json_length(obj) is None:
        _fail_unparsed("body contains invalid Unicode escapes")
    return obj, list(_duplicate_paths(obj)) if marked else []


def _fail_unparsed(detail: str) -> NoReturn:
    raise ProtocolError(ErrorCode.MESSAGE_INVALID, detail)


def _duplicate_paths(root: dict[str, Any]) -> Iterator[str]:
    """Dotted names of repeated keys, iteratively (nesting depth is attacker-chosen)."""
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, list):
            stack.extend((item, prefix) for item in node)
        elif isinstance(node, dict):
            if isinstance(node, _DupDict):
                yield from (prefix + _clean(k) for k in node.duplicates)
            stack.extend((value, f"{prefix}{_clean(k)}.") for k, value in node.items())


# ------------------------------------------------------------------------------ context


class _Context:
    """What is known about the message so far, and the problems found, by error code."""

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        received = message.get("messageVersion")
        self.version_text = received if isinstance(received, str) else None
        # As received: the walk may drop members before an error is raised.
        self.received_ids = tuple(map(message.get, _ID_FIELDS))
        received_type = message.get("messageType")
        self.message_type = (
            received_type
            if isinstance(received_type, str) and received_type in _MESSAGE_TYPES
            else MessageType.AREQ.value
        )
        self.problems: dict[ErrorCode, list[tuple[str, str]]] = {}
        # The 203 entries (in ``problems`` too) of other-version elements valid as their
        # version has them: what the lenient profile drops instead of reporting.
        self.tolerable: list[tuple[str, str]] = []

    def add(self, code: ErrorCode, path: str, reason: str) -> None:
        self.problems.setdefault(code, []).append((path, reason))

    def add_foreign(self, path: str, reason: str, *, tolerable: bool) -> None:
        entry = (path, reason)
        self.problems.setdefault(ErrorCode.FORMAT_INVALID, []).append(entry)
        if tolerable:
            self.tolerable.append(entry)

    def dropped_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(path for path, _ in self.tolerable))

    @property
    def ids(self) -> TransactionIds:
        """The transaction IDs to echo: those received well-formed."""
        received = zip(_ID_FIELDS, self.received_ids, strict=True)
        return TransactionIds(**{name: value for name, value in received if is_uuid(value)})

    def fail(self, code: ErrorCode, detail: str) -> NoReturn:
        raise ProtocolError(
            code,
            detail,
            message_type=self.message_type,
            message_version=self.version_text,
            ids=self.ids,
        )

    def raise_worst(self, profile: ValidationProfile = STRICT) -> None:
        """The verdict: the worst class of problems, with the profile's view of the tolerable
        ones (lenient drops them; strict reports them with the other 203s)."""
        if self.tolerable and profile is LENIENT:
            tolerated = {id(entry) for entry in self.tolerable}
            kept = [e for e in self.problems[ErrorCode.FORMAT_INVALID] if id(e) not in tolerated]
            if kept:
                self.problems[ErrorCode.FORMAT_INVALID] = kept
            else:
                del self.problems[ErrorCode.FORMAT_INVALID]
        if not self.problems:
            return
        code = next(c for c in PRIORITY if c in self.problems)
        detail = _detail(self.problems[code])
        if not self.tolerable or code in _BEFORE_203:
            self.fail(code, detail)
        acct_number = self.message.get("acctNumber")  # still here: it passed its check
        raise ProfileDependentError(
            code,
            detail,
            message_type=self.message_type,
            message_version=self.version_text,
            ids=self.ids,
            acct_number=acct_number if isinstance(acct_number, str) else None,
        )

    def check_message_type(self) -> None:
        received = self.message.get("messageType")
        if not _present(received):
            self.add(ErrorCode.REQUIRED_MISSING, "messageType", _MISSING)
        elif received != MessageType.AREQ:
            self.fail(
                ErrorCode.MESSAGE_INVALID,
                f"messageType: expected AReq, received {_show(received)}",
            )

    def check_version(self) -> MessageVersion | None:
        received = self.message.get("messageVersion")
        if not _present(received):
            self.add(ErrorCode.REQUIRED_MISSING, "messageVersion", _MISSING)
            return None
        version = _SUPPORTED.get(received) if isinstance(received, str) else None
        if version is None:
            self.fail(
                ErrorCode.VERSION_NOT_SUPPORTED,
                f"messageVersion {_show(received)} is not supported; supported: {_SUPPORTED_TEXT}",
            )
        return version

    def envelope_code(self, name: str, valid: Mapping[str | None, Any]) -> str | None:
        """deviceChannel / messageCategory when usable; else None and a problem is noted."""
        received = self.message.get(name)
        if not _present(received):
            self.add(ErrorCode.REQUIRED_MISSING, name, _MISSING)
            return None
        if isinstance(received, str) and received in valid:
            return received
        if isinstance(received, str) and _DS_SPECIFIC.fullmatch(received):
            reason = f"DS-specific value {received} is not supported by this ACS"
        else:
            reason = _INVALID
        self.add(ErrorCode.FORMAT_INVALID, name, reason)
        return None


# --------------------------------------------------------------------------------- walk


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _walk(
    obj: dict[str, Any],
    plan: ObjectPlan,
    root: dict[str, Any],
    prefix: str,
    version: MessageVersion,
    ctx: _Context,
) -> None:
    """Check one object against its plan.

    Empty values are dropped (EMV reads them as absent), and so are rejected ones, so that
    conditions of other fields never rest on a value already reported as invalid.
    """
    if fast_accepts(plan, obj, root):
        # Nothing to drop or report member by member: only missing names remain to be found.
        if plan.always_names.difference(obj):
            for row in plan.always:
                if row.name not in obj:
                    ctx.add(ErrorCode.REQUIRED_MISSING, row.path, _MISSING)
        missing = plan.conditional_names.difference(obj)
        tests = plan.conditional_tests
        if missing and any(tests[name](root) for name in missing):
            for row, needed in plan.conditional:  # report in table order
                if row.name in missing and needed(root):
                    ctx.add(ErrorCode.REQUIRED_MISSING, row.path, _MISSING)
        return
    fields = plan.fields
    empty: list[str] = []
    rejected: list[str] = []
    for key, value in obj.items():
        if not value and (value is None or value == "" or value == []):
            empty.append(key)  # absent, whatever the name
            continue
        f = fields.get(key)
        if f is None:
            if key in plan.foreign:  # 203 in strict; lenient drops it if valid elsewhere
                valid = _valid_elsewhere(plan.foreign_fields[key], value, root, version)
                ctx.add_foreign(prefix + key, f"not defined in {version.value}", tolerable=valid)
                if valid:
                    rejected.append(key)  # dropped: the AReq never holds it
            continue  # unknown names are ignored for forward compatibility
        if not f.allowed:
            reason = plan.not_allowed_reason[key]
        elif not f.check(value):
            reason = _why_invalid(f, value)
        elif f.only_if is not None and not f.only_if.test(root):
            reason = f"allowed only if {f.only_if.text}"
        else:
            if f.sub is not None:
                for item in value if isinstance(value, list) else (value,):
                    _walk(item, f.sub, root, f.path + ".", version, ctx)
            if f.iso is not None:
                _check_iso(f.iso, f.path, value, ctx)
            continue
        ctx.add(ErrorCode.FORMAT_INVALID, f.path, reason)
        rejected.append(key)
    for key in (*empty, *rejected):
        del obj[key]
    # Missing now means "not a key" - except for rejected values, which are not missing.
    skip = frozenset(rejected)
    for f in plan.always:
        if f.name not in obj and f.name not in skip:
            ctx.add(ErrorCode.REQUIRED_MISSING, f.path, _MISSING)
    for f, needed in plan.conditional:
        if f.name not in obj and f.name not in skip and needed(root):
            ctx.add(ErrorCode.REQUIRED_MISSING, f.path, _MISSING)


def _valid_elsewhere(
    defined: tuple[CompiledField, ...], value: Any, root: dict[str, Any], version: MessageVersion
) -> bool:
    """An element of other versions is valid as one of them has it (``ObjectPlan.
    foreign_fields``): the walk of that version finds nothing in it, a nested element of yet
    another version included. Its inclusion rules (``allowed``, ``only_if``) do not apply."""
    for f in defined:
        if not f.check(value):
            continue
        scratch = _Context({})  # its problems are not reported, only counted
        if f.sub is not None:
            copied = copy.deepcopy(value)  # the walk drops members: not from the message
            for item in copied if isinstance(copied, list) else (copied,):
                _walk(item, f.sub, root, f.path + ".", version, scratch)
        if f.iso is not None:
            _check_iso(f.iso, f.path, value, scratch)
        if not scratch.problems:
            return True
    return False


def _why_invalid(f: CompiledField, value: Any) -> str:
    """A short reason for a value that failed its check (the slow path only)."""
    expected = {
        Kind.STRING: str,
        Kind.BOOLEAN: bool,
        Kind.OBJECT: dict,
        Kind.STRING_ARRAY: list,
        Kind.OBJECT_ARRAY: list,
    }.get(f.spec.kind)
    if expected is not None and not isinstance(value, expected):
        return f"wrong JSON type, expected {f.spec.kind.value}"
    limit = f.spec.max_items
    if isinstance(value, list) and limit is not None and len(value) > limit:
        return f"more than {limit} items"
    return _INVALID


def _check_iso(kind: Iso, path: str, value: str, ctx: _Context) -> None:
    """Well-formed codes that no registry knows: 306 for an MCC, 304 otherwise."""
    if kind is Iso.MCC:
        if not iso.is_valid_mcc(value):
            ctx.add(ErrorCode.MCC_INVALID, path, "not a valid merchant category code")
    elif not _ISO_CODES[kind](value):
        ctx.add(ErrorCode.ISO_CODE_INVALID, path, f"not a valid {kind.value} code")


def _check_extensions(message: dict[str, Any], ctx: _Context) -> None:
    """A critical extension this ACS does not recognise -> 202, naming its id."""
    extensions = message.get("messageExtension")
    if not isinstance(extensions, list):
        return
    recognised = RECOGNISED_EXTENSIONS  # read now: the app may have replaced it
    for ext in extensions:
        if not isinstance(ext, dict) or ext.get("criticalityIndicator") is not True:
            continue
        ext_id = ext.get("id")
        if not isinstance(ext_id, str) or ext_id not in recognised:
            ctx.add(
                ErrorCode.CRITICAL_EXTENSION_UNKNOWN,
                _clean(str(ext_id)),
                "critical messageExtension not recognised",
            )


# ------------------------------------------------------------------------------- detail


def _detail(entries: list[tuple[str, str]]) -> str:
    """``a,b.c: reason`` (one reason) or ``a,b.c: a reason1; b.c reason2`` (several)."""
    by_reason: dict[str, list[str]] = {}
    for path, reason in entries:
        paths = by_reason.setdefault(reason, [])
        if path not in paths:
            paths.append(path)
    names = ",".join(dict.fromkeys(p for p, _ in entries))
    if len(by_reason) == 1:
        return f"{names}: {next(iter(by_reason))}"
    return f"{names}: " + "; ".join(f"{','.join(ps)} {r}" for r, ps in by_reason.items())


def _clean(text: str, limit: int = 64) -> str:
    """Printable ASCII for error details (names and values come from the sender)."""
    if text.isascii() and text.isprintable():
        return text[:limit]
    return text[:limit].encode("unicode_escape").decode("ascii")[:limit]


def _show(value: Any) -> str:
    """A received envelope value, short and safe to echo."""
    if isinstance(value, str):
        return _clean(value, 32)
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "an array"
    return _clean(json.dumps(value), 32)
