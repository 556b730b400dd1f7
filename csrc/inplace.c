/*
 * inplace.c -- Python work native code does where CPython would do it, instead of
 * leaving the call to re-run it in CPython.
 *
 * A call that leaves native code re-runs in CPython from the start, which is
 * exact only if nothing it did is visible: stores into buffer arguments must be
 * rolled back first (undo.h), and anything else visible (a signal handler that
 * ran, a warning shown) would happen twice.  Some events do not need a re-run
 * at all: CPython would run a signal handler, show a warning or raise an
 * exception at that point and (unless it raised) go on.  Native code does the
 * same where it is (poll.c for signal handlers, jc_warn_in_place for NumPy's
 * warnings); the compiler (jitcore/passes/records.py) decides which events
 * are handled so and whether a call needs undo records at all.
 *
 * Such work needs the GIL: a call that holds it (csrc/fastcall.c) runs it
 * directly, a call without it (nogil=True, the cffi call path) takes it for
 * the time (PyGILState_Ensure), as a C library's callback does.  An
 * exception raised there is kept for the thread (jc_thread.raised), the
 * native code returns JC_STATUS_INTERRUPT, and the C caller raises it with
 * jc_raise_taken() once it holds the GIL again.  Python code runs on the
 * thread's own stack (jc_run_on_thread_stack), never on the native stack.
 *
 * Only the stable ABI is used (jitcore._native is an abi3 module).
 */
#define Py_LIMITED_API 0x030A0000
#include <Python.h>

#include "jc_internal.h"

/* From now on this call is bracketed for execmem.c as a call without the
 * GIL is: Python code that runs during it may free code it runs through. */
void jc_inplace_bracket(jc_thread *p)
{
    if (!p->bracketed) {
        jc_unlocked_call_begin();
        p->bracketed = 1;
    }
}

/* The GIL for work in place: taken if the call runs without it (which is
 * bracketed already, by jc_call_packed); a call that holds it is bracketed now. */
int jc_inplace_begin(jc_thread *p)
{
    if (p->holds_gil) {
        jc_inplace_bracket(p);
        return -1;
    }
    return (int)PyGILState_Ensure();
}

void jc_inplace_end(int state)
{
    if (state != -1)
        PyGILState_Release((PyGILState_STATE)state);
}

/* Keep the exception that is set (with the GIL) for jc_raise_taken. */
void jc_inplace_keep_exception(jc_thread *p)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (value != NULL && traceback != NULL)
        PyException_SetTraceback(value, traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    Py_XDECREF((PyObject *)p->raised);
    p->raised = value;
}

int jc_raise_taken(void)
{
    jc_thread *p = jc_this_thread();
    PyObject *value = (PyObject *)p->raised, *type;
    if (value == NULL)
        return 0;
    p->raised = NULL;
    type = (PyObject *)Py_TYPE(value);
    Py_INCREF(type);
    PyErr_Restore(type, value, PyException_GetTraceback(value)); /* steals all three */
    return 1;
}

/* -- NumPy's warnings ------------------------------------------------------ */

static PyObject *g_warn_at; /* jitcore.raising.warn_at, imported at the first warning */

typedef struct {
    jc_thread *p;
    int64_t site;
} warn_call;

static int64_t warn_on_thread_stack(void *ctx)
{
    warn_call *w = ctx;
    int state = jc_inplace_begin(w->p), raised = 1;
    PyObject *result = NULL;
    if (g_warn_at == NULL) {
        PyObject *module = PyImport_ImportModule("jitcore.raising");
        if (module != NULL) {
            g_warn_at = PyObject_GetAttrString(module, "warn_at");
            Py_DECREF(module);
        }
    }
    if (g_warn_at != NULL)
        result = PyObject_CallFunction(g_warn_at, "L", (long long)w->site);
    if (result == Py_None) {
        raised = 0;
        Py_DECREF(result);
    }
    else if (result != NULL && PyExceptionInstance_Check(result)) {
        Py_XDECREF((PyObject *)w->p->raised); /* the exception the warning became: kept */
        w->p->raised = result;
    }
    else {
        if (result != NULL) {
            Py_DECREF(result);
            PyErr_SetString(PyExc_SystemError, "jitcore.raising.warn_at returned no exception");
        }
        jc_inplace_keep_exception(w->p);
    }
    jc_inplace_end(state);
    return raised;
}

int jc_warn_in_place(int64_t site)
{
    warn_call w;
    w.p = jc_this_thread();
    w.site = site;
    return (int)jc_run_on_thread_stack(w.p, warn_on_thread_stack, &w);
}
