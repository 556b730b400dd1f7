"""IR -> IR passes, one module each, run in order until nothing changes."""

from __future__ import annotations

import time

from ..ir import Function
from . import cleanup, divmod, finite, fold, layout, licm

TYPE_CHECKING = False
if TYPE_CHECKING:  # (collections.abc is a slow import, and a first call pays for it)
    from collections.abc import Callable

# (name, pass) in the order they run, round after round until none changes anything.
PIPELINE: list[tuple[str, Callable[[Function], int]]] = [
    ("fold", fold.run),
    ("divmod", divmod.run),
    ("cleanup", cleanup.run),
    ("finite", finite.run),
    ("licm", licm.run),
]

# Run once, after the rounds: it only orders the blocks for the lowering, which
# gives none of the passes above anything new to do.
LAST: tuple[str, Callable[[Function], int]] = ("layout", layout.run)

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
    """Run the pipeline to a fixed point, then LAST; returns (round, pass, changes)
    for each pass run.

    A round skips a pass when nothing changed since its last run, its own run
    included: a pass is a function of the IR, so on the IR where it changed
    nothing it would change nothing again. (Most functions are done after
    one round and a half: the second round's passes find nothing.)

    With a `trace`, the IR is also rendered as text after each pass run (for
    jitcore.explain; the compiler does not ask, rendering costs time).
    """
    report: list[tuple[int, str, int]] = []
    stale = {name for name, _ in PIPELINE}  # passes that have not seen the IR as it is
    round_no = 1
    for round_no in range(1, MAX_ROUNDS + 1):
        total = 0
        for name, run in PIPELINE:
            if name not in stale:
                continue
            changes = run(func)
            report.append((round_no, name, changes))
            if trace is not None:
                trace.record(func)
            if changes:
                stale.update(other for other, _ in PIPELINE)
                total += changes
            else:
                stale.discard(name)
        if total == 0:
            break
    name, run = LAST
    report.append((round_no, name, run(func)))
    if trace is not None:
        trace.record(func)
    return report
