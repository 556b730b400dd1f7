"""Benchmarks for jitcore: `python -m benchmarks.run` or `python -m jitcore bench`.

Nothing in this package is imported by jitcore itself, and nothing here is a
dependency of jitcore: numba, PyPy and matplotlib are optional competitors and
extras that the runner skips with a message when they are missing.
"""
