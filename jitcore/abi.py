"""The contract between generated code and the code that calls it.

Every compiled function has one native entry point:

    {int64_t status, int64_t value} entry(const int64_t *args, int64_t *out,
                                          int64_t depth, volatile int64_t *poll,
                                          int64_t warn_in_place);

`args` (rdi) points to the arguments, one 8-byte slot each (an int, a bool
as 0/1, or a float's IEEE bits; a buffer takes three: the address of its
first element, its length and its undo record, csrc/undo.h); `out` (rsi) to
the result slots; `depth`
(rdx) is how many more nested native calls the recursion limit allows: a
function that calls other native code returns STATUS_DEPTH when it reaches 0
(or when jitcore's native stack, which such a function checks in its
prologue, is nearly full) and passes depth - 1 on, so deep recursion ends in
CPython (RecursionError, or CPython's value) instead of a crash;
`poll` (rcx) points to a word that turns nonzero when SIGINT arrives
(csrc/interrupt.c) and once per switch interval while native code runs
(csrc/poll.c): loop headers and functions that make native calls poll it
and then call jc_poll_slow, which lets the GIL go, runs Python's signal
handlers there (taking the GIL if the call runs without it) and says
whether one raised: they return STATUS_INTERRUPT, and callers pass the word
on and that status up; `warn_in_place` (r8) is 1 in a call from Python and
0 in a native call: only then may the code issue NumPy's overflow warnings
where they happen (ir.WarnSite; a native callee deopts instead, as its
caller might re-run and warn again). The
return value is a status in rax that says how to read the result: an int,
bool or float comes back as 64 bits in rdx (the C trampoline stores them in
out[0]; native callers take them from the register), a tuple's elements in
the `out` slots. The C trampoline
(csrc/) calls entries; lower.py generates them; the dispatcher reads the
status. Everything else is System V: rbx, rbp, r12-r15 are preserved and the
stack is 16-byte aligned at calls.
"""

from .ir import NUMPY_SCALARS

STATUS_INT = 0  # out[0] holds an int
STATUS_DEOPT = 1  # native code cannot give CPython's answer: re-run the call in CPython
STATUS_NONE = 2  # the function returned None; out is unused
STATUS_BOOL = 3  # out[0] is 0 or 1
STATUS_FLOAT = 4  # out[0] holds a double's bits
# Python work the code did in place raised (a signal handler a poll ran, a
# NumPy warning turned into an error): the exception is kept for the thread
# and the caller raises it (jc_raise_taken, csrc/inplace.c), keeping what the
# call did so far. Without one kept: run the signal handlers, then call again.
STATUS_INTERRUPT = 5
# The native depth budget ran out, or the native stack did: the recursion goes
# deeper than the recursion limit allows from here, or than native code can.
# Re-run in CPython, and let the calls that re-run makes run in CPython too
# (native code would only run out again, a little less deep, at every level:
# quadratic time on the way to CPython's RecursionError).
STATUS_DEPTH = 6
# CPython raises here, and so does the call, keeping what it did so far (no
# re-run): out[0] is the index of the site among the function's raise sites
# (ir.RaiseSite, Function.raise_sites), out[1:] the site's operand values
# (as tuple elements are), from which the caller raises CPython's own
# exception (jitcore/raising.py).
STATUS_RAISE = 7
# 16 + i: out[0] holds a NumPy scalar of the i-th type of ir.NUMPY_SCALARS (a
# float's bits, an int, a bool as 0 or 1), which the caller boxes as NumPy's type.
STATUS_NUMPY = 16
STATUS_TUPLE = 32  # 32 + i: a tuple of shape i (the compiled function lists its shapes)

SCALAR_STATUS = {"int": STATUS_INT, "bool": STATUS_BOOL, "float": STATUS_FLOAT, "none": STATUS_NONE,
                 **{name: STATUS_NUMPY + i for i, name in enumerate(NUMPY_SCALARS)}}
NUMPY_STATUS = {STATUS_NUMPY + i: name for i, name in enumerate(NUMPY_SCALARS)}

MAX_RESULT_SLOTS = 16  # the longest tuple a function may return natively

# Nested native calls allowed per call from Python when native code runs on
# the thread's own stack (only where jitcore's native stack is missing, or
# without the C fast path): CPython's own recursion limit, capped so that
# native frames stay far from the end of any thread's C stack.
MAX_NATIVE_DEPTH = 10000
# The largest budget ever given (the recursion limit may be up to 2**31 - 1).
MAX_NATIVE_BUDGET = 1 << 30

# jitcore's native stack (csrc/stack.c, csrc/jitcore.h): each thread's is
# NATIVE_STACK_BYTES, aligned to its size. A function that makes native calls
# tests rsp's offset in it right after allocating its frame, and returns
# STATUS_DEPTH once it is below NATIVE_STACK_MARGIN: that is
# `test rsp, NATIVE_STACK_CHECK_MASK` giving zero. The margin is left for what
# runs below the deepest such frame (a leaf function, a C helper, a signal
# handler), and no activation may be larger than MAX_FRAME_BYTES.
NATIVE_STACK_BYTES = 1 << 28
NATIVE_STACK_MARGIN = 1 << 20
NATIVE_STACK_CHECK_MASK = (NATIVE_STACK_BYTES - 1) & ~(NATIVE_STACK_MARGIN - 1)
MAX_FRAME_BYTES = NATIVE_STACK_MARGIN // 4

# Where generated code finds the parts of an undo record (csrc/undo.h,
# jc_undo): its byte map of stored elements, their values before this call
# stored them, and the values it stored last.
UNDO_DIRTY = 24
UNDO_PRE = 32
UNDO_POST = 40
