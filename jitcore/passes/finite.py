"""Drop the finiteness checks of NumPy float temporaries that a later check covers.

NumPy warns when a float operation overflows or gives nan from finite
operands, so the front end checks every NumPy float result (`fcheck x`:
deopt unless x is finite) and lets CPython re-run such calls, warning as
NumPy does. A non-finite value stays non-finite through + - * (inf + x is inf
or nan, inf * 0 is nan, nan stays nan), negation, abs and rounding to
float32. So a temporary whose every use is one of those, into a value that
is itself checked (or covered in turn), needs no check of its own: if it is
not finite, the check downstream deopts, and since a re-run starts the call
over, deopting a few instructions later changes nothing. In `s += a[i] *
b[i]` this leaves one check per element instead of two.

Only temporaries qualify (defined once, by the front end): a local may be
assigned again before any use, which would drop the non-finite value unseen.
"""

from __future__ import annotations

from ..ir import Function, Inst, Value

PROPAGATING = {"fadd", "fsub", "fmul", "fneg", "fabs", "fround32", "mov"}


def run(func: Function) -> int:
    if not any(inst.op == "fcheck" for block in func.blocks for inst in block.insts):
        return 0  # (most functions: no NumPy float arithmetic)
    checks: dict[Value, list[Inst]] = {}
    users: dict[Value, list[Inst]] = {}
    definitions: dict[Value, int] = {}
    for inst in func.insts():
        if inst.op == "fcheck":
            if isinstance(inst.args[0], Value) and inst.data != "always":  # (lower.do_fcheck)
                checks.setdefault(inst.args[0], []).append(inst)
            continue
        if inst.dst is not None:
            definitions[inst.dst] = definitions.get(inst.dst, 0) + 1
        for v in inst.uses():
            users.setdefault(v, []).append(inst)
    if not checks:
        return 0

    covered: dict[Value, bool] = {}

    def needs_no_check(v: Value) -> bool:
        """A temporary whose every use carries a non-finite value into a covered one."""
        uses = users.get(v, [])
        return (not v.name and definitions.get(v) == 1 and bool(uses)
                and all(u.op in PROPAGATING and u.dst is not None and is_covered(u.dst)
                        for u in uses))

    def is_covered(v: Value) -> bool:
        """Whether v not being finite ends in a deopt."""
        if v not in covered:
            covered[v] = False  # a cycle covers nothing
            covered[v] = v in checks or needs_no_check(v)
        return covered[v]

    drop = {id(inst) for v, insts in checks.items() if needs_no_check(v) for inst in insts}
    if drop:
        for block in func.blocks:
            block.insts = [inst for inst in block.insts if id(inst) not in drop]
    return len(drop)
