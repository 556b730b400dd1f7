"""x86-64 registers and the System V calling convention's view of them.

Every register has a 4-bit hardware number ("code").  The low three bits go
into a ModRM/SIB field or the low bits of an opcode; the fourth bit goes into
one of the REX prefix bits (R, X or B).  That is why r8-r15 and xmm8-xmm15
always need a REX prefix.
"""

from __future__ import annotations


class Reg:
    """One register: a general-purpose register ('gpr') or an SSE register ('xmm').

    There is exactly one object per register (the module constants below), so
    registers compare and hash by identity: the register allocator compares
    them in its inner loops, and a field-by-field __eq__ was a tenth of the
    compile time. They are shared by every compile, so they refuse changes
    (there are 32 of them: guarding their attributes costs nothing).
    """

    __slots__ = ("name", "code", "kind", "low3", "ext")
    name: str
    code: int  # hardware number, 0-15
    kind: str  # 'gpr' or 'xmm'
    low3: int  # the three bits that go into ModRM.reg, ModRM.rm, SIB or the opcode
    ext: int  # the fourth bit, carried by REX.R, REX.X or REX.B

    def __init__(self, name: str, code: int, kind: str) -> None:
        if kind not in ("gpr", "xmm"):
            raise ValueError(f"register kind must be 'gpr' or 'xmm', got {kind!r}")
        if not 0 <= code <= 15:
            raise ValueError(f"register code must be 0-15, got {code}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "kind", kind)
        # (attributes, not properties: the encoder reads them for every operand)
        object.__setattr__(self, "low3", code & 7)
        object.__setattr__(self, "ext", code >> 3)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"registers are immutable: cannot set {name!r} of {self.name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"registers are immutable: cannot delete {name!r} of {self.name}")

    def __repr__(self) -> str:
        return self.name


# The 16 general-purpose registers, in hardware (encoding) order.
rax = Reg("rax", 0, "gpr")
rcx = Reg("rcx", 1, "gpr")
rdx = Reg("rdx", 2, "gpr")
rbx = Reg("rbx", 3, "gpr")
rsp = Reg("rsp", 4, "gpr")
rbp = Reg("rbp", 5, "gpr")
rsi = Reg("rsi", 6, "gpr")
rdi = Reg("rdi", 7, "gpr")
r8 = Reg("r8", 8, "gpr")
r9 = Reg("r9", 9, "gpr")
r10 = Reg("r10", 10, "gpr")
r11 = Reg("r11", 11, "gpr")
r12 = Reg("r12", 12, "gpr")
r13 = Reg("r13", 13, "gpr")
r14 = Reg("r14", 14, "gpr")
r15 = Reg("r15", 15, "gpr")

GPRS: tuple[Reg, ...] = (
    rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi,
    r8, r9, r10, r11, r12, r13, r14, r15,
)

# The 16 SSE registers, in hardware order.
xmm0 = Reg("xmm0", 0, "xmm")
xmm1 = Reg("xmm1", 1, "xmm")
xmm2 = Reg("xmm2", 2, "xmm")
xmm3 = Reg("xmm3", 3, "xmm")
xmm4 = Reg("xmm4", 4, "xmm")
xmm5 = Reg("xmm5", 5, "xmm")
xmm6 = Reg("xmm6", 6, "xmm")
xmm7 = Reg("xmm7", 7, "xmm")
xmm8 = Reg("xmm8", 8, "xmm")
xmm9 = Reg("xmm9", 9, "xmm")
xmm10 = Reg("xmm10", 10, "xmm")
xmm11 = Reg("xmm11", 11, "xmm")
xmm12 = Reg("xmm12", 12, "xmm")
xmm13 = Reg("xmm13", 13, "xmm")
xmm14 = Reg("xmm14", 14, "xmm")
xmm15 = Reg("xmm15", 15, "xmm")

XMMS: tuple[Reg, ...] = (
    xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7,
    xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15,
)

# System V AMD64 ABI.
# Integer/pointer arguments, in order.
ARG_REGS: tuple[Reg, ...] = (rdi, rsi, rdx, rcx, r8, r9)
# A called function must preserve these (rsp is preserved too, but it is the
# stack pointer, not an allocatable register, so it is in neither list).
CALLEE_SAVED: tuple[Reg, ...] = (rbx, rbp, r12, r13, r14, r15)
# A call may clobber these.
CALLER_SAVED: tuple[Reg, ...] = (rax, rcx, rdx, rsi, rdi, r8, r9, r10, r11)
# The return value register for integers and pointers.
RETURN_REG = rax
# Double arguments go in xmm0-xmm7; a double result comes back in xmm0.
# All xmm registers are caller-saved.
FLOAT_ARG_REGS: tuple[Reg, ...] = XMMS[:8]
FLOAT_RETURN_REG = xmm0

_BY_NAME: dict[str, Reg] = {reg.name: reg for reg in GPRS + XMMS}


def by_name(name: str) -> Reg:
    """Look a register up by its 64-bit or xmm name ('rax', 'r12', 'xmm3').

    Raises ValueError for any other name.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown register name {name!r}") from None


# The names of the low byte of each GPR, in code order.  Codes 4-7 are spl,
# bpl, sil and dil: without a REX prefix those same codes mean ah, ch, dh and
# bh, so an instruction that uses them as byte registers needs a REX prefix
# (an empty one, 0x40, is enough).
_BYTE_NAMES: tuple[str, ...] = (
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
)


def _part_name(reg: Reg, names: tuple[str, ...], bits: int) -> str:
    if reg.kind != "gpr":
        raise ValueError(f"{reg.name} has no {bits}-bit register")
    return names[reg.code]


def byte_name(reg: Reg) -> str:
    """The name of the low byte of a GPR: rax -> 'al', rsi -> 'sil', r9 -> 'r9b'."""
    return _part_name(reg, _BYTE_NAMES, 8)


# The names of the low 32 bits of each GPR, in code order.
_DWORD_NAMES: tuple[str, ...] = (
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
)


def dword_name(reg: Reg) -> str:
    """The name of the low 32 bits of a GPR: rax -> 'eax', r9 -> 'r9d'."""
    return _part_name(reg, _DWORD_NAMES, 32)


# The names of the low 16 bits of each GPR, in code order.
_WORD_NAMES: tuple[str, ...] = (
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
)


def word_name(reg: Reg) -> str:
    """The name of the low 16 bits of a GPR: rax -> 'ax', r9 -> 'r9w'."""
    return _part_name(reg, _WORD_NAMES, 16)
