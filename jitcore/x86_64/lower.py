"""IR + register allocation -> x86-64 instructions (through the Assembler).

Frame layout after the prologue (higher addresses first):

    return address
    saved callee-saved registers (the ones the allocation uses)
    [padding to keep rsp 16-byte aligned at calls]
    stack slots: slot i at [rsp + 8*i]          <- rsp
      (functions that call C helpers have two more: the saved result
       pointer and the helper's result)

x86 arithmetic is two-address (`add dst, src` overwrites dst), IR arithmetic
is three-address (`d = add a, b`); the code below computes into d when it can
and into a scratch register when d is in memory or holds an operand it still
needs. Scratch registers (never allocated): rax, rdx, r11, xmm14, xmm15.

Everything that may deopt jumps to one exit that returns STATUS_DEOPT: the
dispatcher then runs the call in CPython, which raises or computes a result
the native types cannot hold.

Polls: every loop header, and the entry of a function that calls other
native code (recursion needs no loop), reads the word the caller passed in
rcx (abi.py). When it is set (SIGINT, or once per switch interval) the code
calls jc_poll_slow (csrc/poll.c: the GIL and signal handlers, as CPython's
eval loop does at the same places) through one stub per function that
saves the caller-saved registers the code uses, and returns
STATUS_INTERRUPT if it says so. Native calls pass the word on, and pass
STATUS_INTERRUPT up.
"""

from __future__ import annotations

import struct
import sys

from .. import abi
from ..ir import (
    Block,
    Const,
    Function,
    Inst,
    Operand,
    Value,
    WarnSite,
    shape_leaves,
    use_counts,
)
from ..regalloc import ALLOCATABLE, CALL_OPS, Allocation, Location, Slot, fused_compares
from ..runtime import helper_address, poll_slow_address, warn_in_place_address
from .encoder import Assembler, Label, Mem, Symbol
from .registers import (
    CALLEE_SAVED,
    XMMS,
    Reg,
    r8,
    r9,
    r10,
    r11,
    rax,
    rcx,
    rdi,
    rdx,
    rsi,
    rsp,
    xmm14,
    xmm15,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # (collections.abc is a slow import, and a first call pays for it)
    from collections.abc import Callable

# The entry ABI's registers (jitcore/abi.py).
ARGS_PTR, OUT_PTR, DEPTH, INTERRUPT_PTR, WARN_ALLOWED = rdi, rsi, rdx, rcx, r8

Arg = Reg | Mem | int

ALU = {"add": "add", "sub": "sub", "and": "and_", "or": "or_", "xor": "xor"}
SSE = {"fadd": "addsd", "fsub": "subsd", "fmul": "mulsd", "fdiv": "divsd"}
# Signed int conditions, and the one that holds with the operands swapped.
INT_CC = {"lt": "l", "le": "le", "eq": "e", "ne": "ne", "gt": "g", "ge": "ge"}
SWAPPED = {"lt": "gt", "le": "ge", "eq": "eq", "ne": "ne", "gt": "lt", "ge": "le"}
# The x86 condition that holds exactly when another does not. For floats
# "not above" (be) and "not above or equal" (b) include unordered, as
# Python's `not (a > b)` does for nan.
NEGATED = {"l": "ge", "ge": "l", "le": "g", "g": "le", "e": "ne", "ne": "e",
           "a": "be", "ae": "b"}
SIGN_BIT = -(2**63)

HELPER_INT_ARGS = (rdi, rsi, rdx, rcx)  # (the last one given takes the result pointer)
HELPER_FLOAT_ARGS = tuple(XMMS[:4])
# MXCSR's sticky exception flags (Intel SDM vol. 1, 10.2.3): invalid,
# denormal, divide-by-zero, overflow, underflow, precision. NumPy may warn (or
# raise, as np.errstate says) for invalid, divide-by-zero, overflow and
# underflow (ignored by default, but `np.errstate(under="raise")` exists): a
# call that set one re-runs in CPython, whose NumPy then does what it says.
MXCSR_FLAGS = 0x3F
MXCSR_WARNS = 0x01 | 0x04 | 0x08 | 0x10
# What the poll stub saves around jc_poll_slow: the caller-saved general
# registers that may hold values or the entry arguments (the allocatable ones
# and rdi, rsi), besides the SSE registers the allocation uses.
POLL_SAVED = (rcx, rsi, rdi, r8, r9, r10)


def fits_imm32(value: int) -> bool:
    return -(2**31) <= value < 2**31


def float_bits(value: float) -> int:
    bits: int = struct.unpack("<q", struct.pack("<d", value))[0]
    return bits


class Lowering:
    def __init__(self, func: Function, alloc: Allocation,
                 trace: list[tuple[int, Inst, Inst | None]] | None = None) -> None:
        # With a trace list, run() notes where each IR instruction's code starts:
        # (assembler position, the instruction, the branch fused with it).
        self.trace = trace
        self.func = func
        self.alloc = alloc
        self.asm = Assembler()
        self.exit = self.asm.label("exit")
        self.deopt: Label | None = None
        self.interrupted: Label | None = None
        self.slow_polls: list[tuple[Label, Label]] = []  # (where a poll calls the stub, back)
        self.undo_begins: list[tuple[Label, Label]] = []  # (where undo_begin calls jc_undo_begin, back)
        # Code kept after the function's: (its label, where it goes back to, what emits it)
        self.out_of_line: list[tuple[Label, Label, Callable[[], None]]] = []
        # (where an overflow warns in place, back, the site, the result's home and where it is)
        self.warns: list[tuple[Label, Label, WarnSite, Reg | Mem | None, Reg | None]] = []
        self.depth_exhausted: Label | None = None
        self.call_failed: Label | None = None
        self.labels: dict[Block, Label] = {b: self.asm.label(b.name) for b in func.blocks}
        self.saved = alloc.callee_saved
        insts = list(func.insts())  # (walked several times below)
        self.makes_calls = any(inst.op in CALL_OPS for inst in insts)
        # (a raise writes its operands to the result slots as a tuple return does)
        self.returns_tuple = any((inst.op == "ret" and inst.kind == "tuple") or inst.op == "raise"
                                 for inst in insts)
        self.raise_sites = func.raise_sites()
        native_calls = [inst for inst in insts if inst.op == "call"]
        slots = alloc.slots
        if self.makes_calls:
            self.out_ptr_slot, self.helper_out_slot = slots, slots + 1
            slots += 2
        self.calls_native = bool(native_calls)
        if native_calls:
            # the depth budget, then the callee's argument and result slots
            self.depth_slot = slots
            self.call_args_base = slots + 1
            nargs = max(len(inst.args) for inst in native_calls)
            self.call_out_base = self.call_args_base + nargs
            # (at least 4: a callee that raises in place writes its site and
            # operands there, abi.STATUS_RAISE, whatever it returns)
            slots = self.call_out_base + max(max([len(shape_leaves(inst.data.results)), 4]
                                                 + [len(shape_leaves(t.results))
                                                    for t in inst.data.alternatives])
                                             for inst in native_calls)
            # the status of a call of a callee that returns several kinds (callstatus)
            self.call_status_slot = slots
            slots += 1
        # Blocks a later (or the same) block jumps back to: the loop headers.
        position = {block: i for i, block in enumerate(func.blocks)}
        self.loop_heads = {succ for block in func.blocks for succ in block.successors
                           if position[succ] <= position[block]}
        self.polls = bool(self.loop_heads) or self.calls_native
        self.poll_reg: Reg | None = None
        if self.polls:
            self.interrupt_slot = slots  # the interrupt word's address
            slots += 1
            # ...also kept in a callee-saved register the allocation left
            # free, if there is one: a loop's poll is then one compare.
            used = {loc for loc in alloc.locations.values() if isinstance(loc, Reg)}
            spare = [r for r in ALLOCATABLE if r in CALLEE_SAVED and r not in used]
            if spare:
                self.poll_reg = spare[0]
                self.saved = [r for r in CALLEE_SAVED if r in self.saved or r is spare[0]]
        # NumPy float operations are checked as NumPy checks them: the sticky
        # exception flags of MXCSR, cleared in the prologue and tested at each
        # return (then the caller's restored); see do_fcheck.
        self.fp_flags = any(inst.op == "fcheck" and inst.data != "always" for inst in insts)
        if self.fp_flags:
            self.mxcsr_saved_slot, self.mxcsr_slot = slots, slots + 1
            slots += 2
        # NumPy's overflow warnings in place (ir.WarnSite): allowed only in a
        # call from Python (abi.py: the entry's fifth argument, kept here).
        self.warns_in_place = any(isinstance(inst.data, WarnSite) for inst in insts)
        if self.warns_in_place:
            self.warn_allowed_slot = slots
            slots += 1
        # Float constants other than 0.0 live in frame slots, stored once by the
        # prologue: SSE instructions take them as memory operands, where a
        # constant would otherwise cost a movabs and a movq at every use.
        self.float_consts: dict[int, int] = {}
        for inst in insts:
            for a in inst.args:
                if isinstance(a, Const) and a.type.is_float:
                    bits = float_bits(float(a.value))
                    if bits and bits not in self.float_consts:
                        self.float_consts[bits] = slots
                        slots += 1
        frame = 8 * slots
        # At a call rsp must be 16-byte aligned; leaf functions need not bother.
        if self.makes_calls and (8 + 8 * len(self.saved) + frame) % 16:  # 8: the return address
            frame += 8
        self.frame = frame
        self.uses = use_counts(func)
        self.fused = fused_compares(func, self.uses)
        self.tuple_shapes: list[tuple[str, ...]] = []

    @property
    def activation_bytes(self) -> int:
        """Stack one activation takes below the caller's aligned rsp: the
        return address, the saved registers and the frame."""
        return 8 + 8 * len(self.saved) + self.frame

    # -- locations -------------------------------------------------------
    def loc(self, value: Value) -> Reg | Mem:
        where: Location = self.alloc.locations[value]
        if isinstance(where, Slot):
            return Mem(rsp, disp=8 * where.index)
        return where

    def slot(self, index: int) -> Mem:
        return Mem(rsp, disp=8 * index)

    def arg(self, operand: Operand) -> Arg:
        """A general-register operand: register, memory or immediate."""
        if isinstance(operand, Const):
            return int(operand.value)
        return self.loc(operand)

    def xarg(self, operand: Operand, scratch: Reg = xmm14) -> Reg | Mem:
        """A float operand as an SSE register or memory; constants go through `scratch`."""
        if isinstance(operand, Const):
            bits = float_bits(float(operand.value))
            if bits == 0:
                self.asm.xorpd(scratch, scratch)
                return scratch
            return self.slot(self.float_consts[bits])
        return self.loc(operand)

    def xreg(self, operand: Operand, scratch: Reg) -> Reg:
        """A float operand in an SSE register (loaded into `scratch` if need be)."""
        x = self.xarg(operand, scratch)
        if isinstance(x, Mem):
            self.asm.movsd(scratch, x)
            return scratch
        return x

    def deopt_label(self) -> Label:
        if self.deopt is None:
            self.deopt = self.asm.label("deopt")
        return self.deopt

    def interrupted_label(self) -> Label:
        if self.interrupted is None:
            self.interrupted = self.asm.label("interrupted")
        return self.interrupted

    def depth_exhausted_label(self) -> Label:
        if self.depth_exhausted is None:
            self.depth_exhausted = self.asm.label("depth_exhausted")
        return self.depth_exhausted

    def call_failed_label(self) -> Label:
        if self.call_failed is None:
            self.call_failed = self.asm.label("call_failed")
        return self.call_failed

    def poll(self) -> None:
        """Call jc_poll_slow (out of line, after the function's code) if the
        poll word is set: two loads and a compare when it is not."""
        if self.poll_reg is not None:
            self.asm.cmp(Mem(self.poll_reg), 0)
        else:
            self.asm.mov(r11, self.slot(self.interrupt_slot))
            self.asm.cmp(Mem(r11), 0)
        slow, back = self.asm.label("poll_slow"), self.asm.label("polled")
        self.asm.jne(slow)
        self.asm.bind(back)
        self.slow_polls.append((slow, back))

    def emit_slow_polls(self) -> None:
        """Each poll's call of the stub, then the stub (saving_stub):
        jc_poll_slow(the word, in r11), its answer in eax."""
        stub = self.asm.label("poll_stub")
        for slow, back in self.slow_polls:
            self.asm.bind(slow)
            if self.poll_reg is not None:
                self.asm.mov(r11, self.poll_reg)
            self.asm.call(stub)
            self.asm.shl(rax, 32)  # the status is a C int: only eax is defined
            self.asm.jnz(self.interrupted_label())
            self.asm.jmp(back)
        self.saving_stub(stub, r11, poll_slow_address(), ("poll_slow",))

    def saving_stub(self, stub: Label, argument: Reg, function: int, symbol: Symbol) -> None:
        """A stub that calls C `function(argument)` (which `symbol` names) from anywhere in this code:
        it saves the registers the call may clobber and this code uses, aligns
        the stack, and returns the function's answer in eax. (r11, rax and rdx
        are scratch: the code around a stub call reloads what they held.)"""
        self.asm.bind(stub)
        xmms = sorted({loc for loc in self.alloc.locations.values()
                       if isinstance(loc, Reg) and loc.kind == "xmm"}, key=lambda r: r.code)
        for reg in POLL_SAVED:
            self.asm.push(reg)
        # rsp was 16-byte aligned at the function's call, 8 below it at entry:
        # below that come the saved registers, the frame, the stub's return
        # address and its pushes. Round the XMM save area to realign.
        # (and MXCSR, whose exception flags Python code, say NumPy in a
        # signal handler, may clear)
        saved = len(xmms) + int(self.fp_flags)
        below = self.activation_bytes + 8 + 8 * len(POLL_SAVED) + 8 * saved
        area = 8 * saved + (-below) % 16
        if area:
            self.asm.sub(rsp, area)
        for i, reg in enumerate(xmms):
            self.asm.movsd(Mem(rsp, disp=8 * i), reg)
        if self.fp_flags:
            self.asm.stmxcsr(Mem(rsp, disp=8 * len(xmms)))
        self.asm.mov(rdi, argument)
        self.asm.mov_address(rax, function, symbol)
        self.asm.call(rax)
        if self.fp_flags:
            self.asm.ldmxcsr(Mem(rsp, disp=8 * len(xmms)))
        for i, reg in enumerate(xmms):
            self.asm.movsd(reg, Mem(rsp, disp=8 * i))
        if area:
            self.asm.add(rsp, area)
        for reg in reversed(POLL_SAVED):
            self.asm.pop(reg)
        self.asm.ret()

    # -- the function ----------------------------------------------------
    def run(self) -> Assembler:
        self.prologue()
        blocks = self.func.blocks
        for n, block in enumerate(blocks):
            self.asm.bind(self.labels[block])
            if block in self.loop_heads:
                self.poll()
            self.next_block = blocks[n + 1] if n + 1 < len(blocks) else None
            insts = block.insts
            i = 0
            while i < len(insts):
                inst = insts[i]
                following = insts[i + 1] if i + 1 < len(insts) else None
                third = insts[i + 2] if i + 2 < len(insts) else None
                mask = self.low_bits_test(inst, following)
                if mask is not None and self.fusable(following, third):  # type: ignore[arg-type]
                    if self.trace is not None:
                        self.trace.append((self.asm.position, inst, following))
                    self.test_and_branch(inst, mask, following, third)  # type: ignore[arg-type]
                    i += 3
                    continue
                fused = self.fusable(inst, following)
                if self.trace is not None:
                    self.trace.append((self.asm.position, inst, following if fused else None))
                if fused:
                    self.compare_and_branch(inst, following)  # type: ignore[arg-type]
                    i += 2
                    continue
                getattr(self, sys.intern("do_" + inst.op))(inst)  # interned: see translate_block
                i += 1
        self.asm.bind(self.exit)
        self.epilogue()
        if self.slow_polls:
            self.emit_slow_polls()  # first: it may ask for the interrupted label
        if self.undo_begins:
            from .memory import emit_undo_begins

            emit_undo_begins(self)  # it may ask for the deopt label
        if self.warns:
            self.emit_warns()  # it may ask for the deopt and interrupted labels
        for label, back, emit in self.out_of_line:
            self.asm.bind(label)
            emit()
            self.asm.jmp(back)
        if self.call_failed is not None:
            # A native callee did not return what this call site expects:
            # pass an interrupt or an exhausted depth budget up, deopt for
            # anything else.
            self.asm.bind(self.call_failed)
            self.asm.cmp(rax, abi.STATUS_INTERRUPT)
            self.asm.je(self.exit)
            self.asm.cmp(rax, abi.STATUS_DEPTH)
            self.asm.je(self.exit)
            self.asm.jmp(self.deopt_label())
        if self.depth_exhausted is not None:
            self.asm.bind(self.depth_exhausted)
            self.asm.mov(rax, abi.STATUS_DEPTH)
            self.asm.jmp(self.exit)
        if self.interrupted is not None:
            self.asm.bind(self.interrupted)
            self.asm.mov(rax, abi.STATUS_INTERRUPT)
            self.asm.jmp(self.exit)
        if self.deopt is not None:
            self.asm.bind(self.deopt)
            self.asm.mov(rax, abi.STATUS_DEOPT)
            self.asm.jmp(self.exit)
        return self.asm

    def prologue(self) -> None:
        for reg in self.saved:
            self.asm.push(reg)
        if self.frame:
            self.asm.sub(rsp, self.frame)
        if self.calls_native:
            # Within the margin of the native stack's bottom (csrc/stack.c: it
            # is aligned to its size, so the offset is rsp's low bits): out of
            # stack, so CPython runs the call. First, before the frame is written.
            self.asm.test(rsp, abi.NATIVE_STACK_CHECK_MASK)
            self.asm.jz(self.depth_exhausted_label())
        if self.fp_flags:  # the caller's MXCSR kept, and its exception flags cleared
            self.asm.stmxcsr(self.slot(self.mxcsr_saved_slot))
            self.asm.mov(rax, self.slot(self.mxcsr_saved_slot))
            self.asm.and_(rax, ~MXCSR_FLAGS)
            self.asm.mov(self.slot(self.mxcsr_slot), rax)
            self.asm.ldmxcsr(self.slot(self.mxcsr_slot))
        if self.makes_calls and self.returns_tuple:
            self.asm.mov(self.slot(self.out_ptr_slot), OUT_PTR)
        for bits, index in self.float_consts.items():
            self.asm.mov(r11, bits)
            self.asm.mov(self.slot(index), r11)
        if self.calls_native:
            # Out of native call depth: let CPython run it (and raise RecursionError).
            self.asm.mov(self.slot(self.depth_slot), DEPTH)
            self.asm.test(DEPTH, DEPTH)
            self.asm.jle(self.depth_exhausted_label())
        if self.warns_in_place:  # (before the parameters are loaded: one may live in r8)
            self.asm.mov(self.slot(self.warn_allowed_slot), WARN_ALLOWED)
        if self.polls:
            # Saved before the parameters are loaded: one may live in rcx.
            self.asm.mov(self.slot(self.interrupt_slot), INTERRUPT_PTR)
            if self.poll_reg is not None:
                self.asm.mov(self.poll_reg, INTERRUPT_PTR)
        for i, param in enumerate(self.func.params):
            if param in self.alloc.locations:
                src = Mem(ARGS_PTR, disp=8 * i)
                if param.type.is_float:
                    self.fmove(self.loc(param), src)
                else:
                    self.move(self.loc(param), src)
        if self.calls_native:
            self.poll()

    def epilogue(self) -> None:
        if self.frame:
            self.asm.add(rsp, self.frame)
        for reg in reversed(self.saved):
            self.asm.pop(reg)
        self.asm.ret()

    # -- moves -----------------------------------------------------------
    def move(self, dst: Reg | Mem, src: Arg) -> None:
        if dst == src:
            return
        if isinstance(dst, Mem) and (isinstance(src, Mem) or (isinstance(src, int) and not fits_imm32(src))):
            self.asm.mov(r11, src)
            src = r11
        self.asm.mov(dst, src)

    def fmove(self, dst: Reg | Mem, src: Reg | Mem) -> None:
        if dst == src:
            return
        if isinstance(dst, Mem) and isinstance(src, Mem):
            self.asm.movsd(xmm15, src)
            src = xmm15
        if isinstance(dst, Reg) and isinstance(src, Reg):
            self.asm.movapd(dst, src)  # no false dependency on dst's old value, as movsd has
            return
        self.asm.movsd(dst, src)

    def small(self, value: Arg, scratch: Reg = r11) -> Arg:
        """An operand an ALU instruction can take: 64-bit immediates go to a register first."""
        if isinstance(value, int) and not fits_imm32(value):
            self.asm.mov(scratch, value)
            return scratch
        return value

    def in_reg(self, value: Arg, scratch: Reg) -> Reg | Mem:
        """A register-or-memory operand: immediates go to `scratch`."""
        if isinstance(value, int):
            self.asm.mov(scratch, value)
            return scratch
        return value

    def store(self, inst: Inst, work: Reg) -> None:
        assert inst.dst is not None
        if inst.dst.type.is_float:
            self.fmove(self.loc(inst.dst), work)
        else:
            self.move(self.loc(inst.dst), work)

    # -- integer instructions ---------------------------------------------
    def do_mov(self, inst: Inst) -> None:
        assert inst.dst is not None
        src = inst.args[0]
        if inst.dst.type.is_float:
            self.fmove(self.loc(inst.dst), self.xarg(src))
        else:
            self.move(self.loc(inst.dst), self.arg(src))

    def _binary(self, inst: Inst) -> None:
        assert inst.dst is not None
        dst = self.loc(inst.dst)
        a, b = self.arg(inst.args[0]), self.arg(inst.args[1])
        commutative = inst.op in ("add", "mul", "and", "or", "xor")
        if commutative and (b == dst or isinstance(a, int)) and a != dst:
            a, b = b, a  # compute in place into dst, or keep the constant second
        # Compute into dst itself unless dst is memory or b lives there
        # (writing a into dst first would destroy b, unless a is there too).
        work = dst if isinstance(dst, Reg) and (b != dst or a == dst) else rax
        if inst.op == "mul" and isinstance(b, int) and fits_imm32(b):
            if isinstance(a, int):  # both constant: only when it overflows (see fold.py)
                self.move(work, a)
                a = work
            self.asm.imul(work, a, b)  # three-operand form: no move needed
        else:
            self.move(work, a)
            b = self.small(b)
            if inst.op == "mul":
                self.asm.imul(work, b)  # type: ignore[arg-type]  # small() made it a register
            else:
                getattr(self.asm, ALU[inst.op])(work, b)
        if inst.checked and isinstance(inst.data, WarnSite):  # NumPy wraps and warns
            over, back = self.asm.label("overflow"), self.asm.label("warned")
            self.asm.jo(over)
            self.move(dst, work)
            self.asm.bind(back)
            self.warns.append((over, back, inst.data, dst, work))
            return
        if inst.checked:
            self.asm.jo(self.deopt_label())
        self.move(dst, work)

    do_add = do_sub = do_mul = do_and = do_or = do_xor = _binary

    def do_warn(self, inst: Inst) -> None:
        """If the condition holds, NumPy's overflow warning in place (or a
        deopt where passes/records.py said so: no WarnSite)."""
        c = self.arg(inst.args[0])
        if isinstance(c, int):
            self.asm.mov(rax, c)
            c = rax
        if isinstance(c, Reg):
            self.asm.test(c, c)
        else:
            self.asm.cmp(c, 0)
        if not isinstance(inst.data, WarnSite):
            self.asm.jnz(self.deopt_label())
            return
        over, back = self.asm.label("overflow"), self.asm.label("warned")
        self.asm.jnz(over)
        self.asm.bind(back)
        self.warns.append((over, back, inst.data, None, None))

    def emit_warns(self) -> None:
        """Each in-place warning: the wrapped result to its home, then, in a
        call from Python, jc_warn_in_place(site) through a stub that saves
        registers (a native callee deopts instead: its caller might re-run
        and warn again); an exception it raised ends the call."""
        stub = self.asm.label("warn_stub")
        for over, back, site, dst, work in self.warns:
            self.asm.bind(over)
            if dst is not None and work is not None:
                self.move(dst, work)
            self.asm.cmp(self.slot(self.warn_allowed_slot), 0)
            self.asm.je(self.deopt_label())
            self.asm.mov(r11, site.id)  # (code with warn sites is never cached: see cache.py)
            self.asm.call(stub)
            self.asm.shl(rax, 32)  # a C int: only eax is defined
            self.asm.jnz(self.interrupted_label())
            self.asm.jmp(back)
        self.saving_stub(stub, r11, warn_in_place_address(), ("warn_in_place",))

    def _unary(self, inst: Inst) -> None:
        assert inst.dst is not None
        dst = self.loc(inst.dst)
        work = dst if isinstance(dst, Reg) else rax
        self.move(work, self.arg(inst.args[0]))
        if inst.op == "neg":
            self.asm.neg(work)
        else:
            self.asm.not_(work)
        if inst.checked:
            self.asm.jo(self.deopt_label())
        self.move(dst, work)

    do_neg = do_not = _unary

    def do_abs(self, inst: Inst) -> None:
        a = self.in_reg(self.arg(inst.args[0]), r11)
        self.asm.mov(rax, a)
        self.asm.neg(rax)
        self.asm.jo(self.deopt_label())  # abs(-2**63) does not fit
        self.asm.cmovcc("s", rax, a)  # -a < 0: a was the positive one
        self.store(inst, rax)

    def _min_max(self, inst: Inst) -> None:
        # Python's min(a, b) is b only if b < a, max(a, b) is b only if b > a.
        self.asm.mov(rax, self.arg(inst.args[0]))
        b = self.in_reg(self.arg(inst.args[1]), r11)
        self.asm.cmp(rax, b)
        self.asm.cmovcc("g" if inst.op == "min" else "l", rax, b)
        self.store(inst, rax)

    do_min = do_max = _min_max

    def do_select(self, inst: Inst) -> None:
        """dst = a if c else b, without a branch: cmov on the bits (floats too)."""
        assert inst.dst is not None
        c, a, b = inst.args
        self.load_bits(rax, b)
        self.load_bits(r11, a)
        cond = self.arg(c)
        if isinstance(cond, int):
            if cond:
                self.asm.mov(rax, r11)
        else:
            self.asm.cmp(cond, 0)
            self.asm.cmovcc("ne", rax, r11)
        if inst.dst.type.is_float:
            self.asm.movq(xmm15, rax)
            self.store(inst, xmm15)
        else:
            self.store(inst, rax)

    def load_bits(self, reg: Reg, x: Operand) -> None:
        """The 64 bits of an int, bool or float operand into a general register."""
        if isinstance(x, Const):
            bits = float_bits(float(x.value)) if x.type.is_float else int(x.value)
            self.asm.mov(reg, bits)
        elif x.type.is_float and isinstance(where := self.loc(x), Reg):
            self.asm.movq(reg, where)
        else:
            self.asm.mov(reg, self.loc(x))

    def _divide(self, inst: Inst) -> None:
        """Python's // and %: floor division (rounds toward -inf), remainder with b's sign."""
        b = inst.args[1]
        if isinstance(b, Const) and 0 < b.value < 2**31:
            self.divide_by_constant(inst, int(b.value))
            return
        self.divide_by_register(inst)

    def divide_by_constant(self, inst: Inst, d: int) -> None:
        """x // d and x % d for a constant d > 0, without idiv.

        Powers of two are a shift and a mask (two's complement makes both
        round toward -inf, as Python does). Otherwise, with s the sign mask
        of x (0 or -1), floor(x / d) = s ^ floor((x ^ s) / d): for x < 0,
        x ^ s = -x - 1 >= 0. The unsigned quotient of t = x ^ s < 2**63 is
        the high half of t * m shifted right by l - 1, for l = ceil(log2 d)
        and m = ceil(2**(63 + l) / d) < 2**64 (Granlund & Montgomery, 1994,
        theorem 4.2 with N = 63). The remainder is x - q * d, in [0, d).
        """
        floordiv = inst.op == "floordiv"
        x = self.arg(inst.args[0])
        if d & (d - 1) == 0:  # a power of two
            self.asm.mov(rax, x)
            if floordiv:
                self.asm.sar(rax, d.bit_length() - 1)
            else:
                self.asm.and_(rax, self.small(d - 1))
            self.store(inst, rax)
            return
        log2d = (d - 1).bit_length()  # Granlund-Montgomery's l: 2**(l-1) < d <= 2**l
        magic = -(-(2 ** (63 + log2d)) // d)
        self.asm.mov(rax, x)
        self.asm.mov(r11, rax)
        self.asm.sar(r11, 63)  # s
        self.asm.xor(rax, r11)  # t = x ^ s >= 0
        self.asm.mov(rdx, magic)
        self.asm.mul(rdx)  # rdx:rax = t * m (mul reads its operand before writing rdx)
        if log2d > 1:
            self.asm.shr(rdx, log2d - 1)
        self.asm.xor(rdx, r11)  # q = floor(x / d)
        if floordiv:
            self.store(inst, rdx)
            return
        self.asm.imul(rdx, rdx, d)
        self.asm.mov(rax, x)
        self.asm.sub(rax, rdx)  # x - q*d: exact mod 2**64, and the true value is small
        self.store(inst, rax)

    def divide_by_register(self, inst: Inst) -> None:
        floordiv = inst.op == "floordiv"
        done = self.asm.label()
        self.asm.mov(rax, self.arg(inst.args[0]))
        self.asm.mov(r11, self.arg(inst.args[1]))
        b = inst.args[1]
        if not (isinstance(b, Const) and b.value not in (0, -1)):
            self.asm.test(r11, r11)
            self.asm.jz(self.deopt_label())  # ZeroDivisionError
            divide = self.asm.label()
            self.asm.cmp(r11, -1)
            self.asm.jne(divide)
            # x // -1 is -x (idiv would trap on -2**63 // -1), x % -1 is 0.
            if floordiv:
                self.asm.neg(rax)
                self.asm.jo(self.deopt_label())
            else:
                self.asm.xor(rax, rax)
            self.asm.jmp(done)
            self.asm.bind(divide)
        # Both operands in [0, 2**32): floor is truncation, and a 32-bit
        # unsigned divide is several times faster than idiv.
        self.asm.mov(rdx, rax)
        self.asm.or_(rdx, r11)
        self.asm.shr(rdx, 32)
        wide = self.asm.label()
        self.asm.jnz(wide)
        self.asm.xor(rdx, rdx)
        self.asm.div32(r11)  # eax = quotient, edx = remainder
        if not floordiv:
            self.asm.mov(rax, rdx)
        self.asm.jmp(done)
        self.asm.bind(wide)
        self.asm.cqo()
        self.asm.idiv(r11)  # rax = quotient rounded toward zero, rdx = remainder
        if not floordiv:
            self.asm.mov(rax, rdx)
        # A nonzero remainder whose sign differs from b's: floor is one lower.
        self.asm.test(rdx, rdx)
        self.asm.jz(done)
        self.asm.xor(rdx, r11)
        self.asm.jns(done)
        if floordiv:
            self.asm.sub(rax, 1)
        else:
            self.asm.add(rax, r11)
        self.asm.bind(done)
        self.store(inst, rax)

    do_floordiv = do_mod = _divide

    def do_shl(self, inst: Inst) -> None:
        """a << b; deopt when b < 0 (ValueError) or bits would be lost (a bigger int)."""
        a, b = inst.args
        self.asm.mov(rdx, self.arg(a))
        if isinstance(b, Const) and b.value < 0:
            self.asm.jmp(self.deopt_label())
            return
        big, done = self.asm.label(), self.asm.label()
        self.asm.mov(r11, self.arg(b))
        self.asm.test(r11, r11)
        self.asm.js(self.deopt_label())
        self.asm.cmp(r11, 63)
        self.asm.ja(big)
        self.asm.mov(rax, rdx)
        with self.count_in_cl():
            self.asm.shl(rax, rcx)
            self.asm.mov(r11, rax)
            self.asm.sar(r11, rcx)
        self.asm.cmp(r11, rdx)
        self.asm.jne(self.deopt_label())  # shifting back does not give a: bits were lost
        self.asm.jmp(done)
        self.asm.bind(big)  # a << 64 or more fits only when a is 0
        self.asm.test(rdx, rdx)
        self.asm.jnz(self.deopt_label())
        self.asm.xor(rax, rax)
        self.asm.bind(done)
        self.store(inst, rax)

    def do_shr(self, inst: Inst) -> None:
        """a >> b, rounding toward -inf like Python; deopt when b < 0."""
        a, b = inst.args
        self.asm.mov(rax, self.arg(a))
        if isinstance(b, Const):
            if b.value < 0:
                self.asm.jmp(self.deopt_label())
                return
            self.asm.sar(rax, min(int(b.value), 63))
            self.store(inst, rax)
            return
        in_range = self.asm.label()
        self.asm.mov(r11, self.arg(b))
        self.asm.test(r11, r11)
        self.asm.js(self.deopt_label())
        self.asm.cmp(r11, 63)
        self.asm.jbe(in_range)
        self.asm.mov(r11, 63)  # shifting by 63 or more leaves only the sign
        self.asm.bind(in_range)
        with self.count_in_cl():
            self.asm.sar(rax, rcx)
        self.store(inst, rax)

    def count_in_cl(self) -> _CountInCl:
        return _CountInCl(self.asm)

    # -- comparisons and branches ------------------------------------------
    def fusable(self, inst: Inst, following: Inst | None) -> bool:
        """A compare the branch after it alone reads (regalloc.fused_compares:
        its result has no register)."""
        return following is not None and inst.dst in self.fused and following.args[0] is inst.dst

    def int_compare(self, inst: Inst) -> str:
        """Emit the flags for an int cmp/truth; return the x86 condition that means true."""
        if inst.op == "truth":
            a = self.arg(inst.args[0])
            if isinstance(a, Reg):
                self.asm.test(a, a)
            else:
                self.asm.cmp(self.in_reg(a, rax), 0)
            return "ne"
        a, b = self.arg(inst.args[0]), self.arg(inst.args[1])
        cc = inst.kind
        if isinstance(a, int):
            a, b, cc = b, a, SWAPPED[cc]
        if isinstance(a, int) or (isinstance(a, Mem) and isinstance(b, Mem)):
            self.asm.mov(rax, a)  # (two constants only if fold left them: it evaluates those)
            a = rax
        self.asm.cmp(a, self.small(b))
        return INT_CC[cc]

    def float_compare(self, inst: Inst) -> tuple[str, ...]:
        """Emit the flags for fcmp; return how to read them: ("a"|"ae"|"feq"|"fne",)."""
        a, b = inst.args
        cc = inst.kind
        if cc in ("lt", "le"):
            a, b, cc = b, a, SWAPPED[cc]  # a < b is b > a: "above" is false when unordered
        xa = self.xreg(a, xmm15)
        self.asm.ucomisd(xa, self.xarg(b, xmm14))
        return ({"gt": "a", "ge": "ae", "eq": "feq", "ne": "fne"}[cc],)

    def do_cmp(self, inst: Inst) -> None:
        self.set_bool(inst, self.int_compare(inst))

    do_truth = do_cmp

    def set_bool(self, inst: Inst, cc: str) -> None:
        self.asm.setcc(cc, rax)
        self.asm.movzx_b(rax, rax)
        self.store(inst, rax)

    def do_fcmp(self, inst: Inst) -> None:
        (how,) = self.float_compare(inst)
        self.float_flags_to_bool(inst, how)

    def float_flags_to_bool(self, inst: Inst, how: str) -> None:
        if how in ("a", "ae"):
            self.set_bool(inst, how)
            return
        # ucomisd says "unordered" with PF=1 (and ZF=1): equal means ZF=1 and PF=0.
        equal = how == "feq"
        self.asm.setcc("e" if equal else "ne", rax)
        self.asm.setcc("np" if equal else "p", r11)
        self.asm.movzx_b(rax, rax)
        self.asm.movzx_b(r11, r11)
        if equal:
            self.asm.and_(rax, r11)
        else:
            self.asm.or_(rax, r11)
        self.store(inst, rax)

    def do_ftruth(self, inst: Inst) -> None:
        self.asm.xorpd(xmm14, xmm14)
        self.asm.ucomisd(self.xreg(inst.args[0], xmm15), xmm14)
        self.float_flags_to_bool(inst, "fne")  # nan is true, -0.0 false

    def low_bits_test(self, mod: Inst, cmp: Inst | None) -> int | None:
        """The mask 2**k - 1 if `mod` is x % 2**k read only by `cmp`, which
        compares it with 0 for (in)equality: then the pair is one `test`,
        since x % 2**k == 0 exactly when x & (2**k - 1) == 0, for every sign."""
        if (mod.op != "mod" or mod.dst is None or cmp is None or cmp.op != "cmp"
                or self.uses.get(mod.dst) != 1 or not isinstance(mod.args[0], Value)):
            return None
        d, zero = mod.args[1], cmp.args[1]
        if not isinstance(d, Const) or type(d.value) is not int:
            return None
        if not (2 <= d.value <= 2**31 and d.value & (d.value - 1) == 0):
            return None
        if cmp.kind not in ("eq", "ne") or cmp.args[0] is not mod.dst \
                or not (isinstance(zero, Const) and zero.value == 0):
            return None
        return int(d.value) - 1

    def test_and_branch(self, mod: Inst, mask: int, cmp: Inst, br: Inst) -> None:
        """`br (x % 2**k == 0)` as `test x, 2**k - 1` and a jcc (see low_bits_test)."""
        x = mod.args[0]
        assert isinstance(x, Value)
        self.asm.test(self.loc(x), mask)
        self.branch_on("e" if cmp.kind == "eq" else "ne", br)

    def compare_and_branch(self, inst: Inst, br: Inst) -> None:
        """A compare whose only use is the branch right after it: flags straight to jcc."""
        how = self.float_compare(inst)[0] if inst.op == "fcmp" else self.int_compare(inst)
        self.branch_on(how, br)

    def branch_on(self, how: str, br: Inst) -> None:
        """Go to br's true target if condition `how` holds of the flags, else its false one."""
        if_true, if_false = (self.labels[t] for t in br.targets)
        if how in NEGATED and br.targets[0] is self.next_block:
            # The true block comes next: jump away only when false.
            self.asm.jcc(NEGATED[how], if_false)
            return
        if how == "feq":  # equal and ordered
            self.asm.jp(if_false)
            self.asm.je(if_true)
        elif how == "fne":  # unequal or unordered
            self.asm.jne(if_true)
            self.asm.jp(if_true)
        else:
            self.asm.jcc(how, if_true)
        self.jump(if_false, br.targets[1])

    def jump(self, label: Label, block: Block) -> None:
        if block is not self.next_block:
            self.asm.jmp(label)

    def do_br(self, inst: Inst) -> None:
        cond = self.arg(inst.args[0])
        if_true, if_false = (self.labels[t] for t in inst.targets)
        if isinstance(cond, Reg):
            self.asm.test(cond, cond)
        else:
            self.asm.cmp(self.in_reg(cond, rax), 0)
        if inst.targets[0] is self.next_block:
            self.asm.jz(if_false)
            return
        self.asm.jnz(if_true)
        self.jump(if_false, inst.targets[1])

    def do_jmp(self, inst: Inst) -> None:
        self.jump(self.labels[inst.targets[0]], inst.targets[0])

    def do_deopt(self, inst: Inst) -> None:
        self.asm.jmp(self.deopt_label())

    # -- returns -----------------------------------------------------------
    def do_raise(self, inst: Inst) -> None:
        """Leave with STATUS_RAISE: the site's index in out[0], its operands
        in out[1:] (abi.py); the caller raises CPython's exception."""
        out = self.out_pointer()
        self.asm.mov(Mem(out), self.raise_sites.index(inst.data))
        for i, x in enumerate(inst.args, start=1):
            if x.type.is_float:
                self.fmove(Mem(out, disp=8 * i), self.xarg(x))
            else:
                self.move(Mem(out, disp=8 * i), self.arg(x))
        self.asm.mov(rax, abi.STATUS_RAISE)
        self.jump(self.exit, None)  # type: ignore[arg-type]

    def out_pointer(self) -> Reg:
        if self.makes_calls:
            self.asm.mov(rdx, self.slot(self.out_ptr_slot))
            return rdx
        return rsi

    def do_ret(self, inst: Inst) -> None:
        status = self.store_result(inst)
        if self.fp_flags:
            # A NumPy float operation overflowed, divided by zero or made a nan
            # of numbers: NumPy warns, so CPython runs the call (see do_fcheck).
            self.asm.stmxcsr(self.slot(self.mxcsr_slot))
            self.asm.test(self.slot(self.mxcsr_slot), MXCSR_WARNS)
            self.asm.jnz(self.deopt_label())
            self.asm.ldmxcsr(self.slot(self.mxcsr_saved_slot))
        if status == 0:
            self.asm.xor(rax, rax)  # shorter than mov eax, 0
        else:
            self.asm.mov(rax, status)
        self.jump(self.exit, None)  # type: ignore[arg-type]

    def store_result(self, inst: Inst) -> int:
        """Put the returned value where the entry ABI wants it; its status."""
        if inst.kind == "none":
            return abi.STATUS_NONE
        if inst.kind != "tuple":
            self.load_bits(rdx, inst.args[0])  # a scalar's 64 bits go back in rdx
            return abi.SCALAR_STATUS[inst.kind]
        out = self.out_pointer()
        for i, x in enumerate(inst.args):
            if x.type.is_float:
                self.fmove(Mem(out, disp=8 * i), self.xarg(x))
            else:
                self.move(Mem(out, disp=8 * i), self.arg(x))
        if inst.kind == "tuple":
            shape = inst.data  # the element types as translated (passes may retype operands)
            if shape not in self.tuple_shapes:
                self.tuple_shapes.append(shape)
            return abi.STATUS_TUPLE + self.tuple_shapes.index(shape)
        return abi.SCALAR_STATUS[inst.kind]

    # -- floats --------------------------------------------------------------
    def _float_binary(self, inst: Inst) -> None:
        assert inst.dst is not None
        dst = self.loc(inst.dst)
        a, b = inst.args
        if inst.op in ("fadd", "fmul") and isinstance(b, Value) and self.loc(b) == dst and a is not b:
            a, b = b, a
        bx = self.xarg(b, xmm14)
        if inst.op == "fdiv":
            bx = self.xreg(b, xmm14)
            ok = self.asm.label()
            self.asm.xorpd(xmm15, xmm15)
            self.asm.ucomisd(bx, xmm15)
            self.asm.jp(ok)  # nan: not zero
            self.asm.je(self.deopt_label())  # ZeroDivisionError
            self.asm.bind(ok)
        work = dst if isinstance(dst, Reg) and bx != dst else xmm15
        self.fmove(work, self.xarg(a, xmm15) if work != xmm15 else self.xarg(a, xmm15))
        getattr(self.asm, SSE[inst.op])(work, bx)
        self.fmove(dst, work)

    do_fadd = do_fsub = do_fmul = do_fdiv = _float_binary

    def _sign_mask(self, inst: Inst) -> None:
        mask = SIGN_BIT if inst.op == "fneg" else 2**63 - 1
        self.asm.mov(r11, mask)
        self.asm.movq(xmm14, r11)
        dst = self.loc(inst.dst)  # type: ignore[arg-type]
        work = dst if isinstance(dst, Reg) else xmm15
        self.fmove(work, self.xarg(inst.args[0], xmm15))
        if inst.op == "fneg":
            self.asm.xorpd(work, xmm14)
        else:
            self.asm.andpd(work, xmm14)
        self.fmove(dst, work)

    do_fneg = do_fabs = _sign_mask

    def _float_min_max(self, inst: Inst) -> None:
        # min(a, b) is b if b < a else a: exactly minsd with b as destination
        # (minsd keeps its second operand on ties and when either is nan).
        a, b = inst.args
        self.fmove(xmm15, self.xarg(b, xmm15))
        self.asm.minsd(xmm15, self.xarg(a, xmm14)) if inst.op == "fmin" else \
            self.asm.maxsd(xmm15, self.xarg(a, xmm14))
        self.store(inst, xmm15)

    do_fmin = do_fmax = _float_min_max

    def do_fround32(self, inst: Inst) -> None:
        """dst = a rounded to float32 (to nearest, as C's cast), as a double again."""
        x = self.xarg(inst.args[0], xmm15)
        self.asm.cvtsd2ss(xmm15, x)
        self.asm.cvtss2sd(xmm15, xmm15)
        self.store(inst, xmm15)

    def do_fcheck(self, inst: Inst) -> None:
        """Deopt unless a is finite: a - a is 0.0 for finite a, nan for inf and nan.

        Where NumPy warns about a float result (overflow, division by zero,
        an invalid operation such as inf - inf, underflow if np.errstate asks),
        the processor sets a sticky exception flag, and NumPy warns exactly
        when its operation set one. A function with NumPy float operations
        tests the flags at return (fp_flags), so it needs no check here, and
        computes natively with infinities and nans in its input (NumPy does
        not warn for those). A check with data "always" follows a C helper,
        which may give inf or nan without the flags NumPy's own code would
        set: it stays."""
        if self.fp_flags and inst.data != "always":
            return
        x = self.xreg(inst.args[0], xmm14)
        self.asm.movapd(xmm15, x)
        self.asm.subsd(xmm15, x)
        self.asm.ucomisd(xmm15, xmm15)
        self.asm.jp(self.deopt_label())

    def do_i2f(self, inst: Inst) -> None:
        source = self.in_reg(self.arg(inst.args[0]), rax)
        self.asm.xorpd(xmm15, xmm15)  # cvtsi2sd keeps the upper half: break the dependency
        self.asm.cvtsi2sd(xmm15, source)
        self.store(inst, xmm15)

    def do_i2f_exact(self, inst: Inst) -> None:
        """float(a) for comparing with a float; deopt unless the double is exactly a."""
        a = self.in_reg(self.arg(inst.args[0]), rdx)
        self.asm.xorpd(xmm15, xmm15)  # (see do_i2f)
        self.asm.cvtsi2sd(xmm15, a)
        self.asm.cvttsd2si(rax, xmm15)
        self.asm.cmp(rax, a)
        self.asm.jne(self.deopt_label())
        self.store(inst, xmm15)

    # -- buffer elements: memory.py (loaded by the first compile that has some) ----
    def do_load(self, inst: Inst) -> None:
        from .memory import load

        load(self, inst)

    def do_undo_begin(self, inst: Inst) -> None:
        from .memory import undo_begin

        undo_begin(self, inst)

    def do_undo_field(self, inst: Inst) -> None:
        from .memory import undo_field

        undo_field(self, inst)

    def do_store(self, inst: Inst) -> None:
        from .memory import store

        store(self, inst)

    # -- calls to C helpers (csrc/numeric.c) -----------------------------------
    def do_helper(self, inst: Inst) -> None:
        """status = helper(args..., &result): System V call; a nonzero status deopts."""
        floats = [x for x in inst.args if x.type.is_float]
        ints = [x for x in inst.args if not x.type.is_float]
        self.float_arguments(floats)
        for reg, x in zip(HELPER_INT_ARGS, ints, strict=False):
            self.asm.mov(reg, self.arg(x))
        self.asm.lea(HELPER_INT_ARGS[len(ints)], self.slot(self.helper_out_slot))
        self.asm.mov_address(rax, helper_address("jc_" + inst.kind), ("helper", "jc_" + inst.kind))
        self.asm.call(rax)
        self.asm.shl(rax, 32)  # the status is a C int: only eax is defined
        self.asm.jnz(self.deopt_label())
        assert inst.dst is not None
        self.store_slot(inst.dst, self.helper_out_slot)


    def float_arguments(self, floats: list[Operand]) -> None:
        """Float arguments into xmm0, xmm1, ... (HELPER_FLOAT_ARGS), a parallel
        move: an argument may sit in another one's register (the second in
        xmm0, say). A move is made once no pending move still reads its
        target; registers left in a cycle are freed through xmm14. Constants
        read no register: they go last."""
        assert len(floats) <= len(HELPER_FLOAT_ARGS)
        pending: list[tuple[Reg, Reg | Mem]] = []
        constants = []
        for reg, x in zip(HELPER_FLOAT_ARGS, floats, strict=False):
            if isinstance(x, Const):
                constants.append((reg, x))
            elif self.loc(x) != reg:
                pending.append((reg, self.loc(x)))
        while pending:
            ready = next((m for m in pending if all(src != m[0] for _, src in pending)), None)
            if ready is None:  # a cycle: its first source goes to xmm14 first
                blocked = pending[0][1]
                self.fmove(xmm14, blocked)
                pending = [(dst, xmm14 if src == blocked else src) for dst, src in pending]
                continue
            pending.remove(ready)
            self.fmove(*ready)
        for reg, x in constants:
            self.fmove(reg, self.xarg(x, reg))

    # -- calls to other jitted functions ------------------------------------
    def do_call(self, inst: Inst) -> None:
        """entry(args, out, depth - 1, interrupt) through the callee's cell;
        deopt unless it returned the one kind of result this call site
        expects (or stopped for Ctrl-C: then return that)."""
        target = inst.data
        for i, x in enumerate(inst.args):
            dst = self.slot(self.call_args_base + i)
            if x.type.is_float:
                self.fmove(dst, self.xarg(x))
            else:
                self.move(dst, self.arg(x))
        self.asm.lea(ARGS_PTR, self.slot(self.call_args_base))
        self.asm.lea(OUT_PTR, self.slot(self.call_out_base))  # (also where a raise goes)
        self.asm.mov(DEPTH, self.slot(self.depth_slot))
        self.asm.sub(DEPTH, 1)
        self.asm.mov(INTERRUPT_PTR, self.slot(self.interrupt_slot))
        self.asm.mov(WARN_ALLOWED, 0)  # a callee deopts where it would warn (see emit_warns)
        self.asm.mov_address(rax, target.cell, ("cell", target.cell))
        self.asm.call(Mem(rax))
        if target.alternatives:
            # one of several kinds: the status is kept for callstatus, and a
            # scalar's bits go where callres reads them
            returned = self.asm.label("returned")
            for alternative in target.alternatives:
                self.asm.cmp(rax, alternative.status)
                self.asm.je(returned)
            self.asm.jmp(self.call_failed_label())
            self.asm.bind(returned)
            self.asm.mov(self.slot(self.call_status_slot), rax)
            tuples = [t.is_tuple for t in target.alternatives]
            if not all(tuples):
                kept = self.asm.label("tuple_kept")
                if any(tuples):  # a tuple's elements are there already: rdx is not one
                    self.asm.cmp(rax, abi.STATUS_TUPLE)
                    self.asm.jge(kept)
                self.asm.mov(self.slot(self.call_out_base), rdx)
                self.asm.bind(kept)
            return
        self.asm.cmp(rax, target.status)
        self.asm.jne(self.call_failed_label())
        if inst.dst is not None:  # a scalar result: its bits are in rdx
            where = self.loc(inst.dst)
            if inst.dst.type.is_float and isinstance(where, Reg):
                self.asm.movq(where, rdx)
            else:
                self.move(where, rdx)

    def do_callstatus(self, inst: Inst) -> None:
        """dst = the status the last call returned (one with alternatives)."""
        assert inst.dst is not None
        self.move(self.loc(inst.dst), self.slot(self.call_status_slot))

    def do_callres(self, inst: Inst) -> None:
        assert inst.dst is not None
        self.store_slot(inst.dst, self.call_out_base + inst.data)

    def store_slot(self, dst: Value, index: int) -> None:
        if dst.type.is_float:
            self.fmove(self.loc(dst), self.slot(index))
        else:
            self.move(self.loc(dst), self.slot(index))


class _CountInCl:
    """Borrow rcx (an allocatable register) for a shift count held in r11.

    The push/pop pair sits between instructions that address no stack slot,
    and nothing inside may jump out (the stack would be off by 8).
    """

    def __init__(self, asm: Assembler) -> None:
        self.asm = asm

    def __enter__(self) -> None:
        self.asm.push(rcx)
        self.asm.mov(rcx, r11)

    def __exit__(self, *exc: object) -> None:
        self.asm.pop(rcx)


def lower(func: Function, alloc: Allocation,
          trace: list[tuple[int, Inst, Inst | None]] | None = None,
          ) -> tuple[Assembler, list[tuple[str, ...]], int]:
    """Machine code for func, the tuple shapes its return statuses refer to,
    and the bytes of stack one activation takes (return address included).
    With `trace`, also where each IR instruction's code starts (Lowering)."""
    lowering = Lowering(func, alloc, trace)
    asm = lowering.run()
    return asm, lowering.tuple_shapes, lowering.activation_bytes
