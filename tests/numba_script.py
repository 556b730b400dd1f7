"""A typical numba program, unchanged but for its import (README: "Coming from numba").

tests/test_numba_compat.py runs it with jitcore, in plain CPython
(JITCORE_DISABLE=1) and, where numba is installed, with numba (the import
line replaced by `from numba import njit`), and checks that all print the
same. Arrays are made outside the jitted functions: jitcore compiles loops
over NumPy arrays, not NumPy's own functions (np.zeros, a.sum(), ...).
"""

import math

import numpy as np

from jitcore import njit


@njit("float64(int64, int64)")
def monte_carlo_pi(samples, seed):
    """pi from points of a linear congruential generator (exact: below 2**62)."""
    state = seed
    inside = 0
    for _ in range(samples):
        state = (1103515245 * state + 12345) % 2147483648
        x = state / 2147483648.0
        state = (1103515245 * state + 12345) % 2147483648
        y = state / 2147483648.0
        if x * x + y * y <= 1.0:
            inside += 1
    return 4.0 * inside / samples


@njit(cache=True)
def prime_sieve(flags):
    """Clear the composites in a boolean array; the number of primes left."""
    n = len(flags)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i < n:
        if flags[i]:
            for j in range(i * i, n, i):
                flags[j] = False
        i += 1
    count = 0
    for k in range(n):
        if flags[k]:
            count += 1
    return count


@njit(cache=True, fastmath=False)
def pairwise_distances(points, out):
    """Euclidean distances between the rows of `points`, into `out`."""
    m, k = points.shape
    for i in range(m):
        for j in range(m):
            d = 0.0
            for t in range(k):
                diff = points[i, t] - points[j, t]
                d += diff * diff
            out[i, j] = math.sqrt(d)


@njit("int64(int64)")
def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@njit
def longest_collatz(limit):
    """The start below `limit` with the longest Collatz sequence (a jitted helper in a loop)."""
    best, best_steps = 1, 0
    for n in range(1, limit):
        steps = collatz_steps(n)
        if steps > best_steps:
            best, best_steps = n, steps
    return best, best_steps


@njit(["float64(float64[:], float64[:])", "int64(int64[:], int64[:])"])
def dot(a, b):
    total = a[0] * 0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total


def main():
    print("pi", repr(monte_carlo_pi(200_000, 2024)))
    flags = np.ones(100_000, dtype=np.bool_)
    print("primes below 100000:", prime_sieve(flags))
    points = np.random.default_rng(7).random((60, 3))
    distances = np.empty((60, 60))
    pairwise_distances(points, distances)
    print("distances", repr(float(distances.sum())), repr(float(distances[1, 2])))
    print("longest collatz below 3000:", longest_collatz(3000))
    print("dot", repr(float(dot(points[:, 0].copy(), points[:, 1].copy()))),
          int(dot(np.arange(10), np.arange(10, 20))))


if __name__ == "__main__":
    main()
