"""The IR every stage after the front end reads and writes.

A `Function` is a list of `Block`s; a block is a list of three-address
`Inst`s over virtual registers (`Value`) and constants (`Const`), ending in a
terminator (`ret`, and later `jmp`/`br`).

Values are not SSA: each Python local is one `Value` that may be assigned many
times, while temporaries made by the front end are assigned once. That keeps
the front end simple (no phi nodes) and is all a linear-scan allocator needs.

Instruction set (dst on the left):

    v = mov a              copy
    v = add a, b           a + b            .ovf: leave to the interpreter on int64 overflow
    v = sub a, b           a - b            .ovf
    v = mul a, b           a * b            .ovf
    v = neg a              -a               .ovf
    v = not a              ~a (bitwise)
    v = and|or|xor a, b    bitwise
    ret a                  return a (`kind` says how the caller boxes it)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Union

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# Return kinds: the status the native entry reports for each (see lower.py).
RET_INT = "int"
RET_NONE = "none"

# Which ops exist, how many operands each takes, and what we know about them.
#   commutative: operands may be swapped
#   pure: no effect besides defining dst (dead ones can be deleted).  Checked
#         int arithmetic stays pure: its only "effect" is leaving to the
#         interpreter on overflow, and CPython would compute the same
#         unobservable big int.
BINARY_OPS = {"add", "sub", "mul", "and", "or", "xor"}
UNARY_OPS = {"neg", "not", "mov"}
COMMUTATIVE = {"add", "mul", "and", "or", "xor"}
TERMINATORS = {"ret"}


@dataclass(eq=False)
class Value:
    """A virtual register holding an int64."""

    id: int
    name: str  # a Python local's name, or "" for a temporary

    def __repr__(self) -> str:
        return self.name if self.name else f"v{self.id}"


@dataclass(frozen=True)
class Const:
    """An int64 constant operand."""

    value: int

    def __repr__(self) -> str:
        return str(self.value)


Operand = Union[Value, Const]


@dataclass(eq=False)
class Inst:
    op: str
    dst: Optional[Value]
    args: List[Operand]
    checked: bool = False  # leave to the interpreter on int64 overflow
    kind: str = ""  # ret only: how the result is boxed
    line: Optional[int] = None  # Python source line, for errors and listings

    def uses(self) -> Iterator[Value]:
        for a in self.args:
            if isinstance(a, Value):
                yield a

    def __repr__(self) -> str:
        name = self.op + (".ovf" if self.checked else "") + (f".{self.kind}" if self.kind else "")
        args = ", ".join(repr(a) for a in self.args)
        text = f"{name} {args}".rstrip()
        return f"{self.dst!r} = {text}" if self.dst is not None else text


@dataclass(eq=False)
class Block:
    name: str
    insts: List[Inst] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<Block {self.name}: {len(self.insts)} insts>"


@dataclass(eq=False)
class Function:
    name: str
    params: List[Value]
    blocks: List[Block]
    filename: str = "<unknown>"
    firstlineno: int = 0
    _next_id: int = 0

    def new_value(self, name: str = "") -> Value:
        value = Value(self._next_id, name)
        self._next_id += 1
        return value

    def insts(self) -> Iterator[Inst]:
        for block in self.blocks:
            yield from block.insts

    def dump(self) -> str:
        """The IR as text, one instruction a line (used by tests and explain)."""
        params = ", ".join(repr(p) for p in self.params)
        lines = [f"function {self.name}({params}):"]
        for block in self.blocks:
            lines.append(f"  {block.name}:")
            for inst in block.insts:
                lines.append(f"    {inst!r}")
        return "\n".join(lines)


def fits_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX
