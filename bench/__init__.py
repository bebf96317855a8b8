"""Benchmarks; each module runs from the project root as `python -m bench.NAME`, prints its
figures and writes them to bench/results/NAME.json (bench/README.md)."""
