"""Load rule sets from ``--rules``: a folder with ``rulesets.yaml``, a manifest file, or one set.

Every error names the file, the YAML path inside it and, where it can, a suggestion. The version
is a hash of every file's name and content, so two nodes with the same rules report the same one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from acs.issuer.config_files import explain, msgspec_path, yaml_problem
from acs.risk.compiler import RuleError
from acs.risk.counters import Counters
from acs.risk.engine import CompiledSet, RuleEngine
from acs.risk.fields import velocity_fields
from acs.risk.model import Manifest, Policy, RuleSet

MANIFEST = "rulesets.yaml"


class RuleLoadError(ValueError):
    def __init__(
        self, file: Path | str, path: str, reason: str, suggestion: str | None = None
    ) -> None:
        self.file, self.path, self.reason, self.suggestion = str(file), path, reason, suggestion
        where = f"{file}: {path}: " if path else f"{file}: "
        tail = f" (did you mean {suggestion!r}?)" if suggestion else ""
        super().__init__(f"{where}{reason}{tail}")


@dataclass(frozen=True, slots=True)
class LoadedRules:
    sets: list[CompiledSet]
    policy: Policy
    version: str
    files: list[Path]
    source: Path

    def engine(self, counters: Counters) -> RuleEngine:
        return RuleEngine(self.sets, self.policy, counters, self.version, str(self.source))

    def summary(self) -> dict[str, Any]:
        """What is loaded, for people and scripts (``acs rules check``, ``GET /admin/rules``)."""
        return {
            "version": self.version,
            "source": str(self.source),
            "files": [str(f) for f in self.files],
            "sets": [
                {
                    "name": s.name,
                    "mode": s.mode.value,
                    "rules": len(s.rules),
                    "indexed_on": s.index_field,
                }
                for s in self.sets
            ],
        }

    def test_files(self) -> list[Path]:
        """YAML test cases kept next to each set: ``default.yaml`` -> ``default.tests.yaml``."""
        found = [f.with_name(f"{f.stem}.tests.yaml") for f in self.files if f.name != MANIFEST]
        return [f for f in found if f.exists()]


def _read(file: Path) -> tuple[Any, bytes]:
    try:
        raw = file.read_bytes()
    except FileNotFoundError as exc:
        raise RuleLoadError(file, "", "file missing") from exc
    try:
        return yaml.safe_load(raw), raw
    except yaml.YAMLError as exc:
        raise RuleLoadError(file, "", yaml_problem(exc)) from exc


def _convert(file: Path, data: Any, kind: type[Any]) -> Any:
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        where, reason = msgspec_path(exc)
        raise RuleLoadError(file, where, explain(kind, where, reason)) from exc


def load_rules(path: Path) -> LoadedRules:
    if path.is_dir():
        path = path / MANIFEST
    data, raw = _read(path)
    hasher = hashlib.sha256()
    hasher.update(path.name.encode() + b"\0" + raw)
    if isinstance(data, dict) and "sets" in data:
        manifest: Manifest = _convert(path, data, Manifest)
        files = [path]
        set_files = []
        for n, name in enumerate(manifest.sets):
            file = path.parent / name
            if not file.exists():
                raise RuleLoadError(path, f"sets[{n}]", f"no such rule file {file}")
            set_files.append(file)
        policy = manifest.policy
    elif isinstance(data, dict) and "rules" in data:
        files, set_files, policy = [], [path], Policy()
    else:
        raise RuleLoadError(
            path, "", "expected a rule set (a 'rules:' list) or a manifest (a 'sets:' list)"
        )
    velocity_fields(list(policy.velocity))
    sets: list[CompiledSet] = []
    names: dict[str, Path] = {}
    for file in set_files:
        set_data, set_raw = _read(file) if file != path else (data, raw)
        if file != path:
            hasher.update(file.name.encode() + b"\0" + set_raw)
        rule_set: RuleSet = _convert(file, set_data, RuleSet)
        if rule_set.name in names:
            raise RuleLoadError(
                file, "name", f"set {rule_set.name!r} is also defined in {names[rule_set.name]}"
            )
        names[rule_set.name] = file
        _check_set(file, rule_set)
        try:
            sets.append(CompiledSet(rule_set, str(file)))
        except RuleError as exc:
            raise RuleLoadError(file, exc.path, exc.reason, exc.suggestion) from exc
        files.append(file)
    return LoadedRules(sets, policy, hasher.hexdigest()[:12], files, path)


def _check_set(file: Path, rule_set: RuleSet) -> None:
    seen: dict[str, int] = {}
    for n, rule in enumerate(rule_set.rules):
        if rule.id in seen:
            raise RuleLoadError(file, f"rules[{n}].id", f"duplicate of rules[{seen[rule.id]}]")
        seen[rule.id] = n
        if rule_set.mode.value == "first-match" and rule.then.status is None:
            raise RuleLoadError(file, f"rules[{n}].then.status", "first-match rules need a status")
        if rule.then.methods and rule.then.status not in ("C", "D"):
            raise RuleLoadError(
                file, f"rules[{n}].then.methods", "challenge methods only go with status C or D"
            )
        if rule.then.profile and (rule.then.methods or rule.then.status not in ("C", "D")):
            raise RuleLoadError(
                file,
                f"rules[{n}].then.profile",
                "a profile goes with status C or D, and instead of methods",
            )
        if rule.then.choose and len(rule.then.methods) < 2:
            raise RuleLoadError(
                file, f"rules[{n}].then.choose", "a choice needs two or more methods to choose from"
            )
    if rule_set.mode.value == "score" and not rule_set.thresholds:
        raise RuleLoadError(file, "thresholds", "score mode needs thresholds: [{min_score, then}]")
