"""Decode a code object into version-independent instructions.

`decode()` hands the rest of the compiler a flat list of `Instr`, each one
vocabulary item from versions.py with the bytecode offset and source line it
came from. It reads the bytecode with versions.instructions() (which computes
what dis.get_instructions would, for the instructions jitcore compiles, in a
fraction of the time) and falls back to dis for functions with any other
instruction; decode_with_dis() is that reference.
"""

from __future__ import annotations

import dis
from dataclasses import dataclass
from types import CodeType
from typing import Any

from . import versions


@dataclass
class Instr:
    op: str  # a vocabulary word, see versions.py
    arg: Any  # the vocabulary item's argument: a name, constant, offset or tuple (versions.py)
    offset: int  # bytecode offset of the CPython instruction it came from
    line: int | None

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
    rules = versions.table()
    out: list[Instr] = []
    line: int | None = code.co_firstlineno
    for ins in dis.get_instructions(code):
        ins = versions.dis_fixed(ins, code)
        line = versions.line_of(ins, line)
        for op, arg in versions.translate(ins, rules):
            out.append(Instr(op, arg, ins.offset, line))
    return out
