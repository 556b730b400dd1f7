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
from typing import List, Set

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
    use_count: Counter = Counter(v for inst in func.insts() for v in inst.uses())
    def_count: Counter = Counter(inst.dst for inst in func.insts() if inst.dst is not None)
    removed = 0
    for block in func.blocks:
        insts = block.insts
        i = 0
        while i < len(insts):
            move = insts[i]
            temp = move.args[0] if move.op == "mov" else None
            if (isinstance(temp, Value) and not temp.name and use_count[temp] == 1
                    and def_count[temp] == 1 and move.dst is not None):
                j = _find_def(insts, i, temp)
                if j is not None and not _touches(insts[j + 1:i], move.dst):
                    insts[j].dst = move.dst
                    del insts[i]
                    removed += 1
                    continue
            i += 1
    return removed


def _find_def(insts: List[Inst], before: int, value: Value) -> "int | None":
    for j in range(before - 1, -1, -1):
        if insts[j].dst is value:
            return j
    return None


def _touches(insts: List[Inst], value: Value) -> bool:
    return any(inst.dst is value or value in list(inst.uses()) for inst in insts)


def _drop_dead(func: Function) -> int:
    removed = 0
    live_out = live_sets(func)
    for block in func.blocks:
        live: Set[Value] = set(live_out[block])
        kept: List[Inst] = []
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
