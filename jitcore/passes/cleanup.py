"""Remove what the front end's stack machine left behind.

- `x = mov x` disappears;
- `t = add a, b` followed by `x = mov t`, with the temporary t used nowhere
  else, becomes `x = add a, b` (the seed's push/pop pairs and needless moves
  have no other form in a register IR);
- instructions whose result is never read are deleted, unless they may
  deopt to raise an exception in CPython (`x // 0`). A dead overflow-checked
  op goes: it could only have sent the call to the interpreter, which would
  then compute the same unobservable value.
"""

from __future__ import annotations

from collections import Counter

from ..ir import MAY_DEOPT, Function, Inst, Value
from .liveness import live_sets


def run(func: Function) -> int:
    return _drop_self_moves(func) + _coalesce_moves(func) + _drop_dead(func)


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
    use_count: Counter[Value] = Counter(v for inst in func.insts() for v in inst.uses())
    def_count: Counter[Value] = Counter(inst.dst for inst in func.insts() if inst.dst is not None)
    removed = 0
    for block in func.blocks:
        insts = block.insts
        if not any(inst.op == "mov" and isinstance(inst.args[0], Value) and not inst.args[0].name
                   for inst in insts):
            continue  # no copy of a temporary here (the common case after the first round)
        block_uses: Counter[Value] = Counter(v for inst in insts for v in inst.uses())
        i = 0
        while i < len(insts):
            move = insts[i]
            temp = move.args[0] if move.op == "mov" else None
            x = move.dst
            if (isinstance(temp, Value) and not temp.name and def_count[temp] == 1
                    and block_uses[temp] == use_count[temp] and x is not None and x is not temp
                    and x.type == temp.type):
                j = _find_def(insts, i, temp)
                last = _last_use(insts, temp)
                if (j is not None and not _touches(insts[j + 1:i], x)
                        and not any(inst.dst is x for inst in insts[i + 1:last + 1])):
                    insts[j].dst = x
                    del insts[i]
                    for inst in insts[j + 1:]:
                        if temp in inst.args:
                            inst.args = [x if a is temp else a for a in inst.args]
                    block_uses = Counter(v for inst in insts for v in inst.uses())
                    removed += 1
                    continue
            i += 1
    return removed


def _last_use(insts: list[Inst], value: Value) -> int:
    for k in range(len(insts) - 1, -1, -1):
        if value in insts[k].args:
            return k
    return -1


def _find_def(insts: list[Inst], before: int, value: Value) -> int | None:
    for j in range(before - 1, -1, -1):
        if insts[j].dst is value:
            return j
    return None


def _touches(insts: list[Inst], value: Value) -> bool:
    return any(inst.dst is value or value in list(inst.uses()) for inst in insts)


def _drop_dead(func: Function) -> int:
    removed = 0
    live_out = live_sets(func)
    for block in func.blocks:
        live: set[Value] = set(live_out[block])
        kept: list[Inst] = []
        for inst in reversed(block.insts):
            if inst.dst is not None and inst.dst not in live and inst.op not in MAY_DEOPT:
                removed += 1
                continue
            if inst.dst is not None:
                live.discard(inst.dst)
            live.update(inst.uses())
            kept.append(inst)
        kept.reverse()
        block.insts = kept
    return removed
