/*
 * undo.h -- what a call that stores into buffers keeps to take its stores back.
 *
 * A call that native code cannot finish re-runs in CPython from the start
 * (a deopt, an exhausted depth budget or stack, Ctrl-C before a handler that
 * returns).  That is exact only if the arguments are as they were, so every
 * store into a buffer argument is recorded first, and a call that does not
 * finish natively is rolled back before it re-runs.  Per buffer argument and
 * call, one jc_undo record, filled by the caller (base, length, size, and
 * where each element is) and
 * given to the code with the buffer:
 *
 *   - at its first store the code calls jc_undo_begin (undo.c), which
 *     allocates a byte map (a flag per element: stored this call), `pre`
 *     (each such element's value before it) and `post` (the value this call
 *     last stored there): memory bounded by twice the buffer plus a byte per
 *     element, committed only where stores land (large ones are mapped);
 *   - each store sets the element's flag, copies the old value to `pre` if
 *     the flag was clear, and writes the new value to the buffer and to `post`;
 *   - jc_undo_rollback puts `pre` back into every element whose flag is set
 *     and that still holds `post`: an element another thread wrote after this
 *     call did (the GIL is released meanwhile under nogil=True, and at polls
 *     otherwise) keeps that thread's value;
 *   - jc_undo_end gives the record's memory back: to a spare block kept per
 *     thread (undo.c), so that a call that stores into the same buffer
 *     again only clears the byte map instead of mapping and faulting in fresh
 *     pages.
 *
 * Generated code reads `dirty`, `pre` and `post` at the offsets abi.py
 * gives (UNDO_*; tests/test_buffer_stores.py checks them against cffi's).  This header is included by _native (undo.c) and by the C
 * fast path (fastcall.c), which rolls back and frees calls it makes itself.
 */
#ifndef JITCORE_UNDO_H
#define JITCORE_UNDO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cffi-cdef: begin */
typedef struct jc_undo {
    char *base;        /* the buffer's first element (filled by the caller) */
    int64_t length;    /* its elements (filled by the caller) */
    int64_t size;      /* bytes per element: 1, 2, 4 or 8 (filled by the caller) */
    unsigned char *dirty; /* a byte per element, 1 once stored this call; NULL before the first store */
    char *pre;         /* [length] each stored element's value before this call stored it */
    char *post;        /* [length] the value this call last stored there */
    size_t block;      /* bytes of the memory behind the three */
    void (*release)(struct jc_undo *u); /* gives that memory back (set by jc_undo_begin) */
    /* Where element k is (filled by the caller): base + (k / inner) * stride0
     * + (k % inner) * stride1 bytes.  Elements are numbered in C order, so for
     * a flat buffer inner = length, stride0 = 0 and stride1 = size; a NumPy
     * array of any strides has its own (a 1-D one: inner = length). */
    int64_t inner;
    int64_t stride0;
    int64_t stride1;
} jc_undo;
/* cffi-cdef: end */


static inline size_t jc_undo_bytes(const jc_undo *u, size_t *map_bytes)
{
    size_t flags = ((size_t)u->length + 7) & ~(size_t)7; /* pre stays 8-byte aligned */
    *map_bytes = flags;
    return flags + 2 * (size_t)u->length * (size_t)u->size;
}

static inline void jc_undo_rollback(jc_undo *u)
{
    int64_t k;
    size_t size = (size_t)u->size;
    if (u->dirty == NULL)
        return;
    for (k = 0; k < u->length; k++) { /* any order: one entry per element */
        char *at;
        if (!u->dirty[k])
            continue;
        at = u->base + (k / u->inner) * u->stride0 + (k % u->inner) * u->stride1;
        if (memcmp(at, u->post + k * (int64_t)size, size) == 0)
            memcpy(at, u->pre + k * (int64_t)size, size);
    }
}

static inline void jc_undo_end(jc_undo *u)
{
    if (u->dirty == NULL)
        return;
    u->release(u);
    u->dirty = NULL;
    u->pre = u->post = NULL;
}

#endif /* JITCORE_UNDO_H */
