"""Which values are live at block boundaries (classic backward dataflow).

Used by dead-code elimination and by the register allocator.
"""

from __future__ import annotations

from ..ir import Block, Function, Value


def live_sets(func: Function) -> dict[Block, set[Value]]:
    """live_out[block]: values read after the block before being redefined."""
    return live_in_out(func)[1]


def live_in_out(func: Function) -> tuple[dict[Block, set[Value]], dict[Block, set[Value]]]:
    """(live_in, live_out) of every block."""
    uses: dict[Block, set[Value]] = {}
    defs: dict[Block, set[Value]] = {}
    for block in func.blocks:
        used: set[Value] = set()
        defined: set[Value] = set()
        for inst in block.insts:
            used.update(v for v in inst.uses() if v not in defined)
            if inst.dst is not None:
                defined.add(inst.dst)
        uses[block], defs[block] = used, defined
    live_in: dict[Block, set[Value]] = {b: set() for b in func.blocks}
    live_out: dict[Block, set[Value]] = {b: set() for b in func.blocks}
    changed = True
    while changed:
        changed = False
        for block in reversed(func.blocks):
            out: set[Value] = set()
            for succ in block.successors:
                out |= live_in[succ]
            new_in = uses[block] | (out - defs[block])
            if out != live_out[block] or new_in != live_in[block]:
                live_out[block], live_in[block] = out, new_in
                changed = True
    return live_in, live_out
