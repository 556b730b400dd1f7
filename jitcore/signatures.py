"""Numba-style signatures for eager compilation: `@njit("int64(int64, float64[:])")`.

`parse(spec)` reads the signatures a decorator was given, as numba writes
them, into `Signature`s, and `Signature.keys()` turns each into the argument
keys jitcore's dispatcher compiles (dispatcher.argument_key: Python types,
NumPy scalar types, ArrayKinds, TupleKinds). Accepted forms:

- a string: `"int64(int64)"`, `"float64(float64, float64)"`, `"(int64, float64)"`
  (no return type), `"void(float64[::1])"`, numba's own printed form
  `"(int64, float64) -> float64"`; array types `float64[:]` (any layout),
  `float64[::1]` (C-contiguous), `float64[:, :]`, `float64[:, ::1]` (C),
  `float64[::1, :]` (Fortran), `array(float64, 2d, C)`, `readonly array(...)`;
  tuples `UniTuple(int64, 2)` and `Tuple(int64, float64)`;
- a tuple of argument types (strings as above, or type objects: `int`,
  `float`, `bool`, `type(None)`, NumPy scalar types, or jitcore's own
  signature types as `f.signatures` lists them);
- numba type objects (`numba.int64(numba.float64[:])`, `numba.float64[::1]`),
  read by their printed form: numba itself is never imported;
- a list of any of those: several signatures.

What the names mean for jitcore (numba types -> jitcore signature types):
`int64` (and its aliases `i8`, `intp`, `int_`, ...) is Python `int`, which
native code holds as int64; `float64` (`f8`, `double`) is `float`;
`boolean` (`bool_`, `b1`) is `bool`: those are what numba users pass. The
narrower scalars (`int32`, `uint8`, `float32`, ...) and `uint64` are the NumPy
scalar types of those names, as an element of such an array is. An array of
"any" layout (`float64[:]`) compiles twice, for C-contiguous arrays and for
any strides (jitcore's two array layouts), so that both kinds of argument
find native code (with several such arrays: all C-contiguous, and all of any
strides; a mix compiles on its first call); `::1` on the last axis means
C-contiguous only, on the first (Fortran order) any strides.

This module is imported only when a decorator is given a signature (and
imports jitcore.calls, the compiler: the signatures compile right away).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from .calls import ArrayKind, BufferKind, TupleKind, _array_kind_for, _is_numpy
from .dispatcher import Dispatcher
from .ir import NUMPY_SCALARS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .calls import Key


class SignatureError(ValueError):
    """A signature jitcore cannot read (the message says what it expected)."""


# numba's scalar type names and aliases -> the NumPy type they are.
_SCALAR_NAMES: dict[str, str] = {}
for _dtype, _aliases in {
    "int8": "i1 char", "int16": "i2 short", "int32": "i4 intc",
    "int64": "i8 intp int_ long_ longlong",
    "uint8": "u1 byte", "uint16": "u2 ushort", "uint32": "u4 uintc",
    "uint64": "u8 uintp uint ulong ulonglong",
    "float32": "f4", "float64": "f8 double", "bool": "boolean bool_ b1",
}.items():
    for _name in (_dtype, *_aliases.split()):
        _SCALAR_NAMES[_name] = _dtype
_NONE_NAMES = ("void", "none")

# numba types jitcore does not compile, with what happens to such arguments.
_NOT_COMPILED = {
    "float16": "float16 is not among the NumPy types jitcore compiles",
    "complex64": "complex numbers run in CPython", "complex128": "complex numbers run in CPython",
    "c8": "complex numbers run in CPython", "c16": "complex numbers run in CPython",
    "unicode_type": "strings run in CPython", "string": "strings run in CPython",
    "pyobject": "jitcore has no object mode: such functions run in CPython",
}

# What `readonly`, the layouts and the tuples are called in the grammar.
_LAYOUTS = {"C": "C", "F": "F", "A": "A"}
_TOKEN = re.compile(r"\s*(->|::1|[A-Za-z_][A-Za-z0-9_]*|\d+|[()\[\],:])")

_HELP = ("a signature is written as numba writes it: 'int64(int64, float64)', "
         "'(int64, float64)' without a return type, 'void(float64[::1])'; scalar types "
         "int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 boolean (and numba's "
         "aliases: i8, f8, intp, ...), arrays as float64[:] (any layout), float64[::1] "
         "(C-contiguous), float64[:, :] (2-D), tuples as UniTuple(int64, 2) or Tuple(int64, float64)")


class ArraySpec(NamedTuple):
    """An array type of a signature: dtype name, dimensions, layout ('C', 'F', 'A')."""

    dtype: str
    ndim: int
    layout: str
    readonly: bool = False


class TupleSpec(NamedTuple):
    """A tuple type of a signature: its items' types."""

    items: tuple[Any, ...]


class Given(NamedTuple):
    """A type object given as it is (int, a NumPy scalar type, an ArrayKind, ...)."""

    type: Any


# A type in a signature: a scalar's NumPy name ("int64"), "none", an
# ArraySpec, a TupleSpec, or a Given.
Spec = Any


class Signature(NamedTuple):
    """One signature: argument types and the declared return type (None: not given)."""

    args: tuple[Spec, ...]
    returns: Spec | None
    text: str  # as given, for messages

    def check_arity(self, dispatcher: Dispatcher) -> None:
        """SignatureError unless this signature has as many arguments as the function."""
        if len(self.args) != dispatcher._nparams:
            raise SignatureError(f"the signature {self.text!r} has {len(self.args)} argument types, "
                                 f"but {dispatcher.py_func.__qualname__}() takes "
                                 f"{dispatcher._nparams} positional parameter(s)")

    def keys(self) -> list[Key]:
        """The argument keys (dispatcher.argument_key) this signature compiles."""
        # An argument of either layout has two: all of them C-contiguous, and
        # all of any strides (a mix compiles on its first call, as usual).
        choices = [_key_choices(spec, self.text) for spec in self.args]
        keys = [tuple(c[0] for c in choices), tuple(c[-1] for c in choices)]
        return keys[:1] if keys[0] == keys[1] else keys

    def accepts(self, returned: tuple[Any, ...]) -> bool:
        """Whether a result of IR kind `returned` (Compiled.returns: ("int",),
        ("np.float32",), ("tuple", "int", "float"), ...) is of the declared
        return type, as numba would box it (int for every integer type, ...)."""
        if self.returns is None:
            return True
        if returned[0] == "tuple":
            return _accepts(self.returns, tuple(returned[1:]))
        return _accepts(self.returns, returned[0])


def parse(spec: Any) -> list[Signature]:
    """The signatures a decorator was given (see the module's doc); SignatureError
    for anything it cannot read."""
    if isinstance(spec, list):
        if not spec:
            raise SignatureError("an empty list of signatures: leave the signature out to compile "
                                 "on the first call")
        return [one for item in spec for one in parse(item)]
    if isinstance(spec, str):
        return [_Parser(spec).signature()]
    if isinstance(spec, tuple):  # argument types only
        return [Signature(tuple(_given(t, repr(spec)) for t in spec), None, repr(spec))]
    if _is_numba(spec):  # a numba Signature, as it prints: "(int64, float64) -> float64"
        args, returns = getattr(spec, "args", None), getattr(spec, "return_type", None)
        if isinstance(args, tuple):  # (its own str shows arrays by their repr)
            text = f"({''.join(f'{a}, ' for a in args)}) -> {returns}"
            return [_Parser(text).signature()]
        return [_Parser(str(spec)).signature()]
    raise SignatureError(f"cannot read the signature {spec!r} (a {type(spec).__name__}): {_HELP}; "
                         f"several signatures go in a list")


def _is_numba(obj: Any) -> bool:
    return (getattr(type(obj), "__module__", "") or "").split(".")[0] == "numba"


def _given(t: Any, text: str) -> Spec:
    """An argument type given as an object in a tuple of argument types."""
    if isinstance(t, str) or _is_numba(t):
        return _Parser(str(t)).whole_type()
    if t is None or t is type(None):
        return "none"
    if t in (int, float, bool) or isinstance(t, (ArrayKind, BufferKind, TupleKind)) \
            or (_is_numpy(t) and t.__name__ != "ndarray"):
        return Given(t)
    raise SignatureError(f"cannot read the argument type {t!r} in {text}: give int, float, bool, "
                         f"None, a NumPy scalar type or a type as a string; {_HELP}")


class _Parser:
    """A recursive-descent reader of one signature string."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, int]] = []  # (token, column)
        at = 0
        while at < len(text):
            match = _TOKEN.match(text, at)
            if match is None:
                rest = text[at:].lstrip()
                if not rest:
                    break  # trailing blanks
                raise self.error(f"unexpected {rest[0]!r}", len(text) - len(rest))
            self.tokens.append((match.group(1), match.start(1)))
            at = match.end()
        self.pos = 0

    def error(self, what: str, column: int | None = None) -> SignatureError:
        if column is None:
            column = self.tokens[self.pos][1] if self.pos < len(self.tokens) else len(self.text)
        return SignatureError(f"cannot read the signature {self.text!r}: {what} at column "
                              f"{column + 1}; {_HELP}")

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self, *expected: str) -> str:
        token = self.peek()
        if token is None or (expected and token not in expected):
            wanted = " or ".join(repr(e) for e in expected) if expected else "a type"
            raise self.error(f"expected {wanted}, found {'the end' if token is None else repr(token)}")
        self.pos += 1
        return token

    def end(self) -> None:
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()!r}")

    def signature(self) -> Signature:
        returns = None if self.peek() == "(" else self.type()
        args = self.type_list("(", ")")
        if returns is None and self.peek() == "->":  # numba's printed form
            self.take("->")
            returns = self.type()
        self.end()
        return Signature(tuple(args), returns, self.text)

    def whole_type(self) -> Spec:
        spec = self.type()
        self.end()
        return spec

    def type_list(self, open_: str, close: str) -> list[Spec]:
        self.take(open_)
        items: list[Spec] = []
        while self.peek() != close:
            items.append(self.type())
            if self.peek() != close:
                self.take(",", close)
        self.take(close)
        return items

    def type(self) -> Spec:
        token = self.peek()
        if token is None or not (token[0].isalpha() or token[0] == "_"):
            raise self.error("expected a type, found " + ("the end" if token is None else repr(token)))
        column = self.tokens[self.pos][1]
        name = self.take()
        if name == "readonly":
            spec = self.type()
            if not isinstance(spec, ArraySpec):
                raise self.error("readonly applies to arrays only", column)
            return spec._replace(readonly=True)
        if name == "array" and self.peek() == "(":
            return self.array_call()
        if name == "UniTuple":
            self.take("(")
            item = self.type()
            self.take(",", "x")
            count = int(self.take_number())
            self.take(")")
            return TupleSpec((item,) * count)
        if name == "Tuple":
            if self.tokens[self.pos + 1:self.pos + 2] and self.tokens[self.pos + 1][0] == "(":
                self.take("(")  # Tuple((int64, float64)), as numba's string signatures write it
                items = self.type_list("(", ")")
                self.take(")")
            else:  # Tuple(int64, float64), as numba prints it
                items = self.type_list("(", ")")
            return TupleSpec(tuple(items))
        if name in _NONE_NAMES:
            return "none"
        if name in _NOT_COMPILED:
            raise self.error(f"{name}: {_NOT_COMPILED[name]}; leave the signature out (the "
                             f"first call decides)", column)
        dtype = _SCALAR_NAMES.get(name)
        if dtype is None:
            raise self.error(f"unknown type {name!r}", column)
        if self.peek() == "[":
            return self.array_dims(dtype)
        return dtype

    def take_number(self) -> str:
        token = self.peek()
        if token is None or not token.isdigit():
            raise self.error("expected a number")
        return self.take()

    def array_dims(self, dtype: str) -> ArraySpec:
        """`[:]`, `[::1]`, `[:, :]`, `[:, ::1]`, `[::1, :]` after a dtype."""
        self.take("[")
        dims: list[str] = []
        while True:
            dims.append(self.take(":", "::1"))
            if self.peek() != ",":
                break
            self.take(",")
        self.take("]")
        if dims.count("::1") > 1 or (len(dims) > 1 and "::1" in dims[1:-1]):
            raise self.error("'::1' marks the contiguous axis: the last (C) or the first (Fortran)")
        layout = "C" if dims[-1] == "::1" else "F" if dims[0] == "::1" and len(dims) > 1 else "A"
        return self._array(dtype, len(dims), layout)

    def array_call(self) -> ArraySpec:
        """`array(float64, 2d, C)`, as numba prints array types."""
        self.take("(")
        name = self.take()
        dtype = _SCALAR_NAMES.get(name)
        if dtype is None:
            raise self.error(f"unknown element type {name!r}")
        self.take(",")
        ndim = int(self.take_number())
        self.take("d")
        self.take(",")
        layout = self.take(*_LAYOUTS)
        self.take(")")
        return self._array(dtype, ndim, layout)

    def _array(self, dtype: str, ndim: int, layout: str) -> ArraySpec:
        if ndim not in (1, 2):
            raise self.error(f"a {ndim}-D array: jitcore compiles arrays of 1 and 2 dimensions")
        return ArraySpec(dtype, ndim, layout)


def _numpy_type(dtype: str, text: str) -> type:
    """NumPy's scalar type named `dtype`, importing NumPy (which the signature needs)."""
    try:
        import numpy
    except ImportError as exc:
        raise SignatureError(f"the signature {text!r} names NumPy type {dtype}: install NumPy") from exc
    return numpy.dtype(dtype).type  # type: ignore[no-any-return]


def _key_choices(spec: Spec, text: str) -> list[Any]:
    """The signature types (dispatcher keys) an argument type stands for."""
    if isinstance(spec, Given):
        return [spec.type]
    if spec == "none":
        return [type(None)]
    if isinstance(spec, str):
        python = {"int64": int, "float64": float, "bool": bool}.get(spec)
        return [python if python is not None else _numpy_type(spec, text)]
    if isinstance(spec, ArraySpec):
        _numpy_type(spec.dtype, text)  # (the same error as for scalars without NumPy)
        code = NUMPY_SCALARS["np." + spec.dtype].code
        layouts = ["C", "A"] if spec.layout == "A" else ["C"] if spec.layout == "C" else ["A"]
        return [_array_kind_for(code, spec.ndim, layout, spec.readonly) for layout in layouts]
    if isinstance(spec, TupleSpec):  # (native code takes tuples of scalars: one choice each)
        return [TupleKind(tuple(_key_choices(item, text)[0] for item in spec.items))]
    raise AssertionError(spec)


def _accepts(declared: Spec, returned: Any) -> bool:
    """Whether IR result `returned` (a type name or a tuple shape) is of type `declared`."""
    if isinstance(declared, TupleSpec):
        return isinstance(returned, tuple) and len(returned) == len(declared.items) and all(
            _accepts(d, r) for d, r in zip(declared.items, returned, strict=True))
    if isinstance(returned, tuple) or isinstance(declared, ArraySpec):
        return False  # (native code never returns an array)
    if isinstance(declared, Given):  # a type object
        t = declared.type
        if t not in (int, float, bool, type(None)) and not _is_numpy(t):
            return False  # (an ArrayKind, ...)
        declared = "none" if t is type(None) else t.__name__
    return _kind(declared) == _kind(returned)


def _kind(name: str) -> str:
    """How numba boxes a result of this type: int, float, bool or None."""
    scalar = NUMPY_SCALARS.get(name) or NUMPY_SCALARS.get("np." + name)
    if scalar is not None:
        return {"i": "int", "u": "int", "f": "float", "b": "bool"}[scalar.kind]
    return {"int": "int", "float": "float", "bool": "bool", "none": "none"}.get(name, name)


def describe(returned: tuple[Any, ...]) -> str:
    """A result kind of Compiled.returns as a user reads it."""
    def name(t: Any) -> str:
        if isinstance(t, tuple):
            return "tuple(" + ", ".join(name(x) for x in t) + ")"
        return "None" if t == "none" else t
    return name(tuple(returned[1:])) if returned[0] == "tuple" else name(returned[0])


def spec_name(spec: Spec) -> str:
    """A declared type as numba writes it."""
    if isinstance(spec, ArraySpec):
        return f"{'readonly ' if spec.readonly else ''}array({spec.dtype}, {spec.ndim}d, {spec.layout})"
    if isinstance(spec, TupleSpec):
        return "Tuple(" + ", ".join(spec_name(x) for x in spec.items) + ")"
    if isinstance(spec, Given):
        return getattr(spec.type, "__name__", str(spec.type))
    return "boolean" if spec == "bool" else str(spec)


def iter_keys(signatures: list[Signature]) -> Iterator[tuple[Signature, Key]]:
    """Every (signature, key) to compile, each key once."""
    seen: set[Key] = set()
    for sig in signatures:
        for key in sig.keys():
            if key not in seen:
                seen.add(key)
                yield sig, key
