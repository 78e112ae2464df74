"""Performance benchmarks, run by ``make bench`` (``python -m benchmarks [name ...]``).

Each benchmark is a *section*: a function registered in ``benchmarks.registry`` that either
starts the servers it needs as child processes and drives them with an external load generator
(``wrk``: ``areq``; ``benchmarks.flowgen``, browser challenge flows against a stub DS:
``challenge``), or times code in process on one core (``rules``, ``backtest``), and returns
figures that ``benchmarks.ui`` renders as a rich table or JSON. Benchmarks report; they
do not gate, so a missed target still exits 0.
"""
