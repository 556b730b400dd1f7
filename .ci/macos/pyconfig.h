/*
 * pyconfig.h for CPython on macOS x86-64 (x86_64-apple-darwin), written for
 * .ci/cross_macos.sh only.  That script compiles jitcore's C files for macOS
 * on a Linux machine with zig: CPython's own headers come from this machine,
 * and this file replaces the machine's (Linux) pyconfig.h next to them.
 *
 * It holds only what CPython's public headers (3.10-3.15) consult.  The
 * names are those of CPython's pyconfig.h.in; the values are what its
 * configure finds on macOS x86-64:
 *   - feature macros: configure.ac defines _DARWIN_C_SOURCE, _GNU_SOURCE,
 *     _NETBSD_SOURCE and _BSD_TYPES on every system, and on Darwin neither
 *     _XOPEN_SOURCE nor _POSIX_C_SOURCE (define_xopen_source=no: they would
 *     hide BSD interfaces); 64-bit off_t needs no large-file macro there;
 *   - sizes and alignments: the x86-64 Darwin ABI (LP64, 4-byte wchar_t,
 *     the 80-bit x87 long double in 16 bytes, 8-byte pthread_t and
 *     pthread_key_t); cross_macos.sh checks each with a _Static_assert
 *     compiled for x86_64-macos (.ci/macos/check_pyconfig.c);
 *   - headers and functions: what macOS's libSystem has.
 */
#ifndef Py_PYCONFIG_H
#define Py_PYCONFIG_H

/* Feature macros (must come before any system header). */
#define _DARWIN_C_SOURCE 1
#define _GNU_SOURCE 1
#define _NETBSD_SOURCE 1
#define _BSD_TYPES 1

/* Sizes and alignments (checked: check_pyconfig.c). */
#define SIZEOF_DOUBLE 8
#define SIZEOF_FLOAT 4
#define SIZEOF_FPOS_T 8
#define SIZEOF_INT 4
#define SIZEOF_LONG 8
#define SIZEOF_LONG_DOUBLE 16
#define SIZEOF_LONG_LONG 8
#define SIZEOF_OFF_T 8
#define SIZEOF_PID_T 4
#define SIZEOF_PTHREAD_KEY_T 8
#define SIZEOF_PTHREAD_T 8
#define SIZEOF_SHORT 2
#define SIZEOF_SIZE_T 8
#define SIZEOF_TIME_T 8
#define SIZEOF_UINTPTR_T 8
#define SIZEOF_VOID_P 8
#define SIZEOF_WCHAR_T 4
#define SIZEOF__BOOL 1
#define ALIGNOF_LONG 8
#define ALIGNOF_MAX_ALIGN_T 16
#define ALIGNOF_SIZE_T 8

/* Number formats of x86-64. */
#define DOUBLE_IS_LITTLE_ENDIAN_IEEE754 1
#define HAVE_GCC_ASM_FOR_X64 1
#define HAVE_GCC_ASM_FOR_X87 1
#define VA_LIST_IS_ARRAY 1

/* Headers, types and functions macOS has. */
#define HAVE_CLOCK_GETTIME 1
#define HAVE_COPYSIGN 1
#define HAVE_DLFCN_H 1
#define HAVE_DLOPEN 1
#define HAVE_ERRNO_H 1
#define HAVE_FORK 1
#define HAVE_HYPOT 1
#define HAVE_INTTYPES_H 1
#define HAVE_LONG_DOUBLE 1
#define HAVE_PTHREAD_H 1
#define HAVE_READLINK 1
#define HAVE_REALPATH 1
#define HAVE_ROUND 1
#define HAVE_SSIZE_T 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_SYS_SELECT_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1
#define HAVE_WCHAR_H 1
#define STDC_HEADERS 1
#define TIME_WITH_SYS_TIME 1

/* How CPython itself is built (python.org's macOS installer): the default
 * allocator, docstrings kept, no debug build, the GIL. */
#define WITH_DOC_STRINGS 1
#define WITH_PYMALLOC 1
#define PY_FORMAT_SIZE_T "z" /* 3.10 only */

#endif /* Py_PYCONFIG_H */
