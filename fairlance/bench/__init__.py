"""Marketplace-scale data and the load benchmark (issue 4, docs/performance.md).

``seed.py`` builds a deterministic large dataset with bulk inserts; ``runner.py`` starts the
production server, drives it with wrk per scenario (``scenarios.py``, Lua under ``wrk/``)
and writes the results to ``bench/results/``.
"""
