"""Lowering of buffer and array elements: loads, stores and the undo records of stores.

The Lowering (lower.py) calls these for the IR's `load`, `store`,
`undo_begin` and `undo_field` (ir.py says what each computes), with itself
as `lo`: they emit through lo.asm and read lo's allocation like its own
methods. A store first keeps the element's old value in the call's undo
record (csrc/undo.h), so that a call that re-runs in CPython can take its
stores back (jitcore/calls.py; ../shared/ARRAYS.md has why).

Loaded by the first compile that has such an element (most functions of
ints and floats never do).
"""

from __future__ import annotations

from .. import abi
from ..ir import ELEMENTS, FLOAT, Inst, Operand
from ..runtime import undo_begin_address
from .encoder import Mem
from .lower import fits_imm32
from .registers import Reg, r11, rax, rdi, rdx, xmm15

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .lower import Lowering

# The encoder's load of an element narrower than 8 bytes, by (size, signed);
# an unsigned byte is movzx_b.
WIDENING_LOAD = {(1, True): "movsx_b", (2, True): "movsx_w", (2, False): "movzx_w",
                 (4, True): "movsxd", (4, False): "mov32"}


def load(lo: Lowering, inst: Inst) -> None:
    """dst = element i of the buffer at p, widened to 64 bits as its type
    says (ir.ELEMENTS); a uint64 above INT64_MAX deopts (.ovf). With
    data "bytes" (a strided array) i is a byte offset, not an index."""
    element = ELEMENTS[inst.kind]
    address, index = inst.args
    scale = 1 if inst.data == "bytes" else element.size
    base = lo.arg(address)
    if not isinstance(base, Reg):
        lo.asm.mov(r11, base)
        base = r11
    i = lo.arg(index)
    if isinstance(i, Reg):
        where = Mem(base, i, scale)
    elif isinstance(i, int) and fits_imm32(i * scale):
        where = Mem(base, disp=i * scale)
    else:
        lo.asm.mov(rax, i)
        where = Mem(base, rax, scale)
    assert inst.dst is not None
    dst = lo.loc(inst.dst)
    if element.type == FLOAT:
        work = dst if isinstance(dst, Reg) else xmm15
        if element.size == 4:
            lo.asm.xorpd(work, work)  # cvtss2sd writes only the low half: no false dependency
            lo.asm.cvtss2sd(work, where)
        else:
            lo.asm.movsd(work, where)
        lo.fmove(dst, work)
        return
    work = dst if isinstance(dst, Reg) else rax
    load_integer(lo, work, where, element.size, element.signed)
    if inst.checked:  # a uint64 with the top bit set is no int64
        lo.asm.test(work, work)
        lo.asm.js(lo.deopt_label())
    lo.move(dst, work)


def store(lo: Lowering, inst: Inst) -> None:
    """Element i of the buffer at p = x, recorded first in its undo
    record (csrc/undo.h; its byte map d, `pre` and `post` are operands):
    if d[i] is clear, set it and copy the element's old value to pre[i];
    then write x to the element and to post[i]. In a function without
    records (passes/records.py) d may be 0: then x is only written. With
    data "bytes" (a strided array) the element is at byte offset i, and a
    seventh operand is its index in the record (its place in C order). Scratch: r11
    (address), rax (index), rdx (record pointers), rdi (data), xmm15."""
    element = ELEMENTS[inst.kind]
    size = element.size
    address, index, value, dirty, pre, post = inst.args[:6]
    base = lo.arg(address)
    if inst.data == "bytes":
        lo.asm.mov(r11, base)  # the element's address
        lo.asm.add(r11, lo.small(lo.arg(index), rax))
        base = r11
        i = lo.arg(inst.args[6])
    else:
        if not isinstance(base, Reg):
            lo.asm.mov(r11, base)
            base = r11
        i = lo.arg(index)
    if not isinstance(i, Reg):
        lo.asm.mov(rax, i)
        i = rax
    target = Mem(base) if inst.data == "bytes" else Mem(base, i, size)

    def pointer(x: Operand) -> Reg:
        where = lo.arg(x)
        if isinstance(where, Reg):
            return where
        lo.asm.mov(rdx, where)
        return rdx

    x = xmm15
    if element.type == FLOAT:
        x = lo.xreg(value, xmm15)
        if size == 4:
            lo.asm.cvtsd2ss(xmm15, x)  # rounded to float32, as CPython's (float) cast
            x = xmm15

    def integer() -> Reg:
        v = lo.arg(value)
        if not isinstance(v, Reg):
            lo.asm.mov(rdi, v)
            v = rdi
        return v

    own = lo.func.records

    def record() -> None:
        """d[i] set (and pre[i] = the old value) unless set, post[i] = x."""
        flags = pointer(dirty) if own else record_field(lo, dirty, abi.UNDO_DIRTY)
        written = lo.asm.label("stored_before")
        lo.asm.cmp_byte(Mem(flags, i), 0)
        lo.asm.jne(written)  # stored before: pre holds the element's value before this call
        lo.asm.mov_byte(Mem(flags, i), 1)
        old = pointer(pre) if own else record_field(lo, pre, abi.UNDO_PRE)
        load_integer(lo, rdi, target, size, signed=False)  # its bits
        lo.asm.store_narrow(size, Mem(old, i, size), rdi)
        lo.asm.bind(written)
        last = pointer(post) if own else record_field(lo, post, abi.UNDO_POST)
        if element.type == FLOAT:
            fstore(lo, size, Mem(last, i, size), x)
        else:
            lo.asm.store_narrow(size, Mem(last, i, size), integer())

    if own:
        record()
    else:
        # The three operands are the record itself (passes/records.py):
        # 0 unless a native caller that keeps records passed its own;
        # then the record is kept out of line, after the function's code.
        where = lo.arg(dirty)
        if isinstance(where, Reg):
            lo.asm.test(where, where)
        else:
            lo.asm.cmp(where, 0)  # type: ignore[arg-type]
        recording, back = lo.asm.label("record"), lo.asm.label("recorded")
        lo.asm.jnz(recording)
        lo.asm.bind(back)
        lo.out_of_line.append((recording, back, record))
    if element.type == FLOAT:
        fstore(lo, size, target, x)
    else:
        lo.asm.store_narrow(size, target, integer())


def record_field(lo: Lowering, record: Operand, offset: int) -> Reg:
    """rdx = the pointer at `offset` in undo record `record` (csrc/undo.h)."""
    where = lo.arg(record)
    if not isinstance(where, Reg):
        lo.asm.mov(rdx, where)
        where = rdx
    lo.asm.mov(rdx, Mem(where, disp=offset))
    return rdx


def fstore(lo: Lowering, size: int, target: Mem, x: Reg) -> None:
    """Store float register x (a float32 already in its low 4 bytes if size is 4)."""
    if size == 4:
        lo.asm.movss_store(target, x)
    else:
        lo.asm.movsd(target, x)


def load_integer(lo: Lowering, dst: Reg, src: Mem, size: int, signed: bool) -> None:
    """The `size`-byte integer at src into dst, sign- or zero-extended."""
    if size == 8:
        lo.asm.mov(dst, src)
    elif size == 1 and not signed:
        lo.asm.movzx_b(dst, src)
    else:
        lo.asm.load_widened(WIDENING_LOAD[size, signed], dst, src)


def undo_begin(lo: Lowering, inst: Inst) -> None:
    """dst = the undo record's byte map; at the call's first store into
    this buffer it is NULL, and jc_undo_begin (out of line, through a
    stub that saves registers) allocates the record's memory first: no
    memory means deopt, before anything was stored."""
    retry = lo.asm.label("undo")
    lo.asm.bind(retry)  # after jc_undo_begin
    lo.asm.mov(rdx, lo.arg(inst.args[0]))
    none = lo.asm.label("no_record")
    if not lo.func.records:  # the caller may pass no record (0): then dst = 0
        lo.asm.mov(rax, 0)
        lo.asm.test(rdx, rdx)
        lo.asm.jz(none)
    lo.asm.mov(rax, Mem(rdx, disp=abi.UNDO_DIRTY))
    lo.asm.test(rax, rax)
    begin = lo.asm.label("undo_begin")
    lo.asm.jz(begin)
    lo.undo_begins.append((begin, retry))
    lo.asm.bind(none)
    if inst.dst is not None:
        lo.store(inst, rax)


def undo_field(lo: Lowering, inst: Inst) -> None:
    """dst = the undo record's `pre` or `post` (ir.py; kind names which)."""
    record = lo.arg(inst.args[0])
    if not isinstance(record, Reg):
        lo.asm.mov(r11, record)
        record = r11
    offset = abi.UNDO_PRE if inst.kind == "pre" else abi.UNDO_POST
    dst = lo.loc(inst.dst)  # type: ignore[arg-type]
    work = dst if isinstance(dst, Reg) else rax
    lo.asm.mov(work, Mem(record, disp=offset))
    lo.move(dst, work)


def emit_undo_begins(lo: Lowering) -> None:
    """Each undo_begin's call of jc_undo_begin (its undo record in rdx)
    at the call's first store into the buffer, then back; no memory:
    deopt, before anything was stored."""
    stub = lo.asm.label("undo_stub")
    for begin, retry in lo.undo_begins:
        lo.asm.bind(begin)
        lo.asm.call(stub)
        lo.asm.shl(rax, 32)
        lo.asm.jnz(lo.deopt_label())
        lo.asm.jmp(retry)
    lo.saving_stub(stub, rdx, undo_begin_address(), ("undo_begin",))
