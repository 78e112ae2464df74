"""Compile ``when`` trees into Python closures, checking every field, operator and value at load.

A tree is ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}`` or a leaf ``{field, op, value}``.
There is no ``eval`` and no free-form expression: each leaf becomes one small closure chosen from
a fixed table by (field type, operator). Errors carry the YAML path and, for an unknown field or
operator, the nearest valid name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from acs.risk.fields import REGISTRY, Facts, FieldType

Test = Callable[[Facts], bool]


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IN = "in"
    NOT_IN = "not_in"
    BETWEEN = "between"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    MATCHES = "matches"
    EXISTS = "exists"


_ORDERING = {Op.LT, Op.LE, Op.GT, Op.GE}
_ALLOWED: dict[FieldType, set[Op]] = {
    FieldType.NUMBER: {Op.EQ, Op.NE, *_ORDERING, Op.IN, Op.NOT_IN, Op.BETWEEN, Op.EXISTS},
    FieldType.STRING: {Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.PREFIX, Op.SUFFIX, Op.MATCHES, Op.EXISTS},
    FieldType.BOOL: {Op.EQ, Op.NE, Op.EXISTS},
    FieldType.LIST: {Op.EQ, Op.IN, Op.NOT_IN, Op.EXISTS},
}


class RuleError(ValueError):
    def __init__(self, path: str, reason: str, suggestion: str | None = None) -> None:
        self.path, self.reason, self.suggestion = path, reason, suggestion
        text = f"{path}: {reason}"
        super().__init__(f"{text} (did you mean {suggestion!r}?)" if suggestion else text)


@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    op: Op
    value: Any
    test: Test
    shown: Any = None  # ``value`` as traces show it (JSON-ready), worked out once
    op_text: str = ""  # ``op.value``, read once: traces show it on every decision


@dataclass(frozen=True, slots=True)
class Group:
    kind: str  # all | any | not
    children: tuple[Node, ...]
    test: Test


Node = Leaf | Group


def _nearest(word: str, choices: list[str]) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return found[0] if found else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(path: str, kind: FieldType, op: Op, value: Any) -> Any:
    """Return the value in the form the closure wants, or raise a RuleError that says why."""
    if op is Op.EXISTS:
        if value is None:
            return True
        if not isinstance(value, bool):
            raise RuleError(f"{path}.value", "exists takes true or false")
        return value
    if op in (Op.IN, Op.NOT_IN) or (op is Op.EQ and kind is FieldType.LIST):
        if not isinstance(value, list) or not value:
            raise RuleError(f"{path}.value", f"{op.value} takes a non-empty list")
        item_kind = FieldType.STRING if kind is FieldType.LIST else kind
        return frozenset(_scalar(f"{path}.value[{n}]", item_kind, v) for n, v in enumerate(value))
    if op is Op.BETWEEN:
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))):
            raise RuleError(f"{path}.value", "between takes [low, high], two numbers")
        if value[0] > value[1]:
            raise RuleError(f"{path}.value", "between: low is greater than high")
        return (float(value[0]), float(value[1]))
    if op is Op.MATCHES:
        if not isinstance(value, str):
            raise RuleError(f"{path}.value", "matches takes a regular expression string")
        try:
            return re.compile(value)
        except re.error as exc:
            raise RuleError(f"{path}.value", f"invalid regular expression: {exc}") from exc
    return _scalar(f"{path}.value", kind, value)


def _scalar(path: str, kind: FieldType, value: Any) -> Any:
    if kind is FieldType.NUMBER:
        if not _is_number(value):
            raise RuleError(path, f"expected a number, got {value!r}")
        return float(value)
    if kind is FieldType.BOOL:
        if not isinstance(value, bool):
            raise RuleError(path, f"expected true or false, got {value!r}")
        return value
    if not isinstance(value, str):
        hint = (
            f"quote it: '{value:02d}'"
            if isinstance(value, int) and not isinstance(value, bool)
            else None
        )
        raise RuleError(path, f"expected a string, got {value!r}", hint)
    return value


def _leaf_test(name: str, kind: FieldType, op: Op, value: Any) -> Test:
    """The closure for one leaf. Missing values (None) match nothing except ``exists: false``."""

    def read(f: Facts) -> Any:
        return f.get(name)

    if op is Op.EXISTS:
        want = bool(value)
        if kind is FieldType.LIST:
            return lambda f: bool(read(f)) is want
        return lambda f: (read(f) is not None) is want
    if kind is FieldType.LIST:
        if op is Op.EQ:
            return lambda f: (v := read(f)) is not None and frozenset(v) == value
        if op is Op.IN:
            return lambda f: (v := read(f)) is not None and not value.isdisjoint(v)
        return lambda f: (v := read(f)) is not None and value.isdisjoint(v)
    # None (missing) never equals, nor is in, a checked value, so these need no None test.
    if op is Op.EQ:
        return lambda f: f.get(name) == value
    if op is Op.IN:
        return lambda f: f.get(name) in value
    # One closure per operator, with the comparison written in: no second call per condition.
    get = Facts.get
    if op is Op.NE:
        return lambda f: (v := get(f, name)) is not None and v != value
    if op is Op.LT:
        return lambda f: (v := get(f, name)) is not None and v < value
    if op is Op.LE:
        return lambda f: (v := get(f, name)) is not None and v <= value
    if op is Op.GT:
        return lambda f: (v := get(f, name)) is not None and v > value
    if op is Op.GE:
        return lambda f: (v := get(f, name)) is not None and v >= value
    if op is Op.NOT_IN:
        return lambda f: (v := get(f, name)) is not None and v not in value
    if op is Op.BETWEEN:
        low, high = value
        return lambda f: (v := get(f, name)) is not None and low <= v <= high
    if op is Op.PREFIX:
        return lambda f: (v := get(f, name)) is not None and v.startswith(value)
    if op is Op.SUFFIX:
        return lambda f: (v := get(f, name)) is not None and v.endswith(value)
    return lambda f: (v := get(f, name)) is not None and value.search(v) is not None


def compile_when(raw: Any, path: str, windows: Collection[str] | None = None) -> Node | None:
    """``windows``: the velocity windows the rule set's policy defines (None: any registered);
    a rule that reads another window is refused, as it would read nothing."""
    if raw is None:
        return None
    return _compile(raw, path, windows)


def _compile(raw: Any, path: str, windows: Collection[str] | None) -> Node:
    if not isinstance(raw, dict):
        raise RuleError(
            path,
            "expected a mapping: {all: [...]}, {any: [...]}, {not: {...}} or {field, op, value}",
        )
    groups = [k for k in ("all", "any", "not") if k in raw]
    if groups:
        if len(raw) != 1:
            raise RuleError(path, f"'{groups[0]}' must be the only key here, found {sorted(raw)}")
        return _group(groups[0], raw[groups[0]], f"{path}.{groups[0]}", windows)
    return _leaf(raw, path, windows)


def _group(kind: str, body: Any, path: str, windows: Collection[str] | None) -> Group:
    if kind == "not":
        child = _compile(body, path, windows)
        inner = child.test
        return Group("not", (child,), lambda f: not inner(f))
    if not isinstance(body, list) or not body:
        raise RuleError(path, f"'{kind}' takes a non-empty list of conditions")
    children = tuple(_compile(item, f"{path}[{n}]", windows) for n, item in enumerate(body))
    return Group(kind, children, _combine(kind, tuple(c.test for c in children)))


def _combine(kind: str, tests: tuple[Test, ...]) -> Test:
    """all/any without a generator per call: the common short groups are unrolled."""
    if kind == "all":
        if len(tests) == 1:
            return tests[0]
        if len(tests) == 2:
            a, b = tests
            return lambda f: a(f) and b(f)
        if len(tests) == 3:
            a, b, c = tests
            return lambda f: a(f) and b(f) and c(f)

        def every(f: Facts) -> bool:
            for t in tests:  # noqa: SIM110 - a loop, not all(<generator>): no allocation per call
                if not t(f):
                    return False
            return True

        return every
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda f: a(f) or b(f)

    def some(f: Facts) -> bool:
        for t in tests:  # noqa: SIM110 - see every()
            if t(f):
                return True
        return False

    return some


def _leaf(raw: dict[str, Any], path: str, windows: Collection[str] | None) -> Leaf:
    unknown = set(raw) - {"field", "op", "value"}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(
            f"{path}.{key}",
            "unknown key",
            _nearest(key, ["field", "op", "value", "all", "any", "not"]),
        )
    name = raw.get("field")
    if not isinstance(name, str):
        raise RuleError(f"{path}.field", "missing field name")
    window = name.split(".")[1] if name.startswith("velocity.") and name.count(".") == 2 else None
    if window is not None and windows is not None and window not in windows:
        have = ", ".join(sorted(windows)) or "none"
        raise RuleError(
            f"{path}.field",
            f"{name} reads the velocity window {window!r}, which this rule set's policy does not "
            f"define (it has: {have}); add it under policy.velocity, or take the policy of a "
            "manifest with policy: rulesets.yaml",
        )
    if name not in REGISTRY:
        raise RuleError(f"{path}.field", f"unknown field {name!r}", _nearest(name, list(REGISTRY)))
    try:
        op = Op(str(raw.get("op")))
    except ValueError as exc:
        given = str(raw.get("op"))
        operators = [o.value for o in Op]
        raise RuleError(
            f"{path}.op",
            f"unknown operator {given!r}; use one of {', '.join(operators)}",
            _nearest(given, operators),
        ) from exc
    kind = REGISTRY[name].type
    if op not in _ALLOWED[kind]:
        allowed = ", ".join(sorted(o.value for o in _ALLOWED[kind]))
        raise RuleError(
            f"{path}.op",
            f"{op.value} does not apply to {kind.value} field {name}; use one of {allowed}",
        )
    if "value" not in raw and op is not Op.EXISTS:
        raise RuleError(f"{path}.value", f"{op.value} needs a value")
    value = _check_value(path, kind, op, raw.get("value"))
    return Leaf(name, op, value, _leaf_test(name, kind, op, value), _shown(value), op.value)


def _shown(expected: Any) -> Any:
    if isinstance(expected, frozenset):
        return sorted(shown_number(v) for v in expected)
    if isinstance(expected, re.Pattern):
        return expected.pattern
    if isinstance(expected, tuple):
        return [shown_number(v) for v in expected]
    return shown_number(expected)


def shown_number(value: Any) -> Any:
    """A number as the AReq and the rule file wrote it: 3, not 3.0 (fields read numbers as
    floats, so that every comparison is float against float)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _leaf_row(node: Leaf, facts: Facts) -> dict[str, Any]:
    return {
        "field": node.field,
        "op": node.op_text,
        "expected": node.shown,
        "actual": shown_number(facts.get(node.field)),
        "result": node.test(facts),
    }


def explain(node: Node, facts: Facts, negated: bool = False) -> list[dict[str, Any]]:
    """Every leaf under ``node`` with its expected value, actual value and result (for the
    stored trace). A leaf under a ``not`` says so (``negated``): its False is the rule's True."""
    if isinstance(node, Leaf):
        row = _leaf_row(node, facts)
        if negated:
            row["negated"] = True
        return [row]
    rows: list[dict[str, Any]] = []
    for child in node.children:
        rows += explain(child, facts, negated ^ (node.kind == "not"))
    return rows


def tree(node: Node, facts: Facts) -> dict[str, Any]:
    """The condition as a tree, each node with the value it took: a leaf's row, or
    ``{group: all|any|not, result, children}``. Every child is evaluated (no short cut), so
    the tree shows every condition of the rule."""
    if isinstance(node, Leaf):
        return _leaf_row(node, facts)
    return {
        "group": node.kind,
        "result": node.test(facts),
        "children": [tree(child, facts) for child in node.children],
    }


def first_failure(node: Node, facts: Facts) -> dict[str, Any]:
    """Why a condition that is false is false: down an ``all`` to its first false child; an
    ``any`` (every child false) or a ``not`` (its child true) is shown whole."""
    if isinstance(node, Group) and node.kind == "all":
        for child in node.children:
            if not child.test(facts):
                return first_failure(child, facts)
    return tree(node, facts)


def fields_used(node: Node | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, Leaf):
        return {node.field}
    return set().union(*(fields_used(c) for c in node.children))
