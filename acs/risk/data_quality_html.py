"""The data-quality report as one self-contained HTML page: a table and two charts per 3DS
Requestor (plotly, its JavaScript inlined once: the page reads offline)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}"
    "table{border-collapse:collapse;margin:1rem 0}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    "td.n{text-align:right}"
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _table(requestor: dict[str, Any]) -> str:
    head = (
        "<tr><th>signal</th><th>omitted</th><th>challenge rate with</th>"
        "<th>challenge rate without</th><th>frictionless with</th><th>frictionless without</th>"
        "</tr>"
    )
    rows = []
    for s in requestor["signals"]:
        cells = [
            html.escape(s["signal"]),
            f"{s['omitted']} of {s['applicable']} ({_pct(s['omitted_rate'])})",
            _pct(s["with"]["challenge_rate"]),
            _pct(s["without"]["challenge_rate"]),
            _pct(s["with"]["frictionless_rate"]),
            _pct(s["without"]["frictionless_rate"]),
        ]
        rows.append(
            "<tr><td>" + cells[0] + "</td>" + "".join(f"<td class=n>{c}</td>" for c in cells[1:])
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _figures(requestor: dict[str, Any]) -> list[go.Figure]:
    signals = requestor["signals"]
    names = [s["signal"] for s in signals]
    omitted = go.Figure(
        go.Bar(x=names, y=[(s["omitted_rate"] or 0) * 100 for s in signals], name="omitted")
    )
    omitted.update_layout(title="AReqs that omit each signal (%)", yaxis_range=[0, 100], height=360)
    decisions = go.Figure(
        [
            go.Bar(
                x=names,
                y=[_percent(s[side]["challenge_rate"]) for s in signals],
                name=f"challenged, {side} the signal",
            )
            for side in ("with", "without")
        ]
    )
    decisions.update_layout(
        title="Challenge rate (C or D) with and without each signal (%)",
        barmode="group",
        yaxis_range=[0, 100],
        height=360,
    )
    return [omitted, decisions]


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def write_html(report: dict[str, Any], path: Path) -> None:
    since = dt.datetime.fromtimestamp(report["since"], dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<h1>acs data-quality report</h1>",
        f"<p>{report['transactions']} AReqs since {since}. A signal is counted only on the "
        "channel that can carry it (browser fields on deviceChannel 02, deviceInfo on 01).</p>",
    ]
    first = True
    for requestor in report["requestors"]:
        title = requestor["threeDSRequestorID"]
        if requestor.get("threeDSRequestorName"):
            title += f" ({requestor['threeDSRequestorName']})"
        parts.append(
            f"<h2>{html.escape(title)}</h2><p>{requestor['transactions']} AReqs; challenged "
            f"{_pct(requestor['challenge_rate'])}, frictionless "
            f"{_pct(requestor['frictionless_rate'])}</p>"
        )
        parts.append(_table(requestor))
        for figure in _figures(requestor):
            parts.append(
                figure.to_html(full_html=False, include_plotlyjs="inline" if first else False)
            )
            first = False
    if not report["requestors"]:
        parts.append("<p>No AReqs in this window.</p>")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>acs data quality</title>"
        f"<style>{_STYLE}</style></head><body>" + "".join(parts) + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
