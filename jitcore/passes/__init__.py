"""IR -> IR passes, one module each, run in order until nothing changes."""

from __future__ import annotations

from collections.abc import Callable

from ..ir import Function
from . import cleanup, fold

# (name, pass) in the order they run; each returns how many changes it made.
PIPELINE: list[tuple[str, Callable[[Function], int]]] = [
    ("fold", fold.run),
    ("cleanup", cleanup.run),
]

MAX_ROUNDS = 8


def optimize(func: Function) -> list[tuple[int, str, int]]:
    """Run the pipeline to a fixed point; returns (round, pass, changes) for each run."""
    report = []
    for round_no in range(1, MAX_ROUNDS + 1):
        total = 0
        for name, run in PIPELINE:
            changes = run(func)
            report.append((round_no, name, changes))
            total += changes
        if total == 0:
            break
    return report
