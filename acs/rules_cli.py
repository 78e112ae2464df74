"""``acs rules ...``: the tools issuers use to write, test, explain and backtest rule sets.

They decide through ``acs.flows.offline.OfflineDecider``, which runs the live AReq pipeline
(``acs/flows/decide.py``), so what they say is what ``acs serve`` answers. A single rule-set
file is loaded as ``serve --rules FILE`` loads it: the test-card set in front unless
``--no-test-cards``.

Human output goes through rich (tables, trees, progress); ``--json`` prints one JSON document on
stdout and nothing else. Exit codes: 0 fine, 1 test failures, 2 the rules or inputs cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.error
import urllib.request
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

import msgspec
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.tree import Tree

from acs.config import DEFAULT_PORT
from acs.flows.offline import OfflineDecider
from acs.issuer.config_files import ConfigError
from acs.risk import backtest, sample
from acs.risk.cases import CaseResult, load_cases, run_case
from acs.risk.fields import REGISTRY
from acs.risk.loader import (
    DEFAULT_POLICY,
    LoadedRules,
    RuleLoadError,
    load_rules,
    test_cards_set,
)
from acs.risk.offline import OfflineResult
from acs.services import Services

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
            p.add_argument(
                "--no-test-cards",
                action="store_true",
                help="a single rule-set file alone, without the test-card set serve puts in "
                "front of it",
            )
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
    test.add_argument(
        "-v", "--verbose", "--all", action="store_true", help="list passing cases too"
    )
    test.add_argument("--junit", type=Path, default=None, help="also write JUnit XML here")
    explain = command("explain", "decide one AReq: every rule tried, and why", config=True)
    explain.add_argument("areq", type=Path, help="AReq JSON file")
    bt = command("backtest", "replay a JSONL file of AReqs", config=True)
    bt.add_argument("transactions", type=Path, help="JSONL, one AReq per line")
    bt.add_argument("--compare", type=Path, default=None, help="a second rule set to compare with")
    bt.add_argument(
        "--labels",
        type=Path,
        default=None,
        help="fraud labels keyed by threeDSServerTransID: JSONL "
        '{"threeDSServerTransID": ..., "fraud": true} or CSV (lines may also carry '
        '"label": {"fraud": true})',
    )
    bt.add_argument(
        "--out", type=Path, default=None, help="write one JSON line per transaction here"
    )
    bt.add_argument(
        "--html", type=Path, default=None, help="write a self-contained HTML report here"
    )
    gen = cmds.add_parser("generate", help="write realistic sample AReqs as JSONL")
    gen.add_argument("--count", type=int, default=1000, help="transactions (default 1000)")
    gen.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    gen.add_argument("--out", type=Path, default=None, help="file to write (default stdout)")
    gen.add_argument(
        "--mcc",
        default=None,
        help="merchant category mix as MCC=weight,... e.g. 5411=5,5816=1 (default: the "
        f"{len(sample.MERCHANTS)} sample merchants' MCCs, evenly)",
    )
    gen.add_argument(
        "--amounts",
        default=None,
        help="amount mix in EUR as LOW-HIGH=weight,... e.g. 1-30=6,30-250=3,250-2000=1 "
        "(default: log-normal around EUR 36)",
    )
    gen.add_argument(
        "--countries",
        default=None,
        help="merchant country mix as ISO numeric or alpha-2 code=weight,... e.g. DE=6,GB=2,US=1 "
        "(default: the sample merchants' countries)",
    )
    gen.add_argument(
        "--fraud-rate",
        type=float,
        default=None,
        help='label this share of transactions as fraud (0-1; adds "label": {"fraud": ...} '
        "to every line; fraud leans to new accounts, new devices and high amounts)",
    )
    shadow = cmds.add_parser(
        "shadow-report",
        help="how often and where the shadow rules (serve --shadow-rules) differ from the live",
    )
    shadow.add_argument(
        "--url",
        default=os.environ.get("ACS_URL", f"http://127.0.0.1:{DEFAULT_PORT}"),
        help="the running ACS (default http://127.0.0.1:8443) [ACS_URL]; the admin token comes "
        "from ACS_ADMIN_TOKEN",
    )
    shadow.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def main(args: argparse.Namespace) -> int:
    handlers = {
        "fields": fields_cmd,
        "check": check_cmd,
        "test": test_cmd,
        "explain": explain_cmd,
        "backtest": backtest_cmd,
        "generate": generate_cmd,
        "shadow-report": shadow_report_cmd,
    }
    try:
        return handlers[args.action](args)
    except (RuleLoadError, ConfigError, backtest.LabelError, sample.MixError) as exc:
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


def _load(path: Path, args: argparse.Namespace) -> LoadedRules:
    """As ``serve --rules PATH`` loads it (the test-card set in front of a single file)."""
    return load_rules(path, test_cards=None if args.no_test_cards else test_cards_set())


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
    loaded = _load(args.path, args)
    summary = loaded.summary()
    if args.json:
        _emit({"ok": True, **summary})
        return 0
    table = Table(title=f"{args.path}: OK, version {loaded.version}")
    for column in ("set", "mode", "rules", "indexed on", "file"):
        table.add_column(column)
    for s in loaded.sets:
        table.add_row(s.name, s.mode.value, str(len(s.rules)), s.index_field or "-", s.source)
    out.print(table)
    policy = summary["policy"]
    out.print(
        f"policy from {escape(policy['from'])}: EUR rates for {len(policy['currencies'])} "
        f"currencies, low value in {', '.join(policy['low_value']) or 'none'}, TRA limit "
        f"EUR {policy['tra_limit_eur']:g}, velocity windows {', '.join(policy['velocity'])}",
        highlight=False,
    )
    if loaded.test_cards:
        out.print(
            f"test cards from {loaded.test_cards} in front, as serve --rules does "
            "(--no-test-cards: without)",
            highlight=False,
        )
    return 0


def test_cmd(args: argparse.Namespace) -> int:
    loaded = _load(args.path, args)
    decider = OfflineDecider(loaded, args.config)
    files = loaded.test_files()
    if not files:
        err.print(f"no test files next to the rule sets in {args.path} (expected NAME.tests.yaml)")
        return 2
    results: list[CaseResult] = []
    for file in files:
        for case in load_cases(file):
            results.append(asyncio.run(run_case(decider, file, case)))
    failed = [r for r in results if not r.passed]
    if args.junit:
        _write_junit(args.junit, files, results)
    if args.json:
        _emit(
            {
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "results": [msgspec.to_builtins(r) for r in results],
            }
        )
        return 1 if failed else 0
    # failures first and in full; passing cases only with --verbose (they would bury failures)
    for r in failed:
        out.print(f"[red]FAIL[/red] {escape(Path(r.file).name)}: {escape(r.name)}")
        out.print(f"     expected {escape(_short(r.expected))}", highlight=False)
        out.print(f"     got      {escape(_short(r.got))}", highlight=False)
    if args.verbose:
        for r in results:
            if r.passed:
                out.print(f"[green]pass[/green] {escape(Path(r.file).name)}: {escape(r.name)}")
    summary = Table(title=f"{len(results)} rule test cases, {len(failed)} failed")
    for column in ("file", "cases", "passed", "failed"):
        summary.add_column(column, justify="left" if column == "file" else "right")
    for file in files:
        mine = [r for r in results if Path(r.file) == file]
        bad = sum(not r.passed for r in mine)
        summary.add_row(file.name, str(len(mine)), str(len(mine) - bad), str(bad))
    out.print(summary)
    if args.junit:
        out.print(f"JUnit XML written to {args.junit}", highlight=False)
    return 1 if failed else 0


def _write_junit(path: Path, files: list[Path], results: list[CaseResult]) -> None:
    suites = ElementTree.Element("testsuites", name="acs rules test")
    for file in files:
        mine = [r for r in results if Path(r.file) == file]
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=str(file),
            tests=str(len(mine)),
            failures=str(sum(not r.passed for r in mine)),
        )
        for r in mine:
            case = ElementTree.SubElement(suite, "testcase", classname=file.stem, name=r.name)
            if not r.passed:
                failure = ElementTree.SubElement(
                    case, "failure", message=f"expected {_short(r.expected)}"
                )
                failure.text = f"expected {_short(r.expected)}\ngot      {_short(r.got)}"
    ElementTree.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _short(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items() if v is not None)


# -- explain --------------------------------------------------------------------------------


def explanation(result: OfflineResult, version: str) -> dict[str, Any]:
    """What ``explain --json`` prints: the outcome, every rule tried, the counters read."""
    if not result.ok:
        return {"ok": False, "errorCode": result.error_code, "errorDetail": result.error_detail}
    steps = {s["step"]: s for s in result.trace}
    counters = steps.get("counters") or (steps.get("no-match") or {}).get("counters")
    if counters:
        counters = {k: v for k, v in counters.items() if k != "step"}
    return {
        "ok": True,
        "rules_version": version,
        "transStatus": result.status,
        "transStatusReason": result.reason,
        "rule": result.rule,
        "exemption": result.exemption,
        "methods": result.methods,
        "adjustments": result.adjustments,
        "tried": steps.get("tried", {}).get("rules", []),
        "exemption_considered": {k: v for k, v in steps.get("exemption", {}).items() if k != "step"}
        or None,
        "exemption_claim": {
            k: v for k, v in steps.get("exemption-claim", {}).items() if k != "step"
        }
        or None,
        "counters": counters,
    }


def explain_cmd(args: argparse.Namespace) -> int:
    loaded = _load(args.path, args)
    decider = OfflineDecider(loaded, args.config)
    result = asyncio.run(decider.decide(args.areq.read_bytes(), explain=True))
    data = explanation(result, loaded.version)
    if args.json:
        _emit(data)
        return 0 if result.ok else 2
    if not result.ok:
        err.print(f"[red]Erro {result.error_code}[/red]: {escape(str(result.error_detail))}")
        return 2
    status = f"{result.status}{'/' + result.reason if result.reason else ''}"
    out.print(
        f"[bold]{status}[/bold] by rule [bold]{escape(str(result.rule))}[/bold] "
        f"(rules {loaded.version}); exemption: {result.exemption or '-'}"
        + (f"; challenge: {', '.join(result.methods)}" if result.methods else ""),
        highlight=False,
    )
    for adjustment in result.adjustments:
        out.print(f"  adjusted: {escape(adjustment)}", highlight=False)
    tree = Tree("rules tried, in order")
    for row in data["tried"]:
        name = f"{row['set']}/{row['rule']}"
        if row["matched"]:
            branch = tree.add(f"[green]\u2713 {escape(name)}[/green] matched")
            if row.get("when") == "always":
                branch.add("always (no conditions)")
            else:
                _draw(branch, row["when"])
        else:
            branch = tree.add(f"[dim]\u2717 {escape(name)}[/dim] missed on")
            _draw(branch, row["missed"])
    out.print(tree)
    if data["counters"]:
        c = data["counters"]
        windows = ", ".join(
            f"{w}: {v['count']} (EUR {v['amount_eur']:g})" for w, v in c["velocity"].items()
        )
        lv = c["low_value"]
        out.print(
            f"counters read: velocity {windows or '-'}; low value since the last SCA: "
            f"{lv['count']} (EUR {lv['cumulative_eur']:g})",
            highlight=False,
        )
    return 0


def _draw(parent: Tree, node: dict[str, Any]) -> None:
    mark = "[green]true[/green]" if node["result"] else "[red]false[/red]"
    if "group" in node:
        branch = parent.add(f"{node['group']} \u2192 {mark}")
        for child in node["children"]:
            _draw(branch, child)
        return
    parent.add(
        f"{escape(node['field'])} {node['op']} {escape(json.dumps(node['expected']))}: "
        f"was {escape(json.dumps(node['actual']))} \u2192 {mark}"
    )


# -- backtest -------------------------------------------------------------------------------


def backtest_cmd(args: argparse.Namespace) -> int:
    loaded = _load(args.path, args)
    other = _load(args.compare, args) if args.compare else None
    decider = OfflineDecider(loaded, args.config)
    other_decider = OfflineDecider(other, args.config) if other else None
    labels = backtest.read_labels(args.labels) if args.labels else None
    lines = args.transactions.read_bytes().splitlines()
    sink: Any = args.out.open("wb") if args.out else nullcontext()
    with sink as target:
        result = _replay(args, lines, decider, other_decider, labels, target if args.out else None)
    if args.html:
        from acs.risk.report import write_html

        write_html(result, args.html, (str(args.path), str(args.compare) if args.compare else None))
    if args.json:
        _emit(result.to_json())
        return 0
    _print_backtest(result, str(args.path), str(args.compare) if args.compare else None)
    for written, what in ((args.out, "per-transaction lines"), (args.html, "report")):
        if written:
            out.print(f"{what} written to {written}", highlight=False)
    return 0


def _replay(
    args: argparse.Namespace,
    lines: list[bytes],
    decider: OfflineDecider,
    other: OfflineDecider | None,
    labels: dict[str, bool] | None,
    target: IO[bytes] | None,
) -> backtest.Backtest:
    if args.json:
        return asyncio.run(backtest.run(lines, decider, other, labels=labels, out=target))
    columns = (TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err) as progress:
        task = progress.add_task("replay", total=sum(1 for line in lines if line.strip()))
        return asyncio.run(
            backtest.run(
                lines,
                decider,
                other,
                lambda n: progress.advance(task, n),
                labels=labels,
                out=target,
            )
        )


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
    metrics = [t.fraud_metrics() for _, t in tallies]
    if all(m is not None for m in metrics):
        ms = [m or {} for m in metrics]
        summary.add_row("labelled / fraud", *(f"{m['labelled']} / {m['fraud']}" for m in ms))
        summary.add_row("fraud caught (C D N R)", *(_caught(m) for m in ms))
        summary.add_row(
            "fraud passed frictionless",
            *(f"{m['fraud_frictionless']} (EUR {m['fraud_frictionless_eur']:,.2f})" for m in ms),
        )
        summary.add_row(
            "false-positive challenge rate",
            *(_pct(m["false_positive_challenge_rate"]) for m in ms),
        )
    out.print(summary)
    for label, tally in tallies:
        hits = Table(title=f"{label}: rule hits and exemptions")
        hits.add_column("rule")
        hits.add_column("hits", justify="right")
        fraud = tally.fraud_metrics()
        if fraud:
            for column in ("fraud", "caught", "passed frictionless", "genuine C"):
                hits.add_column(column, justify="right")
        for rule, count in tally.rules.most_common():
            extra = []
            if fraud:
                s = fraud["by_rule"].get(rule, {})
                extra = [
                    str(s.get("fraud", 0)),
                    str(s.get("fraud_caught", 0)),
                    str(s.get("fraud_frictionless", 0)),
                    str(s.get("genuine_challenged", 0)),
                ]
            hits.add_row(rule, str(count), *extra)
        for exemption, count in tally.exemptions.most_common():
            hits.add_row(f"exemption {exemption}", str(count), *([""] * 4 if fraud else []))
        out.print(hits)
        if tally.invalid_lines:
            bad = Table(title=f"{label}: {tally.invalid} invalid lines")
            for column in ("line", "Erro", "detail"):
                bad.add_column(column, overflow="fold")
            for i in tally.invalid_lines[:50]:
                bad.add_row(str(i.line), str(i.error_code), str(i.error_detail))
            out.print(bad)
    if other is not None and result.comparison is not None and result.other is not None:
        _print_comparison(result, name, other)


def _caught(m: dict[str, Any]) -> str:
    return f"{m['fraud_caught']} ({_pct(m['fraud_caught_rate'])})"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_comparison(result: backtest.Backtest, name: str, other: str) -> None:
    assert result.comparison is not None and result.other is not None
    data = result.comparison.as_json(result.tally, result.other)
    before = sorted({t["before"] for t in data["transitions"]})
    after = sorted({t["after"] for t in data["transitions"]})
    cell = {(t["before"], t["after"]): t["count"] for t in data["transitions"]}
    matrix = Table(
        title=f"outcome transitions: {data['outcome_changed']} transactions change outcome, "
        f"{data['rule_changed']} change the deciding rule"
    )
    matrix.add_column(f"{name} \u2193  {other} \u2192")
    for a in after:
        matrix.add_column(a, justify="right")
    for b in before:
        matrix.add_row(
            b,
            *(
                f"[bold]{cell.get((b, a), 0)}[/bold]" if a == b else str(cell.get((b, a), 0) or "")
                for a in after
            ),
        )
    out.print(matrix)
    if data["rule_hits"]:
        hits = Table(title="rule hits that change")
        for column in ("rule", name, other, "change"):
            hits.add_column(column, justify="left" if column == "rule" else "right")
        for r in data["rule_hits"][:40]:
            hits.add_row(r["rule"], str(r["before"]), str(r["after"]), f"{r['change']:+d}")
        out.print(hits)
    if data["rule_moves"]:
        moves = Table(title="where hits went (rule before -> rule after)")
        for column in ("before", "after", "transactions"):
            moves.add_column(column, justify="right" if column == "transactions" else "left")
        for m in data["rule_moves"][:20]:
            moves.add_row(m["before"], m["after"], str(m["count"]))
        out.print(moves)


# -- generate, shadow-report ----------------------------------------------------------------


def generate_cmd(args: argparse.Namespace) -> int:
    mix = sample.Mix.parse(
        mcc=args.mcc, amounts=args.amounts, countries=args.countries, fraud_rate=args.fraud_rate
    )
    target = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for areq in sample.generate(args.count, seed=args.seed, mix=mix):
            target.write(json.dumps(areq, separators=(",", ":")) + "\n")
    finally:
        if args.out:
            target.close()
    return 0


def shadow_report_cmd(args: argparse.Namespace) -> int:
    token = os.environ.get("ACS_ADMIN_TOKEN")
    if not token:
        print("error: set ACS_ADMIN_TOKEN to the ACS's admin token", file=sys.stderr)
        return 2
    if not args.url.startswith(("http://", "https://")):
        print(f"error: --url {args.url!r}: give the ACS's http(s) URL", file=sys.stderr)
        return 2
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL, checked above
        args.url.rstrip("/") + "/admin/rules/shadow",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - admin URL
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        print(f"error: {args.url}: HTTP {exc.code}: {detail}", file=sys.stderr)
        return 2
    except (urllib.error.URLError, TimeoutError) as exc:
        print(f"error: {args.url}: cannot reach the ACS ({exc}); give --url", file=sys.stderr)
        return 2
    if args.json:
        _emit(data)
        return 0
    print_shadow(data)
    return 0


def rules_line(services: Services) -> str:
    """The start-up line: what decides, whether the test cards are in front, any shadow set."""
    rules = services.rules
    line = f"{services.settings.rules_path} -> {services.engine.description}"
    if rules.test_cards:
        line += (
            f"\n          test cards from {rules.test_cards} in front (--no-test-cards: without)"
        )
    if rules.policy_source == DEFAULT_POLICY:
        line += "\n          policy: the built-in defaults (the file names none)"
    if services.shadow:
        line += (
            f"\n  shadow: {services.settings.shadow_rules_path} -> "
            f"{services.shadow.engine.description}; recorded, never answered "
            "(GET /admin/rules/shadow, acs rules shadow-report)"
        )
    return line


def print_shadow(data: dict[str, Any]) -> None:
    if not data.get("enabled"):
        out.print("shadow mode is off: start the ACS with --shadow-rules PATH", highlight=False)
        return
    out.print(
        f"live rules {data['live_version']} vs shadow {data['shadow_version']} "
        f"({escape(str(data['shadow_source']))}): {data['evaluated']} AReqs, "
        f"{data['differ']} differ ({_pct(data['differ_rate'])})",
        highlight=False,
    )
    matrix = Table(title="outcomes: live -> shadow")
    for column in ("live", "shadow", "AReqs"):
        matrix.add_column(column, justify="right" if column == "AReqs" else "left")
    for t in data["transitions"]:
        matrix.add_row(t["live"], t["shadow"], str(t["count"]))
    out.print(matrix)
    if data["rules"]:
        where = Table(title="where they differ: live rule -> shadow rule")
        for column in ("live rule", "shadow rule", "AReqs"):
            where.add_column(column, justify="right" if column == "AReqs" else "left")
        for r in data["rules"]:
            where.add_row(r["live"], r["shadow"], str(r["count"]))
        out.print(where)
