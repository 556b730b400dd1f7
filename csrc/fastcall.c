/*
 * fastcall.c -- jitcore._fastcall: the fast path of a call to a jitted function.
 *
 * A plain CPython extension (no cffi), built next to jitcore._native by
 * setup.py.  It defines one type, DispatcherBase, that jitcore.dispatcher's
 * Dispatcher subclasses.  DispatcherBase implements the call (tp_call and
 * vectorcall) for the common case only:
 *
 *   - no keyword arguments;
 *   - every argument is exactly an int, a bool or a float (subclasses such as
 *     IntEnum do not count), and their types are a signature the Python side
 *     registered with _add_entry() after compiling it;
 *   - every int fits in int64 (if one does not, it runs self.py_func(*args)
 *     at once, which is what the Python path does then).
 *
 * Then it packs the arguments into 8-byte slots, calls the native code through
 * jc_call_packed (csrc/call.c: the very function the Python path calls, with
 * its check of the code handle) and boxes the result by the status the code
 * returns (jitcore/abi.py).  On STATUS_DEOPT it runs self.py_func(*args), as
 * the Python path does.  Everything else -- a new signature, keywords, wrong
 * arity, other types -- goes to the Python method self._call_slow(*args,
 * **kwargs), and an unexpected status to self._status_error(status), which
 * do exactly what the Python-only dispatcher did.  So the fast path changes
 * the speed of a call, never its result.
 *
 * The native code runs with the GIL held (releasing and taking it back would
 * cost as much as the rest of the call; a long call lets it go once per
 * switch interval, csrc/poll.c), through jc_call_packed_gil, unless
 * the function was jitted with nogil=True (_set_nogil): then the GIL is
 * released around the native call, which goes through jc_call_packed (the
 * one that is safe without the GIL; cffi, which the Python path uses, also
 * releases the GIL).
 *
 * Ctrl-C: native code runs Python's signal handlers where it polls (csrc/poll.c,
 * csrc/inplace.c); one that raises there makes it return FC_STATUS_INTERRUPT
 * with the exception kept for the thread, which jc_raise_taken sets here
 * (the stores before it stay, as CPython's would).  A FC_STATUS_INTERRUPT
 * without one runs the handlers here and calls again.
 *
 * Safety:
 *   - each entry holds a strong reference to an `owner` object (the Python
 *     side's _Entry, which keeps the CodeBlock alive), so code cannot be freed
 *     while it is registered; entries go away only through _remove_entry(),
 *     tp_clear or deallocation;
 *   - between looking up an entry and the native call nothing can run Python
 *     code (exact ints and floats are unboxed without calling anything,
 *     nothing is allocated), so no other thread can change the table
 *     meanwhile; during the call (which may let the GIL go, csrc/poll.c) a
 *     reference keeps the entry; before boxing a tuple (which allocates, and
 *     so may run a garbage collection and finalizers), the shape is copied to
 *     the stack;
 *   - everything handed in by Python is checked; the module does nothing
 *     until _set_call_packed() gives it the address of jc_call_packed.
 *
 * The module does not declare itself free-threading safe: on a free-threaded
 * build CPython keeps the GIL enabled when it imports it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jitcore.h" /* jc_code, jc_value */
#include "undo.h" /* jc_undo: stores into buffer arguments, taken back by a re-run */
#include "pyversions.h" /* jc_python_frames_left, ... */

/* Must match jitcore/abi.py (tests/test_fastcall.py checks). */
#define FC_STATUS_INT 0
#define FC_STATUS_DEOPT 1
#define FC_STATUS_NONE 2
#define FC_STATUS_BOOL 3
#define FC_STATUS_FLOAT 4
#define FC_STATUS_INTERRUPT 5
#define FC_STATUS_DEPTH 6
#define FC_STATUS_RAISE 7
#define FC_STATUS_TUPLE 32
#define FC_MAX_RESULT_SLOTS 16
#define FC_MAX_NATIVE_DEPTH 10000 /* on a thread's own stack (abi.MAX_NATIVE_DEPTH) */
#define FC_MAX_BUDGET (1 << 30) /* abi.MAX_NATIVE_BUDGET */

/* A signature whose last FC_DEOPTS_BEFORE_SKIPPING calls all deopted runs the
 * next `skip_next` calls in CPython without trying native code (starting at
 * FC_SKIP_FIRST, doubling each time the streak goes on after native code is
 * tried again, up to FC_SKIP_MAX); a call that finishes natively resets it.
 * add(2**62, 2**62) took 1.7x CPython's time with a native attempt each call. */
#define FC_DEOPTS_BEFORE_SKIPPING 4
#define FC_SKIP_FIRST 16
#define FC_SKIP_MAX 4096

/* Limits of the fast path; signatures beyond them run through Python. */
#define FC_MAX_ARGS 32
#define FC_MAX_ENTRIES 16
#define FC_MAX_SHAPES 4096

/* Argument and result kinds (0 = anything else). */
#define FC_KIND_INT 1
#define FC_KIND_BOOL 2
#define FC_KIND_FLOAT 3
#define FC_KIND_BUFFER 4 /* a 1-D contiguous buffer: three slots, address, length, undo record */
#define FC_KIND_NONE 5 /* None: an argument without a slot, or None in a returned tuple */
#define FC_KIND_TUPLE 6 /* a tuple: its items in slots, as its shape (FC_KIND_NEST) says */
/* Result kinds from here on: a NumPy scalar of the (kind - FC_KIND_NUMPY)-th
 * type of ir.NUMPY_SCALARS (its status is FC_STATUS_NUMPY + the same index). */
#define FC_KIND_NUMPY 16
/* In a tuple shape's encoding: a tuple, its item count in the next byte, then
 * its items (kinds, or nested tuples).  A shape holds at most
 * FC_MAX_RESULT_SLOTS slots; its encoding, two more bytes per tuple. */
#define FC_KIND_NEST 64
#define FC_SHAPE_BYTES (3 * FC_MAX_RESULT_SLOTS)
#define FC_STATUS_NUMPY 16
#define FC_NUMPY_TYPES 13
#define FC_MAX_SLOTS 6 /* the most argument slots one argument takes (a strided 2-D array) */

typedef int (*fc_call_packed_fn)(const jc_code *code, const char *args, jc_value *out,
                                 int64_t depth);

/* jc_call_packed_gil and jc_call_packed from jitcore._native, set once by
 * _set_call_packed(): the first for calls holding the GIL, the second for
 * calls without it. */
static fc_call_packed_fn g_call_packed_gil = NULL;
static fc_call_packed_fn g_call_packed = NULL;
/* jc_native_stack_ready, from the same place: whether this thread's native
 * code runs on a stack of jitcore's own (csrc/stack.c). */
static int (*g_native_stack_ready)(void) = NULL;
/* jc_raise_taken (csrc/inplace.c), from the same place: sets the exception
 * that Python work the native code did in place raised, if any (1). */
static int (*g_raise_taken)(void) = NULL;

typedef struct {
    Py_ssize_t nargs;
    unsigned char kinds[FC_MAX_ARGS];
    const jc_code *code;
    Py_ssize_t nshapes;
    unsigned char *shape_len;   /* [nshapes]: the bytes of each encoding */
    unsigned char *shape_kinds; /* [nshapes][FC_SHAPE_BYTES]: encoded (FC_KIND_NEST) */
    PyObject *key;              /* the tuple of argument types */
    PyObject *owner;            /* keeps the native code alive */
    Py_ssize_t refs;            /* the table's reference, plus nogil calls under way */
    Py_ssize_t frame_bytes;     /* the largest native activation a call may stack (budget unit) */
    PyObject *buffer_type[FC_MAX_ARGS]; /* FC_KIND_BUFFER arguments: their exact type, */
    char buffer_code[FC_MAX_ARGS];      /* their element's struct code */
    char buffer_readonly[FC_MAX_ARGS];  /* whether they refuse stores, */
    char buffer_ndim[FC_MAX_ARGS];      /* 0 for a flat buffer, else a NumPy array's dimensions, */
    char buffer_strided[FC_MAX_ARGS];   /* and for those whether they are not C-contiguous */
    int has_buffers;                    /* any FC_KIND_BUFFER argument */
    unsigned char *tuple_shape[FC_MAX_ARGS]; /* FC_KIND_TUPLE arguments: their shape, encoded, */
    unsigned char tuple_slots[FC_MAX_ARGS];  /* and the slots their items take */
    int has_tuples;                          /* any FC_KIND_TUPLE argument */
    char records;                       /* the code keeps undo records (else their slots are 0) */
    /* Adaptive: a signature whose calls keep deopting runs its next calls in
     * CPython directly (the native attempt would only add its cost), then
     * tries native code again; see FC_DEOPTS_BEFORE_SKIPPING. */
    unsigned int deopts_in_a_row;
    unsigned int skip;                  /* calls left to run in CPython directly */
    unsigned int skip_next;             /* how many the next streak of deopts skips */
} fc_entry;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    Py_ssize_t nentries;
    int nogil; /* release the GIL while native code runs */
    fc_entry *entries[FC_MAX_ENTRIES];
    /* The function calls that native code cannot finish re-run: kept here
     * (the py_func attribute is this slot) so a re-run needs no attribute
     * lookup, and a reassigned py_func is the one that runs. */
    PyObject *py_func;
} DispatcherBaseObject;

static PyTypeObject DispatcherBase_Type;

static PyObject *str_call_slow;    /* "_call_slow" */
/* What _call_slow returns when the call must run in py_func: the caller here
 * then calls py_func itself (in depth fallback for the second), so the user's
 * function runs with no Python frame of jitcore's above it -- recursion depth
 * exactly as in CPython. */
static PyObject *run_py_func;               /* _fastcall.RUN_PY_FUNC */
static PyObject *run_py_func_depth_fallback; /* _fastcall.RUN_PY_FUNC_IN_DEPTH_FALLBACK */
/* _fastcall.RAISE: _call_slow returns (RAISE, exception) for an exception
 * its native call raised in place, which the call then raises from here (no
 * frame of the dispatcher's between the user's call and the function's). */
static PyObject *raise_marker;
static PyObject *str_py_func;      /* "py_func" */
static PyObject *str_status_error; /* "_status_error" */
static PyObject *str_shadow;       /* "_shadow" */
/* The NumPy scalar types, in the order of ir.NUMPY_SCALARS, once
 * _set_numpy_types() gave them (when the first NumPy entry is registered). */
static PyObject *numpy_types[FC_NUMPY_TYPES];

/* ------------------------------------------------------------------ */
/* Entries                                                              */
/* ------------------------------------------------------------------ */

/* Drop one reference to an entry: the table's (when it is removed) or a
 * nogil call's (when the call is over).  The last one frees it. */
static void entry_free(fc_entry *e)
{
    Py_ssize_t i;
    if (e == NULL || --e->refs > 0)
        return;
    for (i = 0; i < FC_MAX_ARGS; i++) {
        Py_XDECREF(e->buffer_type[i]);
        PyMem_Free(e->tuple_shape[i]);
    }
    PyMem_Free(e->shape_len);
    PyMem_Free(e->shape_kinds);
    Py_XDECREF(e->key);
    Py_XDECREF(e->owner);
    PyMem_Free(e);
}

/* FC_KIND_NUMPY + i for the i-th NumPy scalar type (once _set_numpy_types gave them), else 0. */
static int numpy_kind(PyObject *t)
{
    int i;
    if (numpy_types[0] == NULL)
        return 0;
    for (i = 0; i < FC_NUMPY_TYPES; i++) {
        if (numpy_types[i] == t)
            return FC_KIND_NUMPY + i;
    }
    return 0;
}

static int kind_of_type(PyObject *t)
{
    if (t == (PyObject *)&PyLong_Type)
        return FC_KIND_INT;
    if (t == (PyObject *)&PyBool_Type)
        return FC_KIND_BOOL;
    if (t == (PyObject *)&PyFloat_Type)
        return FC_KIND_FLOAT;
    if (t == (PyObject *)Py_TYPE(Py_None))
        return FC_KIND_NONE;
    return numpy_kind(t);
}

static inline int kind_of_value(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyLong_Type)
        return FC_KIND_INT;
    if (t == &PyFloat_Type)
        return FC_KIND_FLOAT;
    if (t == &PyBool_Type)
        return FC_KIND_BOOL;
    if (o == Py_None)
        return FC_KIND_NONE;
    if (t == &PyTuple_Type)
        return FC_KIND_TUPLE;
    return numpy_kind((PyObject *)t);
}

/* The kind a result slot of IR type `name` is boxed as; the Python side's
 * _box: "float" -> float, "bool" -> bool, anything else -> int. */
static int kind_of_result(PyObject *name)
{
    if (PyLong_Check(name)) { /* a NumPy scalar: its status */
        long status = PyLong_AsLong(name);
        if (status >= FC_STATUS_NUMPY && status < FC_STATUS_NUMPY + FC_NUMPY_TYPES
            && numpy_types[status - FC_STATUS_NUMPY] != NULL)
            return (int)(FC_KIND_NUMPY + (status - FC_STATUS_NUMPY));
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "tuple shapes: unknown NumPy result status");
        return -1;
    }
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "tuple shapes must hold type names (str)");
        return -1;
    }
    if (PyUnicode_CompareWithASCIIString(name, "float") == 0)
        return FC_KIND_FLOAT;
    if (PyUnicode_CompareWithASCIIString(name, "bool") == 0)
        return FC_KIND_BOOL;
    if (PyUnicode_CompareWithASCIIString(name, "none") == 0)
        return FC_KIND_NONE;
    return FC_KIND_INT;
}

/* The index of the entry for argument types `key`, or -1.  Compares types
 * by identity (as type equality is), so no Python code runs. */
static Py_ssize_t find_entry(DispatcherBaseObject *self, PyObject *key)
{
    Py_ssize_t i, j, n;
    if (!PyTuple_Check(key))
        return -1;
    n = PyTuple_GET_SIZE(key);
    for (i = 0; i < self->nentries; i++) {
        PyObject *other = self->entries[i]->key;
        if (PyTuple_GET_SIZE(other) != n)
            continue;
        for (j = 0; j < n; j++) {
            if (PyTuple_GET_ITEM(other, j) != PyTuple_GET_ITEM(key, j))
                break;
        }
        if (j == n)
            return i;
    }
    return -1;
}

static void remove_at(DispatcherBaseObject *self, Py_ssize_t i)
{
    fc_entry *e = self->entries[i];
    memmove(&self->entries[i], &self->entries[i + 1],
            (size_t)(self->nentries - i - 1) * sizeof(fc_entry *));
    self->nentries--;
    self->entries[self->nentries] = NULL;
    entry_free(e); /* may run arbitrary code (the owner's finalizer): last */
}

/* ------------------------------------------------------------------ */
/* The call                                                             */
/* ------------------------------------------------------------------ */

enum { ROUTE_DONE, ROUTE_SLOW, ROUTE_DEOPT, ROUTE_STATUS, ROUTE_INTERRUPTED, ROUTE_DEPTH,
       ROUTE_RAISE };

/* While a call whose native recursion ran out of depth budget re-runs in
 * CPython (FC_STATUS_DEPTH), this thread's jitted calls run in CPython too:
 * each would start native code that runs out again just a little less deep,
 * which makes the way to CPython's RecursionError quadratic. */
static __thread int fc_depth_fallback = 0;

/* Native calls made by the fast path, for tests (approximate for nogil calls). */
static unsigned long long fc_native_calls = 0;
/* Whether signatures that keep deopting skip native code for a while (the
 * test suite turns it off, so that every call of a differential test runs
 * native code first: see tests/conftest.py). */
static int fc_adaptive = 1;

/* A NumPy scalar argument of type index `index` (ir.NUMPY_SCALARS) into its
 * slot, as the Python path packs it: a bool as 0 or 1, a float's double, an
 * int's value (through __index__).  0, or 1 if it is an int beyond int64 (a
 * uint64 above 2**63 - 1: the call runs in py_func), -1 with an exception. */
static int unbox_numpy(PyObject *o, int index, jc_value *slot)
{
    if (index == 0) {
        int truth = PyObject_IsTrue(o);
        if (truth < 0)
            return -1;
        slot->i = truth;
        return 0;
    }
    if (index >= FC_NUMPY_TYPES - 2) {
        double d = PyFloat_AsDouble(o);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
        slot->d = d;
        return 0;
    }
    {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow)
            return 1;
        if (v == -1 && PyErr_Occurred())
            return -1;
        slot->i = (int64_t)v;
        return 0;
    }
}

/* NumPy's scalar of type index `index` (ir.NUMPY_SCALARS) for the value in v:
 * the type called with the Python int or float it holds (a bool: with
 * True or False; floats are the 2 last types). */
static PyObject *box_numpy(jc_value v, int index)
{
    PyObject *type = numpy_types[index], *value, *result;
    if (index == 0)
        value = Py_NewRef(v.i != 0 ? Py_True : Py_False);
    else if (index >= FC_NUMPY_TYPES - 2)
        value = PyFloat_FromDouble(v.d);
    else
        value = PyLong_FromLongLong((long long)v.i);
    if (value == NULL)
        return NULL;
    result = PyObject_CallOneArg(type, value);
    Py_DECREF(value);
    return result;
}

static inline PyObject *box_slot(jc_value v, unsigned char kind)
{
    if (kind >= FC_KIND_NUMPY)
        return box_numpy(v, kind - FC_KIND_NUMPY);
    if (kind == FC_KIND_FLOAT)
        return PyFloat_FromDouble(v.d);
    if (kind == FC_KIND_BOOL)
        return Py_NewRef(v.i != 0 ? Py_True : Py_False);
    if (kind == FC_KIND_NONE)
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)v.i);
}

/* The tuple encoded at shape[*at] (an FC_KIND_NEST), its items boxed from
 * out[*slot], out[*slot + 1], ...; both indices move past what it used. */
static PyObject *box_tuple(const unsigned char *shape, Py_ssize_t *at, const jc_value *out,
                           Py_ssize_t *slot)
{
    Py_ssize_t i, n = shape[*at + 1];
    PyObject *tuple = PyTuple_New(n);
    *at += 2;
    if (tuple == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        PyObject *item;
        if (shape[*at] == FC_KIND_NEST) {
            item = box_tuple(shape, at, out, slot);
        } else {
            item = box_slot(out[*slot], shape[*at]);
            *slot += 1;
            *at += 1;
        }
        if (item == NULL) {
            Py_DECREF(tuple);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, i, item);
    }
    return tuple;
}

/* Encode tuple shape `shape` (a sequence of type names and nested shapes) at
 * code[*at]: 0, 1 if it is beyond the limits, -1 with an exception set. */
static int encode_shape(PyObject *shape, unsigned char *code, Py_ssize_t *at, Py_ssize_t *slots,
                        int depth)
{
    PyObject *items = PySequence_Fast(shape, "_add_entry: each tuple shape must be a sequence");
    Py_ssize_t i, n;
    int result = 0;
    if (items == NULL)
        return -1;
    n = PySequence_Fast_GET_SIZE(items);
    if (*at + 2 > FC_SHAPE_BYTES || n > FC_MAX_RESULT_SLOTS || depth > FC_MAX_RESULT_SLOTS) {
        Py_DECREF(items);
        return 1;
    }
    code[(*at)++] = FC_KIND_NEST;
    code[(*at)++] = (unsigned char)n;
    for (i = 0; i < n && result == 0; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i);
        int k;
        if (PyTuple_Check(item) || PyList_Check(item)) {
            result = encode_shape(item, code, at, slots, depth + 1);
            continue;
        }
        k = kind_of_result(item);
        if (k < 0)
            result = -1;
        else if (*at >= FC_SHAPE_BYTES || *slots >= FC_MAX_RESULT_SLOTS)
            result = 1;
        else {
            code[(*at)++] = (unsigned char)k;
            *slots += 1;
        }
    }
    Py_DECREF(items);
    return result;
}

/* Whether tuple `o` has the shape encoded at shape[*at] (its items' exact
 * kinds, nested tuples too); *at moves past it. */
static int tuple_matches(const unsigned char *shape, Py_ssize_t *at, PyObject *o)
{
    Py_ssize_t i, n = shape[*at + 1];
    *at += 2;
    if (!PyTuple_CheckExact(o) || PyTuple_GET_SIZE(o) != n)
        return 0;
    for (i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(o, i);
        if (shape[*at] == FC_KIND_NEST) {
            if (!tuple_matches(shape, at, item))
                return 0;
        }
        else if (kind_of_value(item) != shape[(*at)++])
            return 0;
    }
    return 1;
}

/* The items of tuple `o` (of the shape at shape[*at]) into in[*slot], ... as
 * the Python path packs them (None takes no slot): 0, or 1 if an int is
 * beyond int64 (the call runs in py_func), -1 with an exception. */
static int unbox_tuple(const unsigned char *shape, Py_ssize_t *at, PyObject *o, jc_value *in,
                       Py_ssize_t *slot)
{
    Py_ssize_t i, n = shape[*at + 1];
    *at += 2;
    for (i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(o, i);
        unsigned char kind = shape[*at];
        if (kind == FC_KIND_NEST) {
            int status = unbox_tuple(shape, at, item, in, slot);
            if (status != 0)
                return status;
            continue;
        }
        ++*at;
        if (kind == FC_KIND_NONE)
            continue;
        if (kind >= FC_KIND_NUMPY) {
            int status = unbox_numpy(item, kind - FC_KIND_NUMPY, &in[*slot]);
            if (status != 0)
                return status;
        }
        else if (kind == FC_KIND_INT) {
            int overflow = 0;
            long long v = PyLong_AsLongLongAndOverflow(item, &overflow);
            if (overflow)
                return 1;
            if (v == -1 && PyErr_Occurred())
                return -1;
            in[*slot].i = (int64_t)v;
        }
        else if (kind == FC_KIND_BOOL)
            in[*slot].i = item == Py_True;
        else
            in[*slot].d = PyFloat_AS_DOUBLE(item);
        ++*slot;
    }
    return 0;
}

/* Whether the tuple arguments have the shapes entry e takes. */
static int tuples_match(const fc_entry *e, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t i;
    if (!e->has_tuples)
        return 1; /* (the common case: no walk over the arguments) */
    for (i = 0; i < nargs; i++) {
        Py_ssize_t at = 0;
        if (e->tuple_shape[i] != NULL && !tuple_matches(e->tuple_shape[i], &at, args[i]))
            return 0;
    }
    return 1;
}

static void raise_in_place(DispatcherBaseObject *self, PyObject *const *args, Py_ssize_t nargs,
                           const jc_value *out);
static PyObject *box_result(const fc_entry *e, int status, const jc_value *out, int *route,
                            int *status_out);

/* The native call depth budget for a call made now from Python: how many
 * nested native calls the native code may make (abi.py).  A jitted function
 * that recurses n levels natively succeeds iff n + 1 <= budget, exactly when
 * CPython's own recursion of the same function from the same frame would
 * succeed; so the budget is the number of Python frames the recursion limit
 * still allows, capped so that native frames stay far from the end of the C
 * stack.  `frames_between`: Python frames of jitcore's running between the
 * user's calling frame and this call (the fast path: 0; the slow path passes
 * its own through _depth_budget).  Both paths use this one function. */
/* -- the C stack --------------------------------------------------------
 *
 * The recursion limit counts calls, not bytes: a function with a large frame,
 * a thread with a small stack or a raised limit could run out of C stack
 * before the limit.  So the native budget is also capped by the stack this
 * thread has left, counted in activations of the largest native frame the
 * call may stack (the entry's frame_bytes: its own and its callees'), keeping
 * FC_NATIVE_STACK_MARGIN for the C code that runs below the deepest native
 * frame (helpers, the periodic poll, CPython when a call deopts).  And a
 * call that would run py_func from here (a deopt, the depth fallback) with
 * less than FC_PY_STACK_MARGIN left raises RecursionError instead: each such
 * call is a C call, and a recursion through them would otherwise crash
 * where CPython's own calls need no C stack (3.11+) or check it (3.12+). */
#define FC_NATIVE_STACK_MARGIN (128 * 1024)
#define FC_PY_STACK_MARGIN (64 * 1024)

static __thread uintptr_t fc_stack_low;     /* 0: not known yet; 1: unknown */

/* Bytes of C stack this thread has left below the caller (a large number
 * where the bounds cannot be known). */
static Py_ssize_t stack_left(void)
{
    char here;
    uintptr_t sp = (uintptr_t)&here;
    if (fc_stack_low == 0) {
        fc_stack_low = 1;
#if defined(__linux__)
        {
            pthread_attr_t attr;
            void *addr;
            size_t size;
            if (pthread_getattr_np(pthread_self(), &attr) == 0) {
                if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr != NULL)
                    fc_stack_low = (uintptr_t)addr;
                pthread_attr_destroy(&attr);
            }
        }
#elif defined(__APPLE__)
        {
            pthread_t self = pthread_self();
            fc_stack_low = (uintptr_t)pthread_get_stackaddr_np(self)
                           - (uintptr_t)pthread_get_stacksize_np(self);
        }
#endif
    }
    if (fc_stack_low <= 1 || sp <= fc_stack_low)
        return fc_stack_low <= 1 ? PY_SSIZE_T_MAX : 0;
    return (Py_ssize_t)(sp - fc_stack_low);
}

/* RecursionError (and 1) when py_func should not start a C-level call here. */
static int py_stack_exhausted(void)
{
    if (stack_left() >= FC_PY_STACK_MARGIN)
        return 0;
    PyErr_SetString(PyExc_RecursionError,
                    "maximum recursion depth exceeded: this thread's C stack is nearly full "
                    "(jitcore calls run the recursion through C; raise threading.stack_size() "
                    "or recurse less deeply)");
    return 1;
}

/* 1 if this thread's native code runs on jitcore's native stack, where the
 * code checks the stack itself (asked once per thread). */
static __thread int fc_native_stack = 0; /* 0: not asked yet; 1: yes; -1: no */

static int on_native_stack(void)
{
    if (fc_native_stack == 0)
        fc_native_stack = (g_native_stack_ready != NULL && g_native_stack_ready()) ? 1 : -1;
    return fc_native_stack > 0;
}

static int native_depth_budget(int frames_between, Py_ssize_t frame_bytes)
{
    long long depth = (long long)jc_python_frames_left() + frames_between - JC_DEEPEST_FRAME_C_LEVELS;
    if (!on_native_stack()) {
        /* On the thread's own stack: capped by what it has left. */
        Py_ssize_t levels = (stack_left() - FC_NATIVE_STACK_MARGIN) / (frame_bytes > 0 ? frame_bytes : 1);
        if (depth > FC_MAX_NATIVE_DEPTH)
            depth = FC_MAX_NATIVE_DEPTH;
        if (depth > levels)
            depth = levels < 0 ? 0 : levels;
    }
    if (depth > FC_MAX_BUDGET)
        depth = FC_MAX_BUDGET;
    return depth < 0 ? 0 : (int)depth;
}

/* -- buffer arguments ---------------------------------------------------
 *
 * A buffer argument is exported for the whole call (PyObject_GetBuffer), so
 * bytearray and array.array cannot be resized under native code, also
 * without the GIL; native code gets its address and length.  Only 1-D
 * C-contiguous buffers whose format is the entry's element code qualify;
 * anything else goes to the Python path, which decides what runs. */
static int get_buffer(PyObject *o, char code, char readonly, Py_buffer *view, jc_undo *undo,
                      jc_value *slots)
{
    const char *format;
    if (PyObject_GetBuffer(o, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 0;
    }
    format = view->format != NULL ? view->format : "B";
    if (format[0] == '@')
        format++;
    if (view->ndim != 1 || format[0] != code || format[1] != '\0' || view->itemsize <= 0
        || (view->readonly != 0) != (readonly != 0)) {
        PyBuffer_Release(view);
        return 0;
    }
    memset(undo, 0, sizeof *undo);
    undo->base = view->buf;
    undo->length = (int64_t)view->shape[0];
    undo->size = (int64_t)view->itemsize;
    undo->inner = undo->length > 0 ? undo->length : 1;
    undo->stride1 = undo->size;
    slots[0].i = (int64_t)(intptr_t)view->buf;
    slots[1].i = (int64_t)view->shape[0];
    slots[2].i = (int64_t)(intptr_t)undo;
    return 1;
}

/* The same for a NumPy array argument of an entry (ndim 1 or 2, element
 * code, C-contiguous or not, read-only or not, all as the entry says), and
 * for a strided 1-D memoryview (an "array" of ndim 1, strided):
 * slots address, length, undo record, the other dimension, and the strides
 * unless C-contiguous (ir.argument_slots).  C-contiguous as NumPy counts it:
 * a dimension of length 1 may have any stride. */
static int get_array(PyObject *o, char code, char readonly, int ndim, int strided, Py_buffer *view,
                     jc_undo *undo, jc_value *slots)
{
    const char *format;
    Py_ssize_t expected, d, n;
    int contiguous = 1;
    if (PyObject_GetBuffer(o, view, PyBUF_RECORDS_RO) < 0) {
        PyErr_Clear();
        return 0;
    }
    format = view->format != NULL ? view->format : "B";
    if (format[0] == '@')
        format++;
    if (view->ndim != ndim || format[0] != code || format[1] != '\0' || view->itemsize <= 0
        || view->strides == NULL || (view->readonly != 0) != (readonly != 0)) {
        PyBuffer_Release(view);
        return 0;
    }
    expected = view->itemsize;
    n = 1;
    for (d = ndim - 1; d >= 0; d--) {
        if (view->shape[d] != 1 && view->strides[d] != expected)
            contiguous = 0;
        expected *= view->shape[d];
        n *= view->shape[d];
    }
    if (n == 0)
        contiguous = 1;
    if (contiguous == strided) {
        PyBuffer_Release(view);
        return 0;
    }
    memset(undo, 0, sizeof *undo);
    undo->base = view->buf;
    undo->length = (int64_t)n;
    undo->size = (int64_t)view->itemsize;
    undo->inner = (int64_t)(view->shape[ndim - 1] > 0 ? view->shape[ndim - 1] : 1);
    undo->stride0 = ndim == 2 ? (int64_t)view->strides[0] : 0;
    undo->stride1 = (int64_t)view->strides[ndim - 1];
    slots[0].i = (int64_t)(intptr_t)view->buf;
    slots[1].i = (int64_t)view->shape[0];
    slots[2].i = (int64_t)(intptr_t)undo;
    d = 3;
    if (ndim == 2)
        slots[d++].i = (int64_t)view->shape[1];
    if (strided) {
        slots[d++].i = (int64_t)view->strides[0];
        if (ndim == 2)
            slots[d++].i = (int64_t)view->strides[1];
    }
    return 1;
}

/* How many argument slots buffer argument i of entry e takes (ir.argument_slots). */
static inline Py_ssize_t buffer_slots(const fc_entry *e, Py_ssize_t i)
{
    int ndim = e->buffer_ndim[i];
    if (ndim == 0)
        return 3;
    return 3 + (ndim - 1) + (e->buffer_strided[i] ? ndim : 0);
}

static void finish_undo(jc_undo *undo, Py_ssize_t n, int roll_back)
{
    Py_ssize_t i;
    for (i = 0; i < n; i++) {
        if (roll_back)
            jc_undo_rollback(&undo[i]);
        jc_undo_end(&undo[i]);
    }
}

static void release_views(Py_buffer *views, Py_ssize_t n)
{
    Py_ssize_t i;
    for (i = 0; i < n; i++)
        PyBuffer_Release(&views[i]);
}

/* Whether entry e takes the buffer arguments among args (their exact type
 * and their element): then they are exported into views (*nviews of them)
 * and their address and length are in their slots of `in`. */
static int take_buffers(const fc_entry *e, PyObject *const *args, Py_ssize_t nargs,
                        Py_buffer *views, jc_undo *undo, Py_ssize_t *nviews, jc_value *in)
{
    Py_ssize_t i, slot;
    *nviews = 0;
    if (!e->has_buffers)
        return 1;
    for (i = 0, slot = 0; i < nargs; i++, slot++) {
        int taken;
        if (e->kinds[i] == FC_KIND_NONE)
            slot--; /* None takes no slot */
        if (e->kinds[i] == FC_KIND_TUPLE)
            slot += e->tuple_slots[i] - 1;
        if (e->kinds[i] != FC_KIND_BUFFER)
            continue;
        if ((PyObject *)Py_TYPE(args[i]) != e->buffer_type[i])
            taken = 0;
        else if (e->buffer_ndim[i] == 0)
            taken = get_buffer(args[i], e->buffer_code[i], e->buffer_readonly[i], &views[*nviews],
                               &undo[*nviews], &in[slot]);
        else
            taken = get_array(args[i], e->buffer_code[i], e->buffer_readonly[i], e->buffer_ndim[i],
                              e->buffer_strided[i], &views[*nviews], &undo[*nviews], &in[slot]);
        if (!taken) {
            release_views(views, *nviews);
            *nviews = 0;
            return 0;
        }
        if (!e->records)
            in[slot + 2].i = 0; /* no record: the code stores without one */
        ++*nviews;
        slot += buffer_slots(e, i) - 1;
    }
    return 1;
}

/* The fast path.  ROUTE_DONE: returns the result (or NULL with an exception
 * set).  Otherwise returns NULL without an exception and says what to do:
 * ROUTE_SLOW (the Python path), ROUTE_DEOPT (run py_func), ROUTE_STATUS (an
 * unexpected status, in *status), ROUTE_INTERRUPTED (run the signal
 * handlers, then call again), ROUTE_DEPTH (run py_func in depth fallback). */
static PyObject *fast_call(DispatcherBaseObject *self, PyObject *const *args, Py_ssize_t nargs,
                           int *route, int *status_out)
{
    unsigned char kinds[FC_MAX_ARGS];
    jc_value in[FC_MAX_SLOTS * FC_MAX_ARGS];
    jc_value out[FC_MAX_RESULT_SLOTS];
    Py_buffer views[FC_MAX_ARGS];
    jc_undo undo[FC_MAX_ARGS];
    fc_entry *e = NULL;
    Py_ssize_t i, slot, nviews = 0;
    int status, depth;
    PyObject *result;

    *route = ROUTE_SLOW;
    if (g_call_packed_gil == NULL || g_raise_taken == NULL || nargs > FC_MAX_ARGS
        || self->nentries == 0)
        return NULL;
    if (fc_depth_fallback) {
        *route = ROUTE_DEPTH; /* CPython runs it (see fc_depth_fallback) */
        return NULL;
    }
    for (i = 0; i < nargs; i++) {
        int k = kind_of_value(args[i]);
        kinds[i] = (unsigned char)(k == 0 ? FC_KIND_BUFFER : k); /* if an entry takes its type */
    }
    for (i = 0; i < self->nentries && e == NULL; i++) {
        fc_entry *c = self->entries[i];
        if (c->nargs == nargs && (nargs == 0 || memcmp(c->kinds, kinds, (size_t)nargs) == 0)
            && tuples_match(c, args, nargs) && take_buffers(c, args, nargs, views, undo, &nviews, in))
            e = c;
    }
    if (e == NULL)
        return NULL;
    if (e->skip > 0) { /* adaptive: this signature keeps deopting (see FC_SKIP_FIRST) */
        e->skip--;
        release_views(views, nviews);
        *route = ROUTE_DEOPT;
        return NULL;
    }
    for (i = 0, slot = 0; i < nargs; i++, slot++) {
        PyObject *o = args[i];
        if (kinds[i] == FC_KIND_BUFFER) {
            slot += buffer_slots(e, i) - 1; /* filled by take_buffers */
            continue;
        }
        if (kinds[i] == FC_KIND_NONE) {
            slot--; /* None takes no slot: its type says it all */
            continue;
        }
        if (kinds[i] == FC_KIND_TUPLE) {
            Py_ssize_t at = 0;
            int status = unbox_tuple(e->tuple_shape[i], &at, o, in, &slot);
            slot--; /* (past its items: the loop adds one) */
            if (status != 0) {
                release_views(views, nviews);
                *route = status > 0 ? ROUTE_DEOPT : ROUTE_DONE; /* (ROUTE_DONE: the error is set) */
                return NULL;
            }
            continue;
        }
        if (kinds[i] >= FC_KIND_NUMPY) {
            int status = unbox_numpy(o, kinds[i] - FC_KIND_NUMPY, &in[slot]);
            if (status != 0) {
                release_views(views, nviews);
                *route = status > 0 ? ROUTE_DEOPT : ROUTE_DONE; /* (ROUTE_DONE: the error is set) */
                return NULL;
            }
        }
        else if (kinds[i] == FC_KIND_INT) {
            int overflow = 0;
            long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
            if (overflow) {
                /* Outside int64: what the Python path does for a compiled
                 * signature (struct refuses to pack it) is run py_func. */
                release_views(views, nviews);
                *route = ROUTE_DEOPT;
                return NULL;
            }
            if (v == -1 && PyErr_Occurred()) {
                release_views(views, nviews);
                *route = ROUTE_DONE;
                return NULL;
            }
            in[slot].i = (int64_t)v;
        }
        else if (kinds[i] == FC_KIND_BOOL) {
            in[slot].i = (o == Py_True) ? 1 : 0;
        }
        else {
            in[slot].d = PyFloat_AS_DOUBLE(o);
        }
    }
    depth = native_depth_budget(0, e->frame_bytes);
    fc_native_calls++;
    /* The native code lets the GIL go now and then, or runs a signal handler
     * (csrc/poll.c): another thread or the handler may remove the entry
     * meanwhile, and a reference keeps it (and, through its owner, the code)
     * alive. */
    e->refs++;
    if (!self->nogil) {
        status = g_call_packed_gil(e->code, (const char *)in, out, (int64_t)depth);
    }
    else {
        Py_BEGIN_ALLOW_THREADS
        status = g_call_packed(e->code, (const char *)in, out, (int64_t)depth);
        Py_END_ALLOW_THREADS
    }
    result = box_result(e, status, out, route, status_out);
    if (*route == ROUTE_DEOPT) {
        if (++e->deopts_in_a_row >= FC_DEOPTS_BEFORE_SKIPPING && fc_adaptive) {
            e->skip = e->skip_next ? e->skip_next : FC_SKIP_FIRST;
            e->skip_next = e->skip * 2 <= FC_SKIP_MAX ? e->skip * 2 : FC_SKIP_MAX;
        }
    }
    else if (*route == ROUTE_DONE && result != NULL) {
        e->deopts_in_a_row = 0;
        e->skip_next = 0;
    }
    if (*route == ROUTE_INTERRUPTED && g_raise_taken())
        *route = ROUTE_DONE; /* raised in place (csrc/inplace.c): its exception is set */
    /* A call that re-runs in CPython takes its stores back first; one that
     * raised where CPython raises keeps them, as CPython does. */
    finish_undo(undo, nviews, result == NULL && *route != ROUTE_DONE && *route != ROUTE_RAISE);
    release_views(views, nviews); /* the buffers may be resized again */
    if (*route == ROUTE_RAISE) {
        raise_in_place(self, args, nargs, out);
        *route = ROUTE_DONE;
    }
    entry_free(e); /* may run arbitrary code (the owner's finalizer): last */
    return result;
}

/* After FC_STATUS_RAISE: set the exception CPython raises where the code
 * stopped, which the Python side makes from the site and its operands in
 * out[0..3] (Dispatcher._raise_in_place, jitcore/raising.py). */
static void raise_in_place(DispatcherBaseObject *self, PyObject *const *args, Py_ssize_t nargs,
                           const jc_value *out)
{
    PyObject *tuple, *exc;
    Py_ssize_t i;
    tuple = PyTuple_New(nargs);
    if (tuple == NULL)
        return;
    for (i = 0; i < nargs; i++)
        PyTuple_SET_ITEM(tuple, i, Py_NewRef(args[i]));
    exc = PyObject_CallMethod((PyObject *)self, "_raise_in_place", "(N(LLLL))", tuple,
                              (long long)out[0].i, (long long)out[1].i, (long long)out[2].i,
                              (long long)out[3].i);
    if (exc == NULL)
        return;
    if (PyExceptionInstance_Check(exc)) {
        PyObject *tb = PyException_GetTraceback(exc);
        PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, tb);
        return;
    }
    Py_DECREF(exc);
    PyErr_SetString(PyExc_SystemError, "jitcore: _raise_in_place returned no exception");
}

/* The result of a native call of entry e that returned `status`; routes as
 * fast_call.  `e` is used only before anything is allocated. */
static PyObject *box_result(const fc_entry *e, int status, const jc_value *out, int *route,
                            int *status_out)
{
    unsigned char shape[FC_SHAPE_BYTES];
    switch (status) {
    case FC_STATUS_INT:
        *route = ROUTE_DONE;
        return PyLong_FromLongLong((long long)out[0].i);
    case FC_STATUS_FLOAT:
        *route = ROUTE_DONE;
        return PyFloat_FromDouble(out[0].d);
    case FC_STATUS_BOOL:
        *route = ROUTE_DONE;
        return Py_NewRef(out[0].i != 0 ? Py_True : Py_False);
    case FC_STATUS_NONE:
        *route = ROUTE_DONE;
        Py_RETURN_NONE;
    case FC_STATUS_DEOPT:
        *route = ROUTE_DEOPT;
        return NULL;
    case FC_STATUS_INTERRUPT:
        *route = ROUTE_INTERRUPTED;
        return NULL;
    case FC_STATUS_DEPTH:
        *route = ROUTE_DEPTH;
        return NULL;
    case FC_STATUS_RAISE:
        *route = ROUTE_RAISE;
        return NULL;
    default:
        break;
    }
    if (status >= FC_STATUS_NUMPY && status < FC_STATUS_NUMPY + FC_NUMPY_TYPES
        && numpy_types[status - FC_STATUS_NUMPY] != NULL) {
        *route = ROUTE_DONE;
        return box_numpy(out[0], status - FC_STATUS_NUMPY);
    }
    if (status >= FC_STATUS_TUPLE && (Py_ssize_t)(status - FC_STATUS_TUPLE) < e->nshapes) {
        Py_ssize_t index = status - FC_STATUS_TUPLE;
        Py_ssize_t at = 0, slot = 0;
        memcpy(shape, e->shape_kinds + index * FC_SHAPE_BYTES, e->shape_len[index]);
        *route = ROUTE_DONE;
        return box_tuple(shape, &at, out, &slot);
    }
    *route = ROUTE_STATUS;
    *status_out = status;
    return NULL;
}

static PyObject *status_error(PyObject *self, int status)
{
    PyObject *st = PyLong_FromLong(status);
    PyObject *res;
    if (st == NULL)
        return NULL;
    res = PyObject_CallMethodOneArg(self, str_status_error, st);
    Py_DECREF(st);
    return res;
}

/* -- re-runs in CPython -------------------------------------------------
 *
 * A call native code cannot finish re-runs in CPython from here, one C call
 * deeper.  A recursion that keeps coming back here (a deopt deep in a native
 * recursion re-runs every level above it; a depth fallback re-runs all of
 * it) would take a C call per level, where CPython's own recursion takes
 * none (3.11+): C stack and, on 3.12+, the C recursion limit would run out
 * long before the recursion limit.  So such re-runs call the function's
 * shadow (Dispatcher._shadow): py_func's code whose calls of jitted
 * functions are plain Python calls of their shadows, a recursion exactly as
 * CPython's own.  Re-runs nested less deeply call py_func itself, whose
 * jitted calls run native code again.  On 3.10, where CPython's own
 * recursion takes C stack and crashes when it runs out, every level stays a
 * C call here, which checks the stack first (py_stack_exhausted). */
#define FC_SHADOW_AFTER_RERUNS 8

static __thread int fc_reruns = 0; /* re-runs under way on this thread, nested */

/* The function a re-run calls: the shadow if `shadow` (when the dispatcher
 * has one), else py_func. */
static PyObject *rerun_func(PyObject *self, int shadow)
{
    PyObject *func;
    if (shadow) {
        func = PyObject_CallMethodNoArgs(self, str_shadow);
        if (func != Py_None)
            return func; /* or NULL with an exception */
        Py_DECREF(func);
    }
    func = ((DispatcherBaseObject *)self)->py_func;
    if (func != NULL)
        return Py_NewRef(func);
    return PyObject_GetAttr(self, str_py_func); /* (AttributeError: never set) */
}

/* Re-run a call in CPython (keywords as kwnames or as a dict), in depth
 * fallback if `depth_fallback`. */
static PyObject *rerun(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames,
                       PyObject *kwargs, int depth_fallback)
{
    PyObject *func, *res;
    if (py_stack_exhausted())
        return NULL;
    func = rerun_func(self, !JC_PYTHON_CALLS_USE_C_STACK
                                && (depth_fallback || fc_reruns >= FC_SHADOW_AFTER_RERUNS));
    if (func == NULL)
        return NULL;
    fc_depth_fallback += depth_fallback;
    fc_reruns++;
    if (kwargs != NULL)
        res = PyObject_VectorcallDict(func, args, PyVectorcall_NARGS(nargsf), kwargs);
    else
        res = PyObject_Vectorcall(func, args, nargsf, kwnames);
    fc_reruns--;
    fc_depth_fallback -= depth_fallback;
    Py_DECREF(func);
    return res;
}

/* A call with positional arguments only, as tp_call and vectorcall get it:
 * the fast path and whatever its route asks for.  *served is 0 when the call
 * must go to the Python method _call_slow instead (the result is then NULL
 * without an exception). */
static PyObject *call_positional(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                 int *served)
{
    PyObject *res;
    int route = ROUTE_SLOW, status = 0;
    *served = 1;
    do {
        res = fast_call((DispatcherBaseObject *)self, args, nargs, &route, &status);
        /* A handler the native code ran (csrc/poll.c) may have raised already. */
    } while (route == ROUTE_INTERRUPTED && !PyErr_Occurred() && PyErr_CheckSignals() == 0);
    switch (route) {
    case ROUTE_INTERRUPTED: /* a signal handler raised */
        return NULL;
    case ROUTE_DONE:
        return res;
    case ROUTE_DEOPT:
        return rerun(self, args, (size_t)nargs, NULL, NULL, 0);
    case ROUTE_DEPTH:
        return rerun(self, args, (size_t)nargs, NULL, NULL, 1);
    case ROUTE_STATUS:
        return status_error(self, status);
    default:
        *served = 0;
        return NULL;
    }
}

/* What the call returns after _call_slow returned `res`: res itself, or, when
 * it asked for that, py_func called here with the same arguments (keywords
 * as kwnames or as a dict), in depth fallback for RUN_PY_FUNC_IN_DEPTH_FALLBACK. */
static PyObject *slow_path_result(PyObject *self, PyObject *res, PyObject *const *args,
                                  size_t nargsf, PyObject *kwnames, PyObject *kwargs)
{
    int depth_fallback;
    if (res != NULL && PyTuple_CheckExact(res) && PyTuple_GET_SIZE(res) == 2
        && PyTuple_GET_ITEM(res, 0) == raise_marker
        && PyExceptionInstance_Check(PyTuple_GET_ITEM(res, 1))) {
        PyObject *exc = Py_NewRef(PyTuple_GET_ITEM(res, 1));
        Py_DECREF(res);
        PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
        return NULL;
    }
    if (res != run_py_func && res != run_py_func_depth_fallback)
        return res;
    depth_fallback = res == run_py_func_depth_fallback;
    Py_DECREF(res);
    return rerun(self, args, nargsf, kwnames, kwargs, depth_fallback);
}

/* tp_call: also what DispatcherBase.__call__ runs, and what CPython uses
 * when the type does not get the vectorcall flag. */
static PyObject *DispatcherBase_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *res, *meth;
    if (kwargs == NULL || PyDict_GET_SIZE(kwargs) == 0) {
        PyObject *const *items = &PyTuple_GET_ITEM(args, 0);
        Py_ssize_t nargs = PyTuple_GET_SIZE(args);
        int served;
        res = call_positional(self, items, nargs, &served);
        if (served)
            return res;
    }
    meth = PyObject_GetAttr(self, str_call_slow);
    if (meth == NULL)
        return NULL;
    res = PyObject_Call(meth, args, kwargs);
    Py_DECREF(meth);
    return slow_path_result(self, res, &PyTuple_GET_ITEM(args, 0), (size_t)PyTuple_GET_SIZE(args),
                            NULL, kwargs);
}

/* vectorcall.  If a subclass replaced __call__ (its tp_call is no longer
 * ours) while this function is still reached, defer to its tp_call. */
static PyObject *DispatcherBase_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                           PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *res, *meth;
    ternaryfunc call = Py_TYPE(self)->tp_call;
    if (call != DispatcherBase_call) {
        PyObject *tuple, *kwargs = NULL;
        Py_ssize_t i, nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
        if (call == NULL) {
            PyErr_Format(PyExc_TypeError, "'%.200s' object is not callable",
                         Py_TYPE(self)->tp_name);
            return NULL;
        }
        tuple = PyTuple_New(nargs);
        if (tuple == NULL)
            return NULL;
        for (i = 0; i < nargs; i++)
            PyTuple_SET_ITEM(tuple, i, Py_NewRef(args[i]));
        if (nkw) {
            kwargs = PyDict_New();
            if (kwargs == NULL) {
                Py_DECREF(tuple);
                return NULL;
            }
            for (i = 0; i < nkw; i++) {
                if (PyDict_SetItem(kwargs, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) {
                    Py_DECREF(tuple);
                    Py_DECREF(kwargs);
                    return NULL;
                }
            }
        }
        res = call(self, tuple, kwargs);
        Py_DECREF(tuple);
        Py_XDECREF(kwargs);
        return res;
    }
    if (kwnames == NULL || PyTuple_GET_SIZE(kwnames) == 0) {
        int served;
        res = call_positional(self, args, nargs, &served);
        if (served)
            return res;
    }
    meth = PyObject_GetAttr(self, str_call_slow);
    if (meth == NULL)
        return NULL;
    res = PyObject_Vectorcall(meth, args, nargsf, kwnames);
    Py_DECREF(meth);
    return slow_path_result(self, res, args, nargsf, kwnames, NULL);
}

/* ------------------------------------------------------------------ */
/* Methods                                                              */
/* ------------------------------------------------------------------ */

PyDoc_STRVAR(add_entry_doc,
"_add_entry(types, handle, tuple_shapes, owner, frame_bytes=256, buffers=None, records=True) -> bool\n\n"
"Register native code for argument types `types` (a tuple of int, bool and\n"
"float, and for buffer arguments any object standing for their kind, with\n"
"`buffers[i]` = (the buffer's exact type, its element's struct code,\n"
"whether it is read-only), None\n"
"for the others): `handle` is the address of its jc_code, `tuple_shapes` the result\n"
"shapes of statuses 32, 33, ... (sequences of 'int', 'bool', 'float', 'none', a NumPy\n"
"result's status, and nested shapes), and\n"
"`owner` an object that keeps the code alive while it is registered.\n"
"Without `records` the code keeps no undo records (jitcore/passes/records.py):\n"
"each buffer's record slot is 0.\n"
"Replaces an entry for the same types. Returns False (registering nothing)\n"
"if the signature is beyond the fast path's limits.");

/* buffers[i] as (type, one-character element code): 1, with *type and
 * *code set when asked; 0 if it is None (or buffers is); -1 with an error
 * if it is anything else. */
/* Buffer argument i of an entry as _add_entry's `buffers` describes it:
 * (type, one-letter code, readonly) for a flat buffer, or (type, code,
 * readonly, ndim, strided) for a NumPy array.  1 if it is one, 0 if not, -1
 * with an exception for a malformed description. */
static int buffer_spec(PyObject *buffers, Py_ssize_t i, PyObject **type, char *code,
                       char *readonly, char *ndim, char *strided)
{
    PyObject *spec, *t, *c;
    const char *text;
    Py_ssize_t n;
    int ro, dims = 0, st = 0;
    if (buffers == Py_None)
        return 0;
    spec = PyTuple_GET_ITEM(buffers, i);
    if (spec == Py_None)
        return 0;
    if (!PyTuple_Check(spec) || ((n = PyTuple_GET_SIZE(spec)) != 3 && n != 5)
        || !PyType_Check(t = PyTuple_GET_ITEM(spec, 0))
        || !PyUnicode_Check(c = PyTuple_GET_ITEM(spec, 1))
        || (text = PyUnicode_AsUTF8(c)) == NULL || strlen(text) != 1
        || (ro = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 2))) < 0
        || (n == 5 && ((dims = (int)PyLong_AsLong(PyTuple_GET_ITEM(spec, 3))) < 1 || dims > 2
                       || (st = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 4))) < 0))) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError,
                        "_add_entry: each buffer must be (type, one-letter code, readonly) or "
                        "(type, code, readonly, ndim 1 or 2, strided)");
        return -1;
    }
    if (type != NULL)
        *type = t;
    if (code != NULL)
        *code = text[0];
    if (readonly != NULL)
        *readonly = (char)ro;
    if (ndim != NULL)
        *ndim = (char)dims;
    if (strided != NULL)
        *strided = (char)st;
    return 1;
}

/* A tuple argument's spec in _add_entry's `buffers`: ("tuple", its shape). */
static int is_tuple_spec(PyObject *spec)
{
    return PyTuple_Check(spec) && PyTuple_GET_SIZE(spec) == 2
           && PyUnicode_Check(PyTuple_GET_ITEM(spec, 0))
           && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(spec, 0), "tuple") == 0;
}

/* Argument i of e is a tuple of `shape`: 0, 1 beyond the limits (the
 * tuples' slots, counted in *slots, and at most FC_MAX_SLOTS for each other
 * argument must fit a call's), -1 on error. */
static int tuple_spec(fc_entry *e, Py_ssize_t i, PyObject *shape, Py_ssize_t *slots)
{
    unsigned char code[FC_SHAPE_BYTES];
    Py_ssize_t at = 0, taken = 0;
    int found = encode_shape(shape, code, &at, &taken, 0);
    if (found != 0)
        return found;
    *slots += taken;
    if (*slots + FC_MAX_SLOTS * e->nargs > FC_MAX_SLOTS * FC_MAX_ARGS)
        return 1;
    e->tuple_shape[i] = PyMem_Malloc((size_t)at);
    if (e->tuple_shape[i] == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(e->tuple_shape[i], code, (size_t)at);
    e->tuple_slots[i] = (unsigned char)taken;
    e->kinds[i] = FC_KIND_TUPLE;
    e->has_tuples = 1;
    return 0;
}

static PyObject *DispatcherBase_add_entry(PyObject *op, PyObject *args)
{
    DispatcherBaseObject *self = (DispatcherBaseObject *)op;
    PyObject *key, *handle_obj, *shapes_obj, *owner, *shapes = NULL;
    fc_entry *e = NULL, *old = NULL;
    unsigned long long handle;
    Py_ssize_t i, nargs, nshapes, at, slots = 0;

    Py_ssize_t frame_bytes = 256;
    PyObject *buffers = Py_None;
    int records = 1;
    if (!PyArg_ParseTuple(args, "O!OOO|nOp:_add_entry", &PyTuple_Type, &key, &handle_obj,
                          &shapes_obj, &owner, &frame_bytes, &buffers, &records))
        return NULL;
    if (frame_bytes <= 0 || frame_bytes > ((Py_ssize_t)1 << 30)) {
        PyErr_SetString(PyExc_ValueError, "_add_entry: frame_bytes must be 1..2**30");
        return NULL;
    }
    nargs = PyTuple_GET_SIZE(key);
    if (buffers != Py_None && (!PyTuple_Check(buffers) || PyTuple_GET_SIZE(buffers) != nargs)) {
        PyErr_SetString(PyExc_TypeError, "_add_entry: buffers must be None or a tuple as long as types");
        return NULL;
    }
    for (i = 0; i < nargs; i++) {
        if (kind_of_type(PyTuple_GET_ITEM(key, i)) == 0
            && !(buffers != Py_None && is_tuple_spec(PyTuple_GET_ITEM(buffers, i)))
            && buffer_spec(buffers, i, NULL, NULL, NULL, NULL, NULL) <= 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "_add_entry: argument types must be int, bool or "
                                "float, or buffers or tuples described in `buffers`");
            return NULL;
        }
    }
    handle = PyLong_AsUnsignedLongLong(handle_obj);
    if (handle == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    if (handle == 0 || handle > (unsigned long long)UINTPTR_MAX) {
        PyErr_SetString(PyExc_ValueError, "_add_entry: bad code handle");
        return NULL;
    }
    shapes = PySequence_Fast(shapes_obj, "_add_entry: tuple_shapes must be a sequence");
    if (shapes == NULL)
        return NULL;
    nshapes = PySequence_Fast_GET_SIZE(shapes);
    if (nargs > FC_MAX_ARGS || nshapes > FC_MAX_SHAPES)
        goto beyond_limits;

    e = PyMem_Calloc(1, sizeof *e);
    if (e == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    e->refs = 1;
    e->nargs = nargs;
    e->frame_bytes = frame_bytes;
    e->records = (char)records;
    for (i = 0; i < nargs; i++) {
        PyObject *type;
        char code, readonly, ndim, strided;
        e->kinds[i] = (unsigned char)kind_of_type(PyTuple_GET_ITEM(key, i));
        if (e->kinds[i] == 0 && buffers != Py_None && is_tuple_spec(PyTuple_GET_ITEM(buffers, i))) {
            int found = tuple_spec(e, i, PyTuple_GET_ITEM(PyTuple_GET_ITEM(buffers, i), 1), &slots);
            if (found < 0)
                goto error;
            if (found > 0)
                goto beyond_limits;
            continue;
        }
        if (e->kinds[i] == 0
            && buffer_spec(buffers, i, &type, &code, &readonly, &ndim, &strided) > 0) {
            e->kinds[i] = FC_KIND_BUFFER;
            e->has_buffers = 1;
            e->buffer_type[i] = Py_NewRef(type);
            e->buffer_code[i] = code;
            e->buffer_readonly[i] = readonly;
            e->buffer_ndim[i] = ndim;
            e->buffer_strided[i] = strided;
        }
    }
    e->code = (const jc_code *)(uintptr_t)handle;
    e->nshapes = nshapes;
    e->shape_len = PyMem_Calloc((size_t)(nshapes ? nshapes : 1), 1);
    e->shape_kinds = PyMem_Calloc((size_t)(nshapes ? nshapes : 1), FC_SHAPE_BYTES);
    if (e->shape_len == NULL || e->shape_kinds == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    for (i = 0; i < nshapes; i++) {
        Py_ssize_t at = 0, slots = 0;
        int found = encode_shape(PySequence_Fast_GET_ITEM(shapes, i),
                                 e->shape_kinds + i * FC_SHAPE_BYTES, &at, &slots, 0);
        if (found < 0)
            goto error;
        if (found > 0)
            goto beyond_limits;
        e->shape_len[i] = (unsigned char)at;
    }
    Py_CLEAR(shapes);
    e->key = Py_NewRef(key);
    e->owner = Py_NewRef(owner);

    at = find_entry(self, key);
    if (at >= 0) {
        old = self->entries[at];
        self->entries[at] = e;
    }
    else if (self->nentries < FC_MAX_ENTRIES) {
        self->entries[self->nentries++] = e;
    }
    else {
        entry_free(e);
        Py_RETURN_FALSE;
    }
    entry_free(old);
    Py_RETURN_TRUE;

beyond_limits:
    Py_XDECREF(shapes);
    entry_free(e);
    Py_RETURN_FALSE;
error:
    Py_XDECREF(shapes);
    entry_free(e);
    return NULL;
}

PyDoc_STRVAR(set_nogil_doc,
"_set_nogil(flag)\n\n"
"Whether the fast path releases the GIL while the native code runs.");

static PyObject *DispatcherBase_set_nogil(PyObject *op, PyObject *flag)
{
    int value = PyObject_IsTrue(flag);
    if (value < 0)
        return NULL;
    ((DispatcherBaseObject *)op)->nogil = value;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(remove_entry_doc,
"_remove_entry(types) -> bool\n\n"
"Forget the native code registered for `types`; False if there was none.");

static PyObject *DispatcherBase_remove_entry(PyObject *op, PyObject *key)
{
    DispatcherBaseObject *self = (DispatcherBaseObject *)op;
    Py_ssize_t at = find_entry(self, key);
    if (at < 0)
        Py_RETURN_FALSE;
    remove_at(self, at);
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(fast_signatures_doc,
"_fast_signatures() -> list\n\n"
"The argument types the fast path calls native code for, in lookup order.");

static PyObject *DispatcherBase_fast_signatures(PyObject *op, PyObject *unused)
{
    DispatcherBaseObject *self = (DispatcherBaseObject *)op;
    PyObject *list = PyList_New(self->nentries);
    Py_ssize_t i;
    (void)unused;
    if (list == NULL)
        return NULL;
    for (i = 0; i < self->nentries; i++)
        PyList_SET_ITEM(list, i, Py_NewRef(self->entries[i]->key));
    return list;
}

static PyMethodDef DispatcherBase_methods[] = {
    {"_add_entry", DispatcherBase_add_entry, METH_VARARGS, add_entry_doc},
    {"_remove_entry", DispatcherBase_remove_entry, METH_O, remove_entry_doc},
    {"_fast_signatures", DispatcherBase_fast_signatures, METH_NOARGS, fast_signatures_doc},
    {"_set_nogil", DispatcherBase_set_nogil, METH_O, set_nogil_doc},
    {NULL, NULL, 0, NULL},
};

/* ------------------------------------------------------------------ */
/* Type                                                                 */
/* ------------------------------------------------------------------ */

static PyObject *DispatcherBase_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    DispatcherBaseObject *self;
    (void)args;
    (void)kwargs;
    self = (DispatcherBaseObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = DispatcherBase_vectorcall;
    self->nentries = 0;
    self->nogil = 0;
    return (PyObject *)self;
}

static int DispatcherBase_traverse(PyObject *op, visitproc visit, void *arg)
{
    DispatcherBaseObject *self = (DispatcherBaseObject *)op;
    Py_ssize_t i;
    for (i = 0; i < self->nentries; i++) {
        Py_VISIT(self->entries[i]->key);
        Py_VISIT(self->entries[i]->owner);
    }
    Py_VISIT(self->py_func);
    return 0;
}

static int DispatcherBase_clear(PyObject *op)
{
    DispatcherBaseObject *self = (DispatcherBaseObject *)op;
    while (self->nentries > 0)
        remove_at(self, self->nentries - 1);
    Py_CLEAR(self->py_func);
    return 0;
}

static PyObject *DispatcherBase_get_py_func(PyObject *op, void *closure)
{
    PyObject *func = ((DispatcherBaseObject *)op)->py_func;
    (void)closure;
    if (func == NULL) {
        PyErr_SetString(PyExc_AttributeError, "py_func");
        return NULL;
    }
    return Py_NewRef(func);
}

static int DispatcherBase_set_py_func(PyObject *op, PyObject *value, void *closure)
{
    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "py_func cannot be deleted");
        return -1;
    }
    Py_XSETREF(((DispatcherBaseObject *)op)->py_func, Py_NewRef(value));
    return 0;
}

static PyGetSetDef DispatcherBase_getset[] = {
    {"py_func", DispatcherBase_get_py_func, DispatcherBase_set_py_func,
     "The Python function: what runs where native code cannot.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static void DispatcherBase_dealloc(PyObject *op)
{
    PyObject_GC_UnTrack(op);
    DispatcherBase_clear(op);
    Py_TYPE(op)->tp_free(op);
}

PyDoc_STRVAR(DispatcherBase_doc,
"Base of jitcore's Dispatcher: calls registered native code directly for\n"
"arguments of exactly the registered types, and hands every other call to\n"
"self._call_slow(*args, **kwargs).");

static PyTypeObject DispatcherBase_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "jitcore._fastcall.DispatcherBase",
    .tp_basicsize = sizeof(DispatcherBaseObject),
    .tp_itemsize = 0,
    .tp_dealloc = DispatcherBase_dealloc,
    .tp_vectorcall_offset = offsetof(DispatcherBaseObject, vectorcall),
    .tp_call = DispatcherBase_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC
                | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = DispatcherBase_doc,
    .tp_traverse = DispatcherBase_traverse,
    .tp_clear = DispatcherBase_clear,
    .tp_methods = DispatcherBase_methods,
    .tp_getset = DispatcherBase_getset,
    .tp_new = DispatcherBase_new,
};

/* ------------------------------------------------------------------ */
/* Module                                                               */
/* ------------------------------------------------------------------ */

PyDoc_STRVAR(set_call_packed_doc,
"_set_call_packed(address_gil, address, address_stack_ready, address_raise_taken)\n\n"
"Give the module the addresses of jc_call_packed_gil, jc_call_packed,\n"
"jc_native_stack_ready and jc_raise_taken (from jitcore._native); until then every call takes\n"
"the Python path. They can be set only once (again with the same addresses\n"
"is allowed).");

static fc_call_packed_fn address_arg(PyObject *arg)
{
    unsigned long long address = PyLong_AsUnsignedLongLong(arg);
    if (address == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    if (address == 0 || address > (unsigned long long)UINTPTR_MAX) {
        PyErr_SetString(PyExc_ValueError, "_set_call_packed: bad address");
        return NULL;
    }
    /* Converting an object pointer to a function pointer is what dlsym()
     * users do; POSIX guarantees it works. */
    return (fc_call_packed_fn)(uintptr_t)address;
}

PyDoc_STRVAR(set_numpy_types_doc,
"_set_numpy_types(types)\n\n"
"The NumPy scalar types, in the order of jitcore.ir.NUMPY_SCALARS: the fast\n"
"path boxes NumPy results (statuses 16 + i) with them.");

static PyObject *fc_set_numpy_types(PyObject *module, PyObject *types)
{
    Py_ssize_t i;
    (void)module;
    if (!PyTuple_Check(types) || PyTuple_GET_SIZE(types) != FC_NUMPY_TYPES) {
        PyErr_Format(PyExc_TypeError, "_set_numpy_types: a tuple of %d types", FC_NUMPY_TYPES);
        return NULL;
    }
    for (i = 0; i < FC_NUMPY_TYPES; i++) {
        if (!PyType_Check(PyTuple_GET_ITEM(types, i))) {
            PyErr_SetString(PyExc_TypeError, "_set_numpy_types: a tuple of types");
            return NULL;
        }
    }
    for (i = 0; i < FC_NUMPY_TYPES; i++) {
        PyObject *old = numpy_types[i];
        numpy_types[i] = Py_NewRef(PyTuple_GET_ITEM(types, i));
        Py_XDECREF(old);
    }
    Py_RETURN_NONE;
}

static PyObject *fc_set_call_packed(PyObject *module, PyObject *args)
{
    PyObject *a_gil, *a_any, *a_ready, *a_raise;
    fc_call_packed_fn fn_gil, fn_any, fn_ready, fn_raise;
    (void)module;
    if (!PyArg_ParseTuple(args, "OOOO:_set_call_packed", &a_gil, &a_any, &a_ready, &a_raise))
        return NULL;
    if ((fn_gil = address_arg(a_gil)) == NULL || (fn_any = address_arg(a_any)) == NULL
        || (fn_ready = address_arg(a_ready)) == NULL || (fn_raise = address_arg(a_raise)) == NULL)
        return NULL;
    if ((g_call_packed != NULL && g_call_packed != fn_any)
        || (g_call_packed_gil != NULL && g_call_packed_gil != fn_gil)
        || (g_native_stack_ready != NULL && (void *)g_native_stack_ready != (void *)fn_ready)
        || (g_raise_taken != NULL && (void *)g_raise_taken != (void *)fn_raise)) {
        PyErr_SetString(PyExc_ValueError, "_set_call_packed: already set to other addresses");
        return NULL;
    }
    g_call_packed_gil = fn_gil;
    g_call_packed = fn_any;
    g_native_stack_ready = (int (*)(void))(void *)fn_ready;
    g_raise_taken = (int (*)(void))(void *)fn_raise;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(enable_vectorcall_doc,
"_enable_vectorcall(cls) -> bool\n\n"
"Give a subclass of DispatcherBase that does not define __call__ the vectorcall\n"
"flag, which CPython < 3.12 does not pass on to classes defined in Python\n"
"(3.12+ does, and so this returns False there without changing anything).\n"
"Returns True if the flag is now set.");

static PyObject *fc_enable_vectorcall(PyObject *module, PyObject *arg)
{
    PyTypeObject *cls;
    (void)module;
    if (!PyType_Check(arg) || !PyType_IsSubtype((PyTypeObject *)arg, &DispatcherBase_Type)) {
        PyErr_SetString(PyExc_TypeError, "_enable_vectorcall: expected a subclass of DispatcherBase");
        return NULL;
    }
    cls = (PyTypeObject *)arg;
    if (PyType_HasFeature(cls, Py_TPFLAGS_HAVE_VECTORCALL))
        Py_RETURN_TRUE;
#if JC_SET_VECTORCALL_FLAG_BY_HAND
    if (cls->tp_call == DispatcherBase_call
        && cls->tp_vectorcall_offset == DispatcherBase_Type.tp_vectorcall_offset) {
        /* Safe: every instance is made by DispatcherBase_new (which sets the
         * vectorcall field), and DispatcherBase_vectorcall defers to tp_call
         * if __call__ is reassigned later. */
        cls->tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL;
        PyType_Modified(cls);
        Py_RETURN_TRUE;
    }
#endif
    Py_RETURN_FALSE;
}

PyDoc_STRVAR(depth_fallback_doc,
"_depth_fallback(delta) -> int\n\n"
"Add delta (+1 or -1) to this thread's depth-fallback count (while it is\n"
"positive, jitted calls run in CPython; see STATUS_DEPTH in jitcore/abi.py)\n"
"and return the new count.");

static PyObject *fc_depth_fallback_change(PyObject *module, PyObject *arg)
{
    long delta = PyLong_AsLong(arg);
    (void)module;
    if (delta == -1 && PyErr_Occurred())
        return NULL;
    if (delta != 1 && delta != -1 && delta != 0) {
        PyErr_SetString(PyExc_ValueError, "_depth_fallback: delta must be -1, 0 or 1");
        return NULL;
    }
    if (fc_depth_fallback + delta < 0) {
        PyErr_SetString(PyExc_ValueError, "_depth_fallback: not in a depth fallback");
        return NULL;
    }
    fc_depth_fallback += (int)delta;
    return PyLong_FromLong(fc_depth_fallback);
}

PyDoc_STRVAR(native_calls_doc,
"_native_calls() -> int\n\n"
"How many native calls the fast path has made (for tests; nogil calls may be\n"
"counted approximately).");

PyDoc_STRVAR(buffer_start_doc,
"_buffer_start(obj) -> (address, length, stride)\n\n"
"Where the first element of a 1-D buffer (a strided memoryview) is, its\n"
"length and its stride in bytes.  The caller keeps the buffer exported for\n"
"as long as it uses the address (the Python path holds a memoryview of it).");

static PyObject *fc_buffer_start(PyObject *module, PyObject *obj)
{
    Py_buffer view;
    PyObject *result;
    (void)module;
    if (PyObject_GetBuffer(obj, &view, PyBUF_RECORDS_RO) < 0)
        return NULL;
    if (view.ndim != 1 || view.strides == NULL) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "_buffer_start: not a 1-D buffer");
        return NULL;
    }
    result = Py_BuildValue("(KnL)", (unsigned long long)(uintptr_t)view.buf, view.shape[0],
                           (long long)view.strides[0]);
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(reruns_doc,
"_reruns() -> int\n\n"
"How many calls this thread is re-running in CPython on jitcore's behalf\n"
"(nested): a strict dispatcher called there behaves as CPython would.");

static PyObject *fc_reruns_get(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyLong_FromLong(fc_reruns);
}

PyDoc_STRVAR(set_adaptive_doc,
"_set_adaptive(flag) -> bool\n\n"
"Whether a signature whose calls keep deopting runs its next calls in CPython\n"
"directly for a while (default True); returns the previous setting. Tests\n"
"turn it off so that each call tries native code.");

static PyObject *fc_set_adaptive(PyObject *module, PyObject *flag)
{
    int previous = fc_adaptive, on = PyObject_IsTrue(flag);
    (void)module;
    if (on < 0)
        return NULL;
    fc_adaptive = on;
    return PyBool_FromLong(previous);
}

static PyObject *fc_native_calls_get(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyLong_FromUnsignedLongLong(fc_native_calls);
}

PyDoc_STRVAR(depth_budget_doc,
"_depth_budget(frames_between, frame_bytes=1) -> int\n\n"
"The native call depth budget for a native call made by the caller's caller\n"
"(`frames_between` Python frames of jitcore's running between the user's\n"
"call and here) of code whose activations take up to frame_bytes of stack:\n"
"what the fast path computes for itself.");

static PyObject *fc_depth_budget(PyObject *module, PyObject *args)
{
    long frames;
    Py_ssize_t frame_bytes = 1; /* 1: the stack does not limit it */
    (void)module;
    if (!PyArg_ParseTuple(args, "l|n:_depth_budget", &frames, &frame_bytes))
        return NULL;
    if (frames < 0 || frames > 1000 || frame_bytes <= 0) {
        PyErr_SetString(PyExc_ValueError,
                        "_depth_budget: frames_between must be 0..1000, frame_bytes positive");
        return NULL;
    }
    /* Before 3.12 this builtin's own call counts as a level: not the caller's. */
    return PyLong_FromLong(native_depth_budget((int)frames + JC_C_CALL_USES_PYTHON_BUDGET,
                                               frame_bytes));
}

#ifdef JC_GIL_DROP_REQUESTED
static int gil_drop_requested(void)
{
    return JC_GIL_DROP_REQUESTED(PyThreadState_Get());
}
#endif

PyDoc_STRVAR(gil_drop_check_doc,
"_gil_drop_check() -> int | None\n\n"
"The address of `int check(void)`, which says (with the GIL held) whether\n"
"another thread asked for the GIL, for jc_set_gil_drop_check (csrc/poll.c);\n"
"None where CPython keeps that request private (before 3.13).");

static PyObject *fc_gil_drop_check(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
#ifdef JC_GIL_DROP_REQUESTED
    return PyLong_FromUnsignedLongLong((unsigned long long)(uintptr_t)gil_drop_requested);
#else
    Py_RETURN_NONE;
#endif
}

static PyMethodDef fc_methods[] = {
    {"_gil_drop_check", fc_gil_drop_check, METH_NOARGS, gil_drop_check_doc},
    {"_depth_budget", fc_depth_budget, METH_VARARGS, depth_budget_doc},
    {"_depth_fallback", fc_depth_fallback_change, METH_O, depth_fallback_doc},
    {"_native_calls", fc_native_calls_get, METH_NOARGS, native_calls_doc},
    {"_set_adaptive", fc_set_adaptive, METH_O, set_adaptive_doc},
    {"_reruns", fc_reruns_get, METH_NOARGS, reruns_doc},
    {"_buffer_start", fc_buffer_start, METH_O, buffer_start_doc},
    {"_set_call_packed", fc_set_call_packed, METH_VARARGS, set_call_packed_doc},
    {"_set_numpy_types", fc_set_numpy_types, METH_O, set_numpy_types_doc},
    {"_enable_vectorcall", fc_enable_vectorcall, METH_O, enable_vectorcall_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fc_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "jitcore._fastcall",
    .m_doc = "The fast path of calls to jitted functions (see csrc/fastcall.c).",
    .m_size = -1,
    .m_methods = fc_methods,
};

PyMODINIT_FUNC PyInit__fastcall(void)
{
    PyObject *m;
    if (str_call_slow == NULL) {
        str_call_slow = PyUnicode_InternFromString("_call_slow");
        str_py_func = PyUnicode_InternFromString("py_func");
        str_status_error = PyUnicode_InternFromString("_status_error");
        str_shadow = PyUnicode_InternFromString("_shadow");
        if (str_call_slow == NULL || str_py_func == NULL || str_status_error == NULL
            || str_shadow == NULL)
            return NULL;
    }
    if (run_py_func == NULL) {
        run_py_func = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
        run_py_func_depth_fallback = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
        raise_marker = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
        if (run_py_func == NULL || run_py_func_depth_fallback == NULL || raise_marker == NULL)
            return NULL;
    }
    if (PyType_Ready(&DispatcherBase_Type) < 0)
        return NULL;
    m = PyModule_Create(&fc_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&DispatcherBase_Type);
    if (PyModule_AddObject(m, "DispatcherBase", (PyObject *)&DispatcherBase_Type) < 0) {
        Py_DECREF(&DispatcherBase_Type);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "RUN_PY_FUNC", run_py_func) < 0
        || PyModule_AddObjectRef(m, "RUN_PY_FUNC_IN_DEPTH_FALLBACK", run_py_func_depth_fallback) < 0
        || PyModule_AddObjectRef(m, "RAISE", raise_marker) < 0
        || PyModule_AddIntConstant(m, "DEEPEST_FRAME_C_LEVELS", JC_DEEPEST_FRAME_C_LEVELS) < 0
        || PyModule_AddIntConstant(m, "STATUS_INT", FC_STATUS_INT) < 0
        || PyModule_AddIntConstant(m, "STATUS_DEOPT", FC_STATUS_DEOPT) < 0
        || PyModule_AddIntConstant(m, "STATUS_NONE", FC_STATUS_NONE) < 0
        || PyModule_AddIntConstant(m, "STATUS_BOOL", FC_STATUS_BOOL) < 0
        || PyModule_AddIntConstant(m, "STATUS_FLOAT", FC_STATUS_FLOAT) < 0
        || PyModule_AddIntConstant(m, "STATUS_INTERRUPT", FC_STATUS_INTERRUPT) < 0
        || PyModule_AddIntConstant(m, "STATUS_DEPTH", FC_STATUS_DEPTH) < 0
        || PyModule_AddIntConstant(m, "STATUS_TUPLE", FC_STATUS_TUPLE) < 0
        || PyModule_AddIntConstant(m, "MAX_RESULT_SLOTS", FC_MAX_RESULT_SLOTS) < 0
        || PyModule_AddIntConstant(m, "MAX_NATIVE_DEPTH", FC_MAX_NATIVE_DEPTH) < 0
        || PyModule_AddIntConstant(m, "MAX_NATIVE_BUDGET", FC_MAX_BUDGET) < 0
        || PyModule_AddIntConstant(m, "MAX_ARGS", FC_MAX_ARGS) < 0
        || PyModule_AddIntConstant(m, "MAX_ENTRIES", FC_MAX_ENTRIES) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
