"""``python -m benchmarks [name ...]``: run the selected benchmarks (default: all) and report.

Exit status: 0 when the benchmarks ran (whatever the figures), 2 when one could not run (a server
did not start, a tool is missing), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from rich.console import Console

from benchmarks.procs import ROOT, BenchError, Children
from benchmarks.registry import Context, Options, Section, load_all
from benchmarks.ui import Steps, as_json, render


def _parser(names: list[str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Run benchmarks (default: all) and report."
    )
    p.add_argument(
        "names", nargs="*", metavar="name", help=f"benchmarks to run: {', '.join(names)}"
    )
    p.add_argument("--duration", type=int, default=10, help="seconds per measured run (10)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run (2)")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections (32)")
    p.add_argument("--threads", type=int, default=1, help="load generator threads (1)")
    p.add_argument(
        "--loadgen", choices=("auto", "wrk", "python"), default="auto",
        help="load generator: wrk, or the slower python fallback (auto: wrk when installed)",
    )  # fmt: skip
    p.add_argument(
        "--config", metavar="DIR",
        help="issuer directory for the ACS of the knowledge benchmark (default: config/), e.g. a "
        "copy with passcode hashes of another scrypt cost",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return p


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    # SIGTERM/SIGHUP unwind like Ctrl-C does, so the `finally` blocks stop every child.
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    registry = load_all()
    args = _parser(list(registry)).parse_args(argv)
    if args.list:
        width = max(len(name) for name in registry)
        for bench in registry.values():
            print(f"{bench.name:{width}}  {bench.help}")
        return 0
    unknown = [n for n in args.names if n not in registry]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(registry)}",
              file=sys.stderr)  # fmt: skip
        return 2
    if min(args.duration, args.warmup, args.connections, args.threads) < 1:
        print("--duration, --warmup, --connections and --threads must be >= 1", file=sys.stderr)
        return 2
    config = str(Path(args.config).resolve()) if args.config else None
    if config is not None and not Path(config, "cardholders.yaml").is_file():
        print(f"--config {args.config}: no cardholders.yaml there", file=sys.stderr)
        return 2
    options = Options(
        args.duration, args.warmup, args.connections, args.threads, args.loadgen, config
    )
    selected = [registry[n] for n in (args.names or registry)]

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop_on_signal)
    err = Console(stderr=True)
    sections: list[Section] = []
    try:
        with Steps(err) as steps:
            for bench in selected:
                workdir = ROOT / ".bench" / bench.name  # logs stay here for a post-mortem
                workdir.mkdir(parents=True, exist_ok=True)
                children = Children(workdir)
                try:
                    sections.append(bench.fn(Context(options, children, steps, workdir)))
                finally:
                    children.close()
    except BenchError as exc:
        err.print("[bold red]bench: cannot run:[/]", end=" ")
        err.print(str(exc), markup=False, highlight=False)
        return 2
    except KeyboardInterrupt:
        err.print("[yellow]bench: interrupted; child processes stopped[/]")
        return 130

    if args.json:
        print(as_json(sections, options))
    else:
        render(Console(), sections, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
