"""jitcore: a small, fast, trustworthy JIT compiler for numeric Python functions.

    from jitcore import jit

    @jit
    def f(a, b):
        return a * a - b * b

The first call compiles f to x86-64 machine code; results are always exactly
CPython's (on int64 overflow the call is re-run in CPython). See README.md.
"""

from .disasm import disassemble
from .dispatcher import Dispatcher, jit
from .errors import CompileError, JitWarning

__version__ = "0.1.0"
__all__ = ["jit", "disassemble", "CompileError", "JitWarning", "Dispatcher", "__version__"]
