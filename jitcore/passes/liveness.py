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
            for v in inst.args:  # (inst.uses(), without making a list: this is hot)
                if isinstance(v, Value) and v not in defined:
                    used.add(v)
            if inst.dst is not None:
                defined.add(inst.dst)
        uses[block], defs[block] = used, defined
    live_in: dict[Block, set[Value]] = {b: set() for b in func.blocks}
    live_out: dict[Block, set[Value]] = {b: set() for b in func.blocks}
    successors = {b: b.successors for b in func.blocks}
    predecessors: dict[Block, list[Block]] = {b: [] for b in func.blocks}
    for block, succs in successors.items():
        for succ in succs:
            predecessors[succ].append(block)
    # A worklist, last block first (liveness flows backwards): a block is
    # looked at again only when the live-in set of one of its successors grew.
    work = list(func.blocks)
    waiting = set(work)
    while work:
        block = work.pop()
        waiting.discard(block)
        out: set[Value] = set()
        for succ in successors[block]:
            out |= live_in[succ]
        live_out[block] = out
        new_in = uses[block] | (out - defs[block])
        if new_in != live_in[block]:
            live_in[block] = new_in
            for pred in predecessors[block]:
                if pred not in waiting:
                    waiting.add(pred)
                    work.append(pred)
    return live_in, live_out
