/*
 * undo.c -- the memory behind undo records (undo.h): jc_undo_begin, which
 * generated code calls at a call's first store into a buffer, and the
 * rollback and release for the Python call path (jitcore/dispatcher.py),
 * which reaches them through cffi.
 *
 * A record's byte map, `pre` and `post` live in one block.  Blocks from
 * JC_UNDO_MAP_FROM bytes on are mapped (committed only where stores land),
 * smaller ones come from calloc.  When a call ends, its block becomes this
 * thread's spare (the previous spare is freed), unless it is larger than
 * JC_UNDO_SPARE_MAX: a loop that calls an in-place kernel on the same
 * buffer then reuses committed pages and only clears the byte map.  A thread's
 * spare is freed when the thread exits.
 */
#define _GNU_SOURCE
#include "jc_internal.h"
#include "undo.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#define JC_UNDO_MAP_FROM 262144
#define JC_UNDO_SPARE_MAX ((size_t)64 << 20)

typedef struct {
    char *memory;
    size_t bytes;
} spare_block;

static __thread spare_block t_spare;
static pthread_key_t g_spare_key;
static pthread_once_t g_spare_once = PTHREAD_ONCE_INIT;
static int g_spare_key_ok;

static void free_block(char *memory, size_t bytes)
{
    if (bytes >= JC_UNDO_MAP_FROM)
        munmap(memory, bytes);
    else
        free(memory);
}

static void thread_exit(void *unused)
{
    (void)unused;
    if (t_spare.memory != NULL)
        free_block(t_spare.memory, t_spare.bytes);
    t_spare.memory = NULL;
}

static void make_key(void)
{
    g_spare_key_ok = pthread_key_create(&g_spare_key, thread_exit) == 0;
}

static char *new_block(size_t bytes)
{
    char *memory;
    if (bytes >= JC_UNDO_MAP_FROM) {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
        flags |= MAP_NORESERVE;
#endif
        memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
        return memory == MAP_FAILED ? NULL : memory;
    }
    return calloc(1, bytes);
}

static void release(jc_undo *u)
{
    char *memory = (char *)u->dirty;
    if (u->block > JC_UNDO_SPARE_MAX || !g_spare_key_ok) {
        free_block(memory, u->block);
        return;
    }
    if (t_spare.memory != NULL)
        free_block(t_spare.memory, t_spare.bytes);
    t_spare.memory = memory;
    t_spare.bytes = u->block;
    pthread_setspecific(g_spare_key, &t_spare); /* non-NULL: the destructor runs */
}

/* Memory for u's byte map, pre and post: 0, or 1 when there is none to be had
 * (the code then leaves the call to CPython before its first store). */
int jc_undo_begin(jc_undo *u)
{
    size_t flags, total;
    char *memory;
    if (u->dirty != NULL)
        return 0;
    if (u->length <= 0 || u->size <= 0)
        return 1;
    pthread_once(&g_spare_once, make_key);
    total = jc_undo_bytes(u, &flags);
    if (t_spare.memory != NULL && t_spare.bytes >= total && t_spare.bytes <= 4 * total + 65536) {
        memory = t_spare.memory; /* committed already: only the byte map must be cleared */
        u->block = t_spare.bytes;
        t_spare.memory = NULL;
        memset(memory, 0, flags);
    }
    else {
        memory = new_block(total);
        if (memory == NULL)
            return 1;
        u->block = total;
    }
    u->release = release;
    u->pre = memory + flags;
    u->post = u->pre + (size_t)u->length * (size_t)u->size;
    u->dirty = (unsigned char *)memory;
    return 0;
}

void jc_undo_rollback_and_end(jc_undo *u, int rollback)
{
    if (rollback)
        jc_undo_rollback(u);
    jc_undo_end(u);
}
