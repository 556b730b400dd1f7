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

/* interrupt.c: the flag the SIGINT handler sets, and the flag calls made by
 * this thread must poll (the real one only on the main thread). */
extern volatile int64_t jc_interrupt_flag;
const volatile int64_t *jc_interrupt_flag_for_thread(void);

/* execmem.c: brackets around a call that may run without the GIL; code
 * freed meanwhile is queued until the last such call ends. */
void jc_unlocked_call_begin(void);
void jc_unlocked_call_end(void);

/* Set this thread's error message (printf-style). */
void jc_set_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif /* JC_INTERNAL_H */
