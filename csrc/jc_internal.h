/*
 * jc_internal.h -- what execmem.c and call.c share; not part of the API.
 */
#ifndef JC_INTERNAL_H
#define JC_INTERNAL_H

#include "jitcore.h"

/* A live jc_code carries this magic; jc_code_free clears it.  Descriptors
 * are recycled by the arena, never handed back to malloc, so a stale
 * handle still points at a readable descriptor whose magic is cleared
 * (until the descriptor is reused, which is delayed; see execmem.c). */
#define JC_CODE_MAGIC ((uint64_t)0x6a6974636f646531ULL) /* "jitcode1" */

struct jc_chunk;

struct jc_code {
    uint64_t magic;          /* JC_CODE_MAGIC while live, 0 once freed */
    uintptr_t addr;          /* executable address of the code */
    size_t len;              /* code length as given */
    size_t alloc;            /* bytes taken from the chunk (len rounded up) */
    size_t off;              /* offset of the block inside its chunk */
    struct jc_chunk *chunk;  /* owning chunk */
    struct jc_code *next;    /* descriptor recycling queue */
};

/* What generated code polls at loop headers and at the entry of functions
 * that call generated code: its `poll` argument points at a word, and
 * when the word is nonzero the code calls jc_poll_slow (poll.c) with it.
 * Every call gets jc_poll_request, which SIGINT sets (interrupt.c) and the
 * watchdog sets once per switch interval (poll.c). */
extern volatile int64_t jc_poll_request;

/* This thread's native stack (stack.c). */
typedef struct jc_thread_stack {
    int state;              /* 0: not tried yet; 1: ready; -1: none to be had */
    int on_native;          /* this thread's code runs on its native stack now */
    struct jc_stack *stack;
    char *native_sp;        /* where code entering the native stack starts */
    char *thread_sp;        /* where code leaving it for the thread's stack starts */
} jc_thread_stack;

/* The state of native calls on this thread, in one thread-local (one
 * lookup per call): what jc_poll_slow needs to know of the call under way,
 * and the native stack. */
typedef struct jc_thread {
    int holds_gil;  /* the call runs with the GIL held */
    int bracketed;  /* jc_poll_slow() called jc_unlocked_call_begin() for it */
    void *raised;   /* a PyObject *: an exception raised in place (inplace.c) */
    jc_thread_stack stack;
} jc_thread;
jc_thread *jc_this_thread(void);

/* inplace.c: the GIL for Python work native code does in place (-1 or a
 * PyGILState_STATE for jc_inplace_end), and an exception raised there,
 * kept for the thread until its C caller raises it (jc_raise_taken). */
void jc_inplace_bracket(jc_thread *p);
int jc_inplace_begin(jc_thread *p);
void jc_inplace_end(int state);
void jc_inplace_keep_exception(jc_thread *p);

/* interrupt.c: a SIGINT that no native call of the main thread has handled
 * yet; whether this is the thread that runs Python signal handlers; putting
 * jitcore's handler back in front if Python code replaced it. */
extern volatile int64_t jc_sigint_pending;
int jc_on_main_thread(void);
void jc_interrupt_reinstall(void);

/* execmem.c: brackets around a call that may run without the GIL; code
 * freed meanwhile is queued until the last such call ends. */
void jc_unlocked_call_begin(void);
void jc_unlocked_call_end(void);

/* stack.c: run fn(ctx) on this thread's native stack (where generated code
 * runs), or back on the thread's own stack (where Python code runs); each
 * calls fn directly when it already runs there, the first also when the
 * thread has no native stack. */
typedef int64_t (*jc_stack_fn)(void *ctx);
int64_t jc_run_on_native_stack(jc_thread *t, jc_stack_fn fn, void *ctx);
int64_t jc_run_on_thread_stack(jc_thread *t, jc_stack_fn fn, void *ctx);

/* Set this thread's error message (printf-style). */
void jc_set_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif /* JC_INTERNAL_H */
