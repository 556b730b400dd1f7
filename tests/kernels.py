"""A corpus of realistic numeric kernels, each compiled with @jit(strict=True).

test_kernels.py compares every kernel with CPython (value, exact type, float
bits, exception type and message) on its edge arguments and on arguments
drawn from its hypothesis strategy, and checks that it compiles natively.

The kernels stay inside the subset jitcore is meant to compile:

- int (unbounded at run time), bool and float, mixed as Python mixes them;
- + - * / // % ** , unary - + ~ not, & | ^ << >>, comparisons (chained too),
  and/or (also as values), conditional expressions, augmented assignment,
  tuple-swap assignment, returning tuples of scalars;
- if/elif/else, while, for over range(...) with 1-3 arguments, break,
  continue, for/else, while/else, nested loops, early returns, returns of
  different types on different paths;
- calls of other module-level @jit functions (recursion, mutual recursion),
  abs min max int float bool round divmod, math.sqrt floor ceil fabs exp log
  sin cos hypot isnan isinf copysign pi e;
- module-level int/float/bool constants.

A few kernels go slightly beyond the letter of that list where real code
does: unpacking a tuple returned by another kernel (`g, x, _ = ext_gcd(...)`),
and constants that do not fit in int64 (MASK64, and CPython's folded
`2 ** 64`, `-(-2**63)`, `(-2**63) // -1` in int64_overflow_literals).

Each kernel's input domain is recorded in KERNELS: a hypothesis strategy that
draws a tuple of arguments (bounded so that one call takes at most a few
milliseconds in CPython) and a list of edge-argument tuples.
"""

import itertools
import math
from typing import Any, NamedTuple

from hypothesis import strategies as st

from jitcore import jit

# ---------------------------------------------------------------------------
# Module-level constants the kernels read (ints, floats, bools).
# ---------------------------------------------------------------------------

MOD = 1_000_000_007
MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF  # 2**64 - 1: does not fit in int64
LCG_A = 1103515245
LCG_C = 12345
LCG_M = 2**31
TOL = 1e-12
NEWTON_STEPS = 100
SOFTPLUS_CUTOFF = 30.0
USE_STABLE_SIGMOID = True
GOLDEN = (1 + 5**0.5) / 2
NO_FACTOR = -1


# ===========================================================================
# Number theory
# ===========================================================================


@jit(strict=True)
def gcd(a, b):
    while b:
        a, b = b, a % b
    return abs(a)


@jit(strict=True)
def gcd_rec(a, b):
    return abs(a) if b == 0 else gcd_rec(b, a % b)


@jit(strict=True)
def lcm(a, b):
    if a == 0 or b == 0:
        return 0
    return abs(a // gcd(a, b) * b)


@jit(strict=True)
def ext_gcd(a, b):
    old_r, r = a, b
    old_s, s = 1, 0
    old_t, t = 0, 1
    while r != 0:
        q = old_r // r
        old_r, r = r, old_r - q * r
        old_s, s = s, old_s - q * s
        old_t, t = t, old_t - q * t
    return old_r, old_s, old_t


@jit(strict=True)
def mod_inverse(a, m):
    g, x, _ = ext_gcd(a % m, m)
    if g != 1:
        return NO_FACTOR
    return x % m


@jit(strict=True)
def pow_mod(base, exp):
    result = 1
    base %= MOD
    while exp > 0:
        if exp & 1:
            result = result * base % MOD
        base = base * base % MOD
        exp >>= 1
    return result


@jit(strict=True)
def pow_mod_m(base, exp, m):
    result = 1 % m
    base %= m
    while exp > 0:
        if exp % 2 == 1:
            result = result * base % m
        base = base * base % m
        exp //= 2
    return result


@jit(strict=True)
def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    i = 3
    while i * i <= n:
        if n % i == 0:
            return False
        i += 2
    return True


@jit(strict=True)
def count_primes(n):
    count = 0
    for k in range(n):
        if is_prime(k):
            count += 1
    return count


@jit(strict=True)
def nth_prime(n):
    if n < 1:
        return NO_FACTOR
    count = 0
    candidate = 1
    while count < n:
        candidate += 1
        if not is_prime(candidate):
            continue
        count += 1
    return candidate


@jit(strict=True)
def twin_primes_below(n):
    count = 0
    for p in range(3, n - 2, 2):
        if is_prime(p) and is_prime(p + 2):
            count += 1
    return count


@jit(strict=True)
def sum_of_divisors(n):
    if n < 1:
        return 0
    total = 0
    d = 1
    while d * d <= n:
        if n % d == 0:
            total += d
            if d * d != n:
                total += n // d
        d += 1
    return total


@jit(strict=True)
def is_perfect(n):
    return n > 0 and sum_of_divisors(n) == 2 * n


@jit(strict=True)
def euler_totient(n):
    if n < 1:
        return 0
    result = n
    p = 2
    while p * p <= n:
        if n % p == 0:
            while n % p == 0:
                n //= p
            result -= result // p
        p += 1
    if n > 1:
        result -= result // n
    return result


@jit(strict=True)
def largest_prime_factor(n):
    if n < 2:
        return NO_FACTOR
    largest = 1
    p = 2
    while p * p <= n:
        while n % p == 0:
            largest = p
            n //= p
        p += 1 if p == 2 else 2
    if n > 1:
        largest = n
    return largest


@jit(strict=True)
def first_factor(n):
    """Smallest factor > 1 of n (n itself for primes), with for/else."""
    for d in range(2, n):
        if d * d > n:
            return n
        if n % d == 0:
            break
    else:
        return n
    return d


@jit(strict=True)
def collatz_steps(n):
    if n < 1:
        return -1
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n //= 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@jit(strict=True)
def longest_collatz_below(n):
    best_start, best_steps = 1, 0
    for start in range(1, n):
        steps = collatz_steps(start)
        if steps > best_steps:
            best_start, best_steps = start, steps
    return best_start, best_steps


@jit(strict=True)
def digit_sum(n):
    n = abs(n)
    s = 0
    while n:
        s += n % 10
        n //= 10
    return s


@jit(strict=True)
def digital_root(n):
    n = abs(n)
    while n >= 10:
        n = digit_sum(n)
    return n


@jit(strict=True)
def count_digits(n):
    if n == 0:
        return 1
    n = abs(n)
    c = 0
    while n > 0:
        n //= 10
        c += 1
    return c


@jit(strict=True)
def reverse_digits(n):
    sign = -1 if n < 0 else 1
    n = abs(n)
    r = 0
    while n > 0:
        n, d = divmod(n, 10)
        r = r * 10 + d
    return sign * r


@jit(strict=True)
def is_palindrome_number(n):
    if n < 0:
        return False
    return reverse_digits(n) == n


@jit(strict=True)
def is_armstrong(n):
    k = count_digits(n)
    total = 0
    m = n
    while m > 0:
        total += (m % 10) ** k
        m //= 10
    return n >= 0 and total == n


@jit(strict=True)
def isqrt_newton(n):
    if n < 0:
        return -1
    x = n
    y = (x + 1) // 2
    while y < x:
        x = y
        y = (x + n // x) // 2
    return x


@jit(strict=True)
def fib_iter(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@jit(strict=True)
def fib_mod(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % MOD
    return a


@jit(strict=True)
def fib_rec(n):
    if n < 2:
        return n
    return fib_rec(n - 1) + fib_rec(n - 2)


@jit(strict=True)
def fib_pair(n):
    """(F(n), F(n+1)) by fast doubling; recursion depth log2(n)."""
    if n <= 0:
        return 0, 1
    a, b = fib_pair(n // 2)
    c = a * (2 * b - a)
    d = a * a + b * b
    if n % 2 == 1:
        return d, c + d
    return c, d


@jit(strict=True)
def fib_binet(n):
    return round(GOLDEN**n / math.sqrt(5))


@jit(strict=True)
def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


@jit(strict=True)
def binomial(n, k):
    if k < 0 or k > n:
        return 0
    k = min(k, n - k)
    r = 1
    for i in range(1, k + 1):
        r = r * (n - k + i) // i
    return r


@jit(strict=True)
def catalan(n):
    return binomial(2 * n, n) // (n + 1)


@jit(strict=True)
def is_even(n):
    if n < 0:
        n = -n
    if n == 0:
        return True
    return is_odd(n - 1)


@jit(strict=True)
def is_odd(n):
    if n < 0:
        n = -n
    if n == 0:
        return False
    return is_even(n - 1)


@jit(strict=True)
def josephus(n, k):
    r = 0
    for i in range(2, n + 1):
        r = (r + k) % i
    return r + 1


@jit(strict=True)
def int_power(b, e):
    """b**e by repeated squaring, without the ** operator; e < 0 gives 0."""
    if e < 0:
        return 0
    result = 1
    while e:
        if e & 1:
            result *= b
        b *= b
        e >>= 1
    return result


@jit(strict=True)
def power_rec(b, e):
    if e == 0:
        return 1
    half = power_rec(b, e // 2)
    if e % 2:
        return half * half * b
    return half * half


@jit(strict=True)
def count_coprime_pairs(n):
    count = 0
    for a in range(1, n):
        for b in range(1, n):
            if a % 2 == 0 and b % 2 == 0:
                continue
            if gcd(a, b) == 1:
                count += 1
    return count


@jit(strict=True)
def pythagorean_triples(n):
    count = 0
    for a in range(1, n):
        for b in range(a, n):
            c2 = a * a + b * b
            c = int(math.sqrt(c2))
            if c >= n:
                break
            if c * c == c2:
                count += 1
    return count


# ===========================================================================
# Bit tricks
# ===========================================================================


@jit(strict=True)
def popcount(x):
    x = abs(x)
    c = 0
    while x:
        x &= x - 1
        c += 1
    return c


@jit(strict=True)
def popcount64(x):
    """SWAR popcount of the low 64 bits (x as an unsigned 64-bit word)."""
    x &= MASK64
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return ((x * 0x0101010101010101) & MASK64) >> 56


@jit(strict=True)
def parity(x):
    return (popcount(x) & 1) == 1


@jit(strict=True)
def parity_loop(x):
    odd = False
    x = abs(x)
    while x:
        odd = not odd
        x &= x - 1
    return odd


@jit(strict=True)
def lowest_set_bit(x):
    return x & -x


@jit(strict=True)
def next_power_of_two(x):
    if x <= 1:
        return 1
    x -= 1
    x |= x >> 1
    x |= x >> 2
    x |= x >> 4
    x |= x >> 8
    x |= x >> 16
    x |= x >> 32
    return x + 1


@jit(strict=True)
def next_power_of_two_loop(x):
    p = 1
    while p < x:
        p <<= 1
    return p


@jit(strict=True)
def bit_reverse32(x):
    x &= MASK32
    r = 0
    for _ in range(32):
        r = (r << 1) | (x & 1)
        x >>= 1
    return r


@jit(strict=True)
def count_trailing_zeros(x):
    if x == 0:
        return 64
    n = 0
    while x & 1 == 0:
        x >>= 1
        n += 1
    return n


@jit(strict=True)
def bit_length_loop(x):
    x = abs(x)
    n = 0
    while x:
        x >>= 1
        n += 1
    return n


@jit(strict=True)
def gray_code(n):
    return n ^ (n >> 1)


@jit(strict=True)
def gray_decode(g):
    shift = 1
    while shift < 64:
        g ^= g >> shift
        shift <<= 1
    return g


@jit(strict=True)
def swap_bits(x, i, j):
    if ((x >> i) & 1) != ((x >> j) & 1):
        x ^= (1 << i) | (1 << j)
    return x


@jit(strict=True)
def rotl32(x, r):
    x &= MASK32
    r %= 32
    return ((x << r) | (x >> (32 - r))) & MASK32


@jit(strict=True)
def is_power_of_two(x):
    return x > 0 and (x & (x - 1)) == 0


@jit(strict=True)
def sign_extend(x, bits):
    m = 1 << (bits - 1)
    x &= (1 << bits) - 1
    return (x ^ m) - m


@jit(strict=True)
def morton2(x, y):
    z = 0
    for i in range(16):
        z |= ((x >> i) & 1) << (2 * i) | ((y >> i) & 1) << (2 * i + 1)
    return z


@jit(strict=True)
def xorshift64(seed, steps):
    x = seed & MASK64
    for _ in range(steps):
        x ^= (x << 13) & MASK64
        x ^= x >> 7
        x ^= (x << 17) & MASK64
    return x


@jit(strict=True)
def lcg(seed, n):
    x = seed
    for _ in range(n):
        x = (LCG_A * x + LCG_C) % LCG_M
    return x


# ===========================================================================
# Numeric loops
# ===========================================================================


@jit(strict=True)
def sum_of_squares(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


@jit(strict=True)
def sum_range_step(start, stop, step):
    total = 0
    for i in range(start, stop, step):
        total += i
    return total


@jit(strict=True)
def countdown_hash(n):
    """Walks n, n-k, ..., 0 with a step computed from n."""
    step = -(n % 3 + 1)
    h = 0
    for i in range(n, -1, step):
        h = (h * 31 + i) % MOD
    return h


@jit(strict=True)
def mean_of_halves(n):
    """acc starts as an int and becomes a float once the loop runs."""
    acc = 0
    for i in range(n):
        acc += i / 2
    return acc


@jit(strict=True)
def last_index_below_sqrt(n):
    """UnboundLocalError when the loop never runs (n <= 0)."""
    for i in range(n):
        if i * i > n:
            break
    return i


@jit(strict=True)
def while_else_find_square(n, target):
    i = 0
    while i < n:
        if i * i == target:
            break
        i += 1
    else:
        return -1
    return i


@jit(strict=True)
def alt_harmonic(n):
    s = 0.0
    for k in range(1, n + 1):
        if k % 2:
            s += 1.0 / k
        else:
            s -= 1.0 / k
    return s


@jit(strict=True)
def leibniz_pi(n):
    s = 0.0
    sign = 1.0
    for k in range(n):
        s += sign / (2 * k + 1)
        sign = -sign
    return 4 * s


@jit(strict=True)
def trapezoid_x2(a, b, n):
    h = (b - a) / n
    s = 0.5 * (a * a + b * b)
    for i in range(1, n):
        x = a + i * h
        s += x * x
    return s * h


@jit(strict=True)
def horner(x):
    """3x^4 - 2x^3 + x - 7."""
    return (((3 * x - 2) * x + 0) * x + 1) * x - 7


@jit(strict=True)
def newton_sqrt(x):
    if x < 0:
        return -1.0
    if x == 0:
        return x
    g = x if x > 1 else 1.0
    for _ in range(NEWTON_STEPS):
        ng = 0.5 * (g + x / g)
        if ng == g:
            break
        g = ng
    return g


@jit(strict=True)
def cbrt_newton(x):
    if x == 0 or math.isnan(x) or math.isinf(x):
        return x
    sign = 1.0 if x > 0 else -1.0
    a = abs(x)
    g = a if a < 1 else a / 3 + 1
    for _ in range(200):
        ng = (2 * g + a / (g * g)) / 3
        if abs(ng - g) <= TOL * ng:
            g = ng
            break
        g = ng
    return sign * g


@jit(strict=True)
def mandelbrot(cr, ci, max_iter):
    zr = 0.0
    zi = 0.0
    for i in range(max_iter):
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            return i
        zi = 2 * zr * zi + ci
        zr = zr2 - zi2 + cr
    return max_iter


@jit(strict=True)
def logistic_map(r, x0, n):
    x = x0
    for _ in range(n):
        x = r * x * (1 - x)
    return x


@jit(strict=True)
def kahan_sum(n):
    """Sum of 1/k^2 for k in 1..n: (compensated, naive)."""
    s = 0.0
    c = 0.0
    naive = 0.0
    for k in range(1, n + 1):
        term = 1.0 / (k * k)
        naive += term
        y = term - c
        t = s + y
        c = (t - s) - y
        s = t
    return s, naive


@jit(strict=True)
def geometric_series(r, n):
    s = 0.0
    term = 1.0
    for _ in range(n):
        s += term
        term *= r
    if r == 1:
        return s, float(n)
    return s, (1 - r**n) / (1 - r)


@jit(strict=True)
def power(a, b):
    return a**b


@jit(strict=True)
def compound_interest(principal, rate, n, years):
    return principal * (1 + rate / n) ** (n * years)


@jit(strict=True)
def cross3(ax, ay, az, bx, by, bz):
    return ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx


@jit(strict=True)
def dot3(ax, ay, az, bx, by, bz):
    return ax * bx + ay * by + az * bz


# ===========================================================================
# Float functions
# ===========================================================================


@jit(strict=True)
def distance(x1, y1, x2, y2):
    return math.hypot(x2 - x1, y2 - y1)


@jit(strict=True)
def heron_area(a, b, c):
    s = (a + b + c) / 2
    return math.sqrt(s * (s - a) * (s - b) * (s - c))


@jit(strict=True)
def clamp(x, lo, hi):
    return max(lo, min(x, hi))


@jit(strict=True)
def sign(x):
    if x > 0:
        return 1
    elif x < 0:
        return -1
    return x  # 0, 0.0, -0.0 and nan keep their type and bits


@jit(strict=True)
def safe_div(a, b):
    if b == 0:
        return 0.0, False
    return a / b, True


@jit(strict=True)
def deg2rad(d):
    return d * math.pi / 180


@jit(strict=True)
def rad2deg(r):
    return r * 180 / math.pi


@jit(strict=True)
def sigmoid(x):
    if USE_STABLE_SIGMOID:
        if x >= 0:
            z = math.exp(-x)
            return 1 / (1 + z)
        z = math.exp(x)
        return z / (1 + z)
    return 1 / (1 + math.exp(-x))


@jit(strict=True)
def sigmoid_naive(x):
    return 1.0 / (1.0 + math.exp(-x))


@jit(strict=True)
def softplus(x):
    if x > SOFTPLUS_CUTOFF:
        return x
    if x < -SOFTPLUS_CUTOFF:
        return math.exp(x)
    return math.log(1 + math.exp(x))


@jit(strict=True)
def log_ratio(a, b):
    return math.log(a / b)


@jit(strict=True)
def trig_identity(x):
    s = math.sin(x)
    c = math.cos(x)
    return s * s + c * c


@jit(strict=True)
def polar_to_cartesian(r, theta):
    return r * math.cos(theta), r * math.sin(theta)


@jit(strict=True)
def floor_ceil(x):
    return math.floor(x), math.ceil(x)


@jit(strict=True)
def frac_part(x):
    return x - math.floor(x)


@jit(strict=True)
def magnitude_with_sign(x, y):
    return math.copysign(math.fabs(x), y)


@jit(strict=True)
def is_finite(x):
    return not (math.isnan(x) or math.isinf(x))


@jit(strict=True)
def quadratic_roots(a, b, c):
    disc = b * b - 4 * a * c
    if disc < 0:
        return False, 0.0, 0.0
    root = math.sqrt(disc)
    return True, (-b + root) / (2 * a), (-b - root) / (2 * a)


@jit(strict=True)
def exp_growth(t):
    return math.e**t, math.exp(t)


@jit(strict=True)
def lerp(a, b, t):
    return a + (b - a) * t


@jit(strict=True)
def approx_equal(a, b):
    return abs(a - b) <= TOL * max(abs(a), abs(b)) or a == b


@jit(strict=True)
def classify(x):
    """Different return types on different paths."""
    if x != x:
        return False
    elif x == 0:
        return 0
    elif x < 0:
        if x < -1000:
            return -2
        return -1
    elif x > 1e6:
        return 1e6
    else:
        return x / 1000


@jit(strict=True)
def piecewise(x):
    return x * 2 if x < 0 else (x + 1 if x < 10 else x / 3)


@jit(strict=True)
def grade(score):
    if score >= 90:
        g = 4
    elif score >= 80:
        g = 3
    elif score >= 70:
        g = 2
    elif score >= 60:
        g = 1
    else:
        g = 0
    return g


# ===========================================================================
# Edge semantics of operators, conversions and builtins
# ===========================================================================


@jit(strict=True)
def floordiv_mod(a, b):
    return a // b, a % b


@jit(strict=True)
def builtin_divmod(a, b):
    return divmod(a, b)


@jit(strict=True)
def true_div(a, b):
    return a / b


@jit(strict=True)
def shl(x, n):
    return x << n


@jit(strict=True)
def shr(x, n):
    return x >> n


@jit(strict=True)
def pow2(e):
    return 2**e


@jit(strict=True)
def negate_abs(x):
    return -x, abs(x)


@jit(strict=True)
def int_unary(x):
    return -x, +x, ~x


@jit(strict=True)
def unary_plus_minus(x):
    return +x, -x


@jit(strict=True)
def int64_overflow_literals(k):
    """CPython folds these into constants that do not fit in int64."""
    if k == 0:
        return 2**64
    elif k == 1:
        return -(-(2**63))  # noqa: B002 - a constant CPython folds beyond int64
    elif k == 2:
        return (-(2**63)) // -1
    elif k == 3:
        return (-(2**63)) * -1
    return -(2**63) - 1


@jit(strict=True)
def int_arith(a, b):
    return a + b, a - b, a * b


@jit(strict=True)
def float_arith(x, y):
    return x + y, x - y, x * y


@jit(strict=True)
def mixed_arith(i, x):
    return i + x, i - x, i * x, i / 2, x // 1


@jit(strict=True)
def bool_arith(a, b):
    return a + b, a - b, a * b, a & b, a | b, a ^ b, a << 1


@jit(strict=True)
def neg_zero_ops(x):
    return x * -1.0, 0.0 - x, -x, x + 0.0, x - 0.0


@jit(strict=True)
def to_int(x):
    return int(x)


@jit(strict=True)
def to_float(x):
    return float(x)


@jit(strict=True)
def to_bool(x):
    return bool(x)


@jit(strict=True)
def round_to_int(x):
    return round(x)


@jit(strict=True)
def compare_all(a, b):
    return a < b, a <= b, a == b, a != b, a > b, a >= b


@jit(strict=True)
def in_range(lo, x, hi):
    return lo <= x < hi


@jit(strict=True)
def chained(a, b, c):
    return a < b < c, a == b == c, a < b >= c


@jit(strict=True)
def not_ops(x):
    return not x, not not x


@jit(strict=True)
def and_value(a, b):
    return a and b


@jit(strict=True)
def or_value(a, b):
    return a or b


@jit(strict=True)
def and_or_value(a, b, c):
    return a and b or c


@jit(strict=True)
def min_max3(a, b, c):
    return min(a, b, c), max(a, b, c)


@jit(strict=True)
def min_max2(a, b):
    return min(a, b), max(a, b)


# ===========================================================================
# Input domains
# ===========================================================================


class Kernel(NamedTuple):
    func: Any  # a jitcore Dispatcher
    args_strategy: Any  # hypothesis strategy of argument tuples
    edge_args: list[tuple[Any, ...]]

    @property
    def name(self) -> str:
        return self.func.__name__

    def __repr__(self) -> str:  # short: pytest shows it in every failure
        return f"Kernel({self.name}, {len(self.edge_args)} edge argument tuples)"


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INF = math.inf
NAN = math.nan

# Where int64 arithmetic and the int/float boundary change behaviour.
INT_EDGES = [0, 1, -1, 2, -2, 7, -7, 10, 2**31 - 1, -(2**31), 2**32 + 1, 3037000499,
             3037000500, -3037000500, 2**53 + 1, 2**62, -(2**62), INT64_MAX, INT64_MIN,
             INT64_MAX - 1, INT64_MIN + 1]
INT_EDGES_SMALL = [0, 1, -1, 2, -7, 3037000500, INT64_MAX, INT64_MIN, 2**53 + 1]
BEYOND_INT64 = [2**63, -(2**63) - 1, 2**64, -(2**64), 10**30, -(10**30)]
FLOAT_EDGES = [0.0, -0.0, INF, -INF, NAN, 1e308, -1e308, 5e-324, -5e-324, 1.0, -1.0, 0.5, -0.5,
               1.5, 2.5, -2.5, 2.0**53, 2.0**63, -(2.0**63), 1e-300, 3.141592653589793]
FLOAT_EDGES_SMALL = [0.0, -0.0, INF, -INF, NAN, 1e308, 5e-324, -1.5, 2.5]

i64 = st.one_of(st.sampled_from(INT_EDGES), st.integers(-1000, 1000),
                st.integers(INT64_MIN, INT64_MAX))
any_int = st.one_of(i64, st.sampled_from(BEYOND_INT64), st.integers(-(2**200), 2**200))
nonneg_i64 = st.one_of(st.sampled_from([0, 1, 2, 2**31, 2**62, INT64_MAX]),
                       st.integers(0, 1000), st.integers(0, INT64_MAX))
any_float = st.one_of(st.sampled_from(FLOAT_EDGES), st.floats(allow_nan=True, allow_infinity=True),
                      st.floats(-10.0, 10.0))
finite_float = st.floats(-1e6, 1e6)
number = st.one_of(any_float, i64, st.booleans())  # ints and bools where a float is expected


def nat(hi, lo=0):
    return st.integers(lo, hi)


def args(*strategies):
    return st.tuples(*strategies)


def product(values, n):
    return list(itertools.product(values, repeat=n))


def singles(values):
    return [(v,) for v in values]


@st.composite
def range_args(draw):
    start = draw(st.one_of(st.integers(-1000, 1000), st.sampled_from([INT64_MIN, INT64_MAX - 50])))
    step = draw(st.integers(-60, 60).filter(lambda s: s != 0))
    count = draw(st.integers(-5, 300))
    stop = start + step * count + draw(st.integers(-3, 3))
    return start, stop, step


@st.composite
def power_args(draw):
    """Int ** int (a float for negative exponents), or a non-negative base ** float
    (a negative base with a fractional exponent would give a complex number)."""
    if draw(st.booleans()):
        return draw(st.one_of(nat(20, -20), st.booleans())), draw(nat(60, -10))
    return draw(st.one_of(st.floats(0.0, 10.0), nat(20))), draw(st.one_of(st.floats(-10.0, 10.0), nat(60, -10)))


@st.composite
def triangle_sides(draw):
    """Mostly possible triangles (|a - b| <= c <= a + b), sometimes just impossible ones."""
    side = st.one_of(st.floats(0.0, 1e6), st.integers(0, 10**6))
    a, b = draw(side), draw(side)
    c = draw(st.floats(abs(a - b), a + b)) if draw(st.integers(0, 3)) else a + b + draw(st.floats(1e-9, 10.0))
    return a, b, c


KERNELS = [
    # --- number theory ---------------------------------------------------
    Kernel(gcd, args(any_int, any_int),
           product(INT_EDGES_SMALL, 2) + [(True, 4), (6, True), (True, False), (2**64, 2**32)]),
    Kernel(gcd_rec, args(i64, i64), product(INT_EDGES_SMALL, 2) + [(False, True)]),
    Kernel(lcm, args(any_int, any_int),
           product(INT_EDGES_SMALL, 2) + [(True, True), (4, 6), (-4, 6)]),
    Kernel(ext_gcd, args(any_int, any_int),
           product(INT_EDGES_SMALL, 2) + [(240, 46), (True, 3)]),
    Kernel(mod_inverse, args(i64, st.one_of(nat(10**9, -100), i64)),
           [(3, 11), (10, 17), (6, 9), (1, 1), (5, 0), (-3, 11), (3, -11), (INT64_MIN, MOD),
            (INT64_MAX, MOD), (True, 7)]),
    Kernel(pow_mod, args(any_int, st.one_of(i64, nat(10**6))),
           product(INT_EDGES_SMALL, 2) + [(2, MOD - 2), (True, 5), (3, True)]),
    Kernel(pow_mod_m, args(any_int, st.one_of(i64, nat(10**6)), st.one_of(i64, nat(100, -100))),
           [(2, 10, 1000), (2, 10, 1), (2, 10, 0), (2, 10, -7), (-2, 3, 5), (INT64_MAX, INT64_MAX, INT64_MAX),
            (INT64_MIN, INT64_MAX, INT64_MIN), (3, 200, 2**62 + 1), (7, 0, 13), (5, True, 3)]),
    Kernel(is_prime, args(st.one_of(nat(10**6, -100), st.sampled_from([2**31 - 1, 2**62, INT64_MAX]))),
           singles([INT64_MIN, -1, 0, 1, 2, 3, 4, 9, 97, 7919, 2**31 - 1, 2**62, INT64_MAX,
                    True, False])),
    Kernel(count_primes, args(nat(2000, -10)), singles([-5, 0, 1, 2, 3, 100, True])),
    Kernel(nth_prime, args(nat(300, -5)), singles([-1, 0, 1, 2, 100, True])),
    Kernel(twin_primes_below, args(nat(2000, -10)), singles([0, 5, 6, 100, 1000])),
    Kernel(sum_of_divisors, args(nat(10**6, -10)), singles([INT64_MIN, -1, 0, 1, 6, 28, 496, True])),
    Kernel(is_perfect, args(nat(10**4, -10)), singles([-6, 0, 1, 6, 28, 496, 8128, 8129, True])),
    Kernel(euler_totient, args(nat(10**6, -10)), singles([INT64_MIN, -1, 0, 1, 2, 9, 36, 97, 10**6, True])),
    Kernel(largest_prime_factor, args(nat(10**6, -10)),
           singles([INT64_MIN, 0, 1, 2, 4, 13195, 600851475143, 2**62, True])),
    Kernel(first_factor, args(nat(10**5, -10)), singles([-5, 0, 1, 2, 3, 4, 25, 97, 10**4 + 7, True])),
    Kernel(collatz_steps, args(st.one_of(nat(10**5, -10), st.sampled_from([2**62, INT64_MAX]))),
           singles([INT64_MIN, -1, 0, 1, 2, 27, 97, 2**62, INT64_MAX, 2**64 + 1, True])),
    Kernel(longest_collatz_below, args(nat(300)), singles([0, 1, 2, 10, 100])),
    Kernel(digit_sum, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True, False])),
    Kernel(digital_root, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True])),
    Kernel(count_digits, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True])),
    Kernel(reverse_digits, args(any_int),
           singles(INT_EDGES + BEYOND_INT64 + [1999999999999999999, -1999999999999999999,
                                               1000000000000000009, 120, True])),
    Kernel(is_palindrome_number, args(any_int),
           singles(INT_EDGES + [0, 121, -121, 10, 1234554321, 9223372036854775807, True])),
    Kernel(is_armstrong, args(st.one_of(nat(10**6, -10), i64)),
           singles(INT_EDGES + [0, 153, 370, 371, 407, 9474, 9475, True])),
    Kernel(isqrt_newton, args(st.one_of(nonneg_i64, any_int)),
           singles(INT_EDGES + BEYOND_INT64 + [True, False, 99, 100, 101])),
    Kernel(fib_iter, args(nat(200, -3)), singles([-1, 0, 1, 2, 91, 92, 93, 200, True, False])),
    Kernel(fib_mod, args(nat(2000, -3)), singles([-1, 0, 1, 2, 93, 2000, True])),
    Kernel(fib_rec, args(nat(18, -3)), singles([-5, 0, 1, 2, 10, 18, True])),
    Kernel(fib_pair, args(st.one_of(nat(5000, -3), nat(100))), singles([-1, 0, 1, 2, 92, 93, 94, 5000, True])),
    Kernel(fib_binet, args(nat(1600, -50)), singles([-1, 0, 1, 2, 70, 71, 1000, 1474, 1475, True])),
    Kernel(ackermann, args(nat(2), nat(3)), [(0, 0), (0, 3), (1, 0), (1, 3), (2, 0), (2, 3), (True, True)]),
    Kernel(binomial, args(nat(200, -3), nat(200, -3)),
           [(0, 0), (5, -1), (5, 6), (-3, 2), (-3, -4), (60, 30), (67, 33), (68, 34), (200, 100),
            (True, True), (10, False)]),
    Kernel(catalan, args(nat(100, -3)), singles([-2, -1, 0, 1, 2, 35, 36, 37, 100, True])),
    Kernel(is_even, args(nat(150, -150)), singles([-150, -1, 0, 1, 2, 150, True, False])),
    Kernel(is_odd, args(nat(150, -150)), singles([-151, -1, 0, 1, 2, 149, True, False])),
    Kernel(josephus, args(nat(2000, -3), st.one_of(nat(100, -100), i64)),
           [(1, 1), (7, 3), (41, 3), (0, 2), (10, 0), (10, -3), (100, INT64_MAX), (100, INT64_MIN),
            (5, True), (True, 2)]),
    Kernel(int_power, args(st.one_of(nat(20, -20), i64), nat(200, -3)),
           [(2, 62), (2, 63), (2, 64), (-2, 63), (-2, 64), (3037000500, 2), (INT64_MIN, 1), (INT64_MIN, 2),
            (0, 0), (5, -1), (True, 100), (7, True)]),
    Kernel(power_rec, args(st.one_of(nat(20, -20), i64), nat(200)),
           [(2, 62), (2, 63), (-2, 63), (3037000500, 2), (INT64_MIN, 1), (0, 0), (1.5, 10), (2.0, 1100),
            (True, 5)]),
    Kernel(count_coprime_pairs, args(nat(30, -2)), singles([0, 1, 2, 10, 30])),
    Kernel(pythagorean_triples, args(nat(60, -2)), singles([0, 1, 5, 6, 60])),
    # --- bit tricks --------------------------------------------------------
    Kernel(popcount, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True, False])),
    Kernel(popcount64, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True, False])),
    Kernel(parity, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True])),
    Kernel(parity_loop, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True])),
    Kernel(lowest_set_bit, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True, False])),
    Kernel(next_power_of_two, args(st.one_of(nonneg_i64, i64)), singles(INT_EDGES + [3, 5, 2**62 + 1, True])),
    Kernel(next_power_of_two_loop, args(st.one_of(nonneg_i64, i64)),
           singles(INT_EDGES + BEYOND_INT64 + [3, 5, 2**62 + 1, True])),
    Kernel(bit_reverse32, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True])),
    Kernel(count_trailing_zeros, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True, False])),
    Kernel(bit_length_loop, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True, False])),
    Kernel(gray_code, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True])),
    Kernel(gray_decode, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True])),
    Kernel(swap_bits, args(any_int, nat(70, -2), nat(70, -2)),
           [(x, i, j) for x in INT_EDGES_SMALL for i, j in [(0, 1), (0, 63), (62, 63), (63, 64), (5, 5)]]
           + [(5, -1, 0), (5, 0, -1), (True, 0, 1)]),
    Kernel(rotl32, args(any_int, i64),
           [(x, r) for x in INT_EDGES_SMALL for r in [0, 1, 31, 32, -1, INT64_MIN]] + [(True, True)]),
    Kernel(is_power_of_two, args(any_int), singles(INT_EDGES + BEYOND_INT64 + [True, False])),
    Kernel(sign_extend, args(any_int, nat(70, -2)),
           [(x, b) for x in INT_EDGES_SMALL for b in [1, 8, 32, 63, 64, 65]]
           + [(1, 0), (1, -1), (0xFF, True)]),
    Kernel(morton2, args(any_int, any_int), product(INT_EDGES_SMALL, 2) + [(True, False)]),
    Kernel(xorshift64, args(any_int, nat(500)),
           [(s, n) for s in INT_EDGES_SMALL + [2**64 + 5] for n in [0, 1, 3, 100]] + [(True, 5)]),
    Kernel(lcg, args(any_int, nat(2000)),
           [(s, n) for s in INT_EDGES_SMALL for n in [0, 1, 10]] + [(True, 3), (42, True)]),
    # --- numeric loops --------------------------------------------------------
    Kernel(sum_of_squares, args(nat(2000, -5)), singles([-5, 0, 1, 2, 2000, True, False])),
    Kernel(sum_range_step, range_args(),
           [(0, 10, 1), (10, 0, -3), (0, 10, 0), (0, 10, -1), (-5, 5, 2), (5, -5, -2),
            (INT64_MAX - 3, INT64_MAX, 1), (INT64_MIN, INT64_MIN + 5, 2), (INT64_MAX - 10, INT64_MAX + 10, 7),
            (INT64_MIN + 10, INT64_MIN - 10, -7), (0, INT64_MAX, 2**62), (INT64_MAX, INT64_MIN, INT64_MIN),
            (0, 5, True), (False, True, True), (0.0, 5, 1)]),
    Kernel(countdown_hash, args(nat(2000, -5)), singles([-5, -1, 0, 1, 2, 3, 1000, 2000, True])),
    Kernel(mean_of_halves, args(nat(2000, -5)), singles([-1, 0, 1, 2, 3, 2000, True])),
    Kernel(last_index_below_sqrt, args(nat(2000, -5)), singles([-1, 0, 1, 2, 3, 4, 5, 100, True])),
    Kernel(while_else_find_square, args(nat(2000, -5), nat(10**6, -5)),
           [(0, 0), (1, 0), (10, 49), (10, 50), (10, 100), (2000, 1999 * 1999), (5, -1), (True, False)]),
    Kernel(alt_harmonic, args(nat(2000, -5)), singles([-1, 0, 1, 2, 2000, True])),
    Kernel(leibniz_pi, args(nat(2000, -5)), singles([-1, 0, 1, 2, 2000, True])),
    Kernel(trapezoid_x2, args(number, number, nat(500, -2)),
           [(0.0, 1.0, 100), (0, 1, 100), (1.0, 0.0, 10), (0.0, 1.0, 0), (0, 1, 0), (0.0, 1.0, -4),
            (0.0, INF, 10), (NAN, 1.0, 3), (-1e308, 1e308, 2), (-0.0, -0.0, 1), (True, 3, 5)]),
    Kernel(horner, args(number), singles(FLOAT_EDGES + INT_EDGES_SMALL + BEYOND_INT64 + [True])),
    Kernel(newton_sqrt, args(st.one_of(any_float, nonneg_i64)),
           singles(FLOAT_EDGES + [2.0, 1e-10, 10**100, 0, 1, 2, True])),
    Kernel(cbrt_newton, args(st.one_of(any_float, i64)),
           singles(FLOAT_EDGES + [27.0, -27.0, 1e-10, 8, -8, 0, True])),
    Kernel(mandelbrot, args(st.floats(-2.5, 1.5), st.floats(-1.5, 1.5), nat(500, -2)),
           [(0.0, 0.0, 100), (-2.0, 0.0, 100), (0.25, 0.0, 500), (0.26, 0.0, 500), (2.0, 2.0, 10),
            (-0.75, 0.1, 500), (NAN, 0.0, 10), (INF, 0.0, 10), (0, 0, 10), (-1, 0, 50), (1, 1, 0),
            (0.0, 0.0, -3), (0.0, 0.0, True)]),
    Kernel(logistic_map, args(st.floats(0.0, 4.0), st.floats(0.0, 1.0), nat(1000)),
           [(3.7, 0.5, 1000), (4.0, 0.5, 2), (2.0, 0.5, 10), (4, 0.25, 10), (4.0, 1, 3), (3, 0, 5),
            (INF, 0.5, 3), (NAN, 0.5, 1), (1e308, 0.5, 2), (3.7, -0.0, 4), (True, 0.5, 3)]),
    Kernel(kahan_sum, args(nat(2000, -2)), singles([-1, 0, 1, 2, 2000, True])),
    Kernel(geometric_series, args(st.one_of(st.floats(-2.0, 2.0), nat(3, -3)), nat(300)),
           [(0.5, 10), (1, 10), (1.0, 10), (-1.0, 7), (2, 10), (2.0, 1100), (0.0, 0), (0, 0), (-0.0, 3),
            (NAN, 3), (INF, 3), (True, 4), (0.5, False)]),
    Kernel(power, power_args(),
           [(2, 64), (2, 63), (-2, 63), (2, -1), (0, -1), (0, 0), (0.0, -1.0), (0.0, -1), (-0.0, -1),
            (-0.0, 3), (2.0, 1100), (2.0, -1100), (10, 308.5), (INF, -1), (NAN, 0), (1, NAN), (1.0, INF),
            (-8.0, 3.0), (4, 0.5), (True, -1), (False, -1), (3037000500, 2), (INT64_MIN, 1), (INT64_MIN, 3),
            (-1, INT64_MAX), (1, INT64_MIN), (0, INT64_MAX)]),
    Kernel(compound_interest, args(finite_float, st.floats(-0.5, 1.0), nat(365, 1), nat(50)),
           [(1000.0, 0.05, 12, 10), (1000, 0, 12, 10), (1000.0, 0.05, 0, 10), (1.0, -1.0, 1, 5),
            (1.0, -1.0, 1, -1), (1e308, 1.0, 1, 2), (100, 1, 1, 2000), (-0.0, 0.05, 1, 1), (True, True, True, True)]),
    Kernel(cross3, args(*[st.one_of(i64, finite_float)] * 6),
           [(1, 0, 0, 0, 1, 0), (INT64_MAX, INT64_MIN, 1, 2, 3, INT64_MAX), (1.0, 2, 3, 4, 5.5, 6),
            (INF, 0.0, 0.0, 0.0, 1.0, 0.0), (NAN, 1, 1, 1, 1, 1), (-0.0, 0.0, 0.0, 0.0, 0.0, -0.0),
            (True, False, True, 1, 2, 3)]),
    Kernel(dot3, args(*[st.one_of(i64, finite_float)] * 6),
           [(1, 2, 3, 4, 5, 6), (INT64_MAX, INT64_MAX, 0, 2, 1, 0), (3037000500, 0, 0, 3037000500, 0, 0),
            (1e308, 1e308, 0.0, 10.0, -10.0, 0.0), (INF, 0, 0, 0, 0, 0), (-0.0, -0.0, -0.0, 0.0, 0.0, 0.0),
            (True, True, True, True, True, True)]),
    # --- float functions ----------------------------------------------------
    Kernel(distance, args(number, number, number, number),
           [(0.0, 0.0, 3.0, 4.0), (0, 0, 3, 4), (INF, 0.0, NAN, 0.0), (NAN, 0.0, 0.0, INF), (NAN, 0.0, 1.0, 0.0),
            (-1e308, 0.0, 1e308, 0.0), (1e308, 1e308, -1e308, -1e308), (5e-324, 0.0, 0.0, 5e-324),
            (-0.0, -0.0, 0.0, 0.0), (0, 0, INT64_MAX, INT64_MIN), (True, False, 4, 3)]),
    Kernel(heron_area, st.one_of(triangle_sides(), args(number, number, number)),
           product([3.0, 4.0, 5.0, 0.0, -0.0, 1.0, INF, NAN], 3) + [(3, 4, 5), (1, 1, 3), (True, True, True)]),
    Kernel(clamp, args(number, number, number),
           product([0, 0.0, -0.0, 1, 1.0, -1.5, INF, NAN, True], 3)),
    Kernel(sign, args(number), singles(FLOAT_EDGES + INT_EDGES_SMALL + [True, False])),
    Kernel(safe_div, args(number, number), product([0, 0.0, -0.0, 1, -7, 2.5, INF, NAN, INT64_MIN, True, False], 2)),
    Kernel(deg2rad, args(number), singles(FLOAT_EDGES + [180, -90, 360, INT64_MAX, True])),
    Kernel(rad2deg, args(number), singles(FLOAT_EDGES + [3.141592653589793, 1, -2, INT64_MIN, True])),
    Kernel(sigmoid, args(number), singles(FLOAT_EDGES + [0, 1, -1, 710, -710, 746, -746, True])),
    Kernel(sigmoid_naive, args(number), singles(FLOAT_EDGES + [0, 1, -1, 709, -709, -710, 746, True])),
    Kernel(softplus, args(number), singles(FLOAT_EDGES + [0, 30, 31, -30, -31, 30.0, 31.0, -31.0, -746.0,
                                                          INT64_MAX, INT64_MIN, True])),
    Kernel(log_ratio, args(number, number),
           product([1.0, 2, -1.0, 0.0, -0.0, 0, INF, NAN, 5e-324, 10**400], 2)),
    Kernel(trig_identity, args(number), singles(FLOAT_EDGES + [0, 1, INT64_MAX, INT64_MIN, 10**300, True])),
    Kernel(polar_to_cartesian, args(number, number),
           product([0.0, -0.0, 1.0, 2, INF, NAN, 3.141592653589793, 1e308], 2)),
    Kernel(floor_ceil, args(st.one_of(number, any_int)),
           singles(FLOAT_EDGES + INT_EDGES_SMALL + BEYOND_INT64 + [-0.5, 0.5, 4.999999999999999, True, False])),
    Kernel(frac_part, args(st.one_of(number, any_int)),
           singles(FLOAT_EDGES + INT_EDGES_SMALL + BEYOND_INT64 + [-0.25, 1e16 + 1.0, True])),
    Kernel(magnitude_with_sign, args(number, number), product(FLOAT_EDGES_SMALL + [3, -3, True], 2)),
    Kernel(is_finite, args(st.one_of(number, any_int)), singles(FLOAT_EDGES + [0, INT64_MIN, 10**400, True])),
    Kernel(quadratic_roots, args(number, number, number),
           [(1.0, -3.0, 2.0), (1, -3, 2), (1, 2, 1), (1, 0, 1), (0.0, 1.0, 1.0), (0, 0, 0), (-0.0, 1.0, 0.0),
            (1.0, 0.0, -0.0), (1e308, 1e308, 1.0), (NAN, 1.0, 1.0), (1.0, INF, 1.0), (1.0, -INF, 1.0),
            (INF, 1.0, 1.0), (INT64_MAX, INT64_MIN, 1), (True, -3, 2)]),
    Kernel(exp_growth, args(st.one_of(st.floats(-800.0, 800.0), number)),
           singles(FLOAT_EDGES + [0, 1, -1, 709, 710, -746, 709.7, 709.8, True])),
    Kernel(lerp, args(number, number, number),
           product([0.0, -0.0, 1.0, 2, INF, -INF, NAN, 1e308, 0.5, -1], 3)),
    Kernel(approx_equal, args(number, number),
           product([0.0, -0.0, 1.0, 1.0 + 1e-15, 1, INF, -INF, NAN, 1e308, 5e-324, 2**53 + 1, True], 2)),
    Kernel(classify, args(number), singles(FLOAT_EDGES + INT_EDGES_SMALL + [1e6, 1e6 + 1, -1000, -1001, True])),
    Kernel(piecewise, args(number), singles(FLOAT_EDGES + INT_EDGES_SMALL + [9, 10, 9.5, True, False])),
    Kernel(grade, args(st.one_of(nat(110, -10), number)),
           singles([100, 90, 89, 89.99, 80, 70, 60, 59, 0, -1, NAN, INF, -INF, -0.0, True, INT64_MIN])),
    # --- edge semantics -------------------------------------------------------
    Kernel(floordiv_mod, args(st.one_of(any_int, number), st.one_of(any_int, number)),
           product([7, -7, 2, -2, 0, 1, -1, INT64_MIN, INT64_MAX, True, False], 2)
           + product([7.5, -7.5, 2.0, -2.0, 0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 5e-324], 2)
           + [(-1, 1e308), (1, -INF), (-1, INF), (10**400, 3), (10**400, 3.0), (2**53 + 1, 2.0)]),
    Kernel(builtin_divmod, args(st.one_of(any_int, number), st.one_of(any_int, number)),
           product([7, -7, 0, 1, -1, INT64_MIN, INT64_MAX, True, False], 2)
           + product([7.5, -7.5, 0.0, -0.0, -1.0, INF, -INF, NAN], 2) + [(-1, INF), (5, 2.0), (-5.0, 2)]),
    Kernel(true_div, args(st.one_of(any_int, number), st.one_of(any_int, number)),
           product([0, 1, -1, 3, -5, INT64_MIN, INT64_MAX, 2**53 + 1, True, False], 2)
           + product([0.0, -0.0, 1.0, INF, NAN, 5e-324, 1e308], 2)
           + [(10**400, 10**399), (1, 10**400), (10**400, 1), (10**400, 1.0), (2**1024 - 2**970, 1),
              (2**1024 - 2**971, 1), (1, 0.0), (0, -5), (-0.0, 5), (1e308, 0.5)]),
    Kernel(shl, args(any_int, nat(200, -3)),
           [(x, n) for x in INT_EDGES_SMALL + [True] for n in [0, 1, 31, 32, 62, 63, 64, 65, 127, 200, -1]]
           + [(0, INT64_MAX), (0, 2**70), (5, INT64_MIN), (0, True)]),
    Kernel(shr, args(any_int, st.one_of(nat(200, -3), i64)),
           [(x, n) for x in INT_EDGES_SMALL + [True] + BEYOND_INT64
            for n in [0, 1, 31, 62, 63, 64, 65, 200, INT64_MAX, 2**64, -1, INT64_MIN]]),
    Kernel(pow2, args(nat(2000, -1100)), singles([0, 1, 62, 63, 64, 128, 2000, -1, -2, -1074, -1075, -1100,
                                                   True, False])),
    Kernel(negate_abs, args(st.one_of(any_int, number)),
           singles(INT_EDGES + BEYOND_INT64 + FLOAT_EDGES + [True, False])),
    Kernel(int_unary, args(any_int), singles(INT_EDGES + BEYOND_INT64)),
    Kernel(unary_plus_minus, args(st.one_of(any_int, number)),
           singles(INT_EDGES_SMALL + FLOAT_EDGES_SMALL + [True, False])),
    Kernel(int64_overflow_literals, args(nat(5, -1)), singles([-1, 0, 1, 2, 3, 4, True, False])),
    Kernel(int_arith, args(any_int, any_int), product(INT_EDGES + [True, False], 2)),
    Kernel(float_arith, args(number, number), product(FLOAT_EDGES_SMALL + [1, -1, True], 2)),
    Kernel(mixed_arith, args(st.one_of(any_int, st.booleans()), number),
           [(i, x) for i in INT_EDGES_SMALL + [True, False, 2**1025] for x in FLOAT_EDGES_SMALL + [3, True]]),
    Kernel(bool_arith, args(st.one_of(st.booleans(), i64), st.one_of(st.booleans(), i64)),
           product([True, False], 2) + product([True, 1, -1, 0, INT64_MAX, INT64_MIN], 2)),
    Kernel(neg_zero_ops, args(number), singles(FLOAT_EDGES + [0, 1, -1, INT64_MIN, True, False])),
    Kernel(to_int, args(st.one_of(number, any_int)),
           singles(FLOAT_EDGES + INT_EDGES_SMALL + BEYOND_INT64
                   + [2.0**63 - 512, 9.3e18, -9.3e18, 0.9999999999999999, -0.9999999999999999, True, False])),
    Kernel(to_float, args(st.one_of(number, any_int, st.integers(-(2**1100), 2**1100))),
           singles(FLOAT_EDGES + INT_EDGES + BEYOND_INT64
                   + [2**1024 - 2**970, 2**1024 - 2**971, -(2**1024), 10**400, True, False])),
    Kernel(to_bool, args(st.one_of(number, any_int)),
           singles(FLOAT_EDGES + INT_EDGES_SMALL + BEYOND_INT64 + [True, False])),
    Kernel(round_to_int, args(st.one_of(number, any_int)),
           singles(FLOAT_EDGES + INT_EDGES_SMALL + BEYOND_INT64
                   + [0.5, -0.5, 1.5, 2.5, 3.5, -2.5, 0.49999999999999994, 4503599627370497.0, True, False])),
    Kernel(compare_all, args(st.one_of(any_int, number), st.one_of(any_int, number)),
           product([0, 0.0, -0.0, 1, True, NAN, INF, -INF, 2**53 + 1, 2.0**53, INT64_MAX, 2.0**63, INT64_MIN,
                    10**400, 5e-324], 2)),
    Kernel(in_range, args(st.one_of(i64, number), st.one_of(i64, number), st.one_of(i64, number)),
           product([0, 1, -1.5, NAN, INF, INT64_MIN, 2.0**63, True], 3)),
    Kernel(chained, args(st.one_of(i64, number), st.one_of(i64, number), st.one_of(i64, number)),
           product([0, 1, 0.0, -0.0, NAN, 2**53 + 1, 2.0**53, False], 3)),
    Kernel(not_ops, args(st.one_of(any_int, number)),
           singles(FLOAT_EDGES + INT_EDGES_SMALL + BEYOND_INT64 + [True, False])),
    Kernel(and_value, st.one_of(args(any_int, any_int), args(any_float, any_float), args(st.booleans(), st.booleans())),
           product([0, 1, -1, INT64_MIN], 2) + product([0.0, -0.0, NAN, 1.5], 2) + product([True, False], 2)),
    Kernel(or_value, st.one_of(args(any_int, any_int), args(any_float, any_float), args(st.booleans(), st.booleans())),
           product([0, 1, -1, INT64_MIN], 2) + product([0.0, -0.0, NAN, 1.5], 2) + product([True, False], 2)),
    Kernel(and_or_value, st.one_of(args(any_int, any_int, any_int), args(any_float, any_float, any_float),
                                  args(st.booleans(), st.booleans(), st.booleans())),
           product([0, 1, -5, INT64_MAX], 3) + product([0.0, -0.0, NAN], 3) + product([True, False], 3)),
    Kernel(min_max3, args(st.one_of(any_int, number), st.one_of(any_int, number), st.one_of(any_int, number)),
           product([0, 0.0, -0.0, 1, 1.0, True, NAN, -INF, INT64_MIN, 2**53 + 1, 2.0**53], 3)),
    Kernel(min_max2, args(st.one_of(any_int, number), st.one_of(any_int, number)),
           product([0, 0.0, -0.0, 1, 1.0, True, False, NAN, INF, -INF, INT64_MAX, 2.0**63, 10**400], 2)),
]
