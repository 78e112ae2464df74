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
from acs.risk.compiler import RuleError, fields_used
from acs.risk.counters import Counters
from acs.risk.engine import CompiledSet, RuleEngine
from acs.risk.fields import velocity_fields
from acs.risk.model import Manifest, Policy, RuleSet

MANIFEST = "rulesets.yaml"
TEST_CARDS = "test-cards.yaml"
DEFAULT_POLICY = "built-in defaults (README: Decisions and rules)"


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
    policy_source: str = DEFAULT_POLICY  # where the policy came from, for people
    test_cards: Path | None = None  # the test-card set put in front of a single rule-set file

    def engine(self, counters: Counters) -> RuleEngine:
        return RuleEngine(self.sets, self.policy, counters, self.version, str(self.source))

    def summary(self) -> dict[str, Any]:
        """What is loaded, for people and scripts (``acs rules check``, ``GET /admin/rules``)."""
        return {
            "version": self.version,
            "source": str(self.source),
            "files": [str(f) for f in self.files],
            "policy": {
                "from": self.policy_source,
                "currencies": sorted(self.policy.eur_rates),
                "low_value": sorted(self.policy.low_value),
                "tra_limit_eur": self.policy.tra.limit_eur,
                "velocity": sorted(self.policy.velocity),
            },
            "test_cards": str(self.test_cards) if self.test_cards else None,
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
        """YAML test cases kept next to each set: ``default.yaml`` -> ``default.tests.yaml``
        (not those of a test-card set put in front: they test that set, not this one)."""
        found = [
            f.with_name(f"{f.stem}.tests.yaml")
            for f in self.files
            if f.name != MANIFEST and f != self.test_cards
        ]
        return [f for f in found if f.exists()]


def test_cards_set() -> Path:
    """rules/test-cards.yaml in the working directory (the Docker image), else beside the
    package: the set ``serve --rules FILE`` puts in front unless ``--no-test-cards``."""
    here = Path("rules") / TEST_CARDS
    return here if here.is_file() else Path(__file__).resolve().parents[2] / "rules" / TEST_CARDS


def _read(file: Path) -> tuple[Any, bytes]:
    try:
        raw = file.read_bytes()
    except FileNotFoundError as exc:
        raise RuleLoadError(file, "", "file missing") from exc
    except IsADirectoryError as exc:
        raise RuleLoadError(file, "", "a folder, where a YAML file was expected") from exc
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


class _Hash:
    """The version: every file read, by name and content, in order."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()

    def add(self, file: Path, raw: bytes) -> None:
        self._sha.update(file.name.encode() + b"\0" + raw)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()[:12]


def _included_policy(file: Path, name: str, hasher: _Hash) -> tuple[Policy, str]:
    """``policy: FILE`` in a rule set: the policy of that file (a manifest, or any YAML with a
    ``policy:`` mapping), relative to the set's own file."""
    target = file.parent / name
    if not target.is_file():
        raise RuleLoadError(
            file, "policy", f"no such file {target}: name a manifest such as rulesets.yaml"
        )
    data, raw = _read(target)
    hasher.add(target, raw)
    if isinstance(data, dict) and "sets" in data and "policy" not in data:
        return Policy(), f"{target} (no policy: the defaults)"  # that manifest's policy
    if not isinstance(data, dict) or not isinstance(data.get("policy"), dict):
        raise RuleLoadError(target, "policy", f"no policy mapping here (included by {file})")
    policy: Policy = _convert(target, data["policy"], Policy)
    return policy, str(target)


def _own_policy(file: Path, rule_set: RuleSet, hasher: _Hash) -> tuple[Policy, str] | None:
    if isinstance(rule_set.policy, str):
        return _included_policy(file, rule_set.policy, hasher)
    if isinstance(rule_set.policy, Policy):
        return rule_set.policy, f"{file} (inline)"
    return None


def load_rules(path: Path, *, test_cards: Path | None = None) -> LoadedRules:
    """A folder (its ``rulesets.yaml``), a manifest, or one rule-set file. ``test_cards``: a
    set put in front of a single rule-set file (what ``serve --rules FILE`` does); a manifest
    lists its own sets."""
    if path.is_dir():
        path = path / MANIFEST
    data, raw = _read(path)
    hasher = _Hash()
    hasher.add(path, raw)
    files: list[Path] = []
    set_files: list[tuple[Path, Any, bytes]] = []
    manifest_policy: Policy | None = None
    if isinstance(data, dict) and "sets" in data:
        manifest: Manifest = _convert(path, data, Manifest)
        files.append(path)
        for n, name in enumerate(manifest.sets):
            file = path.parent / name
            if not file.is_file():
                raise RuleLoadError(path, f"sets[{n}]", f"no such rule file {file}")
            set_files.append((file, *_read(file)))
        manifest_policy = manifest.policy
        policy, policy_source = manifest.policy, str(path)
        test_cards = None  # a manifest lists its own sets
    elif isinstance(data, dict) and "rules" in data:
        if test_cards is not None and test_cards.resolve() != path.resolve():
            if not test_cards.is_file():
                raise RuleLoadError(
                    test_cards,
                    "",
                    "the test-card set put in front of a single rules file is missing: run "
                    "from the folder that holds rules/, or give --no-test-cards",
                )
            set_files.append((test_cards, *_read(test_cards)))
        else:
            test_cards = None
        set_files.append((path, data, raw))
        policy, policy_source = Policy(), DEFAULT_POLICY
    else:
        raise RuleLoadError(
            path, "", "expected a rule set (a 'rules:' list) or a manifest (a 'sets:' list)"
        )
    rule_sets: list[tuple[Path, RuleSet]] = []
    for file, set_data, set_raw in set_files:
        if file != path:
            hasher.add(file, set_raw)
        rule_set: RuleSet = _convert(file, set_data, RuleSet)
        own = _own_policy(file, rule_set, hasher)
        if manifest_policy is not None and own is not None and own[0] != manifest_policy:
            raise RuleLoadError(
                file,
                "policy",
                f"differs from the policy of the manifest {path}, which its sets share; "
                f"remove it, or write policy: {MANIFEST}",
            )
        if manifest_policy is None and file == path and own is not None:
            policy, policy_source = own
        rule_sets.append((file, rule_set))
    velocity_fields(list(policy.velocity))
    sets: list[CompiledSet] = []
    names: dict[str, Path] = {}
    for file, rule_set in rule_sets:
        if rule_set.name in names:
            raise RuleLoadError(
                file, "name", f"set {rule_set.name!r} is also defined in {names[rule_set.name]}"
            )
        names[rule_set.name] = file
        _check_set(file, rule_set)
        try:
            sets.append(CompiledSet(rule_set, str(file), list(policy.velocity)))
        except RuleError as exc:
            raise RuleLoadError(file, exc.path, exc.reason, exc.suggestion) from exc
        files.append(file)
    _check_policy(path, policy, policy_source, sets)
    return LoadedRules(sets, policy, hasher.hexdigest(), files, path, policy_source, test_cards)


def _check_policy(path: Path, policy: Policy, source: str, sets: list[CompiledSet]) -> None:
    """A rule that reads policy the set does not have would silently never match."""
    needs = {
        "amount.eur": ("eur_rates", bool(policy.eur_rates)),
        "exemption.tra.eligible": ("eur_rates", bool(policy.eur_rates)),
        "exemption.low_value.available": ("low_value", bool(policy.low_value)),
    }
    for rule_set in sets:
        for rule in rule_set.rules:
            for name in sorted(fields_used(rule.node)):
                part, present = needs.get(name, ("", True))
                if not present:
                    raise RuleLoadError(
                        rule_set.source,
                        f"rules[{rule.index}].when",
                        f"rule {rule.rule.id!r} reads {name}, which needs policy.{part}, empty in "
                        f"the policy from {source}; fill it in, or leave it out for the defaults",
                    )


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
