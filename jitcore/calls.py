"""Calls of jitted functions that the C fast path does not serve, and compiling.

jitcore/dispatcher.py defines the object `@jit` puts in place of a function
and imports nothing heavy; this module holds what its calls need beyond the C
fast path, and is imported by the first call of any jitted function (it
imports the compiler, the runtime and cffi).

Each call looks up the native code for the types of its arguments (a
signature such as `(int, float)`, or `(array('d'), int)`: buffers by the type
of their elements, NumPy arrays by dtype, dimensions and layout, as
`array(float64, 2d, C)`), compiling it on the first call with those types.
Arguments are packed into 8-byte slots (ints outside int64 are rejected; a
buffer is exported for the call and takes three slots, an array more, see
ir.argument_slots), the native code runs, and its status says how to box the
result (NumPy results as their NumPy type: NumPy is imported only once a
NumPy argument comes in). A call that
re-runs in CPython first takes back what it stored into buffers (undo
records, csrc/undo.h).
For calls with arguments of exactly a compiled signature the C base type
(csrc/fastcall.c) does all this; every other call, and the first call of a
signature, goes through call_slow, which does it in Python with
`struct` and cffi. Everything native code does not handle runs the original
function: other argument types, keyword arguments, the wrong number of
arguments, ints that do not fit in int64, and every call whose native run
reports that it cannot give CPython's answer (int64 overflow, an exception
CPython would raise). The result is always exactly CPython's.
"""

from __future__ import annotations

import builtins
import os
import struct
import sys
import types
from _thread import RLock
from sys import getrecursionlimit

from . import abi, runtime
from .dispatcher import (
    RAISE,
    RUN_PY_FUNC,
    RUN_PY_FUNC_IN_DEPTH_FALLBACK,
    Dispatcher,
    _internal_error_count,
    _internal_errors,
    _python_reruns,
    debug,
    gc_paused,
    user_stacklevel,
)
from .dispatcher import _fastcall as _fastcall
from .errors import CompileError, JitWarning
from .ir import (
    BOOL,
    BUFFER_ELEMENTS,
    FLOAT,
    INT,
    NUMPY_BY_CODE,
    NUMPY_SCALARS,
    Type,
    argument_slots,
    array_type,
    buffer_type,
    element_of,
    numpy_scalar,
    shape_leaves,
    tuple_items,
    tuple_type,
    type_named,
)
from .record import Record
from .runtime import (
    ExecMemError,
    call_packed,
    deopt_stub,
    ensure_interrupt_handler,
    finish_undo,
    new_cell,
    new_results,
    new_undo,
    pin_buffer,
    raise_taken,
    undo_address,
)

# Only type checkers read these: `typing` is slow to import, and importing the
# compiler is part of the first call of a jitted function.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import weakref
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

    from .compiled import Compiled

if _fastcall is None:  # pragma: no cover - platform dependent
    from .dispatcher import _FASTCALL_MISSING

    debug("jitcore._fastcall unavailable (%s): calls go through Python", _FASTCALL_MISSING)

# The C fast path calls native code through these (csrc/call.c, poll.c).
# Without the cffi module nothing compiles (runtime.UNAVAILABLE), so the fast
# path never has native code to call.
try:
    from ._native import ffi as _ffi
    from ._native import lib as _lib
except ImportError as _exc:  # pragma: no cover - platform dependent
    debug("jitcore._native unavailable (%s)", _exc)
else:
    if _fastcall is not None:
        _fastcall._set_call_packed(*(int(_ffi.cast("uintptr_t", _ffi.addressof(_lib, name)))
                                     for name in ("jc_call_packed_gil", "jc_call_packed",
                                                  "jc_native_stack_ready", "jc_raise_taken")))
        if (_gil_drop_check := _fastcall._gil_drop_check()) is not None:  # 3.13+: see csrc/poll.c
            _lib.jc_set_gil_drop_check(_ffi.cast("void *", _gil_drop_check))


def native_depth_budget(frames_between: int, frame_bytes: int = 1) -> int:
    """The native call depth budget (abi.py) for a native call made by
    jitcore code running `frames_between` Python frames below the user's call.

    The C fast path computes the same for itself with the same C function, so
    both paths let native recursion go exactly as deep as CPython's would from
    the user's frame; `frame_bytes` (the largest activation the native code
    may stack) caps it by the C stack this thread has left. Without the C
    module, Python frames are counted here,
    with a margin: a budget that is too small only costs speed (the call runs
    in CPython, which gives its own answer), one that is too large would not.
    """
    if _fastcall is not None:
        return int(_fastcall._depth_budget(frames_between + 1, frame_bytes))  # + this frame
    frame: types.FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    left = getrecursionlimit() - depth + frames_between + 1
    return max(0, min(left - 50, abi.MAX_NATIVE_DEPTH))

def why_no_native_code() -> str | None:
    """Why nothing compiles in this process (an interpreter jitcore does not
    know, no C module, not x86-64), or None."""
    from .frontend import versions

    return versions.unsupported_interpreter() or runtime.UNAVAILABLE


def _compile_function() -> Callable[..., Compiled]:
    """compiler.compile_function. The compiler is imported by the first
    compile, not with this module: a call that loads its code from the code
    cache (cache=True) never needs it."""
    with gc_paused():  # (for the first time: the compiler's import)
        from . import compiler
    return compiler.compile_function


def _check_code_shape(func: Any) -> CompileError | None:
    """frontend.check_code_shape, whose first use imports the front end: with
    the collector paused, as the compiler's import is (most of the
    compiler's objects are the front end's; a collection in the middle of
    its import once took a middle-generation pass over everything, 1.5 ms)."""
    with gc_paused():
        from .frontend import translate
    return translate.check_code_shape(func)


# Python frames the compiler may need: a RecursionError while compiling with
# more room than this left is the function's doing, not its caller's depth.
_COMPILER_FRAMES = 300

# What runs a function jitcore does not compile (named in the warning).
_INTERPRETER = "CPython" if sys.implementation.name == "cpython" else "the interpreter"

IR_TYPES = {int: INT, bool: BOOL, float: FLOAT, type(None): "none"}
PY_TYPES: dict[str, type] = {INT: int, BOOL: bool, FLOAT: float, "none": type(None)}
PACK_CODES: dict[str, str] = {INT: "q", BOOL: "q", FLOAT: "d"}

# Objects whose buffer native code reads as a flat run of elements (ir.py):
# their elements are Python ints and floats. (NumPy arrays, whose elements
# are NumPy scalars, are not among them.) array.array joins them when an
# argument first is one (is_buffer_type): importing the array module here
# would cost a first call a millisecond (it imports collections.abc), and
# before it is imported no array exists.
BUFFER_TYPES = [bytes, bytearray, memoryview]


def is_buffer_type(t: type) -> bool:
    if t in BUFFER_TYPES:
        return True
    if getattr(t, "__module__", None) == "array" and t is getattr(sys.modules.get("array"), "array", None):
        BUFFER_TYPES.append(t)
        return True
    return False


class BufferKind(Record):
    """What a signature says of a buffer argument: its type and the struct
    code of its elements, or, in `code`, why native code does not take it.
    Immutable; equal by its fields (one object per kind is made, below)."""

    __slots__ = ("type", "code", "readonly", "strided")

    def __init__(self, type: type, code: str, readonly: bool = False, strided: bool = False) -> None:
        self.type = type
        self.code = code
        self.readonly = readonly  # refuses stores (bytes, a read-only memoryview)
        self.strided = strided  # a 1-D memoryview whose elements are not next to each other

    def _fields(self) -> tuple[type, str, bool, bool]:
        return self.type, self.code, self.readonly, self.strided

    @property
    def __name__(self) -> str:  # as signatures print argument types
        if self.type in (bytes, bytearray):
            return self.type.__name__
        strided = ", strided" if self.strided else ""
        readonly = ", readonly" if self.type is memoryview and self.readonly else ""
        return f"{self.type.__name__}({self.code!r}{strided}{readonly})"

    def __repr__(self) -> str:
        return self.__name__


# One BufferKind object per kind: signatures are compared by identity in the
# C fast path's table.
_BUFFER_KINDS: dict[tuple[type, str, bool, bool], BufferKind] = {}


if TYPE_CHECKING:
    # A signature: the types of a call's arguments, buffers by kind.
    Key = tuple[Any, ...]  # types, BufferKinds and ArrayKinds


def _buffer_kind_for(t: type, code: str, readonly: bool, strided: bool = False) -> BufferKind:
    key = (t, code, readonly, strided)
    kind = _BUFFER_KINDS.get(key)
    if kind is None:
        kind = _BUFFER_KINDS.setdefault(key, BufferKind(t, code, readonly, strided))
    return kind


def _buffer_kind(obj: Any) -> BufferKind:
    t = type(obj)
    readonly = t is bytes
    strided = False
    if t is bytes or t is bytearray:
        code = "B"
    elif t is not memoryview:  # an array.array
        code = obj.typecode
    else:
        try:  # a memoryview: released ones raise here, and run in CPython (which raises)
            readonly = obj.readonly
            if obj.ndim != 1:
                code = f"{obj.ndim}-d"
            else:
                code = obj.format[1:] if obj.format[:1] == "@" else obj.format
                # strided (m[::2]) needs the C fast path's help to find its first element
                strided = not obj.c_contiguous
                if strided and _fastcall is None:
                    code = "strided"
        except ValueError:
            code = "released"
    return _buffer_kind_for(t, code, readonly, strided)


def _is_numpy(t: Any) -> bool:
    """Whether t is a NumPy type (an ndarray, a NumPy scalar), without importing NumPy."""
    return isinstance(t, type) and (getattr(t, "__module__", "") or "").split(".")[0] == "numpy"


class ArrayKind(Record):
    """What a signature says of a NumPy array argument: its elements'
    dtype.char (or, in `code`, why native code does not take it), its
    dimensions, its layout ("C": C-contiguous, "A": any strides) and
    whether it refuses stores. Immutable; equal by its fields."""

    __slots__ = ("code", "ndim", "layout", "readonly")

    def __init__(self, code: str, ndim: int, layout: str, readonly: bool = False) -> None:
        self.code = code
        self.ndim = ndim
        self.layout = layout
        self.readonly = readonly

    def _fields(self) -> tuple[str, int, str, bool]:
        return self.code, self.ndim, self.layout, self.readonly

    @property
    def __name__(self) -> str:  # as signatures print argument types, numba's way
        scalar = NUMPY_BY_CODE.get(self.code)
        what = scalar.name[3:] if scalar is not None else self.code
        readonly = ", readonly" if self.readonly else ""
        return f"array({what}, {self.ndim}d, {self.layout}{readonly})"

    def __repr__(self) -> str:
        return self.__name__


class TupleKind(Record):
    """What a signature says of a tuple argument: its items' kinds (types,
    or TupleKinds for tuples inside it). Immutable; equal by its items."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[Any, ...]) -> None:
        self.items = items

    def _fields(self) -> tuple[object, ...]:
        return (self.items,)

    @property
    def __name__(self) -> str:  # as signatures print argument types
        return "tuple(" + ", ".join(getattr(t, "__name__", str(t)) for t in self.items) + ")"

    def __repr__(self) -> str:
        return self.__name__


MAX_TUPLE_SLOTS = 32  # the most numbers a tuple argument holds natively


_TUPLE_KINDS: dict[tuple[type, ...], TupleKind] = {}  # of flat tuples, by their items' types


def _tuple_kind(value: tuple[Any, ...]) -> TupleKind:
    types = tuple(map(type, value))
    kind = _TUPLE_KINDS.get(types)
    if kind is None:
        kind = TupleKind(tuple(_tuple_kind(x) if t is tuple else t
                               for x, t in zip(value, types, strict=True)))
        if tuple not in types and len(_TUPLE_KINDS) < 4096:  # (nested ones are made each time)
            _TUPLE_KINDS[types] = kind
    return kind


_ARRAY_KINDS: dict[tuple[str, int, str, bool], ArrayKind] = {}
_ndarray: list[type] = []  # numpy.ndarray, once an argument has been one


def _array_kind_for(code: str, ndim: int, layout: str, readonly: bool) -> ArrayKind:
    kind = _ARRAY_KINDS.get((code, ndim, layout, readonly))
    if kind is None:
        kind = _ARRAY_KINDS.setdefault((code, ndim, layout, readonly),
                                       ArrayKind(code, ndim, layout, readonly))
    return kind


def _array_kind(a: Any) -> ArrayKind:
    dtype = a.dtype
    code = dtype.char if dtype.isnative and dtype.char in NUMPY_BY_CODE else str(dtype)
    flags = a.flags
    return _array_kind_for(code, a.ndim, "C" if flags.c_contiguous else "A", not flags.writeable)


def _ndarray_type() -> type:
    """numpy.ndarray (NumPy is imported by now if an array signature is compiled)."""
    if not _ndarray:
        import numpy

        _ndarray.append(numpy.ndarray)
    return _ndarray[0]


def _is_ndarray(t: type) -> bool:
    if _ndarray:
        return t is _ndarray[0]
    if _is_numpy(t) and t.__name__ == "ndarray":
        _ndarray.append(t)
        return True
    return False


# The NumPy scalar types native code takes as arguments: (numpy type, IR type),
# filled when NumPy is first seen (so `import jitcore` never imports NumPy).
_NUMPY_ARGUMENTS: dict[type, str] = {}


def _numpy_2() -> bool:
    """Whether the NumPy in use computes as native code does: NumPy 2's rules
    (NEP 50). NumPy 1's value-based casting is not compiled."""
    import numpy

    return int(numpy.__version__.split(".")[0]) >= 2


def _numpy_scalar_type(ir: str) -> type:
    """The NumPy type of IR type `ir` ("np.float64" -> numpy.float64)."""
    import numpy

    return numpy.dtype(NUMPY_SCALARS[ir].code).type  # type: ignore[no-any-return]


def argument_key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The signature a call's arguments select: their types, and for buffers
    (BUFFER_TYPES) and NumPy arrays also the type of their elements."""
    key: tuple[Any, ...] = tuple(map(type, args))
    if any(is_buffer_type(t) or _is_ndarray(t) or t is tuple for t in key):
        key = tuple(_buffer_kind(a) if is_buffer_type(t) else _array_kind(a) if _is_ndarray(t) else
                    _tuple_kind(a) if t is tuple else t for a, t in zip(args, key, strict=True))
    return key


def ir_type(t: Any) -> str | None:
    """The IR type an element of a signature stands for, or None if native code does not take it."""
    if isinstance(t, TupleKind):  # of numbers, None and tuples of those, not too many
        items = [ir_type(x) for x in t.items]
        if any(x is None or tuple_items(x) is None and element_of(x) is not None for x in items):
            return None
        flat = tuple_type(items)  # type: ignore[arg-type]
        return flat if struct.calcsize("<" + _pack_code(flat)) <= 8 * MAX_TUPLE_SLOTS else None
    if isinstance(t, BufferKind):
        element = BUFFER_ELEMENTS.get(t.code)
        if element is None or struct.calcsize(t.code) != element.size:
            return None
        return buffer_type(t.code, t.readonly, t.strided)
    if isinstance(t, ArrayKind):
        if t.code not in NUMPY_BY_CODE or t.ndim not in (1, 2) or not _numpy_2():
            return None
        return array_type(t.code, t.ndim, t.layout, t.readonly)
    if _is_numpy(t) and not _numpy_2():
        return None
    if _is_numpy(t) and t not in _NUMPY_ARGUMENTS and t.__name__ != "ndarray":
        for name in NUMPY_SCALARS:
            _NUMPY_ARGUMENTS[_numpy_scalar_type(name)] = name
    return IR_TYPES.get(t) or _NUMPY_ARGUMENTS.get(t)


# One lock for all compilation: compiling f may compile the functions f calls
# (and, through recursion, f itself), so per-function locks could deadlock.
_COMPILE_LOCK = RLock()
# whose compiles are under way, the innermost last (all under _COMPILE_LOCK)
_compiling: list[Dispatcher] = []
# (dispatcher, signature) compiled, or cached as "runs in CPython", by the
# compiles under way
_compiled_while_compiling: list[tuple[Dispatcher, Key]] = []


# fork() while another thread compiles: the child would inherit the lock held
# by a thread that does not exist there, and hang on its first compile. So a
# fork waits for the compile under way to end (acquire blocks without the GIL,
# so that thread can finish), and the child starts with a fresh lock.
def _before_fork() -> None:
    _COMPILE_LOCK.acquire()


def _after_fork_in_parent() -> None:
    _COMPILE_LOCK.release()


def _after_fork_in_child() -> None:
    global _COMPILE_LOCK
    _COMPILE_LOCK = RLock()
    del _compiled_while_compiling[:], _compiling[:]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


# Internal errors: a compile that failed with anything but CompileError or
# ExecMemError is a bug in jitcore. The call still runs in CPython (a warning
# says so; strict mode raises CompileError from it), the traceback goes to the
# log at DEBUG, and it is counted here, so the test suite can fail on any.
def _internal_error(func: types.FunctionType, exc: Exception) -> CompileError:
    """Record an unexpected exception from compiling func; the CompileError that stands for it."""
    import traceback  # (here: no other path needs it)

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    _internal_error_count[0] += 1
    _internal_errors.append(f"compiling {func.__module__}.{func.__qualname__}:\n{text}")
    del _internal_errors[:-50]
    debug("internal error while compiling %r:\n%s", func, text)
    code = func.__code__
    error = CompileError(f"internal error in jitcore ({type(exc).__name__}: {exc}); this is a "
                         f"jitcore bug: please report it with the DEBUG log of the 'jitcore' logger",
                         code.co_filename, code.co_firstlineno, func.__qualname__)
    error.__cause__ = exc
    return error


def _forget_compiles(mark: int) -> None:
    """Un-cache what was compiled since `mark`: it rests on a wrong recursion assumption."""
    for dispatcher, key in _compiled_while_compiling[mark:]:
        dispatcher._entries.pop(key, None)
        unregister_fast(dispatcher, key)
        if key in dispatcher._cells:  # native callers must not reach code about to be freed
            dispatcher._cells[key][0][0] = deopt_stub().address
    del _compiled_while_compiling[mark:]


class NativeTarget(Record):
    """How compiled code calls another jitted function for one signature.
    Immutable; equal by its fields."""

    __slots__ = ("name", "cell", "status", "results", "is_tuple", "owner", "alternatives",
                 "signature")

    def __init__(self, name: str, cell: int, status: int, results: tuple[Any, ...], is_tuple: bool,
                 owner: Dispatcher, alternatives: tuple[NativeTarget, ...] = (),
                 signature: tuple[str, ...] = ()) -> None:
        self.name = name
        self.cell = cell  # address of the word holding the callee's entry address
        self.status = status  # the status the callee returns with its (single) kind of result
        self.results = results  # IR types of the result: () for None, one, or a tuple's shape
        self.is_tuple = is_tuple
        self.owner = owner  # keeps the callee (and its cells and code) alive
        # A callee that returns different kinds on different paths: one target per
        # kind (status, results, is_tuple as above); the caller goes on with each
        # (frontend: call_jitted). Empty for a callee of one kind.
        self.alternatives = alternatives
        self.signature = signature  # the IR types the callee is called with (its cell's)

    def _fields(self) -> tuple[Any, ...]:
        return (self.name, self.cell, self.status, self.results, self.is_tuple, self.owner,
                self.alternatives, self.signature)

    def __repr__(self) -> str:
        return (f"NativeTarget(name={self.name!r}, cell={self.cell!r}, status={self.status!r}, "
                f"results={self.results!r}, is_tuple={self.is_tuple!r}, owner={self.owner!r}, "
                f"alternatives={self.alternatives!r}, signature={self.signature!r})")

    def __str__(self) -> str:
        return self.name


class _Entry:
    """Native code for one signature, and how to call it."""

    __slots__ = ("compiled", "handle", "pack", "shapes", "pool", "slots", "frame_bytes", "buffers",
                 "records", "nones", "tuples")

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        # The largest native activation a call may stack: its own, or a callee's
        # compiled by now (the native depth budget counts in it).
        callee_frames: list[int] = [
            e.frame_bytes for callee in compiled.callees if isinstance(callee, Dispatcher)
            for e in callee._entries.values() if e is not None]
        self.frame_bytes: int = max([compiled.frame_bytes, *callee_frames])
        self.handle = compiled.block.handle
        # A buffer argument takes three slots: its address, length and undo
        # record; an array more (ir.argument_slots).
        self.pack = struct.Struct("<" + "".join(_pack_code(t) for t in compiled.signature)).pack
        # (position, its Type) of each buffer argument
        self.buffers = tuple((i, u) for i, t in enumerate(compiled.signature)
                             if tuple_items(t) is None and (u := type_named(t)).element is not None)
        # tuple arguments, whose items take the slots (_flat_arguments)
        self.tuples = any(tuple_items(t) is not None for t in compiled.signature)
        self.shapes = compiled.tuple_shapes
        self.records = compiled.records  # callers pass undo records (else 0: passes/records.py)
        self.nones = "none" in compiled.signature  # None arguments, which take no slot
        # result slots: a tuple's elements, or a raise's site and operands (abi.STATUS_RAISE)
        self.slots = max([4 if compiled.raise_sites else 1] + [len(shape_leaves(s)) for s in self.shapes])
        self.pool: list[Any] = []  # result buffers; pop/append are atomic, so threads never share one


class _ShadowGlobals(dict):  # type: ignore[type-arg]
    """The globals of a shadow (Dispatcher._shadow): the module's, read as
    they are looked up, except that a jitted function with native code reads
    as its own shadow (the first time, and from then on, as native code binds
    the functions it calls when it compiles). CPython looks globals up in a
    dict subclass with __getitem__, so __missing__ sees every name not
    replaced yet, and a name the module lacks falls through to builtins."""

    __slots__ = ("module",)

    def __init__(self, module: dict[str, Any]) -> None:
        super().__init__(__builtins__=module.get("__builtins__", builtins))
        self.module = module

    def __missing__(self, name: str) -> Any:
        value = self.module[name]
        if issubclass(type(value), Dispatcher):
            found = shadow(value)
            if found is not None:
                self[name] = found
                return found
        return value


def _pack_code(t: str) -> str:
    """How an argument of IR type t is packed into its slots (None: none, and
    _call_slow leaves None arguments out)."""
    if t == "none":
        return ""
    items = tuple_items(t)
    if items is not None:  # a tuple: its items' slots
        return "".join(_pack_code(x) for x in items)
    if element_of(t) is not None:
        return "q" * argument_slots(t)
    scalar = numpy_scalar(t)
    if scalar is not None and scalar.kind == "b":
        return "?7x"  # a NumPy bool has no __index__: its truth, as a byte, in a zeroed slot
    return PACK_CODES[scalar.register if scalar is not None else t]


def _pin_buffers(args: tuple[Any, ...], buffers: tuple[tuple[int, Type], ...],
                 pins: list[Any], undo: list[Any] | None) -> tuple[Any, ...]:
    """args with each buffer argument (_Entry.buffers) replaced by its slots
    (ir.argument_slots: address, length, a new undo record, added to `undo`,
    or 0 if `undo` is None (code without records, passes/records.py), and
    for arrays their other dimensions and strides, for a strided memoryview
    its stride); the buffers stay exported while `pins` lives
    (runtime.pin_buffer; a memoryview of an array or a strided memoryview)."""
    flat: list[Any] = []
    start = 0

    def record(address: int, length: int, size: int, layout: tuple[int, int, int] | None = None) -> int:
        if undo is None:
            return 0
        r = new_undo(address, length, size, layout)
        undo.append(r)
        return undo_address(r)

    for i, t in buffers:
        flat += args[start:i]
        start = i + 1
        assert t.element is not None
        size = t.element.size
        if t.kind == "buffer" and t.layout == "C":
            handle, address = pin_buffer(args[i])
            pins.append(handle)
            length = len(args[i])
            flat += (address, length, record(address, length, size))
            continue
        a = args[i]
        pins.append(memoryview(a))  # exported: NumPy refuses to resize it, a memoryview to release
        if t.kind == "buffer":  # a strided memoryview (only with the C fast path: _buffer_kind)
            assert _fastcall is not None
            address, length, stride = _fastcall._buffer_start(a)
            flat += (address, length, record(address, length, size, (max(length, 1), 0, stride)), stride)
            continue
        address = a.__array_interface__["data"][0]
        dims, strides = a.shape, a.strides
        inner = dims[1] if t.ndim == 2 else dims[0]
        layout = (max(inner, 1), strides[0] if t.ndim == 2 else 0, strides[-1])
        flat += (address, dims[0], record(address, a.size, size, layout), *dims[1:])
        if t.layout != "C":
            flat += strides
    flat += args[start:]
    return tuple(flat)


# Statuses of a call that finished natively with a scalar result (tuples: STATUS_TUPLE + shape).
_RESULT_STATUSES = frozenset(abi.SCALAR_STATUS.values())


def _tuple_shape(t: str) -> tuple[Any, ...]:
    """Tuple signature type t as a shape (ir.shape_leaves): the C fast path's spec of it."""
    return tuple(_tuple_shape(x) if tuple_items(x) is not None else x for x in tuple_items(t) or ())


def _flat_arguments(args: Sequence[Any]) -> tuple[Any, ...]:
    """Arguments as their slots take them: a tuple's items in its place, None nowhere."""
    flat: list[Any] = []
    for a in args:
        if type(a) is tuple:
            flat += _flat_arguments(a)
        elif a is not None:
            flat.append(a)
    return tuple(flat)


def _box_tuple(out: Any, shape: tuple[Any, ...], slots: Iterator[int]) -> tuple[Any, ...]:
    """A returned tuple of this shape (ir.shape_leaves), boxed from its slots."""
    return tuple(_box_tuple(out, t, slots) if isinstance(t, tuple) else _box(out[next(slots)], t)
                 for t in shape)


def _box(slot: Any, t: str) -> Any:
    if t == "none":
        return None
    if t == FLOAT:
        return slot.d
    if t == BOOL:
        return slot.i != 0
    if t == INT:
        return slot.i
    scalar = NUMPY_SCALARS[t]  # NumPy's own type, made from the value it holds
    return _numpy_scalar_type(t)(slot.d if scalar.register == FLOAT else slot.i)


def call_slow(self: Dispatcher, *args: Any, **kwargs: Any) -> Any:
    """A call, all in Python: what the C base type does for calls it does
    not serve itself (Dispatcher._call_slow, see the end of this module).

    When the call must run in CPython it returns RUN_PY_FUNC (or, after the
    native depth budget ran out, RUN_PY_FUNC_IN_DEPTH_FALLBACK) and its
    caller runs py_func: the C base type, or Dispatcher.__call__ without it.
    So py_func runs with no frame of jitcore's between it and the user's
    call, and recursion reaches RecursionError exactly where CPython does.
    A call that raised in place (a handler it ran, an index out of range:
    abi.STATUS_RAISE) returns (RAISE, the exception), which its caller
    raises, for the same reason.
    """
    raised: BaseException | None = None
    try:
        if kwargs or len(args) < self._nparams:
            bound = bind_arguments(self.py_func, args, kwargs)
            if bound is None:
                return RUN_PY_FUNC  # CPython binds them (or raises TypeError)
            args = tuple(bound)
        key = argument_key(args)
        try:
            entry = self._entries[key]
        except KeyError:
            entry = prepare(self, key)
        except TypeError:  # a type whose metaclass makes it unhashable: not ours to compile
            return RUN_PY_FUNC
        if entry is None:
            return RUN_PY_FUNC
        pins: list[Any] = []
        undo: list[Any] = []
        call_args = args
        if entry.buffers:
            args = _pin_buffers(args, entry.buffers, pins, undo if entry.records else None)
        if entry.tuples:
            args = _flat_arguments(args)
        elif entry.nones:
            args = tuple(a for a in args if a is not None)  # (they take no slot)
        try:
            packed = entry.pack(*args)
        except struct.error:
            return RUN_PY_FUNC  # an int outside int64
        pool = entry.pool
        out = pool.pop() if pool else new_results(entry.slots)
        status = call_packed(entry.handle, packed, out, native_depth_budget(1, entry.frame_bytes))
        if status == abi.STATUS_INTERRUPT:  # raised in place (csrc/inplace.c)?
            try:
                raise_taken()
            except BaseException as exc:  # noqa: BLE001 - it is the call's, raised below
                tb = exc.__traceback__  # (from its own frames on: not this one)
                raised = exc.with_traceback(tb.tb_next if tb is not None else None)
        elif status == abi.STATUS_RAISE:  # CPython raises where the code stopped
            raised = raise_in_place(self, call_args, tuple(out[i].i for i in range(4)), entry)
        if undo:
            # A call that re-runs in CPython takes its stores back; one that
            # finished, or raised where CPython raises, keeps them.
            finished = raised is not None or status in _RESULT_STATUSES or \
                0 <= status - abi.STATUS_TUPLE < len(entry.shapes)
            for record in undo:
                finish_undo(record, not finished)
        del pins  # the buffers may be resized again
        if raised is not None:
            pool.append(out)
            return (RAISE, raised)  # raised by the caller: no frame of ours in its traceback
        if status == abi.STATUS_INT:
            result: Any = out[0].i
        elif status == abi.STATUS_FLOAT:
            result = out[0].d
        elif status == abi.STATUS_BOOL:
            result = out[0].i != 0
        elif status == abi.STATUS_NONE:
            result = None
        elif status in abi.NUMPY_STATUS:
            result = _box(out[0], abi.NUMPY_STATUS[status])
        elif status >= abi.STATUS_TUPLE:
            result = _box_tuple(out, entry.shapes[status - abi.STATUS_TUPLE], iter(range(entry.slots)))
        elif status == abi.STATUS_DEPTH:
            pool.append(out)
            return RUN_PY_FUNC_IN_DEPTH_FALLBACK
        elif status == abi.STATUS_DEOPT or status == abi.STATUS_INTERRUPT:
            # CPython gives the exact answer or exception. After Ctrl-C, its
            # signal handler runs as py_func starts (KeyboardInterrupt).
            pool.append(out)
            return RUN_PY_FUNC
        else:
            raise ExecMemError(f"native code of {self.py_func.__qualname__} could not be called "
                               f"(status {status})")
        pool.append(out)
        return result
    except RecursionError as exc:
        if exc is raised:
            raise  # the call's own (a handler's), not jitcore's
        # Too close to the recursion limit for jitcore's own Python code
        # (this frame took the one py_func needs: once it is gone, py_func
        # has exactly the room CPython gives it). Strict: native or an error.
        if self.strict:
            raise
        return RUN_PY_FUNC


def raise_in_place(self: Dispatcher, args: tuple[Any, ...], bits: tuple[int, ...],
                    entry: _Entry | None = None) -> BaseException:
    """The exception a call with `args` raises where its native code
    returned STATUS_RAISE with result slots `bits` (abi.py; the entry
    is found by the argument types unless given): CPython's own, made by
    evaluating the failing subscript (jitcore/raising.py)."""
    if entry is None:
        entry = self._entries[argument_key(args)]
    assert entry is not None
    site = entry.compiled.raise_sites[bits[0]]
    from .raising import exception_at  # (on first use: import jitcore stays light)

    return exception_at(self.py_func, site, args, bits[1:])


def shadow(self: Dispatcher) -> types.FunctionType | None:
    """py_func's code with globals in which the jitted functions it calls
    are their shadows, or None if no signature compiled to native code.

    What the C base type re-runs in CPython when the re-run is part of a
    deep recursion (csrc/fastcall.c): every level is then a plain Python
    call, as in CPython's own recursion, with no C call in between
    (which would use up the C stack, or 3.12+'s C recursion limit, long
    before the recursion limit). Only code that compiled is shadowed:
    it reads globals only to call jitted functions, use int, float and
    bool constants, math and builtins, and writes none, so its shadow
    computes what py_func computes.
    """
    func = self.py_func
    cached = self.__dict__.get("_shadow_of")
    if cached is not None and cached[0] is func:
        return cached[1]  # type: ignore[no-any-return]
    if not any(entry is not None for entry in self._entries.values()):
        return None
    shadow = types.FunctionType(func.__code__, _ShadowGlobals(func.__globals__), func.__name__,
                                func.__defaults__, func.__closure__)
    shadow.__kwdefaults__ = func.__kwdefaults__
    shadow.__qualname__ = func.__qualname__
    shadow.__module__ = func.__module__
    self._shadow_of = (func, shadow)
    return shadow


def status_error(self: Dispatcher, status: int) -> Any:
    """What _call_slow raises for a status it does not know (called by the C fast path)."""
    if status >= abi.STATUS_TUPLE:
        raise IndexError("list index out of range")  # no such tuple shape
    raise ExecMemError(f"native code of {self.py_func.__qualname__} could not be called "
                       f"(status {status})")


def register_fast(self: Dispatcher, key: Key, entry: _Entry) -> None:
    """Let the C fast path call `entry` for arguments of exactly the types `key`."""
    if _fastcall is None:
        return
    if any(isinstance(t, ArrayKind) or _is_numpy(t) for t in key):
        # (NumPy values, and so NumPy results, come only from NumPy arguments)
        _give_fast_path_numpy_types()
    # buffers, and tuples as ("tuple", their shape: NumPy types by their status)
    buffers = tuple(("tuple", _named_by_status(_tuple_shape(s))) if tuple_items(s) is not None
                    else _fast_buffer_spec(t) for t, s in zip(key, entry.compiled.signature, strict=True))
    # NumPy results in tuples are named by their status (the C side knows no names)
    shapes = [_named_by_status(shape) for shape in entry.shapes]
    try:
        handle = int(_ffi.cast("uintptr_t", entry.handle))
        if not self._add_entry(key, handle, shapes, entry,  # entry keeps the code alive
                               entry.frame_bytes, buffers if entry.buffers or entry.tuples else None,
                               entry.records):
            debug("%r%s is beyond the C fast path's limits", self.py_func, _format(key))
    except Exception as exc:  # noqa: BLE001 - the Python path still serves the calls
        debug("could not register %r%s with the C fast path: %s", self.py_func,
                  _format(key), exc)


def unregister_fast(self: Dispatcher, key: Key) -> None:
    if _fastcall is not None:
        self._remove_entry(key)


def compile_for(self: Dispatcher, *arg_types: type) -> Compiled:
    """Compile for these argument types now (normally the first call does it).

    With no types: the first signature compiled so far, or all ints.
    Raises CompileError if the function cannot be compiled for them.
    """
    if not arg_types:
        for entry in self._entries.values():
            if entry is not None:
                return entry.compiled
        arg_types = (int,) * self._nparams
    entry = prepare(self, tuple(arg_types))
    if entry is None:
        raise self.failure or CompileError(
            f"no native code for argument types {arg_types}",
            self.py_func.__code__.co_filename, self.py_func.__code__.co_firstlineno,
            self.py_func.__qualname__)
    return entry.compiled


def native_target(self: Dispatcher, signature: tuple[str, ...]) -> NativeTarget:
    """Where and how native code calls this function with argument types
    `signature`, compiling it first if need be (CompileError if it can't)."""
    # A buffer passed on natively: the signature of a memoryview of its
    # elements (the code is the same for every buffer of those elements).
    key = tuple(_key_type(t) for t in signature)
    name = self.py_func.__qualname__
    with _COMPILE_LOCK:
        cell = cell_of(self, key)[1]
        if key in self._assumed:  # recursion: this signature is being compiled
            seen = self._returns_so_far[key]
            result = seen[0] if seen else self._assumed[key]
            self._handed_out[key].add(result)
            return _target(self, signature, cell, result, tuple_index=0)
        loading = _loading.get((self, key))
        if loading is not None:  # its code is being loaded (from the code cache): a
            return _targets(self, signature, cell, *loading)  # callee calls back
        entry = self._entries[key] if key in self._entries else prepare(self, key)
        if entry is None:
            failure = self._failures.get(key)
            if failure is not None:
                raise failure  # the root cause: the caller says how it got here
            code = self.py_func.__code__
            raise CompileError(f"called with argument types {_format(key)}, which native code does "
                               f"not take", code.co_filename, code.co_firstlineno, name)
        return _targets(self, signature, cell, entry.compiled.returns, entry.compiled.tuple_shapes)


def _targets(self: Dispatcher, signature: tuple[str, ...], cell: int, returns: list[tuple[str, ...]],
             tuple_shapes: list[tuple[str, ...]]) -> NativeTarget:
    """The NativeTarget of code that returns `returns` (Compiled.returns)."""
    if not returns:
        # Every path of the callee deopts (say, a comparison of a float
        # with an int no double can hold): any expected kind will do,
        # since the call deopts whenever it is made.
        return _target(self, signature, cell, (INT,), 0)
    targets = [_target(self, signature, cell, result, tuple_shapes.index(result[1:])
                       if result[0] == "tuple" else 0) for result in returns]
    if len(targets) == 1:
        return targets[0]
    # returns one of several kinds: the caller goes on with each
    return NativeTarget(self.py_func.__qualname__, cell, -1, (), False, self, tuple(targets),
                        tuple(signature))


def _target(self: Dispatcher, signature: tuple[str, ...], cell: int, result: tuple[str, ...],
            tuple_index: int) -> NativeTarget:
    kind = result[0]
    name, signature = self.py_func.__qualname__, tuple(signature)
    if kind == "tuple":
        return NativeTarget(name, cell, abi.STATUS_TUPLE + tuple_index, result[1:], True, self,
                            signature=signature)
    results = () if kind == "none" else (kind,)
    return NativeTarget(name, cell, abi.SCALAR_STATUS[kind], results, False, self, signature=signature)


def cell_of(self: Dispatcher, key: Key) -> tuple[Any, int]:
    if key not in self._cells:
        self._cells[key] = new_cell(deopt_stub().address)
    return self._cells[key]


def _nested_compile(self: Dispatcher, key: Key, signature: tuple[str, ...]) -> Compiled:
    """_compile, counting how deep compiles nest (compiling f compiles what f calls)."""
    _compiling.append(self)
    try:
        return _compile(self, key, signature)
    finally:
        _compiling.pop()
        if not _compiling:
            del _compiled_while_compiling[:]


def _compile(self: Dispatcher, key: Key, signature: tuple[str, ...]) -> Compiled:
    """compile_function, handling recursion.

    Calls of this very signature made while it is being compiled (direct
    or mutual recursion) must assume a result kind: int first. If the
    function turns out to return another single kind, or the assumption
    makes a function in the cycle fail to compile, compile again assuming
    bool or float; failures recorded by the wrong attempt are forgotten.
    A wrong assumption is never a wrong answer: each native call checks
    the kind its callee returned and deopts on a mismatch.
    """
    compile_function = _compile_function()
    candidates: list[tuple[str, ...]] = [(INT,), (BOOL,), (FLOAT,)]
    tried: list[tuple[str, ...]] = []
    first_error: CompileError | None = None
    while candidates:
        assumption = candidates.pop(0)
        tried.append(assumption)
        mark = len(_compiled_while_compiling)
        self._assumed[key] = assumption
        self._returns_so_far[key] = []
        self._handed_out[key] = set()
        try:
            compiled = compile_function(self.py_func, signature, self._returns_so_far[key])
        except CompileError as exc:
            if not self._handed_out[key]:
                raise  # no recursion involved: another assumption cannot help
            _forget_compiles(mark)
            first_error = first_error or exc
            continue
        finally:
            del self._assumed[key], self._returns_so_far[key]
            handed_out = self._handed_out.pop(key)
        returns = compiled.returns
        if handed_out and len(returns) == 1 and handed_out != {returns[0]} \
                and returns[0] not in tried:
            _forget_compiles(mark)
            candidates.insert(0, returns[0])  # compile again assuming what it really returns
            continue
        return compiled
    assert first_error is not None
    raise first_error


def _load_from_cache(self: Dispatcher, key: Key) -> None:
    """With cache=True: install the code for `key` from the function's cache
    file (jitcore/cache.py) if it has it; else the call compiles as usual.
    Such code compiled once for exactly this function, so the checks a
    compile makes first (the function's shape, the interpreter) held; the
    cache only saves time: any failure of its own is a miss."""
    signature = tuple(ir_type(t) for t in key)
    if len(key) != self._nparams or None in signature:
        return
    from . import cache

    def announce(returns: list[tuple[str, ...]], tuple_shapes: list[tuple[str, ...]]) -> None:
        _loading[self, key] = (returns, tuple_shapes)

    _loading[self, key] = None
    try:
        compiled = cache.load(self, signature, cell_of(self, key)[1], announce)  # type: ignore[arg-type]
        if compiled is None or key in self._entries:
            return
        ensure_interrupt_handler()
        entry = _Entry(compiled)
    except Exception as exc:  # noqa: BLE001 - compile instead
        debug("code cache of %r: %r", self.py_func, exc)
        return
    finally:
        del _loading[self, key]
    _install(self, key, entry)


# (dispatcher, key) whose code is being loaded from the code cache: what its
# record says it returns (None until the record is read). The load prepares its
# callees first; one that calls it back is told what the code it is loading
# returns, as a recursive call being compiled is told what is assumed (and
# checks at run time, as ever, what comes back).
_loading: dict[tuple[Dispatcher, Key], tuple[list[tuple[str, ...]], list[tuple[str, ...]]] | None] = {}


def _keep(self: Dispatcher, key: Key, signature: tuple[str, ...], compiled: Compiled) -> None:
    """With cache=True: write `compiled` to the function's cache file."""
    from . import cache

    try:
        cache.store(self, signature, cell_of(self, key)[1], compiled)
    except Exception as exc:  # noqa: BLE001 - the code runs all the same
        debug("code cache of %r: %r", self.py_func, exc)


def _install(self: Dispatcher, key: Key, entry: _Entry) -> _Entry:
    """Calls of signature `key` run `entry` from now on."""
    compiled = entry.compiled
    compiled.block.owner = f"{self.py_func.__module__}.{self.py_func.__qualname__}"
    self._entries[key] = entry
    register_fast(self, key, entry)  # calls from Python now reach it directly
    cell_of(self, key)[0][0] = compiled.block.address  # native callers now reach it
    if _compiling:  # compiled for an outer compile, which may take it back
        _compiled_while_compiling.append((self, key))
    debug("Installed native code for %r at 0x%x (%d bytes)", self.py_func,
          compiled.block.address, len(compiled.code))
    return entry


def prepare(self: Dispatcher, key: Key) -> _Entry | None:
    with _COMPILE_LOCK:  # threads racing on the first call compile once
        if key in self._entries:
            return self._entries[key]
        if key in self._assumed or (self, key) in _loading:
            # A call made while this very signature compiles (or loads), on
            # this thread (the lock is re-entrant): a signal handler or a
            # finalizer that ran mid-compile. It runs in CPython; the
            # compile under way goes on undisturbed.
            return None
        if self.cache:
            _load_from_cache(self, key)
            if key in self._entries:  # (loaded, or compiled by a callee that called back)
                return self._entries[key]
        code = self.py_func.__code__
        try:
            signature = tuple(ir_type(t) for t in key)
            shape_problem = _check_code_shape(self.py_func)
            # Arguments that look like arrays but that native code does not
            # take are worth a warning (strict: an error); other types run
            # in CPython quietly, as documented.
            odd_buffer = next((t for t, s in zip(key, signature, strict=True)
                               if s is None and (isinstance(t, (BufferKind, ArrayKind)) or _is_numpy(t))),
                              None) if len(key) == self._nparams else None
            if shape_problem is None and odd_buffer is None \
                    and (len(key) != self._nparams or None in signature):
                if self.strict and len(key) == self._nparams:  # native or an exception (_fail)
                    i = signature.index(None)
                    raise CompileError(_why_not_native(code.co_varnames[i], key[i]), code.co_filename,
                                       code.co_firstlineno, self.py_func.__qualname__)
                self._entries[key] = None  # CPython handles (or rejects) these arguments
                return None
            debug("JIT-compiling %r for %s", self.py_func, _format(key))
            unavailable = why_no_native_code()
            if unavailable is not None:
                raise CompileError(f"no native code here: {unavailable}", code.co_filename,
                                   code.co_firstlineno, self.py_func.__qualname__)
            ensure_interrupt_handler()  # Ctrl-C stops its loops (again, after signal.signal())
            if shape_problem is not None:
                raise shape_problem
            if odd_buffer is not None:
                raise CompileError(_why_not_taken(odd_buffer), code.co_filename,
                                   code.co_firstlineno, self.py_func.__qualname__)
            compiled = _nested_compile(self, key, signature)  # type: ignore[arg-type]
            if self.cache:
                _keep(self, key, signature, compiled)  # type: ignore[arg-type]
            if compiled.capped:
                # Paths that bring a block more type states than it is compiled
                # for deopt: strict, an error; else a warning, and native code.
                if self.strict:
                    raise compiled.capped[0]
                capped = compiled.capped[0]
                import warnings  # (here: importing the compiler, a first call, stays lighter)

                warnings.warn(f"{capped.filename}:{capped.lineno}: {capped.function}() runs "
                              f"natively, but {capped.construct}: calls that bring it another "
                              f"one run in {_INTERPRETER}", JitWarning, stacklevel=user_stacklevel())
            entry = _Entry(compiled)
        except RecursionError as exc:
            if native_depth_budget(0) > _COMPILER_FRAMES:
                # with room to spare: the function itself is too deep for the compiler
                too_deep = CompileError(f"too deeply nested to compile ({exc})",
                                        code.co_filename, code.co_firstlineno,
                                        self.py_func.__qualname__)
                too_deep.__cause__ = exc
                fail(self, key, too_deep)
                return None
            # Called too close to the recursion limit for the compiler
            # itself: nothing is wrong with the function. Run this call in
            # CPython and compile on a later call (strict: say so).
            if self.strict:
                raise CompileError("not enough recursion depth left to compile it here; "
                                   "call it first from a shallower frame", code.co_filename,
                                   code.co_firstlineno, self.py_func.__qualname__) from exc
            debug("no stack left to compile %r here: this call runs in CPython",
                      self.py_func)
            return None
        except CompileError as exc:
            failure: CompileError = exc
        except ImportError as exc:  # of the compiler, the first time: a sandbox that maps no
            # more extension modules, a broken install (as dispatcher._without_compiler)
            failure = CompileError(f"jitcore's compiler did not load ({type(exc).__name__}: {exc})",
                                   code.co_filename, code.co_firstlineno, self.py_func.__qualname__)
            failure.__cause__ = exc
        except ExecMemError as exc:
            failure = CompileError(f"no executable memory: {exc}", code.co_filename,
                                   code.co_firstlineno, self.py_func.__qualname__)
            failure.__cause__ = exc
        except Exception as exc:  # noqa: BLE001 - a jitcore bug must not break the call
            failure = _internal_error(self.py_func, exc)
        else:
            return _install(self, key, entry)
        fail(self, key, failure)
        return None


def fail(self: Dispatcher, key: Key, failure: CompileError) -> None:
    """Signature `key` runs in CPython from now on (strict: raise `failure`).
    Called by _prepare, under _COMPILE_LOCK."""
    self.failure = failure
    self._failures[key] = failure
    if self.strict and _in_rerun():
        return  # (not cached: a call of the user's own is refused again)
    if self.strict:
        raise failure  # its __cause__ says what went wrong inside
    self._entries[key] = None
    if _compiling:
        _compiled_while_compiling.append((self, key))
    if not self._warned and not _compiling:
        self._warned = True
        import warnings  # (here: importing the compiler, a first call, stays lighter)

        warnings.warn(f"{failure}; running it in {_INTERPRETER}", JitWarning,
                      stacklevel=user_stacklevel())


def _named_by_status(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """A tuple shape for the C fast path: NumPy types named by their status."""
    return tuple(_named_by_status(t) if isinstance(t, tuple) else
                 abi.SCALAR_STATUS[t] if numpy_scalar(t) is not None else t for t in shape)


def _in_rerun() -> bool:
    """Whether this thread is running a call in CPython on jitcore's behalf (a
    deopt's re-run, or arguments native code does not take): there a strict
    dispatcher does what CPython does instead of raising CompileError, as the
    re-run must give CPython's outcome (a strict caller's native code was fine;
    a value only its re-run computes, a complex say, reaches the callee)."""
    if _fastcall is not None:
        return _fastcall._reruns() > 0
    return getattr(_python_reruns, "n", 0) > 0


def _why_not_native(name: str, t: Any) -> str:
    """Why a call cannot run natively: parameter `name` got an argument of
    type t, which native code does not take (strict=True says so), and what to do."""
    what = getattr(t, "__name__", str(t))
    if t is list:
        hint = "pass an array.array or a NumPy array instead (native code reads buffers)"
    elif isinstance(t, TupleKind):
        hint = (f"native code takes tuples of int, float, bool, None, NumPy scalars and such tuples, "
                f"{MAX_TUPLE_SLOTS} numbers at most; pass an array.array or a NumPy array for more")
    elif isinstance(t, type) and issubclass(t, (int, float)) and t not in (int, float, bool):
        base = "int" if issubclass(t, int) else "float"
        hint = f"pass {base}(x) (native code takes exactly int, float and bool, not subclasses)"
    else:
        hint = ("native code takes int, float, bool, None, NumPy scalars, buffers (bytes, "
                "bytearray, array.array, memoryview) and NumPy arrays")
    return f"parameter {name!r} is a {what}: {hint}"


def _why_not_taken(t: Any) -> str:
    """Why native code does not take an argument of signature type t (an
    array-like one: a warning says so)."""
    if (isinstance(t, ArrayKind) or _is_numpy(t)) and not _numpy_2():
        return "a NumPy argument with NumPy 1 (native code computes with NumPy 2's rules: upgrade NumPy)"
    if isinstance(t, ArrayKind):
        return (f"a NumPy {t.__name__} argument (native code takes NumPy arrays of 1 or 2 "
                f"dimensions, in native byte order, of dtypes "
                f"{', '.join(s.name[3:] for s in NUMPY_SCALARS.values())})")
    if isinstance(t, BufferKind):
        return (f"a {t.__name__} argument (native code reads buffers of elements "
                f"{' '.join(BUFFER_ELEMENTS)}, of one dimension)")
    return f"a NumPy {t.__name__} argument (not compiled yet)"


_numpy_types_given = [False]


def _give_fast_path_numpy_types() -> None:
    """Tell the C fast path NumPy's scalar types (it boxes NumPy results with them)."""
    if not _numpy_types_given[0] and _fastcall is not None:
        _fastcall._set_numpy_types(tuple(_numpy_scalar_type(name) for name in NUMPY_SCALARS))
        _numpy_types_given[0] = True


def _fast_buffer_spec(t: Any) -> tuple[Any, ...] | None:
    """How the C fast path is told of a buffer argument of signature type t
    (fastcall.c, buffer_spec): a flat buffer by its type, element code and
    whether it is read-only, an array (or a strided memoryview, a 1-D one)
    also by dimensions and whether it has strides; None for other types."""
    if isinstance(t, BufferKind):
        return (t.type, t.code, t.readonly, 1, True) if t.strided else (t.type, t.code, t.readonly)
    if isinstance(t, ArrayKind):
        return (_ndarray_type(), t.code, t.readonly, t.ndim, t.layout != "C")
    return None


def _key_type(t: str) -> type | BufferKind | ArrayKind | TupleKind:
    """The signature element that IR type t (as native code passes it on) stands for."""
    items = tuple_items(t)
    if items is not None:
        return TupleKind(tuple(_key_type(x) for x in items))
    u = type_named(t)
    if u.element is None:
        return PY_TYPES[t] if t in PY_TYPES else _numpy_scalar_type(t)
    if u.kind == "array":
        return _array_kind_for(u.element.code, u.ndim, u.layout, u.readonly)
    return _buffer_kind_for(memoryview, u.element.code, u.readonly, u.layout == "A")


def bind_arguments(func: types.FunctionType, args: Sequence[Any],
                   kwargs: dict[str, Any]) -> list[Any] | None:
    """The arguments of a call of func with keywords or defaults as its
    parameters take them, positionally (a default as it is); None where
    CPython raises TypeError. (Also the front end's, for native calls.)"""
    code = func.__code__
    names = code.co_varnames[:code.co_argcount]
    if len(args) > len(names):
        return None
    missing = object()
    values = list(args) + [missing] * (len(names) - len(args))
    for name, value in kwargs.items():
        if name not in names or names.index(name) < code.co_posonlyargcount \
                or values[names.index(name)] is not missing:
            return None  # no such parameter, positional-only, or given twice
        values[names.index(name)] = value
    defaults = func.__defaults__ or ()
    first = len(names) - len(defaults)
    for i, value in enumerate(values):
        if value is missing:
            if i < first:
                return None
            values[i] = defaults[i - first]
    return values


# Plain (undecorated) functions that jitted code calls are compiled as if
# decorated (frontend: do_load_global, when the caller compiles): one
# Dispatcher per function, alive while compiled code calls it (Compiled.callees
# holds it; the dispatcher holds the function, so its id stays its own).
# (Made on first use: weakref is a slow import, and few programs need it.)
_plain_helpers: weakref.WeakValueDictionary[int, Dispatcher] | None = None


def helper_dispatcher(func: types.FunctionType, cache: bool = False) -> Dispatcher:
    """The dispatcher through which jitted code calls plain function `func`:
    with cache=True (given, or that of the function being compiled) its code
    is kept in the code cache too, as its caller's is."""
    global _plain_helpers
    with _COMPILE_LOCK:
        if _plain_helpers is None:
            import weakref

            _plain_helpers = weakref.WeakValueDictionary()
        found = _plain_helpers.get(id(func))
        if found is None or found.py_func is not func:
            found = _plain_helpers[id(func)] = Dispatcher(func)
        if cache or (_compiling and _compiling[-1].cache):
            found.cache = True
        return found


def _format(key: Key) -> str:
    return "(" + ", ".join(t.__name__ for t in key) + ")"


# The Python path of a call is looked up by the C fast path as an attribute
# (Dispatcher._call_slow) on every call it does not serve. Dispatcher's own
# _call_slow imports this module on the first such call; from then on the
# class holds call_slow itself, so no frame of jitcore's stands between the
# user's call and call_slow (a recursion reaches RecursionError exactly where
# CPython's does).
Dispatcher._call_slow = call_slow  # type: ignore[method-assign]
