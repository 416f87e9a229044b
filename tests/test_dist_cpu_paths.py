"""The CPU's multi-pass loops of the rejection samplers against the independent reference, on every
instruction set the CPU has (the `isa` fixture).

csrc/cpu/kernels_impl.h runs gamma, poisson (lam >= 10) and binomial (n q >= 10) in passes: a
vectorized quick test for every value, the full test for the undecided ones gathered into a dense
list (log-factorials below 10 from a table, selected in the pass; BTRS's small-argument ratios in
a pass of their own), the flip of binomial (p > 1/2), then the retry streams. Each pass is a CPU-only shortcut that must give the
bits of FORMAT 19's one-value-at-a-time definition: the parameters below reach every pass and
fix-up (centre and tail normals, shape < 1; k < 10 at lam = 10; n - m, k or n - k below 10; both
sides of p = 1/2), with draws long enough to cross chunk boundaries (512 values) and to reject.
"""
import functools

import numpy as np
import pytest

import philox
import reference as R

N, POS = 1300, 4 * 2 ** 32 - 9  # unaligned; the block counter's carry inside the draw


def _bits(x):
    return np.asarray(x, dtype=np.float64).view(np.uint64)


@pytest.mark.parametrize("shape,scale", [(2.5, 1.0), (0.5, 3.0), (1e-3, 1.0), (1.0, 1.0), (40.0, 0.25), (1e6, 2.0)])
def test_gamma_passes_match_reference(isa, shape, scale):
    got = philox.Stream(81, "cpu-paths", position=POS).gamma(shape, scale, size=N)
    want = R.RefStream(81, "cpu-paths", position=POS).gamma(shape, scale, N)
    assert np.array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("lam", [10.0, 13.5, 100.0, 4321.0, 1e12])
def test_poisson_passes_match_reference(isa, lam):
    got = philox.Stream(82, "cpu-paths", position=POS).poisson(lam, size=N)
    want = R.RefStream(82, "cpu-paths", position=POS).poisson(lam, N)
    assert np.array_equal(got, want)
    if lam == 10.0:  # the table's log(k!) was used: values below 10 from the PTRS path
        assert (got < 10).sum() > N // 10


# The inversions (lam < 10, n q < 10) count the table entries below u (kernels_impl.h
# inversion_counts) where the table's sums stop changing early enough, else binary-search it: both
# sides of that switch on every instruction set (m = 6 .. 46 for these lams), lam = 0, binomial's
# cap (n < 255: the rest of the table is inf) and its flip (p > 1/2).
@pytest.mark.parametrize("lam", [0.0, 1e-300, 0.01, 0.5, 1.0, 2.0, 4.0, 7.0, 9.99])
def test_poisson_inversion_matches_reference(isa, lam):
    got = philox.Stream(84, "cpu-paths", position=POS).poisson(lam, size=N)
    want = R.RefStream(84, "cpu-paths", position=POS).poisson(lam, N)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("n,p", [(0, 0.3), (1, 0.5), (3, 0.5), (20, 0.3), (20, 0.9), (100, 0.05), (2000, 0.004),
                                 (10 ** 6, 1e-6), (2 ** 62, 2e-18), (7, 1.0), (7, 0.0)])
def test_binomial_inversion_matches_reference(isa, n, p):
    got = philox.Stream(85, "cpu-paths", position=POS).binomial(n, p, size=N)
    want = R.RefStream(85, "cpu-paths", position=POS).binomial(n, p, N)
    assert np.array_equal(got, want)
    assert (got >= 0).all() and (got <= n).all()


@pytest.mark.parametrize("n,p", [(20, 0.5), (25, 0.4), (40, 0.3), (45, 0.7), (100, 0.1), (1000, 0.4), (1000, 0.6),
                                 (10 ** 9, 0.25), (2 ** 62, 0.5), (2 ** 40, 1 - 2 ** -30)])
def test_binomial_passes_match_reference(isa, n, p):
    got = philox.Stream(83, "cpu-paths", position=POS).binomial(n, p, size=N)
    want = R.RefStream(83, "cpu-paths", position=POS).binomial(n, p, N)
    assert np.array_equal(got, want)
    assert (got >= 0).all() and (got <= n).all()


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_passes_do_not_depend_on_threads_or_split(threads):
    """A big draw (threaded, many chunks) equals its pieces drawn one by one, for each sampler."""
    saved = philox.get_num_threads()
    try:
        philox.set_num_threads(threads)
        for draw in (lambda s, k: s.gamma(0.7, 2.0, size=k), lambda s, k: s.poisson(55.0, size=k),
                     lambda s, k: s.binomial(500, 0.55, size=k),
                     lambda s, k: s.gamma(2.5, 1.0, size=k, dtype=np.float32).astype(np.float64),
                     lambda s, k: s.beta(0.5, 2.0, size=k), lambda s, k: s.standard_t(3.0, size=k)):
            whole = draw(philox.Stream(84, "split"), 200_003)
            s = philox.Stream(84, "split")
            parts = np.concatenate([draw(s, k) for k in (1, 511, 1, 70_000, 129_490)])
            assert np.array_equal(np.asarray(whole).view(np.uint64), np.asarray(parts).view(np.uint64))
    finally:
        philox.set_num_threads(saved)


@pytest.mark.parametrize("shape,scale", [(2.5, 1.0), (0.5, 3.0), (1e-3, 1.0), (1.0, 1.0), (40.0, 0.25), (1e6, 2.0)])
def test_gamma_f32_passes_match_reference(isa, shape, scale):
    """float32 gamma through gamma_f64's passes into a chunk of doubles, then the rounding pass."""
    got = philox.Stream(85, "cpu-paths", position=POS).gamma(shape, scale, size=N, dtype=np.float32)
    want = R.RefStream(85, "cpu-paths", position=POS).gamma(shape, scale, N, "f32")
    assert got.dtype == np.float32 and want.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    assert np.isfinite(got).all() and (got >= 0).all()


@pytest.mark.parametrize("alpha", [[1.0, 2.0, 3.0], [0.3, 4.0, 0.2, 1e-3, 7.5, 0.9, 2.0], [1e-300, 1.0, 1e-300],
                                   [0.5, 1e-3, 2.0, 1e6, 0.8]])
def test_dirichlet_one_draw_matches_reference(isa, alpha):
    """dirichlet from K - 1 whole beta draws (K - 1 <= 3) or one (rows, K - 1) beta draw with
    per-column parameters (K - 1 >= 4): rows crossing chunk boundaries, shape >= 1 and log-space columns."""
    rows = 300
    s = philox.Stream(86, "cpu-paths", position=POS)
    got = s.dirichlet(alpha, size=rows)
    want = R.RefStream(86, "cpu-paths", position=POS).dirichlet(alpha, rows)
    assert np.array_equal(_bits(got), _bits(want))
    assert s.position == POS + 8 * rows * (len(alpha) - 1)


@pytest.mark.parametrize("a,b", [(2.0, 3.0), (0.5, 0.5), (1.0, 1.0), (0.3, 40.0), (1e-3, 2.0), (1e6, 1e-3),
                                 (1e-300, 1e-300), (7.5, 1e6)])
def test_beta_passes_match_reference(isa, a, b):
    """beta as two gamma passes over its word halves (X's first retry from block 0, Y's from block 1
    of the retry stream), then the combination (in logs when a or b < 1)."""
    got = philox.Stream(87, "cpu-paths", position=POS).beta(a, b, size=N)
    want = R.RefStream(87, "cpu-paths", position=POS).beta(a, b, N)
    assert np.array_equal(_bits(got), _bits(want))
    assert not np.isnan(got).any() and (got >= 0).all() and (got <= 1).all()


@pytest.mark.parametrize("df", [10.0, 1.0, 2.0, 0.5, 3e-3, 1e-300, 2e6, 5.0])
def test_standard_t_passes_match_reference(isa, df):
    """standard_t as one gamma pass (shape df / 2, words 0-3) and its first retry, then the
    combination with Z (words 4, 5) and the boost (df < 2)."""
    got = philox.Stream(88, "cpu-paths", position=POS).standard_t(df, size=N)
    want = R.RefStream(88, "cpu-paths", position=POS).standard_t(df, N)
    assert np.array_equal(_bits(got), _bits(want))
    assert not np.isnan(got).any()


@pytest.mark.parametrize("mean,sigma", [(0.0, 1.0), (1.5, 0.25), (-700.0, 1.0), (700.0, 3.0), (0.0, 1e-300),
                                        (0.0, 80.0)])
def test_lognormal_f64_passes_match_reference(isa, mean, sigma):
    """lognormal float64 as normals_f64's two passes, then exp_f64 in a loop of its own (overflow
    to inf and underflow to 0 included)."""
    got = philox.Stream(89, "cpu-paths", position=POS).lognormal(mean, sigma, size=N)
    want = R.RefStream(89, "cpu-paths", position=POS).lognormal(mean, sigma, N)
    assert np.array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("n", [N, 1, 511, 512, 513])
def test_standard_cauchy_f64_passes_match_reference(isa, n):
    """standard_cauchy float64 as normals_f64 over each chunk's 2 nv word pairs, then the division
    (chunk boundaries at 512 values)."""
    s = philox.Stream(90, "cpu-paths", position=POS)
    got = s.standard_cauchy(size=n)
    want = R.RefStream(90, "cpu-paths", position=POS).standard_cauchy(n)
    assert np.array_equal(_bits(got), _bits(want))
    assert s.position == POS + 4 * n


@pytest.mark.parametrize("scale", [None, 2.5])
def test_exponential_f64_matches_reference(isa, scale):
    """float64 exponentials through u_open_f64 (its bit-pattern form, no int64 conversion)."""
    s, r = philox.Stream(91, "cpu-paths", position=POS), R.RefStream(91, "cpu-paths", position=POS)
    got = s.standard_exponential(N) if scale is None else s.exponential(scale, N)
    want = r.standard_exponential(N) if scale is None else r.exponential(scale, N)
    assert np.array_equal(_bits(got), _bits(want))


# ---- issue 11 (gammafast): the gamma family's Marsaglia-Tsang passes at every depth. The CPU finishes
# the tail normals first, runs the squeeze for every value, the log test for the squeeze failures
# only, the first retry of the rejected ones in the same passes and the values rejected twice one at
# a time. The draws below are long enough, at the shapes that reject most (d near 2/3: shape 1, and
# shape + 1 for shape < 1), that each of those steps runs in every instruction set; _mt_depths checks
# that from the reference's own functions, so the tests cannot pass without them.
@functools.lru_cache(maxsize=None)
def _mt_depths(seed, name, pos, n, k, off, shape, b0):
    """(squeeze failures accepted by the log test, first retries rejected again) among the first n
    values (k words each, the gamma's words at offset off) of stream (seed, name) from pos.
    Cached, as _depth_reference: the same for every instruction set."""
    rs = R.RefStream(seed, name, position=pos)
    w = rs._take(k * n).reshape(n, k)[:, off:off + 4]
    d, c = R._mt_d_c(shape)
    x = R.normal_f64(w[:, 0], w[:, 1])
    t = 1.0 + c * x
    squeeze = (t > 0) & (R.u01_open32(w[:, 2]) < 1.0 - 0.0331 * (x * x) ** 2)
    g = R.gamma_attempt(d, c, w[:, 0], w[:, 1], w[:, 2])
    logtest = int((~squeeze & ~np.isnan(g)).sum())
    again = 0
    for i in np.flatnonzero(np.isnan(g)):
        r = R.retry_words(rs.seed, rs.id, pos + k * int(i), b0)
        again += int(np.isnan(R.gamma_attempt(d, c, r[0:1], r[1:2], r[2:3])[0]))
    return logtest, again


@functools.lru_cache(maxsize=None)
def _depth_reference(method, seed, pos, n, *args):
    """The reference's draw (read-only), computed once for all instruction sets."""
    v = getattr(R.RefStream(seed, "cpu-depths", position=pos), method)(*args[:-1], n, args[-1])
    v.flags.writeable = False
    return v


@pytest.mark.parametrize("shape,scale", [(1.0, 1.0), (0.01, 2.5), (3.0, 1.0)])
def test_gamma_passes_every_depth_match_reference(isa, shape, scale):
    n = 40_000
    logtest, again = _mt_depths(89, "cpu-depths", POS, n, 4, 0, shape, 0)
    assert logtest > 0 and again > 0
    got = philox.Stream(89, "cpu-depths", position=POS).gamma(shape, scale, size=n)
    assert np.array_equal(_bits(got), _bits(_depth_reference("gamma", 89, POS, n, shape, scale, "f64")))
    got32 = philox.Stream(89, "cpu-depths", position=POS).gamma(shape, scale, size=n, dtype=np.float32)
    want32 = _depth_reference("gamma", 89, POS, n, shape, scale, "f32")
    assert np.array_equal(got32.view(np.uint32), want32.view(np.uint32))


@pytest.mark.parametrize("a,b", [(1.0, 1.0), (1.0, 0.01), (0.02, 1.0)])
def test_beta_passes_every_depth_match_reference(isa, a, b):
    """X and Y each through every depth (the two entries of each value in one set of passes, Y's
    retries from the odd blocks), linear and log-space combinations."""
    n, pos = 7_000, POS + 3
    assert all(v > 0 for v in _mt_depths(90, "cpu-depths", pos, n, 8, 0, a, 0) +
               _mt_depths(90, "cpu-depths", pos, n, 8, 4, b, 1))
    got = philox.Stream(90, "cpu-depths", position=pos).beta(a, b, size=n)
    assert np.array_equal(_bits(got), _bits(_depth_reference("beta", 90, pos, n, a, b, "f64")))


@pytest.mark.parametrize("df", [2.0, 0.02])
def test_standard_t_passes_every_depth_match_reference(isa, df):
    """g through every depth, Z (words 4, 5) through both normal pieces, with and without the boost."""
    n, pos = 7_000, POS + 1
    assert all(v > 0 for v in _mt_depths(91, "cpu-depths", pos, n, 6, 0, df * 0.5, 0))
    got = philox.Stream(91, "cpu-depths", position=pos).standard_t(df, size=n)
    assert np.array_equal(_bits(got), _bits(_depth_reference("standard_t", 91, pos, n, df, "f64")))


@pytest.mark.parametrize("n,pvals", [(20, [0.2, 0.3, 0.5]), (1000, [0.1, 0.6, 0.05, 0.25]), (7, [1.0]),
                                     (300, [0.05] * 10 + [0.5]), (2 ** 40, [0.3, 0.7])])
def test_multinomial_columns_match_reference(isa, n, pvals):
    """multinomial's columns as regions of the (rows, K - 1) binomial draw (the gathered path, run_len 1):
    column 0 with the scalar n (the vectorized binomial passes), the others with the per-row n_rem array;
    rows crossing the gathered chunks (256 values), inversion and BTRS (with its retries) both reached."""
    rows = 600
    s = philox.Stream(87, "cpu-paths", position=POS)
    got = s.multinomial(n, pvals, size=rows)
    want = R.RefStream(87, "cpu-paths", position=POS).multinomial(n, pvals, rows)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    assert s.position == POS + 4 * rows * (len(pvals) - 1)
