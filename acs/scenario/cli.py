"""``acs scenario run PATH...``: run YAML scenarios against an ACS started in this process (the
default) or one at ``--target URL``; progress, a summary table, ``--junit`` XML and ``--json``.

Exit status: 0 when every scenario passed, 1 when one failed or a file could not run, 2 when
nothing could run (no files, the ACS unreachable or misconfigured).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from acs import logs
from acs.config import SettingsError
from acs.crypto.pki import PKIError
from acs.issuer.config_files import ConfigError
from acs.risk.loader import RuleLoadError
from acs.scenario.junit import write_junit
from acs.scenario.model import Scenario, ScenarioError, load, scenario_files
from acs.scenario.runner import Result, run_scenario
from acs.scenario.target import Target, TargetError, cardholders, in_process, remote

out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages whole, not cut at 80 columns
_MARK = {"passed": "[green]passed[/]", "failed": "[red]failed[/]", "invalid": "[red]invalid[/]"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenario = sub.add_parser("scenario", help="run YAML test scenarios (QA suites)")
    cmds = scenario.add_subparsers(dest="action", required=True)
    p = cmds.add_parser(
        "run",
        help="run scenario files or folders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", type=Path, help="scenario files or folders (scenarios/)")
    p.add_argument("--target", help="an ACS's base URL; default: start one in this process")
    p.add_argument(
        "--root",
        type=Path,
        help="PEM root the app channel's acsSignedContent chains to, with --target (the "
        "root-ca.crt of `acs keys init`); in process the ACS's own",
    )
    p.add_argument(
        "--ds-url",
        help="dsURL for the AReqs, with --target when the ACS cannot reach this machine "
        "(default: the runner's stub DS on loopback)",
    )
    p.add_argument("--config", type=Path, default=Path("config"), help="issuer directory")
    p.add_argument("--rules", type=Path, default=Path("rules"), help="rules (in process)")
    p.add_argument("--store", default="memory", help="store of the in-process ACS")
    p.add_argument("--seed", type=int, help="run the scenarios in a random order from SEED")
    p.add_argument("--junit", type=Path, help="write JUnit XML here")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")


@dataclass(slots=True)
class Report:
    results: list[Result]
    seconds: float

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": len(self.results) - self.passed,
            "seconds": round(self.seconds, 3),
            "scenarios_per_second": round(len(self.results) / self.seconds, 2)
            if self.seconds
            else None,
            "scenarios": [r.as_json() for r in self.results],
        }


@contextlib.asynccontextmanager
async def _target(args: argparse.Namespace) -> AsyncIterator[Target]:
    if args.target:
        root = args.root.read_bytes() if args.root else None
        token = os.environ.get("ACS_QA_TOKEN")
        async with remote(args.target, root, token, args.ds_url) as target:
            yield target
    else:
        async with in_process(args.config, args.rules, args.store) as target:
            yield target


def _invalid(exc: ScenarioError) -> Result:
    where = f"{exc.where}: " if exc.where else ""
    return Result(Path(exc.file).stem, exc.file, "-", "invalid", message=f"{where}{exc.reason}")


def _progress(i: int, total: int, result: Result) -> None:
    seconds = f"{result.seconds:.2f} s"
    line = f"[{i}/{total}] {_MARK[result.status]} {result.name} ({seconds})"
    if not result.ok:
        line += f"\n        {result.step}: {result.message}" if result.step else ""
    err.print(line, highlight=False)


async def run_files(
    target: Target,
    files: Sequence[Path],
    config_dir: Path,
    *,
    seed: int | None = None,
    quiet: bool = False,
) -> Report:
    """Load every file against the target's catalog, then run the valid ones, in a random
    order from ``seed`` if given; a file that cannot run is an ``invalid`` result."""
    start = time.monotonic()
    results: list[Result] = []
    catalog = await target.catalog()
    holders = cardholders(config_dir)
    scenarios: list[Scenario] = []
    for file in files:
        try:
            scenarios.append(load(file, catalog, holders))
        except ScenarioError as exc:
            results.append(_invalid(exc))
            if not quiet:
                _progress(len(results), len(files), results[-1])
    if seed is not None:
        random.Random(seed).shuffle(scenarios)  # noqa: S311 - an order, not a secret
    for scenario in scenarios:
        results.append(await run_scenario(target, scenario))
        if not quiet:
            _progress(len(results), len(files), results[-1])
    return Report(results, time.monotonic() - start)


async def run_all(
    args: argparse.Namespace, files: Sequence[Path], *, quiet: bool = False
) -> Report:
    async with _target(args) as target:
        return await run_files(target, files, args.config, seed=args.seed, quiet=quiet)


def _table(report: Report) -> Table:
    total = len(report.results)
    rate = total / report.seconds if report.seconds else 0.0
    table = Table(
        title=f"{report.passed}/{total} scenarios passed in {report.seconds:.1f} s "
        f"({rate:.1f} scenarios/s)",
        title_justify="left",
    )
    table.add_column("scenario", no_wrap=True)
    table.add_column("channel", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("failure", overflow="fold")
    for r in report.results:
        failure = f"{r.step}: {r.message}" if r.step else (r.message or "")
        table.add_row(r.name, r.channel, _MARK[r.status], f"{r.seconds:.2f} s", failure)
    return table


def main(args: argparse.Namespace) -> int:
    files = scenario_files(args.paths)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing or not files:
        err.print(
            f"acs scenario run: {', '.join(missing) or 'no .yaml files'}: give scenario files or "
            "folders that hold them, such as scenarios/",
            highlight=False,
        )
        return 2
    if args.root and not args.root.is_file():
        err.print(f"acs scenario run: --root {args.root}: no such file", highlight=False)
        return 2
    # the in-process ACS logs only what goes wrong, on stderr: stdout is the report's
    logs.configure(os.environ.get("ACS_LOG_LEVEL", "warning"), sys.stderr)
    try:
        report = asyncio.run(run_all(args, files, quiet=False))
    except (TargetError, SettingsError, ConfigError, RuleLoadError, PKIError, OSError) as exc:
        err.print(f"acs scenario run: cannot start: {exc}", highlight=False)
        return 2
    if args.junit:
        write_junit(args.junit, report.results, report.seconds)
    if args.json:
        print(json.dumps(report.as_json()))
        err.print(_table(report))
    else:
        out.print(_table(report))
    return 0 if report.passed == len(report.results) else 1
