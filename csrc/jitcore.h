/*
 * jitcore.h -- the C side of jitcore: executable code memory and native calls.
 *
 * This header is the whole public interface of the C module; build_ffi.py
 * repeats it as the cffi cdef (keep the two in step) and the Python face is
 * jitcore/runtime.py.
 *
 * Executable memory (execmem.c) is never writable and executable at once on
 * Linux; see the comment at the top of execmem.c for the strategies.
 * All functions are thread-safe.  Failures return an error code and leave a
 * message in a thread-local buffer, read with jc_last_error().
 */
#ifndef JITCORE_H
#define JITCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cffi-cdef: begin (build_ffi.py hands what follows to cffi) */

/* Size of one shared arena chunk; a function larger than this gets a chunk
 * of its own, rounded up to whole pages. */
#define JC_CHUNK_SIZE 65536
/* Every block starts on this boundary. */
#define JC_CODE_ALIGN 16

/* One function's block of executable code; opaque. */
typedef struct jc_code jc_code;

/* Copy `len` bytes of machine code into a new executable block.
 * Returns 0 and sets *out, or -1 (message via jc_last_error()). */
int jc_code_new(const unsigned char *bytes, size_t len, jc_code **out);

/* Return the block to the arena.  NULL and already-freed handles are
 * ignored (the latter is a defence, not a guarantee). */
void jc_code_free(jc_code *code);

/* Address of the executable copy; 0 for a bad handle. */
uintptr_t jc_code_address(const jc_code *code);

/* Length of the code as given to jc_code_new; 0 for a bad handle. */
size_t jc_code_size(const jc_code *code);

/* Copy the first `len` bytes of the executable copy into buf (for
 * disassembly).  0, or -1 if the handle is bad or len > jc_code_size(). */
int jc_code_read(const jc_code *code, unsigned char *buf, size_t len);

/* Thread-local message of this thread's last failure ("" if none). */
const char *jc_last_error(void);

/* The strategy in use for new code: "mprotect", "dualmap-memfd",
 * "dualmap-shm", "dualmap-file", or "none" when every strategy
 * was refused.  Probes on first use. */
const char *jc_strategy(void);

/* For tests: restrict the strategies tried to `name` -- one of the names
 * above, "dualmap" (any dual-mapping backing), "auto" (all, the default) or
 * "none" (refuse everything).  Existing chunks are retired (unmapped once
 * empty, never written again); the new strategy is probed at once.
 * Returns 0, or -1 if the name is unknown or the strategy is unavailable. */
int jc_force_strategy(const char *name);

/* Arena statistics; any pointer may be NULL.  bytes_mapped counts each
 * chunk once even when it is mapped twice (dual mapping). */
void jc_stats(size_t *chunks, size_t *bytes_mapped, size_t *bytes_live,
              size_t *blocks_live);

/* Run a generated function.  Entry ABI of every generated function:
 *     {status, value} entry(const int64_t *args, int64_t *out, int64_t depth,
 *                           volatile int64_t *poll)
 * rdi -> the arguments, rsi -> the result slots (tuples), rdx = nested native
 * calls still allowed, rcx -> a word the code polls: when it is nonzero the
 * code calls jc_poll_slow, which returns 1 when it should stop for Ctrl-C
 * (see call.c, interrupt.c, poll.c); rax is a status and rdx the
 * value of a scalar result, which these functions store into out[0]:
 * 0 = ok (*out holds the result), JC_STATUS_INTERRUPT = stopped for a
 * signal, anything else = "re-run this call in the interpreter".
 * Returns the status: 0, or a positive value (statuses outside 1..INT_MAX
 * are reported as INT_MAX), or -1 with jc_last_error() set if `code` is
 * NULL / not a live block or `out` is NULL. */
int jc_call(const jc_code *code, const int64_t *args, int64_t *out);

/* Nested native calls jc_call allows (jc_call_packed takes it as an argument). */
#define JC_DEFAULT_DEPTH 1000

/* The status of a call that stopped because SIGINT arrived (jitcore/abi.py). */
#define JC_STATUS_INTERRUPT 5
/* The code stopped where CPython raises: out[] holds the site and its
 * operands (jitcore/abi.py STATUS_RAISE). */
#define JC_STATUS_RAISE 7
/* Statuses from this one on mean a tuple, written to out[]; below it a
 * scalar result (if any; NumPy scalars are 16 + i, abi.py) comes back in
 * rdx, which the calls here store into out[0]. */
#define JC_STATUS_TUPLE 32

/* One argument or result slot of generated code: an int64, or a double's bits. */
typedef union { int64_t i; double d; } jc_value;

/* jc_call with arguments packed as bytes (8 each) and union result slots.
 * Safe without the GIL: while any such call runs, freed code is only queued
 * and returned to the arena when the last one ends. */
int jc_call_packed(const jc_code *code, const char *args, jc_value *out, int64_t depth);

/* The same for a caller that holds the GIL (csrc/fastcall.c).  The code
 * lets the GIL go once per switch interval and runs Python's signal handlers
 * (poll.c), so a handler's exception may be set when it returns
 * JC_STATUS_INTERRUPT.  Until the first of those nothing else can run, so
 * it skips jc_call_packed's two atomic counter updates until then. */
int jc_call_packed_gil(const jc_code *code, const char *args, jc_value *out, int64_t depth);

/* Put jitcore's SIGINT handler in front of the installed one (see
 * interrupt.c); `main_thread` is the pthread_t of the thread that runs
 * Python signal handlers (threading.main_thread().ident).  Returns 1 if ours
 * is installed (now or already), 0 if SIGINT is ignored or has its default
 * action (nothing installed), -1 on error (jc_last_error()). */
int jc_interrupt_install(unsigned long main_thread);

/* 1 if jitcore's SIGINT handler is the installed one. */
int jc_interrupt_installed(void);

/* The flag generated code polls (nonzero: a SIGINT arrived that no call
 * has handled yet), and a way to set it without a signal (for tests). */
int64_t jc_interrupt_pending(void);
void jc_interrupt_request(void);

/* What generated code calls when the word it polls is set (poll.c), with
 * that word: 0 = go on, 1 = return JC_STATUS_INTERRUPT. */
int jc_poll_slow(void *word);

/* With the GIL (so never through cffi, which lets it go; the Python call
 * path uses ctypes.PyDLL): if Python work native code did in place on this thread
 * (inplace.c: a signal handler, a warning) raised, set that exception and
 * return 1; else 0.  A call that returned JC_STATUS_INTERRUPT asks this
 * first. */
int jc_raise_taken(void);

/* What generated code calls (on the native stack) when a NumPy integer
 * operation of warn site `site` overflowed (jitcore/raising.py): NumPy's
 * warning, issued with the GIL.  0 = go on, 1 = the warning became an
 * exception (kept for jc_raise_taken): return JC_STATUS_INTERRUPT. */
int jc_warn_in_place(int64_t site);

/* sys.getswitchinterval(), which jc_poll_slow follows (poll.c). */
void jc_set_switch_interval(double seconds);

/* `check`, called with the GIL held, says whether another thread asked for
 * the GIL (jitcore._fastcall._gil_drop_check(), CPython 3.13+): then a long
 * call lets the GIL go only when asked, as CPython's eval loop does. */
void jc_set_gil_drop_check(void *check);

/* The stack generated code runs on (stack.c): each thread's is this many
 * bytes, aligned to its size; functions that make native calls return
 * JC_STATUS_DEPTH once rsp comes within JC_NATIVE_STACK_MARGIN of its
 * bottom, and no frame may be larger than JC_NATIVE_MAX_FRAME
 * (jitcore/abi.py repeats these). */
#define JC_NATIVE_STACK_BYTES 268435456
#define JC_NATIVE_STACK_MARGIN 1048576
#define JC_NATIVE_MAX_FRAME 262144
/* The status of a call whose native recursion ran out of depth budget or stack. */
#define JC_STATUS_DEPTH 6

/* 1 if this thread has a native stack (allocated on the first call), 0 if
 * none could be had: generated code then runs on the thread's stack. */
int jc_native_stack_ready(void);

/* 1 if the caller runs on this thread's native stack (for tests: Python
 * code never should). */
int jc_on_native_stack(void);

/* For tests: from the next call on, this thread's native code may use only
 * `usable` bytes of its native stack (0: all of it).  0, or -1 if this
 * thread has none. */
int jc_native_stack_shrink(size_t usable);

/* Stores into buffer arguments (undo.h has the record, jc_undo): allocate
 * a call's record at its first store (generated code calls this; 0 = ok),
 * and, after the call, put back what it stored (if `rollback`) and free it. */
struct jc_undo;
int jc_undo_begin(struct jc_undo *u);
void jc_undo_rollback_and_end(struct jc_undo *u, int rollback);

/* cffi-cdef: end */

#ifdef __cplusplus
}
#endif

#endif /* JITCORE_H */
