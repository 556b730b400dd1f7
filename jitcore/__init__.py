"""jitcore: a small, fast, trustworthy JIT compiler for numeric Python functions.

    from jitcore import jit

    @jit
    def f(a, b):
        return a * a - b * b

The first call compiles f to x86-64 machine code; results are always exactly
CPython's (on int64 overflow the call is re-run in CPython). See README.md.

Every layer is usable on its own: `jitcore.explain(f, *args)` shows each
compile stage, `jitcore.asm` is the assembler the compiler uses, and
`jitcore.native(code, argtypes, restype)` runs hand-written machine code.
"""

from .disasm import disassemble
from .dispatcher import Dispatcher, jit
from .errors import CompileError, JitWarning
from .explain import Explanation, explain
from .native import NativeFunction, native

__version__ = "0.1.0"
__all__ = ["jit", "disassemble", "explain", "native", "CompileError", "JitWarning", "Dispatcher",
           "Explanation", "NativeFunction", "__version__"]
