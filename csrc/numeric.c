/*
 * numeric.c -- numeric helpers for generated code (see numeric.h).
 *
 * Each helper transcribes the CPython code that does the same operation, so
 * that the bits of every result, and the cases that raise, are the same:
 *
 *   float // % **        Objects/floatobject.c  float_floor_div, float_rem,
 *                        _float_div_mod, float_pow
 *   round, int()         float___round___impl, PyLong_FromDouble
 *   math.floor/ceil      Modules/mathmodule.c   math_floor, math_ceil
 *   int // % **          Objects/longobject.c   (exact int64 arithmetic)
 *   int / int            long_true_divide (correctly rounded)
 *   math.*               math_1 / m_log / math_hypot / vector_norm
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
#include <math.h>

/* math.hypot changed its algorithm in CPython 3.12 (Neumaier summation with
 * fma-based squaring instead of Veltkamp-Dekker splitting); the two differ
 * in the last bit for a few inputs in 10**5.  The module is built per
 * interpreter: pyversions.h says which one builds us (JC_HYPOT_BEFORE_312). */
#include "pyversions.h"

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

/* pow(base, exp, mod) of Python ints: base ** exp % mod, with the sign of
 * mod (as Python's %); 1 where CPython raises (mod == 0) or computes a modular
 * inverse (exp < 0).  Products of residues below 2**63 fit in 128 bits. */
int jc_int_powmod(int64_t base, int64_t exp, int64_t mod, int64_t *out)
{
    uint64_t m, b, r = 1;
    if (mod == 0 || exp < 0)
        return 1;
    m = mod < 0 ? (uint64_t)0 - (uint64_t)mod : (uint64_t)mod; /* |mod|, 2**63 too */
    b = base < 0 ? (m - ((uint64_t)0 - (uint64_t)base) % m) % m : (uint64_t)base % m;
    r %= m; /* pow(x, 0, 1) is 0 */
    while (exp > 0) {
        if (exp & 1)
            r = (uint64_t)(((unsigned __int128)r * b) % m);
        b = (uint64_t)(((unsigned __int128)b * b) % m);
        exp >>= 1;
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

/* |x| as an unsigned number (right for INT64_MIN too). */
static uint64_t magnitude(int64_t x)
{
    return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
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
#ifdef JC_HYPOT_BEFORE_312

/* CPython 3.10 / 3.11: Veltkamp-Dekker splitting, three accumulators. */
static double vector_norm(int n, double *vec, double max, int found_nan)
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

#else /* CPython 3.12 and later */

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

static double vector_norm(int n, double *vec, double max, int found_nan)
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
        return DBL_MIN * vector_norm(n, vec, max / DBL_MIN, found_nan);
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

#endif /* JC_HYPOT_BEFORE_312 */

/* math_hypot: NaNs never become max (x > max is false), so
 * hypot(inf, nan) is inf and hypot(1, nan) is nan. */
int jc_math_hypot(double x, double y, double *out)
{
    double vec[2], max = 0.0;
    int found_nan = 0, i;
    vec[0] = fabs(x);
    vec[1] = fabs(y);
    for (i = 0; i < 2; i++) {
        found_nan |= isnan(vec[i]);
        if (vec[i] > max)
            max = vec[i];
    }
    *out = vector_norm(2, vec, max, found_nan);
    return 0;
}
