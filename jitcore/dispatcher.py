"""The object `@jit` puts in place of a function.

On its first call it compiles the function (compiler.py); from then on each
call checks that the arguments are what the native code handles (exact ints
that fit in int64, the right number of them, no keywords) and runs the native
code. Everything else, and every call whose native run reports that it cannot
give CPython's answer (int64 overflow), runs the original function: the
result is always exactly CPython's.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import types
import warnings
from typing import Any, Callable, Optional, TypeVar, Union, overload

from .abi import STATUS_INT, STATUS_NONE
from .compiler import Compiled, compile_function
from .errors import CompileError, JitWarning
from .ir import INT64_MAX, INT64_MIN
from .runtime import ExecMemError

log = logging.getLogger("jitcore")

F = TypeVar("F", bound=Callable[..., Any])


class Dispatcher:
    """A jitted function: call it like the original, which stays available as `py_func`."""

    def __init__(self, py_func: types.FunctionType, strict: bool = False) -> None:
        if not isinstance(py_func, types.FunctionType):
            raise TypeError(f"@jit decorates Python functions (def), not {type(py_func).__name__}")
        functools.update_wrapper(self, py_func)
        self.py_func = py_func
        self.strict = strict
        self.compiled: Optional[Compiled] = None
        self.failure: Optional[Exception] = None  # why it runs in CPython, once known
        self._nparams = py_func.__code__.co_argcount
        self._native_call: Optional[Callable[[Any], Any]] = None
        self._lock = threading.Lock()
        log.debug("Installing JIT for %r", py_func)

    def __repr__(self) -> str:
        return f"<jitcore.jit {self.py_func.__module__}.{self.py_func.__qualname__}>"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # Behave like a function when stored in a class: bind to the instance.
        return self if obj is None else types.MethodType(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        native_call = self._native_call
        if native_call is None:
            native_call = self._compile_once()
            if native_call is None:
                return self.py_func(*args, **kwargs)
        if kwargs or len(args) != self._nparams:
            return self.py_func(*args, **kwargs)
        for arg in args:
            # Exactly int (not bool or another subclass), and int64-sized.
            if type(arg) is not int or not INT64_MIN <= arg <= INT64_MAX:
                return self.py_func(*args)
        status, result = native_call(args)
        if status == STATUS_INT:
            return result
        if status == STATUS_NONE:
            return None
        return self.py_func(*args)  # STATUS_DEOPT: CPython gives the exact answer

    def compile(self) -> Compiled:
        """Compile now (normally the first call does it); raise if it cannot be compiled."""
        self._compile_once()
        if self.compiled is None:
            assert self.failure is not None
            raise self.failure
        return self.compiled

    def _compile_once(self) -> Optional[Callable[[Any], Any]]:
        with self._lock:  # threads racing on the first call compile once
            if self._native_call is not None or self.failure is not None:
                return self._native_call
            log.debug("JIT-compiling %r", self.py_func)
            try:
                compiled = compile_function(self.py_func)
            except CompileError as exc:
                self.failure = exc
            except ExecMemError as exc:
                code = self.py_func.__code__
                self.failure = CompileError(f"no executable memory: {exc}", code.co_filename,
                                            code.co_firstlineno, self.py_func.__qualname__)
                self.failure.__cause__ = exc
            else:
                self.compiled = compiled
                self._native_call = compiled.block.call
                log.debug("Installed native code for %r at 0x%x (%d bytes)", self.py_func,
                          compiled.block.address, len(compiled.code))
                return self._native_call
        if self.strict:
            raise self.failure
        warnings.warn(f"{self.failure}; running it in CPython", JitWarning, stacklevel=3)
        return None


@overload
def jit(func: F) -> F: ...
@overload
def jit(*, strict: bool = False) -> Callable[[F], F]: ...


def jit(func: Optional[F] = None, *, strict: bool = False) -> Union[F, Callable[[F], F]]:
    """Compile a function to x86-64 machine code on its first call.

    Use as `@jit` or `@jit(strict=True)`. With strict=True a function jitcore
    cannot compile raises CompileError on its first call instead of running in
    CPython with a JitWarning. With JITCORE_DISABLE=1 in the environment the
    function is returned unchanged.
    """

    def decorate(f: F) -> F:
        if os.environ.get("JITCORE_DISABLE", "") not in ("", "0"):
            return f
        return Dispatcher(f, strict=strict)  # type: ignore[arg-type, return-value]

    return decorate if func is None else decorate(func)
