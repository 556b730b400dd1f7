"""Native code kept across processes: `@jit(cache=True)`.

What a .pyc file is to CPython's compiler, a cache file is to jitcore's: the
first process that compiles a function for some argument types writes the
machine code next to the function's source (`__pycache__/<file>.<function>-
<line>.<python>.jitcore`), and later processes load it instead of compiling.
A cache file holds code like a .pyc file does; trust it as you trust those.

Code is taken from a cache file only when everything its compile read is
the same now (`_key`): the function's code object (marshalled: bytecode,
constants, names, line numbers, file name), what each name it uses is bound
to in its globals or builtins (an int, float or bool by value, `math` and
math's attribute of each name, a builtin or math function or an exception
class by module and name, the function itself, another jitted or plain
function by its code and defaults), this jitcore (its version and the size
and time of each of its files), CPython's exact build and, for NumPy types,
NumPy's version. A function it calls natively is prepared first (loaded or
compiled, in this process) and must return what the recorded code expects
(`_callees`: its statuses and result types), else the code is compiled
again. Anything else (a closure, a warning NumPy issues in place, a path
capped by the block version limit) is compiled as usual and not written:
such code depends on more than this key says.

Machine code holds a few addresses that change from process to process (C
helpers and the poll's slow path in jitcore._native, callees' cells, the
function's own cell for its recursive calls): the assembler notes each
(`Assembler.relocations`), and loading writes this process's addresses
there before the code becomes executable; the file holds zeros there. A
file that is unreadable, damaged, for another key or for other argument
types is passed over (and rewritten after the compile); a directory that
cannot be written leaves the function compiled in memory only. None of it
is an error for the user: the cache can only save time.
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys
import time
from types import FunctionType

from . import __version__
from .dispatcher import Dispatcher, debug, found_at
from .errors import CompileError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .calls import NativeTarget
    from .compiled import Compiled

# The layout of a cache file's record; a file of another layout is ignored.
_FORMAT = 3
# marshal's format 2: before format 3, marshal wrote no back-references, whose
# presence depends on objects' reference counts; with 2 the same key is the
# same bytes in every process (and a file's bytes depend on its contents only).
_MARSHAL = 2
_SUFFIX = ".jitcore"
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def cache_path(func: Any) -> str | None:
    """The cache file of `func`, or None for a function whose source is no
    file (`<stdin>`, `exec` of a string): it would have no key worth keeping.

    Next to the source as CPython keeps .pyc files, in `__pycache__`; in
    $JITCORE_CACHE_DIR if set, or where __pycache__ cannot be written in the
    user's cache directory ($XDG_CACHE_HOME or ~/.cache, then jitcore), under
    a name that spells the source's whole path."""
    code = func.__code__
    source = os.path.abspath(code.co_filename)
    if not os.path.isfile(source):
        return None
    folder, name = os.path.split(source)
    stem = name.rsplit(".", 1)[0]
    qualname = func.__qualname__.replace("<locals>", "locals").replace("<", "").replace(">", "")
    filename = f"{stem}.{qualname}-{code.co_firstlineno}.{sys.implementation.cache_tag}{_SUFFIX}"
    chosen = os.environ.get("JITCORE_CACHE_DIR") or None
    if chosen is None:
        pycache = os.path.join(folder, "__pycache__")
        if os.access(pycache if os.path.isdir(pycache) else folder, os.W_OK):
            return os.path.join(pycache, filename)
        chosen = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                              "jitcore")
    spelled = folder.strip(os.sep).replace(os.sep, "%")
    return os.path.join(chosen, spelled, filename)


# -- the key: everything the compile read ------------------------------------

_jitcore_files: tuple[tuple[str, int, int], ...] | None = None


def _jitcore_stamp() -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of every file of this jitcore, read once per
    process: an edited checkout must not load code an older compiler made."""
    global _jitcore_files
    if _jitcore_files is None:
        found = []
        for sub in ("", "frontend", "passes", "x86_64"):
            with os.scandir(os.path.join(_PACKAGE, sub)) as entries:
                for entry in entries:
                    if entry.name.endswith((".py", ".so")):
                        stat = entry.stat()
                        found.append((sub + "/" + entry.name, stat.st_size, stat.st_mtime_ns))
        _jitcore_files = tuple(sorted(found))
    return _jitcore_files


def _is_found_at(obj: object) -> tuple[str, str, str] | None:
    """("object", module, qualified name) when that name leads to `obj` now."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if type(module) is not str or type(qualname) is not str:
        return None
    return ("object", module, qualname) if obj is not None and found_at(module, qualname) is obj else None


_UNBOUND = ("unbound",)
_MISSING = object()


def _bound(globals_: dict[str, Any], name: str) -> Any:
    """What a name in a function's code means to the compile: its global, or
    else its builtin (_MISSING: neither)."""
    return globals_[name] if name in globals_ else getattr(builtins, name, _MISSING)


def _describe(obj: object, dispatcher: Dispatcher) -> tuple[Any, ...] | None:
    """What `obj` is, as key material, or None if the key cannot say (the
    code then goes uncached)."""
    if type(obj) in (int, bool, float, str, type(None)):
        return ("value", obj)  # (marshalled: -0.0 and each NaN by its bits)
    if obj is sys.modules.get("math"):  # (not imported here: loaded, if a global holds it)
        return ("math",)
    if obj is dispatcher:
        return ("self",)
    if isinstance(obj, Dispatcher):  # a callee: the code depends on its parameters and defaults
        obj = obj.py_func            # (and on how it returns, which loading checks)
    if type(obj) is FunctionType:  # (a plain function is compiled as a jitted callee)
        return ("function", obj.__code__, obj.__defaults__, obj.__kwdefaults__)
    if isinstance(obj, type) or type(obj) is type(len):  # a class, a builtin or math function
        # by the name it is found at: `range` replaced in builtins, or
        # math.sqrt by another function, is no longer what it was
        return _is_found_at(obj)
    return None


def _bindings(dispatcher: Dispatcher) -> tuple[tuple[str, Any], ...] | None:
    """What each name the function's code holds is bound to, as the compile
    reads it: a global, or else a builtin; and where the code reads the math
    module, that module's attribute of the name (math.sqrt, math.pi). The
    code's names include its attribute names: a global of the same name is
    key material too, which costs at worst a compile."""
    func = dispatcher.py_func
    globals_ = func.__globals__
    math = sys.modules.get("math")
    reads_math = math is not None and any(globals_.get(name) is math for name in func.__code__.co_names)
    found: list[tuple[str, Any]] = []
    for name in func.__code__.co_names:
        obj = _bound(globals_, name)
        binding = _UNBOUND if obj is _MISSING else _describe(obj, dispatcher)
        if binding is None:
            return None
        found.append((name, binding))
        if reads_math:
            attribute = _describe(getattr(math, name), dispatcher) if hasattr(math, name) else _UNBOUND
            if attribute is None:
                return None
            found.append(("math." + name, attribute))
    return tuple(found)


def _key(dispatcher: Dispatcher) -> bytes | None:
    """The key of the function's cache file, or None if it cannot have one."""
    func = dispatcher.py_func
    bindings = _bindings(dispatcher)
    if func.__closure__ or bindings is None:
        return None
    interpreter = (sys.implementation.cache_tag, sys.version, getattr(sys, "abiflags", ""))
    try:
        return marshal.dumps((_FORMAT, __version__, _jitcore_stamp(), interpreter, func.__module__,
                              func.__qualname__, func.__code__, bindings), _MARSHAL)
    except ValueError:  # a callee's default marshal cannot write
        return None


def _entry_name(signature: tuple[str, ...]) -> tuple[str, ...]:
    """What a file's record for `signature` is filed under: its types, and
    NumPy's version where they are NumPy's (its rules made the code)."""
    names = tuple(str(s) for s in signature)
    if any(s.startswith(("np.", "array")) for s in names):
        return names + ("numpy " + sys.modules["numpy"].__version__,)
    return names


# -- what a record holds besides the code -----------------------------------

def _raised_out(raised: tuple[Any, ...]) -> tuple[Any, ...] | None:
    if not raised:
        return ()
    cls, template = raised
    where = _is_found_at(cls)
    return None if where is None else (where, template)


def _raised_in(raised: tuple[Any, ...]) -> tuple[Any, ...]:
    if not raised:
        return ()
    (_, module, qualname), template = raised
    found = found_at(module, qualname)
    if found is None:
        raise KeyError(f"{module}.{qualname}")
    return (found, template)


def _plain(x: Any) -> Any:
    """Type names as plain strs, tuples and lists as tuples (what marshal takes)."""
    if isinstance(x, str):
        return str(x)
    return tuple(_plain(y) for y in x)


def _typed(x: Any) -> Any:
    from .ir import type_named

    if isinstance(x, str):
        return type_named(x)
    return tuple(_typed(y) for y in x)


def _target_fields(target: NativeTarget) -> tuple[Any, ...]:
    """What a caller's code takes from how it calls a callee: the statuses
    and result types of each kind of result."""
    return (target.status, _plain(target.results), target.is_tuple,
            tuple(_target_fields(t) for t in target.alternatives))


def _callee_name(dispatcher: Dispatcher, target: NativeTarget) -> str | None:
    """The name the function's code calls target's function by."""
    globals_ = dispatcher.py_func.__globals__
    for name in dispatcher.py_func.__code__.co_names:
        obj = _bound(globals_, name)
        if obj is target.owner or obj is target.owner.py_func:
            return str(name)
    return None


def _record(dispatcher: Dispatcher, own_cell: int, compiled: Compiled) -> tuple[Any, ...] | None:
    """What a cache file keeps of `compiled`, or None if it cannot be kept."""
    if compiled.capped:
        return None
    callees = [target for target in compiled.targets if target.cell != own_cell]  # (not recursion)
    targets = []
    for target in callees:
        name = _callee_name(dispatcher, target)
        if name is None:
            return None
        targets.append((name, _plain(target.signature), _target_fields(target)))
    cells = [target.cell for target in callees]
    relocations = []
    code = bytearray(compiled.code)  # with zeros for this process's addresses (ASLR's secret)
    for offset, symbol in compiled.relocations:
        code[offset:offset + 8] = bytes(8)
        if symbol[0] == "cell":
            # (this very signature's cell: its recursive calls; any other is a
            # callee's, whose cell the load asks the callee for)
            symbol = ("own cell",) if symbol[1] == own_cell else ("callee", cells.index(symbol[1]))
        elif symbol[0] == "warn_in_place":
            return None  # its sites are numbered in this process
        relocations.append((offset, symbol))
    sites = []
    for site in compiled.raise_sites:
        raised = _raised_out(site.raised)
        if raised is None:
            return None
        sites.append((site.kind, site.param, _plain(site.types), site.offset, site.line, raised))
    return (compiled.name, _plain(compiled.signature), compiled.slots, compiled.frame_bytes,
            bytes(code), tuple(relocations), _plain(compiled.tuple_shapes),
            _plain(compiled.returns), compiled.records, tuple(sites), tuple(targets))


def _callees(dispatcher: Dispatcher, recorded: tuple[Any, ...]) -> list[NativeTarget]:
    """How this process's code calls the callees a record names, each
    prepared first (loaded or compiled, as a compile would), or ValueError
    if one now returns otherwise than the recorded code expects."""
    from .calls import helper_dispatcher

    globals_ = dispatcher.py_func.__globals__
    targets = []
    for name, signature, fields in recorded:
        obj = _bound(globals_, name)
        callee = obj if isinstance(obj, Dispatcher) else helper_dispatcher(obj, cache=True)
        target = callee.native_target(_typed(signature))
        if _target_fields(target) != fields:
            raise ValueError(f"{name}{tuple(signature)} returns otherwise now")
        targets.append(target)
    return targets


def _address(symbol: tuple[Any, ...], own_cell: int, targets: list[NativeTarget]) -> int:
    from . import runtime

    kind = symbol[0]
    if kind == "own cell":
        return own_cell
    if kind == "callee":
        return int(targets[symbol[1]].cell)
    if kind == "helper":
        return runtime.helper_address(symbol[1])
    if kind == "poll_slow":
        return runtime.poll_slow_address()
    if kind == "undo_begin":
        return runtime.undo_begin_address()
    raise ValueError(f"unknown relocation {symbol!r}")


def _movabs_at(code: bytes | bytearray, offset: int) -> bool:
    """Whether the 8 bytes at `offset` are the immediate of a movabs r64, imm64."""
    return 2 <= offset <= len(code) - 8 and code[offset - 2] in (0x48, 0x49) \
        and 0xB8 <= code[offset - 1] <= 0xBF


def _compiled_from(dispatcher: Dispatcher, own_cell: int, record: tuple[Any, ...],
                   announce: Callable[[list[Any], list[Any]], None], started: int) -> Compiled:
    from .compiled import Compiled
    from .ir import RaiseSite
    from .runtime import CodeBlock

    (name, signature, slots, frame_bytes, code, relocations, tuple_shapes, returns, records,
     sites, recorded_targets) = record
    raise_sites = tuple(RaiseSite(kind, param, _typed(types), offset, line, _raised_in(raised))
                        for kind, param, types, offset, line, raised in sites)
    tuple_shapes, returns = [_typed(s) for s in tuple_shapes], [_typed(r) for r in returns]
    announce(returns, tuple_shapes)  # (for callees that call it back)
    targets = _callees(dispatcher, recorded_targets)
    patched = bytearray(code)
    for offset, symbol in relocations:
        if not _movabs_at(patched, offset):
            raise ValueError(f"relocation at {offset} is not an address load")
        patched[offset:offset + 8] = _address(symbol, own_cell, targets).to_bytes(8, "little")
    code = bytes(patched)
    block = CodeBlock(code)
    owners = [dispatcher] if any(symbol == ("own cell",) for _, symbol in relocations) else []
    callees = tuple({id(owner): owner for owner in owners + [t.owner for t in targets]}.values())
    return Compiled(name, _typed(signature), "", [], "", None, slots, frame_bytes, code, block,
                    tuple_shapes, returns,
                    {"cache": time.perf_counter_ns() - started}, None, callees, records,
                    raise_sites, (), tuple((offset, tuple(symbol)) for offset, symbol in relocations),
                    tuple(targets))


# -- files --------------------------------------------------------------------

# A file's checksum: its payload as one number, modulo the prime 2**61 - 1.
# Any one flipped bit changes it (2**k is never 0 modulo a prime), other
# damage almost surely, and it needs no module (zlib is a shared library to
# load, a millisecond of a start-up the cache is there to shorten).
_CHECKSUM_MODULUS = 2 ** 61 - 1


def _checksum(payload: bytes) -> bytes:
    return (int.from_bytes(payload, "little") % _CHECKSUM_MODULUS).to_bytes(8, "little")


_MAGIC = b"jitcore\n"  # what a cache file starts with (then the checksum, then the payload)


def _read(path: str) -> tuple[bytes, dict[tuple[str, ...], Any]] | None:
    """(key, {signature: record}) of a cache file, or None if there is none
    that is whole (its checksum holds) and of this format."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data[:8] != _MAGIC or _checksum(data[16:]) != data[8:16]:
        return None
    try:
        form, key, records = marshal.loads(data[16:])
    except (ValueError, EOFError, TypeError):
        return None
    if form != _FORMAT or type(key) is not bytes or type(records) is not dict:
        return None
    return key, records


def _write(path: str, key: bytes, records: dict[tuple[str, ...], Any]) -> None:
    """Replace the file at once (another process reads the old one or the new
    one, never half of one); write nothing where nothing can be written."""
    payload = marshal.dumps((_FORMAT, key, records), _MARSHAL)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as f:
            f.write(_MAGIC + _checksum(payload) + payload)
        os.replace(temporary, path)
    except OSError as exc:
        debug("could not write the code cache %s: %s", path, exc)
        try:
            os.unlink(temporary)
        except OSError:
            pass


def load(dispatcher: Dispatcher, signature: tuple[str, ...], own_cell: int,
         announce: Callable[[list[Any], list[Any]], None]) -> Compiled | None:
    """The code for `signature` from the function's cache file, or None.
    `announce(returns, tuple_shapes)` is told what the code returns before
    its callees are prepared (calls._loading)."""
    started = time.perf_counter_ns()
    path = cache_path(dispatcher.py_func)
    if path is None:
        return None
    found = _read(path)
    if found is None:
        return None
    key = _key(dispatcher)
    stored, records = found
    record = records.get(_entry_name(signature))
    if key is None or stored != key or record is None:
        return None
    try:
        compiled = _compiled_from(dispatcher, own_cell, record, announce, started)
    except (ValueError, TypeError, KeyError, AttributeError, CompileError) as exc:
        # a damaged or odd record, or a callee that now returns otherwise or
        # cannot be compiled for those types
        debug("code cache %s: passed over (%s)", path, exc)
        return None
    debug("loaded %r%s from the code cache %s", dispatcher.py_func, tuple(signature), path)
    return compiled


def store(dispatcher: Dispatcher, signature: tuple[str, ...], own_cell: int,
          compiled: Compiled) -> None:
    """Keep `compiled` in the function's cache file, if it can be kept."""
    path = cache_path(dispatcher.py_func)
    if path is None:
        return
    key = _key(dispatcher)
    record = _record(dispatcher, own_cell, compiled) if key is not None else None
    if key is None or record is None:
        debug("%r%s: not cached (its code depends on more than the cache's key)",
              dispatcher.py_func, tuple(signature))
        return
    found = _read(path)
    records = found[1] if found is not None and found[0] == key else {}
    records[_entry_name(signature)] = record
    _write(path, key, records)
