/*
 * stack.c -- the stack generated code runs on.
 *
 * CPython's recursion limit counts calls, not bytes, and from 3.11 on a
 * Python-to-Python call takes no C stack at all.  Native code that recursed
 * on the thread's own stack would run out of it long before the limit in a
 * thread made with a small threading.stack_size(), under a raised
 * sys.setrecursionlimit(), or with large frames.  So generated code runs on
 * a stack of jitcore's own, one per thread:
 *
 *   - JC_NATIVE_STACK_BYTES of address space, reserved without committing
 *     memory (MAP_NORESERVE: pages are committed as deep recursion touches
 *     them) and aligned to its own size;
 *   - the alignment is the stack check: a function that makes native calls
 *     tests, right after allocating its frame, whether rsp has come within
 *     JC_NATIVE_STACK_MARGIN of the bottom -- one `test rsp, imm32`, no
 *     memory load (jitcore/x86_64/lower.py) -- and if so returns
 *     JC_STATUS_DEPTH: the call then runs in CPython, which gives its own
 *     answer.  The margin is left to whatever runs below the deepest checked
 *     frame (a leaf function, a C helper, a signal handler's frame), and
 *     frames are capped at a quarter of it, so nothing ever reaches the
 *     guard page at the bottom;
 *   - anything that runs Python code while native code is under way (the
 *     periodic poll, poll.c, releases the GIL and runs signal handlers)
 *     switches back to the thread's own stack first: CPython 3.14+ checks
 *     C recursion against the thread's real stack bounds, and Python code
 *     should find the stack it expects.  A jitted call made from there
 *     continues on the native stack below the frames already on it.
 *
 * Where no native stack can be had (a system that refuses the reservation,
 * or a CPU other than x86-64), the code runs on the thread's stack and
 * csrc/fastcall.c caps the native depth by the stack the thread has left.
 * The stack check then only ever sends a call to CPython early.
 *
 * A thread's native stack is unmapped when the thread exits; a forked child
 * unmaps those of the threads it did not inherit.
 */
#define _GNU_SOURCE
#include "jc_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__linux__) || defined(__APPLE__))
#define JC_HAVE_STACK_SWITCH 1
#else
#define JC_HAVE_STACK_SWITCH 0
#endif

/* Bytes kept between a switch point and the stack a switch starts there:
 * more than the frames of the function that switches and of the switch. */
#define JC_SWITCH_GAP 2048
#define JC_GUARD_BYTES 65536

typedef struct jc_stack {
    char *base;              /* aligned to JC_NATIVE_STACK_BYTES */
    struct jc_stack *next;   /* every thread's, for a forked child */
} jc_stack;

static pthread_mutex_t g_stacks_lock = PTHREAD_MUTEX_INITIALIZER;
static jc_stack *g_stacks;       /* under g_stacks_lock */
static pthread_key_t g_exit_key; /* its destructor unmaps a thread's stack */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_once_ok;

static char *aligned_below(char *p, size_t gap)
{
    return (char *)(((uintptr_t)p - gap) & ~(uintptr_t)15);
}

/* -- switching -------------------------------------------------------- */

#if JC_HAVE_STACK_SWITCH
#if defined(__APPLE__)
#define JC_SYM(name) "_" #name
#define JC_HIDE(name) ".private_extern _" #name "\n"
#define JC_TYPE(name) ""
#define JC_SIZE(name) ""
#else
#define JC_SYM(name) #name
#define JC_HIDE(name) ".hidden " #name "\n"
#define JC_TYPE(name) ".type " #name ", @function\n"
#define JC_SIZE(name) ".size " #name ", .-" #name "\n"
#endif

/* int64_t jc_switch_stack(void *ctx, int64_t (*fn)(void *), char *sp):
 * fn(ctx) with rsp = sp (16-byte aligned), then back.  rbp holds the old
 * rsp across the call (fn preserves it, as System V says), and the CFI
 * describes the frame through rbp, so debuggers unwind across the switch. */
__asm__(".text\n"
        ".p2align 4\n"
        ".globl " JC_SYM(jc_switch_stack) "\n"
        JC_HIDE(jc_switch_stack)
        JC_TYPE(jc_switch_stack)
        JC_SYM(jc_switch_stack) ":\n"
        "    .cfi_startproc\n"
        "    pushq %rbp\n"
        "    .cfi_def_cfa_offset 16\n"
        "    .cfi_offset %rbp, -16\n"
        "    movq %rsp, %rbp\n"
        "    .cfi_def_cfa_register %rbp\n"
        "    movq %rdx, %rsp\n"
        "    callq *%rsi\n"
        "    movq %rbp, %rsp\n"
        "    popq %rbp\n"
        "    .cfi_def_cfa %rsp, 8\n"
        "    retq\n"
        "    .cfi_endproc\n"
        JC_SIZE(jc_switch_stack));

int64_t jc_switch_stack(void *ctx, jc_stack_fn fn, char *sp);
#endif

/* -- the stacks ------------------------------------------------------- */

static void unmap_stack(jc_stack *s)
{
    munmap(s->base, JC_NATIVE_STACK_BYTES);
    free(s);
}

static void forget_stack(jc_stack *s)
{
    jc_stack **p;
    pthread_mutex_lock(&g_stacks_lock);
    for (p = &g_stacks; *p != NULL; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&g_stacks_lock);
}

static void thread_exit(void *arg)
{
    jc_stack *s = arg;
    forget_stack(s);
    unmap_stack(s);
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&g_stacks_lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&g_stacks_lock);
}

/* Only the forking thread lives on in the child: the other threads'
 * stacks are memory nobody will use again. */
static void atfork_child(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    jc_stack *s = g_stacks, *next;
    g_stacks = NULL;
    g_stacks_lock = fresh;
    for (; s != NULL; s = next) {
        next = s->next;
        if (s == jc_this_thread()->stack.stack) {
            s->next = g_stacks;
            g_stacks = s;
        }
        else {
            unmap_stack(s);
        }
    }
}

static void init_once(void)
{
    if (pthread_key_create(&g_exit_key, thread_exit) != 0)
        return;
    if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child) != 0)
        return;
    g_once_ok = 1;
}

/* JC_NATIVE_STACK_BYTES of address space aligned to its size, the bottom
 * JC_GUARD_BYTES inaccessible, the rest read/write and committed lazily. */
static char *map_stack(void)
{
    size_t size = JC_NATIVE_STACK_BYTES;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    char *p, *base;
    size_t head, tail;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
#ifdef MAP_STACK
    flags |= MAP_STACK;
#endif
    p = mmap(NULL, 2 * size, PROT_NONE, flags, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    base = (char *)(((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1));
    head = (size_t)(base - p);
    tail = 2 * size - head - size;
    if (head)
        munmap(p, head);
    if (tail)
        munmap(base + size, tail);
    if (mprotect(base + JC_GUARD_BYTES, size - JC_GUARD_BYTES, PROT_READ | PROT_WRITE) != 0) {
        munmap(base, size);
        return NULL;
    }
#ifdef MADV_NOHUGEPAGE
    /* a recursion a few frames deep should not commit a 2 MB page */
    madvise(base, size, MADV_NOHUGEPAGE);
#endif
    return base;
}

/* This thread's native stack, allocated on first use; 0 if there is none. */
static int stack_ready(jc_thread_stack *t)
{
    jc_stack *s;
    if (t->state != 0)
        return t->state > 0;
    t->state = -1;
    if (!JC_HAVE_STACK_SWITCH)
        return 0;
    pthread_once(&g_once, init_once);
    if (!g_once_ok)
        return 0;
    s = malloc(sizeof *s);
    if (s == NULL)
        return 0;
    s->base = map_stack();
    if (s->base == NULL) {
        free(s);
        return 0;
    }
    if (pthread_setspecific(g_exit_key, s) != 0) {
        unmap_stack(s);
        return 0;
    }
    pthread_mutex_lock(&g_stacks_lock);
    s->next = g_stacks;
    g_stacks = s;
    pthread_mutex_unlock(&g_stacks_lock);
    t->stack = s;
    t->native_sp = s->base + JC_NATIVE_STACK_BYTES;
    t->state = 1;
    return 1;
}

int jc_native_stack_ready(void)
{
    return stack_ready(&jc_this_thread()->stack);
}

int64_t jc_run_on_native_stack(jc_thread *thread, jc_stack_fn fn, void *ctx)
{
#if JC_HAVE_STACK_SWITCH
    jc_thread_stack *t = &thread->stack;
    char here;
    char *outer_thread_sp;
    int64_t result;
    if (t->on_native || !stack_ready(t))
        return fn(ctx);
    outer_thread_sp = t->thread_sp;
    t->thread_sp = aligned_below(&here, JC_SWITCH_GAP);
    t->on_native = 1;
    result = jc_switch_stack(ctx, fn, t->native_sp);
    t->on_native = 0;
    t->thread_sp = outer_thread_sp;
    return result;
#else
    (void)thread;
    return fn(ctx);
#endif
}

int64_t jc_run_on_thread_stack(jc_thread *thread, jc_stack_fn fn, void *ctx)
{
#if JC_HAVE_STACK_SWITCH
    jc_thread_stack *t = &thread->stack;
    char here;
    char *outer_native_sp;
    int64_t result;
    if (!t->on_native)
        return fn(ctx);
    outer_native_sp = t->native_sp;
    t->native_sp = aligned_below(&here, JC_SWITCH_GAP);
    t->on_native = 0;
    result = jc_switch_stack(ctx, fn, t->thread_sp);
    t->on_native = 1;
    t->native_sp = outer_native_sp;
    return result;
#else
    (void)thread;
    return fn(ctx);
#endif
}

int jc_on_native_stack(void)
{
    char here;
    jc_thread_stack *t = &jc_this_thread()->stack;
    uintptr_t sp = (uintptr_t)&here, base;
    if (t->state <= 0)
        return 0;
    base = (uintptr_t)t->stack->base;
    return sp >= base && sp < base + JC_NATIVE_STACK_BYTES;
}

int jc_native_stack_shrink(size_t usable)
{
    jc_thread_stack *t = &jc_this_thread()->stack;
    char *top;
    if (t->on_native || !stack_ready(t))
        return -1;
    top = t->stack->base + JC_NATIVE_STACK_BYTES;
    if (usable != 0 && usable < JC_NATIVE_STACK_BYTES - JC_NATIVE_STACK_MARGIN)
        top = aligned_below(t->stack->base + JC_NATIVE_STACK_MARGIN + usable, 0);
    t->native_sp = top;
    return 0;
}
