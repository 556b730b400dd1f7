"""Loop-invariant code motion: compute once before a loop what each turn would compute alike.

`c[i, j]` inside `for k in range(m)` multiplies i by the row length on every
turn; so does `(i + di) % n` inside the loop over dj. An instruction whose
operands no instruction of the loop writes gives the same result on every
turn, and moves to the loop's preheader: a block on the way into the loop
(made if the loop has none), which runs once before the first turn.

What moves: instructions that compute a temporary (a value defined once)
from operands only, with no effect but their result and a possible deopt:
arithmetic, compares, conversions. A deopt that moves out of the loop may
now happen where the loop would have run no turn, or not reached it; the
call then re-runs in CPython from the start, which computes exactly what
it would have (the only price is time, in a case where the answer needs a
re-run anyway). Loads stay (a store in the loop may change memory), and so do
stores, calls and C helpers. An undo record's pointers move too: allocating
the record before a loop whose stores then find it ready costs, at worst,
its byte map cleared where the loop turned out to store nothing.

Loops are found as the textbook has them: a back edge B -> H where H
dominates B, and the blocks that reach B without passing through H.
Inner loops go first, so an instruction can move out of a nest one loop at
a time, a round of the pass pipeline each.
"""

from __future__ import annotations

from ..ir import Block, Function, Inst, Value, WarnSite

# Instructions with no effect but their result (and possibly a deopt).
MOVABLE = {"mov", "add", "sub", "mul", "neg", "not", "and", "or", "xor", "floordiv", "mod", "shl",
           "shr", "abs", "min", "max", "cmp", "fcmp", "select", "truth", "ftruth", "fadd", "fsub",
           "fmul", "fdiv", "fneg", "fabs", "fmin", "fmax", "i2f", "i2f_exact", "fround32",
           # an undo record's pointers (ir.py): allocated at most once per call, then fixed
           "undo_begin", "undo_field"}


def run(func: Function) -> int:
    loops = _loops(func)
    if not loops:
        return 0
    definitions: dict[Value, int] = {p: 1 for p in func.params}  # a parameter: set on entry
    for inst in func.insts():
        if inst.dst is not None:
            definitions[inst.dst] = definitions.get(inst.dst, 0) + 1
    moved = 0
    for header, body in sorted(loops.items(), key=lambda item: len(item[1])):
        # (in the function's block order: a set's order follows addresses, and
        # the code would differ from run to run)
        hoisted = _invariants([b for b in func.blocks if b in body], definitions)
        if not hoisted:
            continue
        pre = _preheader(func, header, body)
        pre.insts[-1:-1] = hoisted  # before its jump into the loop
        ids = {id(inst) for inst in hoisted}
        for block in body:
            block.insts = [inst for inst in block.insts if id(inst) not in ids]
        for other_header, other in loops.items():  # the preheader is inside enclosing loops
            if other_header is not header and header in other:
                other.add(pre)
        moved += len(hoisted)
    return moved


def _invariants(body: list[Block], definitions: dict[Value, int]) -> list[Inst]:
    """The instructions of the loop that can move before it, in an order
    that keeps each after what it reads."""
    written = {inst.dst for block in body for inst in block.insts if inst.dst is not None}
    hoisted: list[Inst] = []
    changed = True
    while changed:
        changed = False
        for block in body:
            for inst in block.insts:
                # Only temporaries (a local, even one set once, may hold a value
                # from before the loop, which a loop that runs no turn keeps).
                # (Not one that warns in place, ir.WarnSite: CPython warns at every turn.)
                if inst.op in MOVABLE and inst.dst is not None and not inst.dst.name \
                        and not isinstance(inst.data, WarnSite) \
                        and definitions.get(inst.dst) == 1 and inst.dst in written \
                        and not any(v in written for v in inst.uses()):
                    hoisted.append(inst)
                    written.discard(inst.dst)  # now computed before the loop
                    changed = True
    return hoisted


def _preheader(func: Function, header: Block, body: set[Block]) -> Block:
    """The block every entry into the loop passes just before `header`, made if need be."""
    outside = [b for b in func.blocks if header in b.successors and b not in body]
    if len(outside) == 1 and outside[0].successors == (header,):
        return outside[0]
    pre = Block(f"{header.name}.pre")
    pre.insts.append(Inst("jmp", None, [], targets=(header,), line=header.insts[0].line
                          if header.insts else None))
    for block in outside:
        term = block.terminator
        assert term is not None
        term.targets = tuple(pre if t is header else t for t in term.targets)
    func.blocks.insert(func.blocks.index(header), pre)
    return pre


def _loops(func: Function) -> dict[Block, set[Block]]:
    """Each loop header and the blocks of its loop (natural loops, back edges merged)."""
    blocks = func.blocks
    if not blocks:
        return {}
    dominators = _dominators(func)
    predecessors: dict[Block, list[Block]] = {b: [] for b in blocks}
    for block in blocks:
        for succ in block.successors:
            predecessors[succ].append(block)
    loops: dict[Block, set[Block]] = {}
    for block in blocks:
        for header in block.successors:
            if header in dominators.get(block, ()):  # a back edge
                body = loops.setdefault(header, {header})
                work = [block]
                while work:
                    b = work.pop()
                    if b not in body:
                        body.add(b)
                        work.extend(predecessors[b])
    return loops


def _dominators(func: Function) -> dict[Block, set[Block]]:
    """For each block reachable from the entry, the blocks that dominate it
    (the iterative dataflow: small CFGs, a few rounds)."""
    entry = func.blocks[0]
    reachable: list[Block] = []
    seen = {entry}
    work = [entry]
    while work:
        b = work.pop()
        reachable.append(b)
        for s in b.successors:
            if s not in seen:
                seen.add(s)
                work.append(s)
    predecessors: dict[Block, list[Block]] = {b: [] for b in reachable}
    for b in reachable:
        for s in b.successors:
            predecessors[s].append(b)
    order = [b for b in func.blocks if b in seen]
    everything = set(order)
    dom = {b: set(everything) for b in order}
    dom[entry] = {entry}
    changed = True
    while changed:
        changed = False
        for b in order:
            if b is entry:
                continue
            preds = predecessors[b]
            new = set.intersection(*(dom[p] for p in preds)) if preds else set()
            new.add(b)
            if new != dom[b]:
                dom[b] = new
                changed = True
    return dom
