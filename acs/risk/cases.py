"""YAML test cases kept next to a rule set (``default.yaml`` -> ``default.tests.yaml``).

Each case patches the base AReq (``acs.risk.sample.base_areq``) with a fragment and states the
expected status, reason, rule id and exemption. ``times: N`` sends the AReq N times on one card
and checks the last answer; ``before`` starts the card with a low-value exemption history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from acs.issuer.config_files import explain, msgspec_path, yaml_problem
from acs.protocol.codes import TransStatus, TransStatusReason
from acs.risk.counters import CardCounters
from acs.risk.loader import RuleLoadError
from acs.risk.offline import Decider, OfflineResult
from acs.risk.sample import base_areq


class Expect(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    status: TransStatus  # a wrong code is an error that lists the valid ones, not a failure
    reason: TransStatusReason | None = None
    rule: str | None = None
    exemption: str | None = None


class Before(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    low_value_count: int = 0
    low_value_eur: float = 0.0


class Case(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    expect: Expect
    areq: dict[str, Any] = msgspec.field(default_factory=dict)
    times: int = 1
    before: Before | None = None


class CaseFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    tests: list[Case]


@dataclass(frozen=True, slots=True)
class CaseResult:
    file: str
    name: str
    passed: bool
    expected: dict[str, Any]
    got: dict[str, Any]


def load_cases(file: Path) -> list[Case]:
    """The cases of one test file; an error names the file, the YAML line or path, and what
    would have been right (valid values, the nearest key)."""
    try:
        data = yaml.safe_load(file.read_bytes())
        return msgspec.convert(data, CaseFile).tests
    except yaml.YAMLError as exc:
        raise RuleLoadError(file, "", yaml_problem(exc)) from exc
    except msgspec.ValidationError as exc:
        where, reason = msgspec_path(exc)
        raise RuleLoadError(file, where, explain(CaseFile, where, reason)) from exc


def _got(result: OfflineResult) -> dict[str, Any]:
    if not result.ok:
        return {"error": f"{result.error_code} {result.error_detail}"}
    return {
        "status": result.status,
        "reason": result.reason,
        "rule": result.rule,
        "exemption": result.exemption,
    }


async def run_case(decider: Decider, file: Path, case: Case) -> CaseResult:
    decider.counters.reset()  # every case starts from a fresh card
    areq = base_areq(**case.areq)
    if case.before:
        decider.preset(
            areq["acctNumber"],
            CardCounters(
                low_value_count=case.before.low_value_count, low_value_eur=case.before.low_value_eur
            ),
        )
    result = OfflineResult(False)
    for _ in range(case.times):
        areq["threeDSServerTransID"] = str(uuid.uuid4())
        result = await decider.decide(areq)
    got = _got(result)
    expected = {k: v for k, v in msgspec.to_builtins(case.expect).items()}
    expected.setdefault("reason", None)
    passed = all(got.get(k) == v for k, v in expected.items() if k == "reason" or v is not None)
    return CaseResult(str(file), case.name, passed, expected, got)
