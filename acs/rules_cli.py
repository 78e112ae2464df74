"""``acs rules ...``: the tools issuers use to write, test, explain and backtest rule sets.

Human output goes through rich (tables, progress); ``--json`` prints one JSON document on stdout
and nothing else. Exit codes: 0 fine, 1 test failures, 2 the rules or inputs cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from acs.issuer.config_files import ConfigError
from acs.risk import backtest, sample
from acs.risk.cases import load_cases, run_case
from acs.risk.fields import REGISTRY
from acs.risk.loader import RuleLoadError, load_rules
from acs.risk.offline import OfflineDecider

out = Console()
err = Console(stderr=True)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = sub.add_parser("rules", help="check, test, explain and backtest rule sets")
    cmds = rules.add_subparsers(dest="action", required=True)

    def command(
        name: str, help_text: str, *, path: bool = True, config: bool = False
    ) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help_text)
        if path:
            p.add_argument("path", type=Path, help="rules folder, manifest or rule set file")
        if config:
            p.add_argument(
                "--config",
                type=Path,
                default=Path("config"),
                help="issuer directory (default config/)",
            )
        p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
        return p

    fields = command("fields", "list the fields rules can test", path=False)
    fields.add_argument(
        "--rules", type=Path, default=None, help="also list this policy's velocity windows"
    )
    command("check", "validate rule files and report")
    test = command("test", "run the YAML test cases kept next to the rule sets", config=True)
    test.add_argument("--all", action="store_true", help="list every case, not only failures")
    explain = command("explain", "decide one AReq and print the trace", config=True)
    explain.add_argument("areq", type=Path, help="AReq JSON file")
    bt = command("backtest", "replay a JSONL file of AReqs", config=True)
    bt.add_argument("transactions", type=Path, help="JSONL, one AReq per line")
    bt.add_argument("--compare", type=Path, default=None, help="a second rule set to compare with")
    bt.add_argument(
        "--html", type=Path, default=None, help="write a self-contained HTML report here"
    )
    gen = cmds.add_parser("generate", help="write realistic sample AReqs as JSONL")
    gen.add_argument("--count", type=int, default=1000)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--out", type=Path, default=None, help="file to write (default stdout)")


def main(args: argparse.Namespace) -> int:
    handlers = {
        "fields": fields_cmd,
        "check": check_cmd,
        "test": test_cmd,
        "explain": explain_cmd,
        "backtest": backtest_cmd,
        "generate": generate_cmd,
    }
    try:
        return handlers[args.action](args)
    except (RuleLoadError, ConfigError) as exc:
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "error": str(exc)}))
        else:
            print(f"error: {exc}", file=sys.stderr)  # unwrapped: one line to grep
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fields_cmd(args: argparse.Namespace) -> int:
    if args.rules:
        load_rules(args.rules)  # registers the policy's velocity windows
    rows = sorted(REGISTRY.values(), key=lambda f: f.name)
    if args.json:
        _emit([{"field": f.name, "type": f.type.value, "description": f.description} for f in rows])
        return 0
    table = Table(title=f"{len(rows)} rule fields")
    for column in ("field", "type", "description"):
        table.add_column(column)
    for f in rows:
        table.add_row(f.name, f.type.value, f.description)
    out.print(table)
    return 0


def check_cmd(args: argparse.Namespace) -> int:
    loaded = load_rules(args.path)
    if args.json:
        _emit({"ok": True, **loaded.summary()})
        return 0
    table = Table(title=f"{args.path}: OK, version {loaded.version}")
    for column in ("set", "mode", "rules", "indexed on"):
        table.add_column(column)
    for s in loaded.sets:
        table.add_row(s.name, s.mode.value, str(len(s.rules)), s.index_field or "-")
    out.print(table)
    return 0


def test_cmd(args: argparse.Namespace) -> int:
    loaded = load_rules(args.path)
    decider = OfflineDecider(loaded, args.config)
    files = loaded.test_files()
    if not files:
        err.print(f"no test files next to the rule sets in {args.path} (expected NAME.tests.yaml)")
        return 2
    results = []
    for file in files:
        for case in load_cases(file):
            results.append(asyncio.run(run_case(decider, file, case)))
    failed = [r for r in results if not r.passed]
    if args.json:
        _emit(
            {
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "results": [msgspec.to_builtins(r) for r in results],
            }
        )
        return 1 if failed else 0
    # failures first and in full; passing cases only with --all (they would bury the failures)
    shown = results if args.all else failed
    if shown:
        table = Table(title=f"{len(shown)} of {len(results)} cases", show_lines=True)
        for column in ("file", "case", "result", "expected", "got"):
            table.add_column(column, overflow="fold")
        for r in sorted(shown, key=lambda r: r.passed):
            mark = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
            table.add_row(Path(r.file).name, r.name, mark, _short(r.expected), _short(r.got))
        out.print(table)
    summary = Table(title=f"{len(results)} rule test cases, {len(failed)} failed")
    for column in ("file", "cases", "passed", "failed"):
        summary.add_column(column, justify="left" if column == "file" else "right")
    for file in files:
        mine = [r for r in results if Path(r.file) == file]
        bad = sum(not r.passed for r in mine)
        summary.add_row(file.name, str(len(mine)), str(len(mine) - bad), str(bad))
    out.print(summary)
    return 1 if failed else 0


def _short(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items() if v is not None)


def explain_cmd(args: argparse.Namespace) -> int:
    loaded = load_rules(args.path)
    decider = OfflineDecider(loaded, args.config)
    result = asyncio.run(decider.decide(args.areq.read_bytes()))
    if args.json:
        _emit(msgspec.to_builtins(result))
        return 0 if result.ok else 2
    if not result.ok:
        err.print(f"[red]Erro {result.error_code}[/red]: {result.error_detail}", highlight=False)
        return 2
    out.print(
        f"[bold]{result.status}[/bold]{'/' + result.reason if result.reason else ''} by rule "
        f"[bold]{result.rule}[/bold] (rules {loaded.version}); exemption: {result.exemption or '-'}"
    )
    for adjustment in result.adjustments:
        out.print(f"  adjusted: {adjustment}")
    for step in result.trace:
        if step["step"] == "rule":
            for matched in step["conditions"]:
                table = Table(title=f"rule {matched['rule']} (score {matched['score']:g})")
                for column in ("field", "op", "expected", "actual", "result"):
                    table.add_column(column)
                for check in matched["checks"]:
                    if "field" in check:
                        table.add_row(
                            check["field"],
                            check["op"],
                            str(check["expected"]),
                            str(check["actual"]),
                            str(check["result"]),
                        )
                out.print(table)
        else:
            details = json.dumps({k: v for k, v in step.items() if k != "step"})
            out.print(f"[dim]{step['step']}:[/dim] {details}")
    return 0


def backtest_cmd(args: argparse.Namespace) -> int:
    loaded = load_rules(args.path)
    other = load_rules(args.compare) if args.compare else None
    decider = OfflineDecider(loaded, args.config)
    other_decider = OfflineDecider(other, args.config) if other else None
    lines = args.transactions.read_bytes().splitlines()
    if args.json:
        result = asyncio.run(backtest.run(lines, decider, other_decider))
    else:
        columns = (
            TextColumn("replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err) as progress:
            task = progress.add_task("replay", total=len(lines))
            result = asyncio.run(
                backtest.run(lines, decider, other_decider, lambda: progress.advance(task))
            )
    if args.html:
        from acs.risk.report import write_html

        write_html(result, args.html, (str(args.path), str(args.compare) if args.compare else None))
    if args.json:
        _emit(result.to_json())
        return 0
    _print_backtest(result, str(args.path), str(args.compare) if args.compare else None)
    if args.html:
        out.print(f"report written to {args.html}")
    return 0


def _print_backtest(result: backtest.Backtest, name: str, other: str | None) -> None:
    tallies = [(name, result.tally)] + ([(other, result.other)] if other and result.other else [])
    summary = Table(
        title=f"{result.tally.total} transactions in {result.seconds:.2f} s "
        f"({result.tally.total / result.seconds if result.seconds else 0:,.0f}/s)"
    )
    summary.add_column("measure")
    for label, _ in tallies:
        summary.add_column(label, justify="right")
    statuses = sorted(set().union(*(t.outcomes for _, t in tallies)))
    for status in statuses:
        summary.add_row(f"transStatus {status}", *(str(t.outcomes[status]) for _, t in tallies))
    for rate, group in (
        ("frictionless", backtest.FRICTIONLESS),
        ("challenge", backtest.CHALLENGE),
        ("decline", backtest.DECLINE),
    ):
        summary.add_row(f"{rate} rate", *(f"{t.rate(group):.1%}" for _, t in tallies))
    summary.add_row("invalid AReqs", *(str(t.invalid) for _, t in tallies))
    out.print(summary)
    for label, tally in tallies:
        hits = Table(title=f"{label}: rule hits and exemptions")
        hits.add_column("rule")
        hits.add_column("hits", justify="right")
        for rule, count in tally.rules.most_common():
            hits.add_row(rule, str(count))
        for exemption, count in tally.exemptions.most_common():
            hits.add_row(f"exemption {exemption}", str(count))
        out.print(hits)
    if other is not None:
        diff = Table(title=f"{len(result.differences)} transactions change outcome")
        for column in ("line", "threeDSServerTransID", name, other):
            diff.add_column(column)
        for d in result.differences[:50]:
            diff.add_row(
                str(d.line),
                str(d.trans_id),
                f"{d.before} ({d.rule_before})",
                f"{d.after} ({d.rule_after})",
            )
        out.print(diff)


def generate_cmd(args: argparse.Namespace) -> int:
    target = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for areq in sample.generate(args.count, seed=args.seed):
            target.write(json.dumps(areq, separators=(",", ":")) + "\n")
    finally:
        if args.out:
            target.close()
    return 0
