/*
 * poll.c -- what a long native call does once per switch interval.
 *
 * CPython's eval loop checks its "eval breaker" at loop back-edges and calls:
 * there it gives the GIL to a thread that asked for it, and the main thread
 * runs Python signal handlers.  Generated code polls at the same places
 * (jitcore/x86_64/lower.py): one word, jc_poll_request, with a load and a
 * compare.  When the word is set, the code calls jc_poll_slow() out of line,
 * with every register it uses saved.  Two things set the word:
 *
 *   - the SIGINT handler (interrupt.c), at once;
 *   - a watchdog thread, a fraction of a switch interval (sys.getswitchinterval(),
 *     5 ms by default) after a poll last cleared it (see poll_period_ns).
 *     While no native code polls,
 *     the word stays set and the watchdog sleeps on a condition variable: an
 *     idle process has no timer running.
 *
 * jc_poll_slow() clears the word and wakes the watchdog, then:
 *
 *   - on the main thread, puts jitcore's SIGINT handler back if Python code
 *     replaced it (interrupt.c), and after a SIGINT runs Python's signal
 *     handlers where the code is, as CPython runs them between two
 *     bytecodes, with the GIL (taken for the time if the call runs without
 *     it, inplace.c): a handler that returns lets the call go on, one that
 *     raises (KeyboardInterrupt) makes it return JC_STATUS_INTERRUPT with
 *     the exception kept for its caller (jc_raise_taken);
 *   - if the call holds the GIL (a jitted function without nogil=True, called
 *     through csrc/fastcall.c): runs Python's signal handlers (the main
 *     thread only; CPython does nothing on others), then, if another thread
 *     asked for the GIL (or, before 3.13, always), releases it and takes it
 *     back.  CPython hands it to the thread that asked before this thread
 *     gets it back: other threads
 *     run, and a main thread blocked in join() or sleep() handles Ctrl-C and
 *     exits, as under CPython.  A handler that raises makes the native code
 *     return JC_STATUS_INTERRUPT, its exception kept as above.
 *
 * Once the GIL was released or a handler ran, other code may free code
 * (another function's, which this call may be running through a call), so
 * the call is from then on bracketed for execmem.c as a call without the
 * GIL is (jc_unlocked_call_begin; call.c ends it).
 *
 * The watchdog never touches Python, so it neither holds up interpreter exit
 * nor needs the GIL. A fork stops it first (a process that forks with a
 * thread of jitcore's would risk its child, and CPython 3.12+ warns of
 * threads at fork): parent and child start a new one on their next poll.
 *
 * The Python headers come first, as Python requires; only the stable ABI is
 * used (jitcore._native is an abi3 module).
 */
#define Py_LIMITED_API 0x030A0000
#include <Python.h>

#include "jc_internal.h"

#include <pthread.h>
#include <time.h>
#if defined(__linux__)
#  include <sched.h>
#  include <stdio.h>
#  include <sys/syscall.h>
#  include <unistd.h>
#endif

/* Set at first, so that the first poll starts the watchdog. */
volatile int64_t jc_poll_request = 1;


/* A thread waiting for the GIL asks for it (gil_drop_request) once it has
 * waited a whole switch interval without the GIL changing hands, and the
 * GIL then goes to it at the holder's next release; a release before that
 * starts its wait over (CPython's take_gil).  Where the request can be read
 * (3.13+, g_drop_requested), the poll comes 4 times an interval and lets
 * the GIL go only when asked: the GIL changes hands within a quarter
 * interval of CPython's time.  Elsewhere the watchdog waits a little longer
 * than an interval and the poll always lets go: the waiter has asked by
 * then, and gets the GIL about an interval after it began to wait. */
static int (*volatile g_drop_requested)(void);

void jc_set_gil_drop_check(void *check)
{
    g_drop_requested = (int (*)(void))check;
}

static int64_t poll_period_ns(int64_t switch_ns)
{
    return g_drop_requested != NULL ? switch_ns / 4 : switch_ns + switch_ns / 4;
}

/* sys.getswitchinterval() in ns, as last told by jc_set_switch_interval. */
static volatile int64_t g_switch_ns = 5000000;

void jc_set_switch_interval(double seconds)
{
    if (seconds > 0 && seconds < 1e6)
        g_switch_ns = (int64_t)(seconds * 1e9);
}

/* -- the watchdog ----------------------------------------------------- */

/* The watchdog sleeps on a condition variable of its own (g_wake) so that a
 * fork can stop it at once: fork() in a process with more than one thread
 * may deadlock the child, and CPython 3.12+ warns of it
 * (DeprecationWarning, "This process ... is multi-threaded"), which a
 * program that never started a thread must not see because of jitcore.
 * So pthread_atfork's prepare handler stops and joins the watchdog, the
 * fork happens with the caller's threads alone, and the first poll after
 * it (in parent or child) starts a new one. The sleep's deadline is on the
 * monotonic clock (a change of the wall clock must not stretch it);
 * macOS has no pthread_condattr_setclock and sleeps relative to now. */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cleared = PTHREAD_COND_INITIALIZER; /* a poll cleared the word */
static pthread_cond_t g_wake;                               /* stop now (init_wake_cond) */
static pthread_t g_thread;                                  /* the watchdog, if running */
static int g_watchdog_running; /* under g_lock */
static int g_stop;             /* under g_lock: the watchdog is to return */
static int g_initialized;      /* under g_lock: g_wake made, atfork handlers in place */

#if !defined(__APPLE__)
static clockid_t g_wake_clock = CLOCK_REALTIME; /* the clock g_wake's deadlines are on */
#endif

static void init_wake_cond(void)
{
#if defined(__APPLE__)
    pthread_cond_init(&g_wake, NULL);
#else
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    /* (where the monotonic clock cannot be had, deadlines follow the wall clock) */
    g_wake_clock = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 ? CLOCK_MONOTONIC
                                                                          : CLOCK_REALTIME;
    pthread_cond_init(&g_wake, &attr);
    pthread_condattr_destroy(&attr);
#endif
}

/* Sleep one period unless stopped; returns with g_lock held. */
static void sleep_period(int64_t ns)
{
#if defined(__APPLE__)
    struct timespec pause;
    pause.tv_sec = (time_t)(ns / 1000000000);
    pause.tv_nsec = (long)(ns % 1000000000);
    /* (0: woken, or spuriously, which sleeps a whole period again: harmless) */
    while (!g_stop && pthread_cond_timedwait_relative_np(&g_wake, &g_lock, &pause) == 0)
        ;
#else
    struct timespec deadline;
    clock_gettime(g_wake_clock, &deadline);
    deadline.tv_sec += (time_t)(ns / 1000000000);
    deadline.tv_nsec += (long)(ns % 1000000000);
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000;
    }
    /* (0: woken or spuriously; ETIMEDOUT, or an error, ends the sleep) */
    while (!g_stop && pthread_cond_timedwait(&g_wake, &g_lock, &deadline) == 0)
        ;
#endif
}

#if defined(__linux__)
static long g_watchdog_tid; /* under g_lock: its kernel thread id */

/* pthread_join returns once the thread's stack may be reused, a moment
 * before the kernel stops counting the thread (/proc/self/stat, which
 * CPython 3.12+ reads after fork() to warn of threads): wait that moment
 * out, until its /proc entry is gone (a few microseconds; bounded). */
static void wait_until_gone(long tid)
{
    char path[64];
    int i;
    snprintf(path, sizeof path, "/proc/self/task/%ld", tid);
    for (i = 0; i < 10000 && access(path, F_OK) == 0; i++)
        sched_yield();
}
#endif

static void *watchdog(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&g_lock);
#if defined(__linux__)
    g_watchdog_tid = (long)syscall(SYS_gettid);
#endif
    while (!g_stop) {
        if (jc_poll_request != 0) { /* no poll since it was set: nothing to time */
            pthread_cond_wait(&g_cleared, &g_lock);
            continue;
        }
        sleep_period(poll_period_ns(g_switch_ns));
        if (!g_stop)
            jc_poll_request = 1;
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

/* Before fork(): stop the watchdog and keep g_lock, so that none starts
 * until the fork is done (rearm waits). */
static void atfork_prepare(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_watchdog_running) {
        g_stop = 1;
        pthread_cond_broadcast(&g_wake);
        pthread_cond_broadcast(&g_cleared);
        pthread_mutex_unlock(&g_lock);
        pthread_join(g_thread, NULL);
        pthread_mutex_lock(&g_lock);
#if defined(__linux__)
        if (g_watchdog_tid > 0)
            wait_until_gone(g_watchdog_tid);
        g_watchdog_tid = 0;
#endif
        g_stop = 0;
        g_watchdog_running = 0;
    }
}

/* After fork() in the parent: native code still running (another thread's)
 * polls at once, and that poll starts a new watchdog. */
static void atfork_parent(void)
{
    jc_poll_request = 1;
    pthread_mutex_unlock(&g_lock);
}

/* In the child only the forking thread exists: fresh state, no watchdog. */
static void atfork_child(void)
{
    pthread_mutex_t fresh_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
    g_lock = fresh_lock;
    g_cleared = fresh_cond;
    pthread_cond_destroy(&g_wake); /* (its waiter is gone with the parent's threads) */
    init_wake_cond();
    g_stop = 0;
    g_watchdog_running = 0;
#if defined(__linux__)
    g_watchdog_tid = 0;
#endif
    jc_poll_request = 1;
}

/* Clear the request and have the watchdog set it again in one interval. */
static void rearm(void)
{
    pthread_mutex_lock(&g_lock);
    jc_poll_request = 0;
    if (!g_initialized) {
        init_wake_cond();
        if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child) == 0)
            g_initialized = 1;
    }
    if (!g_watchdog_running && g_initialized) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        /* No watchdog (no threads left?): the word stays clear, and native
         * code polls only for SIGINT, as it did before there was one. */
        if (pthread_create(&g_thread, &attr, watchdog, NULL) == 0)
            g_watchdog_running = 1;
        pthread_attr_destroy(&attr);
    }
    pthread_cond_signal(&g_cleared);
    pthread_mutex_unlock(&g_lock);
}

/* -- the slow path ---------------------------------------------------- */

/* After a SIGINT, on the main thread: Python's signal handlers run here, as
 * CPython runs them between two bytecodes, with the GIL (taken for the
 * time if this call runs without it).  A handler that returns lets the
 * call go on; one that raises (KeyboardInterrupt) stops it: 1, and the
 * exception is kept for the caller (inplace.c). */
static int64_t handle_sigint(jc_thread *p)
{
    int state, raised;
    jc_sigint_pending = 0;
    state = jc_inplace_begin(p);
    raised = PyErr_CheckSignals() < 0;
    if (raised)
        jc_inplace_keep_exception(p);
    jc_inplace_end(state);
    return raised;
}

/* The slow path proper, on the thread's own stack. */
static int64_t poll_slow(void *unused)
{
    jc_thread *p = jc_this_thread();
    (void)unused;
    rearm();
    if (jc_on_main_thread()) {
        jc_interrupt_reinstall();
        if (jc_sigint_pending)
            return handle_sigint(p);
    }
    if (p->holds_gil) {
        PyThreadState *tstate;
        jc_inplace_bracket(p); /* a handler, or another thread, may free code */
        if (PyErr_CheckSignals() < 0) {
            jc_inplace_keep_exception(p);
            return 1; /* a handler raised */
        }
        if (g_drop_requested == NULL || g_drop_requested()) {
            tstate = PyEval_SaveThread();
            PyEval_RestoreThread(tstate);
        }
    }
    return 0;
}

/* Generated code calls this on the native stack (stack.c); Python code
 * (signal handlers, another thread taking the GIL here) runs on the
 * thread's own. */
int jc_poll_slow(void *word)
{
    (void)word; /* always jc_poll_request, which generated code was given */
    return (int)jc_run_on_thread_stack(jc_this_thread(), poll_slow, NULL);
}
