/*
 * numeric.c -- numeric helpers for generated code (see numeric.h).
 *
 * Each helper transcribes the CPython code that does the same operation, so
 * that the bits of every result, and the cases that raise, are the same:
 *
 *   float // % **        Objects/floatobject.c  float_floor_div, float_rem,
 *                        _float_div_mod, float_pow
 *   round, int()         float___round___impl, double_round, PyLong_FromDouble
 *   math.floor/ceil      Modules/mathmodule.c   math_floor, math_ceil
 *   int // % ** pow()    Objects/longobject.c   (exact int64 arithmetic),
 *                        long_pow's modular inverse, long_round
 *   int / int            long_true_divide (correctly rounded)
 *   math.*               math_1 / math_1a / math_2 / m_log / m_atan2 /
 *                        m_remainder / math_fmod / math_pow / loghelper /
 *                        math_ldexp / m_tgamma / m_lgamma / math_nextafter /
 *                        math_ulp / math_fma / math_isclose / math_hypot /
 *                        vector_norm; gcd, lcm, isqrt, factorial, comb,
 *                        perm on int64 (results beyond it fail)
 *
 * The libm functions are the ones CPython calls (same process, same libm),
 * so sqrt, exp, log, sin, cos, pow and fmod give the same bits.  Where
 * CPython looks at errno after a libm call we do too, saving and restoring
 * the caller's errno so that the helpers stay free of side effects.
 *
 * Nothing here may be compiled with -ffast-math or FP contraction: the
 * compensated sums in hypot and the snapping in floor division rely on
 * every operation being rounded separately (C99 mode keeps contraction off
 * in GCC).
 */
#include "numeric.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libm.h" /* the C library's libm, even in zig-built wheels */

/* math.hypot changed its algorithm in CPython 3.12 (Neumaier summation with
 * fma-based squaring instead of Veltkamp-Dekker splitting); the two differ
 * in the last bit for a few inputs in 10**5.  Which CPython's rules apply is
 * decided at run time (jc_set_python_version; the versions are in
 * pyversions.h), so one build serves every interpreter. */
#include "pyversions.h"

#ifdef PY_VERSION_HEX
static unsigned long jc_python_version = PY_VERSION_HEX;
#else
static unsigned long jc_python_version = 0xFFFFFFFFUL; /* a current CPython */
#endif

void jc_set_python_version(unsigned long hexversion)
{
    jc_python_version = hexversion;
}

/* ------------------------------------------------------------ float ops */

/* CPython's _float_div_mod, for wx != 0.  Both results always exist (they
 * may be inf or nan); CPython never raises after the zero check. */
static void float_div_mod(double vx, double wx, double *floordiv,
                          double *mod)
{
    double div;
    *mod = fmod(vx, wx);
    /* fmod is exact, but vx - mod is rounded: div is very close to an
     * integer, not necessarily one; it is snapped below. */
    div = (vx - *mod) / wx;
    if (*mod) {
        /* the remainder takes the sign of the denominator */
        if ((wx < 0) != (*mod < 0)) {
            *mod += wx;
            div -= 1.0;
        }
    }
    else {
        /* zero remainder: fmod's sign varies across platforms; CPython
         * fixes it to the denominator's */
        *mod = copysign(0.0, wx);
    }
    if (div) {
        /* snap the quotient to the nearest integer */
        *floordiv = floor(div);
        if (div - *floordiv > 0.5)
            *floordiv += 1.0;
    }
    else {
        /* zero quotient: take the sign of the true quotient */
        *floordiv = copysign(0.0, vx / wx);
    }
}

int jc_float_floordiv(double a, double b, double *out)
{
    double mod;
    if (b == 0.0)
        return 1; /* ZeroDivisionError */
    float_div_mod(a, b, out, &mod);
    return 0;
}

/* float_rem: like float_div_mod without the quotient (so no rounding of
 * vx - mod can matter). */
int jc_float_mod(double a, double b, double *out)
{
    double mod;
    if (b == 0.0)
        return 1; /* ZeroDivisionError */
    mod = fmod(a, b);
    if (mod) {
        if ((b < 0) != (mod < 0))
            mod += b;
    }
    else {
        mod = copysign(0.0, b);
    }
    *out = mod;
    return 0;
}

/* CPython's DOUBLE_IS_ODD_INTEGER (false for inf and nan). */
static int is_odd_integer(double x)
{
    return fmod(fabs(x), 2.0) == 1.0;
}

/* float_pow: the special cases are settled here rather than left to pow(),
 * in CPython's order; only finite, positive, non-1 bases reach pow(). */
int jc_float_pow(double iv, double iw, double *out)
{
    int negate_result = 0, saved_errno, err;
    double ix;

    if (iw == 0) { /* v**0 is 1, even 0**0 and nan**0 */
        *out = 1.0;
        return 0;
    }
    if (isnan(iv)) { /* nan**w = nan, unless w == 0 */
        *out = iv;
        return 0;
    }
    if (isnan(iw)) { /* v**nan = nan, unless v == 1; 1**nan = 1 */
        *out = iv == 1.0 ? 1.0 : iw;
        return 0;
    }
    if (isinf(iw)) {
        /* v**inf: 0.0 if |v| < 1, 1.0 if |v| == 1, inf if |v| > 1;
         * v**-inf: inf if |v| < 1, 1.0 if |v| == 1, 0.0 if |v| > 1 */
        iv = fabs(iv);
        if (iv == 1.0)
            *out = 1.0;
        else if ((iw > 0.0) == (iv > 1.0))
            *out = fabs(iw);
        else
            *out = 0.0;
        return 0;
    }
    if (isinf(iv)) {
        /* (+-inf)**w: inf for w > 0, 0 for w < 0, signed if w is an odd
         * integer */
        int iw_is_odd = is_odd_integer(iw);
        if (iw > 0.0)
            *out = iw_is_odd ? iv : fabs(iv);
        else
            *out = iw_is_odd ? copysign(0.0, iv) : 0.0;
        return 0;
    }
    if (iv == 0.0) {
        if (iw < 0.0)
            return 1; /* ZeroDivisionError */
        *out = is_odd_integer(iw) ? iv : 0.0; /* keep -0.0 for odd w */
        return 0;
    }
    if (iv < 0.0) {
        if (iw != floor(iw))
            return 1; /* CPython returns a complex */
        /* iw is an integer, perhaps a huge one: pow(|v|, w), negated for
         * odd w (some libms mishandle negative bases) */
        iv = -iv;
        negate_result = is_odd_integer(iw);
    }
    if (iv == 1.0) { /* also (-1)**huge_integer, where libms have erred */
        *out = negate_result ? -1.0 : 1.0;
        return 0;
    }

    saved_errno = errno;
    errno = 0;
    ix = pow(iv, iw);
    /* _Py_ADJUST_ERANGE1: an infinite result is an overflow even without
     * errno; ERANGE with a zero result is an underflow, which is fine.  A
     * nonzero result with ERANGE still raises in CPython, so here too. */
    if (errno == 0) {
        if (ix == HUGE_VAL || ix == -HUGE_VAL)
            errno = ERANGE;
    }
    else if (errno == ERANGE && ix == 0.0) {
        errno = 0;
    }
    err = errno;
    errno = saved_errno;
    if (err != 0)
        return 1; /* OverflowError (or ValueError for other errnos) */
    *out = negate_result ? -ix : ix;
    return 0;
}

/* ------------------------------------------------------- float -> int */

/* PyLong_FromDouble on an integral value r, narrowed to int64: nan
 * (ValueError), inf (OverflowError) and values outside int64 (a big int)
 * fail.  -2**63 is the least int64; 2**63 is the least double above
 * INT64_MAX (doubles there are 2048 apart).  NaN fails both comparisons. */
static int integral_to_int64(double r, int64_t *out)
{
    if (!(r >= -0x1p63 && r < 0x1p63))
        return 1;
    *out = (int64_t)r;
    return 0;
}

/* float___round___impl with ndigits None: round() rounds halfway cases
 * away from zero, so those are redone as 2 * round(x / 2). */
int jc_float_round(double x, int64_t *out)
{
    double rounded = round(x);
    if (fabs(x - rounded) == 0.5)
        rounded = 2.0 * round(x / 2.0);
    return integral_to_int64(rounded, out);
}

int jc_float_to_int(double x, int64_t *out)
{
    return integral_to_int64(trunc(x), out);
}

int jc_float_floor(double x, int64_t *out)
{
    return integral_to_int64(floor(x), out);
}

int jc_float_ceil(double x, int64_t *out)
{
    return integral_to_int64(ceil(x), out);
}

/* ------------------------------------------------------------- int ops */

/* Binary exponentiation.  The base is squared only while a higher bit of
 * exp remains, so every square and partial product divides the final
 * result: an overflow on the way means the result itself is outside int64
 * (never a spurious failure; (-2)**63 == INT64_MIN succeeds). */
int jc_int_pow(int64_t base, int64_t exp, int64_t *out)
{
    int64_t result = 1;
    if (exp < 0)
        return 1; /* float result, or ZeroDivisionError for 0 ** -n */
    for (;;) {
        if ((exp & 1) && __builtin_mul_overflow(result, base, &result))
            return 1;
        exp >>= 1;
        if (exp == 0)
            break;
        if (__builtin_mul_overflow(base, base, &base))
            return 1;
    }
    *out = result;
    return 0;
}

/* |x| as an unsigned number (right for INT64_MIN too). */
static uint64_t magnitude(int64_t x)
{
    return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
}

/* The inverse of b modulo m (m > 1, 0 <= b < m) by the extended Euclidean
 * algorithm; 1 if there is none (gcd(b, m) != 1: CPython's ValueError, "base
 * is not invertible for the given modulus"). */
static int inverse_mod(uint64_t b, uint64_t m, uint64_t *out)
{
    __int128 t = 0, new_t = 1, q, tmp;
    uint64_t r = m, new_r = b, rtmp;
    while (new_r != 0) {
        q = r / new_r;
        tmp = t - q * new_t;
        t = new_t;
        new_t = tmp;
        rtmp = r - (uint64_t)q * new_r;
        r = new_r;
        new_r = rtmp;
    }
    if (r != 1)
        return 1;
    if (t < 0)
        t += m;
    *out = (uint64_t)t;
    return 0;
}

/* pow(base, exp, mod) of Python ints, as long_pow: base ** exp % mod with the
 * sign of mod (as Python's %); 0 for mod +-1; for exp < 0 the inverse of
 * base to the power -exp; 1 where CPython raises (mod == 0, no inverse).
 * Products of residues below 2**63 fit in 128 bits. */
int jc_int_powmod(int64_t base, int64_t exp, int64_t mod, int64_t *out)
{
    uint64_t m, b, e, r = 1;
    if (mod == 0)
        return 1;
    m = magnitude(mod); /* 2**63 too */
    if (m == 1) {
        *out = 0;
        return 0;
    }
    b = base < 0 ? (m - magnitude(base) % m) % m : (uint64_t)base % m;
    e = magnitude(exp); /* -2**63 too */
    if (exp < 0 && inverse_mod(b, m, &b))
        return 1;
    while (e > 0) {
        if (e & 1)
            r = (uint64_t)(((unsigned __int128)r * b) % m);
        b = (uint64_t)(((unsigned __int128)b * b) % m);
        e >>= 1;
    }
    /* Python's % takes the sign of the divisor: a negative mod gives r - |mod| */
    *out = (mod < 0 && r != 0) ? (int64_t)(r - m) : (int64_t)r;
    return 0;
}

int jc_numpy_pow(double a, double b, double *out)
{
    int saved_errno = errno;
    *out = pow(a, b);
    errno = saved_errno;
    return 0;
}

int jc_numpy_powf(double a, double b, double *out)
{
    int saved_errno = errno;
    *out = (double)powf((float)a, (float)b);
    errno = saved_errno;
    return 0;
}

/* Binary exponentiation in unsigned arithmetic: wrapping, as NumPy's loop
 * of the type's own multiplications does (narrower types are this modulo
 * their width). */
int jc_numpy_int_pow(int64_t base, int64_t exp, int64_t *out)
{
    uint64_t result = 1, b = (uint64_t)base;
    if (exp < 0)
        return 1;
    while (exp != 0) {
        if (exp & 1)
            result *= b;
        b *= b;
        exp >>= 1;
    }
    *out = (int64_t)result;
    return 0;
}

/* NumPy's npy_divmodf (npymath), transcribed: single precision throughout
 * (x86-64 evaluates float expressions in float). */
static float numpy_divmodf(float a, float b, float *modulus)
{
    float div, mod, floordiv;
    mod = fmodf(a, b);
    div = (a - mod) / b;
    if (mod) {
        if (isless(b, 0) != isless(mod, 0)) {
            mod += b;
            div -= 1.0f;
        }
    }
    else {
        mod = copysignf(0, b);
    }
    if (div) {
        floordiv = floorf(div);
        if (isgreater(div - floordiv, 0.5f))
            floordiv += 1.0f;
    }
    else {
        floordiv = copysignf(0, a / b);
    }
    *modulus = mod;
    return floordiv;
}

/* a // b (want_mod 0) or a % b of the operands' float32 values, widened. */
static int numpy_divmodf_of(double a, double b, int want_mod, double *out)
{
    float div, mod;
    int saved_errno = errno;
    if ((float)b == 0)
        return 1;
    div = numpy_divmodf((float)a, (float)b, &mod);
    *out = (double)(want_mod ? mod : div);
    errno = saved_errno;
    return 0;
}

int jc_numpy_floordivf(double a, double b, double *out)
{
    return numpy_divmodf_of(a, b, 0, out);
}

int jc_numpy_modf(double a, double b, double *out)
{
    return numpy_divmodf_of(a, b, 1, out);
}

int jc_numpy_shl(int64_t a, int64_t count, int64_t *out)
{
    *out = count < 0 || count > 63 ? 0 : (int64_t)((uint64_t)a << count);
    return 0;
}

int jc_numpy_shr(int64_t a, int64_t count, int64_t *out)
{
    if (count < 0 || count > 63)
        *out = a < 0 ? -1 : 0;
    else
        *out = a >> count; /* arithmetic on the compilers jitcore builds with (gcc, clang) */
    return 0;
}

/* C truncates toward zero; Python floors: step down by one when the
 * remainder is nonzero and its sign differs from the divisor's. */
int jc_int_floordiv(int64_t a, int64_t b, int64_t *out)
{
    int64_t q, r;
    if (b == 0)
        return 1; /* ZeroDivisionError */
    if (b == -1 && a == INT64_MIN)
        return 1; /* 2**63: a big int (and a trap in C) */
    q = a / b;
    r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        q -= 1;
    *out = q;
    return 0;
}

int jc_int_mod(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (b == 0)
        return 1; /* ZeroDivisionError */
    if (b == -1) {
        /* always 0; INT64_MIN % -1 would trap in C */
        *out = 0;
        return 0;
    }
    r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b; /* opposite signs: cannot overflow */
    *out = r;
    return 0;
}

/* A / B correctly rounded to nearest, ties to even, for B != 0.
 * Long division yields at least 55 quotient bits q and the remainder r
 * (A / B == (q + r/B) * 2**e); q is then rounded to 53 bits with r as the
 * sticky bit.  The quotient lies in [2**-64, 2**64], so the result is
 * always a normal double and ldexp is exact.  At most ~117 division steps
 * (1 / 2**63); this path only runs for operands beyond 2**53. */
static double exact_quotient(uint64_t A, uint64_t B)
{
    const uint64_t two53 = (uint64_t)1 << 53;
    uint64_t q = A / B, r = A % B, m, rest, half;
    int e = 0, extra = 0;

    if (A == 0)
        return 0.0;
    while (q < (two53 << 1)) {
        r <<= 1; /* r < B <= 2**63: no overflow */
        q <<= 1;
        e--;
        if (r >= B) {
            r -= B;
            q |= 1;
        }
    }
    while ((q >> extra) >= two53)
        extra++;
    /* extra >= 1, so q >> extra has exactly 53 bits */
    m = q >> extra;
    rest = q & (((uint64_t)1 << extra) - 1);
    half = (uint64_t)1 << (extra - 1);
    if (rest > half || (rest == half && (r != 0 || (m & 1))))
        m++; /* may reach 2**53, still exact */
    return ldexp((double)m, e + extra);
}

/* long_true_divide.  When both operands are exact doubles (|x| <= 2**53)
 * one IEEE division is correctly rounded, as in CPython's fast path;
 * otherwise the exact long division above.  Zero results are signed like
 * CPython's: 0 / negative is -0.0. */
int jc_int_truediv(int64_t a, int64_t b, double *out)
{
    const int64_t lim = (int64_t)1 << 53;
    double q;
    if (b == 0)
        return 1; /* ZeroDivisionError */
    if (-lim <= a && a <= lim && -lim <= b && b <= lim) {
        *out = (double)a / (double)b;
        return 0;
    }
    q = exact_quotient(magnitude(a), magnitude(b));
    *out = ((a < 0) != (b < 0)) ? -q : q;
    return 0;
}

/* ---------------------------------------------------------------- math */

/* is_error: whether a finite result with errno set is an error.  ERANGE on
 * underflow is forgiven (libms may set it for tiny results), judged by
 * |r| < 1.5 as CPython does since bpo-46018. */
static int is_error(double r, int err)
{
    if (err == ERANGE)
        return fabs(r) >= 1.5;
    return 1; /* EDOM or an unexpected errno: ValueError */
}

/* math_1: a nan from a non-nan is a domain error; an inf from a finite x is
 * an overflow or a singularity (OverflowError or ValueError, both a failure
 * here); otherwise errno decides. */
static int math_1(double x, double (*func)(double), double *out)
{
    int saved_errno = errno, err;
    double r;
    errno = 0;
    r = func(x);
    err = errno;
    errno = saved_errno;
    if (isnan(r) && !isnan(x))
        return 1;
    if (isinf(r) && isfinite(x))
        return 1;
    if (isfinite(r) && err != 0 && is_error(r, err))
        return 1;
    *out = r;
    return 0;
}

/* m_log, m_log2, m_log10: func (log, log2, log10) with the special values
 * settled first, as CPython does for libms that disagree on them. */
static double m_log_of(double x, double (*func)(double))
{
    if (isfinite(x)) {
        if (x > 0.0)
            return func(x);
        errno = EDOM;
        return x == 0.0 ? -HUGE_VAL : NAN; /* log(0) = -inf, log(-x) = nan */
    }
    if (isnan(x) || x > 0.0)
        return x; /* log(nan) = nan, log(inf) = inf */
    errno = EDOM;
    return NAN; /* log(-inf) */
}

static double m_log(double x) { return m_log_of(x, log); }
static double m_log2(double x) { return m_log_of(x, log2); }
static double m_log10(double x) { return m_log_of(x, log10); }

int jc_math_sqrt(double x, double *out)
{
    return math_1(x, sqrt, out);
}

int jc_math_exp(double x, double *out)
{
    return math_1(x, exp, out);
}

int jc_math_log(double x, double *out)
{
    return math_1(x, m_log, out);
}

int jc_math_sin(double x, double *out)
{
    return math_1(x, sin, out);
}

int jc_math_cos(double x, double *out)
{
    return math_1(x, cos, out);
}

/* The rest of math_1's functions: libm's, with CPython's error rules. */
int jc_math_tan(double x, double *out) { return math_1(x, tan, out); }
int jc_math_asin(double x, double *out) { return math_1(x, asin, out); }
int jc_math_acos(double x, double *out) { return math_1(x, acos, out); }
int jc_math_atan(double x, double *out) { return math_1(x, atan, out); }
int jc_math_sinh(double x, double *out) { return math_1(x, sinh, out); }
int jc_math_cosh(double x, double *out) { return math_1(x, cosh, out); }
int jc_math_tanh(double x, double *out) { return math_1(x, tanh, out); }
int jc_math_asinh(double x, double *out) { return math_1(x, asinh, out); }
int jc_math_acosh(double x, double *out) { return math_1(x, acosh, out); }
int jc_math_atanh(double x, double *out) { return math_1(x, atanh, out); }
int jc_math_expm1(double x, double *out) { return math_1(x, expm1, out); }
int jc_math_log1p(double x, double *out) { return math_1(x, log1p, out); }

int jc_math_log2(double x, double *out) { return math_1(x, m_log2, out); }
int jc_math_log10(double x, double *out) { return math_1(x, m_log10, out); }

/* math_1 cannot fail for fabs: it never makes a nan or an inf. */
int jc_math_fabs(double x, double *out)
{
    *out = fabs(x);
    return 0;
}

/* math_2 cannot fail for copysign: no nan or inf from ordinary inputs. */
int jc_math_copysign(double x, double y, double *out)
{
    *out = copysign(x, y);
    return 0;
}

/* vector_norm(n, vec, max, found_nan) from mathmodule.c, for the n == 2 of
 * math.hypot(x, y).  vec holds |x| and |y|, max the larger of the two that
 * are not nan.  Rewritten in 3.12; both versions are kept verbatim in
 * their arithmetic, since a reordering changes last bits. */
/* CPython 3.10 / 3.11: Veltkamp-Dekker splitting, three accumulators. */
static double vector_norm_before_312(int n, double *vec, double max, int found_nan)
{
    const double T27 = 134217729.0; /* ldexp(1.0, 27) + 1.0 */
    double x, scale, oldcsum, csum = 1.0, frac1 = 0.0, frac2 = 0.0;
    double frac3 = 0.0, t, hi, lo, h;
    int max_e, i;

    if (isinf(max))
        return max;
    if (found_nan)
        return NAN;
    if (max == 0.0 || n <= 1)
        return max;
    frexp(max, &max_e);
    if (max_e >= -1023) {
        scale = ldexp(1.0, -max_e);
        for (i = 0; i < n; i++) {
            x = vec[i] * scale;
            t = x * T27;
            hi = t - (t - x);
            lo = x - hi;

            x = hi * hi;
            oldcsum = csum;
            csum += x;
            frac1 += (oldcsum - csum) + x;

            x = 2.0 * hi * lo;
            oldcsum = csum;
            csum += x;
            frac2 += (oldcsum - csum) + x;

            frac3 += lo * lo;
        }
        h = sqrt(csum - 1.0 + (frac1 + frac2 + frac3));

        x = h;
        t = x * T27;
        hi = t - (t - x);
        lo = x - hi;

        x = -hi * hi;
        oldcsum = csum;
        csum += x;
        frac1 += (oldcsum - csum) + x;

        x = -2.0 * hi * lo;
        oldcsum = csum;
        csum += x;
        frac2 += (oldcsum - csum) + x;

        x = -lo * lo;
        oldcsum = csum;
        csum += x;
        frac3 += (oldcsum - csum) + x;

        x = csum - 1.0 + (frac1 + frac2 + frac3);
        return (h + x / (2.0 * h)) / scale;
    }
    /* max_e < -1023: ldexp(1.0, -max_e) would overflow; divide by max */
    for (i = 0; i < n; i++) {
        x = vec[i] / max;
        x = x * x;
        oldcsum = csum;
        csum += x;
        frac1 += (oldcsum - csum) + x;
    }
    return max * sqrt(csum - 1.0 + frac1);
}

/* CPython 3.12 and later */

typedef struct {
    double hi;
    double lo;
} jc_double_length;

/* dl_fast_sum: error-free a + b for |a| >= |b|. */
static jc_double_length dl_fast_sum(double a, double b)
{
    jc_double_length r;
    r.hi = a + b;
    r.lo = (a - r.hi) + b;
    return r;
}

/* dl_mul: error-free x * y via fma (CPython's default, not its
 * UNRELIABLE_FMA build). */
static jc_double_length dl_mul(double x, double y)
{
    jc_double_length r;
    r.hi = x * y;
    r.lo = fma(x, y, -r.hi);
    return r;
}

static double vector_norm_since_312(int n, double *vec, double max, int found_nan)
{
    double x, h, scale, csum = 1.0, frac1 = 0.0, frac2 = 0.0;
    jc_double_length pr, sm;
    int max_e, i;

    if (isinf(max))
        return max;
    if (found_nan)
        return NAN;
    if (max == 0.0 || n <= 1)
        return max;
    frexp(max, &max_e);
    if (max_e < -1023) {
        /* ldexp(1.0, -max_e) would overflow: make subnormals normal */
        for (i = 0; i < n; i++)
            vec[i] /= DBL_MIN;
        return DBL_MIN * vector_norm_since_312(n, vec, max / DBL_MIN, found_nan);
    }
    scale = ldexp(1.0, -max_e);
    for (i = 0; i < n; i++) {
        x = vec[i] * scale;          /* lossless scaling */
        pr = dl_mul(x, x);           /* lossless squaring */
        sm = dl_fast_sum(csum, pr.hi); /* lossless addition */
        csum = sm.hi;
        frac1 += pr.lo;              /* lossy addition */
        frac2 += sm.lo;              /* lossy addition */
    }
    h = sqrt(csum - 1.0 + (frac1 + frac2));
    pr = dl_mul(-h, h);
    sm = dl_fast_sum(csum, pr.hi);
    csum = sm.hi;
    frac1 += pr.lo;
    frac2 += sm.lo;
    x = csum - 1.0 + (frac1 + frac2);
    h += x / (2.0 * h);              /* differential correction */
    return h / scale;
}

static double vector_norm(int n, double *vec, double max, int found_nan)
{
    if (jc_python_version < JC_HYPOT_NEUMAIER_SINCE)
        return vector_norm_before_312(n, vec, max, found_nan);
    return vector_norm_since_312(n, vec, max, found_nan);
}

/* math_hypot of the n coordinates in vec (made absolute here): NaNs never
 * become max (x > max is false), so hypot(inf, nan) is inf and hypot(1, nan)
 * is nan. */
static double hypot_of(int n, double *vec)
{
    double max = 0.0;
    int found_nan = 0, i;
    for (i = 0; i < n; i++) {
        vec[i] = fabs(vec[i]);
        found_nan |= isnan(vec[i]);
        if (vec[i] > max)
            max = vec[i];
    }
    return vector_norm(n, vec, max, found_nan);
}

int jc_math_hypot(double x, double y, double *out)
{
    double vec[2] = {x, y};
    *out = hypot_of(2, vec);
    return 0;
}

int jc_math_hypot3(double x, double y, double z, double *out)
{
    double vec[3] = {x, y, z};
    *out = hypot_of(3, vec);
    return 0;
}

/* ------------------------------------------- the rest of the math module */

static const double py_math_pi = 3.14159265358979323846; /* Py_MATH_PI */

/* math_2: func's nan from non-nan arguments is a domain error, its inf from
 * finite ones an overflow; otherwise the errno func left decides. */
static int math_2(double x, double y, double (*func)(double, double), double *out)
{
    int saved_errno = errno, err;
    double r;
    errno = 0;
    r = func(x, y);
    err = errno;
    errno = saved_errno;
    if (isnan(r))
        err = !isnan(x) && !isnan(y) ? EDOM : 0;
    else if (isinf(r))
        err = isfinite(x) && isfinite(y) ? ERANGE : 0;
    if (err != 0 && is_error(r, err))
        return 1;
    *out = r;
    return 0;
}

/* m_atan2: the special values settled before libm's atan2. */
static double m_atan2(double y, double x)
{
    if (isnan(x) || isnan(y))
        return NAN;
    if (isinf(y)) {
        if (isinf(x)) {
            if (copysign(1., x) == 1.)
                return copysign(0.25 * py_math_pi, y); /* atan2(+-inf, +inf) */
            return copysign(0.75 * py_math_pi, y);     /* atan2(+-inf, -inf) */
        }
        return copysign(0.5 * py_math_pi, y); /* atan2(+-inf, finite) */
    }
    if (isinf(x) || y == 0.) {
        if (copysign(1., x) == 1.)
            return copysign(0., y); /* atan2(+-y, +inf), atan2(+-0, +x) */
        return copysign(py_math_pi, y); /* atan2(+-y, -inf), atan2(+-0, -x) */
    }
    return atan2(y, x);
}

int jc_math_atan2(double y, double x, double *out)
{
    return math_2(y, x, m_atan2, out);
}

/* m_remainder: x - n*y for the nearest integer n, halfway cases to even n;
 * always exact (see CPython's comments on comparing m with absy - m). */
static double m_remainder(double x, double y)
{
    if (isfinite(x) && isfinite(y)) {
        double absx, absy, c, m, r;
        if (y == 0.0)
            return NAN;
        absx = fabs(x);
        absy = fabs(y);
        m = fmod(absx, absy);
        c = absy - m;
        if (m < c)
            r = m;
        else if (m > c)
            r = -c;
        else /* halfway: m if the quotient below is even, -m if odd */
            r = m - 2.0 * fmod(0.5 * (absx - m), absy);
        return copysign(1.0, x) * r;
    }
    if (isnan(x))
        return x;
    if (isnan(y))
        return y;
    if (isinf(x))
        return NAN;
    return x; /* y is infinite */
}

int jc_math_remainder(double x, double y, double *out)
{
    return math_2(x, y, m_remainder, out);
}

/* math_fmod: fmod(finite, +-inf) is x itself; a nan from non-nans (fmod(x,
 * 0), fmod(inf, y)) is a domain error. */
int jc_math_fmod(double x, double y, double *out)
{
    int saved_errno = errno, err;
    double r;
    if (isinf(y) && isfinite(x)) {
        *out = x;
        return 0;
    }
    errno = 0;
    r = fmod(x, y);
    err = errno;
    errno = saved_errno;
    if (isnan(r))
        err = !isnan(x) && !isnan(y) ? EDOM : 0;
    if (err != 0 && is_error(r, err))
        return 1;
    *out = r;
    return 0;
}

/* math_pow: IEEE special values settled directly; for finite x and y a nan
 * from pow is a domain error, an inf one too for x == 0 (0 ** negative),
 * else an overflow. */
int jc_math_pow(double x, double y, double *out)
{
    int saved_errno = errno, err = 0, odd_y;
    double r = 0.;
    if (!isfinite(x) || !isfinite(y)) {
        if (isnan(x))
            r = y == 0. ? 1. : x; /* nan**0 = 1 */
        else if (isnan(y))
            r = x == 1. ? 1. : y; /* 1**nan = 1 */
        else if (isinf(x)) {
            odd_y = isfinite(y) && fmod(fabs(y), 2.0) == 1.0;
            if (y > 0.)
                r = odd_y ? x : fabs(x);
            else if (y == 0.)
                r = 1.;
            else
                r = odd_y ? copysign(0., x) : 0.;
        }
        else { /* y is infinite */
            if (fabs(x) == 1.0)
                r = 1.;
            else if (y > 0. && fabs(x) > 1.0)
                r = y;
            else if (y < 0. && fabs(x) < 1.0) {
                r = -y; /* +inf */
                if (x == 0. && jc_python_version < JC_POW_ZERO_NEG_INF_INF_SINCE)
                    err = EDOM; /* 0**-inf: divide-by-zero (3.10) */
            }
            else
                r = 0.;
        }
    }
    else {
        errno = 0;
        r = pow(x, y);
        err = errno;
        if (!isfinite(r)) {
            if (isnan(r))
                err = EDOM;
            else
                err = x == 0. ? EDOM : ERANGE;
        }
    }
    errno = saved_errno;
    if (err != 0 && is_error(r, err))
        return 1;
    *out = r;
    return 0;
}

/* math_log_impl with a base: loghelper(x) / loghelper(base), each m_log with
 * math_1's rules (for an int, loghelper refuses <= 0 and takes m_log of the
 * correctly rounded double, which math_1 then accepts: the same), and the
 * float division refusing a zero denominator (base 1). */
int jc_math_log_base(double x, double base, double *out)
{
    double num, den;
    if (math_1(x, m_log, &num) || math_1(base, m_log, &den))
        return 1;
    if (den == 0.0)
        return 1; /* ZeroDivisionError */
    *out = num / den;
    return 0;
}

/* math_ldexp_impl, for an exponent that is an int64 (a C long here, so
 * PyLong_AsLongAndOverflow never clamps it). */
int jc_math_ldexp(double x, int64_t exp, double *out)
{
    int saved_errno = errno, err;
    double r;
    if (x == 0. || !isfinite(x)) { /* nans, zeros and infinities unchanged */
        r = x;
        err = 0;
    }
    else if (exp > INT_MAX) { /* overflow */
        r = copysign(HUGE_VAL, x);
        err = ERANGE;
    }
    else if (exp < INT_MIN) { /* underflow to +-0 */
        r = copysign(0., x);
        err = 0;
    }
    else {
        errno = 0;
        r = ldexp(x, (int)exp);
        err = errno;
        if (isinf(r))
            err = ERANGE;
    }
    errno = saved_errno;
    if (err != 0 && is_error(r, err))
        return 1;
    *out = r;
    return 0;
}

/* math_frexp_impl: nans, infinities and zeros are (x, 0). */
int jc_math_frexp(double x, double *out)
{
    int e;
    *out = isnan(x) || isinf(x) || !x ? x : frexp(x, &e);
    return 0;
}

int jc_math_frexp_exponent(double x, int64_t *out)
{
    int e = 0;
    if (!(isnan(x) || isinf(x) || !x))
        frexp(x, &e);
    *out = e;
    return 0;
}

/* math_modf_impl: (+-0.0, x) for infinities, (nan, nan) for nan. */
int jc_math_modf(double x, double *out)
{
    double integral;
    if (isinf(x))
        *out = copysign(0., x);
    else if (isnan(x))
        *out = x;
    else
        *out = modf(x, &integral);
    return 0;
}

int jc_math_modf_integral(double x, double *out)
{
    if (!isfinite(x))
        *out = x;
    else
        modf(x, out);
    return 0;
}

int jc_math_exp2(double x, double *out) { return math_1(x, exp2, out); }
int jc_math_cbrt(double x, double *out) { return math_1(x, cbrt, out); }

/* math_1a (CPython 3.10, 3.11: erf, erfc, gamma, lgamma): errno alone
 * decides. These four set errno whenever they make a nan or an inf from a
 * finite x, so math_1's rules, which later versions apply, agree. */
static int math_1a(double x, double (*func)(double), double *out)
{
    int saved_errno = errno, err;
    double r;
    errno = 0;
    r = func(x);
    err = errno;
    errno = saved_errno;
    if (err != 0 && is_error(r, err))
        return 1;
    *out = r;
    return 0;
}

int jc_math_erf(double x, double *out) { return math_1a(x, erf, out); }
int jc_math_erfc(double x, double *out) { return math_1a(x, erfc, out); }

/* m_sinpi: sin(pi * x) for finite x, exact at integers and halves. */
static double m_sinpi(double x)
{
    double y, r;
    int n;
    y = fmod(fabs(x), 2.0);
    n = (int)round(2.0 * y);
    switch (n) {
    case 0:
        r = sin(py_math_pi * y);
        break;
    case 1:
        r = cos(py_math_pi * (y - 0.5));
        break;
    case 2:
        /* -sin(pi*(y-1.0)) would give -0.0 instead of 0.0 at y == 1.0 */
        r = sin(py_math_pi * (1.0 - y));
        break;
    case 3:
        r = -cos(py_math_pi * (y - 1.5));
        break;
    default: /* 4 */
        r = sin(py_math_pi * (y - 2.0));
        break;
    }
    return copysign(1.0, x) * r;
}

/* Lanczos' approximation, N = 13, g = 6.024680040776729583740234375 (the
 * coefficients are CPython's, computed with MPFR). */
#define LANCZOS_N 13
static const double lanczos_g = 6.024680040776729583740234375;
static const double lanczos_g_minus_half = 5.524680040776729583740234375;
static const double lanczos_num_coeffs[LANCZOS_N] = {
    23531376880.410759688572007674451636754734846804940,
    42919803642.649098768957899047001988850926355848959,
    35711959237.355668049440185451547166705960488635843,
    17921034426.037209699919755754458931112671403265390,
    6039542586.3520280050642916443072979210699388420708,
    1439720407.3117216736632230727949123939715485786772,
    248874557.86205415651146038641322942321632125127801,
    31426415.585400194380614231628318205362874684987640,
    2876370.6289353724412254090516208496135991145378768,
    186056.26539522349504029498971604569928220784236328,
    8071.6720023658162106380029022722506138218516325024,
    210.82427775157934587250973392071336271166969580291,
    2.5066282746310002701649081771338373386264310793408
};
/* the denominator is x*(x+1)*...*(x+LANCZOS_N-2) */
static const double lanczos_den_coeffs[LANCZOS_N] = {
    0.0, 39916800.0, 120543840.0, 150917976.0, 105258076.0, 45995730.0,
    13339535.0, 2637558.0, 357423.0, 32670.0, 1925.0, 66.0, 1.0};
#define NGAMMA_INTEGRAL 23
static const double gamma_integral[NGAMMA_INTEGRAL] = {
    1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0,
    3628800.0, 39916800.0, 479001600.0, 6227020800.0, 87178291200.0,
    1307674368000.0, 20922789888000.0, 355687428096000.0,
    6402373705728000.0, 121645100408832000.0, 2432902008176640000.0,
    51090942171709440000.0, 1124000727777607680000.0,
};
static const double logpi = 1.144729885849400174143427351353058711647;

/* lanczos_sum: L_g(x) for x > 0, as a rational function in x (x < 5) or in
 * 1/x (beyond, against overflow). */
static double lanczos_sum(double x)
{
    double num = 0.0, den = 0.0;
    int i;
    if (x < 5.0) {
        for (i = LANCZOS_N; --i >= 0;) {
            num = num * x + lanczos_num_coeffs[i];
            den = den * x + lanczos_den_coeffs[i];
        }
    }
    else {
        for (i = 0; i < LANCZOS_N; i++) {
            num = num / x + lanczos_num_coeffs[i];
            den = den / x + lanczos_den_coeffs[i];
        }
    }
    return num / den;
}

/* m_tgamma, verbatim in its arithmetic (errno as CPython leaves it, the
 * libm calls' own included). */
static double m_tgamma(double x)
{
    double absx, r, y, z, sqrtpow;
    if (!isfinite(x)) {
        if (isnan(x) || x > 0.0)
            return x; /* tgamma(nan) = nan, tgamma(inf) = inf */
        errno = EDOM;
        return NAN; /* tgamma(-inf) */
    }
    if (x == 0.0) {
        errno = EDOM;
        return copysign(HUGE_VAL, x); /* tgamma(+-0.0) = +-inf */
    }
    if (x == floor(x)) {
        if (x < 0.0) {
            errno = EDOM; /* negative integers */
            return NAN;
        }
        if (x <= NGAMMA_INTEGRAL)
            return gamma_integral[(int)x - 1];
    }
    absx = fabs(x);
    if (absx < 1e-20) { /* tgamma(x) ~ 1/x */
        r = 1.0 / x;
        if (isinf(r))
            errno = ERANGE;
        return r;
    }
    if (absx > 200.0) { /* overflow above 200, underflow below -200 */
        if (x < 0.0)
            return 0.0 / m_sinpi(x);
        errno = ERANGE;
        return HUGE_VAL;
    }
    y = absx + lanczos_g_minus_half;
    /* the error in y, to correct pow and exp below */
    if (absx > lanczos_g_minus_half) {
        double q = y - absx;
        z = q - lanczos_g_minus_half;
    }
    else {
        double q = y - lanczos_g_minus_half;
        z = q - absx;
    }
    z = z * lanczos_g / y;
    if (x < 0.0) {
        r = -py_math_pi / m_sinpi(absx) / absx * exp(y) / lanczos_sum(absx);
        r -= z * r;
        if (absx < 140.0) {
            r /= pow(y, absx - 0.5);
        }
        else {
            sqrtpow = pow(y, absx / 2.0 - 0.25);
            r /= sqrtpow;
            r /= sqrtpow;
        }
    }
    else {
        r = lanczos_sum(absx) / exp(y);
        r += z * r;
        if (absx < 140.0) {
            r *= pow(y, absx - 0.5);
        }
        else {
            sqrtpow = pow(y, absx / 2.0 - 0.25);
            r *= sqrtpow;
            r *= sqrtpow;
        }
    }
    if (isinf(r))
        errno = ERANGE;
    return r;
}

/* m_lgamma: log|Gamma(x)|, Lanczos' formula, reflection for x < 0. */
static double m_lgamma(double x)
{
    double r, absx;
    if (!isfinite(x)) {
        if (isnan(x))
            return x;
        return HUGE_VAL; /* lgamma(+-inf) = +inf */
    }
    if (x == floor(x) && x <= 2.0) {
        if (x <= 0.0) {
            errno = EDOM; /* poles at the integers <= 0 */
            return HUGE_VAL;
        }
        return 0.0; /* lgamma(1) = lgamma(2) = 0.0 */
    }
    absx = fabs(x);
    if (absx < 1e-20) /* lgamma(x) ~ -log(|x|) */
        return -log(absx);
    r = log(lanczos_sum(absx)) - lanczos_g;
    r += (absx - 0.5) * (log(absx + lanczos_g - 0.5) - 1);
    if (x < 0.0)
        r = logpi - log(fabs(m_sinpi(absx))) - log(absx) - r;
    if (isinf(r))
        errno = ERANGE;
    return r;
}

int jc_math_gamma(double x, double *out) { return math_1a(x, m_tgamma, out); }
int jc_math_lgamma(double x, double *out) { return math_1a(x, m_lgamma, out); }

int jc_math_nextafter(double x, double y, double *out)
{
    int saved_errno = errno;
    *out = nextafter(x, y);
    errno = saved_errno;
    return 0;
}

/* math_nextafter_impl with steps (3.12): walks the bit patterns, which
 * for doubles of one sign are ordered as the values are. */
int jc_math_nextafter_steps(double x, double y, int64_t steps, double *out)
{
    const uint64_t sign_bit = (uint64_t)1 << 63;
    uint64_t usteps, ux, uy, ax, ay;
    if (steps < 0)
        return 1; /* ValueError */
    usteps = (uint64_t)steps;
    if (usteps == 0 || isnan(x)) {
        *out = x;
        return 0;
    }
    if (isnan(y)) {
        *out = y;
        return 0;
    }
    memcpy(&ux, &x, sizeof ux);
    memcpy(&uy, &y, sizeof uy);
    if (ux == uy) {
        *out = x;
        return 0;
    }
    ax = ux & ~sign_bit;
    ay = uy & ~sign_bit;
    if ((ux ^ uy) & sign_bit) { /* opposite signs: through zero */
        if (ax + ay <= usteps)
            ux = uy;
        else if (ax < usteps) /* (<, not <=: +0.0 and -0.0) */
            ux = (uy & sign_bit) | (usteps - ax);
        else
            ux -= usteps;
    }
    else if (ax > ay) {
        if (ax - ay >= usteps)
            ux -= usteps;
        else
            ux = uy;
    }
    else {
        if (ay - ax >= usteps)
            ux += usteps;
        else
            ux = uy;
    }
    memcpy(out, &ux, sizeof *out);
    return 0;
}

/* math_ulp_impl: the gap above |x|, or below it for the largest double. */
int jc_math_ulp(double x, double *out)
{
    int saved_errno = errno;
    double x2;
    if (isnan(x)) {
        *out = x;
        return 0;
    }
    x = fabs(x);
    if (isinf(x)) {
        *out = x;
        return 0;
    }
    x2 = nextafter(x, HUGE_VAL);
    if (isinf(x2)) {
        x2 = nextafter(x, -HUGE_VAL);
        *out = x - x2;
    }
    else {
        *out = x2 - x;
    }
    errno = saved_errno;
    return 0;
}

/* math_fma_impl (3.13). */
int jc_math_fma(double x, double y, double z, double *out)
{
    int saved_errno = errno;
    double r = fma(x, y, z);
    errno = saved_errno;
    if (!isfinite(r)) {
        if (isnan(r)) {
            if (!isnan(x) && !isnan(y) && !isnan(z))
                return 1; /* ValueError: invalid operation */
        }
        else if (isfinite(x) && isfinite(y) && isfinite(z)) {
            return 1; /* OverflowError */
        }
    }
    *out = r;
    return 0;
}

/* math_isclose_impl: Boost's "weak" test. */
int jc_math_isclose(double a, double b, double rel_tol, double abs_tol, int64_t *out)
{
    double diff;
    if (rel_tol < 0.0 || abs_tol < 0.0)
        return 1; /* ValueError (nan tolerances pass, as in CPython) */
    if (a == b) { /* also two infinities of the same sign */
        *out = 1;
        return 0;
    }
    if (isinf(a) || isinf(b)) {
        *out = 0;
        return 0;
    }
    diff = fabs(b - a);
    *out = diff <= fabs(rel_tol * b) || diff <= fabs(rel_tol * a) || diff <= abs_tol;
    return 0;
}

/* ------------------------------------------------------ round(x, ndigits) */

/* CPython's bounds: beyond NDIGITS_MAX digits a double rounds to itself,
 * below NDIGITS_MIN to +-0.0 (0.30103 bounds log10(2) from above). */
#define NDIGITS_MAX ((int)((DBL_MANT_DIG - DBL_MIN_EXP) * 0.30103))
#define NDIGITS_MIN (-(int)((DBL_MAX_EXP + 1) * 0.30103))

/* The decimal digits of a number printed by snprintf, skipping the sign and
 * the locale's decimal point (whatever it is: it is no digit): at most
 * `size` - 1 of them, NUL-terminated.  Returns how many. */
static int digits_of(const char *printed, char *digits, int size)
{
    int n = 0;
    for (; *printed; printed++) {
        if (*printed >= '0' && *printed <= '9') {
            if (n >= size - 1)
                return -1;
            digits[n++] = *printed;
        }
    }
    digits[n] = '\0';
    return n;
}

/* float___round___impl and double_round for finite x: CPython rounds x to
 * ndigits decimals with dtoa's mode 3 (correctly: halfway cases of the
 * exact binary value to even), prints that as "<digits>e<exponent>" and
 * reads it back with strtod.  glibc's printf is correctly rounded the same
 * way (in the default rounding mode) and its strtod too, so for
 * ndigits >= 0 "%.*f" gives the same digits.  For ndigits < 0 the integral
 * part of x, which "%.0f" prints exactly, is rounded here with the
 * fraction as a sticky bit.  The strings read back carry no decimal point,
 * so the locale cannot matter. */
int jc_float_round_digits(double x, int64_t ndigits, double *out)
{
    char printed[1100], digits[1100], text[1200];
    int n, saved_errno, err, negative = signbit(x) != 0;
    double rounded;

    if (!isfinite(x)) {
        *out = x; /* nans and infinities round to themselves */
        return 0;
    }
    if (ndigits > NDIGITS_MAX) {
        *out = x;
        return 0;
    }
    if (ndigits < NDIGITS_MIN) {
        *out = 0.0 * x; /* +-0.0 */
        return 0;
    }
    saved_errno = errno;
    if (ndigits >= 0) {
        /* at most 309 integral digits + 323 decimals */
        n = snprintf(printed, sizeof printed, "%.*f", (int)ndigits, fabs(x));
        if (n < 0 || n >= (int)sizeof printed || digits_of(printed, digits, sizeof digits) < 0) {
            errno = saved_errno;
            return 1; /* cannot happen; CPython's answer then */
        }
        snprintf(text, sizeof text, "%s%se-%d", negative ? "-" : "", digits, (int)ndigits);
    }
    else {
        /* the integral part, exactly; keep all but its last k digits */
        int k = (int)-ndigits, len, keep, i, up;
        double integral = trunc(fabs(x));
        int sticky = fabs(x) != integral; /* a fraction below the last digit */
        n = snprintf(printed, sizeof printed, "%.0f", integral);
        len = n < 0 || n >= (int)sizeof printed ? -1 : digits_of(printed, digits, sizeof digits);
        if (len < 0) {
            errno = saved_errno;
            return 1;
        }
        keep = len - k; /* digits kept; the k dropped ones decide the rounding */
        /* compare the dropped digits (zeros in front if k > len) with 5000...0 */
        {
            int cmp = 0; /* -1 below half, 0 exactly half so far, 1 above */
            for (i = 0; i < k && cmp == 0; i++) {
                int pos = keep + i;
                int d = pos < 0 ? 0 : digits[pos] - '0';
                int h = i == 0 ? 5 : 0;
                cmp = d < h ? -1 : d > h ? 1 : 0;
            }
            if (cmp == 0 && sticky)
                cmp = 1;
            if (cmp == 0) /* a tie: to the even multiple */
                up = keep > 0 && (digits[keep - 1] - '0') % 2 == 1;
            else
                up = cmp > 0;
        }
        if (keep <= 0) {
            snprintf(text, sizeof text, "%s%de%d", negative ? "-" : "", up ? 1 : 0, k);
        }
        else {
            digits[keep] = '\0';
            if (up) { /* add one to the kept digits, carrying */
                for (i = keep - 1; i >= 0 && digits[i] == '9'; i--)
                    digits[i] = '0';
                if (i >= 0) {
                    digits[i]++;
                    snprintf(text, sizeof text, "%s%se%d", negative ? "-" : "", digits, k);
                }
                else {
                    snprintf(text, sizeof text, "%s1%se%d", negative ? "-" : "", digits, k);
                }
            }
            else {
                snprintf(text, sizeof text, "%s%se%d", negative ? "-" : "", digits, k);
            }
        }
    }
    errno = 0;
    rounded = strtod(text, NULL);
    err = errno;
    errno = saved_errno;
    if (err == ERANGE && fabs(rounded) >= 1.)
        return 1; /* OverflowError: rounded value too large to represent */
    *out = rounded;
    return 0;
}

/* long_round with ndigits < 0: x - divmod_near(x, 10**-ndigits)[1], where
 * divmod_near rounds the quotient to nearest, halfway cases to even.  In
 * 128 bits: 10**38 is the largest power that fits, and beyond it every
 * int64 rounds to 0. */
int jc_int_round_digits(int64_t x, int64_t ndigits, int64_t *out)
{
    __int128 b = 1, q, r, result;
    int64_t i;
    if (ndigits >= 0) {
        *out = x;
        return 0;
    }
    if (ndigits < -38) {
        *out = 0;
        return 0;
    }
    for (i = 0; i < -ndigits; i++)
        b *= 10;
    /* Python's divmod: floor quotient, remainder with the sign of b (> 0) */
    q = (__int128)x / b;
    r = (__int128)x % b;
    if (r < 0) {
        r += b;
        q -= 1;
    }
    /* r against b / 2, as r against b - r (2 * r may overflow for 10**38) */
    if (r > b - r || (r == b - r && (q & 1)))
        r -= b; /* round the quotient up */
    result = (__int128)x - r;
    if (result < INT64_MIN || result > INT64_MAX)
        return 1;
    *out = (int64_t)result;
    return 0;
}

/* ---------------------------------------------------------- integer math */

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* _PyLong_GCD of two int64s: gcd(|a|, |b|), which is 2**63 only for
 * a, b in {0, INT64_MIN}. */
int jc_math_gcd(int64_t a, int64_t b, int64_t *out)
{
    uint64_t g = gcd_u64(magnitude(a), magnitude(b));
    if (g > (uint64_t)INT64_MAX)
        return 1;
    *out = (int64_t)g;
    return 0;
}

/* long_lcm: 0 if either is 0, else |a // gcd(a, b) * b|. */
int jc_math_lcm(int64_t a, int64_t b, int64_t *out)
{
    uint64_t g, m;
    if (a == 0 || b == 0) {
        *out = 0;
        return 0;
    }
    g = gcd_u64(magnitude(a), magnitude(b));
    if (__builtin_mul_overflow(magnitude(a) / g, magnitude(b), &m) || m > (uint64_t)INT64_MAX)
        return 1;
    *out = (int64_t)m;
    return 0;
}

/* The largest r with r * r <= n (below 2**32 for any int64). */
int jc_math_isqrt(int64_t n, int64_t *out)
{
    uint64_t r;
    if (n < 0)
        return 1; /* ValueError */
    r = (uint64_t)sqrt((double)n); /* within one of the answer */
    while (r * r > (uint64_t)n)
        r--;
    while ((r + 1) * (r + 1) <= (uint64_t)n)
        r++;
    *out = (int64_t)r;
    return 0;
}

int jc_math_factorial(int64_t n, int64_t *out)
{
    int64_t r = 1, i;
    if (n < 0 || n > 20)
        return 1; /* ValueError, or beyond int64 (21! > 2**63) */
    for (i = 2; i <= n; i++)
        r *= i;
    *out = r;
    return 0;
}

/* C(n, k) = C(n, k-1) * (n-k+1) / k, exact at each step; for k <= n/2 the
 * partial results grow, so one beyond int64 means the result is too (the
 * product before the division fits in 128 bits). */
int jc_math_comb(int64_t n, int64_t k, int64_t *out)
{
    unsigned __int128 r = 1;
    int64_t i;
    if (n < 0 || k < 0)
        return 1; /* ValueError */
    if (k > n) {
        *out = 0;
        return 0;
    }
    if (k > n - k)
        k = n - k;
    for (i = 0; i < k; i++) {
        r = r * (uint64_t)(n - i) / (uint64_t)(i + 1);
        if (r > (unsigned __int128)INT64_MAX)
            return 1;
    }
    *out = (int64_t)r;
    return 0;
}

/* n * (n-1) * ... * (n-k+1); every factor but a last 1 at least doubles
 * the product, so an overflow comes within 64 steps. */
int jc_math_perm(int64_t n, int64_t k, int64_t *out)
{
    int64_t r = 1, i;
    if (n < 0 || k < 0)
        return 1; /* ValueError */
    if (k > n) {
        *out = 0;
        return 0;
    }
    for (i = 0; i < k; i++) {
        if (__builtin_mul_overflow(r, n - i, &r))
            return 1;
    }
    *out = r;
    return 0;
}
