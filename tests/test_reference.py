"""Checks of the reference implementation itself, and of FORMAT.md's numerical claims.

The bit-exact comparisons in test_vs_reference.py trust tests/reference.py; these tests make sure
its building blocks are right on their own (16-bit rounding against exact rational arithmetic,
logarithms against libm, the normal transform against an arbitrary-precision quantile), and hold
philox to FORMAT.md's stated accuracy.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

import philox
import reference as R


def _f32(bits):
    return np.array(bits, np.uint32).view(np.float32)


def _hard_f32_values():
    """float32 values around every float16 rounding decision: ties, subnormal/normal edges, overflow."""
    vals = []
    for e in range(-26, 17):                  # binades from below the subnormals to above the largest half
        for m in (1024, 1025, 1536, 2047):    # 11-bit significands
            base = m * 2.0 ** (e - 10)
            tie = base + 2.0 ** (max(e, -14) - 11)  # halfway to the next half (in the subnormal range too)
            t32 = np.float32(tie)
            vals += [base, tie, np.nextafter(t32, np.float32(0)), np.nextafter(t32, np.float32(np.inf))]
    vals += [0.0, 65504.0, 65519.996, 65520.0, 65536.0, 1e38, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -26,
             2.0 ** -25 + 2.0 ** -40, 2.0 ** -14 - 2.0 ** -25, 2.0 ** -149]
    v = np.array(vals, np.float32)
    return np.concatenate([v, -v])


def test_f16_rounding_is_exact_round_to_nearest_even():
    x = np.concatenate([_hard_f32_values(),
                        np.random.default_rng(1).standard_normal(3000).astype(np.float32) * 1000,
                        _f32(np.random.default_rng(2).integers(0x30000000, 0x47800000, 3000, dtype=np.uint32))])
    got = R.f32_to_f16_bits(x)
    exp = [R.f16_exact_round_bits(float(v)) for v in x]
    assert got.tolist() == exp


def test_f16_exact_rounding_known_values():
    assert R.f16_exact_round_bits(1.0) == 0x3C00
    assert R.f16_exact_round_bits(65504.0) == 0x7BFF
    assert R.f16_exact_round_bits(65519.99) == 0x7BFF
    assert R.f16_exact_round_bits(65520.0) == 0x7C00       # FORMAT 4: rounds to >= 65520 -> inf
    assert R.f16_exact_round_bits(2.0 ** -24) == 0x0001    # smallest subnormal
    assert R.f16_exact_round_bits(2.0 ** -25) == 0x0000    # tie -> even (zero)
    assert R.f16_exact_round_bits(3 * 2.0 ** -25) == 0x0002  # tie -> even
    assert R.f16_exact_round_bits(-0.0) == 0x8000
    assert R.f16_exact_round_bits(1.0 + 2.0 ** -11) == 0x3C00  # tie -> even
    assert R.f16_exact_round_bits(1.0 + 3 * 2.0 ** -11) == 0x3C02


def _bf16_exact(x):
    """Nearest bfloat16 (ties to even) by exact arithmetic: truncate 16 bits, then round."""
    b = int(np.array(x, np.float32).view(np.uint32))
    hi, rest = b >> 16, b & 0xFFFF
    if rest > 0x8000 or (rest == 0x8000 and hi & 1):
        hi += 1
    return hi


def test_bf16_rounding_formula():
    rng = np.random.default_rng(3)
    b = np.concatenate([rng.integers(0, 0x7F7F0000, 5000, dtype=np.uint32),
                        np.array([0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0x7F7F7FFF, 0x7F7F8000,
                                  0x00008000, 0x00018000, 0], np.uint32)])
    b = np.concatenate([b, b | np.uint32(0x80000000)])
    got = R.f32_to_bf16_bits(_f32(b))
    assert got.tolist() == [_bf16_exact(_f32(v)) for v in b]
    assert R.f32_to_bf16_bits(np.float32(3.4e38)).tolist() == 0x7F80  # overflow -> inf


def test_nextdown16():
    assert R._nextdown16(0x3C00) == 0x3BFF
    assert R._nextdown16(0x0000) == 0x8001
    assert R._nextdown16(0x8000) == 0x8001
    assert R._nextdown16(0xBC00) == 0xBC01


def test_f32_literals_are_nearest():
    assert R.f32_literal("0.1") == np.float32(0.1)
    assert R.f32_literal("1.6") == np.float32(1.6)
    # a decimal that double rounding gets wrong: just above the midpoint 1 + 2**-24 between the
    # float32s 1 and 1 + 2**-23; through a double it becomes the midpoint, then ties to 1.0
    s = "1.000000059604644775390625000001"
    assert float(s) == 1 + 2 ** -24 and np.float32(float(s)) == 1.0
    assert R.f32_literal(s) == np.float32(1 + 2 ** -23)
    assert R.f32_literal("1.000000059604644775390624999999") == 1.0


def test_log_f32_close_to_libm():
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(2.0 ** -34, 0.5, 20000), 2.0 ** -rng.uniform(1, 33, 20000),
                        [2.0 ** -33, 0.5, 0.25, 1.0, math.sqrt(0.5), math.sqrt(2) / 4]]).astype(np.float32)
    got = R.log_f32(x).astype(np.float64)
    exact = np.log(x.astype(np.float64))
    assert np.max(np.abs(got - exact) / np.maximum(np.abs(exact), 1.0)) < 4e-7
    assert R.log_f32(np.float32(1.0)) == 0.0


def test_log_f64_close_to_libm():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(2.0 ** -66, 0.5, 20000), 2.0 ** -rng.uniform(1, 65, 20000),
                        [2.0 ** -65, 0.5, 1.0, math.sqrt(0.5)]])
    got = R.log_f64(x)
    exact = np.log(x)
    assert np.max(np.abs(got - exact) / np.maximum(np.abs(exact), 1.0)) < 4e-16


# ---------------------------------------------------------------------------- normal accuracy
def _exact_quantile(u: Fraction) -> float:
    """Phi^-1(u) to double precision from the exact probability u."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        x = mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(u.numerator) / u.denominator - 1)
        return float(x)


def _edge_words32():
    ws = [0, 1, 2, 0x7FFFFFFF, 0x7FFFFFFE, 0x80000000, 0x80000001, 0xFFFFFFFF, 0x40000000, 0xC0000000]
    # around the centre/tail switch |q| = 0.425: p = 0.075 -> m ~ 0.075 * 2**32
    m = int(0.075 * 2 ** 32)
    ws += [m + d for d in range(-3, 4)] + [(m + d) | 0x80000000 for d in range(-3, 4)]
    return ws


def test_normal_f32_accuracy():
    """FORMAT 3: relative error of the float32 normal against the exact quantile below 1e-6."""
    pytest.importorskip("mpmath")
    rng = np.random.default_rng(6)
    w = np.array(_edge_words32() + rng.integers(0, 2 ** 32, 1500, dtype=np.uint32).tolist()
                 + (2 ** rng.uniform(0, 31, 500)).astype(np.uint32).tolist(), np.uint32)
    z_ref = R.normal_f32(w)
    # philox's randn at the same words
    s = philox.Stream(31, "acc")
    words = s.random_raw(4096)
    z_ph = philox.Stream(31, "acc").randn(4096, dtype=np.float32)
    np.testing.assert_array_equal(z_ph.view(np.uint32), R.normal_f32(words).view(np.uint32))
    w = np.concatenate([w, words])
    z = R.normal_f32(w).astype(np.float64)
    # p = (2m + 1) / 2**33 is exact in a double; scipy's ndtri is good to ~1e-15, ample here
    ndtri = pytest.importorskip("scipy.special").ndtri
    m = (w & np.uint32(0x7FFFFFFF)).astype(np.float64)
    exact = ndtri((2 * m + 1) / 2.0 ** 33)
    exact = np.where(w < 2 ** 31, exact, -exact)
    assert np.max(np.abs(z - exact) / np.abs(exact)) < 1e-6
    # spot-check ndtri itself against the arbitrary-precision quantile
    for i in range(0, len(w), 97):
        m_i = int(w[i]) & 0x7FFFFFFF
        e = _exact_quantile(Fraction(2 * m_i + 1, 2 ** 33))
        assert abs(e - (exact[i] if w[i] < 2 ** 31 else -exact[i])) <= 1e-13 * abs(e)
    assert np.abs(z_ref).max() <= 6.34 and np.abs(z_ph).max() <= 6.34


def test_normal_f64_accuracy():
    """FORMAT 3: relative error of the float64 normal below 1e-14."""
    pytest.importorskip("mpmath")
    rng = np.random.default_rng(7)
    pairs = [(0, 0), (0xFFFFFFFF, 0x7FFFFFFF), (0, 0x80000000), (0xFFFFFFFF, 0xFFFFFFFF),
             (1, 0), (12345, 0x80000000), (0xFFFFFFFF, 0x7FFFFFFE)]
    # the three pieces: centre, tail with s <= 5, far tail (p < exp(-25) ~ 1.4e-11)
    for lo, hi in ((0, 2 ** 32), (0, 2 ** 12), (0, 2 ** 4), (0x7FFFFFF0, 0x80000000)):
        for _ in range(250):
            pairs.append((int(rng.integers(0, 2 ** 32)), int(rng.integers(lo, hi))))
    first = np.array([a for a, _ in pairs], np.uint32)
    second = np.array([b for _, b in pairs], np.uint32)
    z = R.normal_f64(first, second)
    worst = 0.0
    for a, b, zi in zip(first.tolist(), second.tolist(), z.tolist()):
        m = a + ((b & 0x7FFFFFFF) << 32)
        p = Fraction(2 * m + 1, 2 ** 65)
        exact = _exact_quantile(p) if b < 2 ** 31 else -_exact_quantile(p)
        worst = max(worst, abs(zi - exact) / abs(exact))
    assert worst < 1e-14
    # The largest |z| is at p = 2**-65 (m = 0): 9.1553... (FORMAT.md's "|z| <= 9.1" understates it
    # slightly; csrc/philox.h says 9.0)
    assert np.abs(z).max() == abs(z[0]) == -z[0]
    assert abs(z[0] + 9.155293772686074) < 1e-12
    # and philox's own values agree with these bits (randn at words of a known stream)
    s = philox.Stream(32, "acc64", position=1)
    words = s.random_raw(4000)
    zp = philox.Stream(32, "acc64", position=1).randn(2000)
    np.testing.assert_array_equal(zp.view(np.uint64), R.normal_f64(words[0::2], words[1::2]).view(np.uint64))


def test_normal_is_monotone_in_the_low_bits():
    # FORMAT 3: monotone in its input bits apart from the sign
    m = np.arange(0, 2 ** 31, 2 ** 31 // 50000, dtype=np.uint32)
    z = R.normal_f32(m)
    assert np.all(np.diff(z) >= 0)
    zneg = R.normal_f32(m | np.uint32(0x80000000))
    np.testing.assert_array_equal(zneg, -z)
