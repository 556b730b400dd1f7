"""jitcore: a small, fast, trustworthy JIT compiler for numeric Python functions.

    from jitcore import jit

    @jit
    def f(a, b):
        return a * a - b * b

The first call compiles f to x86-64 machine code; results are always exactly
CPython's (on int64 overflow the call is re-run in CPython). See README.md.

numba code moves over by its import: `njit` is `jit(nopython=True)`, and both
take numba's keywords and signature strings (README: "Coming from numba").

Every layer is usable on its own: `jitcore.explain(f, *args)` shows each
compile stage, `jitcore.asm` is the assembler the compiler uses, and
`jitcore.native(code, argtypes, restype)` runs hand-written machine code.
"""

from .dispatcher import Dispatcher, jit, njit
from .errors import CompileError, JitWarning

__version__ = "0.1.0"
__all__ = ["jit", "njit", "disassemble", "explain", "native", "CompileError", "JitWarning", "Dispatcher",
           "Explanation", "NativeFunction", "__version__"]

# `import jitcore` imports only what decorating needs (see dispatcher.py);
# the tools below import the compiler or cffi, so they load on first use.
# (Their modules are not named like them: loading a submodule binds its name
# in the package, which would hide the function jitcore.explain.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .disasm import disassemble
    from .explanation import Explanation, explain
    from .handwritten import NativeFunction, native

_LAZY = {"disassemble": "disasm", "explain": "explanation", "Explanation": "explanation",
         "native": "handwritten", "NativeFunction": "handwritten"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module("." + _LAZY[name], __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module 'jitcore' has no attribute {name!r}")
