/*
 * numeric.h -- numeric helpers that generated code calls directly.
 *
 * Some operations are too intricate to inline in generated code but must
 * still give exactly what CPython gives: the same value bits (-0.0, inf,
 * NaN included), and no value at all where CPython raises.  Generated code
 * calls these helpers by absolute address (System V ABI; the Python side
 * finds the addresses with jitcore.runtime.helper_address()).
 *
 * Every helper returns an int status:
 *   0  ok, the result is in *out;
 *   1  CPython would raise here (which exception does not matter), or would
 *      give a value of another type (complex, float from int ** negative) or
 *      an int outside int64.  The caller re-runs the whole call in CPython,
 *      which then produces the exact exception or value.  *out is left
 *      unspecified.
 * out is always the last parameter and must not be NULL.
 *
 * The helpers are pure (errno is saved and restored around libm calls),
 * thread-safe, never touch Python objects and never trap: no division by
 * zero and no INT64_MIN / -1 reaches the CPU.
 *
 * The float and math algorithms are transcribed from CPython's
 * Objects/floatobject.c, Objects/longobject.c and Modules/mathmodule.c and
 * call the same libm functions, so results are bit-identical to the
 * CPython in the same process.  The version-dependent parts, math.hypot's
 * algorithm (changed in CPython 3.12) and math.pow(0.0, -inf) (an error
 * before 3.11), are chosen at run time from the version jitcore.runtime
 * passes to jc_set_python_version when it loads the module (the versions
 * are in pyversions.h): one build of the module (_native.abi3.so) serves
 * every CPython.
 */
#ifndef JC_NUMERIC_H
#define JC_NUMERIC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cffi-cdef: begin (build_ffi.py hands what follows to cffi) */

/* ---- float arithmetic (float_floor_div, float_rem, float_pow) ---- */

/* a // b; b == 0 -> 1 (ZeroDivisionError). */
int jc_float_floordiv(double a, double b, double *out);
/* a % b, with the sign of b (zero results too); b == 0 -> 1. */
int jc_float_mod(double a, double b, double *out);
/* a ** b.  1 for 0.0 ** negative (ZeroDivisionError), negative ** non-
 * integer (CPython returns a complex) and overflow (OverflowError). */
int jc_float_pow(double a, double b, double *out);

/* ---- float to int: 1 for nan/inf and for results outside int64 ---- */

/* round(x): nearest int, halfway cases to even. */
int jc_float_round(double x, int64_t *out);
/* int(x): truncation toward zero. */
int jc_float_to_int(double x, int64_t *out);
/* math.floor(x) / math.ceil(x) of a float. */
int jc_float_floor(double x, int64_t *out);
int jc_float_ceil(double x, int64_t *out);

/* ---- int arithmetic ---- */

/* base ** exp.  1 if exp < 0 (CPython gives a float, or raises for
 * 0 ** negative) or if the result does not fit in int64. */
int jc_int_pow(int64_t base, int64_t exp, int64_t *out);
/* pow(base, exp, mod): 1 for mod == 0 and, for exp < 0, a base with no
 * inverse modulo mod (ValueError). */
int jc_int_powmod(int64_t base, int64_t exp, int64_t mod, int64_t *out);
/* a // b rounding toward -inf; 1 if b == 0 or for INT64_MIN // -1. */
int jc_int_floordiv(int64_t a, int64_t b, int64_t *out);
/* a % b with the sign of b; 1 if b == 0.  INT64_MIN % -1 is 0. */
int jc_int_mod(int64_t a, int64_t b, int64_t *out);
/* a / b, correctly rounded (as CPython's long_true_divide) for every pair
 * of int64s; 1 only if b == 0. */
int jc_int_truediv(int64_t a, int64_t b, double *out);

/* ---- NumPy scalar arithmetic: NumPy's rules, not CPython's ---- */

/* a ** b as NumPy's float64 power computes it: C's pow().  Always 0: NumPy
 * warns from the processor's flags, which the caller finds in the result
 * (inf or nan). */
int jc_numpy_pow(double a, double b, double *out);
/* The same for float32: powf() of the operands (float32 values), widened. */
int jc_numpy_powf(double a, double b, double *out);
/* a // b and a % b as NumPy computes them for float32 (npy_divmodf: fmodf,
 * then Python's sign rules, in single precision), on the operands' float32
 * values, widened.  1 if b == 0 (NumPy warns). */
int jc_numpy_floordivf(double a, double b, double *out);
int jc_numpy_modf(double a, double b, double *out);
/* base ** exp as NumPy's integer power: wrapping modulo 2**64, silently
 * (the caller narrows to the type's width); 1 if exp < 0 (NumPy raises
 * ValueError: integers to negative integer powers are not allowed). */
int jc_numpy_int_pow(int64_t base, int64_t exp, int64_t *out);
/* a << count as NumPy's integer shift: modulo 2**64 (the caller narrows: a
 * count of the type's width or more then gives 0), 0 for a negative count
 * or one of 64 or more.  Always 0. */
int jc_numpy_shl(int64_t a, int64_t count, int64_t *out);
/* a >> count as NumPy's integer shift, for a of any int type as int64 holds
 * it (sign-extended, or an unsigned value below 2**63): arithmetic, and for
 * a negative count or one of 64 or more, -1 if a < 0 else 0.  Always 0. */
int jc_numpy_shr(int64_t a, int64_t count, int64_t *out);

/* ---- math module (math_1 / math_2 error rules) ---- */

/* 1 where math.sqrt raises: x < 0 (but sqrt(-0.0) is -0.0), -inf. */
int jc_math_sqrt(double x, double *out);
/* 1 where math.exp raises: overflow to inf from a finite x. */
int jc_math_exp(double x, double *out);
/* math.log(x), one argument: 1 for x <= 0 and -inf. */
int jc_math_log(double x, double *out);
/* 1 for +-inf (math domain error). */
int jc_math_sin(double x, double *out);
int jc_math_cos(double x, double *out);
/* math.tan ... math.log1p: 1 where CPython raises (math_1's rules: a nan
 * from a non-nan, an inf from a finite x, errno). */
int jc_math_tan(double x, double *out);
int jc_math_asin(double x, double *out);
int jc_math_acos(double x, double *out);
int jc_math_atan(double x, double *out);
int jc_math_sinh(double x, double *out);
int jc_math_cosh(double x, double *out);
int jc_math_tanh(double x, double *out);
int jc_math_asinh(double x, double *out);
int jc_math_acosh(double x, double *out);
int jc_math_atanh(double x, double *out);
int jc_math_expm1(double x, double *out);
int jc_math_log1p(double x, double *out);
/* math.log2, math.log10: 1 for x <= 0 and -inf. */
int jc_math_log2(double x, double *out);
int jc_math_log10(double x, double *out);
/* Never fails. */
int jc_math_fabs(double x, double *out);
/* Which CPython's rules the helpers follow where CPython versions differ:
 * sys.hexversion of the running interpreter (jitcore.runtime sets it on
 * load; until then, the version whose headers built the module). */
void jc_set_python_version(unsigned long hexversion);

/* math.hypot(x, y); never fails (hypot(inf, nan) is inf). */
int jc_math_hypot(double x, double y, double *out);
/* Never fails. */
int jc_math_copysign(double x, double y, double *out);

/* ---- the rest of the math module ---- */

/* math_2 functions: 1 for a nan from non-nan arguments or an inf from
 * finite ones (math.atan2(y, x), math.remainder, math.fmod: CPython's
 * special cases first, as m_atan2, m_remainder and math_fmod do). */
int jc_math_atan2(double y, double x, double *out);
int jc_math_remainder(double x, double y, double *out);
int jc_math_fmod(double x, double y, double *out);
/* math.pow(x, y) (not float ** float: (-8.0) ** (1/3) is complex there, a
 * ValueError here; both fail). */
int jc_math_pow(double x, double y, double *out);
/* math.log(x, base): log(x) / log(base); 1 for x or base <= 0 (also as
 * ints: loghelper) and for base 1 (ZeroDivisionError). */
int jc_math_log_base(double x, double base, double *out);
/* math.ldexp(x, i) for an int i: 1 on overflow. */
int jc_math_ldexp(double x, int64_t i, double *out);
/* math.frexp(x): the mantissa, and the exponent. Never fail. */
int jc_math_frexp(double x, double *out);
int jc_math_frexp_exponent(double x, int64_t *out);
/* math.modf(x): the fractional part, and the integral part. Never fail. */
int jc_math_modf(double x, double *out);
int jc_math_modf_integral(double x, double *out);
/* math_1's rules, as for math.exp: 1 where CPython raises. */
int jc_math_exp2(double x, double *out);
int jc_math_cbrt(double x, double *out);
int jc_math_erf(double x, double *out);
int jc_math_erfc(double x, double *out);
/* m_tgamma and m_lgamma (Lanczos approximation, CPython's own code, not
 * libm's): 1 at the poles, for -inf (gamma) and on overflow. */
int jc_math_gamma(double x, double *out);
int jc_math_lgamma(double x, double *out);
/* math.nextafter(x, y), and with steps= (3.12): 1 for steps < 0. */
int jc_math_nextafter(double x, double y, double *out);
int jc_math_nextafter_steps(double x, double y, int64_t steps, double *out);
/* math.ulp(x). Never fails. */
int jc_math_ulp(double x, double *out);
/* math.fma(x, y, z) (3.13): 1 for a nan from non-nans, an inf from finite
 * arguments. */
int jc_math_fma(double x, double y, double z, double *out);
/* math.isclose(a, b, rel_tol=, abs_tol=): *out 0 or 1; 1 (the status)
 * for a negative tolerance. */
int jc_math_isclose(double a, double b, double rel_tol, double abs_tol, int64_t *out);
/* math.hypot(x, y, z). Never fails. */
int jc_math_hypot3(double x, double y, double z, double *out);

/* round(x, ndigits) of a float: correctly rounded (to nearest, halfway
 * cases of the exact binary value to even), as CPython's double_round with
 * dtoa; 1 where the rounded value overflows (OverflowError). */
int jc_float_round_digits(double x, int64_t ndigits, double *out);
/* round(x, ndigits) of an int: x for ndigits >= 0, else x rounded to a
 * multiple of 10 ** -ndigits, halfway cases to even; 1 if outside int64. */
int jc_int_round_digits(int64_t x, int64_t ndigits, int64_t *out);

/* math.gcd(a, b), math.lcm(a, b): 1 if the result is outside int64. */
int jc_math_gcd(int64_t a, int64_t b, int64_t *out);
int jc_math_lcm(int64_t a, int64_t b, int64_t *out);
/* math.isqrt(n): 1 for n < 0. */
int jc_math_isqrt(int64_t n, int64_t *out);
/* math.factorial(n): 1 for n < 0 and n > 20 (beyond int64). */
int jc_math_factorial(int64_t n, int64_t *out);
/* math.comb(n, k), math.perm(n, k): 1 for negative arguments and results
 * outside int64. */
int jc_math_comb(int64_t n, int64_t k, int64_t *out);
int jc_math_perm(int64_t n, int64_t k, int64_t *out);

/* cffi-cdef: end */

#ifdef __cplusplus
}
#endif

#endif /* JC_NUMERIC_H */
