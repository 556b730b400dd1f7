"""Every per-CPython-version bytecode difference, in one place.

CPython's bytecode changes with each release (3.11 folded all binary operators
into BINARY_OP, 3.12 added RETURN_CONST and moved unary + into an intrinsic,
3.13 added superinstructions such as LOAD_FAST_LOAD_FAST, 3.14 made `x[i]` a
BINARY_OP and added LOAD_SMALL_INT, LOAD_FAST_BORROW, NOT_TAKEN and POP_ITER,
3.15 keeps an iterator as two stack items). This module maps each supported
version's instructions onto one small, version-independent vocabulary; nothing
else in jitcore looks at opcode names or at `sys.version_info`.

The vocabulary (each item is `(op, arg)`; jump targets are bytecode offsets):

    ("load_local", name)      push a local variable
    ("store_local", name)     pop into a local variable
    ("load_const", value)     push a constant
    ("load_global", name)     push a global (or builtin) by name
    ("load_attr", name)       pop an object, push its attribute (method loads too)
    ("call", n)               pop n arguments and a callable, push the result
    ("binary", symbol)        pop b, pop a, push a <symbol> b   ('+', '-', '*', ...)
    ("subscript", None)       pop i, pop x, push x[i]
    ("store_subscript", None) pop i, pop x, pop v: x[i] = v
    ("unary", symbol)         pop a, push <symbol> a            ('-', '+', '~', 'not')
    ("compare", symbol)       pop b, pop a, push a <symbol> b   ('<', '==', ...)
    ("to_bool", None)         pop a, push bool(a)
    ("swap", n)               exchange the top of the stack with the n-th item
    ("copy", n)               push a copy of the n-th item (1 = top)
    ("rot", n)                move the top item down to position n (ROT_TWO..ROT_FOUR)
    ("pop", None)             discard the top of the stack
    ("build_tuple", n)        pop n items, push a tuple of them
    ("unpack", n)             pop a sequence of n items, push them last-first
    ("jump", target)          continue at target
    ("branch", (sense, target))          pop a; if bool(a) == sense: continue at target
    ("branch_or_pop", (sense, target))   if bool(top) == sense: continue at target
                                         keeping it, else pop it (and/or values)
    ("get_iter", n)           pop an iterable, push its iterator as n stack
                              items (1; 3.15+: 2, the iterator and an index)
    ("for_iter", (target, keep, n))  next item of the iterator whose n items
                              are on top; when it is exhausted continue at
                              target, with them popped (keep=False) or left
                              with a placeholder above (keep=True, popped by
                              the code there)
    ("call_kw", n)            pop a tuple of names, then as call: the last of the n
                              arguments are passed by those names
    ("kw_names", names)       the next call passes its last arguments by these names
    ("return", None)          pop and return
    ("raise", None)           pop an exception (or its class) and raise it
    ("unsupported", text)     anything jitcore cannot compile yet; text names it

A new CPython release is one more table here, plus its tests. An interpreter
with no table (a newer CPython, a free-threaded build, PyPy) is not an error
at import: `unsupported_interpreter()` says why, and every @jit function then
runs in CPython with a warning naming it.
"""

from __future__ import annotations

import opcode
import sys

# Only type checkers read these: `typing` is slow to import, and importing the
# compiler is part of the first call of a jitted function.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import dis
    from collections.abc import Callable
    from types import CodeType
    from typing import Any, Protocol

    Item = tuple[str, object]

    class InstructionLike(Protocol):
        """What a rule reads of an instruction (dis.Instruction has it, and so
        does RawInstruction below)."""

        @property
        def opname(self) -> str: ...
        @property
        def arg(self) -> int | None: ...
        @property
        def argval(self) -> Any: ...

    Rule = Callable[[InstructionLike], list[Item]]

SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14), (3, 15))


def _nothing(ins: InstructionLike) -> list[Item]:
    return []


def _load_local(ins: InstructionLike) -> list[Item]:
    return [("load_local", ins.argval)]


def _store_local(ins: InstructionLike) -> list[Item]:
    return [("store_local", ins.argval)]


def _load_const(ins: InstructionLike) -> list[Item]:
    return [("load_const", ins.argval)]


def _return(ins: InstructionLike) -> list[Item]:
    return [("return", None)]


def _return_const(ins: InstructionLike) -> list[Item]:
    return [("load_const", ins.argval), ("return", None)]


def _pop(ins: InstructionLike) -> list[Item]:
    return [("pop", None)]


def _binary(symbol: str) -> Rule:
    return lambda ins: [("binary", symbol)]


def _unary(symbol: str) -> Rule:
    return lambda ins: [("unary", symbol)]


def _swap(ins: InstructionLike) -> list[Item]:
    return [("swap", ins.arg)]


def _rot_two(ins: InstructionLike) -> list[Item]:
    return [("swap", 2)]


# The operators the vocabulary has ("binary", symbol).
BINARY_SYMBOLS = frozenset(("+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@"))


def _binary_op_items(symbols: list[str]) -> tuple[list[Item], ...]:
    """BINARY_OP's argument -> vocabulary items, from the interpreter's own
    table of (name, symbol) pairs (`dis._nb_ops`, Include/opcode.h's NB_*).

    The in-place forms ('+=') behave like the plain ones on ints and floats;
    '[]' (3.14's NB_SUBSCR) is a subscript; an operator this table does not
    know -- one a future CPython adds -- is unsupported, never misread.
    """
    out: list[list[Item]] = []
    for symbol in symbols:
        plain = symbol[:-1] if symbol.endswith("=") and symbol[:-1] in BINARY_SYMBOLS else symbol
        if plain in BINARY_SYMBOLS:
            out.append([("binary", plain)])
        elif symbol == "[]":
            out.append([("subscript", None)])
        else:
            out.append([("unsupported", f"operator {symbol} (BINARY_OP {len(out)})")])
    return tuple(out)


BINARY_OP_ITEMS = _binary_op_items([symbol for _, symbol in getattr(opcode, "_nb_ops", ())])


def _binary_op(ins: InstructionLike) -> list[Item]:
    arg = ins.arg
    if arg is None or not 0 <= arg < len(BINARY_OP_ITEMS):
        return [("unsupported", f"operator number {arg} (BINARY_OP)")]
    return BINARY_OP_ITEMS[arg]


# CALL_INTRINSIC_1's argument for unary + (3.12+), from the interpreter's own
# list of intrinsics (Include/internal/pycore_intrinsics.h): 5 so far.
_INTRINSICS_1: list[str] = list(getattr(opcode, "_intrinsic_1_descs", ()))
INTRINSIC_UNARY_POSITIVE = (_INTRINSICS_1.index("INTRINSIC_UNARY_POSITIVE")
                            if "INTRINSIC_UNARY_POSITIVE" in _INTRINSICS_1 else -1)


def _call_intrinsic_1(ins: InstructionLike) -> list[Item]:
    if ins.arg == INTRINSIC_UNARY_POSITIVE:
        return [("unary", "+")]
    return [("unsupported", f"intrinsic function number {ins.arg} (CALL_INTRINSIC_1)")]


def _load_fast_load_fast(ins: InstructionLike) -> list[Item]:
    first, second = ins.argval
    return [("load_local", first), ("load_local", second)]


def _store_fast_load_fast(ins: InstructionLike) -> list[Item]:
    stored, loaded = ins.argval
    return [("store_local", stored), ("load_local", loaded)]


def _load_small_int(ins: InstructionLike) -> list[Item]:
    return [("load_const", ins.arg)]


# LOAD_COMMON_CONSTANT's argument (3.14+) indexes the interpreter's own list:
# AssertionError, NotImplementedError, ... and in 3.15 also None, True, False, -1.
_COMMON_CONSTANTS: list[object] = list(getattr(opcode, "_common_constants", ()))


def _load_common_constant(ins: InstructionLike) -> list[Item]:
    arg = ins.arg
    if arg is None or not 0 <= arg < len(_COMMON_CONSTANTS):
        return [("unsupported", f"constant number {arg} (LOAD_COMMON_CONSTANT)")]
    value = _COMMON_CONSTANTS[arg]
    if value is None or type(value) in (bool, int, float) or value is AssertionError:
        return [("load_const", value)]
    return [("unsupported", f"the built-in {getattr(value, '__name__', repr(value))}")]


def _raise(ins: InstructionLike) -> list[Item]:
    if ins.arg == 1:
        return [("raise", None)]
    what = "re-raise (raise without an exception)" if ins.arg == 0 else "raise ... from ..."
    return [("unsupported", what)]


def _store_fast_store_fast(ins: InstructionLike) -> list[Item]:
    first, second = ins.argval
    return [("store_local", first), ("store_local", second)]


def _load_global(ins: InstructionLike) -> list[Item]:
    # 3.11+ fold a PUSH_NULL into LOAD_GLOBAL (low bit of arg); a NULL is
    # only calling-convention plumbing and never reaches the vocabulary.
    return [("load_global", ins.argval)]


def _load_attr(ins: InstructionLike) -> list[Item]:
    return [("load_attr", ins.argval)]


def _call(ins: InstructionLike) -> list[Item]:
    return [("call", ins.arg)]


def _compare(ins: InstructionLike) -> list[Item]:
    return [("compare", ins.argval)]


def _is(ins: InstructionLike) -> list[Item]:
    return [("compare", "is not" if ins.arg else "is")]


def _contains(ins: InstructionLike) -> list[Item]:
    return [("compare", "not in" if (ins.arg or 0) & 1 else "in")]


def _branch_none(none: bool) -> Rule:
    """POP_JUMP_IF_NONE (none=True) / POP_JUMP_IF_NOT_NONE: `x is None` and a branch."""
    return lambda ins: [("load_const", None), ("compare", "is"), ("branch", (none, ins.argval))]


def dis_fixed(ins: Any, code: CodeType) -> Any:
    """A dis.Instruction with what 3.11's dis leaves out: KW_NAMES's names
    (its argval there is '<unknown>'; the fast reader reads co_consts)."""
    if ins.opname == "KW_NAMES" and not isinstance(ins.argval, tuple):
        return ins._replace(argval=code.co_consts[ins.arg])
    return ins


def _jump(ins: InstructionLike) -> list[Item]:
    return [("jump", ins.argval)]


def _branch(sense: bool) -> Rule:
    return lambda ins: [("branch", (sense, ins.argval))]


def _branch_or_pop(sense: bool) -> Rule:
    return lambda ins: [("branch_or_pop", (sense, ins.argval))]


def _copy(ins: InstructionLike) -> list[Item]:
    return [("copy", ins.arg)]


def _constant(op: str, arg: object) -> Rule:
    return lambda ins: [(op, arg)]


def _with_arg(op: str) -> Rule:
    return lambda ins: [(op, ins.arg)]


def _for_iter(keep: bool, items: int = 1) -> Rule:
    return lambda ins: [("for_iter", (ins.argval, keep, items))]


# Rules every supported version shares.
COMMON: dict[str, Rule] = {
    "NOP": _nothing,
    "LOAD_FAST": _load_local,
    "STORE_FAST": _store_local,
    "LOAD_CONST": _load_const,
    "RETURN_VALUE": _return,
    "POP_TOP": _pop,
    "UNARY_NEGATIVE": _unary("-"),
    "UNARY_INVERT": _unary("~"),
    "UNARY_NOT": _unary("not"),
    "EXTENDED_ARG": _nothing,  # dis already folded it into the next instruction's arg
    "LOAD_GLOBAL": _load_global,
    "LOAD_ATTR": _load_attr,
    "COMPARE_OP": _compare,
    "IS_OP": _is,
    "CONTAINS_OP": _contains,
    "CALL_FUNCTION_KW": _with_arg("call_kw"),  # 3.10 (3.13+: CALL_KW): the names on the stack
    "LOAD_ASSERTION_ERROR": lambda ins: [("load_const", AssertionError)],
    "RAISE_VARARGS": _raise,
    "JUMP_FORWARD": _jump,
    "BUILD_TUPLE": _with_arg("build_tuple"),
    "UNPACK_SEQUENCE": _with_arg("unpack"),
    "GET_ITER": _constant("get_iter", 1),
    "STORE_SUBSCR": _constant("store_subscript", None),
    "BUILD_STRING": _with_arg("build_string"),  # an f-string of several parts
}

# 3.10-3.12: FORMAT_VALUE formats the value below a spec (if arg & 4), after a
# conversion (arg & 3: 1 str, 2 repr, 3 ascii); 3.13+ converts first
# (CONVERT_VALUE, the same numbers), then FORMAT_SIMPLE or FORMAT_WITH_SPEC.
_FORMAT_VALUE: dict[str, Rule] = {
    "FORMAT_VALUE": lambda ins: [("format", ((ins.arg or 0) & 3, bool((ins.arg or 0) & 4)))],
}
_FORMAT_313: dict[str, Rule] = {
    "CONVERT_VALUE": _with_arg("convert"),
    "FORMAT_SIMPLE": lambda ins: [("format", (0, False))],
    "FORMAT_WITH_SPEC": lambda ins: [("format", (0, True))],
}

PY310: dict[str, Rule] = {
    **COMMON,
    **_FORMAT_VALUE,
    "UNARY_POSITIVE": _unary("+"),
    "ROT_TWO": _rot_two,
    "ROT_THREE": _constant("rot", 3),
    "ROT_FOUR": _constant("rot", 4),
    "DUP_TOP": _constant("copy", 1),
    "DUP_TOP_TWO": lambda ins: [("copy", 2), ("copy", 2)],
    "LOAD_METHOD": _load_attr,
    "CALL_METHOD": _call,
    "CALL_FUNCTION": _call,
    "JUMP_ABSOLUTE": _jump,
    "POP_JUMP_IF_FALSE": _branch(False),
    "POP_JUMP_IF_TRUE": _branch(True),
    "JUMP_IF_FALSE_OR_POP": _branch_or_pop(False),
    "JUMP_IF_TRUE_OR_POP": _branch_or_pop(True),
    "FOR_ITER": _for_iter(keep=False),
    "BINARY_ADD": _binary("+"),
    "BINARY_SUBTRACT": _binary("-"),
    "BINARY_MULTIPLY": _binary("*"),
    "BINARY_FLOOR_DIVIDE": _binary("//"),
    "BINARY_TRUE_DIVIDE": _binary("/"),
    "BINARY_MODULO": _binary("%"),
    "BINARY_POWER": _binary("**"),
    "BINARY_LSHIFT": _binary("<<"),
    "BINARY_RSHIFT": _binary(">>"),
    "BINARY_AND": _binary("&"),
    "BINARY_OR": _binary("|"),
    "BINARY_XOR": _binary("^"),
    "BINARY_MATRIX_MULTIPLY": _binary("@"),
    "INPLACE_ADD": _binary("+"),
    "INPLACE_SUBTRACT": _binary("-"),
    "INPLACE_MULTIPLY": _binary("*"),
    "INPLACE_FLOOR_DIVIDE": _binary("//"),
    "INPLACE_TRUE_DIVIDE": _binary("/"),
    "INPLACE_MODULO": _binary("%"),
    "INPLACE_POWER": _binary("**"),
    "INPLACE_LSHIFT": _binary("<<"),
    "INPLACE_RSHIFT": _binary(">>"),
    "INPLACE_AND": _binary("&"),
    "INPLACE_OR": _binary("|"),
    "INPLACE_XOR": _binary("^"),
    "INPLACE_MATRIX_MULTIPLY": _binary("@"),
    "BINARY_SUBSCR": _constant("subscript", None),
}

PY311: dict[str, Rule] = {
    **COMMON,
    **_FORMAT_VALUE,
    "RESUME": _nothing,
    "UNARY_POSITIVE": _unary("+"),
    "BINARY_OP": _binary_op,
    "SWAP": _swap,
    "COPY": _copy,
    "PUSH_NULL": _nothing,
    "PRECALL": _nothing,
    "LOAD_METHOD": _load_attr,
    "CALL": _call,
    "JUMP_BACKWARD": _jump,
    "JUMP_BACKWARD_NO_INTERRUPT": _jump,
    "POP_JUMP_FORWARD_IF_FALSE": _branch(False),
    "POP_JUMP_FORWARD_IF_TRUE": _branch(True),
    "POP_JUMP_BACKWARD_IF_FALSE": _branch(False),
    "POP_JUMP_BACKWARD_IF_TRUE": _branch(True),
    "POP_JUMP_FORWARD_IF_NONE": _branch_none(True),
    "POP_JUMP_FORWARD_IF_NOT_NONE": _branch_none(False),
    "POP_JUMP_BACKWARD_IF_NONE": _branch_none(True),
    "POP_JUMP_BACKWARD_IF_NOT_NONE": _branch_none(False),
    "JUMP_IF_FALSE_OR_POP": _branch_or_pop(False),
    "JUMP_IF_TRUE_OR_POP": _branch_or_pop(True),
    "FOR_ITER": _for_iter(keep=False),
    "BINARY_SUBSCR": _constant("subscript", None),
    "KW_NAMES": lambda ins: [("kw_names", ins.argval)],  # 3.11, 3.12: the next call's keywords
}

# 3.12 dropped these: jumps are relative in both directions again, and/or
# values use COPY + POP_JUMP, method loads are LOAD_ATTR with a flag.
_GONE_IN_312 = ("UNARY_POSITIVE", "PRECALL", "LOAD_METHOD", "POP_JUMP_FORWARD_IF_FALSE",
                "POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_FALSE",
                "POP_JUMP_BACKWARD_IF_TRUE", "JUMP_IF_FALSE_OR_POP", "JUMP_IF_TRUE_OR_POP",
                "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_FORWARD_IF_NOT_NONE",
                "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE")

PY312: dict[str, Rule] = {
    **{k: v for k, v in PY311.items() if k not in _GONE_IN_312},
    "RETURN_CONST": _return_const,
    "LOAD_FAST_CHECK": _load_local,
    "CALL_INTRINSIC_1": _call_intrinsic_1,
    "POP_JUMP_IF_FALSE": _branch(False),
    "POP_JUMP_IF_TRUE": _branch(True),
    "POP_JUMP_IF_NONE": _branch_none(True),
    "POP_JUMP_IF_NOT_NONE": _branch_none(False),
    # An exhausted FOR_ITER jumps to END_FOR with the iterator still there;
    # in 3.12 END_FOR pops it and the placeholder.
    "FOR_ITER": _for_iter(keep=True),
    "END_FOR": lambda ins: [("pop", None), ("pop", None)],
}

PY313: dict[str, Rule] = {
    **{k: v for k, v in PY312.items() if k not in _FORMAT_VALUE},
    **_FORMAT_313,
    "LOAD_FAST_LOAD_FAST": _load_fast_load_fast,
    "STORE_FAST_LOAD_FAST": _store_fast_load_fast,
    "STORE_FAST_STORE_FAST": _store_fast_store_fast,
    "TO_BOOL": _constant("to_bool", None),
    # 3.13's END_FOR pops only the placeholder; a POP_TOP after it pops the iterator.
    "END_FOR": _pop,
    "CALL_KW": _with_arg("call_kw"),
}

# 3.14 dropped RETURN_CONST (LOAD_CONST + RETURN_VALUE again) and BINARY_SUBSCR
# (now BINARY_OP with NB_SUBSCR).
_GONE_IN_314 = ("RETURN_CONST", "BINARY_SUBSCR")

PY314: dict[str, Rule] = {
    **{k: v for k, v in PY313.items() if k not in _GONE_IN_314},
    "LOAD_SMALL_INT": _load_small_int,  # the argument is the int (0..255)
    # LOAD_FAST_BORROW pushes a borrowed reference: the same value to us.
    "LOAD_FAST_BORROW": _load_local,
    "LOAD_FAST_BORROW_LOAD_FAST_BORROW": _load_fast_load_fast,
    "NOT_TAKEN": _nothing,  # a marker for branch monitoring
    "LOAD_COMMON_CONSTANT": _load_common_constant,
    # An exhausted loop: END_FOR pops the placeholder, POP_ITER the iterator.
    "POP_ITER": _pop,
}

# 3.15 keeps an iterator as two stack items (the iterable or iterator, and an
# index for sequences), which FOR_ITER reads and POP_ITER (or `break`'s two
# POP_TOPs) removes.
PY315: dict[str, Rule] = {
    **PY314,
    "GET_ITER": _constant("get_iter", 2),
    "FOR_ITER": _for_iter(keep=True, items=2),
    "POP_ITER": lambda ins: [("pop", None), ("pop", None)],
}

TABLES: dict[tuple[int, int], dict[str, Rule]] = {
    (3, 10): PY310,
    (3, 11): PY311,
    (3, 12): PY312,
    (3, 13): PY313,
    (3, 14): PY314,
    (3, 15): PY315,
}

# Plain words for what an unsupported instruction means in the source, so a
# CompileError names the construct, not the opcode.
CONSTRUCTS: dict[str, str] = {
    "LOAD_GLOBAL": "global name {argval!r}",
    "LOAD_NAME": "name {argval!r}",
    "LOAD_DEREF": "closure variable {argval!r}",
    "STORE_DEREF": "closure variable {argval!r}",
    "STORE_GLOBAL": "assignment to global {argval!r}",
    "LOAD_ATTR": "attribute access .{argval}",
    "LOAD_METHOD": "method call .{argval}()",
    "STORE_ATTR": "attribute assignment .{argval}",
    "BINARY_SUBSCR": "subscript x[i]",
    "STORE_SUBSCR": "subscript assignment x[i] = ...",
    "CALL": "function call",
    "CALL_FUNCTION": "function call",
    "CALL_METHOD": "method call",
    "CALL_FUNCTION_KW": "function call with keywords",
    "CALL_KW": "function call with keywords",
    "BUILD_LIST": "list display",
    "BUILD_TUPLE": "tuple",
    "BUILD_MAP": "dict display",
    "BUILD_SET": "set display",
    "COMPARE_OP": "comparison {argval}",
    "IS_OP": "'is' comparison",
    "CONTAINS_OP": "'in' test",
    "GET_ITER": "for loop",
    "FOR_ITER": "for loop",
    "JUMP_FORWARD": "branch (if/else, and/or)",
    "JUMP_BACKWARD": "loop",
    "JUMP_ABSOLUTE": "loop",
    "POP_JUMP_IF_FALSE": "branch (if, while, and/or)",
    "POP_JUMP_IF_TRUE": "branch (if, while, and/or)",
    "POP_JUMP_FORWARD_IF_FALSE": "branch (if, while, and/or)",
    "POP_JUMP_FORWARD_IF_TRUE": "branch (if, while, and/or)",
    "JUMP_IF_FALSE_OR_POP": "and/or expression",
    "JUMP_IF_TRUE_OR_POP": "and/or expression",
    "TO_BOOL": "truth test",
    "RAISE_VARARGS": "raise statement",
    "SETUP_FINALLY": "try statement",
    "PUSH_EXC_INFO": "try statement",
    "IMPORT_NAME": "import statement",
    "MAKE_FUNCTION": "nested function or lambda",
    "YIELD_VALUE": "yield",
    "FORMAT_VALUE": "f-string",
    "FORMAT_SIMPLE": "f-string",
    "BUILD_STRING": "f-string",
    "DELETE_FAST": "del statement",
}


def unsupported_interpreter() -> str | None:
    """Why jitcore cannot compile for the running interpreter, or None.

    Checked once per function by the dispatcher: such an interpreter still
    imports jitcore, and every @jit function runs in it unchanged (with a
    warning), because jitcore's tables and C fast path know only the versions
    above, and with the GIL.
    """
    impl = sys.implementation.name
    free_threaded = "t" in getattr(sys, "abiflags", "")  # built with Py_GIL_DISABLED (3.13t, ...)
    if impl == "cpython" and sys.version_info[:2] in TABLES and not free_threaded:
        return None  # the common case: no text to build
    version = ".".join(map(str, sys.version_info[:3]))
    known = f"CPython {SUPPORTED[0][0]}.{SUPPORTED[0][1]}-{SUPPORTED[-1][0]}.{SUPPORTED[-1][1]}"
    if impl != "cpython":
        name = {"pypy": "PyPy", "graalpy": "GraalPy"}.get(impl, impl)
        return f"this is {name} (Python {version}); jitcore compiles for {known} only"
    if sys.version_info[:2] not in TABLES:
        return f"this is CPython {version}, which jitcore {_jitcore_version()} does not know " \
               f"(it compiles for {known}); a newer jitcore may"
    return f"this is a free-threaded build of CPython {version}, which jitcore does not " \
           f"support yet (it needs the GIL)"


def _jitcore_version() -> str:
    from .. import __version__

    return __version__


def table() -> dict[str, Rule]:
    """The rules for the running interpreter (see unsupported_interpreter)."""
    rules = TABLES.get(sys.version_info[:2])
    if rules is None or sys.implementation.name != "cpython":
        raise RuntimeError(unsupported_interpreter() or "no bytecode table")
    return rules


def translate(ins: InstructionLike, rules: dict[str, Rule]) -> list[Item]:
    """One CPython instruction as vocabulary items."""
    rule = rules.get(ins.opname)
    if rule is not None:
        return rule(ins)
    template = CONSTRUCTS.get(ins.opname)
    text = template.format(argval=ins.argval) if template else f"bytecode instruction {ins.opname}"
    return [("unsupported", text)]


def line_of(ins: dis.Instruction, previous: int | None) -> int | None:
    """The source line an instruction belongs to.

    3.11+ give every instruction a `positions.lineno`; 3.10 only marks the
    first instruction of each line (`starts_line`), so the line carries over.
    """
    positions = getattr(ins, "positions", None)
    if positions is not None and positions.lineno is not None:
        return int(positions.lineno)
    if isinstance(ins.starts_line, int) and not isinstance(ins.starts_line, bool):
        return ins.starts_line
    return previous


# -- reading bytecode ------------------------------------------------------------
#
# dis.get_instructions builds a full Instruction for every instruction (with
# argrepr strings, positions and more) and is a sixth of a whole compile.
# instructions() reads co_code directly and computes only what the rules
# above use -- opname, arg, argval, offset, line -- exactly as dis does for
# every instruction they know; a function with any other instruction (which
# then runs in CPython anyway) goes through dis, so error messages keep dis's
# argval. tests/test_frontend.py checks that both give the same on every
# function of the test corpus.

VERSION = sys.version_info[:2]
# What the C helpers are told (runtime: jc_set_python_version), so that where
# CPython versions compute differently (math.hypot, math.pow; csrc/pyversions.h)
# they follow this interpreter.
HEXVERSION = sys.hexversion

# math.nextafter(x, y, steps=n): the keyword arrived in 3.12 (before, a TypeError).
NEXTAFTER_STEPS = VERSION >= (3, 12)


class RawInstruction:
    """What the rules read of an instruction; a stand-in for dis.Instruction."""

    __slots__ = ("opname", "arg", "argval", "offset", "line")

    def __init__(self, opname: str, arg: int | None, argval: Any, offset: int,
                 line: int | None) -> None:
        self.opname = opname
        self.arg = arg
        self.argval = argval
        self.offset = offset
        self.line = line

    def __repr__(self) -> str:
        return (f"RawInstruction(opname={self.opname!r}, arg={self.arg!r}, argval={self.argval!r}, "
                f"offset={self.offset!r}, line={self.line!r})")


# Read with defaults: this runs at `import jitcore` on every interpreter, also
# ones whose `opcode` module differs (nothing compiles there; see
# unsupported_interpreter), and importing must still work.
_CACHE = opcode.opmap.get("CACHE")  # 3.11+: inline cache entries after an instruction
_EXTENDED_ARG = getattr(opcode, "EXTENDED_ARG", -1)
_HAVE_ARGUMENT = getattr(opcode, "HAVE_ARGUMENT", 0)
_JREL = frozenset(getattr(opcode, "hasjrel", ()))
_JABS = frozenset(getattr(opcode, "hasjabs", ()))
_CONST = frozenset(getattr(opcode, "hasconst", ()))
_NAME = frozenset(getattr(opcode, "hasname", ()))
_LOCAL = frozenset(getattr(opcode, "haslocal", ()))
_COMPARE = frozenset(getattr(opcode, "hascompare", ()))
_BACKWARD = frozenset(op for name, op in opcode.opmap.items() if "BACKWARD" in name)
# Instructions whose name index carries flags in its low bits.
_NAME_SHIFT = {"LOAD_GLOBAL": 1 if VERSION >= (3, 11) else 0,
               "LOAD_ATTR": 1 if VERSION >= (3, 12) else 0}
_COMPARE_SHIFT = 5 if VERSION >= (3, 13) else 4 if VERSION >= (3, 12) else 0
_LOCAL_PAIRS = frozenset(("LOAD_FAST_LOAD_FAST", "STORE_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST",
                          "LOAD_FAST_BORROW_LOAD_FAST_BORROW"))


def _line_starts(code: CodeType) -> dict[int, int]:
    """{offset: line} where a new source line starts, as dis.findlinestarts
    gives it before 3.13 (the versions that use it; importing dis costs a
    first call about a millisecond)."""
    starts = {}
    last = None
    for start, _, line in code.co_lines():
        if line is not None and line != last:
            starts[start] = last = line
    return starts


def instructions(code: CodeType, rules: dict[str, Rule]) -> list[RawInstruction] | None:
    """The instructions of `code` as dis would list them, or None if one is
    not in `rules` (then use dis.get_instructions)."""
    raw = code.co_code
    units = len(raw) // 2
    if VERSION >= (3, 11):
        lines = [position[0] for position in code.co_positions()]  # type: ignore[attr-defined]
        starts = {} if VERSION >= (3, 13) else _line_starts(code)
    else:
        lines = []
        starts = _line_starts(code)
    varnames = code.co_varnames
    out: list[RawInstruction] = []
    extended = 0
    line: int | None = code.co_firstlineno
    i = 0
    while i < units:
        offset = 2 * i
        op = raw[offset]
        name = opcode.opname[op]
        if name not in rules:
            return None  # it runs in CPython: dis's argval for the message
        arg = raw[offset + 1] | extended if op >= _HAVE_ARGUMENT else None
        extended = (arg << 8) if op == _EXTENDED_ARG and arg is not None else 0
        caches = 0
        if _CACHE is not None:
            while i + 1 + caches < units and raw[offset + 2 + 2 * caches] == _CACHE:
                caches += 1
        argval: Any = arg
        if arg is not None:
            if op in _JREL:
                step = -2 * arg if op in _BACKWARD else 2 * arg
                argval = offset + 2 + 2 * caches + step
            elif op in _JABS:
                argval = 2 * arg
            elif op in _CONST:
                argval = code.co_consts[arg]
            elif op in _NAME:
                argval = code.co_names[arg >> _NAME_SHIFT.get(name, 0)]
            elif name in _LOCAL_PAIRS:
                if max(arg >> 4, arg & 15) >= len(varnames):
                    return None  # a cell or free variable: dis knows its name
                argval = (varnames[arg >> 4], varnames[arg & 15])
            elif op in _LOCAL:
                if arg >= len(varnames):
                    return None
                argval = varnames[arg]
            elif op in _COMPARE:
                argval = opcode.cmp_op[arg >> _COMPARE_SHIFT]
            elif name == "LOAD_COMMON_CONSTANT" and arg < len(_COMMON_CONSTANTS):
                argval = _COMMON_CONSTANTS[arg]
        # The line as dis reports it (see line_of): 3.11+ give each
        # instruction a position; 3.10 (and 3.11/3.12 without a position)
        # mark line starts; otherwise the line carries over.
        lineno = lines[i] if lines else None
        if lineno is not None:
            line = lineno
        elif offset in starts:
            line = starts[offset]
        out.append(RawInstruction(name, arg, argval, offset, line))
        i += 1 + caches
    return out



# -- code objects for tracebacks (jitcore/raising.py) -------------------------

def source_columns(code: CodeType, offset: int) -> tuple[int, int] | None:
    """The columns [start, end) of the source the instruction at `offset`
    runs, when it is on one line: 3.11+ record them, 3.10 only lines."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return None
    for i, (line, end_line, col, end_col) in enumerate(positions()):
        if 2 * i == offset:
            if line is None or line != end_line or col is None or end_col is None:
                return None
            return col, end_col
    return None


def renamed(code: CodeType, name: str, qualname: str) -> CodeType:
    """code as if it were function `name`'s (3.11+ also keep a qualified name)."""
    if sys.version_info >= (3, 11):
        return code.replace(co_name=name, co_qualname=qualname)
    return code.replace(co_name=name)
