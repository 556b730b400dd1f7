/*
 * undo.c -- the part of undo.h that generated code calls: jc_undo_begin, at
 * a call's first store into a buffer; and the rollback and release for the
 * Python call path (jitcore/dispatcher.py), which reaches them through cffi.
 */
#define _GNU_SOURCE
#include "jc_internal.h"
#include "undo.h"

/* Allocate u's bitmap, pre and post: 0, or 1 when there is no memory for
 * them (the code then leaves the call to CPython before its first store). */
int jc_undo_begin(jc_undo *u)
{
    size_t bitmap, total;
    char *memory;
    if (u->dirty != NULL)
        return 0;
    if (u->length <= 0 || u->size <= 0)
        return 1;
    total = jc_undo_bytes(u, &bitmap);
    if (total >= JC_UNDO_MAP_FROM) {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
        flags |= MAP_NORESERVE;
#endif
        memory = mmap(NULL, total, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (memory == MAP_FAILED)
            return 1;
        u->mapped = total;
    }
    else {
        memory = calloc(1, total);
        if (memory == NULL)
            return 1;
        u->mapped = 0;
    }
    u->pre = memory + bitmap;
    u->post = u->pre + (size_t)u->length * (size_t)u->size;
    u->dirty = (uint64_t *)memory;
    return 0;
}

void jc_undo_rollback_and_end(jc_undo *u, int rollback)
{
    if (rollback)
        jc_undo_rollback(u);
    jc_undo_end(u);
}
