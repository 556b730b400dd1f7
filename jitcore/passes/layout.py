"""Block order: a block reached only from another goes right after it.

The front end lays blocks out as it makes them: a loop's header, then the
block that steps its counter, then the loop's exit (made first, for the
version it needs), and the body after that, so each turn took two jumps.
Placing each jump's target right after the jump when nothing else goes
there lets lowering drop the jump (it omits a jump to the next block): a
loop turn ends in its one jump back. After a branch the same goes for its
true side (a loop header's `br more, body, exit` goes on into the body), or
for the other side where the true one is a guard's deopt, which stays out of
the way: lowering then emits one conditional jump to it.

The order keeps the first block first. Every cycle still has a backward
jump somewhere (no order of a cycle's blocks is all forward), which is where
lowering puts its polls and the register allocator sees a loop.
"""

from __future__ import annotations

from ..ir import Block, Function


def _deopts(block: Block) -> bool:
    """Whether the block only leaves to the interpreter (a failed guard)."""
    return len(block.insts) == 1 and block.insts[0].op in ("deopt", "raise")


def run(func: Function) -> int:
    blocks = func.blocks
    if len(blocks) < 3:
        return 0
    predecessors: dict[Block, int] = {b: 0 for b in blocks}
    for block in blocks:
        for succ in block.successors:
            predecessors[succ] += 1
    placed: set[Block] = set()
    order: list[Block] = []
    for block in blocks:
        while block not in placed:
            order.append(block)
            placed.add(block)
            term = block.terminator
            if term is None or term.op not in ("jmp", "br"):
                break
            # after a branch, the side that goes on (not a guard's deopt, which
            # is placed where it was: out of the way)
            following = [t for t in term.targets if predecessors[t] == 1 and t is not blocks[0]
                         and t not in placed and not _deopts(t)]
            if not following:
                break
            block = following[0]
    moved = sum(1 for a, b in zip(order, blocks, strict=True) if a is not b)
    func.blocks = order
    return moved
