/*
 * call.c -- calling generated code from C (the native-call trampoline).
 *
 * Every generated function has one entry ABI (System V x86-64):
 *
 *     jc_result entry(const int64_t *args, int64_t *out, int64_t depth,
 *                     volatile int64_t *poll);
 *
 * where jc_result is { int64_t status; int64_t value; }, which System V
 * returns in rax:rdx.
 *
 *     rdi -> args[0..n-1], the arguments (8 bytes each)
 *     rsi -> out, the result slots
 *     rdx = depth: how many more nested native calls the recursion limit
 *           allows (generated code that calls other generated code checks
 *           and decrements it, and checks the stack, so deep recursion
 *           hands the call to the interpreter instead of overflowing)
 *     rcx -> the poll word (jc_poll_request), read at loop headers and at
 *           the entry of functions that call generated code: when it is
 *           nonzero the code calls jc_poll_slow (poll.c), which says whether
 *           to stop (SIGINT) or go on
 *     rax <- status: how to read the result (jitcore/abi.py): an int, bool
 *            or float result is rdx's 64 bits (the C functions here store
 *            them into out[0]); a tuple's elements are in out[0..];
 *            JC_STATUS_INTERRUPT = stopped for Ctrl-C, start again after
 *            CPython ran its signal handler;
 *            STATUS_DEOPT = "re-run this call in the interpreter"
 *            (e.g. int64 overflow); out is then undefined.
 *     rdx <- the value of a scalar result.  Native callers take it from the
 *            register, so a call's result never goes through memory.
 *
 * The functions here check the handle, note in the calling thread's jc_thread
 * whether the call holds the GIL, call the code on the thread's native stack
 * (stack.c) and report the status; a
 * status of JC_STATUS_INTERRUPT clears the pending SIGINT (the caller now
 * handles the signal).
 * They take no lock: the caller keeps the block alive for the duration of
 * the call (jitcore.runtime.CodeBlock, or fastcall.c's entry table), and
 * jc_call_packed also brackets the call for execmem.c, so code that another
 * thread frees meanwhile (a callee's, reached through a cell) stays mapped
 * until the call ends.  jc_call_packed_gil brackets only from the first
 * periodic poll on (poll.c): until then nothing else can run.
 */
#include "jc_internal.h"

#include <limits.h>

typedef struct { int64_t status; int64_t value; } jc_result;
/* `warn_in_place` (r8): 1 from here, 0 from native callers: only a call from
 * Python may issue NumPy's warnings in place (jitcore/abi.py). */
typedef jc_result (*jc_entry_fn)(const int64_t *args, int64_t *out, int64_t depth,
                                 volatile int64_t *poll, int64_t warn_in_place);

static int call_with_depth(const jc_code *code, const int64_t *args, int64_t *out,
                           int64_t depth, int holds_gil);

/* Read on every call: on glibc, in the static TLS block that glibc keeps
 * room in for modules loaded later (a fixed offset from %fs instead of a
 * __tls_get_addr call; musl has no such room). */
#if defined(__GLIBC__)
static __thread jc_thread t_thread __attribute__((tls_model("initial-exec")));
#else
static __thread jc_thread t_thread;
#endif

jc_thread *jc_this_thread(void)
{
    return &t_thread;
}

/* One entry call, as run on the native stack (stack.c). */
typedef struct {
    jc_entry_fn fn;
    const int64_t *args;
    int64_t *out;
    int64_t depth;
    jc_result result;
} entry_call;

static int64_t run_entry(void *ctx)
{
    entry_call *c = ctx;
    c->result = c->fn(c->args, c->out, c->depth, &jc_poll_request, 1);
    return 0;
}

int jc_call(const jc_code *code, const int64_t *args, int64_t *out)
{
    int status;
    jc_unlocked_call_begin();
    status = call_with_depth(code, args, out, JC_DEFAULT_DEPTH, 0);
    jc_unlocked_call_end();
    return status;
}

static int call_with_depth(const jc_code *code, const int64_t *args, int64_t *out,
                           int64_t depth, int holds_gil)
{
    entry_call call;
    jc_thread *thread;
    jc_result result;
    int64_t status;
    int outer_holds_gil, outer_bracketed;
    if (code == NULL || code->magic != JC_CODE_MAGIC) {
        jc_set_error("jc_call: %s code handle",
                     code == NULL ? "NULL" : "invalid or freed");
        return -1;
    }
    if (out == NULL) {
        jc_set_error("jc_call: out is NULL");
        return -1;
    }
    call.fn = (jc_entry_fn)code->addr;
    call.args = args;
    call.out = out;
    call.depth = depth;
    thread = &t_thread;
    /* A signal handler run by a poll (poll.c) may call jitted functions: this
     * call then nests in another one of the same thread, whose state comes back. */
    outer_holds_gil = thread->holds_gil;
    outer_bracketed = thread->bracketed;
    thread->holds_gil = holds_gil;
    thread->bracketed = 0;
    if (jc_sigint_pending && jc_on_main_thread())
        jc_poll_request = 1; /* another thread's poll let it pass: this call handles it */
    jc_run_on_native_stack(thread, run_entry, &call);
    result = call.result;
    if (thread->bracketed)
        jc_unlocked_call_end();
    thread->holds_gil = outer_holds_gil;
    thread->bracketed = outer_bracketed;
    status = result.status;
    /* A scalar result comes back in rdx; tuples (and a raise's site) are written to out. */
    if (status >= 0 && status < JC_STATUS_TUPLE && status != JC_STATUS_RAISE)
        out[0] = result.value;
    if (status == 0)
        return 0;
    if (status == JC_STATUS_INTERRUPT && jc_on_main_thread())
        jc_sigint_pending = 0; /* our caller lets CPython handle the signal */
    /* -1 is reserved for a bad handle: keep any other status non-zero and
     * positive. */
    if (status > 0 && status <= INT_MAX)
        return (int)status;
    return INT_MAX;
}

/*
 * jc_call_packed: the dispatcher's call. `args` is the arguments packed
 * by Python's struct module (8 bytes each: int64 or a double's bits), passed
 * without a copy; `out` is a union array, so a double result is read as
 * .d without another conversion in Python.
 */
int jc_call_packed(const jc_code *code, const char *args, jc_value *out, int64_t depth)
{
    int status;
    jc_unlocked_call_begin();
    status = call_with_depth(code, (const int64_t *)args, (int64_t *)out, depth, 0);
    jc_unlocked_call_end();
    return status;
}

int jc_call_packed_gil(const jc_code *code, const char *args, jc_value *out, int64_t depth)
{
    return call_with_depth(code, (const int64_t *)args, (int64_t *)out, depth, 1);
}
