"""Decode a code object into version-independent instructions.

`decode()` is the only place that calls `dis`; it hands the rest of the
compiler a flat list of `Instr`, each one vocabulary item from versions.py
with the bytecode offset and source line it came from.
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
    out: list[Instr] = []
    line: int | None = code.co_firstlineno
    for ins in dis.get_instructions(code):
        line = versions.line_of(ins, line)
        for op, arg in versions.translate(ins, rules):
            out.append(Instr(op, arg, ins.offset, line))
    return out
