"""Loading the issuer directory from ``config/``: card ranges, cardholders, test-card catalog.

A bad file stops start-up with the file, the path inside it and the reason, for example
``config/card-ranges.yaml: ranges[1].scheme: Invalid enum value 'visaa'``.
"""

from __future__ import annotations

import difflib
import itertools
import re
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import yaml

from acs.issuer.models import (
    CardholderInput,
    CardRange,
    ChallengeProfile,
    TestCard,
    pan_position,
)

RANGES_FILE = "card-ranges.yaml"
CARDHOLDERS_FILE = "cardholders.yaml"
PROFILES_FILE = "challenge-profiles.yaml"
CATALOG_FILE = "test-cards.yaml"

T = TypeVar("T")


class ConfigError(ValueError):
    def __init__(self, file: Path | str, path: str, reason: str) -> None:
        self.file, self.path, self.reason = str(file), path, reason
        super().__init__(f"{file}: {path}: {reason}" if path else f"{file}: {reason}")


@dataclass(frozen=True, slots=True)
class IssuerConfig:
    ranges: list[CardRange]
    cardholders: list[CardholderInput]
    catalog: list[TestCard]
    source: Path
    profiles: dict[str, ChallengeProfile] = field(default_factory=dict)


def _read_yaml(file: Path) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(file, "", "file missing") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(file, "", yaml_problem(exc)) from exc


def msgspec_path(exc: msgspec.ValidationError) -> tuple[str, str]:
    """Split msgspec's "reason - at `$.a[0].b`" into ("a[0].b", "reason"); a missing or unknown
    member is named too ("Object missing required field `x` - at `$.a`" is "a.x")."""
    text = str(exc)
    m = re.search(r" - at `(key` in `)?\$\.?(.*)`$", text)
    where, reason = ("", text) if not m else (m.group(2), text[: m.start()])
    if m and m.group(1):
        where += " (a key)"
    member = re.match(r"Object (?:missing required|contains unknown) field `([^`]+)`", reason)
    if member:
        where = f"{where}.{member.group(1)}" if where else member.group(1)
    return where, reason


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML syntax error as "line L, column C: problem" (PyYAML names the stream, not the
    file, and the caller names the file)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return f"not valid YAML: {problem}"
    context = getattr(exc, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return f"not valid YAML at {where}: {problem}" + (f" ({context})" if context else "")


def explain(kind: Any, where: str, reason: str) -> str:
    """msgspec's reason, with what would have been right: an enum's valid values, the nearest
    name to an unknown field. ``kind`` is the type converted to; ``where`` the path in it."""
    target = _type_at(kind, where)
    enum = isinstance(target, type) and issubclass(target, Enum)
    if reason.startswith("Invalid enum value") and enum:
        return f"{reason}; use one of {', '.join(str(m.value) for m in target)}"
    unknown = re.match(r"Object contains unknown field `([^`]+)`", reason)
    if unknown:
        parent = _type_at(kind, where.rpartition(".")[0] if "." in where else "")
        names = list(getattr(parent, "__struct_fields__", ()))
        near = difflib.get_close_matches(unknown.group(1), names, n=1, cutoff=0.6)
        if near:
            return f"{reason} (did you mean `{near[0]}`?)"
    return reason


def _type_at(kind: Any, where: str) -> Any:
    """The type at a path such as ``rules[0].then.status`` (None when it cannot be followed)."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", where):
        kind = concrete(kind)
        if part.startswith("["):
            args = typing.get_args(kind)
            kind = args[0] if args else None
        elif isinstance(kind, type) and hasattr(kind, "__struct_fields__"):
            kind = typing.get_type_hints(kind).get(part)
        else:
            return None
    return concrete(kind)


def concrete(kind: Any) -> Any:
    """Annotated and Optional unwrapped: the type a value must have (a union of several
    types stays a union). The scenario runner's expectation paths use it too."""
    while typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        members = [a for a in typing.get_args(kind) if a is not type(None)]
        kind = members[0] if len(members) == 1 else kind
    return kind


def convert_list(file: Path, data: Any, key: str, kind: type[T]) -> list[T]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ConfigError(file, key, f"expected a top-level '{key}:' list")
    try:
        return msgspec.convert(data[key], list[kind], strict=False)  # type: ignore[valid-type]
    except msgspec.ValidationError as exc:
        where, reason = msgspec_path(exc)
        reason = explain(list[kind], where, reason)  # type: ignore[valid-type]
        raise ConfigError(file, f"{key}{where}", reason) from exc


def _check_ranges(file: Path, ranges: list[CardRange]) -> None:
    seen: dict[str, int] = {}
    for i, r in enumerate(ranges):
        for problem in r.problems():
            field, _, reason = problem.partition(": ")
            raise ConfigError(file, f"ranges[{i}].{field}", reason)
        if r.id in seen:
            raise ConfigError(file, f"ranges[{i}].id", f"duplicate of ranges[{seen[r.id]}]")
        seen[r.id] = i
    overlap = find_overlap(ranges)
    if overlap:
        a, b = overlap
        raise ConfigError(file, f"ranges[{ranges.index(b)}]", f"overlaps range {a.id!r}")


def find_overlap(ranges: list[CardRange]) -> tuple[CardRange, CardRange] | None:
    ordered = sorted(ranges, key=lambda r: r.low)
    for a, b in itertools.pairwise(ordered):
        if b.low <= a.high:
            return a, b
    return None


def load_profiles(file: Path) -> dict[str, ChallengeProfile]:
    """The challenge profiles; the file is optional (no profiles: rules name methods)."""
    if not file.exists():
        return {}
    profiles: dict[str, ChallengeProfile] = {}
    for i, profile in enumerate(convert_list(file, _read_yaml(file), "profiles", ChallengeProfile)):
        for problem in profile.problems():
            where, _, reason = problem.partition(": ")
            raise ConfigError(file, f"profiles[{i}].{where}", reason)
        if profile.id in profiles:
            raise ConfigError(file, f"profiles[{i}].id", f"duplicate profile {profile.id!r}")
        profiles[profile.id] = profile
    return profiles


def load_issuer_config(directory: Path) -> IssuerConfig:
    profiles = load_profiles(directory / PROFILES_FILE)
    ranges_file = directory / RANGES_FILE
    ranges = convert_list(ranges_file, _read_yaml(ranges_file), "ranges", CardRange)
    _check_ranges(ranges_file, ranges)
    for i, r in enumerate(ranges):
        if r.challenge.profile is not None and r.challenge.profile not in profiles:
            known = ", ".join(sorted(profiles)) or f"none: add {PROFILES_FILE}"
            raise ConfigError(
                ranges_file,
                f"ranges[{i}].challenge.profile",
                f"no profile {r.challenge.profile!r} (known: {known})",
            )

    ch_file = directory / CARDHOLDERS_FILE
    cardholders = convert_list(ch_file, _read_yaml(ch_file), "cardholders", CardholderInput)
    pans: dict[str, int] = {}
    for i, ch in enumerate(cardholders):
        for problem in ch.problems():
            field, _, reason = problem.partition(": ")
            raise ConfigError(ch_file, f"cardholders[{i}].{field}", reason)
        if ch.pan in pans:
            raise ConfigError(
                ch_file, f"cardholders[{i}].pan", f"same PAN as cardholders[{pans[ch.pan]}]"
            )
        pans[ch.pan] = i
        if range_for(ranges, ch.pan) is None:
            raise ConfigError(ch_file, f"cardholders[{i}].pan", "outside every card range")

    cat_file = directory / CATALOG_FILE
    catalog = []
    for i, card in enumerate(convert_list(cat_file, _read_yaml(cat_file), "cards", TestCard)):
        card_range = range_for(ranges, card.acctNumber)
        if card_range is None:
            raise ConfigError(cat_file, f"cards[{i}].acctNumber", "outside every card range")
        catalog.append(msgspec.structs.replace(card, scheme=card_range.scheme))
    return IssuerConfig(
        ranges=ranges,
        cardholders=cardholders,
        catalog=catalog,
        source=directory,
        profiles=profiles,
    )


def range_for(ranges: list[CardRange], pan: str) -> CardRange | None:
    pos = pan_position(pan)
    return next((r for r in ranges if r.low <= pos <= r.high), None)
