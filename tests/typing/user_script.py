"""What a type checker sees of jitted functions (the lint session runs
`mypy --strict` on this file; tests/test_numba_compat.py also runs it).

Lines marked `# type: ignore[code]` must be errors of that code: with
warn_unused_ignores (part of --strict), an ignore that is not needed fails
the check, so each marked line proves that mypy catches that mistake.
"""

from __future__ import annotations

from jitcore import CompileError, Dispatcher, jit, njit


@jit
def hypot2(a: float, b: float) -> float:
    return a * a + b * b


@njit("int64(int64)", cache=True, fastmath=False)
def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@jit(strict=True, nogil=True)
def count(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


@njit
def scale(x: float, k: int = 2) -> float:
    return x * k


def uses() -> None:
    # The decorated functions' own signatures: arguments and results.
    h: float = hypot2(3.0, 4.0)
    n: int = fib(10) + count(5)
    s: float = scale(1.5) + scale(1.5, k=3)
    # The dispatcher's attributes.
    compiled_so_far: list[tuple[object, ...]] = fib.signatures
    original = fib.py_func
    strict: bool = count.strict and fib.strict
    nogil: bool = count.nogil
    failure: Exception | None = hypot2.failure
    fib.compile(int)
    fib.compile("int64(int64)")
    d: Dispatcher[[float, float], float] = hypot2
    print(h, n, s, compiled_so_far, original, strict, nogil, failure, d, CompileError)


def mistakes() -> None:
    """Each line is a mistake mypy must report (never called)."""
    hypot2("3", 4.0)  # type: ignore[arg-type]
    fib(1, 2)  # type: ignore[call-arg]
    scale(1.5, j=3)  # type: ignore[call-arg]
    text: str = count(3)  # type: ignore[assignment]
    fib.signaturez  # type: ignore[attr-defined]  # noqa: B018
    jit(fastmaths=True)  # type: ignore[call-overload]
    njit(parallel="yes")  # type: ignore[call-overload]
    other: Dispatcher[[int], int] = hypot2  # type: ignore[assignment]
    print(text, other)


if __name__ == "__main__":
    uses()
