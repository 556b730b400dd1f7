"""The IR passes: what they fold and remove, and that they keep meaning.

`evaluate` interprets IR with Python ints (overflow of a checked op stops it,
as the native code would), so passes can be tested apart from code generation.
"""

from __future__ import annotations

import itertools

import pytest
from conftest import INT64_EDGES, assert_same
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from programs import has_only_int64_constants, make, programs

from jitcore import jit
from jitcore.frontend import build_ir
from jitcore.ir import Const, fits_int64
from jitcore.passes import LAST, PIPELINE, optimize
from jitcore.passes.fold import EVALUATE
from jitcore.passes.licm import _loops

DEOPT = object()


def evaluate(func, args, read=None, write=None):
    """Run IR; returns the result, None for `ret.none`, or DEOPT on overflow."""
    env = {}
    read = read or (lambda v: env[v])
    write = write or env.__setitem__
    for param, arg in zip(func.params, args, strict=False):
        write(param, arg)
    for inst in func.insts():
        values = [a.value if isinstance(a, Const) else read(a) for a in inst.args]
        if inst.op == "ret":
            return values[0] if values else None
        result = values[0] if inst.op == "mov" else EVALUATE[inst.op](*values)
        if not fits_int64(result):
            return DEOPT
        write(inst.dst, result)
    raise AssertionError("no return")


def test_constants_fold_and_moves_disappear():
    def f(n):
        x = 2 * 3 + 1
        y = x * n + 0
        return y * 1

    ir = build_ir(f)
    optimize(ir)
    product, ret = ir.dump().splitlines()[2:]
    name = product.split()[0]
    assert product == f"    {name} = mul.ovf n, 7" and ret == f"    ret.int {name}"


def test_overflowing_constant_expression_is_left_for_run_time():
    def f(n):
        x = 2**62  # CPython folds constant expressions itself; this one it cannot
        return x * 4 + n

    ir = build_ir(f)
    optimize(ir)
    assert "mul.ovf" in ir.dump()


def test_report_counts_changes_per_round():
    def f(n):
        x = n + 0
        return x

    ir = build_ir(f)
    report = optimize(ir)
    assert report[0][:2] == (1, "fold") and report[0][2] > 0
    assert report[-2][2] == 0 and report[-1][2] == 0  # the last round changed nothing


def _optimize_every_pass_every_round(ir):
    """What optimize() stands for: every pass in every round until a round
    changes nothing, then LAST."""
    while sum(run(ir) for _, run in PIPELINE):
        pass
    LAST[1](ir)


def test_skipping_passes_that_saw_no_change_gives_the_same_ir():
    """optimize() runs a pass again only when the IR changed since its last
    run: the IR it ends with is the one running every pass in every round
    gives, for every function of the kernels corpus and every signature
    the tests compile it for."""
    import inspect

    import kernels

    compared = rounds_skipped = 0
    for name, value in sorted(vars(kernels).items()):
        func = getattr(value, "py_func", value)
        if not inspect.isfunction(func) or func.__module__ != kernels.__name__:
            continue
        try:
            ir = build_ir(func)
        except Exception:
            continue  # (not for these argument types)
        reference = build_ir(func)
        report = optimize(ir)
        _optimize_every_pass_every_round(reference)
        assert ir.dump() == reference.dump(), name
        compared += 1
        last_round = report[-1][0]
        rounds_skipped += len(PIPELINE) * last_round + 1 - len(report)
    assert compared > 50 and rounds_skipped > compared  # (most functions skip passes)


def test_dead_code_is_removed():
    def f(a, b):
        (a & b) ^ 12345
        return a

    ir = build_ir(f)
    optimize(ir)
    assert "and" not in ir.dump() and "xor" not in ir.dump()


def test_a_dead_overflow_check_stays():
    # In CPython the big int flows on, and an operation dead here may raise
    # on it there: x ^= p * p with x a NumPy int64 raises OverflowError.
    def f(a, b):
        a * b * 12345
        return a

    ir = build_ir(f)
    optimize(ir)
    assert ir.dump().count("mul.ovf") == 2
    np = pytest.importorskip("numpy")  # found by test_random_program_with_a_numpy_array

    def g(p, a):
        x = a[0]
        x ^= -(-(p * p))  # noqa: B002 - as the random program had it
        return a[0]

    jitted = jit(strict=True)(g)
    for p in (3, 2**32):
        expected = _outcome(g, p, np.array([7], np.int64))
        assert _outcome(jitted, p, np.array([7], np.int64)) == expected


def _outcome(func, *args):
    try:
        return ("value", repr(func(*args)))
    except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
        return ("raise", type(exc), str(exc))


@settings(max_examples=200, deadline=None)
@given(source=programs(), data=st.data())
def test_passes_keep_meaning(source, data):
    func = make(source)
    assume(has_only_int64_constants(func))
    before, after = build_ir(func), build_ir(func)
    optimize(after)
    for _ in range(5):
        args = [data.draw(st.one_of(st.sampled_from(INT64_EDGES), st.integers(-50, 50)))
                for _ in before.params]
        expected = evaluate(before, args)
        got = evaluate(after, args)
        if expected is DEOPT:
            continue  # the original deopts; the optimized may or may not (dead overflow)
        assert got == expected
        assert func(*args) == expected  # and the IR means what CPython computes


def test_evaluator_agrees_with_cpython_on_edges():
    func = make("def generated(a, b):\n    return a * b - (a ^ b)\n")
    ir = build_ir(func)
    optimize(ir)
    for a, b in itertools.product(INT64_EDGES, repeat=2):
        result = evaluate(ir, [a, b])
        if result is not DEOPT:
            assert result == func(a, b)


# -- divmod: one division for x // d and x % d ---------------------------------

DIVISORS = [2, -2, 3, -3, 7, 10, -10, 1000003, 2**31, -(2**31) - 1, 2**62 + 1, 2**63 - 1, -(2**63)]


def divmod_functions(d):
    """x // d and x % d in one block, in both orders and with x changing after."""
    return [
        make(f"def generated(x):\n    r = x % {d}\n    q = x // {d}\n    return q, r\n"),
        make(f"def generated(x):\n    q = x // {d}\n    r = x % {d}\n    return r, q\n"),
        make(f"def generated(x):\n    t = 0\n    while x > 0:\n        t += x % {d}\n        x //= {d}\n"
             f"    return t\n"),
        make(f"def generated(x):\n    r = x % {d}\n    x = x + 1\n    q = x // {d}\n    return q + r\n"),
    ]


def test_divmod_shares_one_division():
    ir = build_ir(divmod_functions(10)[0])
    report = optimize(ir)
    assert sum(n for _, name, n in report if name == "divmod") == 1
    ops = [inst.op for inst in ir.insts()]
    assert ops.count("floordiv") == 1 and ops.count("mod") == 0
    # x changes in between: two divisions stay.
    ir = build_ir(divmod_functions(10)[3])
    optimize(ir)
    ops = [inst.op for inst in ir.insts()]
    assert ops.count("floordiv") == 1 and ops.count("mod") == 1


@pytest.mark.parametrize("d", DIVISORS)
def test_divmod_matches_cpython_at_int64_edges(d):
    for f in divmod_functions(d):
        jitted = jit(strict=True)(f)
        for x in INT64_EDGES + [d, -d, d + 1, d - 1, 5, -5]:
            if fits_int64(x):
                assert_same(jitted, x)


@settings(max_examples=300, deadline=None)
@given(x=st.integers(-(2**63), 2**63 - 1), d=st.sampled_from(DIVISORS))
def test_divmod_matches_cpython(x, d):
    for f in divmod_functions(d):
        assert_same(jit(strict=True)(f), x)


# -- loop-invariant code motion ----------------------------------------------------
def triple_loop(a, b, n):
    s = 0
    for i in range(n):
        for j in range(n):
            for k in range(n):
                s += (i * a + j) % b + k  # i * a: invariant in the j and k loops
    return s


def loop_body_of(ir, header_name):
    """The blocks of the loop whose header is named header_name (as licm finds them)."""
    from jitcore.passes.licm import _loops

    return next(body for h, body in _loops(ir).items() if h.name == header_name)


def test_invariant_arithmetic_moves_out_of_the_loops_it_does_not_depend_on():
    from jitcore.passes import licm

    ir = build_ir(triple_loop)
    optimize(ir)
    where = {id(inst): block for block in ir.blocks for inst in block.insts}
    muls = [inst for inst in ir.insts() if inst.op == "mul"]
    assert muls
    innermost = min((body for body in licm._loops(ir).values()), key=len)
    for inst in muls:
        assert where[id(inst)] not in innermost, ir.dump()
    for args in [(3, 7, 4), (2**62, 5, 3), (1, 0, 2), (5, -3, 0), (-(2**63), 2, 2)]:
        assert_same(jit(triple_loop), *args)


def test_licm_keeps_meaning_on_loops_that_do_not_run_or_deopt():
    def guarded(a, n):
        s = 0
        for i in range(n):  # n <= 0: never runs, yet a // 0 would deopt if hoisted
            s += 10 // a + i
        return s

    for args in [(0, 0), (0, 3), (2, 5), (-1, -2), (2**63 - 1, 1)]:
        assert_same(jit(guarded), *args)


@settings(max_examples=200, deadline=None)
@given(st.integers(-20, 20), st.integers(-20, 20), st.integers(0, 6), st.sampled_from(INT64_EDGES))
def test_nested_loops_with_invariants_agree_with_cpython(a, b, n, big):
    def nest(a, b, n, big):
        t = 0
        for i in range(n):
            x = a * big
            for j in range(i, n):
                t += x % (b or 1) - (a - b) * j + big // (a or 1)
        return t

    assert_same(jit(nest), a, b, n, big)


def test_licm_leaves_locals_a_loop_that_runs_no_turn_would_not_set():
    def zero_trip(p, n):
        for _ in range(3, n):
            p = 0  # the parameter keeps its value if the loop runs no turn
        return p

    for args in [(5, 0), (5, 3), (5, 4), (-1, 10)]:
        assert_same(jit(zero_trip), *args)


# -- short ranges of constants are unrolled (frontend: UnrolledRange) ---------

def unrolled_kernels():
    def stencil(x, n):
        s = 0
        for d in range(-2, 3):  # unrolled: d is a known constant in each copy
            if d != 0:
                s += (x + d) * d
        return s + n

    def nested(x, y):
        t = 0
        for a in range(3):
            for b in range(-1, 2):
                if a == 0 or b == 0:
                    continue
                t += a * x - b * y
        return t

    def downwards(x):
        t = x
        for k in range(6, 0, -2):
            t = t * 3 + k
        return t, k  # the variable keeps the last value, as in CPython

    def early_exit(x):
        for k in range(5):
            if x < k:
                break
        else:
            return -1
        return k

    def changes_type(x):
        s = 0
        for k in range(3):
            s = s + x / 2 if k == 1 else s + k  # int, then float
        return s

    def rebinds(x):
        for k in range(4):
            k = k * x  # the next turn takes the next value regardless
            x += k
        return x, k

    def too_many_turns(x):  # nine values: a loop
        s = 0
        for k in range(-4, 5):
            s += x * k
        return s

    def too_many_copies(x):  # 8 * 8 copies are too many: b stays a loop (c in it unrolled)
        s = 0
        for a in range(8):
            for b in range(8):
                for c in range(2):
                    s += a * b - c * x
        return s

    def empty(x):
        for k in range(3, 3):
            x += k
        return x

    def large_body(x):  # 8 turns of a long body: too much code to copy, a loop
        s = 0
        for k in range(8):
            s += x * k - k * 3 + (x ^ k) + (x - k) * 2 - x // (k + 1) + (x & k) * 5
            s -= x * k - k * 7 + (x | k) + (x + k) * 3 - x % (k + 2) + (x >> k) * 5
            s ^= x * k - k * 5 + (x ^ k) + (x - k) * 4 - x // (k + 3) + (x & k) * 9
        return s

    return [stencil, nested, downwards, early_exit, changes_type, rebinds, too_many_turns,
            too_many_copies, empty, large_body]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(INT64_EDGES) | st.integers(-50, 50), st.integers(-50, 50))
def test_unrolled_ranges_agree_with_cpython(x, y):
    for kernel in unrolled_kernels():
        args = (x, y) if kernel.__code__.co_argcount == 2 else (x,)
        assert_same(jit(kernel), *args)


def test_a_short_range_of_constants_leaves_no_loop():
    kernels = {k.__name__: k for k in unrolled_kernels()}
    ir = build_ir(kernels["stencil"], ("int", "int"))
    # five copies of the body, and `d != 0` decided in each: one is left out
    assert sum(inst.op == "mul" for inst in ir.insts()) == 4
    assert not any(inst.op == "cmp" for inst in ir.insts())
    assert not _loops(ir)  # no back edge: no counter, no poll
    ir = build_ir(kernels["too_many_turns"], ("int",))
    assert len(_loops(ir)) == 1
    assert len(_loops(build_ir(kernels["too_many_copies"], ("int",)))) == 8  # one per a
    assert not _loops(build_ir(kernels["nested"], ("int", "int")))
    assert len(_loops(build_ir(kernels["large_body"], ("int",)))) == 1
