"""jitcore.explain(f, *args): every stage of compiling f for the types of args.

    from jitcore import explain, jit

    @jit
    def f(a, b):
        return a * a - b * b

    e = explain(f, 3, 4)     # the signature (int, int); the values are not used
    print(e)                 # bytecode, IR, each pass, registers, machine code, timings
    e.code == f.compile(int, int).code   # True: what explain shows is what runs

The function is compiled through the compiler's own path
(compiler.compile_function, with keep_stages), so the machine code shown is
byte for byte the code jit runs for that signature; for a @jit function
`Explanation.same_as_running` says whether that was checked. A function
jitcore cannot compile is not an error here: the Explanation then says which
construct, file and line made it run in CPython (`failure`).
"""

from __future__ import annotations

import dis
import linecache
import types
from dataclasses import dataclass, field
from typing import Any

from .asm import BYTES_WIDTH, format_bytes, format_offset
from .errors import CompileError
from .regalloc import Allocation

__all__ = ["Explanation", "Instruction", "PassRun", "explain"]


class PassRun:
    """One run of one IR pass: round, name ("fold", "cleanup", ...), changes it made, IR text after it.

    (A plain class rather than a dataclass: `import jitcore` imports this module,
    and each dataclass costs import time.)
    """

    __slots__ = ("round", "name", "changes", "ir")

    def __init__(self, round: int, name: str, changes: int, ir: str) -> None:
        self.round = round
        self.name = name
        self.changes = changes
        self.ir = ir

    def __repr__(self) -> str:
        return f"PassRun(round={self.round}, name={self.name!r}, changes={self.changes})"


class Instruction:
    """One line of the machine-code listing: an instruction, or a label (no bytes, text "name:").

    `ir` is the IR instruction it was generated for and `line` that
    instruction's source line (both None for the prologue, exits, labels).
    """

    __slots__ = ("offset", "code", "text", "ir", "line")

    def __init__(self, offset: int, code: bytes, text: str, ir: str | None = None,
                 line: int | None = None) -> None:
        self.offset = offset
        self.code = code
        self.text = text  # Intel syntax, as the Assembler wrote it
        self.ir = ir
        self.line = line

    @property
    def is_label(self) -> bool:
        return not self.code

    def __repr__(self) -> str:
        return f"Instruction({self.offset:#x}, {self.code.hex(' ')!r}, {self.text!r}, ir={self.ir!r})"


@dataclass(eq=False, repr=False)  # a short repr below; str() renders everything
class Explanation:
    """How jitcore compiles a function for one signature, stage by stage.

    `str(explanation)` renders every stage. When the function cannot be
    compiled for these types, `failure` is the CompileError (with
    `construct`, `filename`, `lineno`) and the stages after the bytecode are
    empty.
    """

    function: str  # qualified name
    filename: str
    firstlineno: int
    argtypes: tuple[Any, ...]  # types; a buffer: dispatcher.BufferKind
    bytecode: str  # dis output
    failure: CompileError | None = None
    ir_before: str = ""  # the IR the front end built
    passes: list[PassRun] = field(default_factory=list)
    ir: str = ""  # the IR after all passes
    allocation: str = ""  # value -> register or stack slot, one a line
    listing: list[Instruction] = field(default_factory=list)
    code: bytes = b""  # the machine code
    timings_ns: dict[str, int] = field(default_factory=dict)  # per stage, without render_ns
    render_ns: int = 0  # time spent rendering the stages as text (explain only)
    # For a @jit function: whether its own code for this signature has the
    # same bytes (it always should); None when not checked.
    same_as_running: bool | None = None

    @property
    def compiled(self) -> bool:
        return self.failure is None

    def __repr__(self) -> str:
        what = f"{len(self.code)} bytes" if self.failure is None else f"runs in CPython: {self.failure}"
        return f"<Explanation {self.function}{self.signature}: {what}>"

    @property
    def signature(self) -> str:
        return "(" + ", ".join(t.__name__ for t in self.argtypes) + ")"

    def machine_code(self) -> str:
        """The listing (offset, bytes, instruction) under the IR instruction and source line of each."""
        out: list[str] = []
        started = False
        last_ir: str | None = None
        last_line: int | None = None
        for ins in self.listing:
            if ins.is_label:
                out.append(ins.text)
                continue
            if ins.ir is None:
                if not started and not out:
                    out.append("  ; prologue")
                last_ir = None
            elif ins.ir != last_ir:
                started = True
                if ins.line is not None and ins.line != last_line:
                    source = linecache.getline(self.filename, ins.line).strip()
                    out.append(f"  ; line {ins.line}: {source}" if source else f"  ; line {ins.line}")
                    last_line = ins.line
                out.append(f"  ;   {ins.ir}")
                last_ir = ins.ir
            out.append(f"  {format_offset(ins.offset)}  {format_bytes(ins.code):<{BYTES_WIDTH}} {ins.text}")
        return "\n".join(out)

    def header(self) -> str:
        """One line: which function, for which argument types, defined where."""
        return f"{self.function}{self.signature}, defined at {self.filename}:{self.firstlineno}"

    def failure_text(self) -> str:
        """Why it runs in CPython (construct, file, line and that line), or "" if it compiles."""
        exc = self.failure
        if exc is None:
            return ""
        at = f"{exc.filename}:{exc.lineno}" if exc.lineno is not None else exc.filename
        text = f"runs in CPython: jitcore cannot compile {exc.construct}\n  at {at}"
        if exc.lineno is not None:
            source = linecache.getline(exc.filename, exc.lineno).strip()
            if source:
                text += f": {source}"
        return text

    def __str__(self) -> str:
        parts = [f"jitcore.explain: {self.header()}"]
        if self.failure is not None:
            parts.append(self.failure_text())
        elif self.same_as_running:
            name = self.function.rsplit(".", 1)[-1]
            parts.append(f"(the machine code below is the code that runs: {name}.compile"
                         f"{self.signature}.code has the same bytes)")
        parts.append(_section("bytecode (dis)", self.bytecode.rstrip()))
        if self.failure is not None:
            return "\n\n".join(parts)
        parts.append(_section("IR from the front end", self.ir_before))
        previous = self.ir_before
        for run in self.passes:
            title = f"round {run.round}, {run.name}: {run.changes} change{'' if run.changes == 1 else 's'}"
            if run.ir == previous:
                parts.append(f"== {title} (IR unchanged) ==")
            else:
                parts.append(_section(title, run.ir))
            previous = run.ir
        parts.append(_section("register assignment (value -> register or stack slot)",
                              self.allocation or "  (no values)"))
        parts.append(_section(f"machine code: {len(self.code)} bytes", self.machine_code()))
        parts.append(_section("compile time", self.timing_text()))
        return "\n\n".join(parts)

    def timing_text(self) -> str:
        stages = ", ".join(f"{name} {ns / 1e6:.2f} ms" for name, ns in self.timings_ns.items())
        total = sum(self.timings_ns.values()) / 1e6
        text = f"  {stages}: total {total:.2f} ms"
        if self.render_ns:
            text += (f"\n  (rendering the stages as text for explain took {self.render_ns / 1e6:.2f} ms "
                     f"more, not counted above)")
        return text


def _section(title: str, body: str) -> str:
    return f"== {title} ==\n{body}"


def _types(args: tuple[Any, ...], key_of: Any) -> tuple[Any, ...]:
    # A type stands for itself (explain(f, int, float)): native code never takes a type as a value.
    # An argument stands for what it selects (a buffer: its type and its elements').
    return tuple(a if isinstance(a, type) else key_of((a,))[0] for a in args)


def explain(func: Any, *args: Any) -> Explanation:
    """Compile `func` for the types of `args` and return every stage (see Explanation).

    func: a @jit function or a plain Python function. args: example
    arguments (only their types matter: int, bool, float, and buffers such
    as array.array('d')), or the types themselves, e.g. explain(f, int,
    float). Nothing is run. A function that cannot be compiled for these
    types gives an Explanation whose `failure` says why; it does not raise.
    """
    from .calls import _COMPILE_LOCK, argument_key, ir_type, why_no_native_code
    from .compiler import compile_function
    from .dispatcher import Dispatcher
    from .frontend import check_code_shape
    from .runtime import ExecMemError

    py_func = func.py_func if isinstance(func, Dispatcher) else func
    if not isinstance(py_func, types.FunctionType):
        raise TypeError(f"explain() takes a Python function or a @jit function, not {func!r}")
    code = py_func.__code__
    key = _types(args, argument_key)
    result = Explanation(py_func.__qualname__, code.co_filename, code.co_firstlineno, key,
                         dis.Bytecode(py_func).dis())

    def fail(construct: str) -> Explanation:
        result.failure = CompileError(construct, code.co_filename, code.co_firstlineno,
                                      py_func.__qualname__)
        return result

    problem = check_code_shape(py_func)
    if problem is not None:
        result.failure = problem
        return result
    signature = [ir_type(t) for t in key]
    if len(key) != code.co_argcount:
        return fail(f"a call with {len(key)} argument{'' if len(key) == 1 else 's'} (it takes "
                    f"{code.co_argcount}): such calls run in CPython")
    unsupported = [t.__name__ for t, s in zip(key, signature, strict=True) if s is None]
    if unsupported:
        return fail(f"arguments of type {', '.join(unsupported)} (native code takes int, bool, "
                    f"float and 1-D buffers of numbers): such calls run in CPython")
    unavailable = why_no_native_code()
    if unavailable is not None:
        return fail(f"anything here: {unavailable}")
    try:
        # under the dispatcher's lock, as every compile: compiling f may compile
        # the @jit functions it calls, and must not meet a half-done compile of f
        with _COMPILE_LOCK:
            compiled = compile_function(py_func, [s for s in signature if s is not None],
                                        keep_stages=True)
    except CompileError as exc:
        result.failure = exc
        return result
    except ExecMemError as exc:
        return fail(f"anything without executable memory: {exc}")
    compiled.block.free()  # only its bytes are shown; they never run from this block
    stages = compiled.stages
    assert stages is not None
    result.ir_before = compiled.ir_before
    result.passes = [PassRun(r, name, changes, text)
                     for (r, name, changes), text in zip(compiled.passes, stages.pass_ir, strict=True)]
    result.ir = compiled.ir
    assert compiled.allocation is not None  # keep_stages keeps it
    result.allocation = _allocation_text(compiled.allocation)
    result.code = compiled.code
    result.listing = [
        Instruction(offset, compiled.code[offset:offset + length], text,
                    *(origin if origin is not None else (None, None)))
        for (offset, length, text), origin in zip(stages.listing, stages.origins, strict=True)]
    result.timings_ns = dict(compiled.timings_ns)
    result.render_ns = stages.render_ns
    if isinstance(func, Dispatcher):
        try:
            result.same_as_running = func.compile(*key).code == compiled.code
        except CompileError:
            result.same_as_running = False
    return result


def _allocation_text(allocation: Allocation) -> str:
    lines = [allocation.dump()] if allocation.locations else []
    saved = ", ".join(r.name for r in allocation.callee_saved)
    lines.append(f"  stack slots: {allocation.slots}; callee-saved registers used: {saved or 'none'}")
    return "\n".join(lines)
