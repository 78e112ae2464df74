"""``scenarios``: ``acs scenario run scenarios/`` as CI runs it, a process of its own with the ACS
in process (start-up, every shipped scenario, the summary), timeouts shortened by the
scenarios' own ``timers:``. Target: the whole suite under 60 s on this 2-core machine.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.procs import ROOT, BenchError, acs_binary
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class SuiteRun:
    scenarios: int
    passed: int
    seconds: float  # the command, wall clock, start-up included
    running: float  # the scenarios alone, as the runner reports

    def cells(self) -> dict[str, str]:
        return {
            "scenarios": str(self.scenarios),
            "passed": str(self.passed),
            "time s": f"{self.seconds:.1f}",
            "scenarios/s": f"{self.scenarios / self.seconds:.1f}",
            "running s": f"{self.running:.1f}",
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "scenarios": self.scenarios,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "scenarios_per_s": round(self.scenarios / self.seconds, 2),
            "running_seconds": round(self.running, 3),
        }


@benchmark("scenarios", "acs scenario run over the shipped scenarios/, in process")
def run(ctx: Context) -> Section:
    argv = [acs_binary(), "scenario", "run", "scenarios", "--json"]
    with ctx.steps.step("scenarios: acs scenario run scenarios/ --json"):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    try:
        report = json.loads(done.stdout)
    except ValueError as exc:
        raise BenchError(f"`{' '.join(argv)}` printed no report:\n{done.stderr[-2000:]}") from exc
    result = SuiteRun(
        scenarios=len(report["scenarios"]),
        passed=report["passed"],
        seconds=seconds,
        running=report["seconds"],
    )
    section = Section(
        name="scenarios",
        title="Scenario suite (acs scenario run scenarios/, in-process ACS)",
        rows=[Row("suite", "shipped scenarios", result)],
        verdicts=[
            Verdict("seconds", "whole suite, s", seconds, TARGET_SECONDS, at_most=True),
            Verdict("passed", "scenarios passed", result.passed, result.scenarios),
        ],
        notes=[
            "one process, as CI runs it: start-up (in-process ACS, PKI, stub DS) and the summary "
            "included; the timeout scenarios wait for their shortened timers (about 1 s each)",
        ],
        uses_load=False,
    )
    for failed in (s for s in report["scenarios"] if s["status"] != "passed"):
        section.notes.append(f"FAILED {failed['name']}: {failed['step']}: {failed['message']}")
    return section
