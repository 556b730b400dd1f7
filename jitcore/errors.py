"""Exceptions and warnings a user of jitcore can meet."""

from __future__ import annotations

# What to do about a construct native code does not compile, by how its
# description (CompileError.construct) begins: the first match gives the hint.
HINTS = (
    ("list display", "use a tuple, or pass a NumPy array or array.array as an argument"),
    ("list comprehension", "write the loop, or pass a NumPy array or array.array as an argument"),
    ("dict display", "dicts stay in Python: pass the values the jitted code needs as arguments"),
    ("set display", "use a tuple: `x in (a, b, c)` compiles"),
    ("global name 'print'", "print outside the jitted function (or return what you would print)"),
    ("global name", "jitted code reads int, float and bool globals (as constants), functions, "
                    "math and builtins: pass other objects as arguments"),
    ("attribute access", "read the attribute before the call and pass its value as an argument"),
    ("call to '", "decorate the function with @jit, or call it outside the jitted function"),
    ("call of", "call functions by their global name (or pass the values they compute)"),
    ("math.", "call it outside the jitted function: README lists the math functions that compile"),
    ("operator + on str", "strings stay in Python: format them outside the jitted function"),
    ("subscript", "index NumPy arrays or buffers (bytes, bytearray, array.array, memoryview), "
                  "or tuples by constants"),
    ("for loop over", "loop over range(), a tuple, a 1-D array or buffer, enumerate() or zip()"),
    ("nested function or lambda", "define it at module level (jitted code calls it by name)"),
    ("closure", "pass the outer variables as parameters"),
    ("keyword-only parameter", "make it a positional parameter (with a default if need be)"),
    ("*args parameter", "pass a tuple or an array instead"),
    ("**kwargs parameter", "name the parameters"),
    ("generator function", "keep the generator in Python and jit the work it does per item"),
    ("'is' comparison", "compare with ==; `is None` and `is not None` compile"),
)


def hint_for(construct: str) -> str:
    """What a person can do about `construct` ("" if jitcore has no advice)."""
    return next((hint for start, hint in HINTS if construct.startswith(start)), "")


def source_line(filename: str, lineno: int | None, width: int = 60) -> str:
    """The source text at filename:lineno, stripped and shortened ("" if unknown)."""
    if lineno is None:
        return ""
    import linecache  # (here: it imports tokenize and re, which `import jitcore` does not need)

    text = linecache.getline(filename, lineno).strip()
    return text if len(text) <= width else text[: width - 3] + "..."


class CompileError(Exception):
    """jitcore cannot compile a function to native code.

    `filename`, `lineno` and `construct` say where and what; with the default
    `@jit` the function then runs in CPython, with `@jit(strict=True)` this is
    raised from the first call. The message is one line: the place, the
    construct, the source text there, the calls that led there (`via`), and a
    hint where jitcore has one (`hint`).
    """

    def __init__(self, construct: str, filename: str = "<unknown>", lineno: int | None = None,
                 function: str = "", via: tuple[str, ...] = ()) -> None:
        self.construct = construct
        self.filename = filename
        self.lineno = lineno
        self.function = function
        # The calls that led here when the cause is in a function called by the
        # one being compiled: "outer() at f.py:12", outermost first.
        self.via = via
        super().__init__(self._message())

    @property
    def hint(self) -> str:
        return hint_for(self.construct)

    def _message(self) -> str:
        where = f"{self.filename}:{self.lineno}" if self.lineno is not None else self.filename
        who = f" in {self.function}()" if self.function else ""
        source = source_line(self.filename, self.lineno)
        at = f" in `{source}`" if source else ""
        path = f" (called via {' -> '.join(self.via)})" if self.via else ""
        hint = f"; hint: {self.hint}" if self.hint else ""
        return f"{where}: cannot compile{who}: {self.construct}{at}{path}{hint}"

    def called_from(self, call: str) -> CompileError:
        """This root cause, reached through one more call (`call`, the caller's
        "name() at file:line"), outermost first."""
        error = CompileError(self.construct, self.filename, self.lineno, self.function, (call, *self.via))
        error.__cause__ = self.__cause__
        return error


class JitWarning(RuntimeWarning):
    """A function decorated with @jit runs in CPython instead of native code."""
