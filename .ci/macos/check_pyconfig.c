/*
 * The sizes and alignments in .ci/macos/pyconfig.h, checked by compiling this
 * file for x86_64-macos (.ci/cross_macos.sh): a wrong value stops the build.
 */
#include "pyconfig.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>
#include <wchar.h>

#define SAME(value, expr) _Static_assert((value) == (expr), #value " is not " #expr)

SAME(SIZEOF_DOUBLE, sizeof(double));
SAME(SIZEOF_FLOAT, sizeof(float));
SAME(SIZEOF_FPOS_T, sizeof(fpos_t));
SAME(SIZEOF_INT, sizeof(int));
SAME(SIZEOF_LONG, sizeof(long));
SAME(SIZEOF_LONG_DOUBLE, sizeof(long double));
SAME(SIZEOF_LONG_LONG, sizeof(long long));
SAME(SIZEOF_OFF_T, sizeof(off_t));
SAME(SIZEOF_PID_T, sizeof(pid_t));
SAME(SIZEOF_PTHREAD_KEY_T, sizeof(pthread_key_t));
SAME(SIZEOF_PTHREAD_T, sizeof(pthread_t));
SAME(SIZEOF_SHORT, sizeof(short));
SAME(SIZEOF_SIZE_T, sizeof(size_t));
SAME(SIZEOF_TIME_T, sizeof(time_t));
SAME(SIZEOF_UINTPTR_T, sizeof(uintptr_t));
SAME(SIZEOF_VOID_P, sizeof(void *));
SAME(SIZEOF_WCHAR_T, sizeof(wchar_t));
SAME(SIZEOF__BOOL, sizeof(_Bool));
SAME(ALIGNOF_LONG, _Alignof(long));
SAME(ALIGNOF_MAX_ALIGN_T, _Alignof(max_align_t));
SAME(ALIGNOF_SIZE_T, _Alignof(size_t));

#if !defined(__x86_64__) || !defined(__APPLE__) || !defined(__LITTLE_ENDIAN__)
#  error "this pyconfig.h is for macOS on x86-64"
#endif
