"""The benchmark registry and the data a benchmark gets and returns.

A benchmark is ``fn(ctx) -> Section`` registered under a short name with ``@benchmark``. To add
one: write a module with a registered function and list it in ``MODULES``; it is then selectable
as ``python -m benchmarks <name>`` and part of ``python -m benchmarks`` (which runs all).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from benchmarks.procs import Children
    from benchmarks.ui import Steps

# Modules whose import registers benchmarks, in the order `python -m benchmarks` runs them.
MODULES = (
    "benchmarks.areq_load",
    "benchmarks.areq_logs",
    "benchmarks.areq_latency",
    "benchmarks.challenge_flow",
    "benchmarks.knowledge",
    "benchmarks.app_areq",
    "benchmarks.app_challenge",
    "benchmarks.ds_front",
    "benchmarks.rules_bench",
    "benchmarks.scenarios",
)


@dataclass(frozen=True, slots=True)
class Options:
    duration: int = 10  # seconds per measured run
    warmup: int = 2  # seconds of unmeasured load before each measured run
    connections: int = 32
    threads: int = 1
    loadgen: str = "auto"  # auto | wrk | python
    config: str | None = None  # --config: the issuer directory for the ACS (knowledge only)


@dataclass(slots=True)
class Context:
    """What a benchmark runs with: options, a process supervisor, progress steps, a work dir."""

    options: Options
    children: Children
    steps: Steps
    workdir: Path


class Result(Protocol):
    """One row's figures: ``LoadResult`` (HTTP load runs), ``Rate`` (in-process loops)..."""

    def cells(self) -> dict[str, str]:
        """Column header -> formatted value, in column order, for the table."""
        ...

    def as_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # machine name, used in --json
    label: str  # human name, used in the table
    result: Result


@dataclass(frozen=True, slots=True)
class Verdict:
    """A figure against a target; PASS when ``value >= target`` (``value <= target`` for a cost,
    ``at_most=True``)."""

    key: str  # machine name, used in --json
    label: str
    value: float
    target: float
    at_most: bool = False

    @property
    def passed(self) -> bool:
        return self.value <= self.target if self.at_most else self.value >= self.target


@dataclass(slots=True)
class Section:
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    uses_load: bool = True  # driven by --duration/--connections/...: the footer states them


BenchFn = Callable[[Context], Section]


@dataclass(frozen=True, slots=True)
class Benchmark:
    name: str
    help: str
    fn: BenchFn


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, help: str) -> Callable[[BenchFn], BenchFn]:
    def register(fn: BenchFn) -> BenchFn:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Benchmark(name, help, fn)
        return fn

    return register


def load_all() -> dict[str, Benchmark]:
    for module in MODULES:
        importlib.import_module(module)
    return REGISTRY
