"""x86-64 machine-code encoder.

An `Assembler` collects instructions (one method per mnemonic), then
`assemble()` lays them out, picks short or long jumps and returns the bytes.

Every instruction this module emits has the shape

    [mandatory prefix] [REX] opcode [ModRM] [SIB] [displacement] [immediate]

  * mandatory prefix: F2 or 66 for the SSE instructions; it must come BEFORE
    the REX prefix (a REX followed by another prefix is ignored by the CPU).
  * REX: 64-bit operand size and the fourth bit of register numbers.
  * ModRM / SIB / displacement: one register-or-memory operand, see
    `encode_rm()` and `encode_mem()`.

All GPR operations use 64-bit operand size.  Immediates for 64-bit operations
are 64-bit values: any int in [-2**63, 2**64) is accepted, and a value
>= 2**63 is taken as its unsigned bit pattern (2**64 - 1 is the same as -1).
Whether the value then fits the instruction's immediate field (imm8 or imm32,
sign-extended to 64 bits by the CPU) is checked; nothing is ever truncated.

Any mistake raises `AsmError` with a message that starts with the
instruction's name, e.g. "add: memory-to-memory is not encodable".
"""

from __future__ import annotations

from ..record import Record
from .registers import GPRS, XMMS, Reg, byte_name, dword_name, rcx, word_name


class AsmError(Exception):
    """An instruction or operand that cannot be encoded."""


# ---------------------------------------------------------------------------
# Integers
# ---------------------------------------------------------------------------

INT8_MIN, INT8_MAX = -(2 ** 7), 2 ** 7 - 1
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
INT64_MIN = -(2 ** 63)
UINT64_LIMIT = 2 ** 64


def is_int(value: object) -> bool:
    """True for ints; bools are rejected on purpose (True as an immediate is a bug)."""
    return isinstance(value, int) and not isinstance(value, bool)


def fits_int8(value: int) -> bool:
    return INT8_MIN <= value <= INT8_MAX


def fits_int32(value: int) -> bool:
    return INT32_MIN <= value <= INT32_MAX


def imm8(value: int) -> bytes:
    return value.to_bytes(1, "little", signed=True)


def imm32(value: int) -> bytes:
    return value.to_bytes(4, "little", signed=True)


def imm64(value: int) -> bytes:
    return value.to_bytes(8, "little", signed=True)


def format_int(value: int) -> str:
    """Small numbers in decimal, the rest in hex, like most disassemblers."""
    if -9 <= value <= 9:
        return str(value)
    if value < 0:
        return f"-{-value:#x}"
    return f"{value:#x}"


def signed64(instr: str, value: object) -> int:
    """Check a 64-bit immediate and return it as a signed number.

    Values in [2**63, 2**64) are unsigned spellings of negative numbers with the
    same 64-bit pattern: 0xFFFF_FFFF_FFFF_FFFF becomes -1.
    """
    if not is_int(value):
        raise AsmError(f"{instr}: immediate must be an int, got {value!r}")
    assert isinstance(value, int)
    if not INT64_MIN <= value < UINT64_LIMIT:
        raise AsmError(f"{instr}: immediate {format_int(value)} does not fit in 64 bits")
    if value > 2 ** 63 - 1:
        value -= UINT64_LIMIT
    return value


def imm32_for(instr: str, value: object) -> int:
    """A 64-bit immediate that must fit in a sign-extended imm32 field."""
    signed = signed64(instr, value)
    if not fits_int32(signed):
        raise AsmError(f"{instr}: immediate {format_int(signed)} does not fit in a sign-extended imm32")
    return signed


# ---------------------------------------------------------------------------
# Memory operands
# ---------------------------------------------------------------------------

class Mem(Record):
    """A memory operand  [base + index*scale + disp].

    base=None means "no base register": the address is index*scale + disp32
    (or just disp32), an absolute address, not RIP-relative. Immutable;
    equal by its fields.
    """

    __slots__ = ("base", "index", "scale", "disp")

    def __init__(self, base: Reg | None, index: Reg | None = None, scale: int = 1,
                 disp: int = 0) -> None:
        self.base = base
        self.index = index
        self.scale = scale
        self.disp = disp
        self._check()

    def _check(self) -> None:
        if self.base is not None and not is_gpr(self.base):
            raise AsmError(f"Mem: base must be a general-purpose register or None, got {self.base!r}")
        if self.index is not None:
            if not is_gpr(self.index):
                raise AsmError(f"Mem: index must be a general-purpose register or None, "
                               f"got {self.index!r}")
            # SIB.index = 100 means "no index", so rsp can never be an index.
            # (r12 is fine: REX.X=1 turns it into 1100.)
            if self.index.code == 4:
                raise AsmError("Mem: rsp cannot be an index register")
        if self.scale not in (1, 2, 4, 8) or not is_int(self.scale):
            raise AsmError(f"Mem: scale must be 1, 2, 4 or 8, got {self.scale!r}")
        if self.index is None and self.scale != 1:
            raise AsmError(f"Mem: scale {self.scale} given without an index register")
        if not is_int(self.disp):
            raise AsmError(f"Mem: displacement must be an int, got {self.disp!r}")
        if not fits_int32(self.disp):
            raise AsmError(f"Mem: displacement {format_int(self.disp)} does not fit "
                           f"in a signed 32-bit field")

    def __str__(self) -> str:
        parts = []
        if self.base is not None:
            parts.append(self.base.name)
        if self.index is not None:
            parts.append(self.index.name if self.scale == 1 else f"{self.index.name}*{self.scale}")
        text = " + ".join(parts)
        if not parts:
            text = format_int(self.disp)
        elif self.disp > 0:
            text += f" + {format_int(self.disp)}"
        elif self.disp < 0:
            text += f" - {format_int(-self.disp)}"
        return f"[{text}]"

    def _fields(self) -> tuple[Reg | None, Reg | None, int, int]:
        return self.base, self.index, self.scale, self.disp

    def __repr__(self) -> str:
        return f"Mem(base={self.base!r}, index={self.index!r}, scale={self.scale!r}, disp={self.disp!r})"


Operand = Reg | Mem | int


# ---------------------------------------------------------------------------
# REX, ModRM, SIB
# ---------------------------------------------------------------------------

def rex(w: int, r: int, x: int, b: int) -> int:
    """The REX prefix byte.

          7   6   5   4   3   2   1   0
        +---+---+---+---+---+---+---+---+
        | 0   1   0   0 | W | R | X | B |
        +---+---+---+---+---+---+---+---+
          W: 1 = 64-bit operand size
          R: fourth bit of ModRM.reg
          X: fourth bit of SIB.index
          B: fourth bit of ModRM.rm, SIB.base, or a register in the opcode
    """
    return 0x40 | (w << 3) | (r << 2) | (x << 1) | b


def modrm(mod: int, reg: int, rm: int) -> int:
    """The ModRM byte (all fields are the low three bits only).

          7   6   5   4   3   2   1   0
        +-------+-----------+-----------+
        |  mod  |    reg    |    rm     |
        +-------+-----------+-----------+
          mod 11: rm is a register
          mod 00: [rm]           mod 01: [rm + disp8]    mod 10: [rm + disp32]
          reg: a register, or an opcode extension (/digit)
          Special rm values when mod != 11:
            rm = 100: a SIB byte follows (so rsp and r12 as base need a SIB)
            rm = 101 with mod 00: RIP-relative disp32 (so [rbp] and [r13]
                                  need mod 01 with disp8 = 0)
    """
    return (mod << 6) | (reg << 3) | rm


def sib(scale: int, index: int, base: int) -> int:
    """The SIB (scale-index-base) byte (index and base are the low three bits).

          7   6   5   4   3   2   1   0
        +-------+-----------+-----------+
        | scale |   index   |   base    |
        +-------+-----------+-----------+
          scale: 00 = *1, 01 = *2, 10 = *4, 11 = *8
          index = 100 (with REX.X = 0): no index - that is why rsp can't be one
          base = 101 with mod 00: no base register, a disp32 follows
    """
    return (SCALE_BITS[scale] << 6) | (index << 3) | base


SCALE_BITS = {1: 0b00, 2: 0b01, 4: 0b10, 8: 0b11}

MOD_INDIRECT = 0b00  # [base]
MOD_DISP8 = 0b01  # [base + disp8]
MOD_DISP32 = 0b10  # [base + disp32]
MOD_REGISTER = 0b11  # register operand

RM_SIB = 0b100  # ModRM.rm: "SIB byte follows"
SIB_NO_INDEX = 0b100  # SIB.index: "no index"
SIB_NO_BASE = 0b101  # SIB.base with mod 00: "no base, disp32 follows"


def encode_mem(reg: int, mem: Mem) -> tuple[int, int, bytes]:
    """ModRM, optional SIB and displacement for a memory operand.

    `reg` is the low three bits of the ModRM.reg field.  Returns
    (REX.X, REX.B, bytes).
    """
    index_bits = mem.index.low3 if mem.index is not None else SIB_NO_INDEX
    rex_x = mem.index.ext if mem.index is not None else 0

    if mem.base is None:
        # No base register: mod 00 with SIB.base = 101 means "disp32, no base".
        # (ModRM rm=101 without a SIB would be RIP-relative instead.)
        out = bytes([modrm(MOD_INDIRECT, reg, RM_SIB), sib(mem.scale, index_bits, SIB_NO_BASE)])
        return rex_x, 0, out + imm32(mem.disp)

    base = mem.base
    # Pick the shortest displacement.  rbp and r13 (low bits 101) cannot use
    # mod 00, because mod 00 + 101 means RIP-relative (or "no base" in a SIB);
    # they get an explicit disp8 of 0 instead.
    if mem.disp == 0 and base.low3 != 0b101:
        mod, disp = MOD_INDIRECT, b""
    elif fits_int8(mem.disp):
        mod, disp = MOD_DISP8, imm8(mem.disp)
    else:
        mod, disp = MOD_DISP32, imm32(mem.disp)

    if mem.index is None and base.low3 != RM_SIB:
        out = bytes([modrm(mod, reg, base.low3)])
    else:
        # An index needs a SIB byte; so do rsp and r12 as base, because their
        # low bits (100) in ModRM.rm mean "a SIB byte follows".
        out = bytes([modrm(mod, reg, RM_SIB), sib(mem.scale, index_bits, base.low3)])
    return rex_x, base.ext, out + disp


def encode_rm(reg: int, rm: Reg | Mem) -> tuple[int, int, bytes]:
    """ModRM (and SIB, displacement) for a register or memory r/m operand.

    `reg` is the low three bits of ModRM.reg.  Returns (REX.X, REX.B, bytes).
    """
    if isinstance(rm, Mem):
        return encode_mem(reg, rm)
    return 0, rm.ext, bytes((modrm(MOD_REGISTER, reg, rm.low3),))


def encode_op(opcode: bytes, reg: int, rm: Reg | Mem, *, w: bool = False,
              prefix: bytes = b"", force_rex: bool = False, imm: bytes = b"") -> bytes:
    """A complete instruction that has a ModRM byte.

    opcode: the opcode bytes (including any 0F / 0F 3A escape)
    reg:    what goes into ModRM.reg - a register code (0-15) or a /digit
    rm:     the register or memory operand for ModRM.rm
    w:      set REX.W (64-bit operand size)
    prefix: the mandatory prefix (F2 / 66) for SSE instructions
    force_rex: emit REX even if all its bits are 0; needed to address spl,
            bpl, sil and dil as byte registers (without REX they are ah-bh)
    """
    if type(rm) is Reg:  # (most operands: ModRM alone, computed here)
        rex_x, rex_b, tail = 0, rm.ext, bytes((0xC0 | (reg & 7) << 3 | rm.low3,))  # mod 11
    else:
        rex_x, rex_b, tail = encode_rm(reg & 7, rm)
    rex_byte = rex(int(w), reg >> 3, rex_x, rex_b)
    if rex_byte != 0x40 or force_rex:
        return prefix + bytes((rex_byte,)) + opcode + tail + imm
    return prefix + opcode + tail + imm


def encode_plus_r(opcode: int, reg: Reg, *, w: bool = False, imm: bytes = b"") -> bytes:
    """An instruction with the register in the low three bits of the opcode (push, pop, mov r, imm)."""
    rex_byte = rex(int(w), 0, 0, reg.ext)
    if rex_byte != 0x40:
        return bytes((rex_byte, opcode + reg.low3)) + imm
    return bytes((opcode + reg.low3,)) + imm


def needs_byte_rex(reg: Reg) -> bool:
    """spl, bpl, sil, dil exist only with a REX prefix (without one, codes 4-7 are ah, ch, dh, bh)."""
    return 4 <= reg.code <= 7


# ---------------------------------------------------------------------------
# Instruction tables (from the Intel SDM, volume 2)
# ---------------------------------------------------------------------------

# The eight classic ALU operations.  Columns:
#   /digit   ModRM.reg for the immediate forms  81 /digit id  and  83 /digit ib
#   r/m,r    opcode for  op r/m64, r64
#   r,r/m    opcode for  op r64, r/m64
#   rax,imm  opcode for the short form  op rax, imm32  (no ModRM)
ALU_OPS: dict[str, tuple[int, int, int, int]] = {
    #        /digit  r/m,r  r,r/m  rax,imm
    "add": (0, 0x01, 0x03, 0x05),
    "or": (1, 0x09, 0x0B, 0x0D),
    "adc": (2, 0x11, 0x13, 0x15),
    "sbb": (3, 0x19, 0x1B, 0x1D),
    "and": (4, 0x21, 0x23, 0x25),
    "sub": (5, 0x29, 0x2B, 0x2D),
    "xor": (6, 0x31, 0x33, 0x35),
    "cmp": (7, 0x39, 0x3B, 0x3D),
}
ALU_IMM8 = 0x83  # op r/m64, imm8 (sign-extended)
ALU_IMM32 = 0x81  # op r/m64, imm32 (sign-extended)

# One-operand instructions: opcode and /digit.
UNARY_OPS: dict[str, tuple[int, int]] = {
    "inc": (0xFF, 0),
    "dec": (0xFF, 1),
    "not": (0xF7, 2),
    "neg": (0xF7, 3),
    "mul": (0xF7, 4),  # unsigned rdx:rax = rax * r/m64
    "div": (0xF7, 6),  # unsigned rdx:rax / r/m64
    "idiv": (0xF7, 7),  # signed rdx:rax / r/m64
}

# Shifts and rotates: /digit for  D1 /digit (by 1),  C1 /digit ib (by imm8),
# D3 /digit (by cl).
SHIFT_OPS: dict[str, int] = {
    "rol": 0,
    "ror": 1,
    "shl": 4,
    "shr": 5,
    "sar": 7,
}
SHIFT_BY_1 = 0xD1
SHIFT_BY_IMM8 = 0xC1
SHIFT_BY_CL = 0xD3

# Condition codes: the 4-bit "cc" of Jcc (70+cc, 0F 80+cc), SETcc (0F 90+cc)
# and CMOVcc (0F 40+cc).
CONDITIONS: dict[str, int] = {
    "o": 0x0,  # overflow
    "no": 0x1,
    "b": 0x2,  # below (unsigned <), carry
    "ae": 0x3,  # above or equal (unsigned >=)
    "e": 0x4,  # equal, zero
    "ne": 0x5,
    "be": 0x6,  # below or equal (unsigned <=)
    "a": 0x7,  # above (unsigned >)
    "s": 0x8,  # sign
    "ns": 0x9,
    "p": 0xA,  # parity even (ucomisd: unordered)
    "np": 0xB,
    "l": 0xC,  # less (signed <)
    "ge": 0xD,
    "le": 0xE,
    "g": 0xF,  # greater (signed >)
}

# Other names for the same conditions.
CONDITION_ALIASES: dict[str, str] = {
    "c": "b",
    "nae": "b",
    "nc": "ae",
    "nb": "ae",
    "z": "e",
    "nz": "ne",
    "na": "be",
    "nbe": "a",
    "pe": "p",
    "po": "np",
    "nge": "l",
    "nl": "ge",
    "ng": "le",
    "nle": "g",
}

# SSE instructions of the form  op xmm, xmm/mem:
#   mandatory prefix, opcode after 0F, size of a memory operand.
SSE_OPS: dict[str, tuple[int, int, str]] = {
    "addsd": (0xF2, 0x58, "qword"),
    "mulsd": (0xF2, 0x59, "qword"),
    "subsd": (0xF2, 0x5C, "qword"),
    "minsd": (0xF2, 0x5D, "qword"),
    "divsd": (0xF2, 0x5E, "qword"),
    "maxsd": (0xF2, 0x5F, "qword"),
    "sqrtsd": (0xF2, 0x51, "qword"),
    "ucomisd": (0x66, 0x2E, "qword"),
    "comisd": (0x66, 0x2F, "qword"),
    "andpd": (0x66, 0x54, "xmmword"),
    "andnpd": (0x66, 0x55, "xmmword"),
    "orpd": (0x66, 0x56, "xmmword"),
    "xorpd": (0x66, 0x57, "xmmword"),
    "cvtss2sd": (0xF3, 0x5A, "dword"),  # a float32 (element of an array('f')) widened exactly
    "cvtsd2ss": (0xF2, 0x5A, "qword"),  # a double rounded to float32 (stored into one)
}

# Loads of a narrower integer from memory into a 64-bit register, widened by
# its signedness (array elements): name -> (opcode, REX.W, operand size,
# the register the listing names). The zero-extending forms write the 32-bit
# register, which clears the upper half: one byte shorter than with REX.W.
WIDENING_LOADS: dict[str, tuple[bytes, bool, str, str]] = {
    "movsx_b": (b"\x0F\xBE", True, "byte", "64"),    # movsx r64, m8    REX.W 0F BE /r
    "movsx_w": (b"\x0F\xBF", True, "word", "64"),    # movsx r64, m16   REX.W 0F BF /r
    "movzx_w": (b"\x0F\xB7", False, "word", "32"),   # movzx r32, m16   0F B7 /r
    "movsxd": (b"\x63", True, "dword", "64"),         # movsxd r64, m32  REX.W 63 /r
    "mov32": (b"\x8B", False, "dword", "32"),         # mov r32, m32     8B /r
}


def condition_code(instr: str, cond: object) -> tuple[str, int]:
    """Resolve a condition name or alias to (canonical name, 4-bit cc)."""
    if not isinstance(cond, str):
        raise AsmError(f"{instr}: condition must be a name like 'e' or 'l', got {cond!r}")
    name = CONDITION_ALIASES.get(cond, cond)
    if name not in CONDITIONS:
        raise AsmError(f"{instr}: unknown condition {cond!r}")
    return name, CONDITIONS[name]


# ---------------------------------------------------------------------------
# Operand checks and formatting
# ---------------------------------------------------------------------------

# Registers are the module constants of registers.py and nothing else: a
# Reg("eax", 0, "gpr") made by hand would otherwise encode as rax.
# (The table lookup also says the kind: GPRS holds general registers only.)
def is_gpr(op: object) -> bool:
    return type(op) is Reg and GPRS[op.code] is op


def is_xmm(op: object) -> bool:
    return type(op) is Reg and XMMS[op.code] is op


def describe(op: object) -> str:
    """An operand as it appears in an error message."""
    if isinstance(op, Reg):
        return op.name
    if isinstance(op, Mem):
        return str(op)
    if is_int(op):
        assert isinstance(op, int)
        return format_int(op)
    if isinstance(op, Label):
        return f"label {op.name!r}"
    return repr(op)


def fmt(op: Operand, size: str = "qword") -> str:
    """An operand in Intel syntax for the listing."""
    if isinstance(op, Mem):
        return f"{size} ptr {op}"
    return describe(op)


def need_gpr(instr: str, op: object, role: str) -> Reg:
    if not is_gpr(op):
        raise AsmError(f"{instr}: {role} must be a general-purpose register, got {describe(op)}")
    assert isinstance(op, Reg)
    return op


def need_xmm(instr: str, op: object, role: str) -> Reg:
    if not is_xmm(op):
        raise AsmError(f"{instr}: {role} must be an xmm register, got {describe(op)}")
    assert isinstance(op, Reg)
    return op


def need_gpr_or_mem(instr: str, op: object, role: str) -> Reg | Mem:
    if not (is_gpr(op) or isinstance(op, Mem)):
        raise AsmError(f"{instr}: {role} must be a general-purpose register or memory operand, "
                       f"got {describe(op)}")
    assert isinstance(op, (Reg, Mem))
    return op


def need_xmm_or_mem(instr: str, op: object, role: str) -> Reg | Mem:
    if not (is_xmm(op) or isinstance(op, Mem)):
        raise AsmError(f"{instr}: {role} must be an xmm register or memory operand, got {describe(op)}")
    assert isinstance(op, (Reg, Mem))
    return op


def need_mem(instr: str, op: object, role: str) -> Mem:
    if not isinstance(op, Mem):
        raise AsmError(f"{instr}: {role} must be a memory operand, got {describe(op)}")
    return op


# ---------------------------------------------------------------------------
# Labels and the instruction list
# ---------------------------------------------------------------------------

class Label:
    """A position in the code.  Create with Assembler.label(), place with Assembler.bind().

    `offset` is the label's byte offset in the output; it is None until
    Assembler.assemble() has run.
    """

    __slots__ = ("name", "offset", "bound", "_owner")

    def __init__(self, name: str, owner: object) -> None:
        self.name = name
        self.offset: int | None = None
        self.bound = False
        # Its Assembler's token (Assembler._token), not the Assembler: a label
        # pointing back at the assembler that lists it would make every
        # compile's instructions a reference cycle, left for the cycle
        # collector instead of freed when the compile is done.
        self._owner = owner

    def __repr__(self) -> str:
        return f"Label({self.name!r})"


# An instruction's listing text, or what makes it: (mnemonic, operand, ...),
# rendered only when a listing is asked for (explain), as "mnemonic op, op"
# with memory operands as qwords: most instructions then cost a compile no
# formatting.
Text = str | tuple[str | Operand, ...]


class _Code:
    """Instruction bytes that are final as soon as the instruction is requested."""

    __slots__ = ("code", "_text", "offset", "size")

    def __init__(self, code: bytes, text: Text) -> None:
        self.code = code
        self._text = text
        self.offset = 0
        self.size = len(code)

    @property
    def text(self) -> str:
        if isinstance(self._text, tuple):
            name, *operands = self._text
            return f"{name} " + ", ".join(fmt(op) for op in operands)  # type: ignore[arg-type]
        return self._text


class _Bind:
    """The place where a label is bound (takes no bytes)."""

    __slots__ = ("label", "offset", "size")

    def __init__(self, label: Label) -> None:
        self.label = label
        self.offset = 0
        self.size = 0


class _Branch:
    """jmp / jcc / call to a label: the bytes depend on where the label ends up.

    jmp and jcc start short (rel8) and become long (rel32) when the distance
    does not fit; call only has a rel32 form.
    """

    __slots__ = ("instr", "cc", "label", "long", "offset", "size", "text")

    def __init__(self, instr: str, cc: int, label: Label) -> None:
        self.instr = instr  # "jmp", "call" or a jcc mnemonic like "je"
        self.cc = cc  # condition code, for jcc only
        self.label = label
        self.offset = 0
        self.text = f"{instr} {label.name}"
        self.set_long(instr == "call")

    def is_jcc(self) -> bool:
        return self.instr not in ("jmp", "call")

    def set_long(self, long: bool) -> None:
        self.long = long
        if not long:
            self.size = 2  # EB rel8 / 70+cc rel8
        elif self.is_jcc():
            self.size = 6  # 0F 80+cc rel32
        else:
            self.size = 5  # E9 rel32 / E8 rel32

    def displacement(self) -> int:
        """Relative to the end of this instruction, which is what the CPU adds it to."""
        assert self.label.offset is not None
        return self.label.offset - (self.offset + self.size)

    def encode(self) -> bytes:
        disp = self.displacement()
        if not self.long:
            assert fits_int8(disp)
            opcode = bytes([0x70 + self.cc]) if self.is_jcc() else b"\xEB"
            return opcode + imm8(disp)
        if not fits_int32(disp):
            raise AsmError(f"{self.instr}: label {self.label.name!r} is out of rel32 range")
        if self.is_jcc():
            opcode = bytes([0x0F, 0x80 + self.cc])
        elif self.instr == "jmp":
            opcode = b"\xE9"
        else:
            opcode = b"\xE8"
        return opcode + imm32(disp)


# What an address loaded by mov_address is: a tuple of strs and ints, such as
# ("helper", "jc_pow") (jitcore/cache.py gives each kind its meaning).
Symbol = tuple[str | int, ...]


class _AddressLoad(_Code):
    """movabs r64, imm64 of an address that is only valid in this process
    (a C helper, a cell): `symbol` says what it is, so that code kept across
    processes (jitcore/cache.py) can be given this process's address again."""

    __slots__ = ("symbol",)

    def __init__(self, code: bytes, text: Text, symbol: Symbol) -> None:
        super().__init__(code, text)
        self.symbol = symbol


_Item = _Code | _Bind | _Branch


# ---------------------------------------------------------------------------
# The assembler
# ---------------------------------------------------------------------------

class Assembler:
    """Collects instructions; assemble() returns the machine code.

        asm = Assembler()
        loop = asm.label("loop")
        asm.bind(loop)
        asm.sub(rdi, 1)
        asm.jne(loop)
        asm.ret()
        code = asm.assemble()
    """

    def __init__(self) -> None:
        self._items: list[_Item] = []
        self._labels: list[Label] = []
        self._token = object()  # what its labels know it by (Label._owner)
        self._assembled = False  # since the last instruction was added
        # (offset of the 8 address bytes, symbol) of each mov_address, as of
        # the last assemble()
        self.relocations: list[tuple[int, Symbol]] = []

    # -- labels and output ---------------------------------------------------

    def label(self, name: str | None = None) -> Label:
        """A new, not yet bound label.  Without a name it is called .L0, .L1, ..."""
        if name is None:
            name = f".L{len(self._labels)}"
        elif not isinstance(name, str):
            raise AsmError(f"label: name must be a str, got {name!r}")
        label = Label(name, self._token)
        self._labels.append(label)
        return label

    def bind(self, label: Label) -> None:
        """Place `label` at the current position."""
        self._check_label("bind", label)
        if label.bound:
            raise AsmError(f"bind: label {label.name!r} is already bound")
        label.bound = True
        self._add(_Bind(label))

    def assemble(self) -> bytes:
        """Lay the code out, resolve labels and return the machine code.

        Afterwards every bound label's `offset` is set and listing() works.
        """
        items = self._items
        branches = [item for item in items if type(item) is _Branch]
        for branch in branches:
            if not branch.label.bound:
                raise AsmError(f"{branch.instr}: label {branch.label.name!r} was never bound")
            branch.set_long(branch.instr == "call")

        # Jump relaxation: start with every jump short; lengthen those whose
        # distance does not fit in rel8, and repeat, since lengthening one jump
        # can push another one out of range.  Jumps only ever grow, so this
        # stops (at the latest when all are long).
        binds = [item for item in items if type(item) is _Bind]
        while True:
            offset = 0
            for item in items:
                item.offset = offset
                offset += item.size
            for bind in binds:
                bind.label.offset = bind.offset
            grew = False
            for branch in branches:
                if not branch.long and not fits_int8(branch.displacement()):
                    branch.set_long(True)
                    grew = True
            if not grew:
                break

        code = b"".join([item.encode() if type(item) is _Branch else item.code  # type: ignore[union-attr]
                         for item in items if item.size])
        assert len(code) == offset
        # (the immediate is the last 8 bytes of a movabs)
        self.relocations = [(item.offset + item.size - 8, item.symbol) for item in items
                            if type(item) is _AddressLoad]
        self._assembled = True
        return code

    @property
    def position(self) -> int:
        """How many entries (instructions and bound labels) there are so far:
        the index in listing() of whatever is added next."""
        return len(self._items)

    def listing(self) -> list[tuple[int, int, str]]:
        """(offset, length, Intel-syntax text) for each instruction of the last assemble().

        Bound labels appear as zero-length entries whose text is "name:".
        (Made on request: the compiler asks only for jitcore.explain.)
        """
        if not self._assembled:
            raise AsmError("listing: call assemble() first (and again after adding instructions)")
        return [(item.offset, 0, f"{item.label.name}:") if type(item) is _Bind
                else (item.offset, item.size, item.text)  # type: ignore[union-attr]
                for item in self._items]

    @property
    def offsets(self) -> dict[Label, int]:
        """Byte offset of every bound label, as of the last assemble()."""
        if not self._assembled:
            raise AsmError("offsets: call assemble() first (and again after adding instructions)")
        return {label: label.offset for label in self._labels if label.offset is not None}

    def _add(self, item: _Item) -> None:
        self._items.append(item)
        self._assembled = False

    def _emit(self, code: bytes, text: Text) -> None:
        self._items.append(_Code(code, text))  # (_add, inlined: every instruction comes here)
        self._assembled = False

    def _check_label(self, instr: str, label: object) -> Label:
        if not isinstance(label, Label):
            raise AsmError(f"{instr}: expected a Label, got {describe(label)}")
        if label._owner is not self._token:
            raise AsmError(f"{instr}: label {label.name!r} belongs to another Assembler")
        return label

    # -- mov -----------------------------------------------------------------

    def mov(self, dst: Reg | Mem, src: Operand) -> None:
        """mov dst, src  for reg/mem/immediate operands (64-bit).

        reg <- imm picks the shortest exact encoding:
          0 <= imm < 2**32        mov r32, imm32     (writing r32 zeroes the upper half)
          -2**31 <= imm < 0       mov r/m64, imm32   (sign-extended)
          anything else           movabs r64, imm64
        imm may be anything in [-2**63, 2**64); values >= 2**63 are the
        unsigned spelling of the same 64-bit pattern.
        mem <- imm needs an imm32 (sign-extended).
        """
        text = ("mov", dst, src)
        if isinstance(dst, Mem) and isinstance(src, Mem):
            raise AsmError("mov: memory-to-memory is not encodable")
        dst = need_gpr_or_mem("mov", dst, "destination")
        if is_gpr(src):
            assert isinstance(src, Reg)
            code = encode_op(b"\x89", src.code, dst, w=True)  # mov r/m64, r64
        elif isinstance(src, Mem):
            assert isinstance(dst, Reg)
            code = encode_op(b"\x8B", dst.code, src, w=True)  # mov r64, r/m64
        elif is_int(src):
            if isinstance(dst, Mem):
                value = imm32_for("mov", src)
                code = encode_op(b"\xC7", 0, dst, w=True, imm=imm32(value))
            else:
                code = self._mov_reg_imm(dst, signed64("mov", src))
        else:
            raise AsmError(f"mov: source must be a general-purpose register, memory operand or "
                           f"immediate, got {describe(src)}")
        self._emit(code, text)

    def mov_address(self, dst: Reg, address: int, symbol: Symbol) -> None:
        """movabs dst, address: always the 8-byte immediate form, whatever the
        value, and noted in `relocations` with `symbol` (what the address is),
        so that the same code can hold another process's address there."""
        dst = need_gpr("mov", dst, "destination")
        value = signed64("mov", address)
        self._add(_AddressLoad(encode_plus_r(0xB8, dst, w=True, imm=imm64(value)),
                               ("mov", dst, value), symbol))

    @staticmethod
    def _mov_reg_imm(dst: Reg, value: int) -> bytes:
        unsigned = value % UINT64_LIMIT
        if unsigned < 2 ** 32:
            # B8+r id, without REX.W: a 32-bit write zero-extends to 64 bits.
            return encode_plus_r(0xB8, dst, imm=unsigned.to_bytes(4, "little"))
        if fits_int32(value):
            return encode_op(b"\xC7", 0, dst, w=True, imm=imm32(value))  # C7 /0 id
        return encode_plus_r(0xB8, dst, w=True, imm=imm64(value))  # movabs: REX.W B8+r io

    # -- ALU: add or adc sbb and sub xor cmp ---------------------------------

    def _alu(self, name: str, dst: Reg | Mem, src: Operand) -> None:
        digit, op_rm_r, op_r_rm, op_rax_imm = ALU_OPS[name]
        text = (name, dst, src)
        if isinstance(dst, Mem) and isinstance(src, Mem):
            raise AsmError(f"{name}: memory-to-memory is not encodable")
        dst = need_gpr_or_mem(name, dst, "destination")
        if is_gpr(src):
            assert isinstance(src, Reg)
            code = encode_op(bytes([op_rm_r]), src.code, dst, w=True)
        elif isinstance(src, Mem):
            assert isinstance(dst, Reg)
            code = encode_op(bytes([op_r_rm]), dst.code, src, w=True)
        elif is_int(src):
            value = imm32_for(name, src)
            if fits_int8(value):
                code = encode_op(bytes([ALU_IMM8]), digit, dst, w=True, imm=imm8(value))
            elif isinstance(dst, Reg) and dst.code == 0:
                # Short form for rax: REX.W op id, no ModRM (one byte shorter).
                code = bytes([rex(1, 0, 0, 0), op_rax_imm]) + imm32(value)
            else:
                code = encode_op(bytes([ALU_IMM32]), digit, dst, w=True, imm=imm32(value))
        else:
            raise AsmError(f"{name}: source must be a general-purpose register, memory operand or "
                           f"immediate, got {describe(src)}")
        self._emit(code, text)

    def add(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("add", dst, src)

    def or_(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("or", dst, src)

    def adc(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("adc", dst, src)

    def sbb(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("sbb", dst, src)

    def and_(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("and", dst, src)

    def sub(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("sub", dst, src)

    def xor(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("xor", dst, src)

    def cmp(self, dst: Reg | Mem, src: Operand) -> None:
        self._alu("cmp", dst, src)

    # -- test, imul ----------------------------------------------------------

    def test(self, a: Reg | Mem, b: Operand) -> None:
        """test a, b: reg,reg / mem,reg / reg,mem / reg,imm32 / mem,imm32.

        test is symmetric, so test(reg, mem) is encoded as test mem, reg.
        """
        text = ("test", a, b)
        if isinstance(a, Mem) and isinstance(b, Mem):
            raise AsmError("test: memory-to-memory is not encodable")
        a = need_gpr_or_mem("test", a, "first operand")
        if isinstance(b, Mem):
            a, b = b, a  # only "test r/m64, r64" exists
        if is_gpr(b):
            assert isinstance(b, Reg)
            code = encode_op(b"\x85", b.code, a, w=True)  # 85 /r
        elif is_int(b):
            value = imm32_for("test", b)
            if isinstance(a, Reg) and a.code == 0:
                code = bytes([rex(1, 0, 0, 0), 0xA9]) + imm32(value)  # test rax, imm32
            else:
                code = encode_op(b"\xF7", 0, a, w=True, imm=imm32(value))  # F7 /0 id
        else:
            raise AsmError(f"test: second operand must be a general-purpose register, memory operand "
                           f"or immediate, got {describe(b)}")
        self._emit(code, text)

    def imul(self, dst: Reg, src: Reg | Mem, imm: int | None = None) -> None:
        """imul dst, src  (dst *= src)  or  imul dst, src, imm  (dst = src * imm)."""
        dst = need_gpr("imul", dst, "destination")
        src = need_gpr_or_mem("imul", src, "source")
        if imm is None:
            code = encode_op(b"\x0F\xAF", dst.code, src, w=True)  # 0F AF /r
            text: Text = ("imul", dst, src)
        else:
            value = imm32_for("imul", imm)
            if fits_int8(value):
                code = encode_op(b"\x6B", dst.code, src, w=True, imm=imm8(value))  # 6B /r ib
            else:
                code = encode_op(b"\x69", dst.code, src, w=True, imm=imm32(value))  # 69 /r id
            text = ("imul", dst, src, imm)
        self._emit(code, text)

    # -- one-operand instructions --------------------------------------------

    def _unary(self, name: str, operand: Reg | Mem) -> None:
        opcode, digit = UNARY_OPS[name]
        operand = need_gpr_or_mem(name, operand, "operand")
        self._emit(encode_op(bytes([opcode]), digit, operand, w=True), f"{name} {fmt(operand)}")

    def neg(self, operand: Reg | Mem) -> None:
        self._unary("neg", operand)

    def not_(self, operand: Reg | Mem) -> None:
        self._unary("not", operand)

    def inc(self, operand: Reg | Mem) -> None:
        self._unary("inc", operand)

    def dec(self, operand: Reg | Mem) -> None:
        self._unary("dec", operand)

    def mul(self, src: Reg | Mem) -> None:
        """Unsigned rdx:rax = rax * src (the high half is what division by a constant needs)."""
        self._unary("mul", src)

    def div(self, src: Reg | Mem) -> None:
        """Unsigned divide rdx:rax by src: quotient in rax, remainder in rdx."""
        self._unary("div", src)

    def div32(self, src: Reg) -> None:
        """Unsigned divide edx:eax by the low 32 bits of src: quotient in eax,
        remainder in edx (writing a 32-bit register zeroes its upper half).
        Much faster than the 64-bit divide where both operands fit in 32 bits."""
        src = need_gpr("div32", src, "operand")
        _, digit = UNARY_OPS["div"]
        self._emit(encode_op(b"\xF7", digit, src), f"div {dword_name(src)}")  # F7 /6

    def idiv(self, src: Reg | Mem) -> None:
        """Signed divide rdx:rax by src: quotient in rax, remainder in rdx."""
        self._unary("idiv", src)

    def cqo(self) -> None:
        """Sign-extend rax into rdx:rax (before idiv)."""
        self._emit(b"\x48\x99", "cqo")

    # -- shifts and rotates --------------------------------------------------

    def _shift(self, name: str, dst: Reg | Mem, count: int | Reg) -> None:
        digit = SHIFT_OPS[name]
        dst = need_gpr_or_mem(name, dst, "destination")
        if isinstance(count, Reg):
            # The only register count the hardware knows is cl.
            if count is not rcx:
                raise AsmError(f"{name}: a register shift count must be rcx (cl), got {count.name}")
            code = encode_op(bytes([SHIFT_BY_CL]), digit, dst, w=True)
            text = f"{name} {fmt(dst)}, cl"
        elif is_int(count):
            assert isinstance(count, int)
            # The CPU masks 64-bit shift counts to 6 bits; refuse anything it would change.
            if not 0 <= count <= 63:
                raise AsmError(f"{name}: shift count {count} is out of range 0-63")
            if count == 1:
                code = encode_op(bytes([SHIFT_BY_1]), digit, dst, w=True)
            else:
                code = encode_op(bytes([SHIFT_BY_IMM8]), digit, dst, w=True, imm=bytes([count]))
            text = f"{name} {fmt(dst)}, {count}"
        else:
            raise AsmError(f"{name}: shift count must be an int 0-63 or rcx, got {describe(count)}")
        self._emit(code, text)

    def shl(self, dst: Reg | Mem, count: int | Reg) -> None:
        self._shift("shl", dst, count)

    def shr(self, dst: Reg | Mem, count: int | Reg) -> None:
        self._shift("shr", dst, count)

    def sar(self, dst: Reg | Mem, count: int | Reg) -> None:
        self._shift("sar", dst, count)

    def rol(self, dst: Reg | Mem, count: int | Reg) -> None:
        self._shift("rol", dst, count)

    def ror(self, dst: Reg | Mem, count: int | Reg) -> None:
        self._shift("ror", dst, count)

    # -- lea, stack, misc ----------------------------------------------------

    def lea(self, dst: Reg, src: Mem) -> None:
        dst = need_gpr("lea", dst, "destination")
        src = need_mem("lea", src, "source")
        self._emit(encode_op(b"\x8D", dst.code, src, w=True), ("lea", dst, src))

    def push(self, reg: Reg) -> None:
        # 50+r; push is 64-bit by default in long mode, so no REX.W.
        reg = need_gpr("push", reg, "operand")
        self._emit(encode_plus_r(0x50, reg), ("push", reg))

    def pop(self, reg: Reg) -> None:
        reg = need_gpr("pop", reg, "operand")
        self._emit(encode_plus_r(0x58, reg), ("pop", reg))

    def ret(self) -> None:
        self._emit(b"\xC3", "ret")

    def nop(self) -> None:
        self._emit(b"\x90", "nop")

    def int3(self) -> None:
        self._emit(b"\xCC", "int3")

    def ud2(self) -> None:
        self._emit(b"\x0F\x0B", "ud2")

    # -- jumps and calls -----------------------------------------------------

    def jmp(self, target: Label | Reg | Mem) -> None:
        """jmp to a label (rel8 or rel32, chosen by assemble()) or indirect through a register/memory."""
        if isinstance(target, Label):
            self._add(_Branch("jmp", 0, self._check_label("jmp", target)))
            return
        target = self._indirect_target("jmp", target)
        # FF /4; the operand is 64-bit by default, no REX.W needed.
        self._emit(encode_op(b"\xFF", 4, target), f"jmp {fmt(target)}")

    def call(self, target: Label | Reg | Mem) -> None:
        """call a label (always rel32) or indirect through a register/memory."""
        if isinstance(target, Label):
            self._add(_Branch("call", 0, self._check_label("call", target)))
            return
        target = self._indirect_target("call", target)
        self._emit(encode_op(b"\xFF", 2, target), f"call {fmt(target)}")  # FF /2

    @staticmethod
    def _indirect_target(instr: str, target: object) -> Reg | Mem:
        if not (is_gpr(target) or isinstance(target, Mem)):
            raise AsmError(f"{instr}: target must be a Label, general-purpose register or memory "
                           f"operand, got {describe(target)}")
        assert isinstance(target, (Reg, Mem))
        return target

    def jcc(self, cond: str, target: Label) -> None:
        """Conditional jump, e.g. jcc('l', loop) for jl.  Relaxed like jmp."""
        name, cc = condition_code("jcc", cond)
        self._add(_Branch("j" + name, cc, self._check_label("j" + name, target)))

    def jo(self, target: Label) -> None:
        self.jcc("o", target)

    def jno(self, target: Label) -> None:
        self.jcc("no", target)

    def jb(self, target: Label) -> None:
        self.jcc("b", target)

    def jae(self, target: Label) -> None:
        self.jcc("ae", target)

    def je(self, target: Label) -> None:
        self.jcc("e", target)

    def jne(self, target: Label) -> None:
        self.jcc("ne", target)

    def jz(self, target: Label) -> None:
        self.jcc("e", target)

    def jnz(self, target: Label) -> None:
        self.jcc("ne", target)

    def jbe(self, target: Label) -> None:
        self.jcc("be", target)

    def ja(self, target: Label) -> None:
        self.jcc("a", target)

    def js(self, target: Label) -> None:
        self.jcc("s", target)

    def jns(self, target: Label) -> None:
        self.jcc("ns", target)

    def jp(self, target: Label) -> None:
        self.jcc("p", target)

    def jnp(self, target: Label) -> None:
        self.jcc("np", target)

    def jl(self, target: Label) -> None:
        self.jcc("l", target)

    def jge(self, target: Label) -> None:
        self.jcc("ge", target)

    def jle(self, target: Label) -> None:
        self.jcc("le", target)

    def jg(self, target: Label) -> None:
        self.jcc("g", target)

    # -- setcc, cmovcc, movzx ------------------------------------------------

    def setcc(self, cond: str, dst: Reg) -> None:
        """Set the low byte of dst to 1 if cond holds, else 0 (the other bytes are unchanged)."""
        name, cc = condition_code("setcc", cond)
        instr = "set" + name
        dst = need_gpr(instr, dst, "destination")
        code = encode_op(bytes([0x0F, 0x90 + cc]), 0, dst, force_rex=needs_byte_rex(dst))  # 0F 90+cc /0
        self._emit(code, f"{instr} {byte_name(dst)}")

    def cmovcc(self, cond: str, dst: Reg, src: Reg | Mem) -> None:
        """dst = src if cond holds (64-bit)."""
        name, cc = condition_code("cmovcc", cond)
        instr = "cmov" + name
        dst = need_gpr(instr, dst, "destination")
        src = need_gpr_or_mem(instr, src, "source")
        code = encode_op(bytes([0x0F, 0x40 + cc]), dst.code, src, w=True)  # REX.W 0F 40+cc /r
        self._emit(code, (instr, dst, src))

    def movzx_b(self, dst: Reg, src: Reg | Mem) -> None:
        """Zero-extend the low byte of a GPR (or a byte in memory) into 64-bit dst.

        Encoded as the 32-bit form  movzx r32, r/m8  (0F B6 /r): writing a
        32-bit register clears the upper half, so the result is the same and
        the instruction is one byte shorter than with REX.W.
        """
        dst = need_gpr("movzx_b", dst, "destination")
        src = need_gpr_or_mem("movzx_b", src, "source")
        if isinstance(src, Mem):
            code = encode_op(b"\x0F\xB6", dst.code, src)
            text = f"movzx {dst.name}, {fmt(src, 'byte')}"
        else:
            code = encode_op(b"\x0F\xB6", dst.code, src, force_rex=needs_byte_rex(src))
            text = f"movzx {dst.name}, {byte_name(src)}"
        self._emit(code, text)

    def load_widened(self, name: str, dst: Reg, src: Mem) -> None:
        """One of WIDENING_LOADS: an 8-, 16- or 32-bit integer in memory into
        64-bit dst, sign- or zero-extended (movzx_b above is the unsigned byte)."""
        if name not in WIDENING_LOADS:
            raise AsmError(f"load_widened: unknown load {name!r}")
        opcode, wide, size, width = WIDENING_LOADS[name]
        dst = need_gpr(name, dst, "destination")
        if not isinstance(src, Mem):
            raise AsmError(f"{name}: source must be a memory operand, got {describe(src)}")
        mnemonic = {"mov32": "mov", "movsx_b": "movsx", "movsx_w": "movsx",
                    "movzx_w": "movzx"}.get(name, name)
        register = dst.name if width == "64" else dword_name(dst)
        self._emit(encode_op(opcode, dst.code, src, w=wide), f"{mnemonic} {register}, {fmt(src, size)}")

    def store_narrow(self, size: int, dst: Mem, src: Reg) -> None:
        """The low `size` bytes (1, 2, 4 or 8) of GPR src into memory: an
        array element. mov m8, r8 (88 /r; sil, dil, spl, bpl need a REX),
        mov m16, r16 (66 89 /r), mov m32, r32 (89 /r), mov m64, r64."""
        src = need_gpr("store_narrow", src, "source")
        if not isinstance(dst, Mem):
            raise AsmError(f"store_narrow: destination must be a memory operand, got {describe(dst)}")
        if size == 1:
            code = encode_op(b"\x88", src.code, dst, force_rex=needs_byte_rex(src))
            text = f"mov {fmt(dst, 'byte')}, {byte_name(src)}"
        elif size == 2:
            code = encode_op(b"\x89", src.code, dst, prefix=b"\x66")
            text = f"mov {fmt(dst, 'word')}, {word_name(src)}"
        elif size == 4:
            code = encode_op(b"\x89", src.code, dst)
            text = f"mov {fmt(dst, 'dword')}, {dword_name(src)}"
        elif size == 8:
            code = encode_op(b"\x89", src.code, dst, w=True)
            text = f"mov {fmt(dst)}, {src.name}"
        else:
            raise AsmError(f"store_narrow: size must be 1, 2, 4 or 8, got {size!r}")
        self._emit(code, text)

    def cmp_byte(self, dst: Mem, value: int) -> None:
        """Compare the byte at dst with an 8-bit immediate: 80 /7 ib."""
        self._byte_imm("cmp", b"\x80", 7, dst, value)

    def mov_byte(self, dst: Mem, value: int) -> None:
        """Store an 8-bit immediate at dst: C6 /0 ib."""
        self._byte_imm("mov", b"\xC6", 0, dst, value)

    def _byte_imm(self, mnemonic: str, opcode: bytes, digit: int, dst: Mem, value: int) -> None:
        if not isinstance(dst, Mem) or not isinstance(value, int) or not -128 <= value < 256:
            raise AsmError(f"{mnemonic} byte: needs a memory operand and a byte, got "
                           f"{describe(dst)}, {value!r}")
        self._emit(encode_op(opcode, digit, dst, imm=bytes([value & 0xFF])),
                   f"{mnemonic} {fmt(dst, 'byte')}, {value & 0xFF:#x}")

    # -- SSE2 double precision -----------------------------------------------

    def _sse(self, name: str, dst: Reg, src: Reg | Mem) -> None:
        prefix, opcode, mem_size = SSE_OPS[name]
        dst = need_xmm(name, dst, "destination")
        src = need_xmm_or_mem(name, src, "source")
        code = encode_op(bytes([0x0F, opcode]), dst.code, src, prefix=bytes([prefix]))
        text = (name, dst, src) if mem_size == "qword" else f"{name} {dst.name}, {fmt(src, mem_size)}"
        self._emit(code, text)

    def movsd(self, dst: Reg | Mem, src: Reg | Mem) -> None:
        """movsd xmm, xmm/m64 (F2 0F 10) or movsd m64, xmm (F2 0F 11).

        Note: xmm <- xmm keeps the destination's upper half; xmm <- mem clears it.
        """
        text = ("movsd", dst, src)
        if isinstance(dst, Mem) and isinstance(src, Mem):
            raise AsmError("movsd: memory-to-memory is not encodable")
        if isinstance(dst, Mem):
            src = need_xmm("movsd", src, "source")
            code = encode_op(b"\x0F\x11", src.code, dst, prefix=b"\xF2")
        else:
            dst = need_xmm("movsd", dst, "destination")
            src = need_xmm_or_mem("movsd", src, "source")
            code = encode_op(b"\x0F\x10", dst.code, src, prefix=b"\xF2")
        self._emit(code, text)

    def movapd(self, dst: Reg, src: Reg) -> None:
        """Copy a whole xmm register: 66 0F 28 /r, register to register only.

        The register-to-register copy to use: movsd xmm, xmm writes only the
        low half, so it depends on the destination's old value (a false
        dependency that chains loop iterations); movapd does not, and the
        CPU can do it at register renaming. (Its memory form needs 16-byte
        alignment, which our stack slots do not have: not offered.)"""
        dst = need_xmm("movapd", dst, "destination")
        src = need_xmm("movapd", src, "source")
        self._emit(encode_op(b"\x0F\x28", dst.code, src, prefix=b"\x66"), ("movapd", dst, src))

    def addsd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("addsd", dst, src)

    def cvtss2sd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("cvtss2sd", dst, src)

    def cvtsd2ss(self, dst: Reg, src: Reg | Mem) -> None:
        """A double rounded to float32 (to nearest, as C's cast): F2 0F 5A /r."""
        self._sse("cvtsd2ss", dst, src)

    def movss_store(self, dst: Mem, src: Reg) -> None:
        """The low float32 of xmm src into memory: F3 0F 11 /r."""
        src = need_xmm("movss", src, "source")
        if not isinstance(dst, Mem):
            raise AsmError(f"movss: destination must be a memory operand, got {describe(dst)}")
        self._emit(encode_op(b"\x0F\x11", src.code, dst, prefix=b"\xF3"),
                   f"movss {fmt(dst, 'dword')}, {src.name}")

    def stmxcsr(self, dst: Mem) -> None:
        """Store MXCSR (SSE control and sticky exception flags) as 32 bits: 0F AE /3."""
        self._mxcsr("stmxcsr", 3, dst)

    def ldmxcsr(self, src: Mem) -> None:
        """Load MXCSR from 32 bits in memory: 0F AE /2."""
        self._mxcsr("ldmxcsr", 2, src)

    def _mxcsr(self, name: str, digit: int, where: Mem) -> None:
        if not isinstance(where, Mem):
            raise AsmError(f"{name}: needs a memory operand, got {describe(where)}")
        self._emit(encode_op(b"\x0F\xAE", digit, where), f"{name} {fmt(where, 'dword')}")

    def subsd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("subsd", dst, src)

    def mulsd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("mulsd", dst, src)

    def divsd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("divsd", dst, src)

    def sqrtsd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("sqrtsd", dst, src)

    def minsd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("minsd", dst, src)

    def maxsd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("maxsd", dst, src)

    def ucomisd(self, a: Reg, b: Reg | Mem) -> None:
        self._sse("ucomisd", a, b)

    def comisd(self, a: Reg, b: Reg | Mem) -> None:
        self._sse("comisd", a, b)

    def andpd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("andpd", dst, src)

    def andnpd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("andnpd", dst, src)

    def orpd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("orpd", dst, src)

    def xorpd(self, dst: Reg, src: Reg | Mem) -> None:
        self._sse("xorpd", dst, src)

    def cvtsi2sd(self, dst: Reg, src: Reg | Mem) -> None:
        """Convert a signed 64-bit integer to double: F2 REX.W 0F 2A /r."""
        dst = need_xmm("cvtsi2sd", dst, "destination")
        src = need_gpr_or_mem("cvtsi2sd", src, "source")
        code = encode_op(b"\x0F\x2A", dst.code, src, w=True, prefix=b"\xF2")
        self._emit(code, ("cvtsi2sd", dst, src))

    def cvttsd2si(self, dst: Reg, src: Reg | Mem) -> None:
        """Convert a double to a signed 64-bit integer, truncating: F2 REX.W 0F 2C /r."""
        dst = need_gpr("cvttsd2si", dst, "destination")
        src = need_xmm_or_mem("cvttsd2si", src, "source")
        code = encode_op(b"\x0F\x2C", dst.code, src, w=True, prefix=b"\xF2")
        self._emit(code, ("cvttsd2si", dst, src))

    def movq(self, dst: Reg, src: Reg) -> None:
        """Copy 64 bits between an xmm register and a GPR, either way.

        movq xmm, r64: 66 REX.W 0F 6E /r     movq r64, xmm: 66 REX.W 0F 7E /r
        (in both, ModRM.reg is the xmm register and ModRM.rm the GPR).
        """
        if is_xmm(dst) and is_gpr(src):
            code = encode_op(b"\x0F\x6E", dst.code, src, w=True, prefix=b"\x66")
        elif is_gpr(dst) and is_xmm(src):
            code = encode_op(b"\x0F\x7E", src.code, dst, w=True, prefix=b"\x66")
        else:
            raise AsmError(f"movq: needs one xmm register and one general-purpose register, "
                           f"got {describe(dst)}, {describe(src)}")
        self._emit(code, ("movq", dst, src))

    def roundsd(self, dst: Reg, src: Reg | Mem, mode: int) -> None:
        """Round a double (SSE4.1): 66 0F 3A 0B /r ib.

        mode bits 0-1: 0 nearest, 1 down, 2 up, 3 toward zero; bit 2: use
        MXCSR instead; bit 3: suppress the precision exception.  Bits 4-7 are
        reserved, so mode must be 0-15.
        """
        dst = need_xmm("roundsd", dst, "destination")
        src = need_xmm_or_mem("roundsd", src, "source")
        if not is_int(mode) or not 0 <= mode <= 15:
            raise AsmError(f"roundsd: rounding mode must be an int 0-15, got {describe(mode)}")
        code = encode_op(b"\x0F\x3A\x0B", dst.code, src, prefix=b"\x66", imm=bytes([mode]))
        self._emit(code, f"roundsd {dst.name}, {fmt(src)}, {mode}")
