/*
 * libm.h -- which libm the numeric helpers (numeric.c) call: the C library's,
 * the one CPython's math module calls, never a copy of the compiler's.
 *
 * The helpers must give CPython's results bit for bit, and CPython computes
 * sin, exp, log10, ... with the C library's libm.  The release wheels are
 * built by zig's C compiler against glibc 2.17 (.ci/build_wheel.sh), and zig
 * links its own compiler_rt, which defines sin, cos, tan, exp, exp2, log,
 * log2, log10, fma, fmod, floor, ceil, round, trunc, sqrt, ... itself: a
 * plain call would bind to those, which round differently from glibc's
 * (tests/test_numeric_helpers.py caught it).  Built against a glibc older
 * than 2.29 (zig's 2.17 target, or a manylinux2014 image), every libm
 * function is therefore named with its symbol version, GLIBC_2.2.5 (x86-64's
 * first), which only the C library's libm.so.6 defines.
 *
 * Since glibc 2.29 exp, exp2, log, log2 and pow have a newer default version
 * too; the 2.2.5 ones kept for old programs compute the same values (they
 * only add the old error-handling wrapper, which changes errno alone, as the
 * POSIX one does).  Against a newer glibc (a build from source with the
 * machine's gcc) nothing here applies: the calls bind to that libm directly.
 *
 * Include it after <math.h>, only in files that call libm.
 */
#ifndef JITCORE_LIBM_H
#define JITCORE_LIBM_H

#if defined(__GLIBC__) && defined(__x86_64__) && defined(__ELF__) \
    && (__GLIBC__ == 2 && __GLIBC_MINOR__ < 29)
#  define JC_LIBM_2_2_5(name) __asm__(".symver " #name "," #name "@GLIBC_2.2.5");
JC_LIBM_2_2_5(acos) JC_LIBM_2_2_5(acosh) JC_LIBM_2_2_5(asin) JC_LIBM_2_2_5(asinh)
JC_LIBM_2_2_5(atan) JC_LIBM_2_2_5(atan2) JC_LIBM_2_2_5(atanh) JC_LIBM_2_2_5(cbrt)
JC_LIBM_2_2_5(ceil) JC_LIBM_2_2_5(cos) JC_LIBM_2_2_5(cosh) JC_LIBM_2_2_5(erf)
JC_LIBM_2_2_5(erfc) JC_LIBM_2_2_5(exp) JC_LIBM_2_2_5(exp2) JC_LIBM_2_2_5(expm1)
JC_LIBM_2_2_5(floor) JC_LIBM_2_2_5(floorf) JC_LIBM_2_2_5(fma) JC_LIBM_2_2_5(fmod)
JC_LIBM_2_2_5(fmodf) JC_LIBM_2_2_5(frexp) JC_LIBM_2_2_5(ldexp) JC_LIBM_2_2_5(log)
JC_LIBM_2_2_5(log10) JC_LIBM_2_2_5(log1p) JC_LIBM_2_2_5(log2) JC_LIBM_2_2_5(modf)
JC_LIBM_2_2_5(nextafter) JC_LIBM_2_2_5(pow) JC_LIBM_2_2_5(powf) JC_LIBM_2_2_5(round)
JC_LIBM_2_2_5(sin) JC_LIBM_2_2_5(sinh) JC_LIBM_2_2_5(sqrt) JC_LIBM_2_2_5(tan)
JC_LIBM_2_2_5(tanh) JC_LIBM_2_2_5(trunc)
#  undef JC_LIBM_2_2_5
#endif

#endif /* JITCORE_LIBM_H */
