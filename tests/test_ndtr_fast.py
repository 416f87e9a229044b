"""_core.ndtr / ndtr_array / ndtri_array (csrc/dists.h ndtr_f64_fast, bindings' ndtr_many) give the bits
of FORMAT 22.1's Phi and Phi^-1 definitions on a dense grid with the edge inputs.

ndtr_f64_fast shortens the definition's 1000-level continued fraction by a monotonicity bracket
(csrc/dists.h, mills_cf_fast): the definition is written out here with numpy, level by level over a
whole grid at once (each numpy operation is the correctly rounded IEEE operation of the header), so
every input (series branch, fraction branch, both bracket retries, the full 1000 levels, t > 39,
infinities, subnormals, NaN) is compared bit for bit."""
import numpy as np

import reference as R
from philox import _core


def _phi_lower_definition(t):
    """FORMAT 22.1's L(t) for an array of t >= 0 (or NaN), level by level."""
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(all="ignore"):
        th = (t.view(np.uint64) & ~np.uint64((1 << 27) - 1)).view(np.float64)
        tl = t - th
        pdf = (R.exp_f64(-(th * th) * 0.5) * R.exp_f64(-(tl * (t + th)) * 0.5)) * 0.398942280401432677940
        t2, s = t * t, np.zeros_like(t)
        for n in range(59, -1, -1):
            s = t2 * s / float(2 * n + 3) + 1.0
        series = 0.5 - pdf * (t * s)
        f = t.copy()
        for n in range(1000, 0, -1):
            f = t + float(n) / f
        frac = pdf / f
    return np.where(t > 39.0, 0.0, np.where(t < 0.6, series, frac))


def _ndtr_definition(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x < 0.0, _phi_lower_definition(np.abs(x)), 1.0 - _phi_lower_definition(np.abs(x)))


def _edge_inputs():
    rng = np.random.default_rng(20261201)
    parts = [np.linspace(-41.0, 41.0, 82001), rng.uniform(-12.0, 12.0, 20000),
             np.exp(rng.uniform(np.log(1e-300), np.log(40.0), 5000)) * rng.choice([-1.0, 1.0], 5000),
             np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
                       -2.2250738585072014e-308, 1e-310, -1e-310, 40.0, -40.0, 1e300, -1e300,
                       1.7976931348623157e308, -1.7976931348623157e308])]
    # the ulps around the branch points (0.6, 39) and where the bracket's first or second try
    # stops being enough (levels 560 / t^2 + 8: from 1000 below t = 0.7513, the 4x retry from 1000 below t = 1.52)
    for c in (0.6, 0.7, 0.75, 0.7513, 0.8, 1.0, 1.5, 1.52, 2.0, 8.0, 37.5, 38.5, 39.0):
        v = np.float64(c).view(np.int64) + np.arange(-64, 65)
        parts += [v.view(np.float64), -v.view(np.float64)]
    bits = rng.integers(0, 2 ** 64, 20000, dtype=np.uint64)  # any double, NaNs included
    parts.append(bits.view(np.float64))
    return np.concatenate(parts)


def test_ndtr_array_and_scalar_match_the_definition_bit_for_bit():
    x = _edge_inputs()
    want = _ndtr_definition(x)
    got = _core.ndtr_array(x)
    assert got.shape == x.shape and got.dtype == np.float64
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan) and np.array_equal(nan, np.isnan(x))
    assert np.array_equal(got[~nan].view(np.uint64), want[~nan].view(np.uint64))
    # sorted (as truncated_normal's unique bounds): 8 neighbours through the fraction side by side
    order = np.argsort(x)
    srt = _core.ndtr_array(x[order])
    assert np.array_equal(srt.view(np.uint64), got[order].view(np.uint64))
    idx = np.random.default_rng(5).choice(len(x), 3000, replace=False)
    one = np.array([_core.ndtr(float(v)) for v in x[idx]])
    assert np.array_equal(one.view(np.uint64), got[idx].view(np.uint64))  # NaN: the same NaN

def test_ndtri_array_matches_the_definition_and_the_scalar():
    rng = np.random.default_rng(7)
    p = np.concatenate([np.linspace(0.0, 1.0, 20001), rng.uniform(0.0, 1.0, 20000),
                        np.exp(-rng.uniform(0.0, 745.0, 20000)), 1.0 - np.exp(-rng.uniform(0.0, 40.0, 5000)),
                        np.array([0.0, 1.0, 5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
                                  0.075, 0.925, 0.5, np.nextafter(0.5, 0.0), np.nextafter(1.0, 0.0)])])
    got = _core.ndtri_array(p)
    with np.errstate(all="ignore"):
        want = R.ref_ndtri(p)
    assert np.array_equal(got.view(np.uint64), want.view(np.uint64))
    one = np.array([_core.ndtri(float(v)) for v in p[::7]])
    assert np.array_equal(one.view(np.uint64), got[::7].view(np.uint64))


def test_array_maps_keep_the_shape_and_take_any_float_input():
    x = np.arange(-6.0, 6.0).reshape(3, 2, 2)
    assert _core.ndtr_array(x).shape == (3, 2, 2)
    assert np.array_equal(_core.ndtr_array(x.astype(np.float32)), _core.ndtr_array(x))
    assert _core.ndtr_array(np.zeros(0)).shape == (0,)
    assert np.array_equal(_core.ndtr_array(x[:, 0, 0]), _core.ndtr_array(np.ascontiguousarray(x[:, 0, 0])))
