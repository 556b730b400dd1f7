"""jitcore's x86-64 assembler, for writing machine code by hand.

This is the very encoder the compiler uses (jitcore/x86_64/encoder.py),
re-exported with the registers as objects. Write instructions as method
calls, then `assemble()` returns the bytes; `jitcore.native` makes them
callable:

    from jitcore import native
    from jitcore.asm import Assembler, rax, rdi, rsi

    a = Assembler()
    a.mov(rax, rdi)          # System V: the 1st int argument is in rdi, the 2nd in rsi
    a.add(rax, rsi)          # ... and an int result goes back in rax
    a.ret()
    add = native(a.assemble(), [int, int], int)
    add(2, 3)                # 5

Operands:

- registers: the 64-bit general-purpose registers `rax` ... `r15` and the SSE
  registers `xmm0` ... `xmm15` (`by_name("r12")` looks one up). Every integer
  operation is 64-bit; there are no 8/16/32-bit register names.
- memory: `Mem(base, index=None, scale=1, disp=0)` is `[base + index*scale + disp]`,
  e.g. `a.mov(rax, Mem(rdi, disp=8))` loads the qword at rdi + 8.
- immediates: Python ints in [-2**63, 2**64); a value >= 2**63 is the unsigned
  spelling of the same 64 bits (2**64 - 1 is -1). Each instruction checks that
  the value fits its immediate field (sign-extended imm8/imm32; only `mov`
  to a register takes any 64-bit value); nothing is ever truncated. bools are
  not ints here.

Methods are named after the instructions: `mov add sub imul and_ or_ xor not_
neg cmp test shl sar lea push pop call ret jmp je jl ... setcc cmovcc addsd
mulsd cvtsi2sd ...` (a trailing underscore where the mnemonic is a Python
keyword). Jumps take labels: `top = a.label("top")` makes one, `a.bind(top)`
places it at the current position, `a.jne(top)` jumps to it; `assemble()`
picks short (rel8) or long (rel32) jumps. After `assemble()`,
`a.listing()` gives (offset, length, Intel text) per instruction, and
`format_listing(a.listing(), code)` prints it with the bytes.

A loop that sums 1..n:

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

Every mistake raises `AsmError`, naming the instruction and the operand: a
str or an xmm register where a general-purpose register is needed, an
immediate that does not fit, memory-to-memory forms, a label that is never
bound, bound twice, or made by another Assembler.
"""

from __future__ import annotations

from collections.abc import Sequence

from .x86_64.encoder import CONDITION_ALIASES, CONDITIONS, AsmError, Assembler, Label, Mem
from .x86_64.registers import (
    ARG_REGS,
    CALLEE_SAVED,
    CALLER_SAVED,
    FLOAT_ARG_REGS,
    FLOAT_RETURN_REG,
    GPRS,
    RETURN_REG,
    XMMS,
    Reg,
    by_name,
    r8,
    r9,
    r10,
    r11,
    r12,
    r13,
    r14,
    r15,
    rax,
    rbp,
    rbx,
    rcx,
    rdi,
    rdx,
    rsi,
    rsp,
    xmm0,
    xmm1,
    xmm2,
    xmm3,
    xmm4,
    xmm5,
    xmm6,
    xmm7,
    xmm8,
    xmm9,
    xmm10,
    xmm11,
    xmm12,
    xmm13,
    xmm14,
    xmm15,
)

__all__ = [
    "ARG_REGS",
    "CALLEE_SAVED",
    "CALLER_SAVED",
    "CONDITIONS",
    "CONDITION_ALIASES",
    "FLOAT_ARG_REGS",
    "FLOAT_RETURN_REG",
    "GPRS",
    "RETURN_REG",
    "XMMS",
    "Assembler",
    "AsmError",
    "Label",
    "Mem",
    "Reg",
    "by_name",
    "format_listing",
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
    "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
]

BYTES_WIDTH = 30  # room for 10 bytes ("48 b8 " + 8 immediate bytes: movabs)


def format_bytes(data: bytes) -> str:
    """'48 0f af c7' for b'\\x48\\x0f\\xaf\\xc7'."""
    return " ".join(f"{b:02x}" for b in data)


def format_offset(offset: int, base: int = 0) -> str:
    """The address column of a listing: a 4-digit offset, or base + offset in hex."""
    return f"0x{base + offset:x}" if base else f"{offset:04x}"


def format_listing(listing: Sequence[tuple[int, int, str]], code: bytes, base: int = 0) -> str:
    """Assembler.listing() as text: offset (or address, given `base`), bytes, instruction.

    Labels appear on lines of their own ("top:"). `code` is what assemble()
    returned; the bytes of each instruction are taken from it.
    """
    lines = []
    for offset, length, text in listing:
        if length == 0:
            lines.append(text)
        else:
            raw = format_bytes(code[offset:offset + length])
            lines.append(f"  {format_offset(offset, base)}  {raw:<{BYTES_WIDTH}} {text}")
    return "\n".join(lines)
