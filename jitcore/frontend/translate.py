"""Vocabulary instructions -> IR, by running CPython's operand stack at compile time.

The stack holds IR operands instead of objects: `load_local a` pushes the
Value that stands for local `a`, `binary +` pops two operands and pushes the
temporary that an `add` instruction defines. When the bytecode ends, no stack
is left: the IR is plain three-address code.

This stage also decides what jitcore compiles at all; anything else raises
CompileError naming the construct and its source line.
"""

from __future__ import annotations

import inspect
from types import CodeType, FunctionType
from typing import Dict, List, Optional, Union

from ..errors import CompileError
from ..ir import RET_INT, RET_NONE, Block, Const, Function, Inst, Operand, Value, fits_int64
from .bytecode import Instr, decode


class _NoneConst:
    """The constant None on the simulated stack (only `return None` uses it)."""

    def __repr__(self) -> str:
        return "None"


NONE = _NoneConst()
StackItem = Union[Operand, _NoneConst]

# Python operator -> (IR op, checked for int64 overflow)
BINARY = {
    "+": ("add", True),
    "-": ("sub", True),
    "*": ("mul", True),
    "&": ("and", False),
    "|": ("or", False),
    "^": ("xor", False),
}

# co_flags bits (inspect.CO_*) that put a function outside what we compile.
UNSUPPORTED_FLAGS = (
    (inspect.CO_GENERATOR, "generator function"),
    (inspect.CO_COROUTINE, "async function"),
    (inspect.CO_ASYNC_GENERATOR, "async generator"),
    (inspect.CO_VARARGS, "*args parameter"),
    (inspect.CO_VARKEYWORDS, "**kwargs parameter"),
)


def build_ir(func: FunctionType) -> Function:
    """The IR of a Python function, or CompileError."""
    code = func.__code__
    _check_code_shape(func, code)
    return _Translator(func, code).run(decode(code))


def _check_code_shape(func: FunctionType, code: CodeType) -> None:
    def fail(what: str) -> None:
        raise CompileError(what, code.co_filename, code.co_firstlineno, func.__qualname__)

    for flag, what in UNSUPPORTED_FLAGS:
        if code.co_flags & flag:
            fail(what)
    if code.co_kwonlyargcount:
        fail("keyword-only parameter")
    if code.co_freevars or code.co_cellvars:
        fail("closure (nested function using outer variables)")


class _Translator:
    def __init__(self, func: FunctionType, code: CodeType) -> None:
        self.func = func
        self.code = code
        names = code.co_varnames[: code.co_argcount]
        self.ir = Function(func.__qualname__, [], [Block("entry")], code.co_filename, code.co_firstlineno)
        self.locals: Dict[str, Value] = {}
        for name in names:
            value = self.ir.new_value(name)
            self.locals[name] = value
            self.ir.params.append(value)
        self.assigned = set(names)
        self.stack: List[StackItem] = []
        self.line: Optional[int] = code.co_firstlineno

    # -- helpers ---------------------------------------------------------
    def fail(self, what: str) -> CompileError:
        return CompileError(what, self.code.co_filename, self.line, self.func.__qualname__)

    def emit(self, op: str, dst: Optional[Value], args: List[Operand], **extra: object) -> None:
        self.ir.blocks[-1].insts.append(Inst(op, dst, args, line=self.line, **extra))  # type: ignore[arg-type]

    def pop_operand(self, what: str) -> Operand:
        item = self.stack.pop()
        if item is NONE:
            raise self.fail(f"None used in {what}")
        return item  # type: ignore[return-value]

    # -- the walk --------------------------------------------------------
    def run(self, instrs: List[Instr]) -> Function:
        for instr in instrs:
            self.line = instr.line
            handler = getattr(self, "do_" + instr.op)
            if handler(instr.arg) == "stop":
                return self.ir
        raise self.fail("function body does not end in a return")

    def do_unsupported(self, what: object) -> None:
        raise self.fail(f"unsupported construct: {what}")

    def do_load_local(self, name: object) -> None:
        assert isinstance(name, str)
        if name not in self.assigned:
            # CPython raises UnboundLocalError here; let it.
            raise self.fail(f"local variable {name!r} read before assignment")
        self.stack.append(self.locals[name])

    def do_store_local(self, name: object) -> None:
        assert isinstance(name, str)
        item = self.stack.pop()
        if item is NONE:
            raise self.fail(f"None assigned to {name!r}")
        target = self.locals.get(name)
        if target is None:
            target = self.locals[name] = self.ir.new_value(name)
        # A local is a mutable register: if the stack still refers to its
        # old value (as in `a, b = b, a + b`), keep that value in a temporary.
        if any(entry is target for entry in self.stack):
            saved = self.ir.new_value()
            self.emit("mov", saved, [target])
            self.stack = [saved if entry is target else entry for entry in self.stack]
        self.emit("mov", target, [item])  # type: ignore[list-item]
        self.assigned.add(name)

    def do_load_const(self, value: object) -> None:
        if value is None:
            self.stack.append(NONE)
        elif type(value) is int and fits_int64(value):
            self.stack.append(Const(value))
        elif type(value) is int:
            raise self.fail(f"integer constant {value} does not fit in 64 bits")
        else:
            raise self.fail(f"constant {value!r} of type {type(value).__name__}")

    def do_binary(self, symbol: object) -> None:
        if symbol not in BINARY:
            raise self.fail(f"operator {symbol}")
        op, checked = BINARY[symbol]  # type: ignore[index]
        b = self.pop_operand(f"operator {symbol}")
        a = self.pop_operand(f"operator {symbol}")
        dst = self.ir.new_value()
        self.emit(op, dst, [a, b], checked=checked)
        self.stack.append(dst)

    def do_unary(self, symbol: object) -> None:
        a = self.pop_operand(f"unary {symbol}")
        if symbol == "+":  # +x is x for an int
            self.stack.append(a)
            return
        if symbol == "-":
            op, checked = "neg", True
        elif symbol == "~":
            op, checked = "not", False
        else:
            raise self.fail(f"operator {symbol}")
        dst = self.ir.new_value()
        self.emit(op, dst, [a], checked=checked)
        self.stack.append(dst)

    def do_swap(self, n: object) -> None:
        assert isinstance(n, int)
        self.stack[-1], self.stack[-n] = self.stack[-n], self.stack[-1]

    def do_pop(self, _: object) -> None:
        self.stack.pop()

    def do_return(self, _: object) -> str:
        item = self.stack.pop()
        if item is NONE:
            self.emit("ret", None, [], kind=RET_NONE)
        else:
            self.emit("ret", None, [item], kind=RET_INT)  # type: ignore[list-item]
        # Straight-line code: whatever follows a return is unreachable.
        return "stop"
