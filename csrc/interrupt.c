/*
 * interrupt.c -- Ctrl-C stops a long native loop.
 *
 * CPython handles SIGINT in two halves: a C signal handler that only notes
 * the signal, and the Python-level handler (KeyboardInterrupt by default)
 * that the interpreter runs between bytecodes.  Native code has no bytecodes,
 * so a loop running in it would never let the second half run.
 *
 * jc_interrupt_install() puts a C handler of ours in front of the one that is
 * installed (CPython's): it notes the signal and then runs CPython's.
 * Generated code polls a word at every loop header and at the entry of
 * every function that calls other generated code (two loads and a compare,
 * no call), and returns JC_STATUS_INTERRUPT after a SIGINT; every native
 * caller passes that status up.  The C side that called the code from
 * Python clears the flag and lets CPython run the Python-level handler
 * (PyErr_CheckSignals in csrc/fastcall.c), which raises KeyboardInterrupt;
 * if the handler returns instead, the call starts again.  Functions are
 * pure, so stopping one half-way and starting it again is not observable.
 *
 * The handler sets jc_sigint_pending and the word every native call polls
 * (jc_poll_request); the poll's slow path (poll.c) returns
 * JC_STATUS_INTERRUPT only on the main thread, the one that runs Python
 * signal handlers: other threads go on and leave the signal to it.
 *
 * When Python code installs a new handler (signal.signal), CPython replaces
 * ours; jitcore installs it again before each compile
 * (jitcore.runtime.ensure_interrupt_handler), and the main thread's native
 * code does so from its periodic poll (jc_interrupt_reinstall: while that
 * thread runs native code no Python code of its own, which is the only code
 * allowed to call signal.signal, can run there).  A SIGINT that is ignored
 * or left to the default action is left alone.
 */
#if defined(__APPLE__)
#  ifndef _DARWIN_C_SOURCE
#    define _DARWIN_C_SOURCE /* sigaction, SA_SIGINFO under -std=c99 */
#  endif
#elif !defined(_POSIX_C_SOURCE)
#  define _POSIX_C_SOURCE 200809L
#endif

#include "jc_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

volatile int64_t jc_sigint_pending;

static pthread_t g_main_thread;
static int g_have_main_thread;
/* The handler that was installed before ours; ours runs it after setting
 * the flag.  Written only while ours is not installed. */
static struct sigaction g_chained;

static void on_sigint(int sig, siginfo_t *info, void *context)
{
    int saved_errno = errno;
    jc_sigint_pending = 1;
    jc_poll_request = 1;
    if (g_chained.sa_flags & SA_SIGINFO) {
        if (g_chained.sa_sigaction)
            g_chained.sa_sigaction(sig, info, context);
    }
    else if (g_chained.sa_handler != SIG_DFL && g_chained.sa_handler != SIG_IGN
             && g_chained.sa_handler != NULL) {
        g_chained.sa_handler(sig);
    }
    errno = saved_errno;
}

static int ours_installed(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_sigint;
}

/* Put ours in front of the installed handler: 1 if ours is installed (now
 * or already), 0 if SIGINT is ignored or has its default action. */
static int install(void)
{
    struct sigaction current, ours;
    if (sigaction(SIGINT, NULL, &current) != 0) {
        jc_set_error("jc_interrupt_install: sigaction: %s", strerror(errno));
        return -1;
    }
    if (ours_installed(&current))
        return 1;
    if (!(current.sa_flags & SA_SIGINFO)
        && (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN))
        return 0; /* nothing to chain to: the default action ends the process */
    g_chained = current;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_sigint;
    ours.sa_mask = current.sa_mask;
    ours.sa_flags = current.sa_flags | SA_SIGINFO;
    if (sigaction(SIGINT, &ours, NULL) != 0) {
        jc_set_error("jc_interrupt_install: sigaction: %s", strerror(errno));
        return -1;
    }
    return 1;
}

int jc_interrupt_install(unsigned long main_thread)
{
    g_main_thread = (pthread_t)main_thread;
    g_have_main_thread = 1;
    return install();
}

void jc_interrupt_reinstall(void)
{
    if (g_have_main_thread)
        (void)install();
}

int jc_interrupt_installed(void)
{
    struct sigaction current;
    if (sigaction(SIGINT, NULL, &current) != 0)
        return 0;
    return ours_installed(&current);
}

int64_t jc_interrupt_pending(void)
{
    return jc_sigint_pending;
}

void jc_interrupt_request(void)
{
    jc_sigint_pending = 1;
    jc_poll_request = 1;
}

int jc_on_main_thread(void)
{
    return g_have_main_thread && pthread_equal(pthread_self(), g_main_thread);
}
