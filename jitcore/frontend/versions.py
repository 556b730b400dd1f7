"""Every per-CPython-version bytecode difference, in one place.

CPython's bytecode changes with each release (3.11 folded all binary operators
into BINARY_OP, 3.12 added RETURN_CONST and moved unary + into an intrinsic,
3.13 added superinstructions such as LOAD_FAST_LOAD_FAST). This module maps
each supported version's instructions onto one small, version-independent
vocabulary; nothing else in jitcore looks at opcode names or at
`sys.version_info`.

The vocabulary (each item is `(op, arg)`):

    ("load_local", name)    push a local variable
    ("store_local", name)   pop into a local variable
    ("load_const", value)   push a constant
    ("binary", symbol)      pop b, pop a, push a <symbol> b   ('+', '-', '*', ...)
    ("unary", symbol)       pop a, push <symbol> a            ('-', '+', '~', 'not')
    ("swap", n)             exchange the top of the stack with the n-th item
    ("pop", None)           discard the top of the stack
    ("return", None)        pop and return
    ("unsupported", text)   anything jitcore cannot compile yet; text names it

A new CPython release is one more table here, plus its tests.
"""

from __future__ import annotations

import dis
import sys
from typing import Callable, Dict, List, Optional, Tuple

Item = Tuple[str, object]
Rule = Callable[[dis.Instruction], List[Item]]

SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))


def _nothing(ins: dis.Instruction) -> List[Item]:
    return []


def _load_local(ins: dis.Instruction) -> List[Item]:
    return [("load_local", ins.argval)]


def _store_local(ins: dis.Instruction) -> List[Item]:
    return [("store_local", ins.argval)]


def _load_const(ins: dis.Instruction) -> List[Item]:
    return [("load_const", ins.argval)]


def _return(ins: dis.Instruction) -> List[Item]:
    return [("return", None)]


def _return_const(ins: dis.Instruction) -> List[Item]:
    return [("load_const", ins.argval), ("return", None)]


def _pop(ins: dis.Instruction) -> List[Item]:
    return [("pop", None)]


def _binary(symbol: str) -> Rule:
    return lambda ins: [("binary", symbol)]


def _unary(symbol: str) -> Rule:
    return lambda ins: [("unary", symbol)]


def _swap(ins: dis.Instruction) -> List[Item]:
    return [("swap", ins.arg)]


def _rot_two(ins: dis.Instruction) -> List[Item]:
    return [("swap", 2)]


# BINARY_OP's argument (3.11+): Include/opcode.h NB_* numbering. The in-place
# forms (13 and up) behave like the plain ones on ints and floats.
NB_OPS = ("+", "&", "//", "<<", "@", "*", "%", "|", "**", ">>", "-", "/", "^")


def _binary_op(ins: dis.Instruction) -> List[Item]:
    return [("binary", NB_OPS[ins.arg % len(NB_OPS)])]


def _call_intrinsic_1(ins: dis.Instruction) -> List[Item]:
    if ins.argrepr == "INTRINSIC_UNARY_POSITIVE":
        return [("unary", "+")]
    return [("unsupported", f"intrinsic {ins.argrepr}")]


def _load_fast_load_fast(ins: dis.Instruction) -> List[Item]:
    first, second = ins.argval
    return [("load_local", first), ("load_local", second)]


def _store_fast_load_fast(ins: dis.Instruction) -> List[Item]:
    stored, loaded = ins.argval
    return [("store_local", stored), ("load_local", loaded)]


def _store_fast_store_fast(ins: dis.Instruction) -> List[Item]:
    first, second = ins.argval
    return [("store_local", first), ("store_local", second)]


# Rules every supported version shares.
COMMON: Dict[str, Rule] = {
    "NOP": _nothing,
    "LOAD_FAST": _load_local,
    "STORE_FAST": _store_local,
    "LOAD_CONST": _load_const,
    "RETURN_VALUE": _return,
    "POP_TOP": _pop,
    "UNARY_NEGATIVE": _unary("-"),
    "UNARY_INVERT": _unary("~"),
    "UNARY_NOT": _unary("not"),
}

PY310: Dict[str, Rule] = {
    **COMMON,
    "UNARY_POSITIVE": _unary("+"),
    "ROT_TWO": _rot_two,
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
}

PY311: Dict[str, Rule] = {
    **COMMON,
    "RESUME": _nothing,
    "UNARY_POSITIVE": _unary("+"),
    "BINARY_OP": _binary_op,
    "SWAP": _swap,
}

PY312: Dict[str, Rule] = {
    **{k: v for k, v in PY311.items() if k != "UNARY_POSITIVE"},
    "RETURN_CONST": _return_const,
    "LOAD_FAST_CHECK": _load_local,
    "CALL_INTRINSIC_1": _call_intrinsic_1,
}

PY313: Dict[str, Rule] = {
    **PY312,
    "LOAD_FAST_LOAD_FAST": _load_fast_load_fast,
    "STORE_FAST_LOAD_FAST": _store_fast_load_fast,
    "STORE_FAST_STORE_FAST": _store_fast_store_fast,
}

TABLES: Dict[Tuple[int, int], Dict[str, Rule]] = {
    (3, 10): PY310,
    (3, 11): PY311,
    (3, 12): PY312,
    (3, 13): PY313,
}

# Plain words for what an unsupported instruction means in the source, so a
# CompileError names the construct, not the opcode.
CONSTRUCTS: Dict[str, str] = {
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


def table() -> Dict[str, Rule]:
    """The rules for the running interpreter."""
    version = sys.version_info[:2]
    if version not in TABLES:
        raise RuntimeError(
            f"jitcore supports CPython {', '.join('%d.%d' % v for v in SUPPORTED)}; "
            f"this is {version[0]}.{version[1]}"
        )
    return TABLES[version]


def translate(ins: dis.Instruction, rules: Dict[str, Rule]) -> List[Item]:
    """One CPython instruction as vocabulary items."""
    rule = rules.get(ins.opname)
    if rule is not None:
        return rule(ins)
    template = CONSTRUCTS.get(ins.opname)
    text = template.format(argval=ins.argval) if template else f"bytecode instruction {ins.opname}"
    return [("unsupported", text)]


def line_of(ins: dis.Instruction, previous: Optional[int]) -> Optional[int]:
    """The source line an instruction belongs to.

    3.11+ give every instruction a `positions.lineno`; 3.10 only marks the
    first instruction of each line (`starts_line`), so the line carries over.
    """
    positions = getattr(ins, "positions", None)
    if positions is not None and positions.lineno is not None:
        return positions.lineno
    if isinstance(ins.starts_line, int) and not isinstance(ins.starts_line, bool):
        return ins.starts_line
    return previous
