"""Benchmarks: ``make bench`` (all) or ``make bench ONLY="pages queries"``. See README.md."""
