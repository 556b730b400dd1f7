"""The thin Python face of jitcore's C module (jitcore._native, csrc/).

    block = CodeBlock(machine_code)        # executable copy, W^X on Linux
    status, result = block.call([a, b])    # int64 args; status 0 = ok
    block.free()                           # or let the garbage collector do it

Generated code follows one entry ABI (jitcore/abi.py): rdi -> the
arguments, rsi -> the result slots, rdx = native call depth still allowed,
rcx -> the interrupt word; rax = status (0 = ok, anything else = re-run the
call in the interpreter, or STATUS_INTERRUPT for Ctrl-C).

How executable memory is obtained (mprotect with atomic page replacement,
dual mapping; never MAP_JIT) is explained at the top of csrc/execmem.c; strategy()
says which one this process uses.  Importing this module does nothing beyond
loading the C module.
"""

from __future__ import annotations

import _thread
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is slow to import; see jitcore/ir.py)
    from collections.abc import Sequence
    from typing import Any


def _why_no_native_code() -> str | None:
    """Why this process cannot run jitcore's machine code, or None if it can."""
    machine = os.uname().machine if hasattr(os, "uname") else ""
    if machine.lower() not in ("x86_64", "amd64") or sys.maxsize != 2**63 - 1:
        bits = "64" if sys.maxsize == 2**63 - 1 else "32"
        return (f"jitcore generates x86-64 machine code and this is a {bits}-bit Python on "
                f"{machine or 'an unknown machine'}")
    return None


#: Why functions cannot be compiled to native code in this process (None: they
#: can). Then every @jit function runs in CPython, with one JitWarning saying this.
UNAVAILABLE: str | None = _why_no_native_code()
_ffi: Any = None
_lib: Any = None
if UNAVAILABLE is None:
    try:
        from ._native import ffi as _ffi
        from ._native import lib as _lib
    except ImportError as _exc:
        UNAVAILABLE = f"jitcore's C module jitcore._native is not installed or did not load ({_exc})"
    else:
        # Where CPython versions compute differently (math.hypot, math.pow),
        # the helpers follow this interpreter (one build serves them all).
        from .frontend.versions import HEXVERSION

        _lib.jc_set_python_version(HEXVERSION)

__all__ = [
    "CHUNK_SIZE",
    "CodeBlock",
    "ExecMemError",
    "HELPERS",
    "ensure_interrupt_handler",
    "force_strategy",
    "helper_address",
    "undo_begin_address",
    "warn_in_place_address",
    "raise_taken",
    "new_undo",
    "finish_undo",
    "undo_address",
    "stats",
    "strategy",
]

#: Size of one shared chunk of executable memory; larger code gets its own.
CHUNK_SIZE: int = _lib.JC_CHUNK_SIZE if _lib is not None else 0

if _lib is not None:
    _new = _ffi.new
    _gc = _ffi.gc
    _release = _ffi.release
    _jc_call = _lib.jc_call
    _jc_code_free = _lib.jc_code_free

# Result slots for call(), recycled: a slot is popped for the duration of one
# call (list pop/append are atomic, so concurrent calls never share a slot).
_slots: list[Any] = []
_slot_pop = _slots.pop
_slot_push = _slots.append


class ExecMemError(RuntimeError):
    """The system gave no executable memory (or refused to write it).

    The message comes from the C side and names every strategy tried and why
    each failed. Functions then run in CPython instead.
    """


def _last_error() -> str:
    return str(_ffi.string(_lib.jc_last_error()).decode("utf-8", "replace"))


class CodeBlock:
    """An executable copy of machine code, in memory shared with other blocks."""

    __slots__ = ("_ptr", "_address", "_size", "owner", "__weakref__")

    def __init__(self, code: bytes) -> None:
        if UNAVAILABLE is not None:
            raise ExecMemError(UNAVAILABLE)
        data = code if type(code) is bytes else memoryview(code).tobytes()
        out = _new("jc_code **")
        if _lib.jc_code_new(data, len(data), out) != 0:
            raise ExecMemError(_last_error())
        # The block goes back to the arena when this object dies, or at free().
        self._ptr = _gc(out[0], _jc_code_free, len(data))
        self._address: int = int(_lib.jc_code_address(self._ptr))
        self._size = len(data)
        # Who else may jump into this code (a jitted function's name): then
        # free() refuses, and only garbage collection returns it.
        self.owner: str | None = None

    @property
    def address(self) -> int:
        """Address of the executable code."""
        return self._address

    @property
    def size(self) -> int:
        """Length of the code in bytes."""
        return self._size

    @property
    def handle(self) -> Any:
        """The C handle, for call_packed()."""
        return self._ptr

    @property
    def freed(self) -> bool:
        return self._ptr is None

    def read(self) -> bytes:
        """The code bytes as they are in executable memory."""
        ptr = self._ptr
        if ptr is None:
            raise ValueError("CodeBlock has been freed")
        buf = _new("unsigned char[]", self._size)
        if _lib.jc_code_read(ptr, buf, self._size) != 0:
            raise ExecMemError(_last_error())
        return bytes(_ffi.buffer(buf, self._size))

    def call(self, args: Sequence[int]) -> tuple[int, int]:
        """Run the code on int64 `args`; return (status, result).

        status 0: result is the function's value; any other status: re-run the
        call in the interpreter (result is meaningless). Arguments outside
        int64 raise OverflowError, non-integers TypeError.
        """
        try:
            out = _slot_pop()
        except IndexError:
            out = _new("int64_t[4]")  # (4: a raise in place writes its site and operands)
        try:
            # cffi turns a list or tuple into a temporary int64_t array.
            status = _jc_call(self._ptr, args, out)
        except TypeError:
            if self._ptr is None:
                raise ValueError("CodeBlock has been freed") from None
            if isinstance(args, (list, tuple)):
                raise
            status = _jc_call(self._ptr, _new("int64_t[]", list(args)), out)
        result = out[0]
        _slot_push(out)
        if status < 0:
            raise ExecMemError(_last_error())
        return status, result

    def free(self) -> None:
        """Return the memory to the arena now. Idempotent; the block must not
        be running (on another thread) when it is freed. A jitted function's
        code (`owner` set) cannot be freed this way: the code of the functions
        that call it jumps to it without a check."""
        if self.owner is not None and self._ptr is not None:
            raise ExecMemError(f"this is the code of jitted function {self.owner}, which other "
                               f"native code may call: it is freed when the function is "
                               f"garbage-collected")
        ptr = self._ptr
        if ptr is not None:
            self._ptr = None
            _release(ptr)  # runs jc_code_free now, and only once

    def __repr__(self) -> str:
        if self._ptr is None:
            return "<CodeBlock freed>"
        return f"<CodeBlock {self._size} bytes at 0x{self._address:x}>"


#: call_packed(handle, args_bytes, results) -> status: the dispatcher's fast
#: path (arguments packed with struct, 8 bytes each; results a new_results()).
call_packed: Any = _lib.jc_call_packed if _lib is not None else None


def new_results(slots: int) -> Any:
    """Result slots for call_packed: `.i` reads an int64, `.d` a double."""
    return _new("jc_value[]", slots)


def pin_buffer(obj: Any) -> tuple[Any, int]:
    """Export obj's buffer (bytes, bytearray, array.array, a contiguous
    memoryview) for as long as the returned handle lives, and the address of
    its first byte. While exported, bytearray and array.array refuse to
    resize, so native code reads valid memory, also without the GIL."""
    handle = _ffi.from_buffer(obj)
    return handle, int(_ffi.cast("intptr_t", handle))


def new_cell(value: int) -> tuple[Any, int]:
    """A word of ordinary (non-executable) memory holding `value`, and its address.

    Generated code calls other generated code through such cells, so a
    callee can be compiled (or replaced) after its callers.
    """
    cell = _new("uintptr_t[1]", [value])
    return cell, int(_ffi.cast("uintptr_t", cell))


_deopt_stub: CodeBlock | None = None


def deopt_stub() -> CodeBlock:
    """Native code that only answers "run this in CPython" (STATUS_DEOPT)."""
    global _deopt_stub
    if _deopt_stub is None:
        _deopt_stub = CodeBlock(bytes([0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3]))  # mov eax, 1; ret
    return _deopt_stub


def strategy() -> str:
    """How this process gets executable memory: "mprotect", "dualmap-memfd",
    "dualmap-shm", "dualmap-file", or "none" (every strategy was
    refused). Probes on first use."""
    if UNAVAILABLE is not None:
        return "none"
    return str(_ffi.string(_lib.jc_strategy()).decode("ascii"))


def stats() -> dict[str, int]:
    """Arena statistics: chunks, bytes_mapped, bytes_live, blocks_live."""
    v = _new("size_t[4]")
    _lib.jc_stats(v, v + 1, v + 2, v + 3)
    return {"chunks": v[0], "bytes_mapped": v[1], "bytes_live": v[2], "blocks_live": v[3]}


def force_strategy(name: str) -> None:
    """For tests: use only `name` ("mprotect", "dualmap", "dualmap-memfd",
    "dualmap-shm", "dualmap-file", "none", or "auto" for the
    default). Existing blocks stay valid; their chunks are never written
    again. Raises ExecMemError if the strategy is unknown or unavailable."""
    if _lib.jc_force_strategy(name.encode("ascii")) != 0:
        raise ExecMemError(_last_error())


def main_thread_ident() -> int:
    """threading.main_thread().ident, without importing threading (a
    first call would pay about a millisecond for it and functools). Before
    3.13 threading's main thread is the one that imported threading (its
    _MainThread takes the importing thread's ident), so while nothing has,
    that is this thread, as threading would say if imported here."""
    threading = sys.modules.get("threading")
    if threading is not None:
        return int(threading.main_thread().ident)
    main = getattr(_thread, "_get_main_thread_ident", None)  # 3.13+
    return int(main()) if main is not None else _thread.get_ident()


def ensure_interrupt_handler() -> bool:
    """Put jitcore's SIGINT handler in front of the installed one, so that
    Ctrl-C stops native loops (csrc/interrupt.c). The dispatcher calls this
    before each compile, which also re-installs it after Python code replaced
    it with signal.signal() (native code of the main thread also does, from
    its periodic poll), and tells csrc/poll.c the current switch interval.
    Returns False if SIGINT is ignored or has its
    default action (then nothing is installed: the signal does what it did)."""
    if _lib is None:  # no native code in this process (UNAVAILABLE)
        return False
    main = main_thread_ident()
    _lib.jc_set_switch_interval(sys.getswitchinterval())  # what csrc/poll.c follows
    status = int(_lib.jc_interrupt_install(main))
    if status < 0:
        raise OSError(_last_error())
    return status == 1


def interrupt_pending() -> bool:
    """True if a SIGINT arrived that no native call has handled yet."""
    return bool(_lib.jc_interrupt_pending())


def request_interrupt() -> None:
    """For tests: make native code of the main thread stop as if SIGINT had
    arrived, without a signal (so no Python handler runs; the call starts
    again)."""
    _lib.jc_interrupt_request()


#: Names of the numeric helpers (csrc/numeric.h) that generated code calls by
#: absolute address. Each returns an int status: 0 = ok (result written
#: through its last, pointer argument), 1 = re-run the call in CPython.
HELPERS: tuple[str, ...] = (
    "jc_float_floordiv",
    "jc_float_mod",
    "jc_float_pow",
    "jc_float_round",
    "jc_float_to_int",
    "jc_float_floor",
    "jc_float_ceil",
    "jc_int_pow",
    "jc_int_floordiv",
    "jc_int_mod",
    "jc_int_truediv",
    "jc_numpy_pow",
    "jc_numpy_powf",
    "jc_numpy_int_pow",
    "jc_numpy_floordivf",
    "jc_numpy_modf",
    "jc_numpy_shl",
    "jc_numpy_shr",
    "jc_int_powmod",
    "jc_math_sqrt",
    "jc_math_tan",
    "jc_math_asin",
    "jc_math_acos",
    "jc_math_atan",
    "jc_math_sinh",
    "jc_math_cosh",
    "jc_math_tanh",
    "jc_math_asinh",
    "jc_math_acosh",
    "jc_math_atanh",
    "jc_math_expm1",
    "jc_math_log1p",
    "jc_math_log2",
    "jc_math_log10",
    "jc_math_exp",
    "jc_math_log",
    "jc_math_sin",
    "jc_math_cos",
    "jc_math_fabs",
    "jc_math_hypot",
    "jc_math_copysign",
    "jc_math_atan2",
    "jc_math_remainder",
    "jc_math_fmod",
    "jc_math_pow",
    "jc_math_log_base",
    "jc_math_ldexp",
    "jc_math_frexp",
    "jc_math_frexp_exponent",
    "jc_math_modf",
    "jc_math_modf_integral",
    "jc_math_exp2",
    "jc_math_cbrt",
    "jc_math_erf",
    "jc_math_erfc",
    "jc_math_gamma",
    "jc_math_lgamma",
    "jc_math_nextafter",
    "jc_math_nextafter_steps",
    "jc_math_ulp",
    "jc_math_fma",
    "jc_math_isclose",
    "jc_math_hypot3",
    "jc_float_round_digits",
    "jc_int_round_digits",
    "jc_math_gcd",
    "jc_math_lcm",
    "jc_math_isqrt",
    "jc_math_factorial",
    "jc_math_comb",
    "jc_math_perm",
)

def _address_of(name: str) -> int:
    return _helper_addresses.get(name) or _helper_addresses.setdefault(
        name, int(_ffi.cast("uintptr_t", _ffi.addressof(_lib, name))))


def poll_slow_address() -> int:
    """Absolute address of jc_poll_slow (csrc/poll.c), which generated code
    calls when the word it polls is set."""
    return _address_of("jc_poll_slow")


def warn_in_place_address() -> int:
    """Absolute address of jc_warn_in_place (csrc/inplace.c), which generated
    code calls when a NumPy integer operation overflowed."""
    return _address_of("jc_warn_in_place")


def undo_begin_address() -> int:
    """Absolute address of jc_undo_begin (csrc/undo.c), which generated code
    calls at a call's first store into a buffer."""
    return _address_of("jc_undo_begin")


_raise_taken: Any = None


def raise_taken() -> None:
    """Raise the exception that Python work native code did in place on this
    thread raised (csrc/inplace.c: a signal handler, a warning turned into an
    error), if there is one; return if there is none. jc_raise_taken needs
    the GIL, which cffi lets go during calls: it is called through ctypes'
    PyDLL, which keeps the GIL and raises the exception it sets."""
    global _raise_taken
    if _raise_taken is None:
        import ctypes  # only here: a call raised in place

        function = ctypes.PyDLL(_native_path()).jc_raise_taken
        function.restype = ctypes.c_int
        function.argtypes = []
        _raise_taken = function
    _raise_taken()


def _native_path() -> str:
    from . import _native

    return str(_native.__file__)


def new_undo(address: int, length: int, size: int,
             layout: tuple[int, int, int] | None = None) -> Any:
    """An undo record (csrc/undo.h) for a buffer argument of `length`
    elements of `size` bytes at `address`, for one call. `layout` is
    (inner, stride0, stride1) for an array that is not one flat run:
    element k (in C order) is at (k // inner) * stride0 + (k % inner) * stride1."""
    record = _new("jc_undo *")
    record.base = _ffi.cast("char *", address)
    record.length = length
    record.size = size
    record.inner, record.stride0, record.stride1 = layout or (max(length, 1), 0, size)
    return record


def finish_undo(record: Any, roll_back: bool) -> None:
    """After the call: put back what it stored (if roll_back), free the record's memory."""
    _lib.jc_undo_rollback_and_end(record, int(roll_back))


def undo_address(record: Any) -> int:
    return int(_ffi.cast("uintptr_t", record))


# Filled on first use so that importing this module stays cheap.
_helper_addresses: dict[str, int] = {}


def helper_address(name: str) -> int:
    """Absolute address of the numeric helper `name` (one of HELPERS), for
    generated code to call directly. Raises KeyError for any other name."""
    try:
        return _helper_addresses[name]
    except KeyError:
        pass
    if name not in HELPERS:
        raise KeyError(f"{name!r} is not a jitcore numeric helper (see jitcore.runtime.HELPERS)")
    address = int(_ffi.cast("uintptr_t", _ffi.addressof(_lib, name)))
    _helper_addresses[name] = address  # same value if two threads race here
    return address
