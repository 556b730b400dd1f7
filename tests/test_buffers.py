"""Buffers as arguments: bytes, bytearray, array.array and 1-D memoryviews
(contiguous or strided), read natively element by element (issue 14, first part).

Every test compares with CPython running the same function on the same
arguments (conftest.assert_same): value and exact type, or exception type
and message. Elements of these buffers are Python ints and floats.
"""

from __future__ import annotations

import array
import struct
import sys
import threading

import pytest
from conftest import INT64_EDGES, assert_same, outcome, ran_natively, same_outcome
from hypothesis import given, settings
from hypothesis import strategies as st

from jitcore import CompileError, JitWarning, explain, jit
from jitcore.calls import BufferKind
from jitcore.ir import BUFFER_ELEMENTS as ELEMENTS

INT_CODES = [c for c, e in ELEMENTS.items() if e.type == "int"]
FLOAT_CODES = [c for c, e in ELEMENTS.items() if e.type == "float"]


def int_range(code: str) -> tuple[int, int]:
    bits = 8 * struct.calcsize(code)
    if code.isupper():
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def elements(code: str) -> st.SearchStrategy:
    if code in FLOAT_CODES:
        return st.floats(allow_nan=True, allow_infinity=True, width=32 if code == "f" else 64)
    low, high = int_range(code)
    edges = [low, high, 0, 1, low + 1, high - 1] + [x for x in INT64_EDGES if low <= x <= high]
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


@jit(strict=True)
def int_sum(a):
    s = 0
    for i in range(len(a)):
        s += a[i]
    return s


@jit(strict=True)
def float_sum(a):
    s = 0.0
    for i in range(len(a)):
        s += a[i]
    return s


@jit(strict=True)
def mixed(a):
    # both ends, negative indices, an element in float and in int arithmetic
    n = len(a)
    if n == 0:
        return -1
    return a[0] * 3 - a[-1] + a[n // 2] // 2 + n


@jit(strict=True)
def at(a, i):
    return a[i]


@jit(strict=True)
def largest(a):
    best = a[0]
    for i in range(1, len(a)):
        if a[i] > best:
            best = a[i]
    return best


@pytest.mark.parametrize("code", INT_CODES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_integer_elements_read_as_cpython_reads_them(code, data):
    values = data.draw(st.lists(elements(code), max_size=40))
    a = array.array(code, values)
    for f in (int_sum, mixed, largest):
        assert_same(f, a)
    assert_same(mixed, memoryview(a))
    i = data.draw(st.integers(-2 * len(a) - 2, 2 * len(a) + 2) | st.sampled_from(INT64_EDGES))
    assert_same(at, a, i)


@pytest.mark.parametrize("code", FLOAT_CODES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_float_elements_read_as_cpython_reads_them(code, data):
    a = array.array(code, data.draw(st.lists(elements(code), max_size=40)))
    for f in (float_sum, mixed, largest):
        assert_same(f, a)
    assert_same(at, a, data.draw(st.integers(-len(a) - 2, len(a) + 2)))


def test_native_code_does_the_reading():
    a = array.array("h", range(-50, 50))
    assert ran_natively(int_sum, a) == sum(a)
    assert ran_natively(at, a, -1) == 49
    assert ran_natively(float_sum, array.array("f", [0.1, 0.2])) == sum(array.array("f", [0.1, 0.2]))
    big = array.array("Q", [2**64 - 1])
    assert ran_natively(at, array.array("Q", [2**63 - 1]), 0) == 2**63 - 1
    assert at(big, 0) == 2**64 - 1  # no int64: CPython reads it
    assert int_sum(array.array("q", [2**63 - 1, 1])) == 2**63  # overflow: CPython's big int
    sig = int_sum.signatures
    assert (BufferKind(array.array, "h"),) in sig
    assert repr(BufferKind(array.array, "h")) == "array('h')"


@pytest.mark.parametrize("make", [
    bytes, bytearray,
    lambda b: memoryview(b), lambda b: memoryview(bytearray(b)),
    lambda b: array.array("B", b), lambda b: memoryview(b).cast("b"),
])
def test_bytes_like_objects(make):
    data = bytes(range(0, 256, 7)) + b"\xff\x00\x80"
    buf = make(data)
    assert_same(int_sum, buf)
    assert_same(mixed, buf)
    for i in (0, -1, len(data) - 1, len(data), -len(data) - 1, True, False):
        assert_same(at, buf, i)
    assert ran_natively(int_sum, buf) == int_sum.py_func(buf)
    assert_same(mixed, make(b""))


def test_indices_of_other_types_raise_cpythons_errors():
    a = array.array("i", [1, 2, 3])
    for index in (1.0, 2**70, -(2**70), None):
        assert_same(at, a, index)
    # a str runs in CPython (strict: a CompileError naming the parameter)
    assert_same(jit(at.py_func), a, "1")
    with pytest.raises(CompileError, match="parameter 'i' is a str"):
        at(a, "1")


def test_buffers_native_code_does_not_take_run_in_cpython_with_a_warning():
    def first(a):
        return len(a)

    wide = memoryview(bytes(8)).cast("B", (2, 4))
    unicode = array.array("w" if sys.version_info >= (3, 13) else "u", "hi")  # 'u' is deprecated
    for arg in (wide, unicode, memoryview(b"ab").cast("c")):
        lenient = jit(first)
        with pytest.warns(JitWarning, match=r"memoryview|array\("):
            assert lenient(arg) == first(arg)
        with pytest.raises(CompileError, match=r"argument \(native code reads buffers"):
            jit(strict=True)(first)(arg)


def test_a_released_memoryview_raises_what_cpython_raises():
    view = memoryview(b"abc")
    view.release()
    with pytest.warns(JitWarning):
        assert_same(jit(mixed.py_func), view)


def test_buffers_can_be_resized_after_the_call():
    data = bytearray(b"abc")
    assert int_sum(data) == sum(b"abc")
    data.extend(b"def")  # the export ended with the call
    assert int_sum(data) == sum(b"abcdef")
    numbers = array.array("d", [1.0])
    assert float_sum(numbers) == 1.0
    numbers.append(2.0)
    assert float_sum(numbers) == 3.0


def test_a_buffer_is_held_for_the_whole_call():
    # A nogil call reads a bytearray while another thread tries to resize it:
    # the export refuses (BufferError), so native code never reads freed memory.
    @jit(strict=True, nogil=True)
    def slow_sum(a, rounds):
        s = 0
        for _ in range(rounds):
            for i in range(len(a)):
                s += a[i]
        return s

    data = bytearray(range(256)) * 64
    slow_sum(data, 1)
    errors = []
    done = threading.Event()

    def resize():
        while not done.is_set():
            try:
                data.extend(b"x")
                del data[-1:]
            except BufferError as exc:
                errors.append(exc)

    thread = threading.Thread(target=resize)
    thread.start()
    try:
        total = slow_sum(data, 3000)
    finally:
        done.set()
        thread.join()
    # The call read the bytes as they were when it started: with or without
    # the thread's extra b"x" (the thread may be between its two steps).
    plain = sum(bytearray(range(256)) * 64)
    assert total in (3000 * plain, 3000 * (plain + ord("x")))
    assert errors, "the resizing thread never met the export"


def test_rebinding_a_buffer_argument_does_not_compile():
    def rebind(a):
        a = 3
        return a

    with pytest.raises(CompileError, match=r"assignment to 'a', a buffer argument"):
        jit(strict=True)(rebind)(b"x")


def test_explain_shows_a_buffer_signature():
    text = str(explain(int_sum, array.array("b", [1])))
    assert "int_sum(array('b'))" in text
    assert "load.b a.address" in text
    assert "movsx" in text


# -- bounds checks the loop makes redundant ------------------------------------


def shifted(a):
    s = 0
    for i in range(len(a)):
        i = i + 1  # no longer below len(a): the check stays
        s += a[i]
    return s


def lengthened(a):
    n = len(a)
    n = n + 1
    s = 0
    for i in range(n):
        s += a[i]
    return s


def other_length(a, b):
    s = 0
    for i in range(len(b)):
        s += a[i]
    return s


def from_minus_one(a):
    s = 0
    for i in range(-1, len(a)):
        s += a[i]
    return s


def nested(a):
    s = 0
    n = len(a)
    for i in range(1, n):
        for j in range(i):
            s += a[i] * a[j]
    return s


def stepped(a):
    s = 0
    for i in range(0, len(a), 3):
        s += a[i]
    return s


def guards_left(func, *args) -> int:
    """How many bounds checks the optimized IR of func(*args) keeps (each
    fails to a `raise` of CPython's IndexError in place)."""
    ir = explain(func, *args).ir
    return sum(line.strip().startswith(("raise", "deopt")) for line in ir.splitlines())


@pytest.mark.parametrize("func, checks", [
    (shifted, 1),  # i + 1 >= 1: the check of the upper bound stays, the lower one goes
    (lengthened, 2), (from_minus_one, 2),
    (nested, 2),  # a[i] needs none; a[j], j < i, keeps its two (not proven yet)
    (stepped, 0), (int_sum.py_func, 0),
])
def test_indices_a_loop_keeps_in_range_need_no_check(func, checks):
    for a in (array.array("i", range(7)), array.array("i"), array.array("i", [5])):
        assert_same(jit(func), a)
    a = array.array("i", range(7))
    assert guards_left(func, a) == checks
    if checks == 0:
        assert ran_natively(jit(func), a) == func(a)


def test_a_loop_over_another_buffers_length_keeps_its_checks():
    a, b = array.array("i", range(3)), array.array("i", range(5))
    assert_same(jit(other_length), a, b)
    assert_same(jit(other_length), b, a)
    assert guards_left(other_length, a, b) > 0


def test_the_c_fast_path_serves_buffer_calls(monkeypatch):
    from jitcore import dispatcher

    @jit
    def pick(a, i, scale):
        return a[i] * scale

    buffers = [array.array("d", [0.5, 1.5]), bytearray(b"\x01\x02"), b"\x03\x04",
               memoryview(array.array("i", [7, 8])), array.array("B", [9, 10]),
               memoryview(array.array("d", [1.0, 2.0, 3.0]))[::2],  # strided
               memoryview(array.array("h", range(9)))[::-4]]
    for buf in buffers:
        assert_same(pick, buf, 1, 2)  # compiles each kind
    slow = []
    real = dispatcher.Dispatcher._call_slow
    monkeypatch.setattr(dispatcher.Dispatcher, "_call_slow",
                        lambda self, *a, **k: slow.append(a) or real(self, *a, **k))
    for buf in buffers:
        for i in (0, 1, -1):
            assert_same(pick, buf, i, 3)
    assert slow == []
    # what the fast path does not take goes to the Python path, which decides
    with pytest.warns(JitWarning):
        assert_same(pick, memoryview(b"ab").cast("c"), 0, 2)
    assert_same(pick, buffers[0], 2, 3)  # out of range: CPython's IndexError
    assert len(slow) == 1


@jit(strict=True)
def iterate(a):
    t = 0
    count = 0
    for x in a:
        if x < 0:
            break
        t += x
        count += 1
    else:
        return t, count, -1
    return t, count, 1


@jit(strict=True)
def iterate_floats(a):
    best = -1.5
    for x in a:
        best = max(best, x * 0.5)
    return best


@pytest.mark.parametrize("code", list(ELEMENTS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_for_x_in_a_buffer(code, data):
    a = array.array(code, data.draw(st.lists(elements(code), max_size=30)))
    if code in FLOAT_CODES:
        assert_same(iterate_floats, a)
    else:
        assert_same(iterate, a)
        assert_same(iterate, memoryview(a))


def test_for_x_in_bytes_runs_natively():
    data = bytes(range(200))
    assert ran_natively(iterate, data) == iterate.py_func(data)
    assert ran_natively(iterate, bytearray(data)) == iterate.py_func(data)
    ir = explain(iterate, data).ir
    assert "deopt" not in ir and "raise" not in ir  # no bounds check, no exit at all


# -- buffers passed on to other jitted functions ---------------------------------


@jit(strict=True)
def lower_bound(a, x):
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit(strict=True)
def count_found(a, queries):
    found = 0
    for q in queries:
        i = lower_bound(a, q)
        if i < len(a) and a[i] == q:
            found += 1
    return found


@jit(strict=True)
def sum_from(a, i):
    if i >= len(a):
        return 0
    return a[i] + sum_from(a, i + 1)


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.integers(-50, 50), max_size=40), queries=st.lists(st.integers(-60, 60)))
def test_a_buffer_passed_to_a_jitted_function(values, queries):
    a = array.array("q", sorted(values))
    q = array.array("i", queries)
    assert_same(count_found, a, q)
    assert_same(count_found, memoryview(a), q)
    assert_same(sum_from, a, 0)
    assert_same(sum_from, bytes(v % 256 for v in values), -3)  # a negative index on the way


def test_buffers_passed_on_run_natively():
    a = array.array("q", range(0, 300, 3))
    q = array.array("i", range(300))
    assert ran_natively(count_found, a, q) == 100
    assert ran_natively(sum_from, a, 0) == sum(a)
    # the callee compiled for the elements, as a memoryview of them
    assert (BufferKind(memoryview, "q"), int) in lower_bound.signatures


def stencil(a):
    e = 0.0
    for i in range(1, len(a) - 1):
        d = a[i - 1] - 2.0 * a[i] + a[i + 1]
        e += d * d
    return e


def reach_too_far(a):
    e = 0.0
    for i in range(1, len(a) - 1):
        e += a[i + 2]  # one past the end on the last turn
    return e


def reach_before(a):
    e = 0.0
    n = len(a)
    for i in range(0, n):
        e += a[i - 1]  # a[-1] on the first turn: Python's last element
    return e


def shifted_stop(a):
    e = 0
    for i in range(2, len(a) + 1):  # the stop is past the end: checks stay
        e += a[i - 1] + a[i - 2]
    return e


@pytest.mark.parametrize("func, checks", [
    (stencil, 0), (reach_too_far, 1),  # i + 2 >= 3: only its upper bound is checked
    (reach_before, 2), (shifted_stop, 4),
])
def test_offsets_within_the_loop_range_need_no_check(func, checks):
    for n in (0, 1, 2, 3, 4, 10):
        a = array.array("d" if func is not shifted_stop else "q", range(n))
        assert_same(jit(func), a)
    a = array.array("d" if func is not shifted_stop else "q", range(10))
    assert guards_left(func, a) == checks


def byte_counts(data, counts):
    for b in data:
        counts[b + 1] += 1  # b >= 0 (bytes): only the upper bound needs a check
    return counts[1]


def test_unsigned_elements_as_indices_keep_only_the_upper_check():
    for data in (b"", b"\x00\x01\x01", bytes(range(256)), b"\xff"):
        for size in (257, 256, 3):
            theirs, ours = array.array("q", [0] * size), array.array("q", [0] * size)
            expected = outcome(byte_counts, [data, theirs])
            actual = outcome(jit(strict=True)(byte_counts), [data, ours])
            assert same_outcome(expected, actual) and ours == theirs, (data, size)
    ir = explain(byte_counts, b"ab", array.array("q", [0] * 300)).ir
    assert "select" not in ir  # no negative index to wrap


def test_ir_types_are_objects_that_know_their_layout():
    import pickle

    from jitcore import ir

    assert ir.type_named("int") is ir.INT and ir.INT == "int"
    assert ir.Value(0, "x", "np.int8").type is ir.type_named("np.int8")
    assert ir.Const(1.5, "float").type is ir.FLOAT
    for name, scalar in ir.NUMPY_SCALARS.items():
        t = ir.type_named(name)
        assert (t.kind, t.numpy, t.size, t.signed, t.register) == \
            ("numpy", scalar, struct.calcsize(scalar.code), scalar.kind == "i" or scalar.kind == "f",
             ir.FLOAT if scalar.kind == "f" else ir.BOOL if scalar.kind == "b" else ir.INT)
        assert t.is_float == (scalar.kind == "f")
    for code, element in ir.BUFFER_ELEMENTS.items():
        t = ir.type_named(ir.buffer_type(code, readonly=True))
        assert (t.kind, t.element, t.readonly, t.slots) == ("buffer", element, True, 3)
    shapes = {(1, "C"): 3, (2, "C"): 4, (1, "A"): 4, (2, "A"): 6}  # + dims after the first, + strides
    for (ndim, layout), slots in shapes.items():
        t = ir.type_named(ir.array_type("f", ndim, layout))
        assert (t.kind, t.ndim, t.layout, t.slots, t.element) == ("array", ndim, layout, slots,
                                                                   ir.ELEMENTS["f"])
        assert ir.argument_slots(t) == slots and ir.array_shape(t) == (ndim, layout)
    assert pickle.loads(pickle.dumps(ir.type_named("array:d:2A"))) is ir.type_named("array:d:2A")


# -- strided memoryviews (m[::2], m[::-1]): elements a stride apart -------------

def strided_views(a):
    """Views of array a whose elements are not next to each other, and a contiguous one."""
    m = memoryview(a)
    return [m[::2], m[1::3], m[::-1], m[-2::-2], m[3:3:2], m[::1]]


@pytest.mark.parametrize("code", list(ELEMENTS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_strided_memoryviews_read_as_cpython_reads_them(code, data):
    a = array.array(code, data.draw(st.lists(elements(code), max_size=30)))
    for view in strided_views(a):
        for f in ((int_sum, mixed, largest) if code in INT_CODES else (float_sum, mixed, largest)):
            assert_same(f, view)
        assert_same(iterate, view)
        for i in (0, 1, -1, len(view), -len(view) - 1):
            assert_same(at, view, i)


def test_strided_memoryviews_run_natively():
    a = array.array("q", range(100))
    m = memoryview(a)
    assert ran_natively(int_sum, m[::3]) == sum(range(0, 100, 3))
    assert ran_natively(int_sum, m[::-7]) == sum(range(99, -1, -7))
    assert ran_natively(at, m[5::10], -1) == 95
    assert ran_natively(count_found, m[::2], array.array("i", range(10))) == 5  # passed on
    assert (BufferKind(memoryview, "q", strided=True),) in int_sum.signatures
    assert repr(BufferKind(memoryview, "q", strided=True)) == "memoryview('q', strided)"
    readonly = memoryview(bytes(range(10)))[::2]
    assert ran_natively(int_sum, readonly) == sum(range(0, 10, 2))
    assert (BufferKind(memoryview, "B", True, True),) in int_sum.signatures
