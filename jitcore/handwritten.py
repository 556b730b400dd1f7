"""Run machine code you wrote yourself: `jitcore.native(code, argtypes, restype)`.

    from jitcore import native
    from jitcore.asm import Assembler, rax, rdi

    a = Assembler()
    a.mov(rax, 11)
    a.imul(rax, rdi)
    a.ret()
    mul = native(a.assemble(), [int], int)
    mul(3)            # 33
    mul.free()        # or let the garbage collector return the memory

The bytes are copied into executable memory that is never writable and
executable at once (jitcore.runtime.CodeBlock, the memory jitted functions
live in) and called as a C function through cffi, with the System V AMD64
calling convention:

- int64 arguments in rdi, rsi, rdx, rcx, r8, r9 (in the order they come
  among the arguments), double arguments in xmm0-xmm7: at most 6 int64 and 8
  double arguments (nothing is passed on the stack);
- an int64 result in rax, a double result in xmm0, or no result (restype None);
- the code must preserve rbx, rbp, rsp and r12-r15, and return with `ret`.

The code runs exactly as given: nothing checks it. Code that breaks these
rules, or is not valid machine code, crashes the process or corrupts it.
There is no Ctrl-C inside it either (jitted functions poll for it; this code
does not), so a loop that never ends hangs the process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .runtime import CodeBlock

__all__ = ["NativeFunction", "native"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_INT_ARGS = 6  # rdi, rsi, rdx, rcx, r8, r9
MAX_FLOAT_ARGS = 8  # xmm0-xmm7

# What argtypes and restype may say, and the C type each one means.
_KINDS: dict[object, str] = {int: "int64_t", "int64": "int64_t", float: "double", "double": "double"}
_PY_TYPES = {"int64_t": int, "double": float}

ArgType = type | str


def _kind(t: object, what: str) -> str:
    if isinstance(t, (type, str)):
        kind = _KINDS.get(t)
        if kind is not None:
            return kind
    raise TypeError(f"native: {what} must be int or 'int64', float or 'double', got {t!r}")


class NativeFunction:
    """Machine code in executable memory, callable from Python (made by `jitcore.native`).

    Calling it checks the arguments, then runs the code:

    - an int64 argument takes an int in [-2**63, 2**63 - 1]; a bigger or
      smaller int raises OverflowError, any other type (bool and float
      included) TypeError;
    - a double argument takes a float or an int (converted as float() does,
      OverflowError if too large); bool and other types raise TypeError;
    - the wrong number of arguments raises TypeError.

    `address` is where the code is, `code` the bytes it was made from,
    `disassemble()` shows the code as it is in executable memory (needs
    capstone). `free()` returns the memory now; the garbage collector does
    it otherwise. Calling after free() raises ValueError. free() must not
    run while another thread is inside the code.
    """

    __slots__ = ("_block", "_fn", "_kinds", "_restype", "_code", "__weakref__")

    def __init__(self, code: bytes | bytearray | memoryview, argtypes: Sequence[ArgType] = (),
                 restype: ArgType | None = int) -> None:
        if not isinstance(code, (bytes, bytearray, memoryview)):
            hint = " (call its assemble() first)" if hasattr(code, "assemble") else ""
            raise TypeError(f"native: code must be bytes, got {type(code).__name__}{hint}")
        data = bytes(code)
        if not data:
            raise ValueError("native: code is empty")
        if isinstance(argtypes, (str, bytes)) or not isinstance(argtypes, Sequence):
            raise TypeError(f"native: argtypes must be a list or tuple of types, got {argtypes!r}")
        kinds = tuple(_kind(t, f"argument type {i}") for i, t in enumerate(argtypes))
        ints = kinds.count("int64_t")
        if ints > MAX_INT_ARGS or len(kinds) - ints > MAX_FLOAT_ARGS:
            raise TypeError(f"native: at most {MAX_INT_ARGS} int64 and {MAX_FLOAT_ARGS} double "
                            f"arguments (they all go in registers), got {ints} int64 and "
                            f"{len(kinds) - ints} double")
        result = "void" if restype is None or restype == "void" else _kind(restype, "restype")
        self._kinds = kinds
        self._restype = result
        self._code = data
        self._block: CodeBlock = CodeBlock(data)  # ExecMemError if there is no executable memory
        from ._native import ffi

        ctype = f"{result}(*)({', '.join(kinds) or 'void'})"
        self._fn: Any = ffi.cast(ctype, self._block.address)

    # -- calling -------------------------------------------------------------

    def __call__(self, *args: Any) -> Any:
        kinds = self._kinds
        if len(args) != len(kinds):
            raise TypeError(f"native function {self._signature()} takes {len(kinds)} argument"
                            f"{'' if len(kinds) == 1 else 's'} ({len(args)} given)")
        values: list[int | float] = []
        for i, (value, kind) in enumerate(zip(args, kinds, strict=True)):
            if kind == "int64_t":
                if type(value) is bool or not isinstance(value, int):
                    raise TypeError(f"argument {i} must be an int (int64), not {type(value).__name__}")
                if not INT64_MIN <= value <= INT64_MAX:
                    raise OverflowError(f"argument {i} = {value} does not fit in int64")
                values.append(int(value))
            else:
                if type(value) is bool or not isinstance(value, (int, float)):
                    raise TypeError(f"argument {i} must be a float (double), not {type(value).__name__}")
                values.append(float(value))  # OverflowError for ints beyond a double's range
        fn = self._fn
        if fn is None:
            raise ValueError(f"native function {self._signature()} has been freed")
        return fn(*values)

    # -- what it is ----------------------------------------------------------

    @property
    def address(self) -> int:
        """Address of the code in executable memory (stale after free())."""
        return self._block.address

    @property
    def code(self) -> bytes:
        """The machine code it was made from."""
        return self._code

    @property
    def argtypes(self) -> tuple[type, ...]:
        """The argument types: int (int64) or float (double) each."""
        return tuple(_PY_TYPES[k] for k in self._kinds)

    @property
    def restype(self) -> type | None:
        """int (int64), float (double) or None (no result)."""
        return _PY_TYPES.get(self._restype)

    @property
    def freed(self) -> bool:
        return self._fn is None

    def _signature(self) -> str:
        return f"{self._restype}({', '.join(self._kinds) or 'void'})"

    def disassemble(self) -> str:
        """The code as it is in executable memory, one instruction a line (needs capstone)."""
        from .disasm import disassemble_bytes

        return disassemble_bytes(self._block.read(), self._block.address)

    def free(self) -> None:
        """Return the executable memory now (idempotent). Calling it afterwards raises ValueError."""
        self._fn = None
        self._block.free()

    def __repr__(self) -> str:
        if self._fn is None:
            return f"<NativeFunction {self._signature()} freed>"
        return f"<NativeFunction {self._signature()}, {len(self._code)} bytes at 0x{self.address:x}>"


def native(code: bytes | bytearray | memoryview, argtypes: Sequence[ArgType] = (),
           restype: ArgType | None = int) -> NativeFunction:
    """Copy machine code into executable memory and return it as a callable.

    argtypes: one of int / "int64" or float / "double" per argument (at most
    6 int64 and 8 double: System V passes them in registers). restype: int /
    "int64", float / "double", or None for no result. See NativeFunction for
    how arguments are checked, and this module's docstring for the calling
    convention the code must follow. The code runs exactly as given, with no
    checks: wrong code crashes the process.
    """
    return NativeFunction(code, argtypes, restype)
