"""Performance benchmarks, run by ``make bench`` (``python -m benchmarks [name ...]``).

Each benchmark is a *section*: a function registered in ``benchmarks.registry`` that starts the
servers it needs as child processes, drives them with an external load generator (``wrk``) and
returns figures that ``benchmarks.ui`` renders as a rich table or JSON. Benchmarks report; they
do not gate, so a missed target still exits 0.
"""
