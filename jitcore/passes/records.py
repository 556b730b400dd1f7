"""Whether a call of a function must keep undo records of its stores, and
which NumPy overflow warnings it may issue in place.

A call that leaves native code before it finishes (a deopt, a native
callee's deopt, an exhausted depth budget, NumPy's float flags at a return)
re-runs in CPython from the start. If it stored into buffer arguments first,
those stores must be taken back before the re-run, so each store is recorded
(csrc/undo.h): a flag, the old value, the value stored. That costs as much
as the store itself, several times over in a tight loop.

A call that can no longer re-run once it has stored needs no record: what
happens after its first store is either finishing, or something CPython
would also do at that point and go on from or raise from (a signal
handler, csrc/poll.c), which keeps the stores, as CPython does. This
analysis finds the store points (stores, and calls that pass a buffer on:
the callee may store) and asks whether a re-run exit can follow one: from
the store on in its block, or in any block reachable from there.

Without records (Function.records False) the code takes a record of 0 to
mean "store without one" (lower.py): callers pass 0, except a caller that
keeps records itself and passes its own on through a native call.

A NumPy overflow warning issued in place (ir.WarnSite) is visible like a
store, and cannot be taken back: where a re-run could follow one, it would
be shown twice. Such a site becomes a deopt (its WarnSite dropped: the
re-run warns), which is itself a re-run exit that may demote sites before
it: to a fixed point. (A native callee never warns in place: lower.py.)
"""

from __future__ import annotations

from ..ir import Block, Function, Inst, Value, WarnSite

TYPE_CHECKING = False
if TYPE_CHECKING:  # (collections.abc is a slow import, and a first call pays for it)
    from collections.abc import Callable, Iterator


def run(func: Function) -> bool:
    """Demote the warn sites a re-run could follow; set and return
    func.records: whether a re-run can follow a store."""
    # NumPy float operations set MXCSR's flags; a return that finds one set
    # re-runs the call (lower.py, do_fcheck / do_ret).
    flags_at_return = any(inst.op == "fcheck" and inst.data != "always" for inst in func.insts())

    records = set(func.undo_records)

    def stores(inst: Inst) -> bool:
        return inst.op == "store" or (inst.op == "call" and any(
            isinstance(a, Value) and a in records for a in inst.args))

    # undo_begin deopts only where it allocates a record (out of memory):
    # first assume there is none, and look again if there must be.
    for undo_exits in (False, True):
        def reruns(inst: Inst, undo_exits: bool = undo_exits) -> bool:
            if inst.op == "undo_begin":
                return undo_exits
            return (inst.may_deopt and not isinstance(inst.data, WarnSite)) \
                or (inst.op == "ret" and flags_at_return)

        while demoted := list(_followed_by_rerun(func, reruns, _warns)):
            for inst in demoted:
                inst.data = None
        func.records = bool(records) and any(True for _ in _followed_by_rerun(func, reruns, stores))
        if not func.records:
            _stores_take_the_record(func)
            break
    return func.records


def _stores_take_the_record(func: Function) -> None:
    """Without records of its own the code stores with a record only when a
    native caller passes one: each store then takes the record itself (its
    byte map, `pre` and `post` read from it on that rare path, lower.py)
    instead of three pointers held in registers through its loop."""
    record_of = {inst.dst: inst.args[0] for inst in func.insts()
                 if inst.op == "undo_begin" and inst.dst is not None}
    for block in func.blocks:
        kept = []
        for inst in block.insts:
            if inst.op == "undo_field":
                continue
            if inst.op == "undo_begin":  # still allocates a caller's record; its result goes unread
                inst.dst = None
            if inst.op == "store":
                u = record_of[inst.args[3]]  # type: ignore[index]
                inst.args[3:6] = [u, u, u]
            kept.append(inst)
        block.insts = kept


def _warns(inst: Inst) -> bool:
    return isinstance(inst.data, WarnSite)


def _followed_by_rerun(func: Function, reruns: Callable[[Inst], bool],
                       event: Callable[[Inst], bool]) -> Iterator[Inst]:
    """The instructions `event` picks from which a re-run exit can be
    reached (the instruction itself included)."""
    # Whether a re-run exit is reachable from each block's start: to a fixed point.
    reaches: dict[Block, bool] = {b: any(reruns(i) for i in b.insts) for b in func.blocks}
    changed = True
    while changed:
        changed = False
        for block in reversed(func.blocks):
            if not reaches[block] and any(reaches[s] for s in block.successors):
                reaches[block] = changed = True
    for block in func.blocks:
        after = any(reaches[s] for s in block.successors)
        for inst in reversed(block.insts):
            after = after or reruns(inst)
            if after and event(inst):
                yield inst
