"""jitcore.native: hand-written machine code as a Python callable (System V ABI through cffi)."""

from __future__ import annotations

import gc
import math
import random
import struct

import pytest
from conftest import INT64_EDGES

from jitcore import NativeFunction, native
from jitcore.asm import ARG_REGS, FLOAT_ARG_REGS, Assembler, rax, rdi, xmm0, xmm1, xmm2
from jitcore.runtime import stats


def wrap_int64(value: int) -> int:
    value %= 2**64
    return value - 2**64 if value >= 2**63 else value


def mul_code(constant: int) -> bytes:
    """The seed's mul: mov rax, constant; imul rax, rdi; ret."""
    a = Assembler()
    a.mov(rax, constant)
    a.imul(rax, rdi)
    a.ret()
    return a.assemble()


MUL_CONSTANTS = [0, 1, -1, 2**63 - 1, -(2**63), 2**64 - 1, 11, 2**31 - 1, -(2**31), 2**31, 2**32,
                 2**63, 3037000499, 0xDEADBEEFED]


@pytest.mark.parametrize("constant", MUL_CONSTANTS)
def test_mul_by_edge_constants_matches_python_wrapped_to_int64(constant):
    mul = native(mul_code(constant), [int], int)
    rng = random.Random(constant)
    inputs = INT64_EDGES + [rng.randint(-(2**63), 2**63 - 1) for _ in range(300)] + list(range(-10, 11))
    for x in inputs:
        assert mul(x) == wrap_int64(x * constant), (constant, x)
    mul.free()


def pick(argtypes: list[type], k: int) -> bytes:
    """Code that returns its k-th argument (as the ABI places it) unchanged."""
    a = Assembler()
    kind = argtypes[k]
    position = argtypes[:k].count(kind)  # ints and floats are numbered separately
    if kind is int:
        a.mov(rax, ARG_REGS[position])
    else:
        a.movsd(xmm0, FLOAT_ARG_REGS[position])
    a.ret()
    return a.assemble()


@pytest.mark.parametrize("argtypes", [
    [int] * 6,
    [float] * 8,
    [float, int, float, int, int, float, int, float, int, float, int],
    [int, int, int, int, int, int] + [float] * 8,
])
def test_arguments_arrive_in_the_system_v_registers(argtypes):
    rng = random.Random(len(argtypes))
    for k, kind in enumerate(argtypes):
        f = native(pick(argtypes, k), argtypes, kind)
        args = [rng.randint(-(2**63), 2**63 - 1) if t is int else rng.uniform(-1e300, 1e300)
                for t in argtypes]
        result = f(*args)
        assert type(result) is kind and result == args[k], (argtypes, k)


def test_float_results_bit_for_bit():
    # (x * y + x) / y in SSE: the same IEEE operations as Python's
    a = Assembler()
    a.movsd(xmm2, xmm0)  # x arrives in xmm0, y in xmm1
    a.mulsd(xmm0, xmm1)
    a.addsd(xmm0, xmm2)
    a.divsd(xmm0, xmm1)
    a.ret()
    f = native(a.assemble(), ["double", "double"], "double")
    rng = random.Random(3)
    specials = [0.0, -0.0, 1.0, -1.5, math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308]
    values = specials + [rng.uniform(-1e10, 1e10) for _ in range(200)]
    for x in values:
        for y in specials + [rng.uniform(-100, 100)]:
            got = f(x, y)
            try:
                want = (x * y + x) / y
            except ZeroDivisionError:  # SSE gives inf or nan; Python raises
                continue
            assert struct.pack("<d", got) == struct.pack("<d", want) or (math.isnan(got) and math.isnan(want))


def test_conversions_between_int64_and_double():
    a = Assembler()
    a.cvtsi2sd(xmm0, rdi)
    a.ret()
    to_float = native(a.assemble(), [int], float)
    b = Assembler()
    b.cvttsd2si(rax, xmm0)
    b.ret()
    to_int = native(b.assemble(), [float], int)
    for n in INT64_EDGES:
        assert to_float(n) == float(n)
    for x in [0.0, -0.0, 0.5, -0.5, 1.9, -1.9, 1e18, -9.2e18, 2.0**62]:
        assert to_int(x) == int(x)
    assert to_int(3) == 3  # an int for a double argument is converted as float() does


def test_void_and_no_arguments():
    f = native(b"\xc3", [], None)
    assert f() is None
    assert f.argtypes == () and f.restype is None
    g = native(mul_code(7), ("int64",), "int64")
    assert g.argtypes == (int,) and g.restype is int and g(6) == 42


def test_properties_and_repr():
    code = mul_code(11)
    f = native(code, [int], int)
    assert isinstance(f, NativeFunction)
    assert f.code == code
    assert isinstance(f.address, int) and f.address > 0
    assert repr(f) == f"<NativeFunction int64_t(int64_t), {len(code)} bytes at 0x{f.address:x}>"
    assert native(bytearray(code), [int])(2) == 22
    assert native(memoryview(code), [int])(3) == 33


def test_disassemble_shows_the_code_in_executable_memory():
    pytest.importorskip("capstone")
    f = native(mul_code(11), [int], int)
    text = f.disassemble()
    assert f"0x{f.address:x}" in text
    assert "mov eax, 0xb" in text and "imul rax, rdi" in text and "ret" in text


def test_free_and_garbage_collection_return_the_memory():
    gc.collect()
    before = stats()["blocks_live"]
    f = native(mul_code(3), [int], int)
    assert stats()["blocks_live"] == before + 1
    f.free()
    assert stats()["blocks_live"] == before and f.freed
    f.free()  # idempotent
    with pytest.raises(ValueError, match="freed"):
        f(1)
    assert "freed" in repr(f)
    with pytest.raises(ValueError):
        f.disassemble()
    g = native(mul_code(3), [int], int)
    assert stats()["blocks_live"] == before + 1
    del g
    gc.collect()
    assert stats()["blocks_live"] == before


# -- calls with the wrong arguments ---------------------------------------------

@pytest.fixture(scope="module")
def mixed():
    """f(int, float) -> int: returns its int argument."""
    return native(pick([int, float], 0), [int, float], int)


@pytest.mark.parametrize("args, error, words", [
    ((), TypeError, "takes 2 arguments (0 given)"),
    ((1,), TypeError, "takes 2 arguments (1 given)"),
    ((1, 2.0, 3), TypeError, "takes 2 arguments (3 given)"),
    ((True, 2.0), TypeError, "argument 0 must be an int (int64), not bool"),
    ((1.0, 2.0), TypeError, "argument 0 must be an int (int64), not float"),
    (("1", 2.0), TypeError, "not str"),
    ((None, 2.0), TypeError, "not NoneType"),
    ((1, True), TypeError, "argument 1 must be a float (double), not bool"),
    ((1, "2"), TypeError, "not str"),
    ((1, 1j), TypeError, "not complex"),
    ((2**63, 1.0), OverflowError, "argument 0 = 9223372036854775808 does not fit in int64"),
    ((-(2**63) - 1, 1.0), OverflowError, "does not fit in int64"),
    ((1, 10**400), OverflowError, ""),
])
def test_wrong_arguments(mixed, args, error, words):
    with pytest.raises(error) as info:
        mixed(*args)
    assert words in str(info.value)


def test_int64_edges_are_accepted(mixed):
    assert mixed(2**63 - 1, 0.0) == 2**63 - 1
    assert mixed(-(2**63), 0) == -(2**63)


@pytest.mark.parametrize("code, argtypes, restype, error, words", [
    (b"\xc3", [int] * 7, int, TypeError, "at most 6 int64 and 8 double"),
    (b"\xc3", [float] * 9, int, TypeError, "at most 6 int64 and 8 double"),
    (b"\xc3", [bool], int, TypeError, "argument type 0 must be int or 'int64'"),
    (b"\xc3", ["int32"], int, TypeError, "argument type 0"),
    (b"\xc3", "int64", int, TypeError, "argtypes must be a list or tuple"),
    (b"\xc3", [int], str, TypeError, "restype must be"),
    (b"\xc3", [int], "float", TypeError, "restype must be"),
    ("c3", [int], int, TypeError, "code must be bytes, got str"),
    (Assembler(), [int], int, TypeError, "call its assemble() first"),
    (b"", [int], int, ValueError, "code is empty"),
])
def test_bad_signatures_raise_at_creation(code, argtypes, restype, error, words):
    with pytest.raises(error) as info:
        native(code, argtypes, restype)
    assert words in str(info.value)
