/*
 * pyversions.h -- every difference between CPython versions that jitcore's C
 * code depends on, in one place (jitcore/frontend/versions.py is the Python
 * side's).
 *
 * Two kinds of file include this header:
 *
 *   - fastcall.c, a CPython extension built per interpreter (Python.h first):
 *     the thread state's recursion counters and eval breaker, and the
 *     vectorcall flag, each a compile-time choice on PY_VERSION_HEX;
 *   - numeric.c, plain C built into the cffi module: the versions from which
 *     math.hypot and math.pow changed, which it checks at run time against
 *     the running interpreter's (so the module is built once for all); its
 *     default before that is PY_VERSION_HEX from patchlevel.h (cffi puts
 *     Python's include directory on the path), else a current CPython.
 *
 * A version newer than the last one named here compiles (the module is
 * optional), but jitcore compiles nothing on it (versions.py refuses
 * unknown interpreters), so its native fast path is never reached.
 */
#ifndef JITCORE_PYVERSIONS_H
#define JITCORE_PYVERSIONS_H

#if !defined(PY_VERSION_HEX) && defined(__has_include)
#  if __has_include(<patchlevel.h>)
#    include <patchlevel.h>
#  endif
#endif

/* The newest CPython whose private structures below were checked (3.15). */
#define JC_NEWEST_KNOWN_PY 0x030F0000

/* The math module's differences, which numeric.c (in the version-independent
 * _native.abi3.so) follows at run time, by the version jitcore.runtime gives
 * jc_set_python_version:
 *   math.hypot: 3.12 replaced Veltkamp-Dekker splitting by Neumaier
 *   summation with fma-based squaring (numeric.c keeps both);
 *   math.pow(+-0.0, -inf): ValueError before 3.11, inf since (bpo-44339). */
#define JC_HYPOT_NEUMAIER_SINCE 0x030C0000UL
#define JC_POW_ZERO_NEG_INF_INF_SINCE 0x030B0000UL

#ifdef Py_PYTHON_H

/* Before 3.12 one counter limits both Python frames and C calls: calling a
 * builtin (METH_O, METH_NOARGS, ...) from Python counts as one level while
 * it runs.  3.12+ keep a separate budget for C calls. */
#if PY_VERSION_HEX < 0x030C0000
#  define JC_C_CALL_USES_PYTHON_BUDGET 1
#else
#  define JC_C_CALL_USES_PYTHON_BUDGET 0
#endif

/* Whether a Python-to-Python call takes C stack (3.10: every call recurses
 * in the C eval loop; 3.11+ run the callee in the same C frame).  Where it
 * does, CPython's own deep recursion overflows the C stack (a crash), so
 * fastcall.c re-runs a deep recursion through its own C calls, which check
 * the stack and raise RecursionError in time, instead of as the plain
 * Python calls of a shadow. */
#if PY_VERSION_HEX < 0x030B0000
#  define JC_PYTHON_CALLS_USE_C_STACK 1
#else
#  define JC_PYTHON_CALLS_USE_C_STACK 0
#endif

/* Levels the deepest frame of a recursion may need beyond its own: before
 * 3.12 its C calls count (`n == 0` checks the limit " in comparison" unless
 * the instruction is specialized), so CPython's recursion can stop one level
 * short of the frame count; a native budget one lower never lets native code
 * go deeper than CPython (where CPython would have gone one deeper, the
 * call runs in CPython, which gives its own answer). */
#define JC_DEEPEST_FRAME_C_LEVELS JC_C_CALL_USES_PYTHON_BUDGET

/* How many more Python frames the recursion limit allows in this thread:
 * the frame that is running now may call this many nested Python functions
 * before CPython raises RecursionError.  The counters are private fields of
 * PyThreadState, named differently in each version (Include/cpython/pystate.h). */
static inline int jc_python_frames_left(void)
{
    PyThreadState *tstate = PyThreadState_Get();
#if PY_VERSION_HEX > JC_NEWEST_KNOWN_PY + 0xFFFF
    (void)tstate;
    return 0; /* unknown layout: no native recursion (nothing compiles here anyway) */
#elif PY_VERSION_HEX >= 0x030C0000
    return tstate->py_recursion_remaining; /* 3.12-3.15: Python frames only */
#elif PY_VERSION_HEX >= 0x030B0000
    return tstate->recursion_remaining; /* 3.11: frames and C calls */
#else
    return Py_GetRecursionLimit() - tstate->recursion_depth; /* 3.10 */
#endif
}

/* Whether a heap type defined in Python may be given Py_TPFLAGS_HAVE_VECTORCALL
 * by hand: before 3.12 CPython does not pass the flag on to subclasses. */
#if PY_VERSION_HEX < 0x030C0000
#  define JC_SET_VECTORCALL_FLAG_BY_HAND 1
#else
#  define JC_SET_VECTORCALL_FLAG_BY_HAND 0
#endif

/* Whether another thread has asked the one running (which holds the GIL)
 * to let the GIL go: bit 0 of the thread state's eval breaker, a field of
 * the public struct from 3.13 (Include/cpython/pystate.h; the bit is
 * _PY_GIL_DROP_REQUEST_BIT).  Before 3.13 the request is in private
 * interpreter state: left undefined, and csrc/poll.c then lets the GIL go
 * on a timer instead. */
#if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX <= JC_NEWEST_KNOWN_PY + 0xFFFF
#  define JC_GIL_DROP_REQUESTED(tstate) (((tstate)->eval_breaker & 1U) != 0)
#endif

#endif /* Py_PYTHON_H */

#endif /* JITCORE_PYVERSIONS_H */
