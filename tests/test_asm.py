"""jitcore.asm: the compiler's own encoder as a public assembler.

Hand-assembled functions run through jitcore.native and are compared with
Python; every kind of mistake raises AsmError naming the instruction and
the operand.
"""

from __future__ import annotations

import random

import pytest

import jitcore.asm as asm_module
from jitcore import native
from jitcore.asm import (
    ARG_REGS,
    FLOAT_ARG_REGS,
    GPRS,
    XMMS,
    AsmError,
    Assembler,
    Label,
    Mem,
    by_name,
    format_listing,
    r9,
    r12,
    rax,
    rbx,
    rcx,
    rdi,
    rdx,
    rsi,
    rsp,
    xmm0,
    xmm1,
)
from jitcore.x86_64 import encoder, registers


def test_it_is_the_compilers_encoder_not_a_second_one():
    assert asm_module.Assembler is encoder.Assembler
    assert asm_module.AsmError is encoder.AsmError
    assert asm_module.Mem is encoder.Mem
    assert asm_module.Label is encoder.Label
    for reg in registers.GPRS + registers.XMMS:
        assert getattr(asm_module, reg.name) is reg
    assert [r.name for r in GPRS] == ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                      "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    assert [r.name for r in XMMS] == [f"xmm{i}" for i in range(16)]
    assert by_name("r12") is r12
    for name in asm_module.__all__:
        assert hasattr(asm_module, name), name


def test_the_docstring_example():
    a = Assembler()
    a.mov(rax, rdi)
    a.add(rax, rsi)
    a.ret()
    add = native(a.assemble(), [int, int], int)
    assert add(2, 3) == 5
    assert add(-(2**63), 2**63 - 1) == -1


def sum_to_n() -> Assembler:
    """rax = 1 + 2 + ... + n (0 for n <= 0), counting n down in rdi."""
    a = Assembler()
    top, done = a.label("top"), a.label("done")
    a.xor(rax, rax)
    a.bind(top)
    a.test(rdi, rdi)
    a.jle(done)
    a.add(rax, rdi)
    a.sub(rdi, 1)
    a.jmp(top)
    a.bind(done)
    a.ret()
    return a


def test_a_loop_with_labels_and_jumps():
    a = sum_to_n()
    code = a.assemble()
    total = native(code, [int], int)
    for n in list(range(-3, 200)) + [10**5, 3 * 10**6]:
        assert total(n) == max(n, 0) * (max(n, 0) + 1) // 2, n
    listing = a.listing()
    assert [text for _, _, text in listing] == [
        "xor rax, rax", "top:", "test rdi, rdi", "jle done", "add rax, rdi", "sub rdi, 1",
        "jmp top", "done:", "ret"]
    # short jumps: 2 bytes each; the labels' offsets are known after assemble()
    assert all(length == 2 for _, length, text in listing if text.startswith("j"))
    assert {label.name: offset for label, offset in a.offsets.items()} == {"top": 3, "done": 17}


def test_jumps_too_far_for_rel8_become_rel32():
    a = Assembler()
    top, done = a.label("top"), a.label("done")
    a.xor(rax, rax)
    a.bind(top)
    a.test(rdi, rdi)
    a.je(done)  # forward over the nops: rel32
    for _ in range(200):
        a.nop()
    a.add(rax, rdi)
    a.sub(rdi, 1)
    a.jmp(top)  # backward over the nops: rel32
    a.bind(done)
    a.ret()
    code = a.assemble()
    lengths = {text: length for _, length, text in a.listing()}
    assert lengths["je done"] == 6 and lengths["jmp top"] == 5
    total = native(code, [int], int)
    for n in (0, 1, 2, 10, 1000):
        assert total(n) == n * (n + 1) // 2


def test_call_to_a_label():
    # rax = square(rdi) + 1, square as a local subroutine reached with call
    a = Assembler()
    square = a.label("square")
    a.call(square)
    a.add(rax, 1)
    a.ret()
    a.bind(square)
    a.mov(rax, rdi)
    a.imul(rax, rdi)
    a.ret()
    f = native(a.assemble(), [int], int)
    assert [f(x) for x in (-3, 0, 7)] == [10, 1, 50]


def test_memory_operands_and_the_stack():
    # push the arguments, read them back through [rsp + disp] and [base + index*scale]
    a = Assembler()
    a.push(rdi)
    a.push(rsi)
    a.mov(rax, Mem(rsp, disp=8))  # rdi
    a.mov(rcx, 1)
    a.sub(rax, Mem(rsp, rcx, 8, -8))  # [rsp + 8 - 8] = rsi
    a.add(rsp, 16)
    a.ret()
    f = native(a.assemble(), [int, int], int)
    assert f(10, 3) == 7 and f(-5, 5) == -10


def test_setcc_and_cmov():
    a = Assembler()
    a.xor(rax, rax)
    a.cmp(rdi, rsi)
    a.setcc("l", rax)  # rax = rdi < rsi
    a.mov(rdx, 100)
    a.cmovcc("g", rax, rdx)  # rax = 100 if rdi > rsi
    a.ret()
    f = native(a.assemble(), [int, int], int)
    rng = random.Random(5)
    for _ in range(200):
        x, y = rng.randint(-5, 5), rng.randint(-5, 5)
        assert f(x, y) == (100 if x > y else int(x < y))


def test_float_arithmetic():
    # hypot-like: x*x + y*y, and a conversion from int
    a = Assembler()
    a.mulsd(xmm0, xmm0)
    a.mulsd(xmm1, xmm1)
    a.addsd(xmm0, xmm1)
    a.cvtsi2sd(xmm1, rdi)
    a.addsd(xmm0, xmm1)
    a.ret()
    f = native(a.assemble(), [float, float, int], float)
    rng = random.Random(7)
    for _ in range(300):
        x, y, n = rng.uniform(-1e6, 1e6), rng.uniform(-1e3, 1e3), rng.randint(-(2**63), 2**63 - 1)
        assert f(x, y, n) == x * x + y * y + float(n)


def test_format_listing():
    a = sum_to_n()
    code = a.assemble()
    text = format_listing(a.listing(), code)
    lines = text.splitlines()
    assert lines[0].split() == ["0000", "48", "31", "c0", "xor", "rax,", "rax"]
    assert lines[1] == "top:"
    assert lines[-1].split() == ["0011", "c3", "ret"]
    based = format_listing(a.listing(), code, base=0x1000)
    assert based.splitlines()[0].split()[0] == "0x1000"


# -- mistakes ---------------------------------------------------------------

def _other_label() -> Label:
    return Assembler().label("elsewhere")


# (what to do, the instruction the message must start with, text naming the operand)
MISTAKES = [
    # not a register at all, or the wrong kind of register
    (lambda a: a.mov(rax, "rbx"), "mov", "'rbx'"),
    (lambda a: a.mov("rax", 1), "mov", "'rax'"),
    (lambda a: a.add(rax, xmm0), "add", "xmm0"),
    (lambda a: a.imul(xmm1, rax), "imul", "xmm1"),
    (lambda a: a.addsd(rax, xmm0), "addsd", "rax"),
    (lambda a: a.addsd(xmm0, rbx), "addsd", "rbx"),
    (lambda a: a.cvtsi2sd(xmm0, xmm1), "cvtsi2sd", "xmm1"),
    (lambda a: a.cvttsd2si(xmm0, xmm1), "cvttsd2si", "xmm0"),
    (lambda a: a.push(xmm0), "push", "xmm0"),
    (lambda a: a.pop(None), "pop", "None"),
    (lambda a: a.neg(5), "neg", "5"),
    (lambda a: a.setcc("e", xmm0), "sete", "xmm0"),
    (lambda a: a.cmovcc("l", rax, 7), "cmovl", "7"),
    (lambda a: a.movq(rax, rbx), "movq", "rax, rbx"),
    (lambda a: a.movsd(rax, xmm0), "movsd", "rax"),
    (lambda a: a.lea(rax, rbx), "lea", "rbx"),
    (lambda a: a.jmp(xmm0), "jmp", "xmm0"),
    (lambda a: a.call(1234), "call", "0x4d2"),  # big numbers in hex
    (lambda a: a.shl(rax, rdx), "shl", "rdx"),
    # immediates: wrong type or out of range
    (lambda a: a.mov(rax, True), "mov", "True"),
    (lambda a: a.mov(rax, 1.5), "mov", "1.5"),
    (lambda a: a.mov(rax, 2**64), "mov", "0x10000000000000000"),
    (lambda a: a.mov(rax, -(2**63) - 1), "mov", "-0x8000000000000001"),
    (lambda a: a.mov(Mem(rax), 2**32), "mov", "0x100000000"),
    (lambda a: a.add(rax, 2**31), "add", "0x80000000"),
    (lambda a: a.cmp(rdi, -(2**31) - 1), "cmp", "-0x80000001"),
    (lambda a: a.test(rax, 2**40), "test", "0x10000000000"),
    (lambda a: a.imul(rax, rbx, 2**35), "imul", "0x800000000"),
    (lambda a: a.imul(rax, rbx, False), "imul", "False"),
    (lambda a: a.shl(rax, 64), "shl", "64"),
    (lambda a: a.sar(rax, -1), "sar", "-1"),
    (lambda a: a.roundsd(xmm0, xmm1, 16), "roundsd", "0x10"),
    # forms the hardware does not have
    (lambda a: a.mov(Mem(rax), Mem(rbx)), "mov", "memory-to-memory"),
    (lambda a: a.add(Mem(rax), Mem(rbx)), "add", "memory-to-memory"),
    (lambda a: a.movsd(Mem(rax), Mem(rbx)), "movsd", "memory-to-memory"),
    # conditions and labels
    (lambda a: a.jcc("zz", a.label()), "jcc", "'zz'"),
    (lambda a: a.jmp("top"), "jmp", "'top'"),
    (lambda a: a.jne(_other_label()), "jne", "'elsewhere'"),
    (lambda a: a.call(_other_label()), "call", "'elsewhere'"),
    (lambda a: a.bind(_other_label()), "bind", "'elsewhere'"),
    (lambda a: a.label(5), "label", "5"),
]


@pytest.mark.parametrize("mistake, instr, operand", MISTAKES,
                         ids=[f"{i}-{m[1]}" for i, m in enumerate(MISTAKES)])
def test_mistakes_raise_asm_error_naming_instruction_and_operand(mistake, instr, operand):
    a = Assembler()
    with pytest.raises(AsmError) as info:
        mistake(a)
    message = str(info.value)
    assert message.startswith(f"{instr}: "), message
    assert operand in message, message


def test_a_rejected_instruction_emits_nothing():
    a = Assembler()
    a.mov(rax, 1)
    with pytest.raises(AsmError):
        a.add(rax, 2**40)
    a.ret()
    assert a.assemble() == bytes.fromhex("b801000000c3")


@pytest.mark.parametrize("make, operand", [
    (lambda: Mem(xmm0), "xmm0"),
    (lambda: Mem(rax, index=rsp), "rsp"),
    (lambda: Mem(rax, index="rcx"), "'rcx'"),
    (lambda: Mem(rax, r9, scale=3), "3"),
    (lambda: Mem(rax, disp=2**31), "0x80000000"),
    (lambda: Mem(rax, disp=True), "True"),
])
def test_bad_memory_operands(make, operand):
    with pytest.raises(AsmError) as info:
        make()
    assert str(info.value).startswith("Mem: ") and operand in str(info.value)


def test_label_never_bound():
    a = Assembler()
    nowhere = a.label("nowhere")
    a.jmp(nowhere)
    with pytest.raises(AsmError, match="^jmp: label 'nowhere' was never bound"):
        a.assemble()
    b = Assembler()
    b.je(b.label("later"))
    with pytest.raises(AsmError, match="^je: label 'later' was never bound"):
        b.assemble()


def test_label_bound_twice():
    a = Assembler()
    top = a.label("top")
    a.bind(top)
    a.nop()
    with pytest.raises(AsmError, match="^bind: label 'top' is already bound"):
        a.bind(top)


def test_label_of_another_assembler():
    a, b = Assembler(), Assembler()
    theirs = b.label("theirs")
    b.bind(theirs)
    with pytest.raises(AsmError, match="^jmp: label 'theirs' belongs to another Assembler"):
        a.jmp(theirs)
    with pytest.raises(AsmError, match="^jl: label 'theirs' belongs to another Assembler"):
        a.jl(theirs)


def test_listing_needs_assemble():
    a = Assembler()
    a.ret()
    with pytest.raises(AsmError, match="^listing: "):
        a.listing()
    a.assemble()
    assert a.listing() == [(0, 1, "ret")]
    a.nop()  # a new instruction makes the old listing stale
    with pytest.raises(AsmError, match="^listing: "):
        a.listing()


def test_abi_register_tables():
    assert [r.name for r in ARG_REGS] == ["rdi", "rsi", "rdx", "rcx", "r8", "r9"]
    assert FLOAT_ARG_REGS == XMMS[:8]


def test_registers_made_by_hand_are_rejected():
    # Only the module's register objects are registers: a look-alike would
    # otherwise encode as the 64-bit register with the same number.
    from jitcore.x86_64.registers import Reg

    fake = Reg("eax", 0, "gpr")
    asm = Assembler()
    with pytest.raises(AsmError, match="mov"):
        asm.mov(fake, 1)
    with pytest.raises(AsmError, match="Mem"):
        Mem(fake)
    with pytest.raises(AsmError, match="addsd"):
        asm.addsd(Reg("xmm1", 1, "xmm"), xmm0)
