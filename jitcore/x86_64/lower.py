"""IR + register allocation -> x86-64 instructions (through the Assembler).

Frame layout after the prologue (higher addresses first):

    return address
    saved callee-saved registers (the ones the allocation uses)
    [padding to keep rsp 16-byte aligned]
    stack slots: slot i at [rsp + 8*i]          <- rsp

x86 arithmetic is two-address (`add dst, src` overwrites dst), IR arithmetic
is three-address (`d = add a, b`); `_binary` bridges the two, using rax when
d cannot be computed in place. Checked ops are followed by `jo deopt`: the
deopt exit returns STATUS_DEOPT and the dispatcher re-runs the call in CPython.
"""

from __future__ import annotations

from typing import Dict, Union

from ..abi import STATUS_DEOPT, STATUS_INT, STATUS_NONE
from ..ir import RET_INT, RET_NONE, Const, Function, Inst, Operand, Value
from ..regalloc import Allocation, Location, Slot
from .encoder import Assembler, Label, Mem
from .registers import Reg, r11, rax, rdi, rsi, rsp

SCRATCH = rax  # holds intermediate results; also the status on exit
SCRATCH2 = r11  # holds 64-bit immediates

ALU = {"add": "add", "sub": "sub", "and": "and_", "or": "or_", "xor": "xor"}
RET_STATUS: Dict[str, int] = {RET_INT: STATUS_INT, RET_NONE: STATUS_NONE}

Arg = Union[Reg, Mem, int]


def fits_imm32(value: int) -> bool:
    return -(2**31) <= value < 2**31


class Lowering:
    def __init__(self, func: Function, alloc: Allocation) -> None:
        self.func = func
        self.alloc = alloc
        self.asm = Assembler()
        self.exit = self.asm.label("exit")
        self.deopt: Union[Label, None] = None
        self.saved = alloc.callee_saved
        # Slots, padded so that rsp stays 16-byte aligned as the ABI wants at
        # calls. Leaf functions call nothing, and their frame need not be aligned.
        frame = 8 * alloc.slots
        makes_calls = any(inst.op == "call" for inst in func.insts())
        if makes_calls and (8 + 8 * len(self.saved) + frame) % 16:  # 8: the return address
            frame += 8
        self.frame = frame

    # -- locations -------------------------------------------------------
    def loc(self, value: Value) -> Union[Reg, Mem]:
        where: Location = self.alloc.locations[value]
        if isinstance(where, Slot):
            return Mem(rsp, disp=8 * where.index)
        return where

    def arg(self, operand: Operand) -> Arg:
        if isinstance(operand, Const):
            return operand.value
        return self.loc(operand)

    def deopt_label(self) -> Label:
        if self.deopt is None:
            self.deopt = self.asm.label("deopt")
        return self.deopt

    # -- the function ----------------------------------------------------
    def run(self) -> Assembler:
        self.prologue()
        insts = [inst for block in self.func.blocks for inst in block.insts]
        for i, inst in enumerate(insts):
            getattr(self, "do_" + inst.op)(inst, i == len(insts) - 1)
        self.asm.bind(self.exit)
        self.epilogue()
        if self.deopt is not None:
            self.asm.bind(self.deopt)
            self.asm.mov(rax, STATUS_DEOPT)
            self.asm.jmp(self.exit)
        return self.asm

    def prologue(self) -> None:
        for reg in self.saved:
            self.asm.push(reg)
        if self.frame:
            self.asm.sub(rsp, self.frame)
        for i, param in enumerate(self.func.params):
            if param in self.alloc.locations:
                self.move(self.loc(param), Mem(rdi, disp=8 * i))

    def epilogue(self) -> None:
        if self.frame:
            self.asm.add(rsp, self.frame)
        for reg in reversed(self.saved):
            self.asm.pop(reg)
        self.asm.ret()

    # -- moves -----------------------------------------------------------
    def move(self, dst: Union[Reg, Mem], src: Arg) -> None:
        if dst == src:
            return
        if isinstance(dst, Mem) and (isinstance(src, Mem) or (isinstance(src, int) and not fits_imm32(src))):
            self.asm.mov(SCRATCH2, src)
            src = SCRATCH2
        self.asm.mov(dst, src)

    def small(self, value: Arg) -> Arg:
        """An operand an ALU instruction can take: 64-bit immediates go to r11 first."""
        if isinstance(value, int) and not fits_imm32(value):
            self.asm.mov(SCRATCH2, value)
            return SCRATCH2
        return value

    # -- instructions ----------------------------------------------------
    def do_mov(self, inst: Inst, last: bool) -> None:
        assert inst.dst is not None
        self.move(self.loc(inst.dst), self.arg(inst.args[0]))

    def _binary(self, inst: Inst) -> None:
        assert inst.dst is not None
        dst = self.loc(inst.dst)
        a, b = self.arg(inst.args[0]), self.arg(inst.args[1])
        commutative = inst.op in ("add", "mul", "and", "or", "xor")
        if commutative and (b == dst or isinstance(a, int)) and a != dst:
            a, b = b, a  # compute in place into dst, or keep the constant second
        # Compute into dst itself unless dst is memory or b lives there
        # (writing a into dst first would destroy b, unless a is there too).
        work = dst if isinstance(dst, Reg) and (b != dst or a == dst) else SCRATCH
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
        if inst.checked:
            self.asm.jo(self.deopt_label())
        self.move(dst, work)

    do_add = do_sub = do_mul = do_and = do_or = do_xor = lambda self, inst, last: self._binary(inst)

    def _unary(self, inst: Inst) -> None:
        assert inst.dst is not None
        dst = self.loc(inst.dst)
        work = dst if isinstance(dst, Reg) else SCRATCH
        self.move(work, self.arg(inst.args[0]))
        if inst.op == "neg":
            self.asm.neg(work)
        else:
            self.asm.not_(work)
        if inst.checked:
            self.asm.jo(self.deopt_label())
        self.move(dst, work)

    do_neg = do_not = lambda self, inst, last: self._unary(inst)

    def do_ret(self, inst: Inst, last: bool) -> None:
        if inst.kind == RET_INT:
            self.move(Mem(rsi), self.arg(inst.args[0]))
        status = RET_STATUS[inst.kind]
        if status == 0:
            self.asm.xor(rax, rax)  # shorter than mov eax, 0
        else:
            self.asm.mov(rax, status)
        if not last:
            self.asm.jmp(self.exit)


def lower(func: Function, alloc: Allocation) -> Assembler:
    return Lowering(func, alloc).run()
