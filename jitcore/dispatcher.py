"""The object `@jit` puts in place of a function: jitcore.Dispatcher.

Calls with arguments of exactly a compiled signature are served by its C base
type (jitcore._fastcall.DispatcherBase, csrc/fastcall.c), which calls the
native code and boxes the result. Every other call, and the first call of each
signature, takes the Python path in jitcore/calls.py, which compiles. This
module imports nothing heavy (not the compiler, not cffi, not typing): `import
jitcore` and decorating stay cheap, and a program pays for the compiler only
when it first calls a jitted function.
"""

from __future__ import annotations

import os
import sys
import types
from _thread import _local

from .errors import CompileError

# `typing` takes milliseconds to import: type checkers see it, the program does not.
TYPE_CHECKING = False
if not TYPE_CHECKING:
    def overload(func):  # (only type checkers read the overloads of jit)
        return func
else:
    from collections.abc import Callable
    from typing import Any, TypeVar, overload
    from weakref import WeakValueDictionary

    from .calls import Key, NativeTarget, _Entry
    from .compiler import Compiled

    F = TypeVar("F", bound=Callable[..., Any])

# The fast path of a call (csrc/fastcall.c): Dispatcher's base type calls the
# native code itself for arguments of exactly the compiled types and hands
# every other call to Dispatcher._call_slow. Without it (a platform where it
# was not built) every call takes _call_slow, with the same results.
try:
    from . import _fastcall as _fastcall  # (re-exported: calls.py uses it)
except ImportError as _exc:  # pragma: no cover - platform dependent
    _fastcall = None  # type: ignore[assignment]
    _DispatcherBase: type = object
    _FASTCALL_MISSING = str(_exc)  # logged by calls.py when it loads
else:
    _DispatcherBase = _fastcall.DispatcherBase

if _fastcall is not None:
    RUN_PY_FUNC: object = _fastcall.RUN_PY_FUNC
    RUN_PY_FUNC_IN_DEPTH_FALLBACK: object = _fastcall.RUN_PY_FUNC_IN_DEPTH_FALLBACK
    RAISE: object = _fastcall.RAISE
else:
    RUN_PY_FUNC = object()
    RUN_PY_FUNC_IN_DEPTH_FALLBACK = object()
    RAISE = object()

# Internal errors: a compile that failed with anything but CompileError or
# ExecMemError is a bug in jitcore. The call still runs in CPython (a warning
# says so; strict mode raises CompileError from it), the traceback goes to the
# log at DEBUG, and it is counted here (calls._internal_error), so the test
# suite can fail on any.
_internal_errors: list[str] = []  # their tracebacks, the newest last (at most 50 kept)
_internal_error_count = [0]


def internal_error_count() -> int:
    """How many compiles in this process failed with an internal error (a jitcore bug)."""
    return _internal_error_count[0]


def internal_errors() -> list[str]:
    """The tracebacks of the latest internal errors (see internal_error_count)."""
    return list(_internal_errors)


def debug(message: str, *args: object) -> None:
    """Log to the `jitcore` logger at DEBUG, if the program could have
    configured it: one that never imported logging cannot listen, and
    importing it here would cost `import jitcore` (and the first call) milliseconds."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger("jitcore").debug(message, *args)


def user_stacklevel() -> int:
    """The stacklevel that makes warnings.warn, called by this function's
    caller, name the first frame outside jitcore: the user's call (or
    decoration), however many of jitcore's frames lie in between."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("jitcore."):
        frame = frame.f_back
        level += 1
    return level


def _without_compiler(dispatcher: Dispatcher, exc: ImportError) -> object:
    """A call when jitcore's compiler cannot be imported: it runs in CPython,
    with one JitWarning per function (strict: CompileError)."""
    from .errors import JitWarning

    code = dispatcher.py_func.__code__
    failure = CompileError(f"jitcore's compiler did not load ({type(exc).__name__}: {exc})",
                           code.co_filename, code.co_firstlineno, dispatcher.py_func.__qualname__)
    failure.__cause__ = exc
    dispatcher.failure = failure
    if dispatcher.strict:
        raise failure
    if not dispatcher._warned:
        dispatcher._warned = True
        import warnings

        warnings.warn(f"{failure}; running it in CPython", JitWarning, stacklevel=user_stacklevel())
    return RUN_PY_FUNC


_python_reruns = _local()  # without the C fast path: re-runs under way (n)


def _update_wrapper(wrapper: object, func: types.FunctionType) -> None:
    """functools.update_wrapper (which would import functools and collections)."""
    for name in ("__module__", "__name__", "__qualname__", "__doc__", "__annotations__",
                 "__type_params__"):
        try:
            value = getattr(func, name)
        except AttributeError:
            continue
        setattr(wrapper, name, value)
    wrapper.__dict__.update(func.__dict__)
    wrapper.__wrapped__ = func  # type: ignore[attr-defined]


class Dispatcher(_DispatcherBase):  # type: ignore[misc]
    """A jitted function: call it like the original, which stays available as `py_func`.

    A call is served by the C base type (jitcore._fastcall.DispatcherBase)
    when there are no keywords and the arguments are exactly of a compiled
    signature (ints fitting in int64): it calls the native code registered
    with calls.register_fast and boxes the result itself, and on a deopt runs
    py_func. Every other call goes to _call_slow (calls.call_slow), which does
    the same in Python (compiling a new signature first) and gives the same
    results. What needs the compiler lives in jitcore/calls.py, imported by
    the first call: the methods below that need it hand over to it.
    """

    def __init__(self, py_func: types.FunctionType, strict: bool = False,
                 nogil: bool = False) -> None:
        if not isinstance(py_func, types.FunctionType):
            raise TypeError(f"@jit decorates Python functions (def), not {type(py_func).__name__}")
        _update_wrapper(self, py_func)
        self.py_func = py_func
        self.strict = strict
        self.nogil = nogil
        if _fastcall is not None:
            self._set_nogil(nogil)
        self.failure: Exception | None = None  # why the last failed signature runs in CPython
        self._failures: dict[Key, CompileError] = {}  # why each failed signature does
        self._nparams = py_func.__code__.co_argcount
        # argument types -> native code, or None: that signature runs in CPython
        self._entries: dict[Key, _Entry | None] = {}
        self._warned = False
        # Cells through which native callers reach each signature's code:
        # the deopt stub until that signature compiles. If __init__ runs
        # again, callers compiled before still read the cells they were given:
        # they stay, sending those calls to the deopt stub (the callers then
        # re-run in CPython, which calls the new py_func) until the signature
        # compiles again.
        cells: dict[Key, tuple[Any, int]] = self.__dict__.get("_cells", {})
        if cells:
            from .runtime import deopt_stub

            for cell, _ in cells.values():
                cell[0] = deopt_stub().address
        self._cells = cells
        # Signatures being compiled: the result their recursive calls assume if
        # no return statement has been translated yet, the returns translated
        # so far, and the results recursive calls were told to expect.
        self._assumed: dict[Key, tuple[str, ...]] = {}
        self._returns_so_far: dict[Key, list[tuple[str, ...]]] = {}
        self._handed_out: dict[Key, set[tuple[str, ...]]] = {}
        for key in self._fast_signatures() if _fastcall is not None else ():
            self._remove_entry(key)  # only if __init__ runs again: forget the old code
        debug("Installing JIT for %r", py_func)

    def __repr__(self) -> str:
        return f"<jitcore.jit {self.py_func.__module__}.{self.py_func.__qualname__}>"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # Behave like a function when stored in a class: bind to the instance.
        return self if obj is None else types.MethodType(self, obj)

    @property
    def signatures(self) -> list[Key]:
        """The argument types compiled to native code so far, e.g. [(int, float)]."""
        return [key for key, entry in self._entries.items() if entry is not None]

    # What needs the compiler: jitcore/calls.py, imported on first use.

    def _call_slow(self, *args: Any, **kwargs: Any) -> Any:
        """The Python path of a call (calls.call_slow). Runs once per process:
        importing jitcore.calls puts calls.call_slow in its place."""
        try:
            from .calls import call_slow
        except ImportError as exc:  # say, a sandbox that no longer maps extension modules
            return _without_compiler(self, exc)
        return call_slow(self, *args, **kwargs)

    def compile(self, *arg_types: type) -> Compiled:
        """Compile for these argument types now (normally the first call does it).

        With no types: the first signature compiled so far, or all ints.
        Raises CompileError if the function cannot be compiled for them.
        """
        from .calls import compile_for

        return compile_for(self, *arg_types)

    def native_target(self, signature: tuple[str, ...]) -> NativeTarget:
        """Where and how native code calls this function with argument types
        `signature` (IR types), compiling it first if need be (CompileError if it can't)."""
        from .calls import native_target

        return native_target(self, signature)

    def _raise_in_place(self, args: tuple[Any, ...], bits: tuple[int, ...],
                        entry: _Entry | None = None) -> BaseException:
        """For the C fast path: calls.raise_in_place."""
        from .calls import raise_in_place

        return raise_in_place(self, args, bits, entry)

    def _status_error(self, status: int) -> Any:
        """For the C fast path: calls.status_error."""
        from .calls import status_error

        return status_error(self, status)

    def _shadow(self) -> types.FunctionType | None:
        """For the C fast path: calls.shadow."""
        from .calls import shadow

        return shadow(self)

    if _fastcall is None:  # no C base type: calls come here directly
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            result = self._call_slow(*args, **kwargs)
            if result is RUN_PY_FUNC or result is RUN_PY_FUNC_IN_DEPTH_FALLBACK:
                _python_reruns.n = getattr(_python_reruns, "n", 0) + 1
                try:
                    return self.py_func(*args, **kwargs)
                finally:
                    _python_reruns.n -= 1
            if type(result) is tuple and len(result) == 2 and result[0] is RAISE:
                raise result[1]
            return result

    # The constructor's options, which a jitted function pickled by value
    # carries (tests/test_pickling.py checks that this names every one).
    _PICKLED_OPTIONS = ("strict", "nogil")

    def __reduce__(self) -> str | tuple[Any, ...]:
        # A jitted function pickles the way its py_func would, so that
        # whatever pickler a cluster uses sends it as it sends functions:
        # - By reference (module and qualified name, looked up again when
        #   unpickled) when that name leads back to this object, as pickle
        #   does functions: another process (a multiprocessing or Dask
        #   worker) imports the module and uses its own jitted function,
        #   compiling its own native code; in this process unpickling gives
        #   this object back.
        # - By value otherwise (lambdas, functions made inside functions):
        #   _rebuild(py_func, options), so the pickler stores py_func its own
        #   way. cloudpickle stores it by value and the unpickling process
        #   compiles its own code for it; pickle fails with the error it
        #   raises for the plain function (AttributeError or PicklingError).
        # - A function of __main__ is the one case where the pickler decides:
        #   pickle stores functions there by name (multiprocessing's workers
        #   find them: 'fork' inherits them, 'spawn' runs the script again as
        #   __mp_main__), cloudpickle by value (joblib's and Dask's workers do
        #   not run the script). cloudpickle decides that for functions in its
        #   reducer_override, but a Dispatcher is no function, so we ask the
        #   same question for it: whether the pickler that is dumping takes
        #   py_func its own way (its reducer_override returns a reduction, not
        #   NotImplemented). That needs no import of cloudpickle.
        if _found_by_name(self) and not (self.__module__ == "__main__"
                                         and _dumping_pickler_takes(self.py_func)):
            return str(self.py_func.__qualname__)
        options = {name: getattr(self, name) for name in self._PICKLED_OPTIONS}
        return _rebuild, (self.py_func, options)

    # A jitted function is immutable to copy, as a function is (its compiled
    # code is a cache): copies are the object itself, whichever way it pickles.
    def __copy__(self) -> Dispatcher:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Dispatcher:
        return self

    def __getstate__(self) -> dict[str, Any]:
        # What copy.copy (and pickle) take, as for a plain class: the C base
        # type's table is not state (a copy refills it through _prepare, or
        # serves its calls through _call_slow). Without this, object's default
        # refuses any type whose C base has fields of its own.
        return self.__dict__


if _fastcall is not None:
    # CPython < 3.12 does not pass the vectorcall flag on to classes defined
    # in Python; calls then build an argument tuple first (a little slower).
    _fastcall._enable_vectorcall(Dispatcher)


def _found_by_name(dispatcher: Dispatcher) -> bool:
    """Whether pickle can store `dispatcher` by name: its module and qualified
    name lead back to it (pickle's own test, made before it stores a function)."""
    found: Any = sys.modules.get(getattr(dispatcher, "__module__", None) or "")
    for part in dispatcher.py_func.__qualname__.split("."):
        found = getattr(found, part, None)  # '<locals>' and '<lambda>' lead to None
    return found is dispatcher


def _dumping_pickler_takes(func: types.FunctionType) -> bool:
    """Whether the pickler that is dumping now stores `func` its own way (by
    value, as cloudpickle does functions of __main__) rather than by name.

    pickle hands __reduce__ no pickler, so this looks for it on the stack: the
    innermost frame whose `self` is a pickler, which is the frame of its
    dump() for a Python subclass of the C pickler (cloudpickle's, loky's),
    or of save() for the pure-Python one. The C pickler run by pickle.dumps
    leaves no frame of its own and has no reducer_override: by name. (Were
    pickle.dumps called inside a cloudpickle dump, on an object holding a
    jitted function of __main__, the answer would be by value, and pickle
    would raise PicklingError for its py_func: an error, not a wrong object.)
    """
    import pickle  # (imported already by whoever is pickling)

    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        pickler = frame.f_locals.get("self") if "self" in frame.f_code.co_varnames else None
        if isinstance(pickler, (pickle.Pickler, pickle._Pickler)):
            override = getattr(pickler, "reducer_override", None)
            return override is not None and override(func) is not NotImplemented
        frame = frame.f_back
    return False  # no pickler with Python code on the stack: pickle.dumps, by name


# Jitted functions unpickled by value in this process, by id of their
# function (made on the first such unpickling, so that `import jitcore` needs
# no weakref). A recursive function refers to its jitted function through its
# globals, so a pickle holds that Dispatcher twice (once inside py_func's
# globals, stored while the outer one is being stored); both unpickle to one
# object. (Two threads' first unpicklings at once could each make the table:
# at worst a recursive function then has two jitted functions, both right.)
_rebuilt: WeakValueDictionary[int, Dispatcher] | None = None


def _rebuild(py_func: types.FunctionType, options: dict[str, Any]) -> Any:
    """Unpickle a jitted function stored by value (Dispatcher.__reduce__):
    jit(py_func) with the same options, compiling its own native code here
    (under JITCORE_DISABLE=1, py_func itself, as @jit gives)."""
    global _rebuilt
    if _rebuilt is None:
        from weakref import WeakValueDictionary

        _rebuilt = WeakValueDictionary()
    found = _rebuilt.get(id(py_func))  # (a function unpickled now: no other thread has it)
    if (found is not None and found.py_func is py_func
            and all(getattr(found, name) == value for name, value in options.items())):
        return found
    made = jit(**options)(py_func)
    if isinstance(made, Dispatcher):
        _rebuilt[id(py_func)] = made
    return made


@overload
def jit(func: F) -> F: ...
@overload
def jit(*, strict: bool = False, nogil: bool = False) -> Callable[[F], F]: ...


def jit(func: F | None = None, *, strict: bool = False,
        nogil: bool = False) -> F | Callable[[F], F]:
    """Compile a function to x86-64 machine code on its first call (per argument types).

    Use as `@jit` or `@jit(strict=..., nogil=...)`.

    strict=True: a function jitcore cannot compile raises CompileError on the
    call instead of running in CPython with a JitWarning.

    nogil=True: calls release the GIL while the native code runs, so jitted
    calls in several threads run in parallel (native code touches no Python
    object). It costs about a GIL round trip per call, so use it for calls
    that run long enough to matter. Calls that run in CPython (a deopt, an
    unsupported function) hold the GIL as usual.

    With JITCORE_DISABLE=1 in the environment the function is returned unchanged.
    """

    def decorate(f: F) -> F:
        if os.environ.get("JITCORE_DISABLE", "") not in ("", "0"):
            return f
        return Dispatcher(f, strict=strict, nogil=nogil)  # type: ignore[arg-type]

    return decorate if func is None else decorate(func)
