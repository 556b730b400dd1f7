"""A hypothesis strategy for random, well-typed numeric functions with control flow.

`programs()` draws `(source, param_types)`: the source of a module that does
`import math` and defines `generated(p0, ...)`, and the type name ("int",
"bool" or "float") of each parameter. Calls must pass arguments of exactly
these types. `make(source)` executes the module and returns the function.

What the programs stay inside (the subset `@jit(strict=True)` compiles):

- Every variable has one static type for its whole life (unless dynamic=True,
  see the end). Locals are all
  initialised at the top of the function, before any branch or loop, and are
  only ever assigned expressions of their own type, so types agree wherever
  paths merge and no local is ever maybe-unbound (the two refusals jitcore
  documents). Loop variables and while-loop counters are initialised at the
  top too, which is why reading a loop variable after its loop is fine here.
- Expressions are generated per static type (int, bool, float) following
  Python's rules: bool op bool arithmetic is int, int op float is float,
  `int / int` is float, `bool & bool` is bool, min/max only of one type,
  conditional expressions and value-`and`/`or` only with arms of one type.
- Whatever types the operators see, run time may still make CPython raise
  (ZeroDivisionError, ValueError from a zero range step or a negative shift,
  OverflowError from float(), math domain errors, ...). That is intended:
  the jitted function must raise the same way.

Keeping CPython fast (each call should take well under a millisecond):

- Loops are bounded by construction: `range()` arguments are small constants,
  `expr % K`, or constants near the int64 edges with a handful of trips;
  while loops count a dedicated counter down from at most 20 (the decrement
  is the first statement of the body, so `continue` cannot skip it).
- Int values cannot blow up. Every int expression carries an upper bound on
  its bit length; an assignment whose bound exceeds LIMIT_BITS is "clamped"
  (`(e) % M`, `(e) & MASK` or `min(max(e, LO), HI)`). Inside loops every
  assignment whose expression multiplies two non-constant ints (`*`, `**`,
  `<<` by a computed count) is clamped as well, so values can only grow
  linearly in bits per iteration, never exponentially. `**` exponents and
  shift counts are small.

Constants: CPython folds constant subexpressions at compile time (`2 + 3`,
`-c`), and jitcore refuses int constants outside int64 and comparisons of a
float with an int constant no double equals. So a binary operator never gets
two constant operands, and in a comparison involving a float the int side
only uses constants below 2**52.

TODO(calls): calling earlier generated functions. The hook is in place and
off by default (`programs(max_helpers=0)`), as calls were outside the subset
this generator was written for: with max_helpers > 0, helper functions h0,
h1, ... are generated first with a fixed `return_type` (every return path
returns that type) or MIXED (each return path returns an int, a bool or a
float: a caller reads the result as float(h(...)), h(...) < 1.5, ...) and
without loops (so calls inside loops stay cheap); each
is a `Callee` that later functions may call (`Gen.call_callee`, int arguments
clamped to int64 size so the helper's own bounds hold). `make(source,
helpers_decorator=jit(strict=True))` jits the helpers before `generated` is
compiled; `make(source)` gives the plain-CPython reference. Still to do:
recursion (needs a decreasing argument to stay bounded) and helpers with loops.

Beyond the subset, `programs(dynamic=True)` adds locals d0, d1, ... whose
type changes (`d = 0` then `d /= 2`, different types on different paths, a
different type on a loop's back edge) and some that start unbound (bound on
some paths only). The generator tracks their type flow-sensitively and reads
one of unknown type only in ways valid for any type (`float(d)`, `d + 0.5`,
`d < 1.5`, `return d`); at a loop head each keeps its type through the body
(fixed) or is treated as unknown. Ints never reach a place the bounds above
do not cover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

INT, BOOL, FLOAT = "int", "bool", "float"
TYPES = (INT, BOOL, FLOAT)
MIXED = "mixed"  # a helper whose return paths return different types (int, bool or float each)
# Array parameters (programs(arrays=True)): int64 or float64 elements, passed as NumPy
# arrays (any layout) or array.array('q' / 'd'); programs read their elements as
# int(a[i]) / float(a[i]), so the arithmetic is Python's for either kind, and store
# into them (NumPy scalar arithmetic itself is fuzzed by test_random_programs).
INT_ARRAY, FLOAT_ARRAY = "int_array", "float_array"
# A tuple parameter (int, float): passed as a tuple from Python and between functions,
# read as q[0], q[1], unpacked, rebound to another such tuple.
PAIR = "pair"
PAIR_SHAPE = [(INT, 64), (FLOAT, 1)]
ELEMENT_TYPES = {INT_ARRAY: INT, FLOAT_ARRAY: FLOAT}
PYTHON_TYPES = {INT: int, BOOL: bool, FLOAT: float}

# -- constants -------------------------------------------------------------------
INT_CONSTS = [0, 1, 2, -1, 3, 10, 7, -7, 100, -100, 255, 2**31 - 1, 2**31, -(2**31), 2**32,
              2**52, 2**53, 2**53 + 1, 3037000499, 3037000500, -3037000500, 2**62, -(2**62),
              2**63 - 1, -(2**63), -(2**63) + 1, 2**63 - 2]
SMALL_INT_CONSTS = [c for c in INT_CONSTS if abs(c) < 2**52]  # exact as doubles
FLOAT_CONSTS = ["0.0", "(-0.0)", "1.0", "0.5", "2.0", "-1.5", "2.5", "(-2.5)", "3.0", "0.1",
                "1e308", "(-1e308)", "1e309", "(-1e309)", "(1e309 - 1e309)", "math.nan", "math.inf",
                "math.pi", "math.e", "5e-324", "1e-300", "1e16", "9007199254740993.0",
                "4503599627370495.5", "9.223372036854776e+18", "(-9.223372036854776e+18)",
                "123456.789", "(-0.5)", "1.5"]
# Constant divisors: powers of two (shifts and masks), others (multiply by a magic number).
DIVISOR_CONSTS = [2, 3, 7, 10, -1, 1, -2, 4, 8, 16, 1024, 5, 6, 9, 11, 12, 13, 25, 100, 125, 641, 1000,
                  1000003, 6700417, -3, -4, -7, -10, -16, -1000, 3037000499, 2**31, -(2**31), 2**32,
                  2**32 + 1, 2**62, -(2**62), 2**62 + 1, 2**63 - 1, -(2**63), -(2**63) + 1, 2**63 - 2]
SHIFT_CONSTS = [0, 1, 2, 3, 31, 32, 62, 63, 64, 65]
# More of math, one float argument; `sqrt` and `floor` also imported by name (from math import).
MATH1_MORE = ["math.tan", "math.asin", "math.acos", "math.atan", "math.sinh", "math.cosh", "math.tanh",
              "math.asinh", "math.acosh", "math.atanh", "math.expm1", "math.log1p", "math.log2",
              "math.log10", "math.degrees", "math.radians", "sqrt", "math.erf", "math.erfc",
              "math.gamma", "math.lgamma", "math.ulp"] + [
              f"math.{name}" for name in ("exp2", "cbrt") if hasattr(math, name)]  # (3.11+)
# Of two floats (or ints); math.ldexp takes an int second.
MATH2 = ["math.hypot", "math.copysign", "math.atan2", "math.fmod", "math.remainder", "math.pow",
         "math.nextafter", "math.log"]
BIG_CONSTS = ["2**64", "2**63", "-(2**63) - 1", "10**20", "-(2**100)"]  # ints beyond int64, in locals
BIG_VALUES = [2**64, 2**63, -(2**63) - 1, 10**20, -(2**100)]
POW_CONSTS = [0, 1, 2, 3, 4]  # and, risky, -1 or -2: a float (or ZeroDivisionError)
MODULI = [7, 1000003, 2**31, 2**63 - 1, 97, -(2**31), 3, 2**32 + 15, -1000003]
MASKS = [255, 2**32 - 1, 2**63 - 1, 2**62 + 12345]
CLAMP_BOUNDS = [(-1000, 1000), (-(2**31), 2**31 - 1), (-(2**62), 2**62), (-(2**63), 2**63 - 1)]
CLAMP_BITS = 64  # every clamp above yields at most 64 bits

# An int expression whose bit-length bound exceeds this is clamped when assigned.
LIMIT_BITS = 8192
# How many bits the ints assigned inside a loop are assumed to grow by (only
# additive growth is left unclamped in loops; the estimate feeds LIMIT_BITS).
LOOP_SLACK_BITS = 256

MAX_BLOCK_DEPTH = 3  # nesting of if/for/while bodies
MAX_LOOP_DEPTH = 2
MAX_EXPR_DEPTH = 3


def lit(value: int) -> str:
    """An int literal; negative ones in parentheses (CPython folds the minus).
    -2**63 is written -(2**63 - 1) - 1: CPython 3.14+ keep the operand of a
    folded minus in co_consts too, and 2**63 would not fit in int64."""
    if value == -(2**63):
        return f"({-(2**63) + 1} - 1)"
    return f"({value})" if value < 0 else str(value)


def bit_length(value: int) -> int:
    return max(1, abs(value).bit_length())


@dataclass
class Expr:
    text: str
    type: str
    bits: int = 1  # upper bound of abs(value).bit_length() for int and bool results
    const: bool = False  # CPython may fold it into a constant
    mult: bool = False  # multiplies two non-constant ints somewhere (growth risk in loops)


@dataclass
class Callee:
    """An earlier generated function an expression may call (see TODO(calls))."""

    name: str
    param_types: tuple[str, ...]
    return_type: str
    return_bits: int = 1  # bound on an int result's bit length (for int64-sized arguments)
    defaults: int = 0  # how many of the last parameters have a default (callers may omit them)
    none_default: bool = False  # that default is None (the callee replaces it; callers may pass None)


@dataclass
class Loop:
    kind: str  # "for" or "while"
    fixed: tuple[str, ...] = ()  # dynamic variables whose type must not change in the body


UNBOUND = "unbound"  # a dynamic variable's state before its first assignment


_INTEGERS: dict[tuple[int, int], st.SearchStrategy[int]] = {}


@dataclass
class Gen:
    draw: object
    types: dict[str, str] = field(default_factory=dict)  # readable variables
    assignable: list[str] = field(default_factory=list)
    bits: dict[str, int] = field(default_factory=dict)  # int variables' bit bounds
    loops: list[Loop] = field(default_factory=list)
    top_inits: list[str] = field(default_factory=list)
    counter: int = 0
    callees: Sequence[Callee] = ()
    return_type: str | None = None  # a fixed return type (for helpers; see TODO(calls))
    risk: int = 0  # 0: guard every operation that may raise, n: leave one in n unguarded
    expr_depth: int = MAX_EXPR_DEPTH  # of the expressions statements assign and return
    block_size: int = 4  # at most this many statements in a nested block
    tuple_size: int = 3  # returned tuples have 2..tuple_size items
    loops_allowed: bool = True  # helpers (see TODO(calls)) have none, so calls in loops stay cheap
    # Dynamic variables d0, d1, ... (dynamic=True): their type changes from statement to
    # statement, so it differs where paths meet, and some start unbound. `dyn` maps
    # each to its type here, None if it differs between the paths that reach here (or
    # may be unbound), or UNBOUND. Only known-type ones are in `types`; the others
    # are read only in ways that work for any type (`float(d)`, `d + 0.5`, `d < 1.5`).
    dynamic: bool = False
    dyn: dict[str, str | None] = field(default_factory=dict)
    arrays: dict[str, str] = field(default_factory=dict)  # array parameters: their element type
    return_bits: int = 1  # the largest bit-length bound of a returned int (return_type INT)
    # Values beyond one number (see VALUES below): locals that hold None or an int
    # (o0, ...: their int's bit bound), tuples (t0, ...: their shape, nested lists of
    # (type, bits) items), loop variables bound to array elements (x0, ...: a Python or
    # NumPy number, read as int(x) / float(x)), ints beyond int64 (g0, ...).
    optionals: dict[str, int] = field(default_factory=dict)
    tuples: dict[str, list] = field(default_factory=dict)  # type: ignore[type-arg]
    elements: dict[str, str] = field(default_factory=dict)
    bigs: list[str] = field(default_factory=list)

    # -- drawing ------------------------------------------------------------
    def d(self, strategy):  # type: ignore[no-untyped-def]
        return self.draw(strategy)  # type: ignore[operator]

    def pick(self, options: Sequence):  # type: ignore[no-untyped-def, type-arg]
        """One of options; shrinks towards the first."""
        options = list(options)
        return options[self.n(0, len(options) - 1)]

    def n(self, lo: int, hi: int) -> int:
        strategy = _INTEGERS.get((lo, hi))
        if strategy is None:  # strategies are cached: making one per draw is slow
            strategy = _INTEGERS[(lo, hi)] = st.integers(lo, hi)
        return self.d(strategy)

    def chance(self, one_in: int) -> bool:
        return self.n(0, one_in - 1) == 0

    def weighted(self, weights: Sequence[tuple[str, int]]) -> str:
        """One name by weight; shrinks towards the first one."""
        total = sum(w for _, w in weights)
        x = self.n(0, total - 1)
        for name, w in weights:
            if x < w:
                return name
            x -= w
        raise AssertionError

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def vars_of(self, t: str, assignable: bool = False) -> list[str]:
        pool = self.assignable if assignable else list(self.types)
        return [v for v in pool if self.types.get(v) == t]

    # -- dynamic variables ------------------------------------------------------
    def set_dyn(self, name: str, t: str | None) -> None:
        self.dyn[name] = t
        if t in TYPES:
            self.types[name] = t  # type: ignore[assignment]
        else:
            self.types.pop(name, None)

    def fixed(self, name: str) -> bool:
        """Whether an enclosing loop's body must not change this dynamic variable's type."""
        return any(name in loop.fixed for loop in self.loops)

    def mixed_read(self, t: str) -> Expr | None:
        """A dynamic variable of unknown type read as a t (or None)."""
        mixed = [d for d, dt in self.dyn.items() if dt is None or (dt == UNBOUND and self.risky())]
        if not mixed or t == INT or not self.chance(3):
            return None
        d = self.pick(mixed)
        if t == FLOAT:
            return Expr(self.pick(["float({})", "({} + 0.5)", "({} * 1.0)", "({} / 3)"]).format(d), FLOAT)
        return Expr(self.pick(["bool({})", "(not {})", "({} < 1.5)", "({} == 0)"]).format(d), BOOL)

    def snapshot(self) -> tuple[dict[str, int], dict[str, str | None]]:
        return dict(self.bits), dict(self.dyn)

    def restore(self, state: tuple[dict[str, int], dict[str, str | None]]) -> None:
        self.bits = dict(state[0])
        for name, t in state[1].items():
            self.set_dyn(name, t)

    def merge(self, states: Sequence[tuple[dict[str, int], dict[str, str | None]]]) -> None:
        """The current state joined with other paths' states."""
        for bits, dyn in states:
            for name, b in bits.items():
                self.bits[name] = max(self.bits.get(name, 1), b)
            for name, t in dyn.items():
                if self.dyn.get(name) != t:
                    self.set_dyn(name, None)

    def var_expr(self, name: str) -> Expr:
        t = self.types[name]
        return Expr(name, t, self.bits.get(name, 1))

    # -- leaves -------------------------------------------------------------
    def leaf(self, t: str, small: bool = False) -> Expr:
        if self.dynamic:
            e = self.mixed_read(t)
            if e is not None:
                return e
        if not small and self.n(0, 3) == 3:  # one in four (shrinking to none)
            e = self.value_read(t)
            if e is not None:
                return e
        if self.arrays and not small and t in (INT, FLOAT) and self.chance(4):
            e = self.element_read(t)
            if e is not None:
                return e
        names = self.vars_of(t)
        if names and not self.chance(3):
            return self.var_expr(self.pick(names))
        return self.constant(t, small)

    # -- array parameters ----------------------------------------------------
    def index(self, array: str) -> str:
        """An index into `array`: in range (of a non-empty array) mostly, negative
        ones too, sometimes anything (IndexError: CPython raises it)."""
        names = self.vars_of(INT)
        i = self.pick(names) if names and not self.chance(4) else lit(self.pick(SMALL_INT_CONSTS[:10]))
        form = self.weighted([("mod", 6), ("neg", 2), ("raw", 1)])
        if form == "mod":
            return f"({i}) % len({array})"
        if form == "neg":
            return f"-1 - ({i}) % len({array})"
        return i

    def element_read(self, t: str) -> Expr | None:
        """An element of an array parameter as a Python int or float, or len()."""
        if t == INT and self.chance(5):
            return Expr(f"len({self.pick(list(self.arrays))})", INT, 63)
        arrays = [a for a, et in self.arrays.items() if et == t]
        if not arrays:
            return None
        a = self.pick(arrays)
        convert = "int" if t == INT else "float"
        return Expr(f"{convert}({a}[{self.index(a)}])", t, 64 if t == INT else 1)

    # -- values beyond one number: None, tuples, array elements, big ints ------
    def value_read(self, t: str) -> Expr | None:
        """A t read from an optional (`(e if o is None else o)`), a tuple item
        (`t0[1]`, `t1[0][-1]`), an array element bound by a loop (`int(x0)`)."""
        options = []
        if t == INT and self.optionals:
            options.append("optional")
        if self.tuple_paths(t):
            options.append("tuple")
        if t in (INT, FLOAT) and any(et == t for et in self.elements.values()):
            options.append("element")
        if not options:
            return None
        kind = self.pick(options)
        if kind == "optional":
            o = self.pick(list(self.optionals))
            names = self.vars_of(INT)  # (not another leaf(): that could come back here)
            other = self.var_expr(self.pick(names)) if names and self.chance(2) else self.constant(INT)
            return Expr(f"({other.text} if {o} is None else {o})", INT,
                        max(other.bits, self.optionals[o]))
        if kind == "tuple":
            text, bits = self.pick(self.tuple_paths(t))
            return Expr(text, t, bits)
        x = self.pick([x for x, et in self.elements.items() if et == t])
        return Expr(f"{'int' if t == INT else 'float'}({x})", t, 64 if t == INT else 1)

    def tuple_paths(self, t: str) -> list[tuple[str, int]]:
        """Every item of type t in a tuple local, as (subscript text, bit bound)."""
        found: list[tuple[str, int]] = []

        def walk(text: str, shape: list) -> None:  # type: ignore[type-arg]
            for k, item in enumerate(shape):
                index = k if (k % 2 == 0 or len(shape) < 2) else k - len(shape)  # t[-1] too
                if isinstance(item, list):
                    walk(f"{text}[{index}]", item)
                elif item[0] == t:
                    found.append((f"{text}[{index}]", item[1]))
        for name, shape in self.tuples.items():
            walk(name, shape)
        return found

    def tuple_value(self, shape: list, depth: int = 2) -> str:  # type: ignore[type-arg]
        """A tuple display of this shape (bit bounds updated in place)."""
        items = []
        for k, item in enumerate(shape):
            if isinstance(item, list):
                items.append(self.tuple_value(item, depth))
                continue
            e = self.expr(item[0], depth)
            if item[0] == INT and e.bits > CLAMP_BITS and (self.in_loop() or e.bits > LIMIT_BITS):
                e = self.clamp(e)
            shape[k] = (item[0], e.bits)
            items.append(e.text)
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    def new_tuple_shape(self) -> list:  # type: ignore[type-arg]
        shape: list = [(self.pick(TYPES), 1) for _ in range(self.n(1, 3))]  # type: ignore[type-arg]
        if self.tuples and self.chance(3):  # nested: another tuple's shape inside
            inner = self.pick(list(self.tuples.values()))
            shape.insert(self.n(0, len(shape)), [tuple(x) if not isinstance(x, list) else x
                                                 for x in inner])
        return shape

    def stmt_value(self, depth: int) -> list[str]:
        """A statement on a value beyond one number: an optional set to None or
        an int, a tuple local rebuilt or unpacked into locals."""
        kind = self.pick(["optional", "tuple", "unpack"])
        if kind == "optional" and self.optionals:
            o = self.pick(list(self.optionals))
            if self.chance(3):
                return [f"{o} = None"]
            e = self.int_expr(2)
            if e.bits > LIMIT_BITS or (self.in_loop() and e.mult) or e.bits > CLAMP_BITS:
                e = self.clamp(e)
            self.optionals[o] = max(self.optionals[o], e.bits)
            return [f"{o} = {e.text}"]
        if not self.tuples:
            return self.stmt_assign(depth)
        name = self.pick(list(self.tuples))
        shape = self.tuples[name]
        if kind == "unpack" and all(not isinstance(x, list) for x in shape):
            targets = []
            for item in shape:
                names = [v for v in self.vars_of(item[0], assignable=True) if v not in targets]
                if not names:
                    break
                targets.append(self.pick(names))
            else:
                for target, item in zip(targets, shape, strict=True):
                    if item[0] == INT:
                        self.bits[target] = item[1]
                return [f"{', '.join(targets)}{',' if len(targets) == 1 else ''} = {name}"]
        return [f"{name} = {self.tuple_value(shape)}"]

    def none_test(self) -> Expr | None:
        if not self.optionals:
            return None
        o = self.pick(list(self.optionals))
        form = self.pick(["{} is None", "{} is not None", "{} == None", "{} != None", "not ({} is None)"])
        return Expr("(" + form.format(o) + ")", BOOL)

    def membership(self, depth: int) -> Expr:
        """`e in (a, b, c)` / `not in`: items of any numeric type, constants or not."""
        e = self.expr(self.pick(TYPES), depth)
        if e.const:
            e = self.nonconst_leaf(e.type)
        items = [self.expr(self.pick(TYPES), 1, small=True).text for _ in range(self.n(1, 4))]
        if self.chance(3):  # the classic: a remainder among constants
            e = Expr(f"({self.intish(depth).text} % 10)", INT)
            items = [str(self.n(0, 9)) for _ in range(self.n(1, 4))]
        word = self.pick(["in", "not in"])
        return Expr(f"({e.text} {word} ({', '.join(items)}{',' if len(items) == 1 else ''}))", BOOL)

    def stmt_raise(self, depth: int) -> list[str]:
        """`assert cond[, message]` or `if cond: raise E(...)` (the call ends in
        that exception; CPython's message and type must match)."""
        cond = self.condition()
        if self.chance(2):
            message = self.pick(["", ', "checked"', ", 'n must be positive'", ", " + self.f_string()])
            return [f"assert {cond.text}{message}"]
        cls = self.pick(["ValueError", "ZeroDivisionError", "OverflowError", "RuntimeError",
                         "ArithmeticError", "AssertionError"])
        args = self.pick(["", '"bad value"', "'negative', 3", '"x", 1.5, True', self.f_string(),
                          f"'at', {self.f_string()}"])
        return [f"if {cond.text}:", f"    raise {cls}({args})"]

    def f_string(self) -> str:
        """An f-string of up to three variables, with conversions and format specs."""
        parts = []
        for _ in range(self.n(1, 3)):
            t = self.pick(TYPES)
            names = self.vars_of(t)
            if not names:
                continue
            spec = self.pick(["", "", "!r", "!s", "!a", ":>8", ":^5", {INT: ":_", FLOAT: ":.3f",
                                                                       BOOL: ":d"}[t],
                              {INT: ":#x", FLOAT: ":e", BOOL: ""}[t], {INT: ":+d", FLOAT: ":g",
                                                                      BOOL: ":<6"}[t]])
            parts.append(f"{self.pick(['', 'got ', ' x='])}{{{self.pick(names)}{spec}}}")
        return 'f"' + "|".join(parts or ["none"]) + '"'


    def stmt_store(self, depth: int) -> list[str]:
        """a[i] = x or a[i] += x into an array parameter (x fits an int64 element,
        mostly: else CPython raises OverflowError, and so must jitcore)."""
        a = self.pick(list(self.arrays))
        t = self.arrays[a]
        e = self.expr(t, 2)
        if t == INT:
            e = self.clamp(e) if e.bits > 63 and not self.risky() else e
        op = self.pick(["=", "=", "+=", "-="])
        if op != "=" and t == INT:
            e = Expr(f"({e.text}) % 1000", INT, 10)  # += stays far from the int64 edges
        return [f"{a}[{self.index(a)}] {op} {e.text}"]

    def nonconst_leaf(self, t: str) -> Expr:
        names = self.vars_of(t)
        if names:
            return self.var_expr(self.pick(names))
        # Early in the initialisers: convert a variable of another type.
        v = self.var_expr(self.pick(list(self.types)))
        if t == BOOL:
            return Expr(f"bool({v.text})", BOOL)
        if t == FLOAT:
            return Expr(f"float({v.text})", FLOAT)
        if v.type == FLOAT:
            return Expr(f"int(bool({v.text}))", INT)
        return Expr(f"int({v.text})", INT, v.bits)

    def constant(self, t: str, small: bool = False) -> Expr:
        if t == INT:
            value = self.pick(SMALL_INT_CONSTS if small else INT_CONSTS)
            return Expr(lit(value), INT, bit_length(value), const=True)
        if t == BOOL:
            return Expr(self.pick(["True", "False"]), BOOL, 1, const=True)
        return Expr(self.pick(FLOAT_CONSTS), FLOAT, const=True)

    # -- expressions by type --------------------------------------------------
    def expr(self, t: str, depth: int | None = None, small: bool = False) -> Expr:
        if depth is None:
            depth = self.expr_depth
        if t == INT:
            return self.int_expr(depth, small)
        if t == BOOL:
            return self.bool_expr(depth, small)
        return self.float_expr(depth)

    def intish(self, depth: int, small: bool = False) -> Expr:
        """An int, or now and then a bool (which arithmetic treats as an int)."""
        return self.expr(BOOL if self.chance(5) else INT, depth, small)

    def numeric(self, depth: int, small: bool = False) -> Expr:
        return self.expr(self.pick([INT, FLOAT, BOOL]), depth, small)

    def not_both_const(self, a: Expr, b: Expr) -> tuple[Expr, Expr]:
        """CPython would fold `const op const`; make one side a variable."""
        if a.const and b.const:
            b = self.nonconst_leaf(b.type)
        return a, b

    def int_expr(self, depth: int, small: bool = False) -> Expr:
        if depth <= 0 or self.chance(4):
            return self.leaf(INT, small)
        kind = self.weighted([("arith", 6), ("bitwise", 3), ("unary", 2), ("shift", 2), ("pow", 1),
                              ("builtin", 3), ("convert", 2), ("ifexp", 1), ("andor", 1),
                              ("clamp", 1), ("call", 3 if self.callees else 0)])
        sub = depth - 1
        if kind == "arith":
            op = self.pick(["+", "-", "*", "//", "%"])
            a, b = self.not_both_const(self.intish(sub, small), self.intish(sub, small))
            if op in ("//", "%"):
                b = self.divisor(b)
                if self.chance(3):  # by a constant
                    value = 0 if self.risky() else self.pick(DIVISOR_CONSTS)
                    b = Expr(lit(value), INT, bit_length(value), const=True)
                    if a.const:
                        a = self.nonconst_leaf(a.type)
            if op in "+-":
                bits = max(a.bits, b.bits) + 1
            elif op == "*":
                bits = a.bits + b.bits
            elif op == "//":
                bits = a.bits + 1
            else:
                bits = b.bits
            mult = op == "*" and a.bits > 1 and b.bits > 1 and not a.const and not b.const
            return Expr(f"({a.text} {op} {b.text})", INT, bits, mult=mult or a.mult or b.mult)
        if kind == "bitwise":
            op = self.pick(["&", "|", "^"])
            a = self.int_expr(sub, small)
            b = self.intish(sub, small)
            if self.chance(2):
                a, b = b, a
            a, b = self.not_both_const(a, b)
            return Expr(f"({a.text} {op} {b.text})", INT, max(a.bits, b.bits) + 1,
                        mult=a.mult or b.mult)
        if kind == "unary":
            op = self.pick(["-", "+", "~"])
            a = self.int_expr(sub, small) if op == "~" else self.intish(sub, small)
            if a.const:  # CPython would fold it (and -(-2**63) does not fit in int64)
                a = self.nonconst_leaf(a.type)
            return Expr(f"({op}{a.text})", INT, a.bits + 1, const=a.const, mult=a.mult)
        if kind == "shift":
            op = self.pick(["<<", ">>"])
            a = self.intish(sub, small)
            if self.chance(2):
                count = Expr(lit(-1 if self.risky() else self.pick(SHIFT_CONSTS)), INT, 7, const=True)
            else:
                e = self.intish(sub, small)
                form = "(({} % 70) - 3)" if self.risky() else self.pick(["({} & 63)", "({} % 64)"])
                count = Expr(form.format(e.text), INT, 7, const=e.const, mult=e.mult)
            if a.const and count.const:  # never a variable shift count: 1 << 2**62
                a = self.nonconst_leaf(a.type)
            if op == ">>":
                bits = a.bits
            else:
                bits = a.bits + 70
            mult = op == "<<" and not count.const and not a.const
            return Expr(f"({a.text} {op} {count.text})", INT, bits, mult=mult or a.mult or count.mult)
        if kind == "pow":
            base = self.intish(sub, small)
            if self.chance(2):
                k = self.pick([-1, -2]) if self.risky() else self.pick(POW_CONSTS)
                exponent = Expr(lit(k), INT, 3, const=True)
                power = max(k, 1)
            else:
                e = self.intish(sub, small)
                exponent = Expr(self.pick(["({} % 5)", "({} & 3)"]).format(e.text), INT, 3,
                                const=e.const, mult=e.mult)
                power = 4
            if base.const and exponent.const:  # never a variable exponent: 2 ** 2**62
                base = self.nonconst_leaf(base.type)
            mult = not base.const and base.bits > 1 and not (exponent.const and power <= 1)
            return Expr(f"({base.text} ** {exponent.text})", INT, base.bits * power + 1,
                        mult=mult or base.mult or exponent.mult)
        if kind == "builtin":
            which = self.pick(["abs", "min", "max", "intmath", "round", "powmod"])
            if which == "abs":
                a = self.intish(sub, small)
                return Expr(f"abs({a.text})", INT, a.bits + 1, mult=a.mult)
            if which == "intmath":  # math on ints: gcd, lcm, isqrt, factorial, comb, perm
                fn = self.pick(["gcd", "lcm", "isqrt", "factorial", "comb", "perm"])
                a, b = self.intish(sub, small), self.intish(sub, small)
                if fn in ("gcd", "lcm"):
                    if fn == "lcm":  # (its result grows like a product)
                        a, b = Expr(f"({a.text} % 100000)", INT, 17), Expr(f"({b.text} % 100000)", INT, 17)
                    return Expr(f"math.{fn}({a.text}, {b.text})", INT, max(a.bits, b.bits) * 2 + 1,
                                mult=a.mult or b.mult)
                if fn == "isqrt":
                    return Expr(f"math.isqrt(abs({a.text}))", INT, a.bits // 2 + 1, mult=a.mult)
                if fn == "factorial":
                    return Expr(f"math.factorial({a.text} % 25)", INT, 84, mult=a.mult)
                return Expr(f"math.{fn}({a.text} % 30, {b.text} % 30)", INT, 108, mult=a.mult or b.mult)
            if which == "round":  # round(n, -k) of an int: to a multiple of 10**k
                a = self.intish(sub, small)
                digits = lit(self.n(-19, 2)) if self.chance(2) else f"{self.intish(sub).text} % 5 - 3"
                return Expr(f"round({a.text}, {digits})", INT, a.bits + 2, mult=a.mult)
            if which == "powmod":
                a, e = self.intish(sub, small), self.intish(sub, small)
                m = self.pick(MODULI)
                exponent = f"{e.text} % 70" if not self.risky() else e.text  # (negative: an inverse)
                return Expr(f"pow({a.text}, {exponent}, {lit(m)})", INT, 64, mult=a.mult or e.mult)
            args = [self.int_expr(sub, small) for _ in range(self.n(2, 3))]
            return Expr(f"{which}({', '.join(a.text for a in args)})", INT,
                        max(a.bits for a in args), mult=any(a.mult for a in args))
        if kind == "convert":
            which = self.pick(["int", "round", "math.floor", "math.ceil", "math.trunc", "floor"])
            a = self.expr(self.pick([FLOAT, FLOAT, INT, BOOL]), sub, small)
            if a.type == FLOAT and not self.risky():  # no nan/inf, maybe no int64 overflow
                bound = self.pick(["1e18", "1e6", "9.3e18", "1e300"])
                a = Expr(f"min(max((-{bound}), {a.text}), {bound})", FLOAT)
            bits = 1025 if a.type == FLOAT else a.bits
            return Expr(f"{which}({a.text})", INT, bits, mult=a.mult)
        if kind == "ifexp":
            cond = self.condition(sub)
            a, b = self.int_expr(sub, small), self.int_expr(sub, small)
            return Expr(f"({a.text} if {cond.text} else {b.text})", INT, max(a.bits, b.bits),
                        const=cond.const and (a.const or b.const), mult=a.mult or b.mult)
        if kind == "andor":
            a, b = self.int_expr(sub, small), self.int_expr(sub, small)
            op = self.pick(["and", "or"])
            return Expr(f"({a.text} {op} {b.text})", INT, max(a.bits, b.bits),
                        const=a.const or b.const, mult=a.mult or b.mult)
        if kind == "clamp":
            return self.clamp(self.int_expr(sub, small))
        return self.call_callee(INT, depth) or self.leaf(INT, small)

    def clamp(self, e: Expr) -> Expr:
        """e reduced to at most CLAMP_BITS bits."""
        form = self.pick(["mod", "and", "minmax"])
        if form == "mod":
            return Expr(f"({e.text} % {lit(self.pick(MODULI))})", INT, CLAMP_BITS, const=e.const)
        if form == "and":
            return Expr(f"({e.text} & {lit(self.pick(MASKS))})", INT, CLAMP_BITS, const=e.const)
        lo, hi = self.pick(CLAMP_BOUNDS)
        return Expr(f"min(max({e.text}, {lit(lo)}), {lit(hi)})", INT, CLAMP_BITS)

    def risky(self) -> bool:
        """Whether to leave an operation that may raise unguarded.

        Exceptions are compared too, but a program raising on most calls
        would leave little native code running to completion; so how often
        is drawn per program (`risk`: never, or one time in `risk`).
        """
        return self.risk > 0 and self.chance(self.risk)

    def divisor(self, e: Expr) -> Expr:
        """e, or (mostly) e made nonzero with `or`: `(e or 7)` keeps e's type."""
        if self.risky():
            return e
        other = {INT: self.pick(["7", "1", "(-3)", "1000003"]), BOOL: "True",
                 FLOAT: self.pick(["0.5", "1.0", "(-3.0)", "1e-300"])}[e.type]
        return Expr(f"({e.text} or {other})", e.type, max(e.bits, 20), const=e.const, mult=e.mult)

    def bool_expr(self, depth: int, small: bool = False) -> Expr:
        if depth <= 0 or self.chance(4):
            return self.leaf(BOOL)
        kind = self.weighted([("compare", 6), ("not", 2), ("bitwise", 2), ("andor", 2),
                              ("bool", 1), ("isnan", 1), ("minmax", 1), ("ifexp", 1),
                              ("call", 3 if self.callees else 0), ("none", 2 if self.optionals else 0),
                              ("in", 2), ("big", 1 if self.bigs else 0)])
        sub = depth - 1
        if kind == "none":
            return self.none_test() or self.leaf(BOOL)
        if kind == "in":
            return self.membership(sub)
        if kind == "big":  # an int beyond int64 held in a local
            a = self.intish(sub)
            op = self.pick(["<", "<=", "==", "!=", ">", ">="])
            g = self.pick(self.bigs)
            return Expr(f"({a.text} {op} {g})" if self.chance(2) else f"({g} {op} {a.text})", BOOL)
        if kind == "compare":
            return self.comparison(sub)
        if kind == "not":
            a = self.expr(self.pick(TYPES), sub)
            return Expr(f"(not {a.text})", BOOL, const=a.const)
        if kind == "bitwise":
            a, b = self.not_both_const(self.bool_expr(sub), self.bool_expr(sub))
            return Expr(f"({a.text} {self.pick(['&', '|', '^'])} {b.text})", BOOL)
        if kind == "andor":
            a, b = self.bool_expr(sub), self.bool_expr(sub)
            return Expr(f"({a.text} {self.pick(['and', 'or'])} {b.text})", BOOL,
                        const=a.const or b.const)
        if kind == "bool":
            a = self.expr(self.pick(TYPES), sub)
            return Expr(f"bool({a.text})", BOOL)
        if kind == "isnan":
            a = self.expr(self.pick([FLOAT, FLOAT, INT]), sub)
            return Expr(f"{self.pick(['math.isnan', 'math.isinf', 'math.isfinite'])}({a.text})", BOOL)
        if kind == "minmax":
            args = [self.bool_expr(sub) for _ in range(self.n(2, 3))]
            return Expr(f"{self.pick(['min', 'max'])}({', '.join(a.text for a in args)})", BOOL)
        if kind == "ifexp":
            cond = self.condition(sub)
            a, b = self.bool_expr(sub), self.bool_expr(sub)
            return Expr(f"({a.text} if {cond.text} else {b.text})", BOOL,
                        const=cond.const and (a.const or b.const))
        return self.call_callee(BOOL, depth) or self.leaf(BOOL)

    def comparison(self, depth: int) -> Expr:
        count = 2 if not self.chance(4) else self.n(3, 4)  # chained now and then
        types = [self.pick([INT, INT, FLOAT, FLOAT, BOOL]) for _ in range(count)]
        small = FLOAT in types  # int constants compared with floats must be exact doubles
        operands = [self.expr(t, depth, small) for t in types]
        for i in range(count - 1):
            if operands[i].const and operands[i + 1].const:
                operands[i + 1] = self.nonconst_leaf(operands[i + 1].type)
        text = operands[0].text
        for operand in operands[1:]:
            text += f" {self.pick(['<', '<=', '==', '!=', '>', '>='])} {operand.text}"
        return Expr(f"({text})", BOOL)

    def condition(self, depth: int = 2) -> Expr:
        """A test for if/while/ifexp: any type, `and`/`or` of mixed types allowed."""
        kind = self.weighted([("compare", 4), ("bool", 2), ("any", 1), ("mixed", 2)])
        if kind == "compare":
            return self.comparison(depth)
        if kind == "bool":
            return self.bool_expr(depth)
        if kind == "any":
            return self.expr(self.pick(TYPES), depth)
        a, b = self.condition(depth - 1), self.expr(self.pick(TYPES), depth - 1)
        if self.chance(2):
            a, b = b, a
        prefix = "not " if self.chance(4) else ""
        return Expr(f"({prefix}{a.text} {self.pick(['and', 'or'])} {b.text})", BOOL)

    def float_expr(self, depth: int) -> Expr:
        if depth <= 0 or self.chance(4):
            return self.leaf(FLOAT)
        kind = self.weighted([("arith", 6), ("truediv", 2), ("unary", 1), ("math1", 3), ("math2", 1),
                              ("builtin", 2), ("float", 2), ("ifexp", 1), ("andor", 1),
                              ("call", 3 if self.callees else 0)])
        sub = depth - 1
        if kind == "arith":
            op = self.pick(["+", "-", "*", "/", "//", "%", "**"])
            a, b = self.float_expr(sub), self.numeric(sub)
            if self.chance(2):
                a, b = b, a
            a, b = self.not_both_const(a, b)
            if op in ("/", "//", "%"):
                b = self.divisor(b)
            elif op == "**" and not self.risky():  # no complex results, no overflow
                a = Expr(f"abs({a.text})", a.type if a.type != BOOL else INT, a.bits)
                b = Expr(self.pick(["0.5", "2.0", "(-1.0)", "3.0", "0.0", "(-0.5)"]), FLOAT, const=True)
                if a.const:
                    a = self.nonconst_leaf(FLOAT)
            return Expr(f"({a.text} {op} {b.text})", FLOAT)
        if kind == "truediv":
            a, b = self.not_both_const(self.intish(sub), self.intish(sub))
            return Expr(f"({a.text} / {self.divisor(b).text})", FLOAT)
        if kind == "unary":
            a = self.float_expr(sub)
            return Expr(f"({self.pick(['-', '+'])}{a.text})", FLOAT, const=a.const)
        if kind == "math1":
            fn = self.pick(["math.sqrt", "math.fabs", "math.exp", "math.log", "math.sin", "math.cos"]
                           + MATH1_MORE)
            a = self.numeric(sub).text
            if not self.risky():  # stay inside the domain
                a = {"math.sqrt": f"abs({a})", "math.exp": f"(-math.fabs({a}))",
                     "math.log": f"(math.fabs({a}) + 0.5)", "math.sin": f"({a} % 6.25)",
                     "math.cos": f"({a} % 100.0)", "math.tan": f"({a} % 1.5)",
                     "math.asin": f"({a} % 1.0)", "math.acos": f"({a} % 1.0)",
                     "math.sinh": f"({a} % 700.0)", "math.cosh": f"({a} % 700.0)",
                     "math.acosh": f"(math.fabs({a}) + 1.0)", "math.atanh": f"({a} % 0.99)",
                     "math.expm1": f"({a} % 700.0)", "math.log1p": f"(math.fabs({a}))",
                     "math.log2": f"(math.fabs({a}) + 0.5)", "math.log10": f"(math.fabs({a}) + 1.0)",
                     "sqrt": f"abs({a})"}.get(fn, a)
            if fn == "math.log" and self.chance(4):  # log(x, base)
                fn, a = "math.log", f"{a}, {self.pick(['2', '10.0', '0.5', 'math.e'])}"
            return Expr(f"{fn}({a})", FLOAT)
        if kind == "math2":
            fn = self.pick(MATH2)
            a, b = self.numeric(sub).text, self.numeric(sub).text
            if fn == "math.log" and not self.risky():  # log(x, base) inside the domain
                a, b = f"(math.fabs({a}) + 0.5)", f"(math.fabs({b}) + 1.5)"
            elif fn == "math.pow" and not self.risky():
                a = f"math.fabs({a})"
            if self.chance(5):  # three or more of them: hypot's coordinates, ldexp, isclose
                extra = self.pick(["hypot", "ldexp", "isclose", "frexp", "modf", "fma"])
                if extra == "hypot":
                    return Expr(f"math.hypot({a}, {b}, {self.numeric(sub).text})", FLOAT)
                if extra == "ldexp":
                    return Expr(f"math.ldexp({a}, {self.intish(sub).text} % 2100 - 1050)", FLOAT)
                if extra == "isclose":
                    return Expr(f"float(math.isclose({a}, {b}, rel_tol=0.001))", FLOAT)
                if extra == "fma" and hasattr(math, "fma"):
                    return Expr(f"math.fma({a}, {b}, {self.numeric(sub).text})", FLOAT)
                return Expr(f"math.{'modf' if extra == 'modf' else 'frexp'}({a})[{self.n(0, 1)}] * 1.0",
                            FLOAT)
            return Expr(f"{fn}({a}, {b})", FLOAT)
        if kind == "builtin":
            which = self.pick(["abs", "min", "max", "mixed", "round"])
            if which == "abs":
                return Expr(f"abs({self.float_expr(sub).text})", FLOAT)
            if which == "round":  # round(x, ndigits) of a float stays a float
                digits = lit(self.n(-3, 4)) if self.chance(2) else f"{self.intish(sub).text} % 7 - 2"
                return Expr(f"round({self.float_expr(sub).text}, {digits})", FLOAT)
            if which == "mixed":  # min/max of mixed types: whichever wins, read as a float
                args = [self.numeric(sub, small=True) for _ in range(self.n(2, 3))]
                return Expr(f"({self.pick(['min', 'max'])}({', '.join(a.text for a in args)}) + 0.0)",
                            FLOAT)
            args = [self.float_expr(sub) for _ in range(self.n(2, 3))]
            return Expr(f"{which}({', '.join(a.text for a in args)})", FLOAT)
        if kind == "float":
            return Expr(f"float({self.numeric(sub).text})", FLOAT)
        if kind == "ifexp":
            cond = self.condition(sub)
            a, b = self.float_expr(sub), self.float_expr(sub)
            return Expr(f"({a.text} if {cond.text} else {b.text})", FLOAT,
                        const=cond.const and (a.const or b.const))
        if kind == "andor":
            a, b = self.float_expr(sub), self.float_expr(sub)
            return Expr(f"({a.text} {self.pick(['and', 'or'])} {b.text})", FLOAT,
                        const=a.const or b.const)
        return self.call_callee(FLOAT, depth) or self.leaf(FLOAT)

    def call_callee(self, t: str, depth: int) -> Expr | None:
        """A call of an earlier generated function returning t (see TODO(calls)),
        or of one returning a type that differs by path (MIXED), read as a t
        in a way valid for any type (`float(h(...))`, `h(...) < 1.5`)."""
        mixed = [c for c in self.callees if c.return_type == MIXED] if t != INT else []
        if mixed and self.chance(2):
            call = self.callee_call(self.pick(mixed), depth)
            if t == FLOAT:
                return Expr(self.pick(["float({})", "({} + 0.5)", "({} * 1.0)", "({} / 3)"]).format(call),
                            FLOAT)
            return Expr(self.pick(["bool({})", "(not {})", "({} < 1.5)", "({} == 0)"]).format(call), BOOL)
        candidates = [c for c in self.callees if c.return_type == t]
        if not candidates:
            return None
        callee = self.pick(candidates)
        return Expr(self.callee_call(callee, depth), t, callee.return_bits)

    def callee_call(self, callee: Callee, depth: int) -> str:
        """name(args): the last ones by keyword now and then (in any order), a
        parameter with a default left out or, if its default is None, passed None."""
        args = []
        given = len(callee.param_types) - (callee.defaults if callee.defaults and self.chance(2) else 0)
        for pt in callee.param_types[:given]:
            if pt == PAIR:  # a tuple display, or a tuple local of that shape
                pairs = [n for n, shape in self.tuples.items() if len(shape) == 2
                         and not any(isinstance(x, list) for x in shape)
                         and [x[0] for x in shape] == [INT, FLOAT] and shape[0][1] <= 64]
                args.append(self.pick(pairs) if pairs and self.chance(2) else
                            self.tuple_value([tuple(x) for x in PAIR_SHAPE], max(depth - 1, 1)))
                continue
            e = self.expr(pt, max(depth - 1, 1))
            if pt == INT and e.bits > 64:  # the callee's bounds assume int64-sized arguments
                e = self.clamp(e)
            args.append(e.text)
        if callee.none_default and given == len(callee.param_types) and self.chance(4):
            args[-1] = "None"
        if args and self.chance(3):
            first = self.n(0, len(args) - 1)
            named = [f"p{k}={a}" for k, a in enumerate(args) if k >= first]
            if self.chance(2):
                named.reverse()
            args = args[:first] + named
        return f"{callee.name}({', '.join(args)})"

    # -- statements -------------------------------------------------------
    def in_loop(self) -> bool:
        return bool(self.loops)

    def assigned_int(self, target: str, e: Expr) -> str:
        """The text to assign e to int variable target, clamped if it could grow too big."""
        if e.bits > LIMIT_BITS or (self.in_loop() and e.mult):
            e = self.clamp(e)
        self.bits[target] = e.bits
        return e.text

    def block(self, depth: int, lo: int = 1, hi: int | None = None) -> list[str]:
        lines: list[str] = []
        for _ in range(self.n(lo, hi or self.block_size)):
            lines += self.statement(depth)
        return lines

    def statement(self, depth: int) -> list[str]:
        options = [("assign", 8), ("aug", 5), ("tuple", 1), ("divmod", 1), ("expr", 1)]
        if self.arrays:
            options += [("store", 4)]
        if self.optionals or self.tuples:
            options += [("value", 3)]
        options += [("raise", 1)]
        if depth < MAX_BLOCK_DEPTH:
            options += [("if", 4), ("return", 1)]
            if len(self.loops) < MAX_LOOP_DEPTH and self.loops_allowed:
                options += [("for", 3), ("while", 2)]
            if self.in_loop():
                options += [("jump", 3)]
        kind = self.weighted(options)
        return getattr(self, "stmt_" + kind)(depth)

    def stmt_assign(self, depth: int) -> list[str]:
        target = self.pick(self.assignable)
        if target in self.dyn:
            t = self.dyn[target]
            if self.fixed(target):
                assert t in TYPES
            elif t not in TYPES or self.chance(2):
                t = self.pick(TYPES)  # a new type
            e = self.expr(t)  # type: ignore[arg-type]
            text = self.assigned_int(target, e) if t == INT else e.text
            self.set_dyn(target, t)
            return [f"{target} = {text}"]
        t = self.types[target]
        e = self.expr(t)
        text = self.assigned_int(target, e) if t == INT else e.text
        return [f"{target} = {text}"]

    def stmt_expr(self, depth: int) -> list[str]:
        """An expression statement: its value is dropped, but not what it raises."""
        e = self.expr(self.pick(TYPES), 2)
        return [e.text]

    def retype_aug(self, target: str) -> list[str]:
        """`d /= 2`, `d += 0.5`: an int or bool dynamic variable becomes a float."""
        if self.chance(2):
            line = f"{target} /= {self.divisor(self.intish(2)).text}"
        else:
            op = self.pick(["+=", "-=", "*="])
            line = f"{target} {op} {self.float_expr(2).text}"
        self.set_dyn(target, FLOAT)
        return [line]

    def stmt_aug(self, depth: int) -> list[str]:
        target = self.pick(self.assignable)
        if target in self.dyn:
            if self.dyn[target] not in TYPES:
                return self.stmt_assign(depth)
            if self.dyn[target] != FLOAT and not self.fixed(target) and self.chance(2):
                return self.retype_aug(target)
        t = self.types[target]
        if t == BOOL:
            op = self.pick(["&=", "|=", "^="])
            return [f"{target} {op} {self.bool_expr(2).text}"]
        if t == FLOAT:
            op = self.pick(["+=", "-=", "*=", "/=", "//=", "%=", "**="])
            rhs = self.numeric(2)
            if op in ("/=", "//=", "%="):
                rhs = self.divisor(rhs)
            return [f"{target} {op} {rhs.text}"]
        op = self.pick(["+=", "-=", "*=", "//=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**="])
        current = self.var_expr(target)
        if op in ("<<=", ">>="):
            count = -1 if self.risky() else self.pick(SHIFT_CONSTS)
            rhs = Expr(lit(count), INT, 7, const=True)
            bits = current.bits + (max(0, count) if op == "<<=" else 0)
        elif op == "**=":
            k = self.pick([-1, -2]) if self.risky() else self.pick(POW_CONSTS)
            rhs = Expr(lit(k), INT, 3, const=True)
            bits = current.bits * max(k, 1) + 1
        else:
            rhs = self.intish(2)
            if op in ("//=", "%="):
                rhs = self.divisor(rhs)
                if self.chance(3):
                    value = self.pick(DIVISOR_CONSTS)
                    rhs = Expr(lit(value), INT, bit_length(value), const=True)
            bits = {"+=": max(current.bits, rhs.bits) + 1, "-=": max(current.bits, rhs.bits) + 1,
                    "*=": current.bits + rhs.bits, "//=": current.bits + 1, "%=": rhs.bits,
                    }.get(op, max(current.bits, rhs.bits) + 1)
        mult = rhs.mult or (op == "*=" and rhs.bits > 1 and not rhs.const) or (
            op == "**=" and rhs.text not in ("0", "1", "(-1)", "(-2)"))
        lines = [f"{target} {op} {rhs.text}"]
        self.bits[target] = bits
        if bits > LIMIT_BITS or (self.in_loop() and mult):
            clamped = self.clamp(Expr(target, INT, bits))
            lines.append(f"{target} = {clamped.text}")
            self.bits[target] = clamped.bits
        return lines

    def stmt_tuple(self, depth: int) -> list[str]:
        """`a, b = b, a` or `a, b = b, a + b` (same-typed targets)."""
        t = self.pick(TYPES)
        names = self.vars_of(t, assignable=True)
        if len(names) < 2:
            return self.stmt_assign(depth)
        a, b = self.pick(names), self.pick(names)
        if a == b:
            return self.stmt_assign(depth)
        if self.chance(2):
            self.bits[a], self.bits[b] = self.bits.get(b, 1), self.bits.get(a, 1)
            return [f"{a}, {b} = {b}, {a}"]
        e = self.expr(t, 2)
        if t == INT:
            if e.bits > LIMIT_BITS or (self.in_loop() and e.mult):
                e = self.clamp(e)
            self.bits[a], self.bits[b] = self.bits[b], e.bits
        return [f"{a}, {b} = {b}, {e.text}"]

    def stmt_divmod(self, depth: int) -> list[str]:
        t = self.pick([INT, FLOAT])
        names = self.vars_of(t, assignable=True)
        if len(names) < 2:
            return self.stmt_assign(depth)
        q, r = self.pick(names), self.pick(names)
        if q == r:
            return self.stmt_assign(depth)
        if t == INT:
            a, b = self.not_both_const(self.intish(2), self.intish(2))
            b = self.divisor(b)
            if self.chance(3):
                value = self.pick(DIVISOR_CONSTS)
                b = Expr(lit(value), INT, bit_length(value), const=True)
                if a.const:
                    a = self.nonconst_leaf(a.type)
            self.bits[q], self.bits[r] = a.bits + 1, b.bits
        else:
            a, b = self.float_expr(2), self.numeric(2)
            if self.chance(2):
                a, b = b, a
            a, b = self.not_both_const(a, b)
            b = self.divisor(b)
        return [f"{q}, {r} = divmod({a.text}, {b.text})"]

    def branch_block(self, depth: int):  # type: ignore[no-untyped-def]
        saved = self.snapshot()
        lines = self.block(depth + 1, 1, self.block_size - 1)
        after = self.snapshot()
        self.restore(saved)
        return lines, after

    def stmt_if(self, depth: int) -> list[str]:
        lines = [f"if {self.condition().text}:"]
        body, state = self.branch_block(depth)
        lines += indent(body)
        states = [state]
        for _ in range(self.n(0, 2)):
            lines.append(f"elif {self.condition().text}:")
            body, state = self.branch_block(depth)
            lines += indent(body)
            states.append(state)
        if self.chance(2):
            lines.append("else:")
            body, state = self.branch_block(depth)
            lines += indent(body)
            states.append(state)
        self.merge(states)
        return lines

    def stmt_return(self, depth: int) -> list[str]:
        return [f"if {self.condition().text}:", f"    return {self.return_value()}"]

    def stmt_jump(self, depth: int) -> list[str]:
        word = self.pick(["break", "continue"])
        lines = [f"if {self.condition().text}:"]
        if self.chance(3):
            saved = self.snapshot()
            lines += indent(self.stmt_assign(depth + 1))
            after = self.snapshot()
            self.restore(saved)  # only the jump's path assigned it
            self.merge([after])
        return lines + [f"    {word}"]

    def enter_loop(self, kind: str) -> Loop:
        """The state at a loop head; the loop is pushed (leave_loop pops it).

        Bit bounds: what comes in, plus some linear growth. Dynamic variables:
        each one of known type either keeps it through the whole body (fixed)
        or is taken to be of unknown type at the head (the back edge may bring
        any type), which lets the body assign it anything.
        """
        for name in self.bits:
            self.bits[name] += LOOP_SLACK_BITS
        fixed = []
        for d, t in list(self.dyn.items()):
            if self.fixed(d) or (t in TYPES and self.chance(2)):
                fixed.append(d)
            else:
                self.set_dyn(d, None)
        loop = Loop(kind, tuple(fixed))
        self.loops.append(loop)
        return loop

    def leave_loop(self, loop: Loop) -> None:
        """After the loop (from its head or a break): the variable dynamic ones are unknown."""
        popped = self.loops.pop()
        assert popped is loop
        for name in self.bits:
            self.bits[name] += LOOP_SLACK_BITS
        for d in self.dyn:
            if d not in loop.fixed:
                self.set_dyn(d, None)

    def loop_else(self, depth: int) -> list[str]:
        """An optional else: clause (after leave_loop); break/continue there belong to the outer loop."""
        if not self.chance(3):
            return []
        saved = self.snapshot()  # the state a break brings to the end of the loop
        body = self.block(depth + 1, 1, 2)
        self.merge([saved])
        return ["else:"] + indent(body)

    def stmt_for(self, depth: int) -> list[str]:
        kind = self.weighted([("range", 8), ("tuple", 2), ("enumerate", 2), ("zip", 2)])
        if kind == "tuple":  # over a tuple display of one type
            t = self.pick(TYPES)
            var = self.fresh("v")
            self.top_inits.append(f"{var} = {self.constant(t, small=True).text}")
            items = [self.expr(t, 1) for _ in range(self.n(1, 4))]
            header = f"for {var} in ({', '.join(e.text for e in items)},):"
            bits = {var: max(e.bits for e in items)} if t == INT else {}
            return self.for_loop(header, {var: t}, depth, bits)
        if kind == "enumerate":
            i, v = self.fresh("j"), self.fresh("j")
            self.top_inits += [f"{i} = 0", f"{v} = 0"]
            start = f", {lit(self.n(-3, 3))}" if self.chance(3) else ""
            source, element = self.iterable()
            header = f"for {i}, {v} in enumerate({source}{start}):"
            return self.for_loop(header, {i: INT, v: element}, depth)
        if kind == "zip":
            names = [self.fresh("j") for _ in range(self.n(2, 3))]
            self.top_inits += [f"{n} = 0" for n in names]
            sources = [self.iterable() for _ in names]
            header = f"for {', '.join(names)} in zip({', '.join(s for s, _ in sources)}):"
            return self.for_loop(header, {n: e for n, (_, e) in zip(names, sources, strict=True)}, depth)
        var = self.fresh("j")
        self.top_inits.append(f"{var} = 0")
        return self.for_loop(f"for {var} in range({self.range_args()}):", {var: INT}, depth)

    def iterable(self) -> tuple[str, str]:
        """What enumerate()/zip() iterate: a range (INT items) or, now and then,
        an array parameter (its elements: ELEMENT, read as int(x) / float(x))."""
        if self.arrays and self.chance(3):
            a = self.pick(list(self.arrays))
            return a, "element_" + self.arrays[a]
        return f"range({self.range_args()})", INT

    def for_loop(self, header: str, variables: dict[str, str], depth: int,
                 bits: dict[str, int] | None = None) -> list[str]:
        """A for loop binding `variables` (name: type, or "element_T" for an array's
        elements); each was initialised at the top, so it is readable after the loop."""
        loop = self.enter_loop("for")
        for var, t in variables.items():
            if t.startswith("element_"):
                self.elements[var] = t[len("element_"):]
                continue
            self.types[var] = t  # readable (inside and, being initialised at the top, after)
            if t == INT:
                self.bits[var] = (bits or {}).get(var, 64)
        body = self.block(depth + 1)
        self.leave_loop(loop)
        return [header] + indent(body) + self.loop_else(depth)

    def range_args(self) -> str:
        kind = self.weighted([("const", 3), ("mod", 3), ("two", 2), ("step", 2), ("computed_step", 1),
                              ("around_var", 2), ("edge", 2)])
        risky = self.risky()
        if risky:
            kind = self.pick(["computed_step", "float"])
        if kind == "const":
            return lit(self.n(-2, 25))
        if kind == "mod":
            return f"{self.intish(2).text} % {self.n(1, 25)}"
        if kind == "two":
            lo = self.n(-10, 10)
            hi = lo + self.n(-2, 20)
            return f"{lit(lo)}, {lit(hi)}" if self.chance(2) else f"{self.intish(2).text} % 10, {lit(hi)}"
        if kind == "step":
            step = self.pick([1, 2, 3, -1, -2, -3, 7])
            lo, hi = self.n(-10, 10), self.n(-10, 10)
            if (hi - lo) * step < 0 and not self.chance(4):
                lo, hi = hi, lo
            return f"{lit(lo)}, {lit(hi)}, {lit(step)}"
        if kind == "computed_step":
            e = self.intish(2)
            step = f"({e.text} % 5) - 2" if risky else f"((({e.text} % 5) - 2) or 1)"  # 0: ValueError
            return f"{lit(self.n(-10, 10))}, {lit(self.n(-10, 10))}, {step}"
        if kind == "around_var":
            names = self.vars_of(INT) + self.vars_of(BOOL)
            base = self.pick(names)
            trips = self.n(0, 8)
            if self.chance(2):
                return f"{base}, {base} + {trips}"
            return f"{base}, {base} - {trips}, -1"
        if kind == "edge":
            trips = self.n(0, 6)
            step = self.pick([1, 2, 3, -1, -2, -3])
            if step > 0:
                top = 2**63 - 1 - self.n(0, 3)
                return f"{lit(top - trips)}, {lit(top)}, {lit(step)}"
            bottom = -(2**63) + self.n(0, 3)
            return f"{lit(bottom + trips)}, {lit(bottom)}, {lit(step)}"
        return f"{self.float_expr(1).text}"  # CPython raises TypeError

    def stmt_while(self, depth: int) -> list[str]:
        counter = self.fresh("k")
        self.top_inits.append(f"{counter} = 0")
        lines = [f"{counter} = {self.n(0, 20)}"]
        form = self.weighted([("guard", 3), ("and", 2), ("true", 2), ("truthy", 1)])
        loop = self.enter_loop("while")
        self.types[counter] = INT  # readable, never assigned except by the loop itself
        self.bits[counter] = 8
        if form == "guard":
            lines.append(f"while {counter} > 0:")
        elif form == "and":
            cond = self.condition()
            if self.chance(2):
                lines.append(f"while {counter} > 0 and {cond.text}:")
            else:
                lines.append(f"while {cond.text} and {counter} > 0:")
        elif form == "true":
            lines += ["while True:", f"    if {counter} <= 0:", "        break"]
        else:
            lines.append(f"while {counter}:")
        lines.append(f"    {counter} -= 1")
        body = self.block(depth + 1)
        self.leave_loop(loop)
        lines += indent(body)
        if form != "true":
            lines += self.loop_else(depth)
        return lines

    def return_value(self) -> str:
        if self.return_type is not None:
            e = self.expr(self.return_type if self.return_type != MIXED else self.pick(TYPES))
            if e.type == INT and e.bits > LIMIT_BITS:
                e = self.clamp(e)
            self.return_bits = max(self.return_bits, e.bits)
            return e.text
        kind = self.weighted([("scalar", 8), ("tuple", 2), ("divmod", 1), ("none", 1),
                              ("dynamic", 3 if self.dyn else 0), ("nested", 1),
                              ("value", 2 if self.tuples or self.optionals else 0)])
        if kind == "value":  # a tuple local (nested, maybe), an optional (None or an int)
            return self.pick(list(self.tuples) + list(self.optionals))
        if kind == "nested":  # (a, b), (c, d)
            parts = [self.tuple_value([(self.pick(TYPES), 1) for _ in range(self.n(1, 2))], 1)
                     for _ in range(self.n(1, 2))]
            return ", ".join(parts + ([self.expr(self.pick(TYPES), 1).text] if self.chance(2) else []))
        if kind == "dynamic":  # whatever type it has (or UnboundLocalError)
            names = [d for d, t in self.dyn.items() if t != UNBOUND or self.risky()]
            if names:
                return ", ".join(self.pick(names) for _ in range(self.n(1, 2)))
            kind = "scalar"
        if kind == "scalar":
            return self.expr(self.pick(TYPES)).text
        if kind == "tuple":
            items = [self.expr(self.pick(TYPES), 2).text for _ in range(self.n(2, self.tuple_size))]
            return ", ".join(items) if self.chance(2) else "(" + ", ".join(items) + ")"
        if kind == "divmod":
            a, b = self.not_both_const(self.numeric(2), self.numeric(2))
            return f"divmod({a.text}, {self.divisor(b).text})"
        return "None"


def indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def function(draw, name: str = "generated", callees: Sequence[Callee] = (),
             return_type: str | None = None, loops: bool = True,
             dynamic: bool = False, arrays: int = 0) -> tuple[str, Callee]:
    """The source of one random function (no imports), and how to call it;
    `arrays` array parameters come after the others."""
    g = Gen(draw, callees=tuple(callees), return_type=return_type, loops_allowed=loops,
            dynamic=dynamic)
    g.risk = g.pick([0, 0, 0, 12, 4, 2])
    # The shape: "pressure" has many live values (register allocation spills),
    # "deep" has deep expressions (many temporaries), and longer blocks.
    shape = g.pick(["normal", "normal", "pressure", "deep"])
    param_types = [g.pick(TYPES) for _ in range(g.n(1, 7 if shape == "pressure" else 4))]
    params = [f"p{i}" for i in range(len(param_types))]
    for p, t in zip(params, param_types, strict=False):
        g.types[p] = t
        g.assignable.append(p)
        if t != FLOAT:
            g.bits[p] = 64 if t == INT else 1
    if g.chance(4):
        params.append("q0")
        param_types.append(PAIR)
        g.tuples["q0"] = [tuple(x) for x in PAIR_SHAPE]
    for i in range(arrays):
        t = g.pick([INT_ARRAY, FLOAT_ARRAY])
        params.append(f"arr{i}")
        param_types.append(t)
        g.arrays[f"arr{i}"] = ELEMENT_TYPES[t]
    # One local of each type at least, so constant-folding avoidance always has a variable.
    init_lines = []
    most = 3
    if shape == "pressure":
        most, g.block_size, g.tuple_size = 10, 6, 8
    elif shape == "deep":
        g.expr_depth, g.block_size = 5, 5
    counts = {INT: g.n(1, most), FLOAT: g.n(1, most), BOOL: g.n(1, max(2, most // 2))}
    prefixes = {INT: "a", FLOAT: "f", BOOL: "b"}
    for t in (BOOL, INT, FLOAT):  # bools first: int/float initialisers may then use them
        for i in range(counts[t]):
            local = f"{prefixes[t]}{i}"
            e = g.expr(t, 2)
            text = g.assigned_int(local, e) if t == INT else e.text
            init_lines.append(f"{local} = {text}")
            g.types[local] = t
            g.assignable.append(local)
    # Values beyond one number (some functions): locals holding None or an int,
    # tuples (nested too), an int beyond int64.
    if g.chance(3):
        for i in range(g.n(1, 2)):
            local = f"o{i}"
            g.optionals[local] = 1
            init_lines.append(f"{local} = None")
    if g.chance(3):
        for i in range(g.n(1, 2)):
            local = f"t{i}"
            shape = g.new_tuple_shape()
            init_lines.append(f"{local} = {g.tuple_value(shape)}")
            g.tuples[local] = shape
    if g.chance(8):
        g.bigs.append("g0")
        init_lines.append(f"g0 = {g.pick(BIG_CONSTS)}")
    if dynamic:
        for i in range(g.n(1, 3)):
            local = f"d{i}"
            g.assignable.append(local)
            if g.chance(3):
                g.set_dyn(local, UNBOUND)  # bound later, maybe only on some paths
            else:
                t = g.pick(TYPES)
                e = g.expr(t, 2)
                text = g.assigned_int(local, e) if t == INT else e.text
                init_lines.append(f"{local} = {text}")
                g.set_dyn(local, t)
    body = g.block(0, 1, 2 * g.block_size - 2)
    final = f"return {g.return_value()}"
    lines = g.top_inits + init_lines + body + [final]
    # A helper's last parameter may have a default (a constant of its type), which callers
    # may leave out; int ones stay small, as int arguments are clamped to int64 anyway.
    defaults = 0
    signature = list(params)
    if return_type is not None and params and not arrays and g.chance(3):
        defaults = 1
        if param_types[-1] == PAIR:
            signature[-1] += "=(1, 2.5)"
        elif g.chance(2):
            signature[-1] += f"={g.constant(param_types[-1], small=True).text}"
        else:  # None, replaced first thing: `def h(x, step=None): if step is None: step = 1`
            signature[-1] += "=None"
            lines[:0] = [f"if {params[-1]} is None:",
                         f"    {params[-1]} = {g.constant(param_types[-1], small=True).text}"]
    source = f"def {name}({', '.join(signature)}):\n" + "\n".join(indent(lines)) + "\n"
    return source, Callee(name, tuple(param_types), return_type or "", g.return_bits, defaults,
                          signature[-1].endswith("=None") if signature else False)


@st.composite
def programs(draw, max_helpers: int = 0, dynamic: bool = False,  # type: ignore[no-untyped-def]
             arrays: bool = False):
    """(source, param_types): a module that imports math and defines `generated`.

    With max_helpers > 0 (see TODO(calls)), up to that many loop-free helper
    functions h0, h1, ... with fixed return types come first; each may call
    the ones before it, and `generated` may call them all. With arrays, half
    the programs also take one or two array parameters (INT_ARRAY, FLOAT_ARRAY).
    """
    helpers: list[Callee] = []
    parts = []
    for i in range(draw(st.integers(0, max_helpers))):
        return_type = draw(st.sampled_from(TYPES + (MIXED,)))
        text, callee = function(draw, f"h{i}", helpers, return_type, loops=False)
        helpers.append(callee)
        parts.append(text)
    count = draw(st.sampled_from([0, 0, 1, 2])) if arrays else 0
    text, main = function(draw, "generated", helpers, dynamic=dynamic, arrays=count)
    parts.append(text)
    return "import math\nfrom math import floor, sqrt\n\n\n" + "\n\n".join(parts), main.param_types


def make(source: str, name: str = "generated", helpers_decorator=None):  # type: ignore[no-untyped-def]
    """Execute a generated module; its function `name`.

    helpers_decorator (say `jit(strict=True)`) is applied to the helper
    functions h0, h1, ... first, so that `name` calls the decorated ones.
    """
    namespace: dict[str, object] = {"__name__": "fuzz_generated"}
    exec(compile(source, "<generated>", "exec"), namespace)
    if helpers_decorator is not None:
        for key in list(namespace):
            if key[:1] == "h" and key[1:].isdigit():
                namespace[key] = helpers_decorator(namespace[key])
    return namespace[name]


def int64_constants_only(func) -> bool:  # type: ignore[no-untyped-def]
    """Whether CPython's folded constants all fit in int64 (the generator means them to)."""
    return all(not isinstance(c, int) or -(2**63) <= c < 2**63 for c in func.__code__.co_consts)


__all__ = ["programs", "make", "Callee", "PYTHON_TYPES", "INT", "BOOL", "FLOAT", "INT_ARRAY",
           "FLOAT_ARRAY", "math"]
