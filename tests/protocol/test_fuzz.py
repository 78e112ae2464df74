"""Property tests: any input gives an AReq or a ProtocolError - never another exception."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.protocol.errors import ProtocolError, erro_message
from acs.protocol.messages import AReq
from acs.protocol.validate import PRIORITY, parse_areq
from tests.protocol import samples

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "01", "02", "03", "Y", "N", "2.2.0", "AReq", "978", "999", "0001"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
combos = st.sampled_from(samples.ALL_COMBINATIONS)


def check(body: bytes | str) -> AReq | ProtocolError:
    """The contract: an AReq, or a ProtocolError that makes a well-formed Erro."""
    try:
        areq = parse_areq(body)
    except ProtocolError as err:
        assert err.code in PRIORITY
        assert isinstance(err.detail, str) and err.detail.isascii()
        msgspec.json.encode(erro_message(err))
        return err
    assert isinstance(areq, AReq)
    msgspec.json.encode(areq)  # what we accepted can be sent on
    return areq


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(body: bytes) -> None:
    check(body)


@FUZZ
@given(json_values)
def test_random_json_values(value: Any) -> None:
    check(json.dumps(value))


@FUZZ
@given(combos, st.dictionaries(st.text(max_size=30), json_values, max_size=8))
def test_random_fields_around_a_valid_envelope(combo: tuple[str, str, str], extra: Any) -> None:
    version, channel, category = combo
    message = {
        "messageType": "AReq",
        "messageVersion": version,
        "deviceChannel": channel,
        "messageCategory": category,
        **extra,
    }
    check(json.dumps(message))


# --------------------------------------------------------------- mutations of valid AReqs


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path in a message, nested ones included."""
    found: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        path = (*prefix, key)
        found.append(path)
        if isinstance(value, dict | list):
            found.extend(_paths(value, path))
    return found


def _retype(value: Any) -> Any:
    """The same content with another JSON type."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return int(value) if value.isdigit() else [value]
    if isinstance(value, list):
        return value[0] if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return str(value)


@st.composite
def mutated_areqs(draw: st.DrawFn) -> str:
    message = samples.areq(*draw(combos))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(message)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = message
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["drop", "replace", "retype", "empty"]))
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "retype":
            parent[key] = _retype(parent[key])
        else:
            parent[key] = draw(st.sampled_from([None, "", [], {}]))
    text = json.dumps(message)
    if draw(st.booleans()):  # sometimes repeat a key, as json.dumps never would
        key = draw(st.sampled_from(sorted(message) or ["x"]))
        text = (
            text[:-1] + f', "{key}": {json.dumps(draw(json_scalars))}}}' if text != "{}" else text
        )
    return text


@FUZZ
@given(mutated_areqs())
def test_mutated_valid_areqs(body: str) -> None:
    check(body)


@FUZZ
@given(combos, st.data())
def test_single_field_replacement(combo: tuple[str, str, str], data: st.DataObject) -> None:
    message = samples.areq(*combo)
    name = data.draw(st.sampled_from(sorted(message)))
    message[name] = data.draw(json_values)
    result = check(json.dumps(message))
    if isinstance(result, ProtocolError):
        assert result.detail.split(":")[0]  # some field (or envelope value) is named
