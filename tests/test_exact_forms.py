"""The conversion-free forms the CPU passes use on AVX2 and SSE2 (csrc/philox.h u_open_f64, csrc/dists.h
floor_i64_clamped) give the values of the conversions they replace, for every input of their domain:
the formulas written with numpy (each operation the IEEE one the C++ performs) over the domain's edges
and a spread of random inputs. The compiled paths themselves are compared with tests/reference.py on
every instruction set in tests/test_dist_cpu_paths.py (exponential, poisson, binomial)."""
import numpy as np


def _m_values():
    rng = np.random.default_rng(11)
    edges = np.array([0, 1, 2, 3, 2 ** 26, 2 ** 51 - 1, 2 ** 51, 2 ** 51 + 1, 2 ** 52 - 2, 2 ** 52 - 1], dtype=np.uint64)
    return np.concatenate([edges, rng.integers(0, 2 ** 52, 200000, dtype=np.uint64),
                           np.uint64(1) << np.arange(52, dtype=np.uint64)])


def test_u_open_f64_bit_form_is_the_int64_conversion():
    m = _m_values()  # u64 >> 12
    bit_form = ((m | np.uint64(0x3FF0000000000000)).view(np.float64) - 1.0) + 1.1102230246251565e-16
    conversion = (np.uint64(2) * m + np.uint64(1)).astype(np.int64).astype(np.float64) * 2.0 ** -53
    assert np.array_equal(bit_form.view(np.uint64), conversion.view(np.uint64))
    assert bit_form.min() == 2.0 ** -53 and bit_form.max() == 1.0 - 2.0 ** -53


def _floor_split(y):
    f = np.floor(y)
    h = np.floor(f * 2.3283064365386963e-10)
    lo = (f - h * 4294967296.0) - 2147483648.0
    assert np.all((h >= -2.0 ** 31) & (h < 2.0 ** 31) & (lo >= -2.0 ** 31) & (lo < 2.0 ** 31))  # int32 conversions exact
    assert np.array_equal(h, np.trunc(h)) and np.array_equal(lo, np.trunc(lo))
    return h.astype(np.int32).astype(np.int64) * 4294967296 + (lo.astype(np.int32).astype(np.int64) + 2147483648)


def test_floor_i64_clamped_split_is_floor_i64_on_the_clamped_range():
    rng = np.random.default_rng(12)
    big = 2.0 ** 62
    edges = [0.0, -0.0, 5e-324, -5e-324, 0.5, -0.5, 1.0, -1.0, 0.999999999, -0.999999999, big, -big,
             np.nextafter(big, 0), np.nextafter(-big, 0)]
    for c in (2.0 ** 31, 2.0 ** 32, 2.0 ** 52, 2.0 ** 53, 1e12, 4321.0):
        for d in (-1.0, -0.5, 0.0, 0.5, 1.0):
            edges += [c + d, -(c + d)]
    mags = np.exp2(rng.uniform(-30.0, 62.0, 200000)) * rng.choice([-1.0, 1.0], 200000)
    y = np.concatenate([np.array(edges), mags, rng.uniform(-1e4, 1e4, 50000)])
    y = y[np.abs(y) <= big]
    t = np.trunc(y).astype(np.int64)  # floor_i64: truncation, one step down where it rounded up
    want = t - (t.astype(np.float64) > y).astype(np.int64)
    assert np.array_equal(_floor_split(y), want)


def test_i64_to_f64_halves_round_as_the_conversion():
    """i64_to_f64's AVX2 form: hi 2^32 + (the low 32 bits as a double), one rounding of the exact k."""
    rng = np.random.default_rng(13)
    edges = [0, 1, -1, 9, 10, 2 ** 31 - 1, 2 ** 31, -2 ** 31, 2 ** 32 - 1, 2 ** 32, -2 ** 32, 2 ** 53 - 1, 2 ** 53,
             2 ** 53 + 1, 2 ** 53 + 3, -2 ** 53 - 1, 2 ** 62, -2 ** 62, 2 ** 63 - 1, -2 ** 63, 2 ** 62 + 2 ** 9,
             2 ** 62 + 2 ** 9 + 1, 2 ** 62 + 3 * 2 ** 9]
    k = np.concatenate([np.array(edges, dtype=np.int64), rng.integers(-2 ** 63, 2 ** 63 - 1, 200000, dtype=np.int64),
                        rng.integers(-2 ** 40, 2 ** 40, 50000, dtype=np.int64) << rng.integers(0, 23, 50000)])
    lo = ((k.view(np.uint64) & np.uint64(0xFFFFFFFF)).astype(np.uint32) ^ np.uint32(0x80000000)).view(np.int32)
    lo = lo.astype(np.float64) + 2147483648.0
    halves = (k >> 32).astype(np.int32).astype(np.float64) * 4294967296.0 + lo
    assert np.array_equal(halves.view(np.uint64), k.astype(np.float64).view(np.uint64))
