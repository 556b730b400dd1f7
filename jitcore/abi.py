"""The contract between generated code and the code that calls it.

Every compiled function has one native entry point:

    int64_t entry(const int64_t *args, int64_t *out);

`args` (rdi) points to the arguments as int64, `out` (rsi) to one int64 slot
for the result, and the return value (rax) is a status that says how to read
`out`. The C trampoline (csrc/) calls entries; lower.py generates them; the
dispatcher reads the status. Everything else is System V: rbx, rbp, r12-r15
are preserved and the stack stays 16-byte aligned.
"""

STATUS_INT = 0  # *out holds an int
STATUS_DEOPT = 1  # native code cannot give CPython's answer (int64 overflow): re-run in CPython
STATUS_NONE = 2  # the function returned None; *out is unused
