"""One division for `x // d` and `x % d` (the same x, the same constant d).

Digit loops compute both (`total += n % 10; n //= 10`), and each costs a
multiply-high, shifts and sign fix-ups (lower.py's division by a constant).
When a block has both, with x unchanged in between, the second one reuses the
quotient: Python's floor semantics give x % d == x - (x // d) * d for every
sign. The product may wrap around int64 (5 // -2**63 is -1), but the true
remainder always fits (|r| < |d|) and wrapping arithmetic is exact modulo
2**64, so plain, unchecked int64 `mul` and `sub` give it exactly.

    r = mod x, 10            q' = floordiv x, 10
    ...                 ->   t = mul q', 10
    q = floordiv x, 10       r = sub x, t
                             ...
                             q = mov q'

|d| < 2 is left alone: fold already handles 1, and x // -1 may overflow where
x % -1 cannot, so computing it early could deopt a call that would not have.
"""

from __future__ import annotations

from ..ir import INT, Const, Function, Inst, Value

PARTNER = {"floordiv": "mod", "mod": "floordiv"}


def run(func: Function) -> int:
    changes = 0
    for block in func.blocks:
        i = 0
        while i < len(block.insts):
            if _share(func, block.insts, i):
                changes += 1
            i += 1
    return changes


def _divisor(inst: Inst) -> int | None:
    """The constant d of `x // d` or `x % d` on ints, if |d| >= 2."""
    if inst.op not in PARTNER or inst.dst is None or inst.dst.type != INT:
        return None
    x, d = inst.args
    if not isinstance(x, Value) or not isinstance(d, Const) or abs(int(d.value)) < 2:
        return None
    return int(d.value)


def _share(func: Function, insts: list[Inst], i: int) -> bool:
    first = insts[i]
    d = _divisor(first)
    if d is None:
        return False
    x, first_dst = first.args[0], first.dst
    if first_dst is x:
        return False  # x itself is replaced: a later x // d is about another value
    for j in range(i + 1, len(insts)):
        second = insts[j]
        if (second.op == PARTNER[first.op] and second.args[0] is x and _divisor(second) == d):
            _rewrite(func, insts, i, j)
            return True
        if second.dst is x or second.dst is first_dst:
            return False  # x or the first result changes before a partner
    return False


def _rewrite(func: Function, insts: list[Inst], i: int, j: int) -> None:
    first, second = insts[i], insts[j]
    x, d = first.args
    line = first.line
    if first.op == "floordiv":
        quotient = first.dst
        assert quotient is not None  # _divisor checked it
        product = func.new_value("", INT)
        insts[j:j + 1] = [Inst("mul", product, [quotient, d], line=second.line),
                          Inst("sub", second.dst, [x, product], line=second.line)]
    else:
        quotient = func.new_value("", INT)
        product = func.new_value("", INT)
        insts[i:i + 1] = [Inst("floordiv", quotient, [x, d], line=line),
                          Inst("mul", product, [quotient, d], line=line),
                          Inst("sub", first.dst, [x, product], line=line)]
        j += 2
        insts[j] = Inst("mov", insts[j].dst, [quotient], line=insts[j].line)
