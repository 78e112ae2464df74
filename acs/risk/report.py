"""A self-contained HTML backtest report (plotly with its JavaScript inlined; no network needed)."""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from acs.risk.backtest import Backtest, Tally


def _figures(name: str, tally: Tally) -> list[go.Figure]:
    outcomes = tally.outcomes.most_common()
    rules = tally.rules.most_common()
    mix = go.Figure(go.Bar(x=[o for o, _ in outcomes], y=[n for _, n in outcomes]))
    mix.update_layout(
        title=f"{name}: outcome mix", xaxis_title="transStatus", yaxis_title="transactions"
    )
    hits = go.Figure(go.Bar(x=[n for _, n in rules], y=[r for r, _ in rules], orientation="h"))
    hits.update_layout(
        title=f"{name}: rule hits",
        height=max(300, 28 * len(rules)),
        yaxis={"autorange": "reversed"},
    )
    amounts = go.Figure(
        [go.Box(y=values, name=status) for status, values in sorted(tally.amounts.items())]
    )
    amounts.update_layout(title=f"{name}: amount (EUR) by outcome", yaxis_type="log")
    return [mix, hits, amounts]


def _table(tally: Tally) -> str:
    summary = tally.summary()
    rows = [("transactions", summary["transactions"]), ("invalid AReqs", summary["invalid"])]
    rows += [(f"{k} rate", f"{v:.1%}") for k, v in summary["rates"].items()]
    rows += [(f"exemption {k}", v) for k, v in summary["exemptions"].items()]
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{cells}</table>"


def _row(*cells: object) -> str:
    return "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"


def write_html(result: Backtest, path: Path, names: tuple[str, str | None]) -> None:
    parts = [f"<h2>{html.escape(names[0])}</h2>", _table(result.tally)]
    figures = _figures(names[0], result.tally)
    if result.other is not None and names[1]:
        parts += [f"<h2>{html.escape(names[1])}</h2>", _table(result.other)]
        figures += _figures(names[1], result.other)
        rows = "".join(
            _row(d.line, d.trans_id, f"{d.before} ({d.rule_before})", f"{d.after} ({d.rule_after})")
            for d in result.differences[:500]
        )
        parts.append(
            f"<h2>Changed outcomes ({len(result.differences)})</h2><table><tr><th>line</th>"
            f"<th>threeDSServerTransID</th><th>{html.escape(names[0])}</th><th>{html.escape(names[1])}</th></tr>{rows}</table>"
        )
    charts = [
        fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False)
        for i, fig in enumerate(figures)
    ]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>acs backtest</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}"
        "table{border-collapse:collapse;margin:1rem 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "</style></head><body><h1>acs rules backtest</h1>"
        + "".join(parts)
        + "".join(charts)
        + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
