"""Vocabulary instructions -> typed IR, by running CPython's operand stack at compile time.

The function is compiled for one signature: the types of its arguments (int,
bool or float, NumPy scalar types, buffers and NumPy arrays). Elements of a
NumPy array are NumPy scalars, computed with NumPy's rules (numpy_ops.py,
with numpy_rules.py). The stack holds IR operands instead of
objects (`load_local a` pushes the Value that stands for local `a`; `binary
+` pops two operands and pushes the temporary an `add` defines) or
compile-time things (a global function, a range iterator, a tuple).

Control flow is translated by basic block versioning: a bytecode block is
translated once for every type state it is reached with (the types of the
locals live there, and what is on the stack). So `x = 0` followed by a loop
doing `x = x / 2` gives the loop head one version where x is an int and one
where it is a float, and each runs with static types; a local that may be
unbound gets a version where it is unbound, in which reading it deopts (CPython
raises UnboundLocalError). Versions per block are capped, so code size stays
bounded. Each local has one Value per type, so paths meeting in one version
need no moves for locals; values left on the stack across a jump (`a and b`,
`x if c else y`) go through per-version entry Values.

This stage also decides what jitcore compiles at all; anything else raises
CompileError naming the construct and its source line. Operations whose
operand types make CPython raise (`1.5 << 2`) become a `deopt`: the call runs
in CPython, which raises exactly its exception.
"""

from __future__ import annotations

import builtins
import sys
from types import BuiltinFunctionType, CodeType, FunctionType, ModuleType

from ..abi import MAX_RESULT_SLOTS
from ..errors import CompileError
from ..ir import (
    BOOL,
    FLOAT,
    INT,
    INT64_MAX,
    INT64_MIN,
    NUMPY_BY_CODE,
    Block,
    Const,
    Element,
    Function,
    Inst,
    NumpyScalar,
    Operand,
    RaiseSite,
    Value,
    array_type,
    buffer_type,
    fits_int64,
    tuple_items,
    tuple_type,
    type_named,
)
from ..record import Record
from .bytecode import Instr, decode

# Only type checkers read these: `typing` is slow to import, and importing the
# compiler is part of the first call of a jitted function.
TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing, collections.abc: slow imports, and a first call pays for them)
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any, NoReturn

# co_flags bits that put a function outside what we compile: inspect.CO_*,
# the same in every version (Include/cpython/code.h; tests/test_startup.py
# checks them against dis.COMPILER_FLAG_NAMES; dis and inspect are slow imports).
CO_VARARGS = 0x04
CO_VARKEYWORDS = 0x08
CO_GENERATOR = 0x20
CO_COROUTINE = 0x80
CO_ASYNC_GENERATOR = 0x200
UNSUPPORTED_FLAGS = (
    (CO_GENERATOR, "generator function"),
    (CO_COROUTINE, "async function"),
    (CO_ASYNC_GENERATOR, "async generator"),
    (CO_VARARGS, "*args parameter"),
    (CO_VARKEYWORDS, "**kwargs parameter"),
)

UNBOUND = None
NONE_TYPE = "none"  # the type of a local that holds None (state.locals)
BIG_TYPE = "bigint:"  # + the value: a local holding an int constant beyond int64
TUPLE_TYPE = "tuple:"  # + its length: a local holding a tuple (its items: locals name#0, ...)
MAX_VERSIONS = 12  # type states one bytecode block may be translated for

PYTHON_TYPES = {int: INT, bool: BOOL, float: FLOAT}
PYTHON_CONSTANTS = {INT: int, BOOL: bool, FLOAT: float}  # a Const's Python value, by its type
CONDITIONS = {"<": "lt", "<=": "le", "==": "eq", "!=": "ne", ">": "gt", ">=": "ge"}
# Python's comparisons, for constants (lambdas: importing operator costs a first call)
COMPARE_PY: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}

_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a type made at run time (a class statement)


def _own(module: ModuleType, name: str) -> object:
    """module.name if it is still that module's own function or type, which
    is what the tables below translate; else an object no call can be of.
    (A program may replace builtins.abs or math.sqrt before the compiler
    loads, with a wrapper or a mock: calls of the replacement are then not
    translated as calls of the builtin, and run it, as CPython does.)"""
    obj = getattr(module, name, None)
    if type(obj) is BuiltinFunctionType and obj.__name__ == name and (
            obj.__self__ is module or obj.__module__.startswith(module.__name__ + ".")):
        return obj  # (3.15's math.gcd, isqrt, comb, ... are math.integer's, made in C)
    if isinstance(obj, type) and obj.__module__ == module.__name__ and obj.__name__ == name \
            and not obj.__flags__ & _HEAP_TYPE:  # (a C type: no class statement makes one)
        return obj
    return object()


MATH_CONSTANTS = {"pi", "e", "tau", "inf", "nan"}


# -- compile-time things on the simulated stack --------------------------------
#
# Plain classes, not dataclasses (importing dataclasses and making each class
# was a large part of importing the compiler, which a first call pays for).
# Each is equal only to itself unless it says otherwise.
class _Item:
    """What the stack items below share: a repr of their fields, for debugging."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class _NoneConst:
    def __repr__(self) -> str:
        return "None"


NONE = _NoneConst()


class Known(_Item):
    """A Python object known at compile time (a builtin, the math module, a function)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj


class ExceptionValue(_Item):
    """An exception made by calling its class (`ValueError("n < 0")`), to be raised."""

    __slots__ = ("cls", "args")

    def __init__(self, cls: type, args: list[StackItem]) -> None:
        self.cls = cls
        self.args = args


class Formatted(_Item):
    """An f-string, which compiles as the message of a raise or an assert:
    its parts, constant strings and (value, conversion, format spec) to be
    formatted in Python as the exception is made (jitcore/raising.py)."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts  # str, or (StackItem, conversion: 0 none, 1 str, 2 repr, 3 ascii, spec)


class Converted(_Item):
    """A value with its f-string conversion (3.13+ CONVERT_VALUE), to be formatted."""

    __slots__ = ("item", "conversion")

    def __init__(self, item: Any, conversion: int) -> None:
        self.item = item
        self.conversion = conversion


def _is_exception_class(obj: object) -> bool:
    # (type(obj), not isinstance: a global's __class__ may be anything)
    return issubclass(type(obj), type) and BaseException in type.__getattribute__(obj, "__mro__")


class RangeArgs(_Item):
    """range(start, stop, step) before GET_ITER."""

    __slots__ = ("start", "stop", "step")

    def __init__(self, start: Operand, stop: Operand, step: Operand) -> None:
        self.start = start
        self.stop = stop
        self.step = step


class RangeIter(_Item):
    """An iterator over a range: its counter and bounds are fixed Values."""

    __slots__ = ("counter", "stop", "step", "step_positive", "within", "items")

    def __init__(self, counter: Value, stop: Operand, step: Operand, step_positive: Value | None,
                 within: Fact | None = None, items: BufferArg | None = None) -> None:
        self.counter = counter
        self.stop = stop
        self.step = step
        self.step_positive = step_positive  # None when the step is a constant
        self.within = within  # ("in", n, lo, hi) for the values (see Fact)
        self.items = items  # `for x in a`: the loop gives a[counter]


_ZERO = Const(0)  # Combined's default start (immutable: one object serves all)


class Combined(_Item):
    """enumerate(x[, start]) or zip(x, y, ...) of ranges and 1-D buffers: before
    GET_ITER its arguments (`parts`: RangeArgs and BufferArgs), after it their
    iterators (RangeIter), and for enumerate the count (a Value: `index`).
    Also a loop over a tuple too large to unroll whose items have one type
    ("pick": parts is an iterator of their indices, `items` the items)."""

    __slots__ = ("kind", "parts", "start", "index", "items")

    def __init__(self, kind: str, parts: list[Any], start: Operand = _ZERO,
                 index: Value | None = None, items: tuple[Operand, ...] = ()) -> None:
        self.kind = kind  # "enumerate", "zip" or "pick"
        self.parts = parts
        self.start = start
        self.index = index
        self.items = items


class UnrolledRange(_Item, Record):
    """An iterator over a short range of constants (`for di in range(-1, 2)`),
    unrolled: its values and how many were taken. Being part of a block
    version's key, each turn translates the loop body anew with the value as
    a known constant (no counter, no poll, branches on it decided). Also an
    iterator over a tuple (`for v in (a, 1.5, c)`; `items`): its values are
    then the tuple's items, copied when the loop began (CPython's tuple is
    made once), one turn each, whatever their types. Immutable; equal by
    its fields."""

    __slots__ = ("values", "taken", "items")

    def __init__(self, values: tuple[Any, ...], taken: int, items: bool = False) -> None:
        self.values = values
        self.taken = taken
        self.items = items

    def _fields(self) -> tuple[object, ...]:
        return self.values, self.taken, self.items


UNROLL_TURNS = 8  # a range of constants with at most this many values is unrolled,
UNROLL_COPIES = 32  # as long as the loop nest's unrolled copies of a body stay this few
UNROLL_BUDGET = 400  # and its bytecode instructions, copies counted, this many


class BigInt(_Item):
    """An int constant that does not fit in 64 bits: using it deopts, except
    where the result is known anyway (comparisons, masking a non-negative int)."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value


class TupleItems(_Item):
    """A tuple on the stack: its items, each a stack item of its own."""

    __slots__ = ("items",)

    def __init__(self, items: list[StackItem]) -> None:
        self.items = items


class BufferArg(_Item):
    """A buffer parameter: the address of its first element, its length and
    its undo record (parameters of their own: csrc/undo.h), the type of its
    elements, and whether it refuses stores (bytes, a read-only memoryview).
    A NumPy array also has `numpy`, its elements' NumPy type, its shape (the
    first dimension is `length`) and, unless it is C-contiguous, its strides
    in bytes (parameters too: ir.argument_slots)."""

    __slots__ = ("name", "address", "length", "undo", "element", "readonly", "numpy", "shape",
                 "strides", "position")

    def __init__(self, name: str, address: Value, length: Value, undo: Value, element: Element,
                 readonly: bool, numpy: NumpyScalar | None = None, shape: list[Value] | None = None,
                 strides: list[Value] | None = None, position: int = -1) -> None:
        self.name = name
        self.address = address
        self.length = length
        self.undo = undo
        self.element = element
        self.readonly = readonly
        self.numpy = numpy
        self.shape: list[Value] = shape if shape is not None else []
        self.strides = strides
        self.position = position  # among the function's arguments

    @property
    def ndim(self) -> int:
        return max(1, len(self.shape))

    @property
    def params(self) -> list[Value]:
        """Its argument slots, in order (ir.argument_slots)."""
        return [self.address, self.length, self.undo, *self.shape[1:], *(self.strides or [])]

    @property
    def signature_type(self) -> str:
        if self.numpy is None:
            return buffer_type(self.element.code, self.readonly, self.strides is not None)
        return array_type(self.element.code, self.ndim, "A" if self.strides else "C", self.readonly)


class _Placeholder:
    """A stack item that is no value: what 3.12+ leave above an exhausted
    iterator, and the index 3.15+ keep beside an iterator (see versions.py)."""


PLACEHOLDER = _Placeholder()
ITER_INDEX = _Placeholder()  # 3.15+ keep an index beside the iterator (see versions.py)

StackItem = (Value | Const | _NoneConst | Known | BigInt | RangeArgs | RangeIter | UnrolledRange
             | Combined | TupleItems | BufferArg | ExceptionValue | Formatted | Converted
             | _Placeholder)


def type_of(item: StackItem) -> str | None:
    return item.type if isinstance(item, (Value, Const)) else None


def signature_of(args: Sequence[Any]) -> tuple[str, ...] | None:
    """The IR types of call arguments, or None if native code cannot take them."""
    sig = []
    for arg in args:
        t = PYTHON_TYPES.get(type(arg))
        if t is None or (t == INT and not fits_int64(arg)):
            return None
        sig.append(t)
    return tuple(sig)


def build_ir(func: FunctionType, signature: Sequence[str] | None = None,
             returns: list[tuple[str, ...]] | None = None) -> Function:
    """The IR of a Python function for argument types `signature` (default: all int).

    `returns`, if given, gets what each return statement gives as soon as it
    is translated (("int",), ("tuple", "int", "float"), ...): recursive calls
    of a function still being compiled look there for their result type.
    """
    code = func.__code__
    _check_code_shape(func, code)
    if signature is None:
        signature = (INT,) * code.co_argcount
    instrs = decode(code)
    return _Translator(func, code, tuple(signature), instrs, returns).run()


def check_code_shape(func: FunctionType) -> CompileError | None:
    """What in the function's signature or kind rules it out, whatever its body."""
    code = func.__code__

    def error(what: str) -> CompileError:
        return CompileError(what, code.co_filename, code.co_firstlineno, func.__qualname__)

    for flag, what in UNSUPPORTED_FLAGS:
        if code.co_flags & flag:
            return error(what)
    if code.co_kwonlyargcount:
        return error("keyword-only parameter")
    if code.co_freevars or code.co_cellvars:
        return error("closure (nested function using outer variables)")
    return None


def _check_code_shape(func: FunctionType, code: CodeType) -> None:
    problem = check_code_shape(func)
    if problem is not None:
        raise problem


# -- basic blocks of the bytecode ------------------------------------------------
CONTROL = {"jump", "branch", "branch_or_pop", "for_iter", "return", "raise", "unsupported"}


class _BytecodeBlock(_Item):
    """A basic block of the bytecode, by the offset it starts at."""

    __slots__ = ("start", "items", "successors", "live")

    def __init__(self, start: int, items: list[Instr], successors: list[int] | None = None,
                 live: set[str] | None = None) -> None:
        self.start = start
        self.items = items
        self.successors: list[int] = successors if successors is not None else []
        self.live: set[str] = live if live is not None else set()  # locals read before written from here on


# What the front end knows of an int value, n being a buffer's length (the
# buffer cannot be resized during the call):
#   ("in", n, lo, hi) -- lo <= it <= n - 1 - hi (lo, hi constants): a counter of
#       range(lo, len(a) - hi), or such a counter plus a constant;
#   ("is", n, c)      -- it equals n - c: len(a), len(a) - 1, or a local set to one.
#   ("nonneg",)       -- it is >= 0: an unsigned element (of a buffer or a NumPy
#       array), plus a constant >= 0.
#   ("span", lo, hi)  -- lo <= it <= hi (constants within SPAN_LIMIT): a counter
#       of a range of constants, such as range(-1, 2), plus a constant.
# Indexing the buffer with a value known "in" it with lo >= 0 and hi >= 0 needs
# no bounds check; one known >= 0 only the check against the length.
if TYPE_CHECKING:
    Fact = tuple[Any, ...]
SPAN_LIMIT = 2**32  # bounds of "span" facts: sums of a few stay far from int64's


class _State(_Item):
    """The types of the locals and the stack at a point of the translation."""

    __slots__ = ("locals", "stack", "facts")

    def __init__(self, locals: dict[str, str | None], stack: list[StackItem],
                 facts: dict[Value, Fact] | None = None) -> None:
        self.locals = locals  # name -> IR type (absent: unbound)
        self.stack = stack
        self.facts: dict[Value, Fact] = facts if facts is not None else {}  # about locals' current values

    def copy(self) -> _State:
        return _State(dict(self.locals), list(self.stack), dict(self.facts))


class _Version(_Item):
    """One translation of a bytecode block, for one type state (from its
    instruction `index` on: the rest of a block after a call that returns
    one of several types, continued once per type)."""

    __slots__ = ("bb", "entry", "ir", "index")

    def __init__(self, bb: _BytecodeBlock, entry: _State, ir: Block, index: int = 0) -> None:
        self.bb = bb
        self.entry = entry
        self.ir = ir
        self.index = index


def _split_blocks(instrs: list[Instr]) -> tuple[dict[int, _BytecodeBlock], dict[int, int]]:
    """Basic blocks by start offset, and where each jump target's block starts.

    Some CPython instructions give no vocabulary at all (RESUME, NOP); a jump
    to one of them lands on the next instruction that does.
    """
    offsets = sorted({ins.offset for ins in instrs})
    present = set(offsets)

    def resolve(target: int) -> int:
        """The first instruction at or after `target` (code units are 2 bytes)."""
        while target not in present and target < offsets[-1]:
            target += 2
        return target

    targets: dict[int, int] = {}
    leaders = {offsets[0]}
    for i, ins in enumerate(instrs):
        if ins.op in ("jump", "branch", "branch_or_pop", "for_iter"):
            target = ins.arg if ins.op == "jump" else ins.arg[0] if ins.op == "for_iter" else ins.arg[1]
            targets[target] = resolve(target)
            leaders.add(targets[target])
        if ins.op in CONTROL and i + 1 < len(instrs) and instrs[i + 1].offset != ins.offset:
            leaders.add(instrs[i + 1].offset)
    blocks: dict[int, _BytecodeBlock] = {}
    current: _BytecodeBlock | None = None
    for ins in instrs:
        if ins.offset in leaders and (current is None or current.start != ins.offset):
            current = blocks[ins.offset] = _BytecodeBlock(ins.offset, [])
        assert current is not None
        current.items.append(ins)
    starts = sorted(blocks)
    for n, start in enumerate(starts):
        block = blocks[start]
        last = block.items[-1]
        following = starts[n + 1] if n + 1 < len(starts) else None
        if last.op == "jump":
            block.successors = [targets[last.arg]]
        elif last.op in ("branch", "branch_or_pop"):
            block.successors = [following, targets[last.arg[1]]]  # type: ignore[list-item]
        elif last.op == "for_iter":
            block.successors = [following, targets[last.arg[0]]]  # type: ignore[list-item]
        elif last.op in ("return", "raise", "unsupported"):
            block.successors = []
        else:
            block.successors = [following]  # type: ignore[list-item]
        block.successors = [s for s in block.successors if s is not None]
    return blocks, targets


def _live_locals(blocks: dict[int, _BytecodeBlock]) -> None:
    """Fill each block's `live`: locals that may be read before being written
    from its start on. Only those are part of a version's type state, so a
    dead local (a finished loop's variable) never splits versions."""
    gen: dict[int, set[str]] = {}
    kill: dict[int, set[str]] = {}
    for start, bb in blocks.items():
        read: set[str] = set()
        written: set[str] = set()
        for ins in bb.items:
            if ins.op == "load_local" and ins.arg not in written:
                read.add(ins.arg)
            elif ins.op == "store_local":
                written.add(ins.arg)
        gen[start], kill[start] = read, written
    changed = True
    while changed:
        changed = False
        for start in sorted(blocks, reverse=True):
            bb = blocks[start]
            out: set[str] = set()
            for succ in bb.successors:
                out |= blocks[succ].live
            live = gen[start] | (out - kill[start])
            if live != bb.live:
                bb.live = live
                changed = True


class _Translator:
    def __init__(self, func: FunctionType, code: CodeType, signature: tuple[str, ...],
                 instrs: list[Instr], returns: list[tuple[str, ...]] | None = None) -> None:
        if len(signature) != code.co_argcount:
            raise CompileError(f"{len(signature)} argument types for {code.co_argcount} parameters",
                               code.co_filename, code.co_firstlineno, func.__qualname__)
        self.func = func
        self.code = code
        self.returns = returns if returns is not None else []
        self.ir = Function(func.__qualname__, [], [], code.co_filename, code.co_firstlineno)
        self.local_values: dict[tuple[str, str], Value] = {}
        self.local_names: set[str] = set()  # names with a Value of some type already
        self.line: int | None = code.co_firstlineno
        self.offset = 0  # of the bytecode instruction being translated
        self.index = 0  # its place in its bytecode block
        self.kw_names: tuple[str, ...] = ()  # the next call's keywords (KW_NAMES, CALL_KW)
        self.blocks, self.targets = _split_blocks(instrs)
        _live_locals(self.blocks)
        # (block start, key) -> version; (block start, index, key) for continuations
        self.versions: dict[tuple[Any, ...], _Version] = {}
        # (block, types key) -> the facts key of the first version made for them
        self.fact_versions: dict[tuple[int, tuple[Any, ...]], tuple[Any, ...]] = {}
        self.version_count: dict[Any, int] = {}  # by block, and by (block, unrolled turns)
        self.worklist: list[_Version] = []
        self.capped_version: _Version | None = None  # see capped()
        names = code.co_varnames[: code.co_argcount]
        entry_locals: dict[str, str | None] = {}
        # Buffer parameters are not locals with a type state: they stay bound
        # to the argument for the whole call (rebinding one does not compile).
        self.buffers: dict[str, BufferArg] = {}
        # (buffer, IR block) -> (that block, its undo record's pointers): see undo_pointers
        self.undo_cache: dict[tuple[str, int], tuple[Block, list[Value]]] = {}
        # (id(index), id(length)) -> (index, length, the index checked): see dimension_index
        self.checked_indices: dict[tuple[int, int], tuple[Operand, Value, Operand]] = {}
        for position, (name, t) in enumerate(zip(names, signature, strict=False)):
            items = tuple_items(t)
            if items is not None:  # a tuple: a local of its items (name#k), each in its slots
                self.tuple_param(name, items, entry_locals)
                continue
            param = type_named(t)
            element = param.element
            if param == NONE_TYPE:  # None: no slot, the local's type says it all
                entry_locals[name] = NONE_TYPE
                continue
            if element is None:
                entry_locals[name] = param
                self.ir.params.append(self.local(name, param))
                continue
            buf = BufferArg(name, self.ir.new_value(f"{name}.address", INT),
                            self.ir.new_value(f"{name}.length", INT),
                            self.ir.new_value(f"{name}.undo", INT), element, param.readonly,
                            position=position)
            if param.kind == "array":
                buf.numpy = NUMPY_BY_CODE[element.code]
                buf.shape = [buf.length] + [self.ir.new_value(f"{name}.shape{d}", INT)
                                            for d in range(1, param.ndim)]
            if param.layout != "C":  # an array with strides, a strided memoryview
                buf.strides = [self.ir.new_value(f"{name}.stride{d}", INT) for d in range(param.ndim)]
            self.buffers[name] = buf
            self.ir.params += buf.params
            self.ir.undo_records.append(buf.undo)
        self.state = _State(entry_locals, [])
        self.block: Block = Block("entry")  # where instructions go
        self.current = self.blocks[min(self.blocks)]  # the bytecode block being translated
        self.first = self.version_for(min(self.blocks))

    # -- helpers ---------------------------------------------------------
    def tuple_param(self, name: str, items: list[str], entry_locals: dict[str, str | None]) -> None:
        entry_locals[name] = TUPLE_TYPE + str(len(items))
        for k, t in enumerate(items):
            inner = tuple_items(t)
            if inner is not None:
                self.tuple_param(f"{name}#{k}", inner, entry_locals)
            elif t == NONE_TYPE:
                entry_locals[f"{name}#{k}"] = NONE_TYPE
            else:
                entry_locals[f"{name}#{k}"] = type_named(t)
                self.ir.params.append(self.local(f"{name}#{k}", t))

    def tuple_argument(self, item: TupleItems, ops: list[Operand], callee: str) -> str:
        """A tuple passed to a native callee: its items' operands appended to
        ops (None takes none), its signature type (ir.tuple_type)."""
        types = []
        for x in item.items:
            if isinstance(x, TupleItems):
                types.append(self.tuple_argument(x, ops, callee))
            elif x is NONE:
                types.append(NONE_TYPE)
            else:
                ops.append(self.operand(x, f"argument of {callee}()"))
                types.append(ops[-1].type)
        return tuple_type(types)

    def fail(self, what: str) -> CompileError:
        return CompileError(what, self.code.co_filename, self.line, self.func.__qualname__)

    def local(self, name: str, t: str) -> Value:
        value = self.local_values.get((name, t))
        if value is None:
            taken = name in self.local_names
            value = self.ir.new_value(f"{name}.{t}" if taken else name, t)
            self.local_values[(name, t)] = value
            self.local_names.add(name)
        return value

    def emit(self, op: str, dst: Value | None, args: list[Operand], **extra: Any) -> Value | None:
        self.block.insts.append(Inst(op, dst, args, line=self.line, **extra))
        return dst

    def temp(self, op: str, t: str, args: list[Operand], **extra: Any) -> Value:
        dst = self.ir.new_value("", t)
        self.emit(op, dst, args, **extra)
        return dst

    def new_block(self, hint: str) -> Block:
        block = Block(f"{self.block.name}.{hint}{len(self.ir.blocks)}")
        self.ir.blocks.append(block)
        return block

    def switch_to(self, block: Block) -> None:
        self.block = block

    @property
    def stack(self) -> list[StackItem]:
        return self.state.stack

    def pop(self) -> StackItem:
        return self.stack.pop()

    def push(self, item: StackItem) -> None:
        self.stack.append(item)

    def operand(self, item: StackItem, what: str) -> Operand:
        if isinstance(item, (Value, Const)):
            return item
        if isinstance(item, BigInt):
            self.deopt()  # CPython computes with the big int
        if item is NONE:
            self.deopt()  # None in arithmetic, a builtin, an index...: CPython's TypeError (or its result)
        raise self.fail(f"{what} on {self.describe(item)}")

    def describe(self, item: StackItem) -> str:
        if isinstance(item, Known):
            return getattr(item.obj, "__name__", type(item.obj).__name__)
        if isinstance(item, TupleItems):
            return "a tuple"
        if isinstance(item, (Formatted, Converted)):
            return "an f-string (which compiles as the message of a raise or an assert)"
        if isinstance(item, (RangeArgs, RangeIter)):
            return "a range"
        if isinstance(item, BufferArg):
            return f"buffer argument {item.name!r}"
        if isinstance(item, ExceptionValue):
            return f"an exception ({item.cls.__name__})"
        if isinstance(item, Known) and type(item.obj) is str:
            return "str"
        if item is NONE:
            return "None"
        if isinstance(item, (Value, Const)):
            return f"a value of type {item.type}"
        return type(item).__name__

    def as_int(self, x: Operand) -> Operand:
        """A BOOL used where Python treats it as an int (same bits, other type)."""
        if x.type != BOOL:
            return x
        if isinstance(x, Const):
            return Const(x.value, INT)
        return self.temp("mov", INT, [x])

    def as_float(self, x: Operand) -> Operand:
        if x.type == FLOAT:
            return x
        if isinstance(x, Const):
            return Const(float(x.value), FLOAT)
        return self.temp("i2f", FLOAT, [x])

    def numeric_as_int(self, x: Operand) -> Operand:
        """An int, bool or NumPy int or bool as a Python int of the same value."""
        if x.type.numpy is not None:
            return self.temp("mov", INT, [x])
        return self.as_int(x)

    def numeric_as_float(self, x: Operand) -> Operand:
        """Any number as the double NumPy converts it to (an int: rounded to nearest)."""
        scalar = x.type.numpy
        if scalar is None:
            return self.as_float(x)
        return self.temp("mov" if scalar.kind == "f" else "i2f", FLOAT, [x])

    def python_scalar(self, x: Operand, what: str) -> Operand:
        """x, which must not be a NumPy scalar: `what` does not take those yet."""
        if x.type.numpy is not None:
            raise self.fail(f"{what} of a NumPy {x.type[3:]}")
        return x

    def truth(self, x: StackItem) -> Operand:
        """bool(x) as a BOOL operand."""
        if x is NONE:
            return Const(0, BOOL)
        x = self.operand(x, "truth test")
        if x.type == BOOL:
            return x
        if isinstance(x, Const):
            return Const(int(bool(x.value)), BOOL)
        if x.type.register == BOOL:  # a NumPy bool: the same 0 or 1
            return self.temp("mov", BOOL, [x])
        return self.temp("ftruth" if x.type.register == FLOAT else "truth", BOOL, [x])

    def guard(self, cond: Operand, raises: tuple[RaiseSite, list[Operand]] | None = None) -> None:
        """Continue only if cond (a BOOL) holds; otherwise deopt, or with
        `raises` (a site and its operands) raise CPython's exception in place."""
        if isinstance(cond, Const):
            if not cond.value:
                if raises is not None:
                    self.emit("raise", None, raises[1], data=raises[0])
                    raise _PathEnds()
                self.deopt()
            return
        fail, ok = self.new_block("guard"), self.new_block("ok")
        self.emit("br", None, [cond], targets=(ok, fail))
        if raises is not None:
            fail.insts.append(Inst("raise", None, raises[1], data=raises[0], line=self.line))
        else:
            fail.insts.append(Inst("deopt", None, [], line=self.line))
        self.switch_to(ok)

    def deopt(self) -> NoReturn:
        """This path always ends in CPython (which will raise); stop translating it."""
        self.emit("deopt", None, [])
        raise _PathEnds()

    # -- walking the blocks -------------------------------------------------
    def run(self) -> Function:
        # First in, first out: the fall-through side of a branch is created
        # first, so code stays roughly in source order, and a base case
        # (`if n < 2: return n`) is translated before the recursive call
        # that needs its result type.
        while self.worklist:
            version = self.worklist.pop(0)
            self.ir.blocks.append(version.ir)
            self.block = version.ir
            self.current = version.bb
            self.state = version.entry.copy()
            self.checked_indices.clear()
            self.translate_block(version.bb, version.index)
        return self.ir

    def translate_block(self, bb: _BytecodeBlock, start: int = 0) -> None:
        try:
            for index in range(start, len(bb.items)):
                instr = bb.items[index]
                self.index = index
                self.line = instr.line
                self.offset = instr.offset
                # Interned: CPython's method cache keeps the name it was asked
                # for, and a new string per instruction would stay there.
                handler = getattr(self, sys.intern("do_" + instr.op))
                handler(instr.arg)
        except _PathEnds:
            return
        # Fell off the end of the block: continue into the next one.
        if bb.successors and (self.block.terminator is None):
            self.jump_to(bb.successors[0])

    def version_for(self, start: int) -> _Version:
        """The version of block `start` for the current state, made if need be."""
        bb = self.blocks[start]
        live = bb.live
        # (a tuple's items live as long as the tuple's local: name#k)
        local_types = {n: t for n, t in self.state.locals.items() if n.partition("#")[0] in live}
        # A frozenset: the same locals may have been bound in any order.
        types_key = (frozenset(local_types.items()), tuple([_stack_key(x) for x in self.stack]))
        known = self.state.facts
        if known:
            facts = {v: f for v, f in known.items()
                     if v.name.partition(".")[0] in live and self.state.locals.get(v.name.partition(".")[0])
                     == v.type}
            stack_facts = [known.get(x) if isinstance(x, Value) else None for x in self.stack]
            facts_key = (frozenset((id(v), _fact_key(f)) for v, f in facts.items()),
                         tuple(_fact_key(f) if f is not None else None for f in stack_facts))
        else:  # (the usual case: the same, quicker)
            facts, stack_facts = {}, [None] * len(self.stack)
            facts_key = (_NO_FACTS, tuple(stack_facts))
        # Facts (about buffer lengths) make versions of their own, but only
        # one set per block and types: a loop whose facts change each turn
        # (`j -= 1` with j = len(a) - 1) would make one version per turn, so
        # the other sets go to a version that knows no facts.
        first_facts = self.fact_versions.setdefault((start, types_key), facts_key)
        if facts_key != first_facts:
            facts, stack_facts = {}, [None] * len(self.stack)
            facts_key = (frozenset(), tuple(stack_facts))
        key = (types_key, facts_key)
        version = self.versions.get((start, key))
        if version is not None:
            return version
        # Unrolled turns (UnrolledRange) are copies by design: counted apart.
        turn = tuple(x.taken for x in self.stack if isinstance(x, UnrolledRange))
        count = self.version_count[start, turn] = self.version_count.get((start, turn), 0) + 1
        if count > MAX_VERSIONS:
            return self.capped(bb.items[0].line, "locals change type in a loop?")
        count = self.version_count[start] = self.version_count.get(start, 0) + 1
        stack: list[StackItem] = [self.ir.new_value("", x.type) if isinstance(x, (Value, Const)) else x
                                  for x in self.stack]
        for x, fact in zip(stack, stack_facts, strict=True):
            if fact is not None:
                facts[x] = fact  # type: ignore[index]
        name = f"L{start}" + (f".{count}" if count > 1 else "")
        version = _Version(bb, _State(local_types, stack, facts), Block(name))
        self.versions[(start, key)] = version
        self.worklist.append(version)
        return version

    def capped(self, line: int | None, guess: str) -> _Version:
        """Where a block would need more than MAX_VERSIONS translations: a
        version that deopts (such calls run in CPython), and why, for the
        dispatcher (a warning; strict: an error)."""
        why = CompileError(f"more than {MAX_VERSIONS} combinations of local types reach line {line} "
                           f"({guess})", self.code.co_filename, line, self.func.__qualname__)
        if all(str(why) != str(e) for e in self.ir.capped):
            self.ir.capped.append(why)
        if self.capped_version is None:
            block = Block("capped")
            self.ir.blocks.append(block)
            block.insts.append(Inst("deopt", None, [], line=line))
            first = next(iter(self.blocks.values()))
            self.capped_version = _Version(first, _State({}, [], {}), block)
        return self.capped_version

    def continuation(self) -> None:
        """Jump to the rest of the current bytecode block, after the current
        instruction, translated for the current state (a version of its own:
        see call_jitted)."""
        bb, index = self.current, self.index + 1
        types_key = (frozenset(self.state.locals.items()), tuple([_stack_key(x) for x in self.stack]))
        version = self.versions.get((bb.start, index, types_key))
        if version is None:
            count = self.version_count[bb.start, index] = self.version_count.get((bb.start, index), 0) + 1
            if count > MAX_VERSIONS:
                version = self.capped(self.line, "after a call that returns several types, in a loop?")
                self.emit("jmp", None, [], targets=(version.ir,))
                return
            stack: list[StackItem] = [self.ir.new_value("", x.type) if isinstance(x, (Value, Const)) else x
                                      for x in self.stack]
            facts = {v: f for v, f in self.state.facts.items() if v.name}
            version = _Version(bb, _State(dict(self.state.locals), stack, facts),
                               Block(f"L{bb.start}.at{index}.{count}"), index)
            self.versions[(bb.start, index, types_key)] = version
            self.worklist.append(version)
        for have, want in zip(self.stack, version.entry.stack, strict=True):
            if isinstance(want, Value):
                self.emit("mov", want, [have])  # type: ignore[list-item]
        self.emit("jmp", None, [], targets=(version.ir,))

    def one_of(self, cases: list[tuple[Operand, Callable[[], StackItem]]]) -> StackItem:
        """A result whose type is known only at run time: cases[k] = (a BOOL
        that holds when it is case k's, a function making the value). The
        first case whose condition holds is the result (the last one's
        condition is not looked at). With several cases left the rest of the
        bytecode block is translated once for each, with that value pushed
        (see continuation), and the current path ends; with one, its value
        is returned."""
        left: list[tuple[Operand, Callable[[], StackItem]]] = []
        for cond, make in cases:
            if isinstance(cond, Const) and not cond.value:
                continue  # never this one
            left.append((cond, make))
            if isinstance(cond, Const):
                break  # always this one (if none before): the rest are unreachable
        if len(left) == 1:
            return left[0][1]()
        for k, (cond, make) in enumerate(left):
            other = None
            if k + 1 < len(left):  # (the last one is what is left)
                this, other = self.new_block("case"), self.new_block("other")
                self.emit("br", None, [cond], targets=(this, other))
                self.switch_to(this)
            self.push(make())
            self.continuation()
            self.pop()
            if other is not None:
                self.switch_to(other)
        raise _PathEnds()

    def flow(self, target: int) -> tuple[Block, list[tuple[Value, Operand]]]:
        """The block that continues at bytecode `target` in the current state,
        and the moves of stack values the edge needs."""
        version = self.version_for(self.targets.get(target, target))
        moves = [(want, have) for have, want in zip(self.stack, version.entry.stack, strict=False)
                 if isinstance(want, Value)]
        return version.ir, moves  # type: ignore[return-value]

    def jump_to(self, target: int) -> None:
        block, moves = self.flow(target)
        for dst, src in moves:
            self.emit("mov", dst, [src])
        self.emit("jmp", None, [], targets=(block,))

    def edge(self, target: int) -> Block:
        """A block to branch to for `target`: the target itself, or a block doing the moves."""
        block, moves = self.flow(target)
        if not moves:
            return block
        edge = Block(f"{self.block.name}.to.{block.name}")
        self.ir.blocks.append(edge)
        for dst, src in moves:
            edge.insts.append(Inst("mov", dst, [src], line=self.line))
        edge.insts.append(Inst("jmp", None, [], targets=(block,), line=self.line))
        return edge

    def branch(self, cond: Operand, if_true: int, if_false: int,
               true_state: _State | None = None) -> None:
        """Branch on a BOOL; `true_state` is the state on the true edge if it differs."""
        false_state = self.state
        if isinstance(cond, Const):
            if cond.value and true_state is not None:
                self.state = true_state
            self.jump_to(if_true if cond.value else if_false)
            raise _PathEnds()
        if true_state is not None:
            self.state = true_state
        t = self.edge(if_true)
        self.state = false_state
        f = self.edge(if_false)
        self.emit("br", None, [cond], targets=(t, f))
        raise _PathEnds()

    # -- the vocabulary ------------------------------------------------------
    def do_unsupported(self, what: Any) -> None:
        raise self.fail(str(what))  # (the bytecode tables name the construct: versions.py)

    def do_load_local(self, name: Any) -> None:
        assert isinstance(name, str)
        if name in self.buffers:
            self.push(self.buffers[name])
            return
        t = self.state.locals.get(name, UNBOUND)
        if t is UNBOUND:
            self.deopt()  # CPython raises UnboundLocalError here
        if t.startswith(BIG_TYPE):
            self.push(BigInt(int(t[len(BIG_TYPE):])))  # (using it deopts, as a constant's use does)
            return
        if t.startswith(TUPLE_TYPE):
            items = []
            for k in range(int(t[len(TUPLE_TYPE):])):
                self.do_load_local(f"{name}#{k}")
                items.append(self.pop())
            self.push(TupleItems(items))
            return
        self.push(NONE if t == NONE_TYPE else self.local(name, t))

    def do_store_local(self, name: Any) -> None:
        assert isinstance(name, str)
        item = self.pop()
        if name in self.buffers:
            raise self.fail(f"assignment to {name!r}, a buffer argument")
        if item is NONE:  # a local holding None: no register, its type says it all
            self.forget_checks(name)
            self.state.locals[name] = NONE_TYPE
            return
        if isinstance(item, BigInt):  # an int constant beyond int64: its "type" holds it
            self.forget_checks(name)
            self.state.locals[name] = BIG_TYPE + str(item.value)
            return
        if isinstance(item, TupleItems):  # a tuple: each item in a local of its own, name#k
            if len(item.items) > MAX_RESULT_SLOTS:
                raise self.fail(f"assigning a tuple of {len(item.items)} items to {name!r} "
                                f"(at most {MAX_RESULT_SLOTS})")
            for k, x in enumerate(item.items):
                self.push(x)
                self.do_store_local(f"{name}#{k}")
            self.forget_checks(name)
            self.state.locals[name] = TUPLE_TYPE + str(len(item.items))
            return
        if not isinstance(item, (Value, Const)):
            raise self.fail(f"assigning {self.describe(item)} to {name!r}")
        target = self.local(name, item.type)
        if self.checked_indices:
            self.checked_indices = {k: v for k, v in self.checked_indices.items() if v[0] is not target}
        facts = self.state.facts
        old_fact = facts.pop(target, None)
        new_fact = facts.get(item) if isinstance(item, Value) else None
        if isinstance(item, Value) and self.is_length(item):
            new_fact = ("is", item, 0)
        # A local is a mutable register: if the stack still refers to its
        # old value (as in `a, b = b, a + b`), keep that value in a temporary.
        if any(entry is target for entry in self.stack):
            saved = self.temp("mov", target.type, [target])
            self.state.stack = [saved if entry is target else entry for entry in self.stack]
            if old_fact is not None:
                facts[saved] = old_fact
        self.emit("mov", target, [item])
        self.state.locals[name] = item.type
        if new_fact is not None:
            facts[target] = new_fact

    def forget_checks(self, name: str) -> None:
        """Indices checked against a buffer (checked_indices) that local `name` held."""
        if self.checked_indices:
            self.checked_indices = {k: v for k, v in self.checked_indices.items()
                                    if not (isinstance(v[0], Value) and v[0].name.partition(".")[0] == name)}

    def do_load_const(self, value: Any) -> None:
        self.push(self.constant(value))

    def constant(self, value: object) -> StackItem:
        if value is None:
            return NONE
        if type(value) is bool:
            return Const(int(value), BOOL)
        if type(value) is int:
            return Const(value, INT) if fits_int64(value) else BigInt(value)
        if type(value) is float:
            return Const(value, FLOAT)
        if type(value) is tuple:
            return TupleItems([self.constant(v) for v in value])
        if type(value) is str or _is_exception_class(value):
            return Known(value)  # an exception's class or message
        if isinstance(value, CodeType):
            raise self.fail(f"nested function or lambda {value.co_name!r}")
        raise self.fail(f"constant {_short_repr(value)} of type {type(value).__name__}")

    def do_load_global(self, name: Any) -> None:
        assert isinstance(name, str)
        globals_ = self.func.__globals__
        if name in globals_:
            obj = globals_[name]
        elif hasattr(builtins, name):
            obj = getattr(builtins, name)
        else:
            self.deopt()  # NameError at run time
        if type(obj) in (int, bool, float):
            self.push(self.constant(obj))  # module constants are read at compile time
        elif _is_math(obj) or _builtin_call(obj) is not None or _is_jitted(obj) or _is_exception_class(obj):
            self.push(Known(obj))
        elif type(obj) is FunctionType:  # a plain function: compiled as if decorated
            from ..calls import helper_dispatcher

            self.push(Known(helper_dispatcher(obj)))
        else:
            raise self.fail(f"global name {name!r} ({type(obj).__name__})")

    def do_load_attr(self, name: Any) -> None:
        owner = self.pop()
        if isinstance(owner, Known) and _is_math(owner.obj):
            if name in MATH_CONSTANTS:
                self.push(Const(getattr(owner.obj, name), FLOAT))
                return
            fn = getattr(owner.obj, name, None)
            if fn is not None and _builtin_call(fn) is not None:
                self.push(Known(fn))
                return
            raise self.fail(f"math.{name} is not supported")
        if isinstance(owner, BufferArg) and owner.numpy is not None:
            if name == "shape":
                self.push(TupleItems(list(owner.shape)))
                return
            if name == "ndim":
                self.push(Const(owner.ndim))
                return
            if name == "size":
                size: Operand = owner.shape[0]
                for d in owner.shape[1:]:
                    size = self.temp("mul", INT, [size, d])  # the elements there are: no overflow
                self.push(size)
                return
        raise self.fail(f"attribute access .{name}")

    def do_kw_names(self, names: Any) -> None:
        self.kw_names = tuple(names)  # for the next call (3.11, 3.12)

    def do_call_kw(self, n: Any) -> None:
        names = self.pop()
        if not (isinstance(names, TupleItems) and all(isinstance(x, Known) and type(x.obj) is str
                                                      for x in names.items)):
            raise self.fail("call with keywords not named by constants")
        self.kw_names = tuple(x.obj for x in names.items)  # type: ignore[union-attr]
        self.do_call(n)

    # -- f-strings (messages of raise and assert) --------------------------------
    def do_convert(self, conversion: Any) -> None:
        self.push(Converted(self.pop(), int(conversion)))

    def do_format(self, how: Any) -> None:
        conversion, has_spec = how
        spec = self.pop() if has_spec else Known("")
        if isinstance(spec, Formatted) and all(type(p) is str for p in spec.parts):
            spec = Known("".join(spec.parts))
        if not (isinstance(spec, Known) and type(spec.obj) is str):
            raise self.fail("f-string with a computed format spec")
        item = self.pop()
        if isinstance(item, Converted):
            item, conversion = item.item, item.conversion
        self.push(Formatted([(item, conversion, spec.obj)]))

    def do_build_string(self, n: Any) -> None:
        parts: list[Any] = []
        for item in [self.pop() for _ in range(n)][::-1]:
            if isinstance(item, Known) and type(item.obj) is str:
                parts.append(item.obj)
            elif isinstance(item, Formatted):
                parts += item.parts
            else:
                raise self.fail(f"f-string of {self.describe(item)}")
        self.push(Formatted(parts))

    def do_call(self, n: Any) -> None:
        assert isinstance(n, int)
        kw_names, self.kw_names = self.kw_names, ()
        args = [self.pop() for _ in range(n)][::-1]
        callee = self.pop()
        if kw_names:  # f(a, b=x): a jitted (or plain) function's parameters, or math.isclose's...
            keyword_call = _keyword_call(callee.obj) if isinstance(callee, Known) else None
            if keyword_call is not None:
                given = len(args) - len(kw_names)
                self.push(keyword_call(self, args[:given], dict(zip(kw_names, args[given:], strict=True))))
                return
            if not (isinstance(callee, Known) and _is_jitted(callee.obj)):
                raise self.fail(f"keyword arguments to {self.describe(callee)}")
            self.push(self.call_jitted(callee.obj, args, kw_names))
            return
        below = self.stack[-1] if self.stack else None
        if (isinstance(callee, Known) and type(callee.obj) is str or isinstance(callee, Formatted)) \
                and isinstance(below, Known) and _is_exception_class(below.obj):
            # `assert x, "message"` (3.11+): the class, then the message in the
            # place of a method's self, and a call of no arguments
            self.pop()
            args = [callee, *args]
            callee = below
        if not isinstance(callee, Known):
            raise self.fail(f"call of {self.describe(callee)}")
        obj = callee.obj
        builtin = _builtin_call(obj)
        if _is_exception_class(obj):
            self.push(ExceptionValue(obj, args))  # made (and raised) in Python: do_raise
        elif builtin is not None:
            self.push(builtin(self, args))
        elif _is_jitted(obj):
            self.push(self.call_jitted(obj, args))
        else:
            raise self.fail(f"call to {getattr(obj, '__name__', obj)!r}")

    def call_jitted(self, callee: Any, args: list[StackItem], names: tuple[str, ...] = ()) -> StackItem:
        """A native call of another @jit function (or this one: recursion), the
        last arguments passed by `names`; parameters not passed take their
        defaults (constants); arguments CPython rejects (TypeError) deopt."""
        from ..calls import bind_arguments

        given = len(args) - len(names)
        bound = bind_arguments(callee.py_func, args[:given], dict(zip(names, args[given:], strict=True)))
        if bound is None:
            self.deopt()
        passed = {id(a) for a in args}
        args = []
        for value in bound:
            if id(value) not in passed:  # a default
                default = self.constant(value)
                if not isinstance(default, (Const, _NoneConst, TupleItems)):
                    raise self.fail(f"call to {callee.__name__}() whose default {_short_repr(value)} "
                                    f"is not an int, float, bool, None or a tuple of those")
                value = default
            args.append(value)
        ops: list[Operand] = []
        types: list[str] = []
        for a in args:
            if isinstance(a, BufferArg):  # passed on as its slots: address, length, undo record...
                ops += a.params
                types.append(a.signature_type)
            elif a is NONE:  # (no slot)
                types.append(NONE_TYPE)
            elif isinstance(a, TupleItems):  # its items, each in its slots
                types.append(self.tuple_argument(a, ops, callee.__name__))
            else:
                ops.append(self.operand(a, f"argument of {callee.__name__}()"))
                types.append(ops[-1].type)
        try:
            target = callee.native_target(tuple(types))
        except CompileError as exc:  # the root cause, in the callee (or deeper): one line
            raise exc.called_from(f"{self.func.__qualname__}() at {self.code.co_filename}:{self.line}") \
                from None
        if target.alternatives:
            # The callee returns one of several kinds: its status says which,
            # and the rest of this block is translated once for each.
            self.emit("call", None, ops, kind=target.name, data=target)
            status = self.temp("callstatus", INT, [])
            return self.one_of([
                (self.temp("cmp", BOOL, [status, Const(alternative.status)], kind="eq"),
                 _later(self.call_result, alternative))
                for alternative in target.alternatives])
        return self.call_result(target, ops)

    def call_result(self, target: Any, ops: list[Operand] | None = None) -> StackItem:
        """What a native call returns as `target` says: made by the call itself
        (given its operands), or read from where it left it (callres)."""
        if ops is None:
            if target.is_tuple:
                return self.returned_items(target.results, iter(range(MAX_RESULT_SLOTS)))
            return NONE if not target.results else self.temp("callres", target.results[0], [], data=0)
        if target.is_tuple:
            self.emit("call", None, ops, kind=target.name, data=target)
            return self.returned_items(target.results, iter(range(MAX_RESULT_SLOTS)))
        if not target.results:
            self.emit("call", None, ops, kind=target.name, data=target)
            return NONE
        return self.temp("call", target.results[0], ops, kind=target.name, data=target)

    def returned_items(self, shape: tuple[Any, ...], slots: Iterator[int]) -> TupleItems:
        """The items of a tuple a callee returned (of this shape), read from its result slots."""
        items: list[StackItem] = []
        for t in shape:
            if isinstance(t, tuple):
                items.append(self.returned_items(t, slots))
                continue
            slot = next(slots)  # (None takes a slot too)
            items.append(NONE if t == NONE_TYPE else self.temp("callres", t, [], data=slot))
        return TupleItems(items)

    def do_binary(self, symbol: Any) -> None:
        b, a = self.pop(), self.pop()
        if symbol == "&" and isinstance(b, BigInt) and isinstance(a, (Value, Const)):
            a, b = b, a
        if symbol == "&" and isinstance(a, BigInt) and isinstance(b, (Value, Const)) \
                and b.type in (INT, BOOL) and a.value > 0 and (a.value + 1) & a.value == 0:
            # x & (2**k - 1) with k >= 64 is x itself for x >= 0 (a negative x
            # gives a big int: CPython's job).
            self.guard(self.compare(">=", b, Const(0)))
            self.push(self.as_int(b))
            return
        a, b = self.operand(a, f"operator {symbol}"), self.operand(b, f"operator {symbol}")
        if symbol == "**" and a.type in (INT, BOOL) and b.type in (INT, BOOL):
            self.push(self.int_power(a, b))  # its type may depend on b's sign
            return
        self.push(self.binary(str(symbol), a, b))

    def binary(self, symbol: str, a: Operand, b: Operand) -> Operand:
        if a.type.numpy is not None or b.type.numpy is not None:
            from .numpy_ops import binary as numpy_binary  # (loaded by the first NumPy scalar)
            return numpy_binary(self, symbol, a, b)
        if symbol in BITWISE:
            if FLOAT in (a.type, b.type):
                self.deopt()  # TypeError
            t = BOOL if a.type == b.type == BOOL else INT
            return self.temp(BITWISE[symbol], t, [a, b])
        if symbol in ("<<", ">>"):
            if FLOAT in (a.type, b.type):
                self.deopt()  # TypeError
            return self.temp("shl" if symbol == "<<" else "shr", INT,
                             [self.as_int(a), self.as_int(b)])
        if FLOAT in (a.type, b.type):
            fa, fb = self.as_float(a), self.as_float(b)
            if symbol in FLOAT_ARITH:
                return self.temp(FLOAT_ARITH[symbol], FLOAT, [fa, fb])
            if symbol in FLOAT_HELPERS:
                return self.temp("helper", FLOAT, [fa, fb], kind=FLOAT_HELPERS[symbol])
            raise self.fail(f"operator {symbol}")
        ia, ib = self.as_int(a), self.as_int(b)
        if symbol == "%" and isinstance(ia, Value) and isinstance(ib, Value):
            length = self.length_minus(ib)
            if length is not None and length[1] == 0:
                reduced = self.modulo_length(ia, length[0])
                if reduced is not None:
                    return reduced
        if symbol in INT_ARITH:
            op = INT_ARITH[symbol]
            result = self.temp(op, INT, [ia, ib], checked=op in ("add", "sub", "mul"))
            if symbol in ("+", "-"):
                fact = self.shifted_fact(a, b, symbol)
                if fact is not None:
                    self.state.facts[result] = fact
            elif symbol == "%":
                length = self.length_minus(b)
                if length is not None and length[1] == 0:
                    # x % len(a): 0 <= it < len(a) (len(a) == 0 raises, by deopt)
                    self.state.facts[result] = ("in", length[0], 0, 0)
            return result
        if symbol == "/":
            return self.temp("helper", FLOAT, [ia, ib], kind="int_truediv")
        if symbol == "**":
            if isinstance(ib, Const) and int(ib.value) < 0:
                return self.negative_power(ia, ib)
            return self.temp("helper", INT, [ia, ib], kind="int_pow")  # (negative b: deopt)
        raise self.fail(f"operator {symbol}")

    def negative_power(self, a: Operand, b: Operand) -> Operand:
        """a ** b of ints for b < 0: CPython's long_pow hands both to float_pow
        (converted as float() does), a float (0 ** -1: ZeroDivisionError, by deopt)."""
        return self.temp("helper", FLOAT, [self.as_float(a), self.as_float(b)], kind="float_pow")

    def int_power(self, a: Operand, b: Operand) -> StackItem:
        """a ** b of two ints or bools: an int for b >= 0, a float for b < 0.
        With b known only at run time, the result's type is too (one_of)."""
        ia, ib = self.as_int(a), self.as_int(b)
        span = self.span(ib)  # (constants have one)
        if span is not None and span[0] >= 0:
            return self.temp("helper", INT, [ia, ib], kind="int_pow")
        if span is not None and span[1] < 0:
            return self.negative_power(ia, ib)
        return self.one_of([
            (self.compare("<", ib, Const(0)), lambda: self.negative_power(ia, ib)),
            (Const(1, BOOL), lambda: self.temp("helper", INT, [ia, ib], kind="int_pow"))])

    def do_unary(self, symbol: Any) -> None:
        item = self.pop()
        if symbol == "not":
            self.push(self.logical_not(self.truth(item)))
            return
        a = self.operand(item, f"unary {symbol}")
        if a.type.numpy is not None:
            from .numpy_ops import unary as numpy_unary  # (loaded by the first NumPy scalar)
            self.push(numpy_unary(self, symbol, a))
            return
        if symbol == "+":
            self.push(self.as_int(a))
        elif symbol == "-":
            if a.type == FLOAT:
                self.push(self.temp("fneg", FLOAT, [a]))
            else:
                self.push(self.temp("neg", INT, [self.as_int(a)], checked=a.type == INT))
        elif symbol == "~":
            if a.type != INT:
                self.deopt()  # TypeError for float; a DeprecationWarning for bool (3.12+)
            self.push(self.temp("not", INT, [a]))
        else:
            raise self.fail(f"operator {symbol}")

    def logical_not(self, b: Operand) -> Operand:
        if isinstance(b, Const):
            return Const(1 - int(b.value), BOOL)
        return self.temp("xor", BOOL, [b, Const(1, BOOL)])

    def do_compare(self, symbol: Any) -> None:
        b, a = self.pop(), self.pop()
        if symbol in ("in", "not in"):
            self.push(self.contains(a, b, symbol == "in"))
            return
        scalars = all(x is NONE or isinstance(x, (Value, Const)) for x in (a, b))
        if symbol in ("is", "is not") or (symbol in ("==", "!=") and NONE in (a, b) and scalars):
            # (== with None: a number's __eq__ does not know None, so identity decides)
            self.push(self.identity(a, b, symbol in ("is", "==")))
            return
        big = a if isinstance(a, BigInt) else b if isinstance(b, BigInt) else None
        if big is not None and isinstance(a if big is b else b, (Value, Const)) \
                and symbol in CONDITIONS:
            # Every int64 (and every float's comparison with it) lies on one side
            # of a constant beyond int64... except floats: let CPython compare those.
            other = a if big is b else b
            assert isinstance(other, (Value, Const))
            if other.type not in (INT, BOOL):
                self.deopt()  # a float, or a NumPy scalar (its result would be NumPy's)
            probe = 0  # stands for any int64: the answer is the same for all of them
            left, right = (probe, big.value) if big is b else (big.value, probe)
            self.push(Const(int(COMPARE_PY[symbol](left, right)), BOOL))
            return
        self.push(self.compare(str(symbol), self.operand(a, f"comparison {symbol}"),
                               self.operand(b, f"comparison {symbol}")))

    def contains(self, x: StackItem, container: StackItem, inside: bool) -> Operand:
        """`x in (a, b, ...)` (inside) or `not in` of a tuple: x == a or x == b ...
        A tuple's `in` asks `is` before ==, and for numbers == alone decides,
        save for a NaN x: `x in (x,)` is True in CPython, the very object being
        in the tuple (a local, an argument passed twice, math.nan). Native code
        keeps no objects, so a NaN x leaves the answer to CPython (deopt)."""
        if not isinstance(container, TupleItems):
            raise self.fail(f"'in' test of {self.describe(container)} (only tuples compile)")
        if isinstance(x, (Value, Const)) and x.type.register == FLOAT and container.items:
            probe = self.numeric_as_float(x)
            self.guard(self.temp("fcmp", BOOL, [probe, probe], kind="eq"))
        found: Operand = Const(0, BOOL)
        for item in container.items:
            if x is NONE or item is NONE:
                equal: Operand = self.identity(x, item, True)
            else:
                equal = self.truth(self.compare("==", self.operand(x, "'in' test"),
                                                self.operand(item, "'in' test")))
            found = self.either(found, equal)
        return found if inside else self.logical_not(found)

    def either(self, a: Operand, b: Operand) -> Operand:
        """a or b of two BOOLs."""
        if isinstance(a, Const):
            return b if not a.value else a
        if isinstance(b, Const):
            return a if not b.value else b
        return self.temp("or", BOOL, [a, b])

    def identity(self, a: StackItem, b: StackItem, same: bool) -> Const:
        """`a is b` (same) or `a is not b`, with None on one side: known from the
        types (a value of a native type is never None; a local's type says
        whether it holds None now, block versioning keeps that exact)."""
        if a is not NONE and b is not NONE:
            raise self.fail(f"'is' comparison of {self.describe(a)} and {self.describe(b)} "
                            f"(only `is None` / `is not None` compile)")
        both = a is NONE and b is NONE
        return Const(int(both == same), BOOL)

    def compare(self, symbol: str, a: Operand, b: Operand) -> Operand:
        if symbol not in CONDITIONS:
            raise self.fail(f"comparison {symbol}")
        cc = CONDITIONS[symbol]
        if a.type.numpy is not None or b.type.numpy is not None:
            from .numpy_ops import compare as numpy_compare  # (loaded by the first NumPy scalar)
            return numpy_compare(self, cc, a, b)
        if FLOAT in (a.type, b.type):
            # An int compares exactly with a float; deopt unless the int is exact as a double.
            fa = a if a.type == FLOAT else self.exact_float(a)
            fb = b if b.type == FLOAT else self.exact_float(b)
            return self.temp("fcmp", BOOL, [fa, fb], kind=cc)
        decided = self.decided(symbol, a, b)
        if decided is not None:
            return Const(decided, BOOL)
        return self.temp("cmp", BOOL, [a, b], kind=cc)

    def span(self, x: Operand) -> tuple[int, int] | None:
        """(lo, hi) if int x is known to lie in [lo, hi] (a constant, a "span" fact)."""
        if x.type != INT:
            return None
        if isinstance(x, Const):
            return int(x.value), int(x.value)
        fact = self.state.facts.get(x) if isinstance(x, Value) else None
        return (fact[1], fact[2]) if fact is not None and fact[0] == "span" else None

    def decided(self, symbol: str, a: Operand, b: Operand) -> bool | None:
        """The comparison's answer if the spans of a and b decide it (an
        unrolled loop's `di != 0`), else None."""
        sa, sb = self.span(a), self.span(b)
        if sa is None or sb is None or (isinstance(a, Const) and isinstance(b, Const)):
            return None
        compare = COMPARE_PY[symbol]
        answers = {compare(x, y) for x in sa for y in sb}  # monotone: the corners decide
        if symbol in ("==", "!=") and not (sa[0] == sa[1] and sb[0] == sb[1]):
            if sa[1] < sb[0] or sb[1] < sa[0]:
                return symbol == "!="
            return None
        return answers.pop() if len(answers) == 1 else None

    def exact_float(self, x: Operand) -> Operand:
        if isinstance(x, Const):
            if float(x.value) != x.value:
                self.deopt()  # no double equals it: CPython compares exactly
            return Const(float(x.value), FLOAT)
        return self.temp("i2f_exact", FLOAT, [x])

    def do_to_bool(self, _: Any) -> None:
        self.push(self.truth(self.pop()))

    def do_swap(self, n: Any) -> None:
        assert isinstance(n, int)
        self.stack[-1], self.stack[-n] = self.stack[-n], self.stack[-1]

    def do_copy(self, n: Any) -> None:
        assert isinstance(n, int)
        self.push(self.stack[-n])

    def do_rot(self, n: Any) -> None:
        assert isinstance(n, int)
        item = self.pop()
        self.stack.insert(len(self.stack) - (n - 1), item)

    def do_pop(self, _: Any) -> None:
        self.pop()

    def do_build_tuple(self, n: Any) -> None:
        assert isinstance(n, int)
        items = [self.pop() for _ in range(n)][::-1]
        self.push(TupleItems(items))

    def do_unpack(self, n: Any) -> None:
        item = self.pop()
        if item is NONE or isinstance(item, (Value, Const)):
            self.deopt()  # TypeError: cannot unpack a non-iterable int, float, bool or None
        if not isinstance(item, TupleItems):
            raise self.fail(f"unpacking {self.describe(item)}")
        if len(item.items) != n:
            self.deopt()  # ValueError: wrong number of values to unpack
        for x in reversed(item.items):
            self.push(x)

    def do_subscript(self, _: Any) -> None:
        index, container = self.pop(), self.pop()
        if isinstance(container, TupleItems) and isinstance(index, Const) and index.type == INT:
            n = len(container.items)  # a.shape[k]
            if not -n <= int(index.value) < n:
                self.deopt()  # IndexError: tuple index out of range
            self.push(container.items[int(index.value)])
            return
        if not isinstance(container, BufferArg):
            raise self.fail(f"subscript x[i] of {self.describe(container)}")
        self.push(self.load_element(container, index))

    def do_store_subscript(self, _: Any) -> None:
        index, container, item = self.pop(), self.pop(), self.pop()
        if not isinstance(container, BufferArg):
            raise self.fail(f"subscript assignment x[i] = ... of {self.describe(container)}")
        buf = container
        if buf.readonly:
            self.deopt()  # TypeError (bytes, a read-only memoryview), ValueError (NumPy)
        value = self.operand(item, f"value stored into {buf.name}")
        where, number = self.element_place(buf, index, "store", value)
        if buf.numpy is not None:
            from .numpy_ops import store_value as numpy_store_value  # (loaded by the first NumPy scalar)
            value = numpy_store_value(self, buf.numpy, value)
        else:
            value = self.buffer_store_value(buf, value)
        args = [buf.address, where, value, *self.undo_pointers(buf)]
        if number is not None:
            self.emit("store", None, args + [number], kind=buf.element.code, data="bytes")
        else:
            self.emit("store", None, args, kind=buf.element.code)

    def undo_pointers(self, buf: BufferArg) -> list[Value]:
        """The byte map, `pre` and `post` of buf's undo record (csrc/undo.h),
        allocated first if this call has not stored into buf yet: one
        `undo_begin` and two loads per IR block, which loop-invariant code
        motion takes out of loops (the pointers do not change during a call)."""
        key = (buf.name, id(self.block))
        cached = self.undo_cache.get(key)
        if cached is None or cached[0] is not self.block:
            dirty = self.temp("undo_begin", INT, [buf.undo])
            pre = self.temp("undo_field", INT, [buf.undo, dirty], kind="pre")
            post = self.temp("undo_field", INT, [buf.undo, dirty], kind="post")
            cached = self.undo_cache[key] = (self.block, [dirty, pre, post])
        return list(cached[1])

    def buffer_store_value(self, buf: BufferArg, value: Operand) -> Operand:
        """What `buf[i] = value` stores into a buffer of Python ints or floats
        (array.array, bytearray, memoryview), deopting where CPython raises."""
        element = buf.element
        scalar = value.type.numpy
        if scalar is not None:
            if scalar.name != "np.float64":  # (which is a float)
                raise self.fail(f"storing a NumPy {scalar.name[3:]} into buffer argument {buf.name!r}")
            value = self.temp("mov", FLOAT, [value])
        if element.type == FLOAT:
            return self.as_float(value)
        if value.type == FLOAT:
            self.deopt()  # TypeError: an int buffer refuses a float
        value = self.as_int(value)
        self.guard_range(value, *element.bounds())  # OverflowError / ValueError
        return value

    def guard_range(self, x: Operand, low: int, high: int) -> None:
        """Deopt unless low <= x <= high (bounds beyond int64 need no check)."""
        if low > INT64_MIN:
            self.guard(self.compare(">=", x, Const(low)))
        if high < INT64_MAX:
            self.guard(self.compare("<=", x, Const(high)))

    def is_length(self, x: Value) -> bool:
        """Whether x is a buffer's length (or a dimension of an array)."""
        return any(x is b.length or any(x is d for d in b.shape) for b in self.buffers.values())

    def length_minus(self, x: Operand) -> tuple[Value, int] | None:
        """(n, c) if x is known to be n - c for a buffer length n (len(a),
        len(a) - 1, a local set to one), else None."""
        if not isinstance(x, Value):
            return None
        if self.is_length(x):
            return x, 0
        fact = self.state.facts.get(x)
        return (fact[1], fact[2]) if fact is not None and fact[0] == "is" else None

    def shifted_fact(self, a: Operand, b: Operand, symbol: str) -> Fact | None:
        """What is known of a + b or a - b (b, or for +, a, a constant) from
        what is known of the other operand."""
        if symbol == "+" and isinstance(a, Const):
            a, b = b, a
        if isinstance(a, Value) and isinstance(b, Value):
            return self.sum_fact(a, b, symbol)
        if not (isinstance(a, Value) and isinstance(b, Const) and b.type == INT):
            return None
        fact = self.state.facts.get(a)
        if fact is None:
            length = self.length_minus(a)  # len(a) itself
            if length is None:
                return None
            fact = ("is", *length)
        d = int(b.value) if symbol == "+" else -int(b.value)
        if abs(d) > 2**32:
            return None
        if fact[0] == "nonneg":
            return ("nonneg",) if d >= 0 else None
        if fact[0] == "span":
            lo, hi = fact[1] + d, fact[2] + d
            return ("span", lo, hi) if max(abs(lo), abs(hi)) <= SPAN_LIMIT else None
        if fact[0] == "in":
            return ("in", fact[1], fact[2] + d, fact[3] - d)
        return ("is", fact[1], fact[2] - d)

    def sum_fact(self, a: Value, b: Value, symbol: str) -> Fact | None:
        """What is known of a + b or a - b when one is known within a length
        and the other within constants (`i + di`, i over range(n), di over
        range(-1, 2))."""
        fa, fb = self.state.facts.get(a), self.state.facts.get(b)
        if fa is None or fb is None:
            return None
        if symbol == "+" and fa[0] == "span":
            fa, fb = fb, fa
        if fa[0] != "in" or fb[0] != "span":
            return None
        if symbol == "+":  # lo <= a <= n - 1 - hi and blo <= b <= bhi
            return ("in", fa[1], fa[2] + fb[1], fa[3] - fb[2])
        return ("in", fa[1], fa[2] - fb[2], fa[3] + fb[1])

    def modulo_length(self, x: Value, n: Value) -> Value | None:
        """x % n for n a length (or dimension) and x known within one step of
        [0, n) (`(i + di) % n`): a compare and a select each way instead of
        a division, and the result is known in [0, n). None if not known so."""
        fact = self.state.facts.get(x)
        if fact is None or fact[0] != "in" or fact[1] is not n or fact[2] < -1 or fact[3] < -1:
            return None
        # A length is >= 0, and 0 would make CPython raise ZeroDivisionError;
        # lo <= x <= n - 1 - hi with lo + hi >= 0 says n >= 1 already.
        if fact[2] + fact[3] < 0:
            self.guard(self.compare(">", n, Const(0)))
        result: Value = x
        if fact[2] < 0:  # x >= -1 >= -n: one n up
            negative = self.compare("<", result, Const(0))
            up = self.temp("add", INT, [result, n])  # no overflow: x < 0 < n
            result = self.temp("select", INT, [negative, up, result])
        if fact[3] < 0:  # x <= n: one n down
            beyond = self.compare(">=", result, n)
            down = self.temp("sub", INT, [result, n])  # no overflow: both >= 0
            result = self.temp("select", INT, [beyond, down, result])
        if result is x:
            result = self.temp("mov", INT, [x])
        self.state.facts[result] = ("in", n, 0, 0)
        return result

    def load_element(self, buf: BufferArg, index: StackItem) -> Value:
        """buf[index]: Python's negative indices, and CPython's IndexError
        (or TypeError for a float index) when it is out of range, by deopt.
        An element of a NumPy array is a NumPy scalar."""
        where, number = self.element_place(buf, index, "load")
        element = buf.element
        extra: dict[str, Any] = {"data": "bytes"} if number is not None else {}
        if buf.numpy is not None and buf.numpy.kind == "b":  # a byte NumPy reads as True unless 0
            byte = self.temp("load", INT, [buf.address, where], kind=element.code, **extra)
            return self.temp("truth", buf.numpy.name, [byte])
        value = self.temp("load", element.type if buf.numpy is None else buf.numpy.name,
                          [buf.address, where], kind=element.code,
                          checked=element.size == 8 and not element.signed, **extra)
        if element.type == INT and not element.signed:
            self.state.facts[value] = ("nonneg",)  # as an index: no negative to wrap
        return value

    def element_place(self, buf: BufferArg, index: StackItem, kind: str,
                      value: Operand | None = None) -> tuple[Operand, Operand | None]:
        """Where element `index` of buf is: (its index, None) in a buffer or a
        C-contiguous array, (its byte offset, its number in C order) in an
        array with strides. Deopts where CPython raises TypeError (a float
        index); an index out of range raises CPython's IndexError in place
        (a RaiseSite of `kind`, "load" or "store" of `value`)."""
        items = index.items if isinstance(index, TupleItems) and buf.numpy is not None else [index]
        if len(items) != buf.ndim:
            raise self.fail(f"indexing {buf.ndim}-d array {buf.name!r} with {len(items)} "
                            f"ind{'ex' if len(items) == 1 else 'ices'} (only single elements are supported)")
        operands = [self.operand(x, f"index of {buf.name}") for x in items]
        if value is not None:
            operands.append(value)
        site = RaiseSite(kind, buf.position, tuple(x.type for x in operands), self.offset, self.line)
        raises = (site, operands)
        dims = [self.dimension_index(buf, d, x, raises) for d, x in enumerate(items)]
        number = dims[0]
        for d in range(1, buf.ndim):
            scaled = self.temp("mul", INT, [number, buf.shape[d]])  # < the array's size: no overflow
            number = self.temp("add", INT, [scaled, dims[d]])
        if buf.strides is None:
            return number, None
        offset: Operand | None = None
        for d in range(buf.ndim):
            term = self.temp("mul", INT, [dims[d], buf.strides[d]])  # within the array's memory
            offset = term if offset is None else self.temp("add", INT, [offset, term])
        assert offset is not None
        return offset, number

    def dimension_index(self, buf: BufferArg, d: int, index: StackItem,
                        raises: tuple[RaiseSite, list[Operand]]) -> Operand:
        """The index `index` names along dimension d of buf (Python's
        negative indices), checked against its length unless known in range."""
        i = self.operand(index, f"index of {buf.name}")
        scalar = i.type.numpy
        if i.type == FLOAT or (scalar is not None and scalar.kind == "f"):
            self.deopt()  # TypeError / IndexError: indices must be integers
        if buf.numpy is not None and i.type in (BOOL, "np.bool"):
            self.deopt()  # a[True] is a boolean mask: a new array, made by CPython
        length = buf.shape[d] if buf.shape else buf.length
        fact = self.state.facts.get(i) if isinstance(i, Value) else None
        if fact is not None and fact[0] == "in" and fact[1] is length and fact[2] >= 0 \
                and fact[3] >= 0:
            return i  # 0 <= i < len: a counter of range(k, len - c), plus a constant
        key = (id(i), id(length))
        known = self.checked_indices.get(key)
        if known is not None:
            return known[2]  # `a[i] += x`: the store's index is the load's, checked once
        original = i
        i = self.numeric_as_int(i)
        if fact is not None and (fact[0] == "nonneg" or (fact[0] == "in" and fact[2] >= 0)
                                 or (fact[0] == "span" and fact[1] >= 0)):
            # 0 <= i (an unsigned element, a counter over another length, an
            # unrolled loop's constant): only the upper bound to check
            self.guard(self.compare("<", i, length), raises)
        else:
            negative = self.compare("<", i, Const(0))
            wrapped = self.temp("add", INT, [i, length])  # cannot overflow: length >= 0 > i
            i = self.temp("select", INT, [negative, wrapped, i])
            self.guard(self.compare(">=", i, Const(0)), raises)
            self.guard(self.compare("<", i, length), raises)
        # Valid for the rest of this block version (the blocks the translator
        # continues in are dominated by this one) until original's local is
        # stored to (do_store_local forgets it).
        self.checked_indices[key] = (original, length, i)
        return i

    def do_jump(self, target: Any) -> None:
        self.jump_to(target)
        raise _PathEnds()

    def do_branch(self, arg: Any) -> None:
        sense, target = arg
        cond = self.truth(self.pop())
        following = self.following()
        if sense:
            self.branch(cond, target, following)
        else:
            self.branch(cond, following, target)

    def do_branch_or_pop(self, arg: Any) -> None:
        sense, target = arg
        top = self.stack[-1]
        cond = self.truth(top)
        keep = self.state.copy()  # the jump keeps the value on the stack
        self.pop()
        following = self.following()
        if sense:
            self.branch(cond, target, following, true_state=keep)
        else:
            # branch() takes the true edge with true_state: swap roles via not.
            self.branch(self.logical_not(cond), target, following, true_state=keep)

    def following(self) -> int:
        """The bytecode block right after the current one (fall-through / not taken)."""
        return self.current.successors[0]

    def do_get_iter(self, items: Any, unroll: bool = True) -> None:
        spec = self.pop()
        if isinstance(spec, Combined) and spec.kind == "pick":  # (see unrolled_tuple)
            self.push(RangeArgs(Const(0), Const(len(spec.items)), Const(1)))
            self.do_get_iter(1, unroll=False)
            self.push(Combined("pick", [self.pop()], items=spec.items))
            for _ in range(items - 1):
                self.push(ITER_INDEX)
            return
        if isinstance(spec, Combined):  # enumerate(), zip(): an iterator of each part
            parts = []
            for part in spec.parts:
                self.push(part)
                self.do_get_iter(1, unroll=False)
                parts.append(self.pop())
            index = self.temp("mov", INT, [spec.start]) if spec.kind == "enumerate" else None
            self.push(Combined(spec.kind, parts, spec.start, index))
            for _ in range(items - 1):
                self.push(ITER_INDEX)
            return
        if isinstance(spec, BufferArg) and spec.ndim != 1:
            raise self.fail(f"for loop over {spec.ndim}-d array {spec.name!r} (its rows)")
        if isinstance(spec, BufferArg):  # for x in a: a counter over range(len(a))
            counter = self.temp("mov", INT, [Const(0)])
            self.push(RangeIter(counter, spec.length, Const(1), None, ("in", spec.length, 0, 0),
                                spec))
            for _ in range(items - 1):
                self.push(ITER_INDEX)
            return
        if isinstance(spec, TupleItems):  # a tuple: unrolled, a turn per item
            self.push(self.unrolled_tuple(spec))
            for _ in range(items - 1):
                self.push(ITER_INDEX)
            return
        if not isinstance(spec, RangeArgs):
            raise self.fail(f"for loop over {self.describe(spec)} (only range(), tuples and buffers)")
        unrolled = self.unrolled_range(spec) if unroll else None
        if unrolled is not None:
            self.push(unrolled)
            for _ in range(items - 1):
                self.push(ITER_INDEX)
            return
        counter = self.temp("mov", INT, [spec.start])
        stop = spec.stop if isinstance(spec.stop, Const) else self.temp("mov", INT, [spec.stop])
        step = spec.step
        positive: Value | None = None
        if isinstance(step, Const):
            if step.value == 0:
                self.deopt()  # ValueError: range() arg 3 must not be zero
        else:
            step = self.temp("mov", INT, [step])
            zero = self.temp("cmp", BOOL, [step, Const(0)], kind="eq")
            fail, ok = self.new_block("step0"), self.new_block("range")
            self.emit("br", None, [zero], targets=(fail, ok))
            fail.insts.append(Inst("deopt", None, [], line=self.line))
            self.switch_to(ok)
            positive = self.temp("cmp", BOOL, [step, Const(0)], kind="gt")
        within: Fact | None = None
        if isinstance(spec.start, Const) and spec.start.value >= 0 and isinstance(step, Const) \
                and step.value > 0:
            length = self.length_minus(spec.stop)
            if length is not None and length[1] >= 0:
                within = ("in", length[0], int(spec.start.value), length[1])
        if isinstance(spec.start, Const) and isinstance(spec.stop, Const) and isinstance(step, Const) \
                and step.value > 0 and max(abs(spec.start.value), abs(spec.stop.value)) <= SPAN_LIMIT:
            within = ("span", int(spec.start.value), int(spec.stop.value) - 1)  # range(-1, 2)
        self.push(RangeIter(counter, stop, step, positive, within))
        for _ in range(items - 1):
            self.push(ITER_INDEX)  # 3.15+: the iterator's second stack item

    def unrolled_range(self, spec: RangeArgs) -> UnrolledRange | None:
        """The range as an UnrolledRange, if its bounds are constants and it
        is short (UNROLL_TURNS; the copies of a loop nest: UNROLL_COPIES)."""
        bounds = (spec.start, spec.stop, spec.step)
        if not all(isinstance(x, Const) and x.type == INT for x in bounds):
            return None
        start, stop, step = (int(x.value) for x in bounds)  # type: ignore[union-attr]
        if step == 0 or max(abs(start), abs(stop), abs(step)) > SPAN_LIMIT:
            return None
        values = range(start, stop, step)
        copies = len(values)
        for x in self.stack:
            if isinstance(x, UnrolledRange):
                copies *= len(x.values)
        if not 0 < len(values) <= UNROLL_TURNS or copies > UNROLL_COPIES:
            return None
        body = self.loop_body_size()
        if body is None or body * copies > UNROLL_BUDGET:
            return None  # a large body stays a loop: code size and compile time
        return UnrolledRange(tuple(values), 0)

    def unrolled_tuple(self, spec: TupleItems) -> UnrolledRange | Combined:
        """`for v in (a, b, c)`: an unrolled loop over the tuple's items, each
        copied now (the locals they came from may change in the loop); if
        that would be too large, a loop over their indices that picks the item
        (items of one type only: each turn's code is the same)."""
        def copied(x: StackItem) -> StackItem:
            if isinstance(x, Value):
                return self.temp("mov", x.type, [x])
            if isinstance(x, TupleItems):
                return TupleItems([copied(y) for y in x.items])
            if not (isinstance(x, (Const, BigInt)) or x is NONE):
                raise self.fail(f"for loop over a tuple holding {self.describe(x)}")
            return x

        values = [copied(x) for x in spec.items]
        copies = max(len(values), 1)
        for x in self.stack:
            if isinstance(x, UnrolledRange):
                copies *= len(x.values)
        body = self.loop_body_size()
        if copies > UNROLL_COPIES * 4 or body is None or body * copies > UNROLL_BUDGET * 4:
            scalars = [x for x in values if isinstance(x, (Value, Const))]
            if len(scalars) == len(values) and len({x.type for x in scalars}) == 1:
                self.push(Combined("pick", [], items=tuple(scalars)))
                self.do_get_iter(1)
                return self.pop()  # type: ignore[return-value]
            raise self.fail(f"for loop over a tuple of {len(values)} items of different types "
                            f"(each turn is compiled apart: the loop, nested as it is, is too "
                            f"large for that)")
        return UnrolledRange(tuple(values), 0, items=True)

    def loop_body_size(self) -> int | None:
        """How many bytecode instructions the loop whose iterator GET_ITER just
        made runs each turn (its FOR_ITER starts the next block), or None."""
        header = self.blocks.get(self.following())
        if header is None or not header.items or header.items[0].op != "for_iter":
            return None
        end = header.items[0].arg[0]  # where the loop exits to
        return sum(len(b.items) for start, b in self.blocks.items() if header.start <= start < end)

    def unrolled_turn(self, it: UnrolledRange, target: int, keep: bool, items: int) -> NoReturn:
        """FOR_ITER on an unrolled range: the next value, as a constant the
        front end knows (its "span" fact), or the exit when none is left."""
        if it.taken == len(it.values):
            if keep:
                self.stack.append(PLACEHOLDER)
            else:
                del self.stack[-items:]
            self.jump_to(target)
            raise _PathEnds()
        self.stack[-items] = UnrolledRange(it.values, it.taken + 1, it.items)
        value = it.values[it.taken]
        if it.items:  # a tuple's item, as it was when the loop began
            self.push(value)
        else:
            item = self.temp("mov", INT, [Const(value)])
            self.state.facts[item] = ("span", value, value)
            self.push(item)
        self.jump_to(self.following())
        raise _PathEnds()

    def do_for_iter(self, arg: Any) -> None:
        target, keep, items = arg
        it = self.stack[-items]
        if isinstance(it, UnrolledRange):
            self.unrolled_turn(it, target, keep, items)
        if not isinstance(it, (RangeIter, Combined)):
            raise self.fail("for loop over something other than range() or a buffer")
        exit_state = self.state.copy()
        if keep:
            exit_state.stack.append(PLACEHOLDER)
        else:
            del exit_state.stack[-items:]
        body_state = self.state
        body = self.following()
        more = self.iter_more(it)
        # Exit edge first (with its own state), then the body edge.
        self.state = exit_state
        exit_block = self.edge(target)
        self.state = body_state
        step_block = self.new_block("next")
        self.emit("br", None, [more], targets=(step_block, exit_block))
        self.switch_to(step_block)
        self.push(self.iter_next(it))
        self.jump_to(body)
        raise _PathEnds()

    def iter_more(self, it: RangeIter | Combined) -> Operand:
        """Whether iterator `it` has an item left (a BOOL); zip: all of its parts
        (CPython stops at the first exhausted one; a range's or a buffer's
        next() has no effect on the others)."""
        if not isinstance(it, Combined):
            return self.range_more(it)
        more = self.iter_more(it.parts[0])
        for part in it.parts[1:]:
            more = self.temp("and", BOOL, [more, self.iter_more(part)])
        return more

    def iter_next(self, it: RangeIter | Combined) -> StackItem:
        """Iterator `it`'s next item (it has one): enumerate's (count, item), zip's tuple."""
        if not isinstance(it, Combined):
            return self.range_next(it)
        values = [self.iter_next(part) for part in it.parts]
        if it.kind == "pick":  # the item at that index
            (index,) = values
            item = it.items[-1]
            for k in range(len(it.items) - 2, -1, -1):
                here = self.temp("cmp", BOOL, [index, Const(k)], kind="eq")  # type: ignore[list-item]
                item = self.temp("select", item.type, [here, it.items[k], item])
            return item
        if it.index is None:
            return TupleItems(values)
        count = self.temp("mov", INT, [it.index])
        # (from a constant start no count outgrows the loop's int64 range)
        self.emit("add", it.index, [it.index, Const(1)],
                  checked=not (isinstance(it.start, Const) and abs(it.start.value) <= 2**32))
        return TupleItems([count, values[0]])

    def range_more(self, it: RangeIter) -> Operand:
        """Whether range or buffer iterator `it` has an item left (a BOOL)."""
        if it.step_positive is None:
            cc = "lt" if it.step.value > 0 else "gt"  # type: ignore[union-attr]
            return self.temp("cmp", BOOL, [it.counter, it.stop], kind=cc)
        up, down, join = self.new_block("up"), self.new_block("down"), self.new_block("more")
        more = self.ir.new_value("", BOOL)
        self.emit("br", None, [it.step_positive], targets=(up, down))
        up.insts += [Inst("cmp", more, [it.counter, it.stop], kind="lt", line=self.line),
                     Inst("jmp", None, [], targets=(join,), line=self.line)]
        down.insts += [Inst("cmp", more, [it.counter, it.stop], kind="gt", line=self.line),
                       Inst("jmp", None, [], targets=(join,), line=self.line)]
        self.switch_to(join)
        return more

    def range_next(self, it: RangeIter) -> Operand:
        """Iterator `it`'s next item (it has one), the counter moved on."""
        value: Operand = self.temp("mov", INT, [it.counter])
        if it.within is not None:
            self.state.facts[value] = it.within  # type: ignore[index]
        if it.items is not None:
            value = self.load_element(it.items, value)
        # The counter only overflows when the loop is over anyway; CPython
        # then gives the answer (this is rare: a range ending near 2**63).
        # Below a buffer's length (at most 2**48 or so) it cannot, nor by a
        # step of 1 or -1 (it is below its stop, an int64, or above it).
        bounded = isinstance(it.step, Const) and (
            it.step.value in (1, -1) or (it.within is not None and 0 < it.step.value <= 2**32))
        self.emit("add", it.counter, [it.counter, it.step], checked=not bounded)
        return value

    def do_raise(self, _: Any) -> None:
        """`raise E(args)`, `raise E`, a failed assert: the code stops and the
        caller makes the exception and raises it (jitcore/raising.py), as from
        this line, keeping what the call did so far, as CPython does."""
        item = self.pop()
        if isinstance(item, Known) and _is_exception_class(item.obj):
            item = ExceptionValue(item.obj, [])
        if not isinstance(item, ExceptionValue):
            raise self.fail(f"raising {self.describe(item)}")
        operands: list[Operand] = []

        def part(a: StackItem) -> tuple[str, Any]:  # ("operand", its index) or ("const", value)
            if isinstance(a, Const) and a.type in PYTHON_CONSTANTS:  # known now: no slot
                return "const", PYTHON_CONSTANTS[a.type](a.value)
            if isinstance(a, Value):
                for k, x in enumerate(operands):  # (each value one slot, however often used)
                    if x is a:
                        return "operand", k
            if isinstance(a, (Value, Const)):
                operands.append(a)
                return "operand", len(operands) - 1
            if isinstance(a, Known) and type(a.obj) is str or a is NONE or isinstance(a, BigInt):
                return "const", a.obj if isinstance(a, Known) else a.value if isinstance(a, BigInt) \
                    else None
            raise self.fail(f"raising {item.cls.__name__} of {self.describe(a)}")

        template: list[tuple[str, Any]] = []
        for a in item.args:
            if isinstance(a, Formatted):  # an f-string: formatted as the exception is made
                template.append(("format", tuple(p if type(p) is str else (part(p[0]), p[1], p[2])
                                                 for p in a.parts)))
            else:
                template.append(part(a))
        if len(operands) > 3:
            raise self.fail(f"raising {item.cls.__name__} with {len(operands)} values (at most 3)")
        site = RaiseSite("raise", -1, tuple(x.type for x in operands), self.offset, self.line,
                         (item.cls, tuple(template)))
        self.emit("raise", None, operands, data=site)
        raise _PathEnds()

    def do_return(self, _: Any) -> None:
        item = self.pop()
        if isinstance(item, BigInt):
            self.deopt()  # CPython returns the big int
        if item is NONE:
            self.emit("ret", None, [], kind="none")
            self.returns.append(("none",))
        elif isinstance(item, (Value, Const)):
            self.emit("ret", None, [item], kind=item.type)
            self.returns.append((item.type,))
        elif isinstance(item, TupleItems):
            elems: list[Operand] = []
            shape = self.returned_shape(item, elems)
            if len(elems) > MAX_RESULT_SLOTS:
                raise self.fail(f"returning a tuple of {len(elems)} items (at most {MAX_RESULT_SLOTS})")
            self.emit("ret", None, elems, kind="tuple", data=shape)
            self.returns.append(("tuple",) + shape)
        else:
            raise self.fail(f"returning {self.describe(item)}")
        raise _PathEnds()

    def returned_shape(self, item: TupleItems, elems: list[Operand]) -> tuple[Any, ...]:
        """The shape of a returned tuple (ir.shape_leaves), its items' values
        appended to elems in slot order (None: a slot the caller boxes as None)."""
        shape: list[Any] = []
        for x in item.items:
            if isinstance(x, TupleItems):
                shape.append(self.returned_shape(x, elems))
                continue
            elems.append(Const(0, type_named(NONE_TYPE)) if x is NONE else self.operand(x, "returned tuple"))
            shape.append(elems[-1].type)
        return tuple(shape)


_NO_FACTS: frozenset[Any] = frozenset()


def _fact_key(fact: Fact) -> tuple[Any, ...]:
    """A fact as part of a block version's key: its length by identity."""
    if len(fact) == 1 or fact[0] == "span":
        return fact
    return (fact[0], id(fact[1]), *fact[2:])


def _stack_key(item: StackItem) -> tuple[Any, ...]:
    """What a stack item contributes to a version's key: runtime values by
    type, compile-time things by identity."""
    if isinstance(item, (Value, Const)):
        return ("value", item.type)
    if isinstance(item, Known):
        return ("object", id(item.obj))
    if isinstance(item, BufferArg):
        return ("buffer", item.name)
    if isinstance(item, UnrolledRange):
        values = tuple(("value", id(x)) if isinstance(x, Value) else _stack_key(x) for x in item.values) \
            if item.items else item.values
        return ("unrolled", values, item.taken)
    return ("object", id(item))


def _later(function: Callable[..., StackItem], *args: Any) -> Callable[[], StackItem]:
    """function(*args), to be called later (functools.partial, without
    importing functools)."""
    return lambda: function(*args)


def _short_repr(value: object, limit: int = 60) -> str:
    """repr() for an error message: any object may be a constant, including
    one whose repr is huge or raises."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - the message must not fail
        return f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _PathEnds(Exception):
    """The current path ended (jump, branch, return or deopt)."""


def _is_math(obj: object) -> bool:
    """Whether obj is the math module. (Looked up, not imported: a program
    whose code reads math imported it, and one that did not spares its
    first compile loading it.)"""
    return type(obj) is ModuleType and obj is sys.modules.get("math")


def _is_jitted(obj: Any) -> bool:
    from ..dispatcher import Dispatcher

    return issubclass(type(obj), Dispatcher)  # not isinstance: that asks the object for __class__


# -- operator tables ------------------------------------------------------------
BITWISE = {"&": "and", "|": "or", "^": "xor"}
INT_ARITH = {"+": "add", "-": "sub", "*": "mul", "//": "floordiv", "%": "mod"}
FLOAT_ARITH = {"+": "fadd", "-": "fsub", "*": "fmul", "/": "fdiv"}
FLOAT_HELPERS = {"//": "float_floordiv", "%": "float_mod", "**": "float_pow"}


# -- builtins -------------------------------------------------------------------
def _numbers(t: _Translator, args: list[StackItem], name: str, count: int | None = None,
             numpy: bool = False) -> list[Operand]:
    """The arguments of a call of builtin `name` as operands; NumPy scalars
    only if the caller handles them (`numpy`)."""
    if count is not None and len(args) != count:
        t.deopt()  # TypeError: wrong number of arguments
    ops = [t.operand(a, f"{name}()") for a in args]
    return ops if numpy else [t.python_scalar(x, f"{name}()") for x in ops]


def _call_range(t: _Translator, args: list[StackItem]) -> StackItem:
    if not 1 <= len(args) <= 3:
        t.deopt()
    ops = _numbers(t, args, "range", numpy=True)
    if any(x.type.register == FLOAT or x.type == "np.bool" for x in ops):
        t.deopt()  # TypeError: 'float' object cannot be interpreted as an integer
    ops = [t.numeric_as_int(x) for x in ops]
    if len(ops) == 1:
        return RangeArgs(Const(0), ops[0], Const(1))
    if len(ops) == 2:
        return RangeArgs(ops[0], ops[1], Const(1))
    return RangeArgs(ops[0], ops[1], ops[2])


def _call_len(t: _Translator, args: list[StackItem]) -> StackItem:
    if len(args) != 1:
        t.deopt()  # TypeError: len() takes exactly one argument
    if isinstance(args[0], TupleItems):
        return Const(len(args[0].items))
    if not isinstance(args[0], BufferArg):
        raise t.fail(f"len() of {t.describe(args[0])}")
    return args[0].length


def _call_enumerate(t: _Translator, args: list[StackItem]) -> StackItem:
    if len(args) not in (1, 2):
        t.deopt()  # TypeError
    start: Operand = Const(0)
    if len(args) == 2:
        start = t.operand(args[1], "enumerate()'s start")
        if start.type not in (INT, BOOL):
            raise t.fail(f"enumerate() starting at a {start.type}")
        start = t.as_int(start)
    return Combined("enumerate", [_iterable(t, args[0], "enumerate()")], start)


def _call_zip(t: _Translator, args: list[StackItem]) -> StackItem:
    if not args:
        raise t.fail("zip() of nothing")
    return Combined("zip", [_iterable(t, a, "zip()") for a in args])


def _iterable(t: _Translator, x: StackItem, what: str) -> StackItem:
    if isinstance(x, (RangeArgs, Combined)) or (isinstance(x, BufferArg) and x.ndim == 1):
        return x
    raise t.fail(f"{what} of {t.describe(x)} (only ranges and 1-D buffers)")


if TYPE_CHECKING:
    # How a call of a builtin or math function is translated: (translator, arguments) -> result.
    Builtin = Callable[["_Translator", list[StackItem]], StackItem]
    # ...and of one that takes keywords: (translator, positional arguments, keywords) -> result.
    KeywordBuiltin = Callable[["_Translator", list[StackItem], dict[str, StackItem]], StackItem]

# The builtins of loops: how a call of each translates. Those of arithmetic
# (abs, min, max, int, round, ...) and the math module's functions are
# numeric_calls.py's, loaded by the first compile that meets one.
BUILTIN_CALLS: dict[Any, Builtin] = {_own(builtins, name): call for name, call in {
    "range": _call_range, "len": _call_len, "enumerate": _call_enumerate, "zip": _call_zip,
}.items()}

# Globals are arbitrary objects: a list, a NumPy array, an object whose __eq__
# or __hash__ raises. Builtins are looked up by identity, never by hashing or
# comparing the object.
_BY_ID: dict[int, tuple[object, Builtin]] = {id(fn): (fn, call) for fn, call in BUILTIN_CALLS.items()}


def _may_be_numeric_call(obj: object) -> bool:
    """Whether obj may be one of numeric_calls.py's: a C function, or the
    types int, float and bool (by identity). Only these load it; an
    exception class or a program's class does not."""
    return type(obj) is BuiltinFunctionType or obj is int or obj is float or obj is bool


def _keyword_call(obj: object) -> KeywordBuiltin | None:
    """How a call of `obj` with keywords translates, if it is a function that takes them here."""
    if not _may_be_numeric_call(obj):
        return None
    from .numeric_calls import KEYWORDS_BY_ID  # (its import fills its tables: math, looked up)

    found = KEYWORDS_BY_ID.get(id(obj))
    return found[1] if found is not None and found[0] is obj else None


def _builtin_call(obj: object) -> Builtin | None:
    """How a call of `obj` translates, if it is a builtin or math function jitcore knows."""
    found = _BY_ID.get(id(obj))
    if found is None and _may_be_numeric_call(obj):
        from .numeric_calls import BY_ID

        found = BY_ID.get(id(obj))
    return found[1] if found is not None and found[0] is obj else None


__all__ = ["build_ir", "signature_of", "ModuleType"]
