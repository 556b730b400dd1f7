"""IR -> IR passes, one module each, run in order until nothing changes."""

from __future__ import annotations

import time

from ..ir import Function
from . import cleanup, divmod, finite, fold, layout, licm

TYPE_CHECKING = False
if TYPE_CHECKING:  # (collections.abc is a slow import, and a first call pays for it)
    from collections.abc import Callable

# (name, pass) in the order they run; each returns how many changes it made.
PIPELINE: list[tuple[str, Callable[[Function], int]]] = [
    ("fold", fold.run),
    ("divmod", divmod.run),
    ("cleanup", cleanup.run),
    ("finite", finite.run),
    ("licm", licm.run),
    ("layout", layout.run),
]

MAX_ROUNDS = 8


class PassTrace:
    """What optimize() records when given one: the IR text after each pass run.

    `texts[i]` belongs to the i-th (round, pass, changes) entry of the report;
    `render_ns` is the time spent rendering them (not the passes' own time).
    """

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.render_ns = 0

    def record(self, func: Function) -> None:
        start = time.perf_counter_ns()
        self.texts.append(func.dump())
        self.render_ns += time.perf_counter_ns() - start


def optimize(func: Function, trace: PassTrace | None = None) -> list[tuple[int, str, int]]:
    """Run the pipeline to a fixed point; returns (round, pass, changes) for each run.

    With a `trace`, the IR is also rendered as text after each pass run (for
    jitcore.explain; the compiler does not ask, rendering costs time).
    """
    report = []
    for round_no in range(1, MAX_ROUNDS + 1):
        total = 0
        for name, run in PIPELINE:
            changes = run(func)
            report.append((round_no, name, changes))
            if trace is not None:
                trace.record(func)
            total += changes
        if total == 0:
            break
    return report
