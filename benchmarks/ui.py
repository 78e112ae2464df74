"""Output: live progress on stderr while running, then a rich table or JSON on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from benchmarks.registry import Options, Section


class Steps:
    """One progress line per step; timed steps (load runs) get a bar."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    def __enter__(self) -> Steps:
        self.progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.progress.stop()

    @contextmanager
    def step(self, text: str, seconds: float | None = None) -> Iterator[Callable[[float], None]]:
        """A step; yields ``tick(done)`` to advance a timed step (``seconds`` long)."""
        task = self.progress.add_task(text, total=seconds)

        def tick(done: float) -> None:
            self.progress.update(task, completed=done)

        try:
            yield tick
        except BaseException:
            self.progress.update(task, description=f"[red]✗ {text}[/]")
            self.progress.stop_task(task)
            raise
        self.progress.update(task, total=seconds or 1, completed=seconds or 1)
        self.progress.stop_task(task)

    def note(self, text: str) -> None:
        self.progress.console.print(f"  [dim]{text}[/]")


def render(console: Console, sections: list[Section], options: Options) -> None:
    for section in sections:
        table = Table(title=section.title, title_justify="left")
        cells = [row.result.cells() for row in section.rows]
        headers = list(dict.fromkeys(h for c in cells for h in c))  # every row's, in order
        table.add_column("")
        for header in headers:
            table.add_column(header, justify="right")
        for row, c in zip(section.rows, cells, strict=True):
            table.add_row(row.label, *(c.get(h, "") for h in headers))
        console.print(table)
        for v in section.verdicts:
            mark = "[bold green]PASS[/]" if v.passed else "[bold red]MISS[/]"
            bound = "<=" if v.at_most else ">="
            console.print(
                f"{v.label}: [bold]{_figure(v.value)}[/] (target {bound} {_figure(v.target)})  "
                f"{mark}"
            )
        for note in section.notes:
            console.print(f"[dim]- {note}[/]")
    if any(s.uses_load for s in sections):
        console.print(
            f"[dim]{options.duration}s per run after {options.warmup}s warm-up, "
            f"{options.connections} connections, {options.threads} load thread(s)[/]"
        )


def _figure(value: float) -> str:
    """Ratios with two decimals, rates (thousands) grouped without decimals."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}"


def as_json(sections: list[Section], options: Options) -> str:
    doc: dict[str, Any] = {
        "params": {
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "connections": options.connections,
            "threads": options.threads,
        },
        "sections": {
            s.name: {
                "title": s.title,
                **s.meta,
                "rows": {row.key: row.result.as_json() for row in s.rows},
                "verdicts": {
                    v.key: {
                        "label": v.label,
                        "value": round(v.value, 4),
                        "target": v.target,
                        "bound": "<=" if v.at_most else ">=",
                        "status": "PASS" if v.passed else "MISS",
                    }
                    for v in s.verdicts
                },
                "notes": s.notes,
            }
            for s in sections
        },
    }
    return json.dumps(doc, indent=2)
