"""A self-contained HTML backtest report: summary and charts first, then the details.

The charts are plain HTML and CSS bars (no chart library, no script): the page stays a few
tens of kilobytes, opens offline, prints, and reads the same in any browser.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from acs.risk.backtest import Backtest, Tally

DETAIL_ROWS = 200  # differences and invalid lines listed in the page (the JSON has up to 1,000)
AMOUNT_BANDS = ((0, 30), (30, 100), (100, 250), (250, 500), (500, None))

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0} td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top} td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1.5rem}
.bar{display:flex;align-items:center;gap:.5rem;margin:2px 0;font-size:.9rem}
.bar .k{width:11rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar .v{height:1rem;background:#4a78c2;min-width:1px} .bar .c{font-variant-numeric:tabular-nums}
.f .v{background:#3a9a5b} .x .v{background:#c28a2a} .d .v{background:#c24a4a}
.muted{color:#666}
"""

_GROUP = {"Y": "f", "A": "f", "I": "f", "C": "x", "D": "x", "N": "d", "R": "d", "U": "d"}


def _e(value: object) -> str:
    return html.escape(str(value))


def _bars(rows: list[tuple[str, int]], kind: dict[str, str] | None = None) -> str:
    top = max((n for _, n in rows), default=0) or 1
    return "".join(
        f"<div class='bar {(kind or {}).get(label, '')}'><span class='k' title='{_e(label)}'>"
        f"{_e(label)}</span><span class='v' style='width:{n / top * 60:.1f}%'></span>"
        f"<span class='c'>{n:,}</span></div>"
        for label, n in rows
    )


def _table(head: list[str], rows: list[list[Any]]) -> str:
    cells = "".join(
        "<tr>"
        + "".join(
            f"<td class='n'>{_e(c)}</td>" if isinstance(c, int | float) else f"<td>{_e(c)}</td>"
            for c in row
        )
        + "</tr>"
        for row in rows
    )
    return "<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + f"</tr>{cells}</table>"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _summary(tallies: list[tuple[str, Tally]]) -> str:
    rows: list[list[Any]] = [
        ["transactions", *(t.total for _, t in tallies)],
        ["invalid AReqs (Erro)", *(t.invalid for _, t in tallies)],
    ]
    for rate, group in (("frictionless", "YAI"), ("challenge", "CD"), ("decline", "NRU")):
        rows.append([f"{rate} rate", *(_pct(t.rate(frozenset(group))) for _, t in tallies)])
    for _, t in tallies[:1]:
        if t.fraud_metrics() is None:
            break
        metrics = [t.fraud_metrics() or {} for _, t in tallies]
        rows += [
            ["labelled", *(m["labelled"] for m in metrics)],
            ["fraud", *(m["fraud"] for m in metrics)],
            ["fraud caught (C, D, N, R)", *(m["fraud_caught"] for m in metrics)],
            ["fraud caught rate", *(_pct(m["fraud_caught_rate"]) for m in metrics)],
            ["fraud passed frictionless", *(m["fraud_frictionless"] for m in metrics)],
            ["fraud passed frictionless, EUR", *(m["fraud_frictionless_eur"] for m in metrics)],
            [
                "false-positive challenge rate",
                *(_pct(m["false_positive_challenge_rate"]) for m in metrics),
            ],
        ]
    return _table(["measure", *(name for name, _ in tallies)], rows)


def _amount_bands(tally: Tally) -> str:
    def band(lo: int, hi: int | None) -> str:
        return f"EUR {lo}+" if hi is None else f"EUR {lo}-{hi}"

    statuses = sorted(tally.amounts)
    rows = []
    for lo, hi in AMOUNT_BANDS:
        counts = [
            sum(1 for a in tally.amounts[s] if a >= lo and (hi is None or a < hi)) for s in statuses
        ]
        rows.append([band(lo, hi), *counts])
    return _table(["amount", *statuses], rows)


def _charts(name: str, tally: Tally) -> str:
    outcomes = _bars(sorted(tally.outcomes.items()), _GROUP)
    rules = _bars(tally.rules.most_common(30))
    more = len(tally.rules) - 30
    tail = f"<p class='muted'>and {more} more rules (see the JSON)</p>" if more > 0 else ""
    return (
        f"<h2>{_e(name)}</h2><div class='grid'>"
        f"<div><h3>outcome mix</h3>{outcomes}</div>"
        f"<div><h3>rule hits</h3>{rules}{tail}</div>"
        f"<div><h3>amount (EUR) by outcome</h3>{_amount_bands(tally)}</div></div>"
    )


def _fraud_by_rule(name: str, tally: Tally) -> str:
    metrics = tally.fraud_metrics()
    if metrics is None:
        return ""
    rows = [
        [
            rule,
            s["hits"],
            s["fraud"],
            s["fraud_caught"],
            s["fraud_frictionless"],
            s["fraud_frictionless_eur"],
            s["genuine_challenged"],
        ]
        for rule, s in metrics["by_rule"].items()
    ]
    head = ["rule", "hits", "fraud", "caught", "passed frictionless", "EUR passed", "genuine C"]
    return f"<h3>{_e(name)}: fraud by rule</h3>{_table(head, rows)}"


def _comparison(result: Backtest, first: str, second: str) -> str:
    assert result.comparison is not None and result.other is not None
    data = result.comparison.as_json(result.tally, result.other)
    before = sorted({t["before"] for t in data["transitions"]})
    after = sorted({t["after"] for t in data["transitions"]})
    cell = {(t["before"], t["after"]): t["count"] for t in data["transitions"]}
    matrix = _table(
        [f"{first} \u2193 / {second} \u2192", *after],
        [[b, *(cell.get((b, a), 0) for a in after)] for b in before],
    )
    hits = _table(
        ["rule", first, second, "change"],
        [[r["rule"], r["before"], r["after"], f"{r['change']:+d}"] for r in data["rule_hits"]],
    )
    return (
        f"<h2>Compare: {_e(first)} \u2192 {_e(second)}</h2>"
        f"<p>{data['outcome_changed']:,} transactions change outcome; "
        f"{data['rule_changed']:,} change the deciding rule.</p>"
        f"<div class='grid'><div><h3>outcome transitions</h3>{matrix}</div>"
        f"<div><h3>rule hits that change</h3>{hits}</div></div>"
    )


def write_html(result: Backtest, path: Path, names: tuple[str, str | None]) -> None:
    first, second = names
    tallies = [(first, result.tally)]
    if result.other is not None and second:
        tallies.append((second, result.other))
    parts = [
        "<h1>acs rules backtest</h1>",
        f"<p class='muted'>{result.tally.total:,} transactions in {result.seconds:.2f} s</p>",
        "<h2>Summary</h2>",
        _summary(tallies),
    ]
    parts += [_charts(name, tally) for name, tally in tallies]
    if result.comparison is not None and second:
        parts.append(_comparison(result, first, second))
    parts.append("<h2>Details</h2>")
    parts += [_fraud_by_rule(name, tally) for name, tally in tallies]
    if result.comparison is not None and second:
        diffs = result.comparison.differences[:DETAIL_ROWS]
        parts.append(
            f"<h3>transactions that change ({len(diffs)} listed)</h3>"
            + _table(
                ["line", "threeDSServerTransID", first, second],
                [
                    [
                        d.line,
                        d.trans_id or "",
                        f"{d.before} ({d.rule_before})",
                        f"{d.after} ({d.rule_after})",
                    ]
                    for d in diffs
                ],
            )
        )
    invalid = result.tally.invalid_lines[:DETAIL_ROWS]
    if invalid:
        parts.append(
            f"<h3>invalid lines ({result.tally.invalid:,})</h3>"
            + _table(
                ["line", "errorCode", "errorDetail"],
                [[i.line, i.error_code or "", i.error_detail or ""] for i in invalid],
            )
        )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>acs backtest: {_e(first)}</title><style>{_STYLE}</style></head><body>"
        + "".join(parts)
        + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
