"""Register allocation, checked on its own: run the IR on a machine whose only
storage is the allocated locations. If two values that are live at the same
time share a register or slot, the results differ from CPython's."""

from __future__ import annotations

from conftest import INT64_EDGES
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from programs import has_only_int64_constants, make, programs
from test_passes import DEOPT, evaluate

from jitcore.frontend import build_ir
from jitcore.passes import optimize
from jitcore.regalloc import ALLOCATABLE, Slot, allocate
from jitcore.x86_64.registers import r11, rax, rdi, rsi, rsp


def run_on_locations(ir, alloc, args):
    storage = {}
    return evaluate(ir, args,
                    read=lambda v: storage[alloc.locations[v]],
                    write=lambda v, x: storage.__setitem__(alloc.locations[v], x)
                    if v in alloc.locations else None)  # unused parameters get no location


@settings(max_examples=200, deadline=None)
@given(source=programs(), data=st.data(), nregs=st.integers(1, len(ALLOCATABLE)))
def test_allocation_keeps_live_values_apart(source, data, nregs):
    func = make(source)
    assume(has_only_int64_constants(func))
    ir = build_ir(func)
    optimize(ir)
    alloc = allocate(ir, ALLOCATABLE[:nregs])  # few registers: forces spills
    for _ in range(4):
        args = [data.draw(st.one_of(st.sampled_from(INT64_EDGES), st.integers(-50, 50)))
                for _ in ir.params]
        expected = evaluate(ir, args)
        if expected is not DEOPT:
            assert run_on_locations(ir, alloc, args) == expected


def test_reserved_registers_are_never_allocated():
    assert not {rsp, rax, r11, rdi, rsi} & set(ALLOCATABLE)
    func = make("def generated(a, b):\n" + "".join(
        f"    x{i} = a * {i} + b\n" for i in range(30)) + "    return " + " + ".join(
        f"x{i}" for i in range(30)) + "\n")
    ir = build_ir(func)
    optimize(ir)
    alloc = allocate(ir)
    used = set(alloc.locations.values())
    assert not {rsp, rax, r11, rdi, rsi} & used
    assert any(isinstance(loc, Slot) for loc in used)
