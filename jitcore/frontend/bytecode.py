"""Decode a code object into version-independent instructions.

`decode()` hands the rest of the compiler a flat list of `Instr`, each one
vocabulary item from versions.py with the bytecode offset and source line it
came from. It reads the bytecode with versions.instructions() (which computes
what dis.get_instructions would, for the instructions jitcore compiles, in a
fraction of the time) and falls back to dis for functions with any other
instruction; decode_with_dis() is that reference.
"""

from __future__ import annotations

from . import versions

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is slow to import; the compiler's import is part of a first call)
    from types import CodeType
    from typing import Any


class Instr:
    """One vocabulary item and where it came from. Equal only to itself."""

    __slots__ = ("op", "arg", "offset", "line")

    def __init__(self, op: str, arg: Any, offset: int, line: int | None) -> None:
        self.op = op  # a vocabulary word, see versions.py
        self.arg = arg  # the vocabulary item's argument: a name, constant, offset or tuple (versions.py)
        self.offset = offset  # bytecode offset of the CPython instruction it came from
        self.line = line

    def __repr__(self) -> str:
        arg = "" if self.arg is None else f" {self.arg!r}"
        return f"{self.offset:4d} {self.op}{arg}"


def decode(code: CodeType) -> list[Instr]:
    rules = versions.table()
    raw = versions.instructions(code, rules)
    if raw is None:  # an instruction jitcore cannot compile: dis names it best
        return decode_with_dis(code)
    out: list[Instr] = []
    for ins in raw:
        for op, arg in versions.translate(ins, rules):
            out.append(Instr(op, arg, ins.offset, ins.line))
    return out


def decode_with_dis(code: CodeType) -> list[Instr]:
    """decode() through dis.get_instructions: the reference for the fast reader."""
    import dis  # (here: the fast reader spares most compiles this slow import)

    rules = versions.table()
    out: list[Instr] = []
    line: int | None = code.co_firstlineno
    for ins in dis.get_instructions(code):
        ins = versions.dis_fixed(ins, code)
        line = versions.line_of(ins, line)
        for op, arg in versions.translate(ins, rules):
            out.append(Instr(op, arg, ins.offset, line))
    return out
