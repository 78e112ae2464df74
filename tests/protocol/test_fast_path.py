"""The fast paths of AReq validation give the answers of the full path.

``validate._parse_typed`` (one decode into a typed AReq per plan, ``typed.py``) must return an
AReq only when the full path returns the same AReq; the stored copy masked from its encoding
must be the one masked from the Struct.

``validate._load_fast`` (msgspec, duplicates found by counting colons) must return a message
only when the strict stdlib parse would return the same message without duplicates, and
``fields.fast_accepts`` (a msgspec shape per plan, then the checks a shape cannot express) must
accept an object only when the full walk would report and drop nothing in it. The checks the
fast paths are made of are compared with the plain definitions of the field tables.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from itertools import product
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.protocol import fields, messages, validate
from acs.protocol.codes import DeviceChannel, ErrorCode, MessageCategory, MessageVersion
from acs.protocol.errors import ProtocolError
from acs.protocol.fields import FieldSpec, Fmt, Kind
from acs.protocol.profiles import ValidationProfile
from acs.transactions import masked_message
from tests.protocol import samples
from tests.protocol.test_fuzz import combos, json_scalars, json_values, mutated_areqs

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # the AReqs carry fresh IDs and times, so an example saved by an earlier run does not draw the
    # same way again (FlakyStrategyDefinition): no example database
    database=None,
)

# ------------------------------------------------------------------------------ loading

# JSON text written by hand, so that objects may repeat keys and a colon may be escaped.
keys = st.sampled_from(["a", "b", "a:b", "c\u00e9", "x\\u003ay", ":", "messageType"])


def _text(value: Any) -> str:
    return json.dumps(value)


@st.composite
def json_texts(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        text = _text(draw(json_scalars))
        return text.replace(":", "\\u003a") if draw(st.booleans()) else text
    if draw(st.booleans()):
        items = draw(st.lists(json_texts(depth + 1), max_size=3))
        return "[" + ", ".join(items) + "]"
    members = []
    for _ in range(draw(st.integers(0, 4))):
        key = draw(keys)
        name = key if "\\u" in key else _text(key)[1:-1]
        members.append(f'"{name}" : {draw(json_texts(depth + 1))}')
    return "{" + ",".join(members) + "}"


def _strict(body: bytes | str) -> tuple[dict[str, Any], list[str]] | ProtocolError:
    try:
        return validate._load_strict(body)
    except ProtocolError as err:
        return err


def _check_load(body: bytes | str) -> None:
    fast = validate._load_fast(body)
    strict = _strict(body)
    if fast is not None:
        assert not isinstance(strict, ProtocolError)
        assert strict == (fast, [])


@FUZZ
@given(json_texts())
def test_fast_load_agrees_with_the_strict_parse(text: str) -> None:
    _check_load(text)
    _check_load(text.encode())
    _check_load("{" + f'"k": {text}' + "}")


@FUZZ
@given(st.binary(max_size=300))
def test_fast_load_on_random_bytes(body: bytes) -> None:
    _check_load(body)


@pytest.mark.parametrize(
    "body",
    [
        '{"a": 1, "a": 1}',
        '{"a": {"b": 1, "b": 2}}',
        '{"a": [{"b": 1}, {"c": 1, "c": 1}]}',
        '{"a": {"x:y": 1}, "a": 2}',  # the dropped member had a colon in its key
        '{"a": "1:2", "a": "3"}',
        '{"a\\u003ab": 1, "a:b": 2}',  # the same key, once spelt with an escape
        '{"a": "\\u003a", "b": 1, "b": 2}',  # one escaped colon hides one repeat from a count
        '{"a": "\\u003A", "b": 1, "b": 2}',
    ],
)
def test_repeated_keys_never_take_the_fast_path(body: str) -> None:
    assert validate._load_fast(body) is None
    strict = _strict(body)
    assert isinstance(strict, ProtocolError) or strict[1]


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf{}",
        b'{"a": NaN}',
        b'{"a": 1e999}',
        b'{"a": "\\ud800"}',
        b'{"a": "\xff"}',
        b'{"a": ' + b"9" * 5000 + b"}",
        b'{"a": ' + b"[" * 300 + b"]" * 300 + b"}",
        b"[]",
        b"{} {}",
    ],
)
def test_the_strict_parse_decides_edge_cases(body: bytes) -> None:
    assert validate._load_fast(body) is None


def test_a_str_with_a_lone_surrogate_takes_the_strict_path() -> None:
    assert validate._load_fast('{"a": "\ud800"}') is None


@pytest.mark.parametrize("combo", samples.ALL_COMBINATIONS)
def test_samples_take_the_fast_paths(combo: tuple[str, str, str]) -> None:
    body = samples.areq_bytes(*combo)
    message = validate._load_fast(body)
    assert message is not None
    version, channel, category = combo
    plan = fields.plan_for(
        MessageVersion(version), DeviceChannel(channel), MessageCategory(category)
    )
    assert fields.fast_accepts(plan, message, message)


@pytest.mark.parametrize("combo", samples.ALL_COMBINATIONS)
def test_samples_take_the_typed_path(combo: tuple[str, str, str]) -> None:
    body = samples.areq_bytes(*combo)
    typed = validate._parse_typed(body)
    assert typed is not None
    areq, encoded = typed
    full = validate._parse_full(body).areq
    assert type(full) is messages.AReq and isinstance(areq, messages.AReq)
    assert areq == full and full == areq
    assert encoded == msgspec.json.encode(areq) == msgspec.json.encode(full)
    # the stored copy reuses the encoding, masked in place: the same bytes as masking the Struct
    stored = masked_message(areq, encoded)
    assert stored == masked_message(full) and b'"acctNumber":"' in bytes(stored)
    assert areq.acctNumber and areq.acctNumber.encode() not in bytes(stored)


def _edited(combo: tuple[str, str, str], edit: Any) -> bytes:
    message = samples.areq(*combo)
    edit(message)
    return json.dumps(message).encode()


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda m: m.update(zzUnknown="x"), id="unknown-name"),
        pytest.param(lambda m: m.update(purchaseExponent=None), id="null"),
        pytest.param(lambda m: m["acctInfo"].update(zz="1"), id="unknown-nested-name"),
        pytest.param(lambda m: m.update(mcc="5411 "), id="bad-format"),
        pytest.param(lambda m: m.pop("purchaseAmount"), id="missing-conditional"),
        pytest.param(lambda m: m.pop("acctNumber"), id="missing-required"),
        pytest.param(
            lambda m: m.update(
                messageExtension=[{"name": "n", "id": "x", "criticalityIndicator": False}]
            ),
            id="extension",
        ),
    ],
)
def test_what_the_typed_path_leaves_to_the_full_path(edit: Any) -> None:
    body = _edited(("2.2.0", "02", "01"), edit)
    assert validate._parse_typed(body) is None
    _same_without_fast_paths(body.decode())


def _left_to_the_full_path(body: bytes, code: ErrorCode, field: str) -> None:
    """The typed path does not vouch for ``body``; the full path reports ``code`` for ``field``."""
    assert validate._parse_typed(body) is None
    with pytest.raises(ProtocolError) as err:
        validate.parse_areq(body)
    assert err.value.code == code and field in err.value.detail


@pytest.mark.parametrize("version", ["2.1.0", "2.2.0", "2.3.1"])
def test_a_required_member_given_null_is_missing(version: str) -> None:
    """Required members are always written back, so the colon count cannot see a null there."""
    body = _edited((version, "01", "01"), lambda m: m.update(sdkEphemPubKey=None))
    _left_to_the_full_path(body, ErrorCode.REQUIRED_MISSING, "sdkEphemPubKey")


def test_a_repeated_name_leaves_the_typed_path() -> None:
    body = samples.areq_bytes("2.2.0", "02", "01")
    repeated = body.replace(b'"mcc":', b'"mcc": "5411", "mcc":', 1)
    assert repeated != body
    _left_to_the_full_path(repeated, ErrorCode.DUPLICATE_ELEMENT, "mcc")


def test_arrays_of_sub_objects_are_typed_and_checked() -> None:
    message = samples.areq("2.3.1", "02", "01")
    infos = message["threeDSRequestorAuthenticationInfo"]
    assert isinstance(infos, list) and infos
    typed = validate._parse_typed(json.dumps(message).encode())
    assert typed is not None
    areq = typed[0]
    assert isinstance(areq.threeDSRequestorAuthenticationInfo, list)
    assert areq.threeDSRequestorAuthenticationInfo[
        0
    ] == messages.ThreeDSRequestorAuthenticationInfo(**infos[0])
    # a bad timestamp inside one item, and one item too many: the full path reports each
    bad_item = {**infos[0], "threeDSReqAuthTimestamp": "202613011200"}
    for edited in ([*infos, bad_item], [infos[0]] * 4):
        message["threeDSRequestorAuthenticationInfo"] = edited
        body = json.dumps(message).encode()
        _left_to_the_full_path(body, ErrorCode.FORMAT_INVALID, "threeDSRequestorAuthenticationInfo")
        _same_without_fast_paths(body.decode())


def test_typed_sub_objects_equal_their_plain_twins() -> None:
    typed = validate._parse_typed(samples.areq_bytes("2.2.0", "02", "01"))
    assert typed is not None
    areq = typed[0]
    assert areq.homePhone is not None
    assert type(areq.homePhone) is not messages.PhoneNumber
    plain = messages.PhoneNumber(cc=areq.homePhone.cc, subscriber=areq.homePhone.subscriber)
    assert areq.homePhone == plain and plain == areq.homePhone
    assert areq.homePhone != messages.PhoneNumber(cc="1", subscriber="2")


# ----------------------------------------------------------------------- fast vs full walk


PROFILES = tuple(ValidationProfile)


def _outcome(body: str, profile: ValidationProfile = ValidationProfile.STRICT) -> tuple[Any, ...]:
    try:
        areq, encoded, dropped = validate.read_areq(body, profile)
    except validate.ProfileDependentError as err:
        ids = (err.message_type, err.message_version, err.ids, err.acct_number)
        return ("depends", err.code, err.detail, *ids)
    except ProtocolError as err:
        return ("error", err.code, err.detail, err.message_type, err.message_version, err.ids)
    return ("ok", msgspec.json.encode(areq), bytes(masked_message(areq, encoded)), dropped)


def _same_without_fast_paths(body: str) -> None:
    """In each profile, the same answer with and without the fast paths."""
    fast = [_outcome(body, profile) for profile in PROFILES]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "_parse_typed", lambda data: None)
        patch.setattr(validate, "_load_fast", lambda body: None)
        patch.setattr(validate, "fast_accepts", lambda plan, obj, root: False)
        full = [_outcome(body, profile) for profile in PROFILES]
    assert fast == full
    _profiles_differ_only_on_other_versions(*fast)


def _profiles_differ_only_on_other_versions(
    strict: tuple[Any, ...], lenient: tuple[Any, ...]
) -> None:
    """The two profiles answer alike unless elements of another version were found, and then
    strict's answer is a ``ProfileDependentError`` and lenient's one too or an AReq without
    them; an error that names none of them (no 203 of theirs, or a worse class) is the same."""
    if strict[0] == "ok":
        assert lenient == strict and strict[3] == ()
    elif strict[0] == "error":
        assert lenient == strict
    elif lenient[0] == "ok":
        dropped = lenient[3]
        assert dropped and strict[1] is ErrorCode.FORMAT_INVALID
        names, reason = strict[2].split(": ", 1)
        assert names.split(",") == list(dropped) and reason.startswith("not defined in ")
    else:
        assert lenient[0] == "depends" and strict[0] == "depends"
        assert lenient[3:] == strict[3:]  # the same envelope, ids and acctNumber


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    for key, value in node.items() if isinstance(node, dict) else enumerate(node):
        yield (*prefix, key)
        if isinstance(value, dict | list):
            yield from _paths(value, (*prefix, key))


emptyish: st.SearchStrategy[Any] = st.sampled_from(
    [None, "", [], {}, " ", 0, False, "\u00e9", "a:b"]
)


_KNOWN = sorted(fields.AREQ_FIELD_NAMES | {s.name for r in fields.AREQ for s in r.sub})


def _edit(draw: st.DrawFn, message: dict[str, Any]) -> None:
    """Empty, add (a known name or not), replace or remove one member anywhere."""
    path = draw(st.sampled_from(list(_paths(message))))
    parent: Any = message
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["empty", "add", "replace", "drop"]))
    if action == "empty":
        parent[path[-1]] = draw(emptyish)
    elif action == "replace":
        parent[path[-1]] = draw(json_values)
    elif action == "drop":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        name = draw(st.sampled_from(_KNOWN) | st.text(max_size=6))
        parent[name] = draw(emptyish | json_values)


@st.composite
def edited_areqs(draw: st.DrawFn) -> str:
    """Valid AReqs with members emptied, added (known or not), replaced or removed anywhere."""
    message = samples.areq(*draw(combos))
    for _ in range(draw(st.integers(1, 4))):
        _edit(draw, message)
    return json.dumps(message, ensure_ascii=draw(st.booleans()))


# Elements as some version defines them, valid there (a few not: "999" is no country), by
# dotted path; each is of another version in at least one version's AReq.
OTHER_VERSION_ELEMENTS: list[tuple[str, Any]] = [
    ("whiteListStatus", "Y"),
    ("whiteListStatusSource", "01"),
    ("trustListStatus", "N"),
    ("trustListStatusSource", "02"),
    ("threeDSMethodId", "6f3e5a8c-0d7b-4c1e-9a2f-3b4c5d6e7f80"),
    ("threeDSRequestorDecReqInd", "N"),
    ("threeDSRequestorDecReqInd", "B"),  # 2.3.1 only
    ("threeDSRequestorDecMaxTime", "00060"),
    ("threeDSReqAuthMethodInd", "02"),
    ("browserJavascriptEnabled", True),
    ("payTokenSource", "01"),
    ("recurringInd", {"amountInd": "01", "frequencyInd": "02"}),
    ("recurringInd", {"amountInd": "1"}),
    ("sellerInfo", [{"sellerName": "Corner Shop", "sellerAddrCountry": "826"}]),
    ("sellerInfo", [{"sellerName": "Corner Shop", "sellerAddrCountry": "999"}]),
    ("sellerInfo", [{"sellerAddrCountry": "826"}]),  # sellerName is required
    ("acceptLanguage", ["en-GB"]),
    ("acquirerCountryCode", "826"),
    ("acquirerCountryCode", "999"),
    ("cardSecurityCode", "123"),
    ("deviceBindingStatus", "01"),
    ("deviceBindingStatusSource", "01"),
    ("payTokenInfo", {"token": "x"}),
    ("sdkType", "01"),
    ("taxId", "GB123456789"),
    ("acctInfo.chAccReqID", "request-1"),
    ("merchantRiskIndicator.transChar", ["01"]),
    ("merchantRiskIndicator.shipIndicator", "09"),  # 2.3.1's values: invalid in 2.1.0/2.2.0
    ("deviceRenderOptions.sdkAuthenticationType", ["01"]),
    ("threeDSRequestorAuthenticationInfo.dsAuthInfVerifInd", "01"),
]


@st.composite
def other_version_areqs(draw: st.DrawFn) -> str:
    """Valid AReqs with elements of other versions (valid there or not), and maybe more edits."""
    message = samples.areq(*draw(combos))
    chosen = draw(st.lists(st.sampled_from(OTHER_VERSION_ELEMENTS), min_size=1, max_size=4))
    for path, value in chosen:
        *parents, name = path.split(".")
        parent: Any = message
        for part in parents:
            parent = parent.get(part) if isinstance(parent, dict) else None
            parent = parent[0] if isinstance(parent, list) and parent else parent
        if isinstance(parent, dict):
            parent[name] = draw(st.just(value) | json_values) if draw(st.booleans()) else value
    for _ in range(draw(st.integers(0, 2))):
        _edit(draw, message)
    return json.dumps(message, ensure_ascii=draw(st.booleans()))


@FUZZ
@given(edited_areqs())
def test_fast_paths_answer_like_the_full_walk(body: str) -> None:
    _same_without_fast_paths(body)


@FUZZ
@given(mutated_areqs())
def test_fast_paths_answer_like_the_full_walk_on_mutations(body: str) -> None:
    _same_without_fast_paths(body)


@FUZZ
@given(other_version_areqs())
def test_fast_paths_answer_like_the_full_walk_with_other_version_elements(body: str) -> None:
    _same_without_fast_paths(body)


@pytest.mark.parametrize("combo", samples.ALL_COMBINATIONS)
def test_fast_paths_answer_like_the_full_walk_on_samples(combo: tuple[str, str, str]) -> None:
    message = samples.areq(*combo)
    _same_without_fast_paths(json.dumps(message))
    message["zzUnknown"] = ""  # unknown names may be empty: no Struct reads them
    message["acctID"] = ""
    _same_without_fast_paths(json.dumps(message))


# --------------------------------------------------------------- checks vs the definitions


def _all_rows() -> Iterator[FieldSpec]:
    stack = list(fields.AREQ)
    while stack:
        row = stack.pop()
        yield row
        stack.extend(row.sub)


def _reference(spec: FieldSpec, value: object) -> bool:
    """The string rules of a row, read plainly off the table."""
    if not isinstance(value, str):
        return False
    if spec.values is not None and spec.pattern is None and spec.fmt is None:
        return value in spec.values
    hi = spec.max_len if spec.max_len is not None else len(value)
    if not spec.min_len <= len(value) <= hi:
        return False
    if spec.pattern is not None and spec.pattern.fullmatch(value) is None:
        return False
    if spec.values is not None and value not in spec.values:
        return False
    if spec.int_range is not None:
        first, last = spec.int_range
        if not (value.isascii() and value.isdigit() and first <= int(value) <= last):
            return False
    return spec.fmt is None or fields._STRING_FORMATS[spec.fmt](value)


def _candidates(spec: FieldSpec) -> list[object]:
    found: list[object] = ["".join(p) for n in range(5) for p in product("0123456789", repeat=n)]
    found += sorted(spec.values or ())
    found += [
        "+12", "-0", "\uff11\uff12", "\u0661\u0662", "1 ", " 1", "1\n", "Y", "N", "y", "AReq",
        "x" * 40, "x" * 41, "\u00e9" * 45, "https://a.example/x?y#z", "HTTP://A", "http://a b",
        "https://user@host", "a@b", "a@b@c", "a b@c", "192.0.2.1", "::1", "01.2.3.4",
        "fe80::1%eth0", "256.1.1.1", str(uuid.uuid4()), str(uuid.uuid4()).upper(), "20240229",
        "20230229", "00000101", "20231301", "202312312359", "202312312400", "20231231235960",
        "2312", "2313", "2300", "eyJhIjoxfQ", "eyJhIjoxfQ==", "W10", None, 1, True, [], {},
    ]  # fmt: skip
    return found


def _string_rows() -> list[FieldSpec]:
    return sorted(
        {r for r in _all_rows() if r.kind in (Kind.STRING, Kind.STRING_ARRAY)},
        key=lambda r: (r.name, repr(r)),
    )


def _registry_ok(spec: FieldSpec, value: object) -> bool:
    registry = fields._registry(spec)
    return registry is None or (isinstance(value, str) and registry(value))


def _truth(check: fields.Check, value: object) -> bool:
    return bool(check(value))


@pytest.mark.parametrize("spec", _string_rows(), ids=lambda r: r.name)
def test_string_checks_follow_the_table(spec: FieldSpec) -> None:
    check, fast = fields._checks_of(spec)
    item_check = fields._string_check(spec)
    split = fields._string_split(spec)
    shape = msgspec.defstruct("One", [("v", split[0])]) if split is not None else None
    for value in _candidates(spec):
        expected = _reference(spec, value)
        assert item_check(value) == expected, value
        if spec.kind is Kind.STRING:
            assert check(value) == expected, value
            valid = expected and _registry_ok(spec, value) and not fields.is_empty(value)
            assert _truth(fast, value) == valid, value
            if split is not None and shape is not None:  # the shape's type, then Python
                try:
                    msgspec.convert({"v": value}, shape)
                except msgspec.ValidationError:
                    accepted = False
                else:
                    accepted = split[1] is None or bool(split[1](value))  # type: ignore[arg-type]
                assert accepted == valid, value


def test_format_patterns_are_the_formats() -> None:
    samples_ = ["https://a.example/p?q", "HTTPS://A", "http://a@b", "\u017ftp://x", "a@b", "a@",
                "@b", "a b@c", str(uuid.uuid4()), "x" * 36]  # fmt: skip
    for fmt, pattern in fields._FORMAT_PATTERNS.items():
        for value in samples_:
            assert (pattern.fullmatch(value) is not None) == fields._STRING_FORMATS[fmt](value)


def _dates(years: Iterator[int], month_days: Iterator[str]) -> Iterator[str]:
    return (f"{y:04d}{md}" for y, md in product(years, month_days))


def test_date_patterns_are_the_calendar() -> None:
    grid = [f"{m:02d}{d:02d}" for m in range(14) for d in range(33)]
    edges = ["0000", "0101", "0228", "0229", "0230", "0431", "1231", "1232"]
    years = [*range(11), *range(96, 105), *range(396, 405), *range(1896, 1905), *range(1996, 2105)]
    values = [*_dates(iter(years), iter(grid)), *_dates(iter(range(10000)), iter(edges))]
    date_rx = fields._FORMAT_PATTERNS[Fmt.DATE]
    for value in values:
        assert (date_rx.fullmatch(value) is not None) == fields._is_date(value), value
    times = [f"{h:02d}{m:02d}" for h in range(26) for m in range(0, 62, 7)] + ["2359", "2400"]
    stamp_rx = fields._FORMAT_PATTERNS[Fmt.TIMESTAMP]
    time_rx = fields._FORMAT_PATTERNS[Fmt.DATETIME]
    for day, hhmm in product(["20240229", "20230229", "20231231", "00000101"], times):
        assert (stamp_rx.fullmatch(day + hhmm) is not None) == fields._is_timestamp(day + hhmm)
        for ss in ("00", "59", "60"):
            value = day + hhmm + ss
            assert (time_rx.fullmatch(value) is not None) == fields._is_datetime(value), value
    yymm_rx = fields._FORMAT_PATTERNS[Fmt.YYMM]
    for n in range(10000):
        assert (yymm_rx.fullmatch(f"{n:04d}") is not None) == fields._is_yymm(f"{n:04d}")


def test_finite_patterns_expand_to_exactly_their_matches() -> None:
    patterns = {r.pattern.pattern: r.pattern for r in _all_rows() if r.pattern is not None}
    expanded = 0
    for pattern in patterns.values():
        words = fields._finite_language(pattern)
        if words is None:
            continue
        expanded += 1
        alphabet = sorted({c for w in words for c in w} | set("09aZ+-"))
        longest = max(map(len, words))
        for n in range(longest + 2):
            for chars in product(alphabet, repeat=n):
                word = "".join(chars)
                assert (pattern.fullmatch(word) is not None) == (word in words), (pattern, word)
    assert expanded >= 20


def test_other_patterns_are_not_expanded() -> None:
    for source in (r"[+-]?[0-9]{1,4}", r"[0-9]{1,48}", r"a*", r"(ab)", r"[^0]", r"0|"):
        assert fields._finite_language(re.compile(source, re.ASCII)) is None
    assert fields._finite_language(re.compile("0[1-2]", re.IGNORECASE)) is None


def _struct_names(t: msgspec.inspect.Type, table: set[str], found: list[str]) -> None:
    """Struct fields missing from the table, recursively through the sub-object types."""
    if isinstance(t, msgspec.inspect.StructType):
        for f in t.fields:
            if f.name not in table:
                found.append(f.name)
            rows = [s for r in _all_rows() if r.name == f.name for s in r.sub]
            _struct_names(f.type, {s.name for s in rows}, found)
    for inner in getattr(t, "types", ()) or ():
        _struct_names(inner, table, found)
    item = getattr(t, "item_type", None)
    if item is not None:
        _struct_names(item, table, found)


def test_structs_read_only_table_names() -> None:
    """The fast path keeps empty members of unknown names (the full walk drops them): that is
    only invisible while no Struct reads a name the tables do not define."""
    found: list[str] = []
    table = set(fields.AREQ_FIELD_NAMES | fields.ENVELOPE)
    _struct_names(msgspec.inspect.type_info(messages.AReq), table, found)
    assert found == []


def test_no_value_has_the_never_type() -> None:
    shape = msgspec.defstruct("Never", [("v", fields.NEVER)])
    values: tuple[object, ...] = ("", "x", None, 0, [], {}, True)
    for value in values:
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({"v": value}, shape)
