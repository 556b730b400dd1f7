"""Exceptions and warnings a user of jitcore can meet."""

from __future__ import annotations


class CompileError(Exception):
    """jitcore cannot compile a function to native code.

    `filename`, `lineno` and `construct` say where and what; with the default
    `@jit` the function then runs in CPython, with `@jit(strict=True)` this is
    raised from the first call.
    """

    def __init__(self, construct: str, filename: str = "<unknown>", lineno: int | None = None,
                 function: str = "") -> None:
        self.construct = construct
        self.filename = filename
        self.lineno = lineno
        self.function = function
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.filename}:{self.lineno}" if self.lineno is not None else self.filename
        who = f" in {self.function}()" if self.function else ""
        return f"{where}: cannot compile{who}: {self.construct}"


class JitWarning(RuntimeWarning):
    """A function decorated with @jit runs in CPython instead of native code."""
