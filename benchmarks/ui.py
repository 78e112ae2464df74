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
        table.add_column("")
        table.add_column("requests/s", justify="right")
        table.add_column("p50 ms", justify="right")
        table.add_column("p99 ms", justify="right")
        for row in section.rows:
            r = row.result
            table.add_row(
                row.label, f"{r.requests_per_s:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}"
            )
        console.print(table)
        for v in section.verdicts:
            mark = "[bold green]PASS[/]" if v.passed else "[bold red]MISS[/]"
            console.print(f"{v.label}: [bold]{v.value:.2f}[/] (target >= {v.target:.2f})  {mark}")
        for note in section.notes:
            console.print(f"[dim]- {note}[/]")
    console.print(
        f"[dim]{options.duration}s per run after {options.warmup}s warm-up, "
        f"{options.connections} connections, {options.threads} load thread(s)[/]"
    )


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
