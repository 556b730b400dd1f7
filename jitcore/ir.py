"""The IR every stage after the front end reads and writes.

A `Function` is a list of `Block`s; a block is a list of three-address
`Inst`s over typed virtual registers (`Value`) and constants (`Const`), and
ends in exactly one terminator (`jmp`, `br` or `ret`).

Values are not SSA: each Python local (of one type) is one `Value` that may be
assigned many times, while temporaries made by the front end are assigned
once. That keeps the front end simple (no phi nodes) and is all a linear-scan
allocator needs.

Types are `Type` objects, one per name (type_named), which know their kind,
size, signedness and register class: INT (int64), BOOL (0 or 1 in a general
register) and FLOAT (an IEEE double in an SSE register), and the NumPy scalar
types ("np.float64", "np.uint8", ...: NUMPY_SCALARS), which the back end holds
as one of those three (Type.register) and the front end computes with
NumPy's rules. A function's parameters may also be buffers (`bytes`,
`bytearray`, `array.array`, a 1-D `memoryview`: "buffer:d", "buffer:d:strided") or
NumPy arrays ("array:d:2C"): the front end gives such a parameter INT values
(Type.slots: the address of its first element, its length, its undo record
for stores, and an array's other dimensions and strides), and reads and
writes elements with `load` and `store`.
Instruction set (dst on the left):

    v = mov a                 copy (same type)
    v = add|sub|mul a, b      int64 arithmetic       .ovf: deopt on overflow (with a
                              WarnSite as data: NumPy's warning in place, v wraps)
    warn c                    if c: NumPy's overflow warning in place (data: a WarnSite;
                              None: deopt instead, passes/records.py)
    v = neg a                 -a                     .ovf
    v = not a                 ~a (bitwise)
    v = and|or|xor a, b       bitwise
    v = floordiv|mod a, b     Python's // and % on ints (deopt: b == 0, overflow)
    v = shl|shr a, b          << and >> (deopt: negative count, lost bits)
    v = abs a                 abs() of an int      .ovf (abs(-2**63))
    v = min|max a, b          of ints (Python's: the first of equals wins)
    v = cmp.<cc> a, b         int compare -> BOOL     cc: lt le eq ne gt ge
    v = fcmp.<cc> a, b        float compare -> BOOL (false when unordered, but ne)
    v = select c, a, b        a if c (a BOOL) else b
    v = truth a               bool(a) for INT/BOOL (a != 0)
    v = ftruth a              bool(a) for FLOAT (nan is true)
    v = fadd|fsub|fmul a, b   double arithmetic
    v = fdiv a, b             a / b (deopt: b == 0)
    v = fneg|fabs a           sign flip / clear
    v = fmin|fmax a, b        Python's min/max of two floats (nan rules included)
    v = i2f a                 float(int)
    v = fround32 a            a rounded to float32 (NumPy's float32 arithmetic)
    fcheck a                  deopt unless a is finite (NumPy warns where a float
                              result overflows or is invalid: CPython then warns)
    v = i2f_exact a           float(int), deopt unless exact (for int-float compares)
    v = helper.<name> a, ...  call a C helper from csrc/numeric.c (deopt on status != 0)
    v = call.<f> a, ...       call another jitted function's native code (`data` says
                              where and what it returns; deopt unless it returns that)
    v = callres <i>           the i-th element of the tuple the last call returned (or,
                              after a call with alternatives, its scalar result: i = 0)
    v = callstatus            the status the last call returned, when its callee returns
                              one of several kinds (the NativeTarget's alternatives)
    v = load.<code> p, i      element i of the buffer at p (`code` names the element
                              type, as struct does: ELEMENTS); the front end checks i
                              against the length first. .ovf: deopt if a uint64
                              element does not fit in an int64. With data "bytes"
                              (a strided array) i is a byte offset
    v = undo_begin u          the byte map of undo record u (csrc/undo.h), allocating the
                              record's memory at the call's first store (deopt if none)
    v = undo_field.<pre|post> u, d   the record's `pre` or `post` (d: its byte map, so
                              that the load comes after undo_begin)
    store.<code> p, i, x, d, pre, post   x (converted and range-checked by the front end)
                              into element i of the buffer at p, recorded first in its
                              undo record: d[i] flags it stored, pre[i] keeps the old
                              value the first time, post[i] the value stored. With
                              data "bytes": i is a byte offset, and a seventh operand
                              k the element's number in C order (its place in the record)
    jmp B
    br a, T, F                go to T if a (BOOL) else F
    ret a, ...                return; `kind` names the result shape (see abi.py)
    deopt                     leave to the interpreter: CPython raises here, or its
                              result does not fit the native types
    raise a, ...              leave with the exception CPython raises here (data: a
                              RaiseSite; the operands are its values), keeping what
                              the call did so far, as CPython does (no re-run)
"""

from __future__ import annotations

from .errors import CompileError
from .record import Record

# The classes below are plain classes, not dataclasses: the first call of a
# jitted function imports the compiler, and `dataclasses` (with inspect, ast,
# re, ...) and making each dataclass took a third of that import. `typing`
# likewise: type checkers read these imports, the program does not.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Any, TypeVar

    T = TypeVar("T")

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Type(str):
    """A value type of the IR, and what each stage asks of it. It is its own
    name (a str: IR text, signatures and the dispatcher's keys print and
    compare it so, and "int" == INT), and it knows:

      kind      "int", "bool", "float", "numpy" (a NumPy scalar), "buffer" or
                "array" (parameter types), or "other";
      register  INT, BOOL or FLOAT: how the back end holds a value of it
                (a NumPy int8 in a general register, a float32 as the double
                it equals in an SSE register);
      size, signed   as a value in memory (8 for int and float);
      numpy     the NumpyScalar of a NumPy scalar type;
      element   the Element of a buffer's or array's items;
      ndim, layout, readonly   of a buffer or array parameter (layout "C"
                for contiguous, "A" for any strides);
      slots     the 8-byte argument slots a parameter of it takes (abi.py).

    There is one object per name (type_named): `ir.type_named("np.int8")`
    is the same object every time, and Value and Const keep theirs so."""

    kind: str
    register: str
    size: int
    signed: bool
    numpy: NumpyScalar | None
    element: Element | None
    ndim: int
    layout: str
    readonly: bool
    slots: int

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return type_named, (str(self),)

    @property
    def is_float(self) -> bool:
        """Whether values of it live in SSE registers (float, NumPy floats)."""
        return self.register == "float"


def _make_type(name: str, kind: str, register: str, size: int = 8, signed: bool = True,
               numpy: NumpyScalar | None = None, element: Element | None = None, ndim: int = 0,
               layout: str = "", readonly: bool = False) -> Type:
    t = Type(name)
    t.kind, t.register, t.size, t.signed, t.numpy = kind, register, size, signed, numpy
    t.element, t.ndim, t.layout, t.readonly = element, ndim, layout, readonly
    # a scalar: one slot; a buffer: address, length, undo record; an array
    # also its other dimensions, and its strides unless C-contiguous
    t.slots = 1 if element is None else 3 + max(ndim - 1, 0) + (ndim if layout != "C" else 0)
    return t


INT = _make_type("int", "int", "int")
BOOL = _make_type("bool", "bool", "bool", size=1, signed=False)
FLOAT = _make_type("float", "float", "float")
TYPES = (INT, BOOL, FLOAT)



class Element(Record):
    """The type of a buffer's elements, named by its struct format code (as
    array.array typecodes, memoryview formats and NumPy's dtype.char are):
    its size and signedness, and the register class a load gives (INT,
    FLOAT, or BOOL for NumPy's bool). Immutable; equal by its fields."""

    __slots__ = ("code", "size", "signed", "type")

    def __init__(self, code: str, size: int, signed: bool, type: str) -> None:
        self.code, self.size, self.signed, self.type = code, size, signed, type

    def _fields(self) -> tuple[str, int, bool, str]:
        return self.code, self.size, self.signed, self.type

    def __repr__(self) -> str:
        return f"Element(code={self.code!r}, size={self.size!r}, signed={self.signed!r}, type={self.type!r})"

    def bounds(self) -> tuple[int, int]:
        """The values an integer element holds, as native code may hold them
        (a uint64 only up to INT64_MAX: larger ones deopt when loaded)."""
        if self.type == BOOL:
            return 0, 1
        bits = 8 * self.size
        if self.signed:
            return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        return 0, min(2**bits - 1, INT64_MAX)


# The element types native code reads, with their native sizes (x86-64 Linux
# and macOS: 'i' is 4 bytes, 'l' 8). 'f' is a float32 widened to a double,
# exactly as CPython reads it. '?' (a byte, 0 or 1) only in NumPy arrays.
ELEMENTS: dict[str, Element] = {e.code: e for e in (
    Element("b", 1, True, INT), Element("B", 1, False, INT),
    Element("h", 2, True, INT), Element("H", 2, False, INT),
    Element("i", 4, True, INT), Element("I", 4, False, INT),
    Element("l", 8, True, INT), Element("L", 8, False, INT),
    Element("q", 8, True, INT), Element("Q", 8, False, INT),
    Element("f", 4, True, FLOAT), Element("d", 8, True, FLOAT),
    Element("?", 1, False, BOOL),
)}
# What buffers other than NumPy arrays may hold (a '?' memoryview's elements are Python bools).
BUFFER_ELEMENTS: dict[str, Element] = {c: e for c, e in ELEMENTS.items() if c != "?"}


class NumpyScalar(Record):
    """A NumPy scalar type as a value type of the IR ("np.float64"): the
    elements of a NumPy array are these, with NumPy's arithmetic (NEP 50),
    not Python's. In a register it is its element's 64-bit widening: an
    int in a general register (a uint64 only while below 2**63: larger
    ones deopt), a bool as 0 or 1, a float32 as the double it equals.
    Immutable; equal by its fields."""

    __slots__ = ("name", "code", "kind")

    def __init__(self, name: str, code: str, kind: str) -> None:
        self.name = name  # the IR type, "np." + the NumPy type's name
        self.code = code  # its dtype.char, a key of ELEMENTS
        self.kind = kind  # NumPy's dtype.kind: "b" bool, "i" signed, "u" unsigned, "f" float

    def _fields(self) -> tuple[str, str, str]:
        return self.name, self.code, self.kind

    def __repr__(self) -> str:
        return f"NumpyScalar(name={self.name!r}, code={self.code!r}, kind={self.kind!r})"

    @property
    def element(self) -> Element:
        return ELEMENTS[self.code]

    @property
    def bits(self) -> int:
        return 8 * self.element.size

    @property
    def register(self) -> str:
        """INT, BOOL or FLOAT: how the back end holds it."""
        return self.element.type

    def bounds(self) -> tuple[int, int]:
        """The values an integer or bool type holds (Element.bounds)."""
        return self.element.bounds()


NUMPY_SCALARS: dict[str, NumpyScalar] = {s.name: s for s in (
    NumpyScalar("np.bool", "?", "b"),
    NumpyScalar("np.int8", "b", "i"), NumpyScalar("np.uint8", "B", "u"),
    NumpyScalar("np.int16", "h", "i"), NumpyScalar("np.uint16", "H", "u"),
    NumpyScalar("np.int32", "i", "i"), NumpyScalar("np.uint32", "I", "u"),
    NumpyScalar("np.int64", "l", "i"), NumpyScalar("np.uint64", "L", "u"),
    NumpyScalar("np.longlong", "q", "i"), NumpyScalar("np.ulonglong", "Q", "u"),
    NumpyScalar("np.float32", "f", "f"), NumpyScalar("np.float64", "d", "f"),
)}
NUMPY_BY_CODE: dict[str, NumpyScalar] = {s.code: s for s in NUMPY_SCALARS.values()}


# A parameter (or a local) that holds None: no slot, no register; the type says it all.
NONE = _make_type("none", "none", INT)
NONE.slots = 0
_TYPES: dict[str, Type] = {t: t for t in (*TYPES, NONE)}


def shape_leaves(shape: tuple[Any, ...]) -> list[str]:
    """The item types of a returned tuple of this shape, in slot order: a
    shape holds type names and, for tuples inside it, shapes (`(a, b), c`
    is ((INT, INT), FLOAT); its three items take three result slots)."""
    leaves: list[str] = []
    for item in shape:
        leaves += shape_leaves(item) if isinstance(item, tuple) else [item]
    return leaves


def type_named(name: str) -> Type:
    """The Type named `name` ("int", "np.uint8", "array:d:2C", ...), made on first use."""
    t = _TYPES.get(name)
    if t is None:
        t = _TYPES[name] = _parse_type(str(name))
    return t


def _parse_type(name: str) -> Type:
    scalar = NUMPY_SCALARS.get(name)
    if scalar is not None:
        e = scalar.element
        return _make_type(name, "numpy", scalar.register, e.size, e.signed, numpy=scalar)
    parts = name.split(":")
    if parts[0] in ("buffer", "array") and len(parts) > 1 and parts[1] in ELEMENTS:
        readonly = parts[-1] == "readonly"
        if parts[0] == "buffer":  # 1-D; "strided" (a memoryview with steps) has a stride slot
            return _make_type(name, "buffer", INT, element=ELEMENTS[parts[1]], ndim=1,
                              layout="A" if "strided" in parts else "C", readonly=readonly)
        dims = parts[2]
        return _make_type(name, "array", INT, element=ELEMENTS[parts[1]], ndim=int(dims[:-1]),
                          layout=dims[-1], readonly=readonly)
    return _make_type(name, "other", INT)


def numpy_scalar(t: str) -> NumpyScalar | None:
    """The NumPy scalar type IR type `t` names, or None for int, bool and float."""
    return type_named(t).numpy


def buffer_type(code: str, readonly: bool = False, strided: bool = False) -> str:
    """The signature type of a buffer argument whose elements have struct code
    `code` (readonly: one that refuses stores, such as bytes; strided: a 1-D
    memoryview whose elements are not next to each other, m[::2])."""
    return "buffer:" + code + (":strided" if strided else "") + (":readonly" if readonly else "")


def array_type(code: str, ndim: int, layout: str, readonly: bool = False) -> str:
    """The signature type of a NumPy array argument: elements of dtype.char
    `code`, `ndim` dimensions, layout "C" (C-contiguous) or "A" (any strides)."""
    return f"array:{code}:{ndim}{layout}" + (":readonly" if readonly else "")


def tuple_type(items: Sequence[str]) -> str:
    """The signature type of a tuple argument: tuple[int,float,tuple[bool,none]]."""
    return "tuple[" + ",".join(items) + "]"


def tuple_items(t: str) -> list[str] | None:
    """The item types of tuple signature type t (nested tuples as tuple
    types), or None if t is not a tuple type."""
    if not t.startswith("tuple["):
        return None
    items: list[str] = []
    depth, start = 0, len("tuple[")
    for i in range(start, len(t) - 1):
        if t[i] == "[":
            depth += 1
        elif t[i] == "]":
            depth -= 1
        elif t[i] == "," and depth == 0:
            items.append(t[start:i])
            start = i + 1
    if start < len(t) - 1:
        items.append(t[start:-1])
    return items


def element_of(t: str) -> Element | None:
    """The element type of buffer or array signature type `t`, or None if `t` is a scalar type."""
    return type_named(t).element


def array_shape(t: str) -> tuple[int, str] | None:
    """(ndim, layout) of array signature type `t`, or None if it is no array."""
    u = type_named(t)
    return (u.ndim, u.layout) if u.kind == "array" else None


def argument_slots(t: str) -> int:
    """The 8-byte argument slots a parameter of signature type t takes (abi.py):
    one for a scalar; for a buffer its address, length and undo record; for
    an array those, its other dimensions, and its strides unless C-contiguous."""
    return type_named(t).slots


COMMUTATIVE = {"add", "mul", "and", "or", "xor", "fadd", "fmul"}
TERMINATORS = {"jmp", "br", "ret", "deopt", "raise"}
# Ops that may leave to the interpreter (never deleted even when dead).
MAY_DEOPT = {"floordiv", "mod", "shl", "shr", "fdiv", "i2f_exact", "fcheck", "undo_begin", "helper",
             "call", "deopt", "warn"}


class RaiseSite(Record):
    """A place where CPython raises and native code raises the same in place
    (a `raise` instruction): an index out of range in `a[i]` (kind "load") or
    `a[i] = x` ("store"), or a raise statement or failed assert ("raise").
    The caller evaluates that subscript (or makes that exception) in Python
    with the argument and the operand values the code returns
    (jitcore/raising.py), so the exception is CPython's own. Immutable;
    equal by its fields (Function.raise_sites keeps each once)."""

    __slots__ = ("kind", "param", "types", "offset", "line", "raised")

    def __init__(self, kind: str, param: int, types: tuple[Type, ...], offset: int,
                 line: int | None, raised: tuple[Any, ...] = ()) -> None:
        self.kind = kind  # "load", "store" or "raise"
        self.param = param  # the buffer's position among the function's arguments (-1: none)
        self.types = types  # of the operands: the indices, then a store's value
        self.offset = offset  # the bytecode instruction's offset (for the traceback's position)
        self.line = line
        # "raise" (a raise statement, an assert): the exception class and its
        # arguments, each ("operand", k) or ("const", a str or other constant)
        self.raised = raised

    def _fields(self) -> tuple[Any, ...]:
        return self.kind, self.param, self.types, self.offset, self.line, self.raised

    def __repr__(self) -> str:
        return (f"RaiseSite(kind={self.kind!r}, param={self.param!r}, types={self.types!r}, "
                f"offset={self.offset!r}, line={self.line!r}, raised={self.raised!r})")


class WarnSite(Record):
    """A NumPy integer operation that wraps and warns on overflow, which
    native code warns about in place (jitcore/raising.py issues NumPy's own
    warning, as from the function's line) and then goes on with the wrapped
    result. `id` is the site's number there (raising.register_warn_site).
    Immutable; equal by its fields."""

    __slots__ = ("id", "symbol", "type")

    def __init__(self, id: int, symbol: str, type: str) -> None:
        self.id = id
        self.symbol = symbol  # "+", "-" or "*"
        self.type = type  # the NumPy type of the result

    def _fields(self) -> tuple[int, str, str]:
        return self.id, self.symbol, self.type

    def __repr__(self) -> str:
        return f"WarnSite(id={self.id!r}, symbol={self.symbol!r}, type={self.type!r})"


class Value:
    """A virtual register. Equal only to itself (a dict key by identity)."""

    __slots__ = ("id", "name", "type")

    def __init__(self, id: int, name: str, type: str = INT) -> None:
        self.id = id
        self.name = name  # a Python local's name, or "" for a temporary
        self.type: Type = type_named(type)

    def __repr__(self) -> str:
        return self.name if self.name else f"v{self.id}"


class Const(Record):
    """A constant operand; `value` is an int (INT, BOOL as 0/1) or a float.
    Immutable; equal by value and type (passes compare and look them up)."""

    __slots__ = ("value", "type")

    def __init__(self, value: int | float, type: str = INT) -> None:
        self.value = value
        self.type: Type = type_named(type)

    def _fields(self) -> tuple[object, ...]:
        return self.value, self.type

    def __repr__(self) -> str:
        if self.type == BOOL:
            return "True" if self.value else "False"
        return repr(self.value)


Operand = Value | Const


class Inst:
    """One IR instruction (see the module's docstring). Equal only to itself."""

    __slots__ = ("op", "dst", "args", "checked", "kind", "targets", "data", "line")

    def __init__(self, op: str, dst: Value | None, args: list[Operand], checked: bool = False,
                 kind: str = "", targets: tuple[Block, ...] = (), data: Any = None,
                 line: int | None = None) -> None:
        self.op = op
        self.dst = dst
        self.args = args
        self.checked = checked  # deopt on int64 overflow
        self.kind = kind  # cmp/fcmp: condition; helper: C function; ret: result shape
        self.targets = targets  # jmp: (B,), br: (T, F)
        self.data = data  # call: the NativeTarget; callres: the element index
        self.line = line  # Python source line, for errors and listings

    def uses(self) -> list[Value]:
        """The values this instruction reads, in operand order."""
        return [a for a in self.args if isinstance(a, Value)]

    @property
    def may_deopt(self) -> bool:
        return self.checked or self.op in MAY_DEOPT

    def __repr__(self) -> str:
        name = self.op + (f".{self.kind}" if self.kind else "") + (".ovf" if self.checked else "") \
            + (".warn" if isinstance(self.data, WarnSite) else "")
        parts = [repr(a) for a in self.args] + [t.name for t in self.targets]
        if self.op == "callres":
            parts = [str(self.data)]
        text = f"{name} {', '.join(parts)}".rstrip()
        return f"{self.dst!r} = {text}" if self.dst is not None else text


class Block:
    """A basic block: instructions, the last one its terminator. Equal only to itself."""

    __slots__ = ("name", "insts")

    def __init__(self, name: str, insts: list[Inst] | None = None) -> None:
        self.name = name
        self.insts: list[Inst] = insts if insts is not None else []

    @property
    def terminator(self) -> Inst | None:
        if self.insts and self.insts[-1].op in TERMINATORS:
            return self.insts[-1]
        return None

    @property
    def successors(self) -> tuple[Block, ...]:
        term = self.terminator
        return term.targets if term is not None else ()

    def __repr__(self) -> str:
        return f"<Block {self.name}: {len(self.insts)} insts>"


class Function:
    """A function's IR: its parameters and blocks (the first one its entry)."""

    __slots__ = ("name", "params", "blocks", "filename", "firstlineno", "_next_id",
                 "undo_records", "records", "capped")

    def __init__(self, name: str, params: list[Value], blocks: list[Block],
                 filename: str = "<unknown>", firstlineno: int = 0, _next_id: int = 0,
                 undo_records: list[Value] | None = None, records: bool = True,
                 capped: list[CompileError] | None = None) -> None:
        self.name = name
        self.params = params
        self.blocks = blocks
        self.filename = filename
        self.firstlineno = firstlineno
        self._next_id = _next_id
        # The parameters that are buffers' undo records (csrc/undo.h), and whether
        # a call of this code keeps them (passes/records.py decides; without, a
        # caller may pass 0 for a record and the code then stores without one).
        self.undo_records: list[Value] = undo_records if undo_records is not None else []
        self.records = records
        # Where more type states reached a block than the front end compiles it
        # for (translate.MAX_VERSIONS): those paths deopt; why (CompileErrors).
        self.capped: list[CompileError] = capped if capped is not None else []

    def __repr__(self) -> str:
        return f"<Function {self.name}: {len(self.blocks)} blocks>"

    def new_value(self, name: str = "", type: str = INT) -> Value:
        value = Value(self._next_id, name, type_named(type))
        self._next_id += 1
        return value

    def insts(self) -> Iterator[Inst]:
        for block in self.blocks:
            yield from block.insts

    def raise_sites(self) -> list[RaiseSite]:
        """Its `raise` instructions' sites, each once: the code returns
        STATUS_RAISE with a site's index here in out[0] (abi.py)."""
        return list(dict.fromkeys(inst.data for inst in self.insts() if inst.op == "raise"))

    def dump(self) -> str:
        """The IR as text, one instruction a line (used by tests and explain)."""
        params = ", ".join(f"{p!r}: {p.type}" for p in self.params)
        lines = [f"function {self.name}({params}):"]
        for block in self.blocks:
            lines.append(f"  {block.name}:")
            for inst in block.insts:
                lines.append(f"    {inst!r}")
        return "\n".join(lines)


def tally(items: Iterable[T]) -> dict[T, int]:
    """How often each item occurs (a collections.Counter without importing
    collections, which a first call would pay for; absent items: use .get)."""
    counts: dict[T, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def use_counts(func: Function) -> dict[Value, int]:
    """How many operands read each value (values nothing reads are absent)."""
    counts: dict[Value, int] = {}
    for block in func.blocks:
        for inst in block.insts:
            for a in inst.args:
                if isinstance(a, Value):
                    counts[a] = counts.get(a, 0) + 1
    return counts


def fits_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX
