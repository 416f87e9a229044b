"""The CPU's multi-pass loops of the rejection samplers against the independent reference, on every
instruction set the CPU has (the `isa` fixture).

csrc/cpu/kernels_impl.h runs gamma, poisson (lam >= 10) and binomial (n q >= 10) in passes: a
vectorized quick test for every value, the full test for the undecided ones gathered into a dense
list (with scalar fix-ups where a log-factorial takes its small-argument form), the flip of
binomial (p > 1/2), then the retry streams. Each pass is a CPU-only shortcut that must give the
bits of FORMAT 19's one-value-at-a-time definition: the parameters below reach every pass and
fix-up (centre and tail normals, shape < 1; k < 10 at lam = 10; n - m, k or n - k below 10; both
sides of p = 1/2), with draws long enough to cross chunk boundaries (512 values) and to reject.
"""
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
    if lam == 10.0:  # the small-k fix-up ran: values below 10 from the PTRS path
        assert (got < 10).sum() > N // 10


@pytest.mark.parametrize("n,p", [(20, 0.5), (40, 0.3), (45, 0.7), (1000, 0.4), (1000, 0.6), (10 ** 9, 0.25),
                                 (2 ** 62, 0.5), (2 ** 40, 1 - 2 ** -30)])
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
