"""Exceptions and warnings a user of jitcore can meet."""

from __future__ import annotations


class CompileError(Exception):
    """jitcore cannot compile a function to native code.

    `filename`, `lineno` and `construct` say where and what; with the default
    `@jit` the function then runs in CPython, with `@jit(strict=True)` this is
    raised from the first call.
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

    def _message(self) -> str:
        where = f"{self.filename}:{self.lineno}" if self.lineno is not None else self.filename
        who = f" in {self.function}()" if self.function else ""
        path = f" (called via {' -> '.join(self.via)})" if self.via else ""
        return f"{where}: cannot compile{who}: {self.construct}{path}"

    def called_from(self, call: str) -> CompileError:
        """This root cause, reached through one more call (`call`, the caller's
        "name() at file:line"), outermost first."""
        error = CompileError(self.construct, self.filename, self.lineno, self.function, (call, *self.via))
        error.__cause__ = self.__cause__
        return error


class JitWarning(RuntimeWarning):
    """A function decorated with @jit runs in CPython instead of native code."""
