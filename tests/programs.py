"""A hypothesis strategy for random straight-line integer functions (shared by tests)."""

from __future__ import annotations

from hypothesis import strategies as st

BINOPS = ["+", "-", "*", "&", "|", "^"]
CONSTS = [0, 1, -1, 2, 3, 101, -7, 2**31 - 1, -(2**31), 2**31, 2**40 + 3, 2**63 - 1, -(2**63)]


def literal(value):
    """-2**63 as -(2**63 - 1) - 1: CPython 3.14+ keep the operand of a folded
    minus (2**63, beyond int64) in co_consts."""
    return f"({-(2**63) + 1} - 1)" if value == -(2**63) else str(value)


@st.composite
def expressions(draw, names, depth=3, buffer=False):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if buffer and draw(st.integers(0, 2)) == 0:  # the buffer argument `a`
            index = draw(st.sampled_from([*names, *map(literal, CONSTS[:7])]))
            return draw(st.sampled_from([f"a[{index}]", f"a[{index} % len(a)]", "len(a)",
                                         f"a[-1 - {index} % len(a)]"]))
        if draw(st.booleans()):
            return draw(st.sampled_from(names))
        return literal(draw(st.sampled_from(CONSTS)))
    kind = draw(st.integers(0, 5))
    if kind == 0:
        op = draw(st.sampled_from(["-", "~", "+"]))
        return f"({op}{draw(expressions(names, depth - 1, buffer))})"
    op = draw(st.sampled_from(BINOPS))
    left = draw(expressions(names, depth - 1, buffer))
    right = draw(expressions(names, depth - 1, buffer))
    return f"({left} {op} {right})"


@st.composite
def programs(draw, buffer=False):
    """Source of `generated(p0, ...)`; with `buffer`, its last parameter is a
    buffer `a` of ints that expressions index and take len() of, and that
    statements store into."""
    nparams = draw(st.integers(1, 4))
    names = [f"p{i}" for i in range(nparams)]
    lines = []
    for i in range(draw(st.integers(0, 14))):
        if buffer and draw(st.integers(0, 3)) == 0:  # a store into `a`, in range or not
            index = draw(st.sampled_from([*names, *map(literal, CONSTS[:7])]))
            where = draw(st.sampled_from([f"{index}", f"{index} % len(a)", f"-1 - {index} % len(a)"]))
            aug = draw(st.sampled_from(["=", "+=", "^="]))
            lines.append(f"    a[{where}] {aug} {draw(expressions(names, 2, buffer))}")
            continue
        target = draw(st.sampled_from(names + [f"x{i}"]))
        aug = draw(st.sampled_from(["=", "=", "+=", "-=", "*=", "^="])) if target in names else "="
        lines.append(f"    {target} {aug} {draw(expressions(names, 3, buffer))}")
        if target not in names:
            names.append(target)
    if draw(st.booleans()):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        if a != b:
            lines.append(f"    {a}, {b} = {b}, {a}")
    # Return something that keeps many values alive at once.
    live = draw(st.lists(st.sampled_from(names), min_size=1, max_size=12))
    ops = [draw(st.sampled_from(BINOPS)) for _ in live[1:]]
    result = live[0] + "".join(f" {op} {name}" for op, name in zip(ops, live[1:], strict=False))
    lines.append(f"    return {result}")
    params = ", ".join([f"p{i}" for i in range(nparams)] + (["a"] if buffer else []))
    return f"def generated({params}):\n" + "\n".join(lines) + "\n"


def make(source):
    namespace = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace["generated"]


def has_only_int64_constants(func):
    """CPython folds constant subexpressions (`-(-2**63)`) into constants that
    may not fit in int64; jitcore refuses those at compile time."""
    return all(not isinstance(c, int) or -(2**63) <= c < 2**63 for c in func.__code__.co_consts)
