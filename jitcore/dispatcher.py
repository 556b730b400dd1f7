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

import gc
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

    P = R = None  # (only type checkers read Dispatcher's parameters)

    class _GenericForTypeCheckers:
        """What Dispatcher's base `Generic[P, R]` is at run time: nothing.
        Type checkers see a class generic in the decorated function's
        parameters and result (typing.Generic), while at run time Dispatcher
        stays a plain subclass of the C base type (its MRO, layout and calls
        unchanged, and typing is not imported): __mro_entries__ takes this
        base (an instance, not a class) out of the class statement (PEP 560)."""

        def __getitem__(self, params):
            return self

        def __mro_entries__(self, bases):
            return ()

    Generic = _GenericForTypeCheckers()
else:
    from collections.abc import Callable
    from typing import Any, Generic, overload
    from weakref import WeakValueDictionary

    # (typing_extensions for PEP 696 defaults: a bare `Dispatcher` is Dispatcher[..., Any])
    from typing_extensions import ParamSpec, TypeVar

    from ._fastcall import DispatcherBase
    from .calls import Key, NativeTarget, _Entry
    from .compiler import Compiled

    # A jitted function's parameters and result: Dispatcher[P, R] is called
    # like the function it decorates.
    P = ParamSpec("P", default=...)
    R = TypeVar("R", covariant=True, default=Any)

# The fast path of a call (csrc/fastcall.c): Dispatcher's base type calls the
# native code itself for arguments of exactly the compiled types and hands
# every other call to Dispatcher._call_slow. Without it (a platform where it
# was not built) every call takes _call_slow, with the same results.
try:
    from . import _fastcall as _fastcall  # (re-exported: calls.py uses it)
except ImportError as _exc:  # pragma: no cover - platform dependent
    _fastcall = None  # type: ignore[assignment]
    _FASTCALL_MISSING = str(_exc)  # logged by calls.py when it loads
if TYPE_CHECKING:  # (its typed stub: type checkers know Dispatcher's attributes, no Any base)
    _DispatcherBase = DispatcherBase
else:
    _DispatcherBase = object if _fastcall is None else _fastcall.DispatcherBase

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


class gc_paused:
    """`with gc_paused():` runs its block with the cycle collector paused,
    for imports of jitcore's own modules (jitcore.calls, the front end, the
    compiler).

    Their objects (some 5,000 the collector tracks: functions, classes,
    tables) live as long as the process. Young collections would scan them several times over
    within the import, and the next middle-generation collection (in a short
    script, one came due at the first compile) all of them again: 1.5-2 ms.
    So a block that imported a module ends by moving everything the
    collector tracks to the oldest generation, which only full collections
    scan: gc.freeze() then gc.unfreeze(), two list splices on every
    supported CPython. The program's own young objects go along: a cycle
    among them that is garbage already waits for the next full collection
    (gc.collect() frees it as ever). Not done where the program froze
    objects itself (gc.freeze before a fork): unfreezing would thaw those
    too. A program that switched the collector off keeps it off.
    """

    __slots__ = ("paused", "modules")

    def __enter__(self) -> None:
        self.paused = gc.isenabled()
        self.modules = len(sys.modules)
        if self.paused:
            gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self.paused:
            if len(sys.modules) > self.modules and _can_promote():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _can_promote() -> bool:
    """Whether gc_paused may move everything to the oldest generation: the
    interpreter has gc.freeze (PyPy has not) and nothing is frozen."""
    count = getattr(gc, "get_freeze_count", None)
    return count is not None and hasattr(gc, "unfreeze") and count() == 0


def _import_compiler() -> Any:
    """calls.call_slow, importing jitcore.calls (which imports the compiler
    itself on the first compile) with the cycle collector paused."""
    with gc_paused():
        from .calls import call_slow
    return call_slow


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


class Dispatcher(_DispatcherBase, Generic[P, R]):
    """A jitted function: call it like the original, which stays available as `py_func`.

    For type checkers it is generic in the function's parameters and result:
    `@jit` on `def f(a: int, b: float) -> float` gives a `Dispatcher[[int,
    float], float]`, whose calls are checked as f's are, and whose attributes
    (`signatures`, `py_func`, `compile`, `strict`, ...) are its own.

    A call is served by the C base type (jitcore._fastcall.DispatcherBase)
    when there are no keywords and the arguments are exactly of a compiled
    signature (ints fitting in int64): it calls the native code registered
    with calls.register_fast and boxes the result itself, and on a deopt runs
    py_func. Every other call goes to _call_slow (calls.call_slow), which does
    the same in Python (compiling a new signature first) and gives the same
    results. What needs the compiler lives in jitcore/calls.py, imported by
    the first call: the methods below that need it hand over to it.
    """

    def __init__(self, py_func: Callable[P, R], strict: bool = False,
                 nogil: bool = False, cache: bool = False) -> None:
        if not isinstance(py_func, types.FunctionType):
            raise TypeError(f"@jit decorates Python functions (def), not {type(py_func).__name__}")
        _update_wrapper(self, py_func)
        self.py_func = py_func
        self.strict = strict
        self.nogil = nogil
        self.cache = cache  # keep native code in a file for later processes (jitcore/cache.py)
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

    if TYPE_CHECKING:
        _shadow_of: tuple[types.FunctionType, types.FunctionType | None]  # (calls.shadow's cache)
    else:  # Dispatcher[[int, float], float] in annotations evaluated at run time
        __class_getitem__ = classmethod(types.GenericAlias)

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
            call_slow = _import_compiler()
        except ImportError as exc:  # say, a sandbox that no longer maps extension modules
            return _without_compiler(self, exc)
        return call_slow(self, *args, **kwargs)

    def compile(self, *arg_types: object) -> Compiled:
        """Compile for these argument types now (normally the first call does it).

        With no types: the first signature compiled so far, or all ints. A
        numba signature string, as numba's compile takes (`f.compile("int64(int64)")`,
        jitcore.signatures), compiles every key it names and returns the first.
        Raises CompileError if the function cannot be compiled for them.
        """
        from .calls import compile_for

        if len(arg_types) == 1 and isinstance(arg_types[0], str):
            from .signatures import parse

            (sig,) = parse(arg_types[0])
            sig.check_arity(self)
            return [compile_for(self, *key) for key in sig.keys()][0]
        return compile_for(self, *arg_types)  # type: ignore[arg-type]

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

    # With the C base type, calls go to its vectorcall; type checkers see this
    # __call__ (the decorated function's parameters and result), which is
    # there at run time only without the C base type.
    if TYPE_CHECKING or _fastcall is None:
        def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
            result = self._call_slow(*args, **kwargs)
            if result is RUN_PY_FUNC or result is RUN_PY_FUNC_IN_DEPTH_FALLBACK:
                _python_reruns.n = getattr(_python_reruns, "n", 0) + 1
                try:
                    return self.py_func(*args, **kwargs)  # type: ignore[no-any-return]
                finally:
                    _python_reruns.n -= 1
            if type(result) is tuple and len(result) == 2 and result[0] is RAISE:
                raise result[1]
            return result  # type: ignore[no-any-return]

    # The constructor's options, which a jitted function pickled by value
    # carries (tests/test_pickling.py checks that this names every one).
    _PICKLED_OPTIONS = ("strict", "nogil", "cache")

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
        # - Where a function can be found by name, the pickler decides: pickle
        #   stores it by name, also in __main__ (multiprocessing's workers
        #   find it there: 'fork' inherits it, 'spawn' runs the script again
        #   as __mp_main__); cloudpickle by value in __main__ (joblib's and
        #   Dask's workers do not run the script) and in modules registered
        #   with cloudpickle.register_pickle_by_value (not installed where
        #   the workers run). cloudpickle decides that for functions in its
        #   reducer_override, but a Dispatcher is no function, so we ask the
        #   same question for it: whether the pickler that is dumping takes
        #   py_func its own way (its reducer_override returns a reduction, not
        #   NotImplemented). That needs no import of cloudpickle.
        if _found_by_name(self) and not (_module_sent_by_value(self.__module__)
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


def found_at(module: str, qualname: str) -> Any:
    """What a module's qualified name leads to now (as pickle looks a
    function up), or None: '<locals>' and '<lambda>' lead nowhere."""
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found


def _found_by_name(dispatcher: Dispatcher) -> bool:
    """Whether pickle can store `dispatcher` by name: its module and qualified
    name lead back to it (pickle's own test, made before it stores a function)."""
    return found_at(getattr(dispatcher, "__module__", None) or "", dispatcher.py_func.__qualname__) \
        is dispatcher


def _module_sent_by_value(module_name: str) -> bool:
    """Whether cloudpickle sends functions of this module by value though
    they can be found by name: __main__, and modules registered with
    cloudpickle.register_pickle_by_value (with their submodules, as
    cloudpickle counts them). Whether the pickler at work is one that does
    so, _dumping_pickler_takes asks next."""
    if module_name == "__main__":
        return True
    registry = getattr(sys.modules.get("cloudpickle"), "list_registry_pickle_by_value", None)
    if registry is None:  # (no cloudpickle loaded: no pickler of its kind at work)
        return False
    return any(module_name == name or module_name.startswith(name + ".") for name in registry())


def _dumping_pickler_takes(func: types.FunctionType) -> bool:
    """Whether the pickler that is dumping now stores `func` its own way (by
    value, as cloudpickle does functions of __main__ and of modules registered
    with register_pickle_by_value) rather than by name.

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


# -- @jit and @njit: jitcore's options and numba's ----------------------------------
# numba's keywords are accepted so that numba code runs unchanged but for its
# import; each means for jitcore what is documented in README ("Coming from
# numba"). The decorators check them when they are called (a mistake shows at
# the decorator, not at the first call).
_FASTMATH_FLAGS = frozenset({"fast", "nnan", "ninf", "nsz", "arcp", "contract", "afn", "reassoc"})
_BOOL_OPTIONS = ("strict", "nogil", "nopython", "forceobj", "looplift", "cache", "debug")
_OPTIONS = _BOOL_OPTIONS + ("fastmath", "parallel", "boundscheck", "error_model", "inline", "locals")


def _check_option(who: str, name: str, value: Any) -> None:
    """TypeError or ValueError unless `value` is one numba (or jitcore) accepts for `name`."""
    if name not in _OPTIONS:
        raise TypeError(f"{who}() got an unexpected keyword argument {name!r}; it takes "
                        f"{', '.join(_OPTIONS)}")
    if name in _BOOL_OPTIONS or name == "boundscheck":
        ok, wanted = isinstance(value, bool) or (name == "boundscheck" and value is None), "True or False"
    elif name == "fastmath":
        ok = isinstance(value, bool) or (isinstance(value, (set, frozenset, list, tuple, dict))
                                         and all(flag in _FASTMATH_FLAGS for flag in value))
        wanted = f"True, False or a set of {', '.join(sorted(_FASTMATH_FLAGS))}"
    elif name == "parallel":
        ok, wanted = isinstance(value, (bool, dict)), "True, False or a dict of numba's parallel options"
    elif name == "error_model":
        ok, wanted = value in ("python", "numpy"), "'python' or 'numpy'"
    elif name == "inline":
        ok, wanted = value in ("never", "always") or callable(value), "'never', 'always' or a function"
    else:  # locals
        ok, wanted = value is None or isinstance(value, dict), "a dict of local names to types"
    if not ok:
        error = TypeError if name in _BOOL_OPTIONS or name in ("boundscheck", "locals") else ValueError
        raise error(f"{who}({name}={value!r}): {name} takes {wanted}")


def _strictness(who: str, options: dict[str, Any]) -> bool:
    """strict, from strict=, numba's nopython= and forceobj=: nopython=True is
    strict (native code or CompileError), nopython=False and forceobj=True the
    fallback to CPython with a JitWarning (where numba has object mode); the
    default is the fallback. Options that contradict each other raise ValueError."""
    strict, nopython, forceobj = options.get("strict"), options.get("nopython"), options.get("forceobj")
    if nopython and forceobj:
        raise ValueError(f"{who}(nopython=True, forceobj=True): only one of them can be True")
    asked = {name: value for name, value in (("strict", strict), ("nopython", nopython),
                                             ("forceobj", None if forceobj is None else not forceobj))
             if value is not None}
    if len(set(asked.values())) > 1:
        said = ", ".join(f"{name}={options[name]}" for name in asked)
        raise ValueError(f"{who}({said}): these contradict each other (nopython=True means "
                         f"strict=True; nopython=False and forceobj=True mean strict=False)")
    return next(iter(asked.values()), False)


def _warn_unlike_numba(f: Callable[..., Any], options: dict[str, Any]) -> None:
    """A JitWarning for each numba option that asks for something jitcore does
    differently (README: "Coming from numba"); the others mean nothing here
    or what jitcore always does, and pass quietly."""
    name = getattr(f, "__qualname__", repr(f))
    said: list[str] = []
    parallel = options.get("parallel", False)
    if parallel is True or (isinstance(parallel, dict) and any(parallel.values())):
        said.append(f"{name}: parallel=True: jitcore runs each call on one thread (no automatic "
                    f"parallelization, no prange); the results are CPython's. To use several "
                    f"cores, call a function decorated with nogil=True from several threads")
    if options.get("error_model") == "numpy":
        said.append(f"{name}: error_model='numpy': jitcore keeps Python's error model, as CPython "
                    f"does: a float divided by zero raises ZeroDivisionError instead of giving inf "
                    f"or nan (NumPy scalars follow NumPy's own rules, as in CPython)")
    if options.get("locals"):
        said.append(f"{name}: locals= is ignored: jitcore types each local by the values it holds, "
                    f"as CPython does (numba would convert them to the declared types)")
    if said:
        import warnings

        from .errors import JitWarning

        for message in said:
            warnings.warn(message, JitWarning, stacklevel=user_stacklevel())


def _decorator(who: str, signature_or_function: Any, options: dict[str, Any]) -> Any:
    """jit and njit: check the options, read the signatures, and decorate."""
    for name, value in options.items():
        _check_option(who, name, value)
    strict = _strictness(who, options)
    nogil = bool(options.get("nogil", False))
    is_function = signature_or_function is not None and callable(signature_or_function) \
        and (getattr(type(signature_or_function), "__module__", "") or "").split(".")[0] != "numba"
    signatures: list[Any] | None = None
    if signature_or_function is not None and not is_function:
        from .signatures import parse

        signatures = parse(signature_or_function)  # unreadable: SignatureError here, even when disabled

    def decorate(f: Callable[P, R]) -> Dispatcher[P, R]:
        if os.environ.get("JITCORE_DISABLE", "") not in ("", "0"):
            return f  # type: ignore[return-value]
        _warn_unlike_numba(f, options)
        dispatcher = Dispatcher(f, strict=strict, nogil=nogil, cache=options.get("cache", False))
        if signatures is None:
            return dispatcher
        # Eager compilation. strict: a signature that does not compile raises
        # CompileError now; else it warns (naming the decorator's line) and
        # runs in CPython.
        from .signatures import iter_keys

        for sig in signatures:
            sig.check_arity(dispatcher)
        try:
            from .calls import prepare
        except ImportError as exc:  # say, a sandbox that maps no more extension modules
            _without_compiler(dispatcher, exc)
            return dispatcher
        for sig, key in iter_keys(signatures):
            entry = prepare(dispatcher, key)
            if entry is not None:
                _check_returns(dispatcher, sig, key, entry.compiled.returns)
        return dispatcher

    return decorate if not is_function else decorate(signature_or_function)


def _check_returns(dispatcher: Dispatcher[Any, Any], sig: Any, key: Key,
                   returns: list[tuple[str, ...]]) -> None:
    """A JitWarning if what signature `sig` declares to return differs from
    what the function returns (compiled for `key`): jitcore gives CPython's
    result, it never converts it as numba does."""
    wrong = [r for r in returns if not sig.accepts(r)]
    if wrong:
        import warnings

        from .calls import _format
        from .errors import JitWarning
        from .signatures import describe, spec_name

        warnings.warn(f"{dispatcher.py_func.__qualname__}{_format(key)} is declared to return "
                      f"{spec_name(sig.returns)} but returns {describe(wrong[0])}: jitcore returns "
                      f"what CPython returns and never converts a result (numba would); declare what "
                      f"it returns, or convert it in the function", JitWarning,
                      stacklevel=user_stacklevel())


@overload
def jit(signature_or_function: Callable[P, R], /) -> Dispatcher[P, R]: ...
@overload
def jit(signature_or_function: str | list[Any] | tuple[Any, ...] | None = None, /, *,
        strict: bool = ..., nogil: bool = ..., nopython: bool = ..., forceobj: bool = ...,
        cache: bool = ..., fastmath: bool | set[str] = ..., parallel: bool = ...,
        boundscheck: bool | None = ..., error_model: str = ..., inline: str = ...,
        locals: dict[str, Any] | None = ..., looplift: bool = ...,
        debug: bool = ...) -> Callable[[Callable[P, R]], Dispatcher[P, R]]: ...


def jit(signature_or_function: Any = None, /, **options: Any) -> Any:
    """Compile a function to x86-64 machine code on its first call (per argument types).

    Use as `@jit`, `@jit(strict=..., nogil=...)`, or with signatures to compile
    at once: `@jit("float64(float64, float64)")`, `@jit(["int64(int64)",
    "float64(float64)"])` (jitcore.signatures: numba's forms).

    strict=True: a function jitcore cannot compile raises CompileError on the
    call (with signatures: at the decorator) instead of running in CPython
    with a JitWarning.

    nogil=True: calls release the GIL while the native code runs, so jitted
    calls in several threads run in parallel (native code touches no Python
    object). It costs about a GIL round trip per call, so use it for calls
    that run long enough to matter. Calls that run in CPython (a deopt, an
    unsupported function) hold the GIL as usual.

    cache=True: the machine code is kept in a file next to the source
    (`__pycache__/*.jitcore`, or in $JITCORE_CACHE_DIR), and later processes
    load it instead of compiling, as long as nothing the compile read has
    changed (jitcore/cache.py says what that is).

    numba's keywords are accepted (README, "Coming from numba"): nopython=True
    is strict=True, nopython=False and forceobj=True the default fallback;
    cache=True is jitcore's own; fastmath, boundscheck (jitcore always
    checks), inline, looplift and debug change nothing; parallel=True,
    error_model='numpy' and locals= warn that jitcore does otherwise. Any
    other keyword is a TypeError.

    With JITCORE_DISABLE=1 in the environment the function is returned unchanged.
    """
    return _decorator("jit", signature_or_function, options)


@overload
def njit(signature_or_function: Callable[P, R], /) -> Dispatcher[P, R]: ...
@overload
def njit(signature_or_function: str | list[Any] | tuple[Any, ...] | None = None, /, *,
         strict: bool = ..., nogil: bool = ..., nopython: bool = ..., cache: bool = ...,
         fastmath: bool | set[str] = ..., parallel: bool = ..., boundscheck: bool | None = ...,
         error_model: str = ..., inline: str = ..., locals: dict[str, Any] | None = ...,
         looplift: bool = ..., debug: bool = ...) -> Callable[[Callable[P, R]], Dispatcher[P, R]]: ...


def njit(signature_or_function: Any = None, /, **options: Any) -> Any:
    """numba's njit: jit with nopython=True, which is strict=True: native code
    or CompileError, never a silent fallback to CPython (with signatures, at
    the decorator; else on the first call of each argument types). It takes
    the keywords jit takes; nopython=False, forceobj=True or strict=False
    contradict it (ValueError)."""
    for name in ("nopython", "forceobj", "strict"):
        if name in options and options[name] is (name == "forceobj"):
            raise ValueError(f"njit({name}={options[name]}): njit means nopython=True (strict=True); "
                             f"use jit({name}={options[name]}) for a function that may run in CPython")
    return _decorator("njit", signature_or_function, {**options, "nopython": True})
