"""The object `@jit` puts in place of a function.

Each call looks up the native code for the types of its arguments (a
signature such as `(int, float)`), compiling it on the first call with those
types. Arguments are packed into 8-byte slots with `struct` (which also
rejects ints outside int64), the native code runs, and its status says how to
box the result. Everything native code does not handle runs the original
function: other argument types, keyword arguments, the wrong number of
arguments, ints that do not fit in int64, and every call whose native run
reports that it cannot give CPython's answer (int64 overflow, an exception
CPython would raise). The result is always exactly CPython's.
"""

from __future__ import annotations

import functools
import logging
import os
import struct
import threading
import types
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union, overload

from . import abi
from .compiler import Compiled, compile_function
from .errors import CompileError, JitWarning
from .frontend import check_code_shape
from .ir import BOOL, FLOAT, INT
from .runtime import ExecMemError, call_packed, new_results

log = logging.getLogger("jitcore")

F = TypeVar("F", bound=Callable[..., Any])

IR_TYPES = {int: INT, bool: BOOL, float: FLOAT}
PY_TYPES = {INT: int, BOOL: bool, FLOAT: float}
PACK_CODES = {INT: "q", BOOL: "q", FLOAT: "d"}


class _Entry:
    """Native code for one signature, and how to call it."""

    __slots__ = ("compiled", "handle", "pack", "shapes", "pool", "slots")

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        self.handle = compiled.block.handle
        self.pack = struct.Struct("<" + "".join(PACK_CODES[t] for t in compiled.signature)).pack
        self.shapes = compiled.tuple_shapes
        self.slots = max([1] + [len(s) for s in self.shapes])
        self.pool: List[Any] = []  # result buffers; pop/append are atomic, so threads never share one


def _box(slot: Any, t: str) -> Any:
    if t == FLOAT:
        return slot.d
    if t == BOOL:
        return slot.i != 0
    return slot.i


class Dispatcher:
    """A jitted function: call it like the original, which stays available as `py_func`."""

    def __init__(self, py_func: types.FunctionType, strict: bool = False) -> None:
        if not isinstance(py_func, types.FunctionType):
            raise TypeError(f"@jit decorates Python functions (def), not {type(py_func).__name__}")
        functools.update_wrapper(self, py_func)
        self.py_func = py_func
        self.strict = strict
        self.failure: Optional[Exception] = None  # why the last failed signature runs in CPython
        self._nparams = py_func.__code__.co_argcount
        # argument types -> native code, or None: that signature runs in CPython
        self._entries: Dict[Tuple[type, ...], Optional[_Entry]] = {}
        self._warned = False
        self._lock = threading.RLock()
        log.debug("Installing JIT for %r", py_func)

    def __repr__(self) -> str:
        return f"<jitcore.jit {self.py_func.__module__}.{self.py_func.__qualname__}>"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # Behave like a function when stored in a class: bind to the instance.
        return self if obj is None else types.MethodType(self, obj)

    @property
    def signatures(self) -> List[Tuple[type, ...]]:
        """The argument types compiled to native code so far, e.g. [(int, float)]."""
        return [key for key, entry in self._entries.items() if entry is not None]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            return self.py_func(*args, **kwargs)
        key = tuple(map(type, args))
        try:
            entry = self._entries[key]
        except KeyError:
            entry = self._prepare(key)
        if entry is None:
            return self.py_func(*args)
        try:
            packed = entry.pack(*args)
        except struct.error:
            return self.py_func(*args)  # an int outside int64
        pool = entry.pool
        out = pool.pop() if pool else new_results(entry.slots)
        status = call_packed(entry.handle, packed, out)
        if status == abi.STATUS_INT:
            result: Any = out[0].i
        elif status == abi.STATUS_FLOAT:
            result = out[0].d
        elif status == abi.STATUS_BOOL:
            result = out[0].i != 0
        elif status == abi.STATUS_NONE:
            result = None
        elif status >= abi.STATUS_TUPLE:
            shape = entry.shapes[status - abi.STATUS_TUPLE]
            result = tuple(_box(out[i], t) for i, t in enumerate(shape))
        elif status == abi.STATUS_DEOPT:
            pool.append(out)
            return self.py_func(*args)  # CPython gives the exact answer or exception
        else:
            raise ExecMemError(f"native code of {self.py_func.__qualname__} could not be called "
                               f"(status {status})")
        pool.append(out)
        return result

    def compile(self, *arg_types: type) -> Compiled:
        """Compile for these argument types now (normally the first call does it).

        With no types: the first signature compiled so far, or all ints.
        Raises CompileError if the function cannot be compiled for them.
        """
        if not arg_types:
            for entry in self._entries.values():
                if entry is not None:
                    return entry.compiled
            arg_types = (int,) * self._nparams
        entry = self._prepare(tuple(arg_types))
        if entry is None:
            raise self.failure or CompileError(
                f"no native code for argument types {arg_types}",
                self.py_func.__code__.co_filename, self.py_func.__code__.co_firstlineno,
                self.py_func.__qualname__)
        return entry.compiled

    def _prepare(self, key: Tuple[type, ...]) -> Optional[_Entry]:
        with self._lock:  # threads racing on the first call compile once
            if key in self._entries:
                return self._entries[key]
            signature = tuple(IR_TYPES.get(t) for t in key)
            shape_problem = check_code_shape(self.py_func)
            if shape_problem is None and (len(key) != self._nparams or None in signature):
                self._entries[key] = None  # CPython handles (or rejects) these arguments
                return None
            log.debug("JIT-compiling %r for %s", self.py_func, _format(key))
            try:
                if shape_problem is not None:
                    raise shape_problem
                compiled = compile_function(self.py_func, signature)  # type: ignore[arg-type]
            except CompileError as exc:
                failure: Exception = exc
            except ExecMemError as exc:
                code = self.py_func.__code__
                failure = CompileError(f"no executable memory: {exc}", code.co_filename,
                                       code.co_firstlineno, self.py_func.__qualname__)
                failure.__cause__ = exc
            else:
                entry = self._entries[key] = _Entry(compiled)
                log.debug("Installed native code for %r at 0x%x (%d bytes)", self.py_func,
                          compiled.block.address, len(compiled.code))
                return entry
            self.failure = failure
            if self.strict:
                raise failure
            self._entries[key] = None
            if not self._warned:
                self._warned = True
                warnings.warn(f"{failure}; running it in CPython", JitWarning, stacklevel=3)
            return None


def _format(key: Tuple[type, ...]) -> str:
    return "(" + ", ".join(t.__name__ for t in key) + ")"


@overload
def jit(func: F) -> F: ...
@overload
def jit(*, strict: bool = False) -> Callable[[F], F]: ...


def jit(func: Optional[F] = None, *, strict: bool = False) -> Union[F, Callable[[F], F]]:
    """Compile a function to x86-64 machine code on its first call (per argument types).

    Use as `@jit` or `@jit(strict=True)`. With strict=True a function jitcore
    cannot compile raises CompileError on the call instead of running in
    CPython with a JitWarning. With JITCORE_DISABLE=1 in the environment the
    function is returned unchanged.
    """

    def decorate(f: F) -> F:
        if os.environ.get("JITCORE_DISABLE", "") not in ("", "0"):
            return f
        return Dispatcher(f, strict=strict)  # type: ignore[arg-type, return-value]

    return decorate if func is None else decorate(func)
