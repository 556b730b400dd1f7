"""Remove what the front end's stack machine left behind.

- `x = mov x` disappears;
- `t = add a, b` followed by `x = mov t`, with the temporary t used nowhere
  else, becomes `x = add a, b` (the seed's push/pop pairs and needless moves
  have no other form in a register IR);
- a block that jumps to a block reached from nowhere else absorbs it;
- instructions whose result is never read are deleted, unless they may
  deopt to raise an exception in CPython (`x // 0`). A dead overflow-checked
  op stays too: in CPython the big int it would make flows on, and an
  operation that is dead here may raise on it there (`x ^= p * p` with x a
  NumPy int: OverflowError).
"""

from __future__ import annotations

from ..ir import Block, Function, Inst, Operand, Value, tally, use_counts
from .liveness import live_sets


def run(func: Function) -> int:
    return _merge_blocks(func) + _drop_self_moves(func) + _coalesce_moves(func) + _drop_dead(func)


def _merge_blocks(func: Function) -> int:
    """A block that ends in a jump to a block nothing else reaches absorbs it
    (the front end splits where bytecode blocks and versions begin): moves
    between the two can then coalesce, and the loop counter's copy with it."""
    entry = func.blocks[0] if func.blocks else None
    predecessors = tally(s for b in func.blocks for s in b.successors)
    gone: set[Block] = set()
    for block in func.blocks:
        if block in gone:
            continue
        while True:
            term = block.terminator
            if term is None or term.op != "jmp":
                break
            target = term.targets[0]
            if target is block or target is entry or predecessors.get(target) != 1 or target in gone:
                break
            block.insts = block.insts[:-1] + target.insts
            gone.add(target)
    if gone:
        func.blocks = [b for b in func.blocks if b not in gone]
    return len(gone)


def _drop_self_moves(func: Function) -> int:
    removed = 0
    for block in func.blocks:
        kept = [i for i in block.insts if not (i.op == "mov" and i.args[0] is i.dst)]
        removed += len(block.insts) - len(kept)
        block.insts = kept
    return removed


def _coalesce_moves(func: Function) -> int:
    """`t = op ...; ...; x = mov t` -> `x = op ...; ...` with t's uses reading x.

    t must be a compiler temporary defined once and read only in this block,
    and x must be neither read nor written between t's definition and the
    move (x takes t's value early), nor written again while t is still read
    after the move (x would no longer hold t's value there).
    """
    # Only blocks that copy a temporary (after the first round, usually none).
    blocks = [b for b in func.blocks if any(_copies_temporary(inst) for inst in b.insts)]
    if not blocks:
        return 0
    use_count = use_counts(func)
    def_count = tally(inst.dst for inst in func.insts() if inst.dst is not None)
    return sum(_coalesce_block(block, use_count, def_count) for block in blocks)


def _copies_temporary(inst: Inst) -> bool:
    return inst.op == "mov" and isinstance(inst.args[0], Value) and not inst.args[0].name


def _coalesce_block(block: Block, use_count: dict[Value, int], def_count: dict[Value, int]) -> int:
    """_coalesce_moves for one block, in one forward walk (linear in its size).

    Positions before the walk (`i`) answer "is x written again while t is
    still read": a merge never adds a write of x after its own move. Positions
    in the output (`out`) answer "is x touched since t's definition", and are
    where earlier reads of t get renamed when t merges into x.
    """
    insts = block.insts
    n = len(insts)
    next_write = [n] * n  # next_write[i]: where insts[i].dst is written next (n: never)
    written_at: dict[Value, int] = {}
    for i in range(n - 1, -1, -1):
        dst = insts[i].dst
        if dst is not None:
            next_write[i] = written_at.get(dst, n)
            written_at[dst] = i
    last_read: dict[Value, int] = {}  # where each value is last read (input positions)
    block_uses: dict[Value, int] = {}
    for i, inst in enumerate(insts):
        for v in inst.uses():
            last_read[v] = i
            block_uses[v] = block_uses.get(v, 0) + 1

    out: list[Inst] = []
    defined_at: dict[Value, int] = {}  # output position of a value's latest definition
    touched_at: dict[Value, int] = {}  # output position of the latest read or write
    readers: dict[Value, list[int]] = {}  # output positions that read a value
    renamed: dict[Value, Value] = {}  # merged temporary -> the value now holding it
    removed = 0
    for i, inst in enumerate(insts):
        if renamed and any(a in renamed for a in inst.uses()):
            inst.args = [_resolve(a, renamed) for a in inst.args]
        temp, x = inst.args[0] if inst.op == "mov" else None, inst.dst
        if (isinstance(temp, Value) and not temp.name and def_count.get(temp) == 1
                and block_uses.get(temp) == use_count.get(temp) and x is not None and x is not temp
                and x.type == temp.type and temp in defined_at
                and touched_at.get(x, -1) <= defined_at[temp]
                and next_write[i] > last_read.get(temp, -1)):
            j = defined_at.pop(temp)
            out[j].dst = x
            for k in readers.pop(temp, ()):
                out[k].args = [x if a is temp else a for a in out[k].args]
                readers.setdefault(x, []).append(k)
            renamed[temp] = x
            defined_at[x] = j
            touched_at[x] = max(touched_at.get(x, -1), touched_at.pop(temp))
            last_read[x] = max(last_read.get(x, -1), last_read.get(temp, -1))
            for counts in (use_count, block_uses):
                counts[x] = counts.get(x, 0) + counts.pop(temp) - 1  # t's reads, less the move's
            removed += 1
            continue
        position = len(out)
        out.append(inst)
        for v in inst.uses():
            touched_at[v] = position
            readers.setdefault(v, []).append(position)
        if x is not None:
            touched_at[x] = defined_at[x] = position
    block.insts = out
    return removed


def _resolve(arg: Operand, renamed: dict[Value, Value]) -> Operand:
    while isinstance(arg, Value) and arg in renamed:
        arg = renamed[arg]
    return arg


def _drop_dead(func: Function) -> int:
    removed = 0
    live_out = live_sets(func)
    for block in func.blocks:
        live: set[Value] = set(live_out[block])
        kept: list[Inst] = []
        for inst in reversed(block.insts):
            if inst.dst is not None and inst.dst not in live and not inst.may_deopt:
                removed += 1
                continue
            if inst.dst is not None:
                live.discard(inst.dst)
            for v in inst.args:  # (inst.uses(), without making a list: this is hot)
                if isinstance(v, Value):
                    live.add(v)
            kept.append(inst)
        kept.reverse()
        block.insts = kept
    return removed
