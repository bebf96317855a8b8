"""Benchmarks; each module runs as a script (python bench/NAME.py) and prints its figures."""
