"""Benchmarks: each module runs with ``python -m bench.<name>`` and writes JSON and a markdown table to
``bench/results/``. Never part of the default test run (tests/bench/ runs a tiny smoke of each)."""
