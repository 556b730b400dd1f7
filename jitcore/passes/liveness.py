"""Which values are live at block boundaries (classic backward dataflow).

Used by dead-code elimination and by the register allocator.
"""

from __future__ import annotations

from typing import Dict, Set, Tuple

from ..ir import Block, Function, Value


def live_sets(func: Function) -> Dict[Block, Set[Value]]:
    """live_out[block]: values read after the block before being redefined."""
    return live_in_out(func)[1]


def live_in_out(func: Function) -> Tuple[Dict[Block, Set[Value]], Dict[Block, Set[Value]]]:
    """(live_in, live_out) of every block."""
    uses: Dict[Block, Set[Value]] = {}
    defs: Dict[Block, Set[Value]] = {}
    for block in func.blocks:
        used: Set[Value] = set()
        defined: Set[Value] = set()
        for inst in block.insts:
            used.update(v for v in inst.uses() if v not in defined)
            if inst.dst is not None:
                defined.add(inst.dst)
        uses[block], defs[block] = used, defined
    live_in: Dict[Block, Set[Value]] = {b: set() for b in func.blocks}
    live_out: Dict[Block, Set[Value]] = {b: set() for b in func.blocks}
    changed = True
    while changed:
        changed = False
        for block in reversed(func.blocks):
            out: Set[Value] = set()
            for succ in block.successors:
                out |= live_in[succ]
            new_in = uses[block] | (out - defs[block])
            if out != live_out[block] or new_in != live_in[block]:
                live_out[block], live_in[block] = out, new_in
                changed = True
    return live_in, live_out
