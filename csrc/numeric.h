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
 * CPython in the same process.  The one version-dependent algorithm,
 * math.hypot (changed in CPython 3.12), is chosen when numeric.c is
 * compiled, from the Python headers of the interpreter that builds the
 * module (the module is built per interpreter); see numeric.c.
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
/* pow(base, exp, mod): 1 for mod == 0 (ValueError) and exp < 0 (a modular inverse). */
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
/* math.hypot(x, y); never fails (hypot(inf, nan) is inf). */
int jc_math_hypot(double x, double y, double *out);
/* Never fails. */
int jc_math_copysign(double x, double y, double *out);

/* cffi-cdef: end */

#ifdef __cplusplus
}
#endif

#endif /* JC_NUMERIC_H */
