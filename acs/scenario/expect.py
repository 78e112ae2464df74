"""Expectations: ``path: value`` pairs checked against a message the ACS sent.

A path is a field name, dotted into objects and indexed into lists
(``acsRenderingType.acsUiTemplate``, ``challengeSelectInfo[0]``). A value is compared as it is;
``null`` means the field must be absent; a mapping holds one operator::

    eci: {present: true}          transStatus: {in: ["Y", "A"]}
    authenticationValue: {matches: "^[A-Za-z0-9+/]{28}$"}
    challengeInfoText: {contains: "SMS"}      transStatusReason: {not: "01"}
    challengeSelectInfo: {len: 3}

Paths are checked when the scenario loads, against the protocol Structs of the message the step
reads (``acs.protocol.messages``): an unknown field, a code that is not one of its enum's
values, or a wire code written as a YAML number is an ``ExpectError`` saying what to write.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import msgspec

from acs.issuer.config_files import concrete

OPERATORS = ("present", "in", "matches", "contains", "startswith", "not", "len")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


class ExpectError(ValueError):
    """An expectation that cannot be checked as written; the message says what to write."""


@dataclass(frozen=True, slots=True)
class Check:
    path: str
    parts: tuple[str | int, ...]
    op: str  # "eq", "absent" or one of OPERATORS
    value: Any

    def failure(self, message: Mapping[str, Any]) -> str | None:
        """None when ``message`` meets it, else what was expected and what came."""
        actual = _lookup(message, self.parts)
        shown = "absent" if actual is _MISSING else repr(actual)
        if self.op == "absent":
            return None if actual is _MISSING else f"{self.path}: expected absent, got {shown}"
        if self.op == "present":
            ok = (actual is not _MISSING) == bool(self.value)
            return None if ok else f"{self.path}: expected {'present' if self.value else 'absent'}"
        if actual is _MISSING:
            return f"{self.path}: expected {self._wanted()}, but the field is absent"
        ok = _holds(self.op, actual, self.value)
        return None if ok else f"{self.path}: expected {self._wanted()}, got {shown}"

    def _wanted(self) -> str:
        return repr(self.value) if self.op == "eq" else f"{self.op} {self.value!r}"


def _holds(op: str, actual: Any, value: Any) -> bool:
    if op == "eq":
        return bool(actual == value)
    if op == "in":
        return actual in value
    if op == "not":
        return bool(actual != value)
    if op == "len":
        return isinstance(actual, list | str | dict) and len(actual) == value
    if op == "contains":
        return isinstance(actual, str | list) and value in actual
    if not isinstance(actual, str):
        return False
    return bool(re.search(value, actual)) if op == "matches" else actual.startswith(value)


def _lookup(message: Any, parts: Sequence[str | int]) -> Any:
    value = message
    for part in parts:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def _split(path: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    pos = 0
    for m in _PART.finditer(path):
        if m.start() != pos and path[pos : m.start()] != ".":
            break
        parts.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
    if not parts or pos != len(path) or isinstance(parts[0], int):
        raise ExpectError(
            f"{path!r} is not a path: write field names joined by dots, with [n] for a list "
            "item (acsRenderingType.acsUiTemplate, challengeSelectInfo[0])"
        )
    return tuple(parts)


def _fields(kind: Any) -> dict[str, Any] | None:
    """A Struct's fields by wire name, with their types; None for what is not a Struct."""
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return {f.encode_name: f.type for f in msgspec.structs.fields(kind)}
    return None


def _field_type(schemas: Sequence[Any], parts: tuple[str | int, ...], path: str) -> Any:
    """The type a path leads to in any of ``schemas`` (Structs, or a dict of names to types);
    ExpectError with the nearest names when it leads nowhere. Any: not checked further."""
    names: dict[str, Any] = {}
    for schema in schemas:
        names |= schema if isinstance(schema, dict) else (_fields(schema) or {})
    first = parts[0]
    assert isinstance(first, str)
    if first not in names:
        near = difflib.get_close_matches(first, list(names), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(near)}?" if near else f"fields: {', '.join(sorted(names))}"
        raise ExpectError(f"{path}: no field {first!r} in this message ({hint})")
    kind = concrete(names[first])
    for part in parts[1:]:
        origin = typing.get_origin(kind)
        if isinstance(part, int):
            if origin is not list:
                raise ExpectError(f"{path}: [{part}] indexes a field that is not a list")
            kind = concrete(typing.get_args(kind)[0])
        elif (inner := _fields(kind)) is not None:
            if part not in inner:
                near = difflib.get_close_matches(part, list(inner), n=1, cutoff=0.6)
                hint = f" (did you mean {near[0]}?)" if near else f" (fields: {', '.join(inner)})"
                raise ExpectError(f"{path}: no field {part!r} there{hint}")
            kind = concrete(inner[part])
        elif origin is dict or kind is Any or isinstance(kind, types.UnionType):
            return Any
        else:
            raise ExpectError(f"{path}: .{part} reads into a field that is not an object")
    return kind


def _check_value(path: str, kind: Any, value: Any) -> None:
    """A value the field can hold: an enum's code, a string where the wire has a string."""
    if isinstance(kind, type) and issubclass(kind, Enum):
        codes = [str(m.value) for m in kind]
        if str(value) not in codes or not isinstance(value, str):
            raise ExpectError(
                f"{path}: {value!r} is not a {kind.__name__}; write one of {', '.join(codes)} "
                "(quoted: YAML reads 05 as the number 5)"
            )
    elif kind is str and not isinstance(value, str):
        raise ExpectError(
            f"{path}: {value!r} is a YAML {type(value).__name__}, the field is a string: "
            "write the value in quotes, as sent (YAML reads 05 as the number 5)"
        )


def compile_expect(spec: Mapping[str, Any], schemas: Sequence[Any]) -> list[Check]:
    """The checks of an ``expect`` mapping, for a message described by ``schemas``."""
    checks = []
    for path, wanted in spec.items():
        if not isinstance(path, str):
            raise ExpectError(f"{path!r}: a path is a field name, such as transStatus")
        parts = _split(path)
        kind = _field_type(schemas, parts, path)
        if wanted is None:
            checks.append(Check(path, parts, "absent", None))
            continue
        operator = (
            isinstance(wanted, Mapping) and len(wanted) == 1 and next(iter(wanted)) in OPERATORS
        )
        if isinstance(wanted, Mapping) and (
            operator or (kind is not Any and _fields(kind) is None)
        ):
            if not operator:
                given = ", ".join(map(str, wanted)) or "nothing"
                near = difflib.get_close_matches(str(next(iter(wanted), "")), OPERATORS, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                raise ExpectError(
                    f"{path}: {{{given}}}: give one operator of {', '.join(OPERATORS)}{hint}"
                )
            op, arg = next(iter(wanted.items()))
            _check_operator(path, kind, op, arg)
            checks.append(Check(path, parts, op, arg))
            continue
        _check_value(path, kind, wanted)
        checks.append(Check(path, parts, "eq", wanted))
    return checks


def _check_operator(path: str, kind: Any, op: str, arg: Any) -> None:
    if op == "present" and not isinstance(arg, bool):
        raise ExpectError(f"{path}: present takes true or false")
    if op == "in":
        if not isinstance(arg, list) or not arg:
            raise ExpectError(f'{path}: in takes a list of values, such as ["Y", "A"]')
        for item in arg:
            _check_value(path, kind, item)
    if op == "not":
        _check_value(path, kind, arg)
    if op in ("matches", "contains", "startswith") and not isinstance(arg, str):
        raise ExpectError(f"{path}: {op} takes a string")
    if op == "matches":
        try:
            re.compile(arg)
        except re.error as exc:
            raise ExpectError(f"{path}: {arg!r} is not a regular expression: {exc}") from exc
    if op == "len" and (not isinstance(arg, int) or isinstance(arg, bool) or arg < 0):
        raise ExpectError(f"{path}: len takes a whole number")


def failures(checks: Sequence[Check], message: Mapping[str, Any]) -> list[str]:
    return [f for check in checks if (f := check.failure(message)) is not None]
