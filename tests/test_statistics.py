"""Deterministic statistical smoke tests (fixed seeds, so each either always passes or always
fails): KS tests of the uniform and normal transforms, chi-square tests of bounded integers and of
the raw words' top bits, moments of normal(mean, std). Thresholds are loose (p > 1e-4): these
catch gross mistakes (a wrong conversion, a lost bit, a sign error), not subtle bias."""
import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")

import philox  # noqa: E402

P_MIN = 1e-4

# The tests below that check each op of the op table (csrc/ops.h); tests/test_op_table.py fails
# when an op of the table is in neither this OPS_TESTED nor test_distributions.py's, or a name is
# not a test of the module that lists it.
OPS_TESTED = {
    "raw32": ["test_raw_word_bytes_chi_square", "test_raw_words_top_bits_and_lanes"],
    "raw64": ["test_raw64_words_chi_square"],
    "uniform_f32": ["test_uniform_ks"],
    "uniform_f64": ["test_uniform_ks", "test_uniform_low_high_ks", "test_neighbouring_streams_are_uncorrelated"],
    "uniform_f16": ["test_float16_uniform_uses_all_values"],
    "uniform_bf16": ["test_bfloat16_uniform_and_normal"],
    "normal_f32": ["test_normal_ks", "test_normal_moments"],
    "normal_f64": ["test_normal_ks", "test_normal_moments"],
    "normal_f16": ["test_normal_moments"],
    "normal_bf16": ["test_bfloat16_uniform_and_normal"],
    "int_small": ["test_randint_chi_square"],
    "int_large": ["test_randint_large_range_top_bits"],
    "gamma_f64": ["test_gamma_fits", "test_gamma_fits_1e6", "test_chisquare_fits"],
    "poisson_i64": ["test_poisson_fits", "test_poisson_fits_1e6"],
    "binomial_i64": ["test_binomial_fits", "test_binomial_fits_1e6"],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed,path", [(1, ("ks",)), (2 ** 63, ("ks", 1))])
def test_uniform_ks(dtype, seed, path):
    x = philox.Stream(seed, *path, position=1).rand(300_000, dtype=dtype)
    assert stats.kstest(x.astype(np.float64), "uniform").pvalue > P_MIN
    # and the mean/variance of U(0, 1)
    assert abs(x.mean(dtype=np.float64) - 0.5) < 5 * np.sqrt(1 / 12 / x.size)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", [3, 2 ** 64 - 1])
def test_normal_ks(dtype, seed):
    z = philox.Stream(seed, "ks-normal").randn(500_000, dtype=dtype).astype(np.float64)
    assert stats.kstest(z, "norm").pvalue > P_MIN
    # the tails, where the transform switches pieces: P(|z| > 2.5), P(z < -3.5), symmetric
    n = z.size
    for thr in (1.0, 2.5, 3.5):
        p = 2 * stats.norm.sf(thr)
        k = int((np.abs(z) > thr).sum())
        assert stats.binomtest(k, n, p).pvalue > P_MIN, thr
    k_pos = int((z > 0).sum())
    assert stats.binomtest(k_pos, n, 0.5).pvalue > P_MIN


def test_uniform_low_high_ks():
    x = philox.Stream(4, "u").uniform(-3, 5, size=200_000)
    assert stats.kstest(x, "uniform", args=(-3, 8)).pvalue > P_MIN


@pytest.mark.parametrize("mean,std,dtype", [(2.0, 0.5, np.float64), (-1e3, 25.0, np.float64),
                                             (2.0, 0.5, np.float32), (10.0, 3.0, np.float16)])
def test_normal_moments(mean, std, dtype):
    n = 400_000
    x = philox.Stream(5, "moments", str(dtype)).normal(mean, std, size=n, dtype=dtype).astype(np.float64)
    # mean within 5 standard errors; variance within 5 standard errors (Var(s^2) = 2 sigma^4 / n)
    tol16 = 0.01 * abs(mean) if dtype == np.float16 else 0.0  # float16 rounding of the values
    assert abs(x.mean() - mean) < 5 * std / np.sqrt(n) + tol16
    assert abs(x.var() - std ** 2) < 5 * std ** 2 * np.sqrt(2 / n) + 0.01 * std ** 2 * (dtype == np.float16)
    assert abs(stats.skew(x)) < 5 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(x)) < 5 * np.sqrt(24 / n)


@pytest.mark.parametrize("low,high,dtype", [(0, 10, np.int64), (-5, 2, np.int8), (0, 256, np.uint8),
                                            (3, 1000, np.int32)])
def test_randint_chi_square(low, high, dtype):
    n = 500_000
    x = philox.Stream(6, "chi", str(low), high).randint(low, high, size=n, dtype=dtype).astype(np.int64)
    assert x.min() == low and x.max() == high - 1
    counts = np.bincount(x - low, minlength=high - low)
    assert stats.chisquare(counts).pvalue > P_MIN


def test_randint_large_range_top_bits():
    # ranges above 2**32 use the four-word rule: check the top 8 bits of the offsets are uniform
    r = 3 * 2 ** 40 + 12345
    x = philox.Stream(7, "big").randint(0, r, size=200_000)
    assert x.min() >= 0 and x.max() < r
    bins = (x.astype(np.float64) / r * 256).astype(np.int64)
    assert stats.chisquare(np.bincount(bins, minlength=256)).pvalue > P_MIN
    # low bits too (a wrong >> would leave them constant)
    assert stats.chisquare(np.bincount(x & 255, minlength=256)).pvalue > P_MIN


@pytest.mark.parametrize("shift", [0, 8, 16, 24])
def test_raw_word_bytes_chi_square(shift):
    w = philox.Stream(8, "raw", position=3).random_raw(1_000_000)
    b = (w >> np.uint32(shift)) & np.uint32(255)
    assert stats.chisquare(np.bincount(b, minlength=256)).pvalue > P_MIN


def test_raw_words_top_bits_and_lanes():
    # the top 4 bits, for each lane of the 4-word Philox block separately
    w = philox.Stream(9, "lanes").random_raw(1_000_000).reshape(-1, 4)
    for lane in range(4):
        top = (w[:, lane] >> np.uint32(28)).astype(np.int64)
        assert stats.chisquare(np.bincount(top, minlength=16)).pvalue > P_MIN, lane


def test_neighbouring_streams_are_uncorrelated():
    # streams that differ in one path component / one seed bit must look independent
    a = philox.Stream(10, "s", 0).rand(200_000)
    b = philox.Stream(10, "s", 1).rand(200_000)
    c = philox.Stream(11, "s", 0).rand(200_000)
    for x, y in ((a, b), (a, c)):
        assert stats.pearsonr(x, y).pvalue > P_MIN
    # successive values of one stream
    assert stats.pearsonr(a[:-1], a[1:]).pvalue > P_MIN


def test_float16_uniform_uses_all_values():
    # float16 uniform: (w >> 21) * 2**-11 has 2048 equally likely values
    x = philox.Stream(12).rand(400_000, dtype=np.float16)
    k = (x.astype(np.float64) * 2048).astype(np.int64)
    counts = np.bincount(k, minlength=2048)
    assert counts.size == 2048
    assert stats.chisquare(counts).pvalue > P_MIN


@pytest.mark.parametrize("shift", [0, 29, 56])
def test_raw64_words_chi_square(shift):
    # 64-bit raw values (two words): bytes from the low word, across the two words, and the high word
    x = philox.Stream(13, "raw64").random_raw(500_000, dtype=np.uint64)
    b = ((x >> np.uint64(shift)) & np.uint64(255)).astype(np.int64)
    assert stats.chisquare(np.bincount(b, minlength=256)).pvalue > P_MIN


def test_bfloat16_uniform_and_normal():
    torch = pytest.importorskip("torch")
    s = philox.Stream(14, "bf16")
    n = 400_000
    # uniform: (w >> 24) * 2**-8 has 256 equally likely values
    u = s.rand(n, dtype=torch.bfloat16).float().numpy()
    counts = np.bincount((u * 256).astype(np.int64), minlength=256)
    assert counts.size == 256 and stats.chisquare(counts).pvalue > P_MIN
    # normal(mean, std), rounded to bfloat16 (8 significant bits: allow its rounding in the moments)
    x = s.normal(3.0, 2.0, size=n, dtype=torch.bfloat16).float().numpy().astype(np.float64)
    assert abs(x.mean() - 3.0) < 5 * 2.0 / np.sqrt(n) + 3.0 * 2.0 ** -9
    assert abs(x.var() - 4.0) < 5 * 4.0 * np.sqrt(2 / n) + 0.02 * 4.0
    z = s.randn(n, dtype=torch.bfloat16).float().numpy().astype(np.float64)
    assert stats.binomtest(int((z > 0).sum()), n, 0.5).pvalue > P_MIN
    for thr in (1.0 + 2.0 ** -8, 2.5 + 2.0 ** -7):  # tail masses, at midpoints between bfloat16 values:
        # a value rounds above the midpoint exactly when it lies above it
        k = int((np.abs(z) > thr).sum())
        assert stats.binomtest(k, n, 2 * stats.norm.sf(thr)).pvalue > P_MIN, thr


# ---------------------------------------------------------------------------------------------
# Distributions (docs/FORMAT.md 13): against scipy over a grid of parameters with the extremes.
def _binned_chisquare(x, dist, bins=50):
    """Chi-square of counts in bins between dist's quantiles (edges kept only in float64's normal
    range: below ~1e-300 a float64 sample and the law differ by underflow, which is not a bin)."""
    edges = dist.ppf(np.linspace(0, 1, bins + 1)[1:-1])
    edges = np.unique(edges[np.isfinite(edges) & (edges > 1e-300)])
    cdf = np.concatenate([[0.0], dist.cdf(edges), [1.0]])
    counts = np.bincount(np.searchsorted(edges, x, side="left"), minlength=edges.size + 1)
    expected = np.diff(cdf) * x.size
    return stats.chisquare(counts, expected * counts.sum() / expected.sum()).pvalue


def _check_fit(x, dist, ks=True):
    assert np.isfinite(x).all() and (x >= 0).all()
    assert _binned_chisquare(x, dist) > P_MIN
    if ks:
        assert stats.kstest(x, dist.cdf).pvalue > P_MIN


GAMMA_GRID = [(1e-3, 1.0), (0.05, 1.0), (0.5, 3.0), (1.0, 1.0), (2.5, 1.0), (37.0, 0.1), (1e6, 1.0)]


@pytest.mark.parametrize("shape,scale", GAMMA_GRID)
def test_gamma_fits(shape, scale):
    x = philox.Stream(41, "gamma-fit", repr(shape)).gamma(shape, scale, size=200_000)
    # KS where the law has no atom of float64 underflow at 0 (shape 1e-3 puts ~47% there)
    _check_fit(x, stats.gamma(shape, scale=scale), ks=shape >= 0.01)


@pytest.mark.slow
@pytest.mark.parametrize("shape,scale", GAMMA_GRID)
def test_gamma_fits_1e6(shape, scale):
    x = philox.Stream(42, "gamma-fit-1e6", repr(shape)).gamma(shape, scale, size=10 ** 6)
    _check_fit(x, stats.gamma(shape, scale=scale), ks=shape >= 0.01)


@pytest.mark.parametrize("df", [0.01, 1, 3, 1000])
def test_chisquare_fits(df):
    x = philox.Stream(43, "chi2-fit", repr(df)).chisquare(df, size=100_000)
    _check_fit(x, stats.chi2(df), ks=df >= 0.02)


def _check_discrete_fit(x, dist, min_expected=20.0):
    """Chi-square of counts of each value against dist's pmf, tails pooled (expected >= min_expected)."""
    assert x.dtype == np.int64 and (x >= 0).all()
    lo, hi = int(dist.ppf(1e-7)), int(dist.ppf(1 - 1e-7))
    if hi - lo > 100_000:  # too wide to enumerate: bins between quantiles ((e_i, e_i+1], as for floats)
        return _binned_chisquare(x, dist)
    ks = np.arange(lo, hi + 1)
    expected = dist.pmf(ks) * x.size
    # pool into bins of expected count >= min_expected, left to right; the tails join the ends
    edges, acc = [lo], 0.0
    for k, e in zip(ks, expected):
        acc += e
        if acc >= min_expected:
            edges.append(k + 1)
            acc = 0.0
    edges[-1] = hi + 1
    edges = np.array(edges)
    counts = np.bincount(np.searchsorted(edges, np.clip(x, lo, hi), side="right") - 1, minlength=edges.size - 1)
    cdf = dist.cdf(edges - 1)
    exp_counts = np.diff(np.concatenate([[0.0], cdf[1:-1], [1.0]])) * x.size
    assert counts.size == exp_counts.size
    return stats.chisquare(counts, exp_counts * counts.sum() / exp_counts.sum()).pvalue


POISSON_GRID = [1e-6, 0.3, 4.0, 9.99, 10.0, 37.5, 1000.0, 1e6, 1e10]


@pytest.mark.parametrize("lam", POISSON_GRID)
def test_poisson_fits(lam):
    x = philox.Stream(44, "poisson-fit", repr(lam)).poisson(lam, size=200_000)
    if lam < 1e-3:  # nearly all zeros: the count of ones
        assert stats.binomtest(int((x > 0).sum()), x.size, -np.expm1(-lam)).pvalue > P_MIN
        return
    assert _check_discrete_fit(x, stats.poisson(lam)) > P_MIN


@pytest.mark.slow
@pytest.mark.parametrize("lam", POISSON_GRID[1:])
def test_poisson_fits_1e6(lam):
    x = philox.Stream(45, "poisson-fit-1e6", repr(lam)).poisson(lam, size=10 ** 6)
    assert _check_discrete_fit(x, stats.poisson(lam)) > P_MIN


BINOMIAL_GRID = [(20, 0.3), (5, 0.999), (1000, 0.004), (1000, 0.5), (100, 0.95), (10 ** 6, 1e-3), (2 ** 40, 0.3),
                 (2 ** 62, 1e-15), (2 ** 62, 0.5)]


def _binomial_fit(x, n, p):
    assert (x >= 0).all() and (x <= n).all()
    if n > 2 ** 53 and n * p * (1 - p) > 2 ** 40:
        # scipy's binom.ppf does not return at n = 2**62, p = 1/2; there the law is the normal
        # N(np, npq) to ~1e-9 (sd 2**30, far beyond the discreteness), so test standardized values
        z = (x.astype(np.float64) - n * p) / np.sqrt(n * p * (1 - p))
        return min(stats.kstest(z, "norm").pvalue, _binned_chisquare(z - z.min() + 1.0,
                                                                      stats.norm(1.0 - z.min())))
    return _check_discrete_fit(x, stats.binom(n, p))


@pytest.mark.parametrize("n,p", BINOMIAL_GRID)
def test_binomial_fits(n, p):
    x = philox.Stream(46, "binomial-fit", n, repr(p)).binomial(n, p, size=200_000)
    assert _binomial_fit(x, n, p) > P_MIN


@pytest.mark.slow
@pytest.mark.parametrize("n,p", BINOMIAL_GRID)
def test_binomial_fits_1e6(n, p):
    x = philox.Stream(47, "binomial-fit-1e6", n, repr(p)).binomial(n, p, size=10 ** 6)
    assert _binomial_fit(x, n, p) > P_MIN
