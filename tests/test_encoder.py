"""Tests for the x86-64 encoder: decode what it emits with capstone and compare
the decoded instruction with the one we asked for, structurally (mnemonic,
then every operand by type and value) rather than by disassembly text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

capstone = pytest.importorskip("capstone")
from capstone import x86 as cs_x86  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jitcore.x86_64 import registers  # noqa: E402
from jitcore.x86_64.encoder import AsmError, Assembler, Label, Mem  # noqa: E402
from jitcore.x86_64.registers import (  # noqa: E402
    GPRS,
    XMMS,
    Reg,
    by_name,
    byte_name,
    r8,
    r9,
    r11,
    r12,
    r13,
    r15,
    rax,
    rbp,
    rbx,
    rcx,
    rdx,
    rsi,
    rsp,
    xmm0,
    xmm1,
    xmm2,
    xmm3,
    xmm8,
    xmm9,
    xmm15,
)

# ---------------------------------------------------------------------------
# Expected values, written out independently of the encoder's own tables
# ---------------------------------------------------------------------------

ALU_NAMES = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]
UNARY_NAMES = ["neg", "not", "inc", "dec", "mul", "div", "idiv"]
SHIFT_NAMES = ["shl", "shr", "sar", "rol", "ror"]
CONDITION_NAMES = ["o", "no", "b", "ae", "e", "ne", "be", "a",
                   "s", "ns", "p", "np", "l", "ge", "le", "g"]
CONDITION_ALIASES = {
    "c": "b", "nae": "b", "nc": "ae", "nb": "ae", "z": "e", "nz": "ne",
    "na": "be", "nbe": "a", "pe": "p", "po": "np", "nge": "l", "nl": "ge",
    "ng": "le", "nle": "g",
}
ALL_CONDITIONS = CONDITION_NAMES + list(CONDITION_ALIASES)
# SSE instructions "op xmm, xmm/mem" and the size capstone reports for their
# memory operand.  The manual (and objdump) say comisd reads an m64; capstone
# 5 reports 16 bytes for it (but 8 for ucomisd), so we expect what it says.
SSE_XMM_RM = {
    "addsd": 8, "subsd": 8, "mulsd": 8, "divsd": 8, "sqrtsd": 8, "minsd": 8, "maxsd": 8,
    "ucomisd": 8, "comisd": 16,
    "xorpd": 16, "andpd": 16, "orpd": 16, "andnpd": 16,
    "cvtss2sd": 4, "cvtsd2ss": 8,
}
REG32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
         "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"]
REG8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"]

INDEX_REGS = [r for r in GPRS if r.name != "rsp"]
SCALES = [1, 2, 4, 8]
DISPS = [0, 1, -1, 127, 128, -128, -129, 2 ** 31 - 1, -2 ** 31]
IMM32_EDGES = [0, 1, -1, 127, 128, -128, -129, 2 ** 31 - 1, -2 ** 31]

# A few memory operands that between them hit every special case:
# rsp/r12 base (SIB), rbp/r13 base (disp8 = 0), r12/r13 as index, no base.
SAMPLE_MEMS = [
    Mem(rax), Mem(rsp), Mem(rbp), Mem(r12), Mem(r13), Mem(r15, disp=-8),
    Mem(rbp, disp=-8), Mem(rsp, disp=16), Mem(r13, disp=128),
    Mem(rax, rcx, 8, -129), Mem(rsp, r12, 4, 2 ** 31 - 1), Mem(r13, r13, 2),
    Mem(rbx, rbp, 1, 127), Mem(None, disp=0x1000), Mem(None, r9, 8, -2 ** 31),
    Mem(None, rax),
]


def method_name(mnemonic: str) -> str:
    """The Assembler method for a mnemonic that is a Python keyword gets a trailing _."""
    return mnemonic + "_" if mnemonic in ("or", "and", "not") else mnemonic


# ---------------------------------------------------------------------------
# Decoding helpers
# ---------------------------------------------------------------------------

CS = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
CS.detail = True


@dataclass(frozen=True)
class MemOp:
    """An expected memory operand with its access size in bytes."""

    mem: Mem
    size: int = 8


def byte_ptr(mem: Mem) -> MemOp:
    return MemOp(mem, 1)


def xmmword_ptr(mem: Mem) -> MemOp:
    return MemOp(mem, 16)


# An expected operand: a register (Reg or capstone register name), an
# immediate (int), or a memory operand (Mem = qword, or MemOp).
Expected = Reg | str | int | Mem | MemOp


def check_operand(insn, got, want: Expected, where: str) -> None:
    if isinstance(want, (Reg, str)):
        name = want.name if isinstance(want, Reg) else want
        assert got.type == cs_x86.X86_OP_REG, f"{where}: expected register {name}"
        assert insn.reg_name(got.reg) == name, where
    elif isinstance(want, int):
        assert got.type == cs_x86.X86_OP_IMM, f"{where}: expected immediate {want}"
        # capstone reports immediates either signed or unsigned depending on
        # the instruction; compare the bit patterns at the operand's size, after
        # making sure the wanted value is representable at that size at all.
        bits = 8 * got.size
        assert -(2 ** (bits - 1)) <= want < 2 ** bits, f"{where}: {want} does not fit {bits} bits"
        mask = (1 << bits) - 1
        assert got.imm & mask == want & mask, f"{where}: immediate {got.imm:#x} != {want:#x}"
    else:
        memop = want if isinstance(want, MemOp) else MemOp(want)
        mem = memop.mem
        assert got.type == cs_x86.X86_OP_MEM, f"{where}: expected memory operand {mem}"
        m = got.mem
        base = insn.reg_name(m.base) if m.base else None
        index = insn.reg_name(m.index) if m.index else None
        assert base == (mem.base.name if mem.base else None), f"{where}: base"
        assert index == (mem.index.name if mem.index else None), f"{where}: index"
        assert m.scale == mem.scale, f"{where}: scale"
        assert m.disp == mem.disp, f"{where}: disp"
        assert m.segment == 0, f"{where}: segment"
        assert got.size == memop.size, f"{where}: size {got.size} != {memop.size}"


def assert_decodes(code: bytes, mnemonic: str, *operands: Expected, address: int = 0):
    """code must be exactly one instruction `mnemonic operands...`; returns it."""
    insns = list(CS.disasm(code, address))
    where = f"{code.hex()} ({'; '.join(i.mnemonic + ' ' + i.op_str for i in insns)})"
    assert len(insns) == 1 and insns[0].size == len(code), f"{where}: not exactly one instruction"
    insn = insns[0]
    assert insn.mnemonic == mnemonic, f"{where}: expected {mnemonic}"
    assert len(insn.operands) == len(operands), f"{where}: operand count"
    for got, want in zip(insn.operands, operands, strict=False):
        check_operand(insn, got, want, where)
    return insn


def decode_all(code: bytes) -> list:
    insns = list(CS.disasm(code, 0))
    assert sum(i.size for i in insns) == len(code), "code did not decode completely"
    return insns


def enc(method: str, *args) -> bytes:
    """The bytes of a single instruction."""
    asm = Assembler()
    getattr(asm, method)(*args)
    return asm.assemble()


def mem_tail_length(mem: Mem) -> int:
    """Length of ModRM + SIB + displacement, from the rules in the Intel manual."""
    if mem.base is None:
        return 1 + 1 + 4  # ModRM, SIB (no base), disp32
    needs_sib = mem.index is not None or mem.base.name in ("rsp", "r12")
    if mem.disp == 0 and mem.base.name not in ("rbp", "r13"):
        disp = 0
    elif -128 <= mem.disp <= 127:
        disp = 1
    else:
        disp = 4
    return 1 + needs_sib + disp


def needs_rex(*regs: Reg | None) -> bool:
    return any(r is not None and r.code >= 8 for r in regs)


def all_mems(base: Reg | None) -> list[Mem]:
    """Every index (incl. none) x scale x displacement for one base."""
    mems = [Mem(base, None, 1, d) for d in DISPS]
    for index in INDEX_REGS:
        for scale in SCALES:
            for d in DISPS:
                mems.append(Mem(base, index, scale, d))
    return mems


# ---------------------------------------------------------------------------
# registers.py
# ---------------------------------------------------------------------------

def test_register_tables():
    assert [r.name for r in GPRS] == ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                      "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    assert [r.name for r in XMMS] == [f"xmm{i}" for i in range(16)]
    for i, (g, x) in enumerate(zip(GPRS, XMMS, strict=False)):
        assert (g.code, g.kind, x.code, x.kind) == (i, "gpr", i, "xmm")
        assert g.low3 == x.low3 == i & 7 and g.ext == x.ext == i >> 3
        assert repr(g) == g.name and by_name(g.name) is g and by_name(x.name) is x
        assert byte_name(g) == REG8[i]
        assert getattr(registers, g.name) is g and getattr(registers, x.name) is x
    with pytest.raises(ValueError):
        by_name("eax")
    with pytest.raises(ValueError):
        byte_name(xmm0)
    with pytest.raises(AttributeError):
        rax.code = 3  # type: ignore[misc]


def test_sysv_register_sets():
    names = lambda regs: [r.name for r in regs]  # noqa: E731
    assert names(registers.ARG_REGS) == ["rdi", "rsi", "rdx", "rcx", "r8", "r9"]
    assert names(registers.CALLEE_SAVED) == ["rbx", "rbp", "r12", "r13", "r14", "r15"]
    assert set(registers.CALLER_SAVED) == set(GPRS) - set(registers.CALLEE_SAVED) - {rsp}
    assert len(registers.CALLER_SAVED) == 9


# ---------------------------------------------------------------------------
# Memory operands: every base x index x scale x displacement
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("base", [None] + list(GPRS), ids=lambda b: b.name if b else "nobase")
def test_memory_operands_exhaustive(base):
    for i, mem in enumerate(all_mems(base)):
        reg = GPRS[i % 16]  # vary ModRM.reg / REX.R too
        tail = mem_tail_length(mem)
        # REX.W is always there (64-bit), so the length is REX + opcode + tail.
        code = enc("mov", reg, mem)
        assert_decodes(code, "mov", reg, mem)
        assert len(code) == 2 + tail, (mem, code.hex())
        code = enc("mov", mem, reg)
        assert_decodes(code, "mov", mem, reg)
        assert len(code) == 2 + tail
        code = enc("lea", reg, mem)
        assert_decodes(code, "lea", reg, mem)
        # A non-REX.W instruction: REX only if an extended register is involved.
        xmm = XMMS[i % 16]
        code = enc("movsd", xmm, mem)
        assert_decodes(code, "movsd", xmm, mem)
        assert len(code) == 1 + needs_rex(xmm, mem.base, mem.index) + 2 + tail


def test_memory_operand_special_cases_bytes():
    # Spot checks against hand-assembled bytes from the manual.
    assert enc("mov", rax, Mem(rsp)) == bytes.fromhex("488b0424")  # SIB for rsp
    assert enc("mov", rax, Mem(r12)) == bytes.fromhex("498b0424")  # ... and r12
    assert enc("mov", rax, Mem(rbp)) == bytes.fromhex("488b4500")  # disp8=0 for rbp
    assert enc("mov", rax, Mem(r13)) == bytes.fromhex("498b4500")  # ... and r13
    assert enc("mov", rax, Mem(None, disp=8)) == bytes.fromhex("488b042508000000")
    assert enc("mov", rax, Mem(None, r12, 8)) == bytes.fromhex("4a8b04e500000000")
    assert enc("mov", rax, Mem(rax, r12)) == bytes.fromhex("4a8b0420")


def test_mem_str():
    assert str(Mem(rbp, disp=-8)) == "[rbp - 8]"
    assert str(Mem(rax, rcx, 8, 16)) == "[rax + rcx*8 + 0x10]"
    assert str(Mem(None, disp=0x1000)) == "[0x1000]"
    assert str(Mem(None, r9, 2)) == "[r9*2]"
    assert str(Mem(rax, rbx)) == "[rax + rbx]"


# ---------------------------------------------------------------------------
# mov
# ---------------------------------------------------------------------------

def test_mov_reg_reg_all_pairs():
    for dst in GPRS:
        for src in GPRS:
            code = enc("mov", dst, src)
            assert_decodes(code, "mov", dst, src)
            assert len(code) == 3


def test_mov_reg_mem_and_mem_reg():
    for reg in GPRS:
        for mem in SAMPLE_MEMS:
            assert_decodes(enc("mov", reg, mem), "mov", reg, mem)
            assert_decodes(enc("mov", mem, reg), "mov", mem, reg)


MOV_IMM_EDGES = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, -1, -2 ** 31, -2 ** 31 - 1,
                 2 ** 63 - 1, -2 ** 63, 2 ** 63, 2 ** 64 - 1, 0x123456789ABCDEF0]


def expected_mov_imm(reg: Reg, value: int) -> tuple[str, str, int, int]:
    """(mnemonic, decoded register, decoded immediate, length) of the shortest exact encoding."""
    unsigned = value % 2 ** 64
    signed = unsigned - 2 ** 64 if unsigned >= 2 ** 63 else unsigned
    rex = 1 if reg.code >= 8 else 0
    if unsigned < 2 ** 32:
        return "mov", REG32[reg.code], unsigned, rex + 1 + 4  # mov r32, imm32
    if -2 ** 31 <= signed < 0:
        return "mov", reg.name, signed, 1 + 1 + 1 + 4  # REX.W C7 /0 imm32
    return "movabs", reg.name, signed, 1 + 1 + 8  # REX.W B8+r imm64


def test_mov_reg_imm_shortest():
    for reg in GPRS:
        for value in MOV_IMM_EDGES:
            mnemonic, name, imm, length = expected_mov_imm(reg, value)
            code = enc("mov", reg, value)
            assert_decodes(code, mnemonic, name, imm)
            assert len(code) == length, (reg, value, code.hex())


def test_mov_imm_unsigned_spelling_is_same_bits():
    assert enc("mov", rax, 2 ** 64 - 1) == enc("mov", rax, -1)
    assert enc("mov", rax, 2 ** 63) == enc("mov", rax, -2 ** 63)


def test_mov_address_is_always_movabs_and_noted_where_its_bytes_are():
    # every register and every size of value: the 8-byte form, so that code
    # kept across processes has room for any address there (jitcore/cache.py)
    for reg in GPRS:
        for value in MOV_IMM_EDGES:
            asm = Assembler()
            asm.mov(rcx, 5)  # (something before it: the offset is not 0)
            asm.mov_address(reg, value, ("helper", "jc_pow"))
            asm.ret()
            code = asm.assemble()
            insns = decode_all(code)
            assert [i.mnemonic for i in insns] == ["mov", "movabs", "ret"]
            signed = value % 2 ** 64 - (2 ** 64 if value % 2 ** 64 >= 2 ** 63 else 0)
            assert_decodes(code[insns[1].address:insns[2].address], "movabs", reg, signed)
            assert asm.relocations == [(insns[2].address - 8, ("helper", "jc_pow"))]
            offset = asm.relocations[0][0]
            assert int.from_bytes(code[offset:offset + 8], "little") == value % 2 ** 64


def test_relocations_follow_the_code_as_jumps_grow():
    asm = Assembler()
    far = asm.label("far")
    asm.jmp(far)  # long once the padding is in: the addresses move by 3 bytes
    asm.mov_address(rax, 0x7F00_1234_5678, ("poll_slow",))
    for _ in range(60):
        asm.mov(rdx, rax)
    asm.mov_address(r11, 0x5555_0000_1000, ("cell", 0x5555_0000_1000))
    asm.bind(far)
    asm.ret()
    code = asm.assemble()
    assert [symbol for _, symbol in asm.relocations] == [("poll_slow",), ("cell", 0x5555_0000_1000)]
    for (offset, _), value in zip(asm.relocations, (0x7F00_1234_5678, 0x5555_0000_1000), strict=True):
        assert code[offset - 2] in (0x48, 0x49) and 0xB8 <= code[offset - 1] <= 0xBF
        assert int.from_bytes(code[offset:offset + 8], "little") == value
    assert asm.relocations[0][0] == 5 + 2  # after the long jmp and REX.W B8


def test_mov_address_takes_only_a_general_purpose_register():
    with pytest.raises(AsmError):
        Assembler().mov_address(Mem(rax), 1, ("poll_slow",))
    with pytest.raises(AsmError):
        Assembler().mov_address(xmm0, 1, ("poll_slow",))
    with pytest.raises(AsmError):
        Assembler().mov_address(rax, 2 ** 64, ("poll_slow",))


def test_mov_mem_imm():
    for mem in SAMPLE_MEMS:
        for value in IMM32_EDGES:
            code = enc("mov", mem, value)
            assert_decodes(code, "mov", mem, value)
            assert len(code) == 2 + mem_tail_length(mem) + 4
    # The unsigned spelling of a negative 64-bit value is accepted too.
    assert enc("mov", Mem(rax), 2 ** 64 - 1) == enc("mov", Mem(rax), -1)


# ---------------------------------------------------------------------------
# ALU: add or adc sbb and sub xor cmp
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", ALU_NAMES)
def test_alu_reg_reg_all_pairs(op):
    for dst in GPRS:
        for src in GPRS:
            code = enc(method_name(op), dst, src)
            assert_decodes(code, op, dst, src)
            assert len(code) == 3


@pytest.mark.parametrize("op", ALU_NAMES)
def test_alu_reg_mem_and_mem_reg(op):
    for reg in GPRS:
        for mem in SAMPLE_MEMS:
            assert_decodes(enc(method_name(op), reg, mem), op, reg, mem)
            assert_decodes(enc(method_name(op), mem, reg), op, mem, reg)


def alu_imm_length(dst: Reg | Mem, value: int) -> int:
    tail = 1 if isinstance(dst, Reg) else mem_tail_length(dst)
    if -128 <= value <= 127:
        return 1 + 1 + tail + 1  # REX.W 83 /digit ib
    if isinstance(dst, Reg) and dst.name == "rax":
        return 1 + 1 + 4  # REX.W op-rax imm32
    return 1 + 1 + tail + 4  # REX.W 81 /digit id


@pytest.mark.parametrize("op", ALU_NAMES)
def test_alu_reg_imm(op):
    for reg in GPRS:
        for value in IMM32_EDGES:
            code = enc(method_name(op), reg, value)
            assert_decodes(code, op, reg, value)
            assert len(code) == alu_imm_length(reg, value), (op, reg, value, code.hex())


@pytest.mark.parametrize("op", ALU_NAMES)
def test_alu_mem_imm(op):
    for mem in SAMPLE_MEMS:
        for value in IMM32_EDGES:
            code = enc(method_name(op), mem, value)
            assert_decodes(code, op, mem, value)
            assert len(code) == alu_imm_length(mem, value)


def test_alu_unsigned_spelling_of_negative_imm():
    assert enc("add", rax, 2 ** 64 - 1) == enc("add", rax, -1)
    assert enc("cmp", r9, 2 ** 64 - 2 ** 31) == enc("cmp", r9, -2 ** 31)


# ---------------------------------------------------------------------------
# test, imul, one-operand instructions
# ---------------------------------------------------------------------------

def test_test_forms():
    for a in GPRS:
        for b in GPRS:
            assert_decodes(enc("test", a, b), "test", a, b)
        for mem in SAMPLE_MEMS:
            assert_decodes(enc("test", mem, a), "test", mem, a)
            # test is symmetric; the only encoding has the memory operand first.
            assert_decodes(enc("test", a, mem), "test", mem, a)
        for value in IMM32_EDGES:
            code = enc("test", a, value)
            assert_decodes(code, "test", a, value)
            assert len(code) == (6 if a.name == "rax" else 7)  # no imm8 form for test
    for mem in SAMPLE_MEMS:
        for value in IMM32_EDGES:
            assert_decodes(enc("test", mem, value), "test", mem, value)


def test_imul_forms():
    for dst in GPRS:
        for src in GPRS:
            assert_decodes(enc("imul", dst, src), "imul", dst, src)
            for value in (-128, 127, 128, -2 ** 31):
                code = enc("imul", dst, src, value)
                assert_decodes(code, "imul", dst, src, value)
                assert len(code) == (4 if -128 <= value <= 127 else 7)
        for mem in SAMPLE_MEMS:
            assert_decodes(enc("imul", dst, mem), "imul", dst, mem)
            for value in IMM32_EDGES:
                assert_decodes(enc("imul", dst, mem, value), "imul", dst, mem, value)


@pytest.mark.parametrize("op", UNARY_NAMES)
def test_unary_ops(op):
    for reg in GPRS:
        code = enc(method_name(op), reg)
        assert_decodes(code, op, reg)
        assert len(code) == 3
    for mem in SAMPLE_MEMS:
        assert_decodes(enc(method_name(op), mem), op, mem)


def test_div32_every_register():
    for reg in GPRS:
        code = enc("div32", reg)
        (insn,) = CS.disasm(code, 0)
        assert (insn.mnemonic, insn.op_str) == ("div", REG32[reg.code])
        assert insn.size == len(code) == (3 if reg.ext else 2)  # no REX.W: 32-bit operand


def test_div32_rejects_other_operands():
    for bad in (xmm0, SAMPLE_MEMS[0], 5):
        with pytest.raises(AsmError, match="div32"):
            enc("div32", bad)


def test_cqo_and_no_operand_instructions():
    assert_decodes(enc("cqo"), "cqo")
    assert_decodes(enc("ret"), "ret")
    assert_decodes(enc("nop"), "nop")
    assert_decodes(enc("int3"), "int3")
    assert_decodes(enc("ud2"), "ud2")
    assert enc("ret") == b"\xc3" and enc("nop") == b"\x90" and enc("int3") == b"\xcc"


# ---------------------------------------------------------------------------
# Shifts and rotates
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", SHIFT_NAMES)
def test_shifts(op):
    for dst in list(GPRS) + SAMPLE_MEMS:
        tail = 1 if isinstance(dst, Reg) else mem_tail_length(dst)
        for count in (0, 1, 2, 31, 32, 63):
            code = enc(op, dst, count)
            assert_decodes(code, op, dst, count)
            # by 1: REX.W D1 /digit, otherwise REX.W C1 /digit ib
            assert len(code) == 2 + tail + (0 if count == 1 else 1)
        assert_decodes(enc(op, dst, rcx), op, dst, "cl")


# ---------------------------------------------------------------------------
# lea, push, pop, indirect jmp/call
# ---------------------------------------------------------------------------

def test_push_pop():
    for reg in GPRS:
        for op in ("push", "pop"):
            code = enc(op, reg)
            assert_decodes(code, op, reg)
            assert len(code) == (2 if reg.code >= 8 else 1)  # REX.B only for r8-r15


def test_indirect_jmp_call():
    for op in ("jmp", "call"):
        for reg in GPRS:
            code = enc(op, reg)
            assert_decodes(code, op, reg)
            assert len(code) == (3 if reg.code >= 8 else 2)  # no REX.W needed
        for mem in SAMPLE_MEMS:
            assert_decodes(enc(op, mem), op, mem)


# ---------------------------------------------------------------------------
# setcc, cmovcc, movzx
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cond", ALL_CONDITIONS)
def test_setcc_every_register(cond):
    canonical = CONDITION_ALIASES.get(cond, cond)
    for reg in GPRS:
        code = enc("setcc", cond, reg)
        assert_decodes(code, "set" + canonical, REG8[reg.code])
        # al-bl: no REX; spl-dil: empty REX 0x40 (else they would be ah-bh);
        # r8b-r15b: REX.B.
        if reg.code < 4:
            assert len(code) == 3
        elif reg.code < 8:
            assert len(code) == 4 and code[0] == 0x40
        else:
            assert len(code) == 4 and code[0] == 0x41


@pytest.mark.parametrize("cond", ALL_CONDITIONS)
def test_cmovcc(cond):
    canonical = CONDITION_ALIASES.get(cond, cond)
    for dst in GPRS:
        for src in GPRS:
            assert_decodes(enc("cmovcc", cond, dst, src), "cmov" + canonical, dst, src)
    for mem in SAMPLE_MEMS:
        assert_decodes(enc("cmovcc", cond, r13, mem), "cmov" + canonical, r13, mem)


def test_movzx_b():
    for dst in GPRS:
        for src in GPRS:
            code = enc("movzx_b", dst, src)
            # The 32-bit form: writing a 32-bit register zero-extends to 64.
            assert_decodes(code, "movzx", REG32[dst.code], REG8[src.code])
            rex = dst.code >= 8 or src.code >= 4
            assert len(code) == 3 + rex
        for mem in SAMPLE_MEMS:
            assert_decodes(enc("movzx_b", dst, mem), "movzx", REG32[dst.code], byte_ptr(mem))


# How capstone names each widening load: mnemonic, destination width, operand bytes.
WIDENING = {"movsx_b": ("movsx", 64, 1), "movsx_w": ("movsx", 64, 2), "movzx_w": ("movzx", 32, 2),
            "movsxd": ("movsxd", 64, 4), "mov32": ("mov", 32, 4)}


@pytest.mark.parametrize("name", list(WIDENING))
def test_widening_loads(name):
    mnemonic, width, size = WIDENING[name]
    for dst in GPRS:
        for mem in SAMPLE_MEMS:
            code = enc("load_widened", name, dst, mem)
            assert_decodes(code, mnemonic, dst if width == 64 else REG32[dst.code], MemOp(mem, size))
    with pytest.raises(AsmError):
        enc("load_widened", name, rax, rbx)  # memory only: that is all lowering emits
    with pytest.raises(AsmError):
        enc("load_widened", "movsx_d", rax, SAMPLE_MEMS[0])


REG16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
         "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"]


@pytest.mark.parametrize("size", [1, 2, 4, 8])
def test_narrow_stores(size):
    names = {1: REG8, 2: REG16, 4: REG32}
    for src in GPRS:
        for mem in SAMPLE_MEMS:
            code = enc("store_narrow", size, mem, src)
            reg = names[size][src.code] if size in names else src
            assert_decodes(code, "mov", MemOp(mem, size), reg)
    with pytest.raises(AsmError):
        enc("store_narrow", 3, SAMPLE_MEMS[0], rax)
    with pytest.raises(AsmError):
        enc("store_narrow", 4, rbx, rax)


@pytest.mark.parametrize("value", [0, 1, 0x7F, 0x80, 0xFF])
def test_byte_immediate_compare_and_store(value):
    for mem in SAMPLE_MEMS:
        assert_decodes(enc("cmp_byte", mem, value), "cmp", MemOp(mem, 1), value)
        assert_decodes(enc("mov_byte", mem, value), "mov", MemOp(mem, 1), value)
    with pytest.raises(AsmError):
        enc("cmp_byte", rax, 0)
    with pytest.raises(AsmError):
        enc("mov_byte", SAMPLE_MEMS[0], 256)


def test_mxcsr_store_and_load():
    for mem in SAMPLE_MEMS:
        assert_decodes(enc("stmxcsr", mem), "stmxcsr", MemOp(mem, 4))
        assert_decodes(enc("ldmxcsr", mem), "ldmxcsr", MemOp(mem, 4))
    with pytest.raises(AsmError):
        enc("stmxcsr", rax)


def test_movss_store():
    for src in XMMS:
        for mem in SAMPLE_MEMS:
            assert_decodes(enc("movss_store", mem, src), "movss", MemOp(mem, 4), src)


# ---------------------------------------------------------------------------
# SSE2
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", list(SSE_XMM_RM))
def test_sse_xmm_rm(op):
    size = SSE_XMM_RM[op]
    for dst in XMMS:
        for src in XMMS:
            code = enc(op, dst, src)
            assert_decodes(code, op, dst, src)
            assert len(code) == 4 + needs_rex(dst, src)  # prefix 0F op ModRM [+REX]
        for mem in SAMPLE_MEMS:
            assert_decodes(enc(op, dst, mem), op, dst, MemOp(mem, size))


def test_movsd_forms():
    for dst in XMMS:
        for src in XMMS:
            assert_decodes(enc("movsd", dst, src), "movsd", dst, src)
        for mem in SAMPLE_MEMS:
            assert_decodes(enc("movsd", dst, mem), "movsd", dst, mem)
            assert_decodes(enc("movsd", mem, dst), "movsd", mem, dst)


def test_int_double_conversions():
    for x in XMMS:
        for g in GPRS:
            assert_decodes(enc("cvtsi2sd", x, g), "cvtsi2sd", x, g)
            assert_decodes(enc("cvttsd2si", g, x), "cvttsd2si", g, x)
            assert_decodes(enc("movq", x, g), "movq", x, g)
            assert_decodes(enc("movq", g, x), "movq", g, x)
        for mem in SAMPLE_MEMS:
            # REX.W makes these 64-bit: the memory operand must be a qword.
            assert_decodes(enc("cvtsi2sd", x, mem), "cvtsi2sd", x, mem)
            assert_decodes(enc("cvttsd2si", GPRS[x.code], mem), "cvttsd2si", GPRS[x.code], mem)


def test_prefix_order():
    # Mandatory prefix first, then REX, then 0F.
    assert enc("addsd", xmm15, xmm0) == bytes.fromhex("f2440f58f8")
    assert enc("cvtsi2sd", xmm0, r8) == bytes.fromhex("f2490f2ac0")
    assert enc("movq", r15, xmm1) == bytes.fromhex("66490f7ecf")
    assert enc("roundsd", xmm8, xmm9, 3) == bytes.fromhex("66450f3a0bc103")


def test_roundsd():
    for dst in XMMS:
        for src in XMMS:
            assert_decodes(enc("roundsd", dst, src, 9), "roundsd", dst, src, 9)
    for mode in range(16):
        assert_decodes(enc("roundsd", xmm1, Mem(rsp, disp=8), mode), "roundsd", xmm1,
                       Mem(rsp, disp=8), mode)


# ---------------------------------------------------------------------------
# Labels, jumps, relaxation
# ---------------------------------------------------------------------------

def jump_with_gap(kind: str, cond: str, gap: int, backward: bool) -> tuple[bytes, Label, int]:
    """A jump over (forward) or back across (backward) `gap` nops."""
    asm = Assembler()
    target = asm.label("target")

    def emit_jump() -> None:
        if kind == "jcc":
            asm.jcc(cond, target)
        else:
            getattr(asm, kind)(target)

    if backward:
        asm.bind(target)
        for _ in range(gap):
            asm.nop()
        jump_at = gap
        emit_jump()
    else:
        emit_jump()
        jump_at = 0
        for _ in range(gap):
            asm.nop()
        asm.bind(target)
        asm.ret()
    return asm.assemble(), target, jump_at


def check_jump(code: bytes, jump_at: int, mnemonic: str, target: Label, length: int) -> None:
    insn = [i for i in decode_all(code) if i.address == jump_at][0]
    assert insn.mnemonic == mnemonic
    assert insn.size == length
    assert len(insn.operands) == 1 and insn.operands[0].type == cs_x86.X86_OP_IMM
    assert insn.operands[0].imm == target.offset


# Forward: short up to 127 bytes skipped.  Backward: the displacement counts
# from the end of the 2-byte jump, so 126 bytes of nops is -128 (short).
FORWARD_GAPS = [(0, False), (127, False), (128, True), (1000, True)]
BACKWARD_GAPS = [(0, False), (126, False), (127, True), (1000, True)]


@pytest.mark.parametrize("gap,long", FORWARD_GAPS)
@pytest.mark.parametrize("cond", ALL_CONDITIONS)
def test_jcc_forward(cond, gap, long):
    code, target, at = jump_with_gap("jcc", cond, gap, backward=False)
    assert target.offset == gap + (6 if long else 2)
    check_jump(code, at, "j" + CONDITION_ALIASES.get(cond, cond), target, 6 if long else 2)


@pytest.mark.parametrize("gap,long", BACKWARD_GAPS)
@pytest.mark.parametrize("cond", ALL_CONDITIONS)
def test_jcc_backward(cond, gap, long):
    code, target, at = jump_with_gap("jcc", cond, gap, backward=True)
    assert target.offset == 0
    check_jump(code, at, "j" + CONDITION_ALIASES.get(cond, cond), target, 6 if long else 2)


@pytest.mark.parametrize("backward", [False, True])
def test_jmp_and_call_to_label(backward):
    gaps = BACKWARD_GAPS if backward else FORWARD_GAPS
    for gap, long in gaps:
        code, target, at = jump_with_gap("jmp", "", gap, backward)
        check_jump(code, at, "jmp", target, 5 if long else 2)
        code, target, at = jump_with_gap("call", "", gap, backward)
        check_jump(code, at, "call", target, 5)  # call is always rel32


def test_convenience_jumps():
    names = ["jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja", "js", "jns", "jp", "jnp",
             "jl", "jge", "jle", "jg"]
    for name in names + ["jz", "jnz"]:
        asm = Assembler()
        top = asm.label()
        asm.bind(top)
        getattr(asm, name)(top)
        code = asm.assemble()
        expected = {"jz": "je", "jnz": "jne"}.get(name, name)
        assert_decodes(code, expected, 0)


def test_relaxation_cascade():
    # jmp A jumps over jmp B and 124 nops: 126 bytes while B is short, but B
    # must become long (its target is far away), which pushes A to 129 bytes.
    asm = Assembler()
    a_target, b_target = asm.label("a"), asm.label("b")
    asm.jmp(a_target)
    asm.jmp(b_target)
    for _ in range(124):
        asm.nop()
    asm.bind(a_target)
    for _ in range(200):
        asm.nop()
    asm.bind(b_target)
    asm.ret()
    code = asm.assemble()
    insns = decode_all(code)
    assert [i.size for i in insns[:2]] == [5, 5]
    assert insns[0].operands[0].imm == a_target.offset == 5 + 5 + 124
    assert insns[1].operands[0].imm == b_target.offset == 5 + 5 + 124 + 200


def test_relaxation_prefers_short_and_many_jumps():
    # A loop with several branches: every jump lands on its label.
    asm = Assembler()
    labels = [asm.label(f"l{i}") for i in range(6)]
    for i, label in enumerate(labels):
        asm.bind(label)
        for _ in range(40 * i):
            asm.nop()
        asm.jcc("ne", labels[0])
        asm.jmp(labels[-1])
        asm.call(labels[i // 2])
    code = asm.assemble()
    by_address = {i.address: i for i in decode_all(code)}
    for offset, length, text in asm.listing():
        mnemonic, _, operand = text.partition(" ")
        if mnemonic in ("jne", "jmp", "call"):
            insn = by_address[offset]
            assert insn.size == length and insn.mnemonic == mnemonic
            label = next(lab for lab in labels if lab.name == operand)
            assert insn.operands[0].imm == label.offset
            if mnemonic != "call":
                rel = label.offset - (offset + 2)
                assert length == (2 if -128 <= rel <= 127 else (6 if mnemonic == "jne" else 5))


def test_jump_to_label_at_end_and_assemble_twice():
    asm = Assembler()
    end = asm.label("end")
    asm.je(end)
    asm.bind(end)
    first = asm.assemble()
    assert first == bytes.fromhex("7400") and end.offset == 2
    assert asm.assemble() == first
    asm.ret()  # adding instructions after assemble() works; assemble again
    assert asm.assemble() == bytes.fromhex("7400c3")


def test_listing_and_offsets():
    asm = Assembler()
    loop = asm.label("loop")
    done = asm.label()
    asm.bind(loop)
    asm.add(rax, Mem(rbp, disp=-8))
    asm.cmp(rax, 100)
    asm.jge(done)
    asm.setcc("l", rsi)
    asm.movsd(xmm1, Mem(rsp, rax, 8, 16))
    asm.xorpd(xmm0, Mem(rax))
    asm.movzx_b(rdx, rsi)
    asm.shl(rax, rcx)
    asm.jmp(loop)
    asm.bind(done)
    asm.ret()
    code = asm.assemble()
    listing = asm.listing()
    assert [text for _, _, text in listing] == [
        "loop:",
        "add rax, qword ptr [rbp - 8]",
        "cmp rax, 0x64",
        "jge .L1",
        "setl sil",
        "movsd xmm1, qword ptr [rsp + rax*8 + 0x10]",
        "xorpd xmm0, xmmword ptr [rax]",
        "movzx rdx, sil",
        "shl rax, cl",
        "jmp loop",
        ".L1:",
        "ret",
    ]
    # Offsets and lengths tile the code exactly.
    position = 0
    for offset, length, _ in listing:
        assert offset == position
        position += length
    assert position == len(code)
    assert asm.offsets == {loop: 0, done: len(code) - 1}
    assert done.name == ".L1" and done.offset == len(code) - 1


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

M = Mem(rax)

# (what to do, the instruction name the message must start with, text it must contain)
ERROR_CASES: list[tuple[Callable[[Assembler], None], str, str]] = [
    # operand kinds
    (lambda a: a.add(xmm0, rax), "add", "xmm0"),
    (lambda a: a.add(rax, xmm1), "add", "xmm1"),
    (lambda a: a.sub(5, rax), "sub", "5"),
    (lambda a: a.xor(rax, 1.5), "xor", "1.5"),
    (lambda a: a.or_(rax, True), "or", "True"),
    (lambda a: a.mov(xmm0, rax), "mov", "xmm0"),
    (lambda a: a.mov(rax, xmm0), "mov", "xmm0"),
    (lambda a: a.mov(rax, "rbx"), "mov", "rbx"),
    (lambda a: a.lea(rax, rbx), "lea", "source must be a memory operand, got rbx"),
    (lambda a: a.lea(xmm0, M), "lea", "xmm0"),
    (lambda a: a.test(rax, xmm2), "test", "xmm2"),
    (lambda a: a.test(xmm2, rax), "test", "xmm2"),
    (lambda a: a.imul(M, rax), "imul", "[rax]"),
    (lambda a: a.imul(rax, 5), "imul", "5"),
    (lambda a: a.neg(xmm3), "neg", "xmm3"),
    (lambda a: a.not_(7), "not", "7"),
    (lambda a: a.idiv(xmm0), "idiv", "xmm0"),
    (lambda a: a.push(xmm0), "push", "xmm0"),
    (lambda a: a.push(M), "push", "[rax]"),
    (lambda a: a.pop(5), "pop", "5"),
    (lambda a: a.jmp(5), "jmp", "5"),
    (lambda a: a.call(xmm0), "call", "xmm0"),
    (lambda a: a.jcc("e", rax), "je", "rax"),
    (lambda a: a.setcc("e", xmm0), "sete", "xmm0"),
    (lambda a: a.setcc("e", M), "sete", "[rax]"),
    (lambda a: a.cmovcc("l", M, rax), "cmovl", "[rax]"),
    (lambda a: a.cmovcc("l", rax, xmm0), "cmovl", "xmm0"),
    (lambda a: a.movzx_b(xmm0, rax), "movzx_b", "xmm0"),
    (lambda a: a.movzx_b(rax, xmm0), "movzx_b", "xmm0"),
    (lambda a: a.shl(xmm0, 1), "shl", "xmm0"),
    (lambda a: a.addsd(rax, xmm0), "addsd", "rax"),
    (lambda a: a.mulsd(xmm0, rax), "mulsd", "rax"),
    (lambda a: a.ucomisd(M, xmm0), "ucomisd", "[rax]"),
    (lambda a: a.xorpd(xmm0, 1), "xorpd", "1"),
    (lambda a: a.movsd(rax, xmm0), "movsd", "rax"),
    (lambda a: a.movsd(M, rax), "movsd", "rax"),
    (lambda a: a.movsd(xmm0, rax), "movsd", "rax"),
    (lambda a: a.cvtsi2sd(xmm0, xmm1), "cvtsi2sd", "xmm1"),
    (lambda a: a.cvtsi2sd(rax, rbx), "cvtsi2sd", "rax"),
    (lambda a: a.cvttsd2si(xmm0, xmm1), "cvttsd2si", "xmm0"),
    (lambda a: a.cvttsd2si(rax, rbx), "cvttsd2si", "rbx"),
    (lambda a: a.movq(xmm0, xmm1), "movq", "xmm0, xmm1"),
    (lambda a: a.movq(rax, rbx), "movq", "rax, rbx"),
    (lambda a: a.movq(xmm0, M), "movq", "[rax]"),
    (lambda a: a.roundsd(rax, xmm0, 0), "roundsd", "rax"),
    # memory to memory
    (lambda a: a.mov(M, Mem(rbx)), "mov", "memory-to-memory is not encodable"),
    (lambda a: a.add(M, Mem(rbx)), "add", "memory-to-memory"),
    (lambda a: a.cmp(M, Mem(rbx)), "cmp", "memory-to-memory"),
    (lambda a: a.test(M, Mem(rbx)), "test", "memory-to-memory"),
    (lambda a: a.movsd(M, Mem(rbx)), "movsd", "memory-to-memory"),
    # immediates out of range
    (lambda a: a.add(rax, 2 ** 32), "add",
     "immediate 0x100000000 does not fit in a sign-extended imm32"),
    (lambda a: a.add(rax, 2 ** 31), "add", "0x80000000"),
    (lambda a: a.sub(M, -2 ** 31 - 1), "sub", "-0x80000001"),
    (lambda a: a.cmp(rax, 2 ** 64), "cmp", "does not fit in 64 bits"),
    (lambda a: a.mov(M, 2 ** 31), "mov", "0x80000000"),
    (lambda a: a.mov(M, 2 ** 32 - 1), "mov", "0xffffffff"),
    (lambda a: a.mov(rax, 2 ** 64), "mov", "0x10000000000000000"),
    (lambda a: a.mov(rax, -2 ** 63 - 1), "mov", "-0x8000000000000001"),
    (lambda a: a.mov(rax, 1.0), "mov", "1.0"),
    (lambda a: a.test(rax, 2 ** 31), "test", "0x80000000"),
    (lambda a: a.imul(rax, rcx, 2 ** 31), "imul", "0x80000000"),
    (lambda a: a.imul(rax, rcx, "3"), "imul", "'3'"),
    (lambda a: a.roundsd(xmm0, xmm1, 16), "roundsd", "0x10"),
    (lambda a: a.roundsd(xmm0, xmm1, -1), "roundsd", "-1"),
    # shift counts
    (lambda a: a.shl(rax, 64), "shl", "64"),
    (lambda a: a.sar(rax, -1), "sar", "-1"),
    (lambda a: a.shr(rax, rdx), "shr", "rdx"),
    (lambda a: a.rol(rax, xmm1), "rol", "xmm1"),
    (lambda a: a.ror(rax, 1.0), "ror", "1.0"),
    # conditions
    (lambda a: a.setcc("xx", rax), "setcc", "'xx'"),
    (lambda a: a.jcc("always", a.label()), "jcc", "'always'"),
    (lambda a: a.cmovcc(4, rax, rbx), "cmovcc", "4"),
    # labels
    (lambda a: (lambda lab: (a.bind(lab), a.bind(lab)))(a.label("twice")), "bind", "'twice'"),
    (lambda a: a.jmp(Assembler().label("other")), "jmp", "'other'"),
    (lambda a: a.bind(Assembler().label("other")), "bind", "'other'"),
    (lambda a: a.bind("loop"), "bind", "'loop'"),
    (lambda a: a.listing(), "listing", "assemble"),
    (lambda a: a.offsets, "offsets", "assemble"),
    (lambda a: a.label(3), "label", "3"),
]


@pytest.mark.parametrize("action,instr,needle", ERROR_CASES)
def test_errors(action, instr, needle):
    asm = Assembler()
    asm.nop()
    with pytest.raises(AsmError) as info:
        action(asm)
    message = str(info.value)
    assert message.startswith(instr + ": "), message
    assert needle in message, message
    # A rejected instruction leaves nothing behind.
    assert asm.assemble() == b"\x90"


@pytest.mark.parametrize("instr", ["jmp", "je", "call"])
def test_unbound_label(instr):
    asm = Assembler()
    loop = asm.label("loop")
    if instr == "je":
        asm.je(loop)
    else:
        getattr(asm, instr)(loop)
    with pytest.raises(AsmError, match=re.escape(f"{instr}: label 'loop' was never bound")):
        asm.assemble()


MEM_ERROR_CASES = [
    (lambda: Mem(rax, rcx, 3), "scale must be 1, 2, 4 or 8, got 3"),
    (lambda: Mem(rax, rcx, 0), "scale"),
    (lambda: Mem(rax, None, 2), "without an index"),
    (lambda: Mem(rax, rsp), "rsp cannot be an index"),
    (lambda: Mem(None, rsp, 2), "rsp cannot be an index"),
    (lambda: Mem(rax, disp=2 ** 31), "0x80000000"),
    (lambda: Mem(rax, disp=-2 ** 31 - 1), "-0x80000001"),
    (lambda: Mem(None, disp=2 ** 32), "0x100000000"),
    (lambda: Mem(xmm0), "xmm0"),
    (lambda: Mem(rax, xmm1), "xmm1"),
    (lambda: Mem("rax"), "'rax'"),
    (lambda: Mem(rax, disp=1.5), "1.5"),
    (lambda: Mem(rax, rcx, 2.0), "2.0"),
]


@pytest.mark.parametrize("make,needle", MEM_ERROR_CASES)
def test_mem_errors(make, needle):
    with pytest.raises(AsmError) as info:
        make()
    assert str(info.value).startswith("Mem: ") and needle in str(info.value), str(info.value)


# ---------------------------------------------------------------------------
# Random instructions (hypothesis)
# ---------------------------------------------------------------------------

gprs = st.sampled_from(GPRS)
xmms = st.sampled_from(XMMS)
disps = st.one_of(st.sampled_from(DISPS), st.integers(-2 ** 31, 2 ** 31 - 1))


@st.composite
def mems(draw) -> Mem:
    base = draw(st.one_of(st.none(), gprs))
    index = draw(st.one_of(st.none(), st.sampled_from(INDEX_REGS)))
    scale = draw(st.sampled_from(SCALES)) if index is not None else 1
    return Mem(base, index, scale, draw(disps))


imm32s = st.one_of(st.sampled_from(IMM32_EDGES), st.integers(-2 ** 31, 2 ** 31 - 1))
imm64s = st.one_of(st.sampled_from(MOV_IMM_EDGES), st.integers(-2 ** 63, 2 ** 64 - 1))

# A form returns (method, args, mnemonic, expected operands).
Form = tuple[str, Sequence[object], str, Sequence[Expected]]


@st.composite
def random_instruction(draw) -> Form:
    form = draw(st.sampled_from([
        "alu_rr", "alu_rm", "alu_mr", "alu_ri", "alu_mi", "mov_rr", "mov_rm", "mov_mr",
        "mov_ri", "mov_mi", "lea", "unary", "shift", "imul", "imul3", "setcc", "cmov",
        "movzx", "sse", "movsd_store", "cvt", "movq", "push_pop", "jmp_call_indirect",
    ]))
    g1, g2, x1, x2, mem = draw(gprs), draw(gprs), draw(xmms), draw(xmms), draw(mems())
    alu = draw(st.sampled_from(ALU_NAMES))
    if form == "alu_rr":
        return method_name(alu), (g1, g2), alu, (g1, g2)
    if form == "alu_rm":
        return method_name(alu), (g1, mem), alu, (g1, mem)
    if form == "alu_mr":
        return method_name(alu), (mem, g1), alu, (mem, g1)
    if form == "alu_ri":
        value = draw(imm32s)
        return method_name(alu), (g1, value), alu, (g1, value)
    if form == "alu_mi":
        value = draw(imm32s)
        return method_name(alu), (mem, value), alu, (mem, value)
    if form == "mov_rr":
        return "mov", (g1, g2), "mov", (g1, g2)
    if form == "mov_rm":
        return "mov", (g1, mem), "mov", (g1, mem)
    if form == "mov_mr":
        return "mov", (mem, g1), "mov", (mem, g1)
    if form == "mov_ri":
        value = draw(imm64s)
        mnemonic, name, imm, _ = expected_mov_imm(g1, value)
        return "mov", (g1, value), mnemonic, (name, imm)
    if form == "mov_mi":
        value = draw(imm32s)
        return "mov", (mem, value), "mov", (mem, value)
    if form == "lea":
        return "lea", (g1, mem), "lea", (g1, mem)
    if form == "unary":
        op = draw(st.sampled_from(UNARY_NAMES))
        target = draw(st.sampled_from([g1, mem]))
        return method_name(op), (target,), op, (target,)
    if form == "shift":
        op = draw(st.sampled_from(SHIFT_NAMES))
        target = draw(st.sampled_from([g1, mem]))
        count = draw(st.one_of(st.integers(0, 63), st.just(rcx)))
        return op, (target, count), op, (target, "cl" if count is rcx else count)
    if form == "imul":
        src = draw(st.sampled_from([g2, mem]))
        return "imul", (g1, src), "imul", (g1, src)
    if form == "imul3":
        src = draw(st.sampled_from([g2, mem]))
        value = draw(imm32s)
        return "imul", (g1, src, value), "imul", (g1, src, value)
    if form == "setcc":
        cond = draw(st.sampled_from(ALL_CONDITIONS))
        return "setcc", (cond, g1), "set" + CONDITION_ALIASES.get(cond, cond), (REG8[g1.code],)
    if form == "cmov":
        cond = draw(st.sampled_from(ALL_CONDITIONS))
        src = draw(st.sampled_from([g2, mem]))
        return "cmovcc", (cond, g1, src), "cmov" + CONDITION_ALIASES.get(cond, cond), (g1, src)
    if form == "movzx":
        if draw(st.booleans()):
            return "movzx_b", (g1, g2), "movzx", (REG32[g1.code], REG8[g2.code])
        return "movzx_b", (g1, mem), "movzx", (REG32[g1.code], byte_ptr(mem))
    if form == "sse":
        op = draw(st.sampled_from(list(SSE_XMM_RM) + ["movsd"]))
        if draw(st.booleans()):
            return op, (x1, x2), op, (x1, x2)
        return op, (x1, mem), op, (x1, MemOp(mem, SSE_XMM_RM.get(op, 8)))
    if form == "movsd_store":
        return "movsd", (mem, x1), "movsd", (mem, x1)
    if form == "cvt":
        if draw(st.booleans()):
            src = draw(st.sampled_from([g1, mem]))
            return "cvtsi2sd", (x1, src), "cvtsi2sd", (x1, src)
        src = draw(st.sampled_from([x1, mem]))
        return "cvttsd2si", (g1, src), "cvttsd2si", (g1, src)
    if form == "movq":
        if draw(st.booleans()):
            return "movq", (x1, g1), "movq", (x1, g1)
        return "movq", (g1, x1), "movq", (g1, x1)
    if form == "push_pop":
        op = draw(st.sampled_from(["push", "pop"]))
        return op, (g1,), op, (g1,)
    assert form == "jmp_call_indirect"
    op = draw(st.sampled_from(["jmp", "call"]))
    target = draw(st.sampled_from([g1, mem]))
    return op, (target,), op, (target,)


@settings(max_examples=400, deadline=None)
@given(random_instruction())
def test_random_instruction_decodes_as_intended(form):
    method, args, mnemonic, expected = form
    assert_decodes(enc(method, *args), mnemonic, *expected)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["jmp", "je", "call"]),
                          st.integers(0, 90)), min_size=1, max_size=12))
def test_random_jumps_land_on_their_labels(plan):
    """Random jumps between 6 labels with random amounts of padding."""
    asm = Assembler()
    labels = [asm.label(f"l{i}") for i in range(6)]
    for i, label in enumerate(labels):
        asm.bind(label)
        for target, kind, padding in plan[i::6]:
            getattr(asm, kind)(labels[target])
            for _ in range(padding):
                asm.nop()
    code = asm.assemble()
    by_address = {i.address: i for i in decode_all(code)}
    jumps = 0
    for offset, length, text in asm.listing():
        mnemonic, _, operand = text.partition(" ")
        if mnemonic in ("jmp", "je", "call"):
            insn = by_address[offset]
            label = next(lab for lab in labels if lab.name == operand)
            assert insn.mnemonic == mnemonic and insn.size == length
            assert insn.operands[0].imm == label.offset
            if mnemonic != "call":  # short whenever the final distance allows it
                assert (length == 2) == (-128 <= label.offset - (offset + 2) <= 127)
            jumps += 1
    assert jumps == len(plan)


def test_movapd_every_register_pair():
    for dst in XMMS:
        for src in XMMS:
            code = enc("movapd", dst, src)
            (insn,) = CS.disasm(code, 0)
            assert (insn.mnemonic, insn.op_str) == ("movapd", f"{dst.name}, {src.name}")
            assert insn.size == len(code)


def test_movapd_is_register_to_register_only():
    for bad in [(xmm0, SAMPLE_MEMS[0]), (SAMPLE_MEMS[0], xmm0), (xmm0, rax), (rax, xmm0)]:
        with pytest.raises(AsmError, match="movapd"):
            enc("movapd", *bad)
