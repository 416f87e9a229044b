"""Distributions beyond uniform, normal and integers (docs/FORMAT.md sections 11 on): for each, KS
tests against scipy over its parameters (fixed seeds, so each either always passes or always
fails; p > 1e-4), its support, and its argument checks (TypeError/ValueError naming the argument,
position unchanged). OPS_TESTED maps each op to its statistical tests (tests/test_op_table.py)."""
import numpy as np
import pytest

import philox

P_MIN = 1e-4

OPS_TESTED = {
    "exponential_f32": ["test_exponential_ks"],
    "exponential_f64": ["test_exponential_ks"],
    "exponential_f16": ["test_exponential_16bit_ks"],
    "exponential_bf16": ["test_exponential_16bit_ks"],
    "gumbel_f32": ["test_loc_scale_ks"], "gumbel_f64": ["test_loc_scale_ks"],
    "gumbel_f16": ["test_loc_scale_16bit_ks"], "gumbel_bf16": ["test_loc_scale_16bit_ks"],
    "logistic_f32": ["test_loc_scale_ks"], "logistic_f64": ["test_loc_scale_ks"],
    "logistic_f16": ["test_loc_scale_16bit_ks"], "logistic_bf16": ["test_loc_scale_16bit_ks"],
    "laplace_f32": ["test_loc_scale_ks"], "laplace_f64": ["test_loc_scale_ks"],
    "laplace_f16": ["test_loc_scale_16bit_ks"], "laplace_bf16": ["test_loc_scale_16bit_ks"],
    "lognormal_f32": ["test_lognormal_ks"], "lognormal_f64": ["test_lognormal_ks"],
    "lognormal_f16": ["test_lognormal_16bit_ks"], "lognormal_bf16": ["test_lognormal_16bit_ks"],
    "standard_cauchy_f32": ["test_standard_cauchy_ks"], "standard_cauchy_f64": ["test_standard_cauchy_ks"],
    "standard_cauchy_f16": ["test_standard_cauchy_16bit_ks"], "standard_cauchy_bf16": ["test_standard_cauchy_16bit_ks"],
    "geometric_i64": ["test_geometric_chisquare", "test_geometric_tiny_p"],
    "bernoulli_b8": ["test_bernoulli_binomial_counts"],
    "trunc_normal_f32": ["test_truncated_normal_ks"], "trunc_normal_f64": ["test_truncated_normal_ks"],
    "gamma_f32": ["test_gamma_f32_is_gamma_f64_rounded", "test_gamma_f32_ks"],
    "beta_f64": ["test_beta_ks", "test_beta_extreme_shapes"],
    "standard_t_f64": ["test_standard_t_ks", "test_standard_t_tiny_df_tails"],
}
SCIPY_NAME = {"gumbel": "gumbel_r", "logistic": "logistic", "laplace": "laplace"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [None, 1.0, 2.5, 1e-3])
def test_exponential_ks(dtype, scale):
    stats = pytest.importorskip("scipy.stats")
    n = 300_000
    s = philox.Stream(15, "exp", str(dtype), str(scale))
    x = s.standard_exponential(n, dtype=dtype) if scale is None else s.exponential(scale, size=n, dtype=dtype)
    x = x.astype(np.float64)
    sc = 1.0 if scale is None else scale
    assert x.min() > 0 and np.isfinite(x).all()
    assert stats.kstest(x, "expon", args=(0, sc)).pvalue > P_MIN
    assert abs(x.mean() - sc) < 5 * sc / np.sqrt(n)
    # the far tail, which -log(u) reaches through u's smallest values: P(x > 10 sc) = e^-10
    k = int((x > 10 * sc).sum())
    assert stats.binomtest(k, n, np.exp(-10.0)).pvalue > P_MIN


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_exponential_16bit_ks(dtype):
    stats = pytest.importorskip("scipy.stats")
    # computed in float32 and rounded: the rounding moves the CDF by < 1e-3 (bfloat16), far below
    # what KS detects at this n
    n = 200_000
    s = philox.Stream(16, "exp16", dtype)
    if dtype == "bfloat16":
        torch = pytest.importorskip("torch")
        x = s.exponential(2.0, size=n, dtype=torch.bfloat16).float().numpy().astype(np.float64)
    else:
        x = s.exponential(2.0, size=n, dtype=np.float16).astype(np.float64)
    assert x.min() >= 0 and np.isfinite(x).all()
    assert stats.kstest(x, "expon", args=(0, 2.0)).pvalue > P_MIN


@pytest.mark.parametrize("scale,exc", [(-1.0, ValueError), (float("inf"), ValueError), (float("nan"), ValueError),
                                       (True, TypeError), ("1", TypeError), (None, TypeError), (1e39, ValueError)])
def test_exponential_refuses_bad_scale(scale, exc):
    s = philox.Stream(17, "exp-args", position=3)
    dtype = np.float32 if scale == 1e39 else np.float64  # 1e39 is finite in float64, not in float32
    with pytest.raises(exc, match="scale"):
        s.exponential(scale, size=4, dtype=dtype)
    assert s.position == 3


def test_exponential_shapes_positions_and_zero_scale():
    s = philox.Stream(18, "exp-shape")
    x = s.exponential(0.0, size=(2, 3))
    assert x.shape == (2, 3) and x.dtype == np.float64 and not x.any() and s.position == 12
    assert s.exponential(3, dtype=np.float32).shape == () and s.position == 13
    # standard_exponential is exponential(1.0), and split invariant
    a = philox.Stream(18, "e").standard_exponential(10, dtype=np.float32)
    b = philox.Stream(18, "e").exponential(1.0, size=10, dtype=np.float32)
    c = philox.Stream(18, "e")
    assert np.array_equal(a, b)
    assert np.array_equal(a, np.concatenate([c.standard_exponential(4, dtype=np.float32),
                                             c.standard_exponential(6, dtype=np.float32)]))
    with pytest.raises(TypeError):
        philox.Stream(18).standard_exponential(3, dtype=np.int64)


@pytest.mark.parametrize("dist", ["gumbel", "logistic", "laplace"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loc,scale", [(None, None), (-2.0, 0.5), (1e3, 30.0)])
def test_loc_scale_ks(dist, dtype, loc, scale):
    stats = pytest.importorskip("scipy.stats")
    n = 300_000
    s = philox.Stream(19, dist, str(dtype), str(loc))
    if loc is None:
        x, loc, scale = getattr(s, dist)(size=n, dtype=dtype), 0.0, 1.0
    else:
        x = getattr(s, dist)(loc, scale, size=n, dtype=dtype)
    x = x.astype(np.float64)
    assert np.isfinite(x).all()
    d = getattr(stats, SCIPY_NAME[dist])(loc, scale)
    assert stats.kstest(x, d.cdf).pvalue > P_MIN
    # both tails, beyond the 1e-4 and 1 - 1e-4 quantiles
    for q, side in ((1e-4, x < d.ppf(1e-4)), (1e-4, x > d.ppf(1 - 1e-4))):
        assert stats.binomtest(int(side.sum()), n, q).pvalue > P_MIN


@pytest.mark.parametrize("dist", ["gumbel", "logistic", "laplace"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_loc_scale_16bit_ks(dist, dtype):
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    s = philox.Stream(20, dist, dtype)
    if dtype == "bfloat16":
        torch = pytest.importorskip("torch")
        x = getattr(s, dist)(0.5, 2.0, size=n, dtype=torch.bfloat16).float().numpy().astype(np.float64)
    else:
        x = getattr(s, dist)(0.5, 2.0, size=n, dtype=np.float16).astype(np.float64)
    assert np.isfinite(x).all()
    assert stats.kstest(x, getattr(stats, SCIPY_NAME[dist])(0.5, 2.0).cdf).pvalue > P_MIN


@pytest.mark.parametrize("dist", ["gumbel", "logistic", "laplace"])
@pytest.mark.parametrize("loc,scale,exc,match", [
    (0.0, -1.0, ValueError, "scale"), (0.0, float("inf"), ValueError, "scale"), (float("nan"), 1.0, ValueError, "loc"),
    ("0", 1.0, TypeError, "loc"), (0.0, None, TypeError, "scale"), (1e39, 1.0, ValueError, "loc")])
def test_loc_scale_refuses_bad_arguments(dist, loc, scale, exc, match):
    s = philox.Stream(21, "ls-args", position=7)
    with pytest.raises(exc, match=match):
        getattr(s, dist)(loc, scale, size=3, dtype=np.float32)
    assert s.position == 7


@pytest.mark.parametrize("dist", ["gumbel", "logistic", "laplace"])
def test_loc_scale_defaults_shapes_and_split(dist):
    a = getattr(philox.Stream(22, dist), dist)(size=(2, 5))
    s = philox.Stream(22, dist)
    b = np.concatenate([getattr(s, dist)(0.0, 1.0, size=3), getattr(s, dist)(size=7)])
    assert a.shape == (2, 5) and a.dtype == np.float64 and s.position == 20
    assert np.array_equal(a.reshape(-1), b)
    c = getattr(philox.Stream(22, dist), dist)(3.0, 0.0, size=4, dtype=np.float32)
    assert c.dtype == np.float32 and (c == 3.0).all()


# ---------------------------------------------------------------------------------------------
# FORMAT 20: bernoulli, geometric, standard_cauchy, lognormal
def _to64(x):
    """float64 numpy values of a numpy array or a (16-bit) torch tensor."""
    if not isinstance(x, np.ndarray):
        x = x.float().numpy()
    return x.astype(np.float64)


def _dtype(name):
    if name == "bfloat16":
        return pytest.importorskip("torch").bfloat16
    return np.dtype(name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mean,sigma", [(None, None), (-1.0, 2.5), (3.0, 0.1), (0.5, 1e-3), (-20.0, 4.0)])
def test_lognormal_ks(dtype, mean, sigma):
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    s = philox.Stream(30, "lognormal", str(dtype), str(mean), str(sigma))
    if mean is None:
        x, mean, sigma = s.lognormal(size=n, dtype=dtype), 0.0, 1.0
    else:
        x = s.lognormal(mean, sigma, size=n, dtype=dtype)
    assert x.dtype == dtype and x.shape == (n,)
    x = x.astype(np.float64)
    assert np.isfinite(x).all() and (x > 0).all()
    d = stats.lognorm(sigma, scale=np.exp(mean))
    assert stats.kstest(x, d.cdf).pvalue > P_MIN
    for q, side in ((1e-4, x < d.ppf(1e-4)), (1e-4, x > d.ppf(1 - 1e-4))):
        assert stats.binomtest(int(side.sum()), n, q).pvalue > P_MIN


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_lognormal_16bit_ks(dtype):
    stats = pytest.importorskip("scipy.stats")
    n = 100_000
    x = _to64(philox.Stream(31, "lognormal", dtype).lognormal(0.5, 0.5, size=n, dtype=_dtype(dtype)))
    assert np.isfinite(x).all() and (x > 0).all()
    assert stats.kstest(x, stats.lognorm(0.5, scale=np.exp(0.5)).cdf).pvalue > P_MIN


def test_lognormal_extremes_and_rounding():
    import reference as R
    # sigma 0: exp_f64(mean) itself, every value (the header's exp, correctly rounded here)
    x = philox.Stream(32, "ln").lognormal(1.0, 0.0, size=50)
    assert (x == x[0]).all() and abs(x[0] - np.e) <= 1e-15
    # overflow to inf and underflow to 0, never NaN
    for mean, dt in ((800.0, np.float64), (100.0, np.float32), (-800.0, np.float64), (-120.0, np.float32)):
        y = philox.Stream(32, "ln", repr(mean)).lognormal(mean, 1.0, size=1000, dtype=dt)
        assert not np.isnan(y).any()
        assert (np.isinf(y).all() if mean > 0 else (y == 0).all()), mean
    # float32: the float64 value rounded once (not exp in float32), near float32's overflow too
    for mean, sigma in ((0.0, 1.0), (88.0, 0.5)):
        got = philox.Stream(33, "ln32", position=3).lognormal(mean, sigma, size=4000, dtype=np.float32)
        want = R.RefStream(33, "ln32", position=3).lognormal(mean, sigma, 4000, "f32")
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
        assert np.isinf(got).any() == (mean > 80)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_standard_cauchy_ks(dtype):
    stats = pytest.importorskip("scipy.stats")
    n = 300_000
    x = philox.Stream(34, "cauchy", str(dtype)).standard_cauchy(n, dtype=dtype)
    assert x.dtype == dtype
    x = x.astype(np.float64)
    assert np.isfinite(x).all()
    assert stats.kstest(x, "cauchy").pvalue > P_MIN
    # both far tails (|x| > 3183: the ratio's denominator near 0), beyond the 1e-4 quantiles
    for side in (x < stats.cauchy.ppf(1e-4), x > stats.cauchy.ppf(1 - 1e-4)):
        assert stats.binomtest(int(side.sum()), n, 1e-4).pvalue > P_MIN


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_standard_cauchy_16bit_ks(dtype):
    stats = pytest.importorskip("scipy.stats")
    n = 100_000
    x = _to64(philox.Stream(35, "cauchy", dtype).standard_cauchy(n, dtype=_dtype(dtype)))
    assert not np.isnan(x).any()  # float16 overflows to inf beyond 65504 (P about 5e-6), as any rounding
    assert stats.kstest(x, "cauchy").pvalue > P_MIN


def test_standard_cauchy_words_shapes_and_split():
    s = philox.Stream(36, "cw")
    a = s.standard_cauchy(size=(3, 4))
    assert a.shape == (3, 4) and a.dtype == np.float64 and s.position == 48
    t = philox.Stream(36, "cw")
    b = np.concatenate([t.standard_cauchy(5), t.standard_cauchy(7)])
    assert np.array_equal(a.reshape(-1), b)
    c = philox.Stream(36, "cw").standard_cauchy(6, dtype=np.float32)
    assert c.dtype == np.float32
    assert isinstance(philox.Stream(36, "cw").standard_cauchy(), np.float64)


@pytest.mark.parametrize("p", [1e-6, 0.01, 0.25, 1 / 3, 0.5, 0.9, 0.999999, 1.0])
def test_geometric_chisquare(p):
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    x = philox.Stream(37, "geometric", repr(p)).geometric(p, size=n)
    assert x.dtype == np.int64 and x.min() >= 1
    if p == 1.0:
        assert (x == 1).all()
        return
    if p < 1e-3:  # p * X is exponential to within p: KS on p * X
        assert stats.kstest(p * x.astype(np.float64), "expon").pvalue > P_MIN
        return
    # chi-square over the values with an expected count of at least 20, and the tail beyond them
    kmax = max(2, int(stats.geom.isf(20 / n, p)))
    ks = np.arange(1, kmax + 1)
    observed = np.append(np.bincount(np.minimum(x, kmax + 1), minlength=kmax + 2)[1:kmax + 1],
                         (x > kmax).sum())
    expected = n * np.append(stats.geom.pmf(ks, p), stats.geom.sf(kmax, p))
    keep = expected >= 5
    if keep.sum() < 2:  # p near 1: only the value 1 is likely
        assert stats.binomtest(int((x == 1).sum()), n, p).pvalue > P_MIN
        return
    assert stats.chisquare(observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()).pvalue > P_MIN


def test_geometric_tiny_p():
    """Tiny p: huge values, clamped to INT64_MAX from 2**63 up (FORMAT 20.2), never negative."""
    stats = pytest.importorskip("scipy.stats")
    n = 100_000
    p = 1e-15
    x = philox.Stream(38, "geo-tiny").geometric(p, size=n)
    assert x.min() >= 1
    assert stats.kstest(p * x.astype(np.float64), "expon").pvalue > P_MIN
    y = philox.Stream(38, "geo-tiny").geometric(1e-300, size=1000)
    assert (y == np.iinfo(np.int64).max).all()  # e / p >= 2**63 for every e >= 2**-53
    z = philox.Stream(38, "geo-tiny").geometric(2.0 ** -62, size=n)  # around the clamp: e >= 2 is clamped
    assert z.min() >= 1 and ((z == np.iinfo(np.int64).max) == (z > 2 ** 63 - 2 ** 11)).all()
    assert abs((z == np.iinfo(np.int64).max).mean() - np.exp(-2.0)) < 5 * np.sqrt(0.14 / n)


@pytest.mark.parametrize("p", [0.0, 1e-9, 0.001, 0.3, 0.5, 0.999, 1.0])
def test_bernoulli_binomial_counts(p):
    stats = pytest.importorskip("scipy.stats")
    n = 300_000
    x = philox.Stream(39, "bernoulli", repr(p)).bernoulli(p, size=n)
    assert x.dtype == np.bool_ and x.shape == (n,)
    k = int(x.sum())
    from philox._dists import threshold
    q = threshold(p) / 2 ** 32  # P(True), within 2**-32 of p (FORMAT 17)
    if q in (0.0, 1.0):
        assert k == n * q
    else:
        assert stats.binomtest(k, n, q).pvalue > P_MIN


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0, 1e-10, 1 - 2 ** -40])
@pytest.mark.parametrize("pos", [0, 3, 4 * (2 ** 32 - 1) + 1])
def test_bernoulli_equals_keyed_bernoulli(p, pos):
    torch = pytest.importorskip("torch")
    import philox.functional as F
    s = philox.Stream(40, "keyed", position=pos)
    got = s.bernoulli(p, size=(3, 111))
    assert s.position == pos + 333 and got.dtype == np.bool_
    want = F.bernoulli(p, 3, 111, seed=40, id=s.id, offset=pos, dtype=torch.bool)
    assert np.array_equal(got, want.numpy())
    t = philox.Stream(40, "keyed", position=pos).bernoulli(p, size=(3, 111), device="cpu")
    assert t.dtype == torch.bool and torch.equal(t, want)


def test_bernoulli_outputs_rows_and_fallback():
    torch = pytest.importorskip("torch")
    from philox import _backend
    x = philox.Stream(41, "b").bernoulli(0.25, size=40)
    out = np.zeros((5, 8), bool)
    assert philox.Stream(41, "b").bernoulli(0.25, out=out) is out and np.array_equal(out.reshape(-1), x)
    tout = torch.zeros(8, 5, dtype=torch.bool).t()  # not contiguous
    assert philox.Stream(41, "b").bernoulli(0.25, out=tout) is tout
    assert np.array_equal(tout.numpy(), x.reshape(5, 8))
    assert isinstance(philox.Stream(41, "b").bernoulli(0.25), np.bool_)
    batch = philox.Stream(41, "rows").fold(torch.arange(3))
    g = batch.bernoulli(0.4, size=500)
    assert g.dtype == torch.bool and g.shape == (3, 500) and batch.position == 500
    for b in range(3):
        assert np.array_equal(g[b].numpy(), philox.Stream(41, "rows").stream(b).bernoulli(0.4, size=500))
    _backend.set_backend("torch")
    try:
        f = philox.Stream(41, "fb").bernoulli(0.7, size=3000, device="cpu")
        gf = philox.Stream(41, "fb").geometric(0.01, size=3000, device="cpu")
        lf = philox.Stream(41, "fb").lognormal(-1.0, 2.5, size=3000, dtype=torch.float64)
        cf = philox.Stream(41, "fb").standard_cauchy(size=3000, dtype=torch.float32)
    finally:
        _backend.set_backend("auto")
    assert f.dtype == torch.bool and np.array_equal(f.numpy(), philox.Stream(41, "fb").bernoulli(0.7, size=3000))
    assert np.array_equal(gf.numpy(), philox.Stream(41, "fb").geometric(0.01, size=3000))
    assert np.array_equal(lf.numpy().view(np.uint64),
                          philox.Stream(41, "fb").lognormal(-1.0, 2.5, size=3000).view(np.uint64))
    assert np.array_equal(cf.numpy().view(np.uint32),
                          philox.Stream(41, "fb").standard_cauchy(3000, dtype=np.float32).view(np.uint32))


def test_simple_dists_region_and_torch_rows():
    torch = pytest.importorskip("torch")
    whole = philox.Stream(42, "reg").geometric(0.2, size=(6, 7))
    part = philox.Stream(42, "reg").geometric(0.2, size=(6, 7), region=(slice(1, 4), slice(2, 7)))
    assert np.array_equal(part, whole[1:4, 2:7])
    whole = philox.Stream(42, "reg").standard_cauchy(size=(6, 7))
    part = philox.Stream(42, "reg").standard_cauchy(size=(6, 7), region=(slice(2, 6), slice(3, 4)))
    assert np.array_equal(part, whole[2:6, 3:4])
    batch = philox.Stream(42, "rows").fold(torch.arange(2))
    ln = batch.lognormal(1.0, 0.5, size=9)
    assert ln.dtype == torch.float32 and batch.position == 9  # torch's default dtype: the float32 op
    for b in range(2):
        row = philox.Stream(42, "rows").stream(b).lognormal(1.0, 0.5, size=9, dtype=np.float32)
        assert np.array_equal(ln[b].numpy(), row)


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.bernoulli(-0.1, 3), ValueError, "p"), (lambda s: s.bernoulli(1.5, 3), ValueError, "p"),
    (lambda s: s.bernoulli(float("nan"), 3), ValueError, "p"), (lambda s: s.bernoulli("0.5", 3), TypeError, "p"),
    (lambda s: s.bernoulli(True, 3), TypeError, "p"), (lambda s: s.bernoulli(None, 3), TypeError, "p"),
    (lambda s: s.bernoulli(0.5, 3, dtype=np.float32), TypeError, "dtype"),
    (lambda s: s.bernoulli(0.5, 3, dtype=np.uint8), TypeError, "dtype"),
    (lambda s: s.bernoulli(0.5, -1), ValueError, "size"),
    (lambda s: s.geometric(0.0, 3), ValueError, "p"), (lambda s: s.geometric(-0.5, 3), ValueError, "p"),
    (lambda s: s.geometric(1.5, 3), ValueError, "p"), (lambda s: s.geometric(float("nan"), 3), ValueError, "p"),
    (lambda s: s.geometric("x", 3), TypeError, "p"),
    (lambda s: s.geometric(0.5, 3, dtype=np.float64), TypeError, "dtype"),
    (lambda s: s.geometric(0.5, 3, dtype=np.int32), TypeError, "dtype"),
    (lambda s: s.standard_cauchy(3, dtype=np.int64), TypeError, "dtype"),
    (lambda s: s.standard_cauchy("3"), TypeError, "size"),
    (lambda s: s.lognormal(0.0, -1.0, 3), ValueError, "sigma"),
    (lambda s: s.lognormal(0.0, float("inf"), 3), ValueError, "sigma"),
    (lambda s: s.lognormal(float("nan"), 1.0, 3), ValueError, "mean"),
    (lambda s: s.lognormal("0", 1.0, 3), TypeError, "mean"), (lambda s: s.lognormal(0.0, None, 3), TypeError, "sigma"),
    (lambda s: s.lognormal(0.0, 1.0, 3, dtype=np.int64), TypeError, "dtype"),
])
def test_simple_dists_refuse_bad_arguments(call, exc, match):
    s = philox.Stream(43, "bad", position=5)
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 5


def test_geometric_and_bernoulli_numpy_scalars_and_split():
    s = philox.Stream(44, "g")
    a = s.geometric(np.float32(0.25), size=10)
    assert s.position == 20
    t = philox.Stream(44, "g")
    b = np.concatenate([t.geometric(0.25, size=4), [t.geometric(0.25)], t.geometric(0.25, size=5)])
    assert np.array_equal(a, b) and isinstance(philox.Stream(44, "g").geometric(0.5), np.int64)
    assert np.array_equal(philox.Stream(44, "b").bernoulli(np.float64(0.3), 9),
                          philox.Stream(44, "b").bernoulli(0.3, 9))
# ------------------------------------------------------------------------------------------------
# truncated_normal (FORMAT 22.1)
INF = float("inf")
TRUNC_GRID = [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 0.0, INF), (1.0, 2.0, -3.0, 10.0), (0.0, 1.0, 8.0, 9.0),
              (0.0, 1.0, -9.0, -8.0), (0.0, 1.0, -0.01, 0.01), (5.0, 0.1, 5.2, INF), (-3.0, 1e-3, -INF, -3.001),
              (0.0, 1.0, 30.0, 31.0), (0.0, 1.0, -INF, INF), (1e6, 1e4, 1e6 - 1.0, 1e6 + 5e4)]


def _truncnorm(stats, mean, std, low, high):
    return stats.truncnorm((low - mean) / std, (high - mean) / std, loc=mean, scale=std)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("args", TRUNC_GRID, ids=[str(a) for a in TRUNC_GRID])
def test_truncated_normal_ks(dtype, args):
    """KS against scipy's truncnorm over a grid with far tails (8 and 30 std out), a narrow interval,
    half-infinite and infinite ones; every value within [low, high] (float32: the rounded bounds)."""
    stats = pytest.importorskip("scipy.stats")
    mean, std, low, high = args
    x = philox.Stream(30, "tn", str(args)).truncated_normal(mean, std, low, high, size=20000, dtype=dtype)
    assert x.dtype == dtype and not np.isnan(x).any()
    lo, hi = (np.float32(low), np.float32(high)) if dtype == np.float32 else (low, high)
    assert (x >= lo).all() and (x <= hi).all()
    if dtype == np.float32 and std / max(abs(mean), 1.0) < 1e-4:
        return  # float32 resolves fewer values than KS needs there; the float64 case tests the law
    assert stats.kstest(x.astype(np.float64), _truncnorm(stats, *args).cdf).pvalue > P_MIN


@pytest.mark.slow
@pytest.mark.parametrize("args", TRUNC_GRID[:5], ids=[str(a) for a in TRUNC_GRID[:5]])
def test_truncated_normal_ks_1e6(args):
    stats = pytest.importorskip("scipy.stats")
    x = philox.Stream(31, "tn6", str(args)).truncated_normal(*args, size=10 ** 6)
    assert stats.kstest(x, _truncnorm(stats, *args).cdf).pvalue > P_MIN


def test_truncated_normal_far_beyond_37_std_gives_the_bound():
    """Phi(a') below 2**-1022: the value is the bound nearest the mean (FORMAT 22.1), never NaN."""
    x = philox.Stream(32, "far").truncated_normal(0.0, 1.0, 1e3, 1e3 + 1, size=100)
    assert (x == 1e3).all()
    y = philox.Stream(32, "far").truncated_normal(0.0, 1.0, -1e3 - 1, -1e3, size=100, dtype=np.float32)
    assert (y == np.float32(-1e3)).all()


def test_truncated_normal_phi_and_its_inverse_are_accurate():
    """_core.ndtr and _core.ndtri (the header's, FORMAT 22.1) within a few ulp of mpmath's."""
    mpmath = pytest.importorskip("mpmath")
    from philox import _core
    mpmath.mp.dps = 60
    for x in list(-np.logspace(-3, np.log10(38.0), 60)) + list(np.linspace(-1.5, 1.5, 31)):
        want = mpmath.ncdf(mpmath.mpf(float(x)))
        got = _core.ndtr(float(x))
        assert abs(mpmath.mpf(got) - want) <= 5 * np.spacing(float(want)), x
    mpmath.mp.dps = 700
    for p in list(np.logspace(-307, -0.31, 60)) + list(1.0 - np.logspace(-15, -0.31, 30)) + [0.3, 0.5, 0.6]:
        want = mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(float(p)) - 1)
        got = _core.ndtri(float(p))
        assert abs(mpmath.mpf(got) - want) <= 5 * np.spacing(abs(float(want))) + 1e-300, p
    assert _core.ndtr(-INF) == 0.0 and _core.ndtr(INF) == 1.0 and _core.ndtr(-40.0) == 0.0
    assert _core.ndtri(0.0) == -40.0 and _core.ndtri(1.0) == 40.0


@pytest.mark.parametrize("args", TRUNC_GRID + [(0.0, 1.0, 1e3, 1e3 + 1), (0.0, 1.0, -1e3 - 1, -1e3)])
@pytest.mark.parametrize("code", ["f64", "f32"])
def test_truncated_normal_matches_the_reference(args, code):
    """The bits of the independent reference (tests/reference.py, written from FORMAT 22.1), from an
    unaligned position; the position moves by 1 (float32) or 2 (float64) words per value."""
    import reference as R
    dt = np.float64 if code == "f64" else np.float32
    s = philox.Stream(33, "tn-ref", position=5)
    got = s.truncated_normal(*args, size=257, dtype=dt)
    want = R.RefStream(33, "tn-ref", position=5).truncated_normal(*args, 257, code)
    assert got.dtype == want.dtype and np.array_equal(got.view(np.uint8), want.view(np.uint8))
    assert s.position == 5 + 257 * (2 if code == "f64" else 1)


@pytest.mark.parametrize("kw,exc,match", [
    (dict(std=0.0), ValueError, "std"), (dict(std=-1.0), ValueError, "std"), (dict(std=INF), ValueError, "std"),
    (dict(mean=float("nan")), ValueError, "mean"), (dict(mean=INF), ValueError, "mean"),
    (dict(low=float("nan")), ValueError, "low"), (dict(high=float("nan")), ValueError, "high"),
    (dict(low=2.0, high=2.0), ValueError, "low"), (dict(low=3.0, high=-3.0), ValueError, "low"),
    (dict(low="0"), TypeError, "low"), (dict(high=None), TypeError, "high"), (dict(std=True), TypeError, "std"),
    (dict(dtype=np.float16), TypeError, "float16|f16"), (dict(dtype=np.int64), TypeError, "dtype|int"),
    (dict(low=-1e39, dtype=np.float32), ValueError, "low")])
def test_truncated_normal_refuses_bad_arguments(kw, exc, match):
    s = philox.Stream(34, "tn-args", position=3)
    with pytest.raises(exc, match=match):
        s.truncated_normal(**{"size": 4, **kw})
    assert s.position == 3


def test_truncated_normal_defaults_shapes_scalars_and_split():
    a = philox.Stream(35, "tn").truncated_normal(size=(3, 4))
    assert a.shape == (3, 4) and a.dtype == np.float64 and (np.abs(a) <= 2.0).all()
    s = philox.Stream(35, "tn")
    b = np.concatenate([s.truncated_normal(size=5), [s.truncated_normal()], s.truncated_normal(size=6)])
    assert np.array_equal(a.reshape(-1), b) and s.position == 24
    out = np.empty(4, np.float32)
    r = philox.Stream(35, "tn").truncated_normal(1.0, 2.0, 0.0, 3.0, out=out)
    assert r is out and np.array_equal(out, philox.Stream(35, "tn").truncated_normal(1.0, 2.0, 0.0, 3.0, 4,
                                                                                      dtype=np.float32))


def test_truncated_normal_torch_outputs_and_batches():
    torch = pytest.importorskip("torch")
    t = philox.Stream(36, "tn").truncated_normal(size=6, device="cpu")
    assert t.dtype == torch.float32  # torch's default dtype, as rand
    assert np.array_equal(t.numpy(), philox.Stream(36, "tn").truncated_normal(size=6, dtype=np.float32))
    b = philox.Stream(36, "tn").fold([3, 9])
    x = b.truncated_normal(0.0, 1.0, 1.0, 4.0, size=5, dtype=torch.float64)
    assert x.shape == (2, 5) and b.position == 10
    for i, j in enumerate((3, 9)):
        row = philox.Stream(36, "tn", j).truncated_normal(0.0, 1.0, 1.0, 4.0, size=5)
        assert np.array_equal(x[i].numpy(), row)
    o = torch.empty(2, 5, dtype=torch.float64)
    philox.Stream(36, "tn").fold([3, 9]).truncated_normal(0.0, 1.0, 1.0, 4.0, size=5, out=o)
    assert torch.equal(o, x)


def test_truncated_normal_region_equals_the_full_draw():
    full = philox.Stream(37, "tn").truncated_normal(0.0, 1.0, -1.0, 3.0, size=(6, 8))
    part = philox.Stream(37, "tn").truncated_normal(0.0, 1.0, -1.0, 3.0, size=(6, 8), region=(slice(1, 4), slice(2, 7)))
    assert np.array_equal(part, full[1:4, 2:7])



# ------------------------------------------------------------------------------------------------
# categorical (FORMAT 22.3): no op of its own (gumbel draws + argmax); the reference draws the
# gumbels with tests/reference.py and takes numpy's argmax
def _ref_categorical(seed, path, logits, code, position=0):
    import reference as R
    x = np.asarray(logits, dtype=np.float64 if code == "f64" else np.float32)
    g = R.RefStream(seed, *path, position=position).gumbel(0.0, 1.0, x.size, code).reshape(x.shape)
    return np.argmax(x + g, axis=-1)


@pytest.mark.parametrize("code", ["f64", "f32"])
def test_categorical_is_gumbel_argmax_of_the_reference(code):
    dt = np.float64 if code == "f64" else np.float32
    logits = np.random.default_rng(0).normal(size=(6, 9)).astype(dt) * 3
    logits[2, 4] = -np.inf
    s = philox.Stream(40, "cat", position=3)
    got = s.categorical(logits)
    assert got.dtype == np.int64 and got.shape == (6,)
    assert np.array_equal(got, _ref_categorical(40, ("cat",), logits, code, 3))
    assert s.position == 3 + 54 * (2 if code == "f64" else 1)
    # the same values as philox's own gumbel draw + argmax
    g = philox.Stream(40, "cat", position=3).gumbel(size=(6, 9), dtype=dt)
    assert np.array_equal(got, np.argmax(logits + g, axis=-1))


@pytest.mark.parametrize("code", ["f64", "f32"])
@pytest.mark.parametrize("k", [1, 2, 7, 33])
def test_categorical_rows_pass_equals_numpy_argmax_of_the_sum(code, k):
    """The C++ row pass (check and argmax without the (rows, K) sum) gives numpy's argmax(x + g, -1)
    of the stream's own gumbel draw, with ties, infinities and bad rows (-1 with check=False)."""
    dt = np.float64 if code == "f64" else np.float32
    rng = np.random.default_rng(k)
    x = rng.normal(size=(500, k)).astype(dt) * 2
    x[rng.random(x.shape) < 0.1] = -np.inf
    x[rng.random(x.shape) < 0.02] = np.inf
    x[::17] = np.round(x[::17])  # repeated logits
    x[3] = -np.inf
    x[5, 0] = np.nan
    g = philox.Stream(48, "rows", position=7).gumbel(size=x.shape, dtype=dt)
    want = np.argmax(x + g, axis=-1)
    bad = np.isnan(x).any(-1) | (x == -np.inf).all(-1)
    want[bad] = -1
    got = philox.Stream(48, "rows", position=7).categorical(x, check=False)
    assert np.array_equal(got, want)
    # non-contiguous logits, another dim: the same rows
    xt = np.asfortranarray(x.T)
    assert np.array_equal(philox.Stream(48, "rows", position=7).categorical(xt, dim=0, check=False), want)
    s = philox.Stream(48, "rows")
    with pytest.raises(ValueError, match=rf"logits row \({np.flatnonzero(bad)[0]},\)"):
        s.categorical(x)
    assert s.position == 0


def test_categorical_golden_values():
    """Frozen values (FORMAT 22.3): must never change within format v1."""
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]]))
    got = philox.Stream(41, "cat-golden").categorical(np.tile(logits, (4, 1)))
    got32 = philox.Stream(41, "cat-golden").categorical(np.tile(logits, (4, 1)).astype(np.float32))
    assert got.tolist() == GOLDEN_CAT_F64
    assert got32.tolist() == GOLDEN_CAT_F32
    assert got.tolist() == _ref_categorical(41, ("cat-golden",), np.tile(logits, (4, 1)), "f64").tolist()


@pytest.mark.parametrize("code", ["f64", "f32"])
def test_categorical_frequencies_chi_square(code):
    """Category j with probability softmax(logits)[j], including tiny probabilities and -inf."""
    stats = pytest.importorskip("scipy.stats")
    dt = np.float64 if code == "f64" else np.float32
    logits = np.array([0.0, 1.0, -2.0, 3.5, -np.inf, 0.5, -9.0], dt)
    n = 200000
    x = philox.Stream(42, "cat-chi", code).categorical(np.broadcast_to(logits, (n, 7)))
    counts = np.bincount(x, minlength=7)
    assert counts[4] == 0
    p = np.exp(logits.astype(np.float64) - logits.max())
    p /= p.sum()
    keep = p > 0
    assert stats.chisquare(counts[keep], n * p[keep]).pvalue > P_MIN


def test_categorical_dim_ties_and_infinities():
    logits = np.random.default_rng(1).normal(size=(3, 5, 4))
    a = philox.Stream(43, "dim").categorical(logits, dim=1)
    b = philox.Stream(43, "dim").categorical(np.moveaxis(logits, 1, -1))
    assert a.shape == (3, 4) and np.array_equal(a, b)
    assert np.array_equal(philox.Stream(43, "dim").categorical(logits, dim=-2), a)
    # +inf always wins (the first one: ties go to the lowest index); one finite logit among -inf
    inf = np.inf
    assert philox.Stream(44, "t").categorical([1.0, inf, 0.0, inf]) == 1
    assert philox.Stream(44, "t").categorical([-inf, -inf, 2.0, -inf]) == 2
    one = philox.Stream(44, "t").categorical(np.array([0.5]))
    assert one == 0 and isinstance(one, np.integer)


@pytest.mark.parametrize("bad", [[np.nan, 0.0], [-np.inf, -np.inf]])
def test_categorical_refuses_nan_and_all_minus_inf_rows(bad):
    logits = np.array([[0.0, 1.0], bad, [2.0, 0.0]])
    s = philox.Stream(45, "bad", position=9)
    with pytest.raises(ValueError, match=r"logits row \(1,\)"):
        s.categorical(logits)
    assert s.position == 9
    got = s.categorical(logits, check=False)
    assert got[1] == -1 and s.position == 9 + 12
    assert np.array_equal(got[[0, 2]], philox.Stream(45, "bad", position=9).categorical(logits, check=False)[[0, 2]])


@pytest.mark.parametrize("logits,dim,exc,match", [
    (np.zeros(3, np.int64), -1, TypeError, "logits"), ("abc", -1, TypeError, "logits"),
    (np.zeros((2, 0)), -1, ValueError, "categories"), (np.zeros((2, 3)), 2, ValueError, "dim"),
    (np.zeros((2, 3)), 1.0, TypeError, "dim"), (np.zeros(()), -1, ValueError, "dim")])
def test_categorical_refuses_bad_arguments(logits, dim, exc, match):
    s = philox.Stream(46, "args", position=1)
    with pytest.raises(exc, match=match):
        s.categorical(logits, dim)
    assert s.position == 1


def test_categorical_torch_logits_and_batches():
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(2).normal(size=(4, 6))
    want = philox.Stream(47, "cat").categorical(logits.astype(np.float32))
    for dt in (torch.float32, torch.float16, torch.bfloat16):
        t = torch.from_numpy(logits).to(dt)
        got = philox.Stream(47, "cat").categorical(t)
        assert got.dtype == torch.int64 and got.device == t.device
        ref = philox.Stream(47, "cat").categorical(t.float().numpy())
        assert np.array_equal(got.numpy(), ref)
    assert np.array_equal(philox.Stream(47, "cat").categorical(torch.from_numpy(logits.astype(np.float32))).numpy(),
                          want)
    got64 = philox.Stream(47, "cat").categorical(torch.from_numpy(logits))
    assert np.array_equal(got64.numpy(), philox.Stream(47, "cat").categorical(logits))
    # a batch: row b from stream (47, "cat", ids[b]) alone, whatever the other rows hold
    ids = [5, 11, 2, 8]
    batch = philox.Stream(47, "cat").fold(ids)
    rows = batch.categorical(torch.from_numpy(logits))
    assert rows.shape == (4,) and batch.position == 12
    for b, i in enumerate(ids):
        assert int(rows[b]) == philox.Stream(47, "cat", i).categorical(logits[b])
    other = logits.copy()
    other[[0, 2, 3]] = 0.0
    assert int(philox.Stream(47, "cat").fold(ids).categorical(torch.from_numpy(other))[1]) == int(rows[1])
    # one 1-D logits for every row; extra dimensions per row; numpy logits give a tensor on the batch's device
    shared = philox.Stream(47, "cat").fold(ids).categorical(logits[0])
    assert shared.shape == (4,) and all(int(shared[b]) == philox.Stream(47, "cat", i).categorical(logits[0])
                                        for b, i in enumerate(ids))
    per = np.random.default_rng(3).normal(size=(4, 3, 6))
    got = philox.Stream(47, "cat").fold(ids).categorical(per)
    assert got.shape == (4, 3) and isinstance(got, torch.Tensor)
    for b, i in enumerate(ids):
        assert np.array_equal(got[b].numpy(), philox.Stream(47, "cat", i).categorical(per[b]))
    with pytest.raises(ValueError, match="batch shape"):
        philox.Stream(47, "cat").fold(ids).categorical(np.zeros((3, 6)))


# made by tests/reference.py (gumbel draws + argmax), checked against philox above
GOLDEN_CAT_F64 = [1, 0, 1, 0, 3, 1, 2, 2, 0, 2, 0, 2]
GOLDEN_CAT_F32 = [3, 0, 0, 1, 2, 3, 1, 0, 0, 2, 3, 0]

# ---------------------------------------------------------------------------------------------
# FORMAT 21: float32 gamma, beta, standard_t
import math  # noqa: E402

import reference as R  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BETA_PARAMS = [(2.0, 3.0), (0.5, 0.5), (1.0, 1.0), (0.1, 5.0), (5.0, 0.2), (1e-3, 1e-3), (1e-3, 1e6), (1e6, 1e6),
               (1e3, 1e-3), (1.0 / 3, 2.0), (1e-308, 1e-308), (1e300, 1e300)]
T_DFS = [1e-300, 1e-3, 0.1, 0.5, 1.0, 1.999, 2.0, 2.5, 10.0, 1e3, 1e6, 1e300]


def _u64(x):
    return np.asarray(x).view(np.uint64)


@pytest.mark.parametrize("method,args", [("standard_gamma", (2.5,)), ("standard_gamma", (0.3,)),
                                         ("gamma", (1e-3, 1.0)), ("gamma", (1e6, 1e-3)), ("chisquare", (3.0,)),
                                         ("gamma", (0.0, 1.0)), ("gamma", (1e30, 1e6))])
def test_gamma_f32_is_gamma_f64_rounded(method, args):
    """FORMAT 21.1: the same words and retries as float64, each value rounded to nearest float32; numpy
    and torch outputs, StreamBatch rows."""
    n = 20_000
    s = philox.Stream(31, "g32", position=5)
    x = getattr(s, method)(*args, size=n, dtype=np.float32)
    assert x.dtype == np.float32 and s.position == 5 + 4 * n
    want = getattr(philox.Stream(31, "g32", position=5), method)(*args, size=n).astype(np.float32)
    assert np.array_equal(x.view(np.uint32), want.view(np.uint32))
    assert np.isfinite(x).all() and (x >= 0).all()


def test_gamma_f32_torch_and_rows():
    torch = pytest.importorskip("torch")
    x = philox.Stream(32, "g32t").gamma(0.7, 2.0, size=(3, 50), dtype=torch.float32)
    assert x.dtype == torch.float32 and x.shape == (3, 50)
    assert np.array_equal(x.numpy(), philox.Stream(32, "g32t").gamma(0.7, 2.0, size=(3, 50), dtype=np.float32))
    batch = philox.Stream(32, "rows32").fold(torch.arange(4))
    g = batch.standard_gamma(1.5, size=100, dtype=torch.float32)
    assert g.dtype == torch.float32 and batch.position == 400
    for b in range(4):
        row = philox.Stream(32, "rows32").stream(b).standard_gamma(1.5, size=100, dtype=np.float32)
        assert np.array_equal(g[b].numpy(), row), b


@pytest.mark.parametrize("shape,scale", [(0.1, 1.0), (0.5, 2.0), (1.0, 1.0), (2.5, 1.0), (1e3, 1e-3), (1e6, 1.0)])
def test_gamma_f32_ks(shape, scale):
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    x = philox.Stream(33, "g32ks", str(shape)).gamma(shape, scale, size=n, dtype=np.float32)
    assert np.isfinite(x).all() and (x >= 0).all()
    assert stats.kstest(x.astype(np.float64), stats.gamma(shape, scale=scale).cdf).pvalue > P_MIN


@pytest.mark.parametrize("a,b", BETA_PARAMS)
def test_beta_matches_reference_with_retries(a, b):
    n, pos = 600, 4 * 2 ** 32 - 13  # unaligned, the block counter carries inside the draw
    s = philox.Stream(41, "beta", position=pos)
    got = s.beta(a, b, size=n)
    assert got.dtype == np.float64 and s.position == pos + 8 * n
    want = R.RefStream(41, "beta", position=pos).beta(a, b, n)
    assert np.array_equal(_u64(got), _u64(want))
    assert not np.isnan(got).any() and (got >= 0).all() and (got <= 1).all()


def test_beta_retries_are_exercised():
    """Some first attempts of X and of Y are rejected in this draw (both retry paths run)."""
    n, pos = 3000, 3
    w = R.words(R.normalize_seed(41), R.stream_id("beta-r"), pos, 8 * n).reshape(-1, 8)
    for shape, cols in ((1.0 / 3, slice(0, 3)), (0.5, slice(4, 7))):
        d = (shape + 1.0 if shape < 1.0 else shape) - 0.333333333333333333333
        rej = np.isnan(R.gamma_attempt(d, 1.0 / math.sqrt(9.0 * d), *w[:, cols].T))
        assert rej.sum() > 0
    got = philox.Stream(41, "beta-r", position=pos).beta(1.0 / 3, 0.5, size=n)
    assert np.array_equal(_u64(got), _u64(R.RefStream(41, "beta-r", position=pos).beta(1.0 / 3, 0.5, n)))


@pytest.mark.parametrize("df", T_DFS)
def test_standard_t_matches_reference_with_retries(df):
    n, pos = 1000, 4 * 2 ** 32 - 9
    s = philox.Stream(42, "t", position=pos)
    got = s.standard_t(df, size=n)
    assert got.dtype == np.float64 and s.position == pos + 6 * n
    want = R.RefStream(42, "t", position=pos).standard_t(df, n)
    assert np.array_equal(_u64(got), _u64(want))
    assert np.isfinite(got).all()


@settings(max_examples=30, deadline=None)
@given(method=st.sampled_from(["beta", "beta_logs", "standard_t", "standard_t_boost", "gamma32"]),
       pos=st.integers(0, 2 ** 66 - 8 * 64), n=st.integers(1, 64), cut=st.integers(0, 64))
def test_split_and_element_invariance_21(method, pos, n, cut):
    draw, k = {"beta": (lambda s, m: s.beta(2.0, 3.0, size=m), 8),
               "beta_logs": (lambda s, m: s.beta(0.3, 2.0, size=m), 8),
               "standard_t": (lambda s, m: s.standard_t(5.0, size=m), 6),
               "standard_t_boost": (lambda s, m: s.standard_t(0.7, size=m), 6),
               "gamma32": (lambda s, m: s.gamma(0.4, 2.0, size=m, dtype=np.float32), 4)}[method]
    cut = min(cut, n)
    whole = draw(philox.Stream(12, id=9, position=pos), n)
    s = philox.Stream(12, id=9, position=pos)
    parts = np.concatenate([draw(s, cut), draw(s, n - cut)])
    assert whole.tobytes() == parts.tobytes() and s.position == pos + k * n
    i = n // 2
    assert draw(philox.Stream(12, id=9, position=pos + k * i), 1).tobytes() == whole[i:i + 1].tobytes()


def test_beta_and_t_shapes_torch_and_rows():
    s = philox.Stream(43, "shape")
    assert isinstance(s.beta(2, 3), np.float64) and s.position == 8
    assert isinstance(s.standard_t(3), np.float64) and s.position == 14
    torch = pytest.importorskip("torch")
    x = philox.Stream(43, "bt").beta(0.5, 2.0, size=(4, 5), device="cpu")
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float64 and x.shape == (4, 5)
    assert np.array_equal(x.numpy(), philox.Stream(43, "bt").beta(0.5, 2.0, size=(4, 5)))
    out = torch.empty(6, 6, dtype=torch.float64).t()  # not contiguous
    assert philox.Stream(43, "tt").standard_t(4.0, out=out) is out
    assert np.array_equal(out.numpy(), philox.Stream(43, "tt").standard_t(4.0, size=(6, 6)))
    batch = philox.Stream(43, "rows").fold(torch.arange(3))
    b, t = batch.beta(0.2, 0.3, size=50), batch.standard_t(1.5, size=40)
    assert b.shape == (3, 50) and t.shape == (3, 40) and batch.position == 400 + 240
    for r in range(3):
        row = philox.Stream(43, "rows").stream(r)
        assert np.array_equal(b[r].numpy(), row.beta(0.2, 0.3, size=50))
        assert np.array_equal(t[r].numpy(), row.standard_t(1.5, size=40))


def test_beta_t_gamma32_torch_fallback_matches_cpu():
    torch = pytest.importorskip("torch")
    from philox import _backend
    draws = [lambda s: s.beta(0.3, 0.7, size=3000), lambda s: s.beta(2.0, 3.0, size=500),
             lambda s: s.standard_t(0.5, size=2000), lambda s: s.standard_t(7.0, size=500),
             lambda s: s.gamma(0.3, 2.0, size=2000, dtype=np.float32)]
    want = [d(philox.Stream(44, "fb")).tobytes() for d in draws]
    _backend.set_backend("torch")
    try:
        got = [d(philox.Stream(44, "fb")) for d in draws]
        rows = philox.Stream(44, "fbr").fold(torch.arange(2)).beta(1e-3, 0.5, size=300)
    finally:
        _backend.set_backend("auto")
    assert [np.asarray(g).tobytes() for g in got] == want
    for r in range(2):
        assert rows[r].numpy().tobytes() == philox.Stream(44, "fbr").stream(r).beta(1e-3, 0.5, size=300).tobytes()


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.beta(0.0, 1.0), ValueError, "a"), (lambda s: s.beta(1.0, -1.0), ValueError, "b"),
    (lambda s: s.beta(float("nan"), 1.0), ValueError, "a"), (lambda s: s.beta(1.0, float("inf")), ValueError, "b"),
    (lambda s: s.beta(1e301, 1.0), ValueError, "a"), (lambda s: s.beta("1", 2.0), TypeError, "a"),
    (lambda s: s.beta(1.0, None), TypeError, "b"),
    (lambda s: s.beta(1.0, 2.0, size=3, dtype=np.float32), TypeError, "float64"),
    (lambda s: s.beta(1.0, 2.0, size=-2), ValueError, "size"),
    (lambda s: s.standard_t(0.0), ValueError, "df"), (lambda s: s.standard_t(-2.0), ValueError, "df"),
    (lambda s: s.standard_t(float("inf")), ValueError, "df"), (lambda s: s.standard_t(1e-301), ValueError, "df"),
    (lambda s: s.standard_t(True), TypeError, "df"),
    (lambda s: s.standard_t(3.0, size=2, dtype=np.float32), TypeError, "float64"),
    (lambda s: s.standard_gamma(2.0, size=3, dtype=np.float16), TypeError, "float64 or float32"),
    (lambda s: s.gamma(1e30, 1e7, size=3, dtype=np.float32), ValueError, "1e\\+36"),
    (lambda s: s.chisquare(3.0, size=3, dtype=np.int32), TypeError, "dtype"),
])
def test_beta_t_gamma32_bad_arguments_change_nothing(call, exc, match):
    s = philox.Stream(45, "bad", position=7)
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 7


@pytest.mark.parametrize("a,b", [(2.0, 3.0), (0.5, 0.5), (1.0, 1.0), (0.1, 5.0), (5.0, 0.2), (1.0 / 3, 2.0),
                                 (30.0, 0.7), (1e6, 1e6), (1e4, 3e4)])
def test_beta_ks(a, b):
    """Shapes whose mass within float64 rounding of 0 or 1 is negligible (below: the others)."""
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    x = philox.Stream(46, "betaks", str(a), str(b)).beta(a, b, size=n)
    assert not np.isnan(x).any() and (x >= 0).all() and (x <= 1).all()
    assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > P_MIN


@pytest.mark.slow
@pytest.mark.parametrize("draw,dist", [
    ("beta", (2.0, 3.0)), ("beta", (0.5, 0.5)), ("beta", (0.2, 1e3)), ("standard_t", (1.0,)),
    ("standard_t", (0.3,)), ("standard_t", (30.0,)), ("gamma32", (0.3,))])
def test_format21_ks_1e6(draw, dist):
    """10**6 values: KS and both 1e-4 tails against scipy (the always-run tests above use 2 * 10**5)."""
    stats = pytest.importorskip("scipy.stats")
    n = 10 ** 6
    s = philox.Stream(56, "f21-1e6", draw, repr(dist))
    if draw == "beta":
        x, d = s.beta(*dist, size=n), stats.beta(*dist)
    elif draw == "standard_t":
        x, d = s.standard_t(*dist, size=n), stats.t(*dist)
    else:
        x, d = s.standard_gamma(*dist, size=n, dtype=np.float32).astype(np.float64), stats.gamma(*dist)
    assert np.isfinite(x).all()
    assert stats.kstest(x, d.cdf).pvalue > P_MIN
    for k, q in ((int((x < d.ppf(1e-4)).sum()), 1e-4), (int((x > d.isf(1e-4)).sum()), 1e-4)):
        assert stats.binomtest(k, n, q).pvalue > P_MIN


@pytest.mark.parametrize("a,b", [(1e-3, 1e-3), (1e-3, 1e6), (1e6, 1e-3), (1e-3, 1.0), (0.01, 0.02), (0.05, 0.05),
                                 (1e6, 1e6)])
def test_beta_extreme_shapes(a, b):
    """Tiny shapes put the mass within 1e-300 of 0 and 1 (where KS cannot see it): the probabilities of
    falling below thresholds spread over many orders of magnitude, against scipy's CDF; never NaN."""
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    x = philox.Stream(47, "betax", str(a), str(b)).beta(a, b, size=n)
    assert not np.isnan(x).any() and (x >= 0).all() and (x <= 1).all()
    d = stats.beta(a, b)
    m = a / (a + b)
    for q in (1e-300, 1e-100, 1e-30, 1e-10, 1e-3, 0.5 * m, m, 2 * m, 0.5, 1 - 1e-3, 1 - 1e-10):
        if not 0 < q < 1:
            continue
        p = float(d.cdf(q)) if q < 0.5 else 1.0 - float(d.sf(q))
        if not 1e-6 < p < 1 - 1e-6:
            continue
        k = int((x <= q).sum())
        assert stats.binomtest(k, n, p).pvalue > P_MIN, (q, k / n, p)
    assert abs(x.mean() - m) < 6 * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)) / n) + 1e-12


@pytest.mark.parametrize("df", [0.1, 0.5, 1.0, 1.999, 2.0, 2.5, 10.0, 1e3, 1e6, 1e300])
def test_standard_t_ks(df):
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    x = philox.Stream(48, "tks", str(df)).standard_t(df, size=n)
    assert np.isfinite(x).all()
    dist = stats.norm() if df > 1e100 else stats.t(df)
    assert stats.kstest(x, dist.cdf).pvalue > P_MIN
    for q in (1e-4, 1e-2):  # both tails
        lo, hi = dist.ppf(q), dist.isf(q)
        assert stats.binomtest(int((x < lo).sum()), n, q).pvalue > P_MIN
        assert stats.binomtest(int((x > hi).sum()), n, q).pvalue > P_MIN


@pytest.mark.parametrize("df", [1e-3, 0.02])
def test_standard_t_tiny_df_tails(df):
    """Tiny df: |t| spreads over hundreds of orders of magnitude and past float64's range (clamped to
    +-1.8e308, FORMAT 21.3): P(|t| > x) against scipy's t.sf over that range; symmetric; finite."""
    stats = pytest.importorskip("scipy.stats")
    n = 200_000
    x = philox.Stream(49, "ttiny", str(df)).standard_t(df, size=n)
    assert np.isfinite(x).all()
    assert stats.binomtest(int((x > 0).sum()), n, 0.5).pvalue > P_MIN
    ax = np.abs(x)
    for q in (1.0, 1e10, 1e50, 1e100, 1e200, 1e300):
        p = 2.0 * float(stats.t(df).sf(q))
        if not 1e-6 < p < 1 - 1e-6:
            continue
        assert stats.binomtest(int((ax > q).sum()), n, p).pvalue > P_MIN, (q, float((ax > q).mean()), p)



# FORMAT 21.4: dirichlet (stick-breaking over a (rows, K - 1) beta draw)
DIRICHLET_ALPHAS = [[1.0, 2.0, 3.0], [0.5], [2.0, 5.0], [1e-3, 1e-3, 1e-3], [2.0, 0.1, 1e6, 0.3],
                    [1e-300, 1.0, 1e-300], [0.7] * 7]


@pytest.mark.parametrize("alpha", DIRICHLET_ALPHAS)
@pytest.mark.parametrize("size", [None, 7, (2, 3)])
def test_dirichlet_matches_reference(alpha, size):
    pos = 4 * 2 ** 32 - 11
    s = philox.Stream(51, "dir", position=pos)
    got = s.dirichlet(alpha, size=size)
    rows = 1 if size is None else int(np.prod(size))
    shape = (len(alpha),) if size is None else tuple(np.atleast_1d(size)) + (len(alpha),)
    assert got.shape == shape and got.dtype == np.float64
    assert s.position == pos + 8 * rows * (len(alpha) - 1)
    want = R.RefStream(51, "dir", position=pos).dirichlet(alpha, rows)
    assert np.array_equal(_u64(got.reshape(rows, -1)), _u64(want))
    assert not np.isnan(got).any() and (got >= 0).all() and (got <= 1).all()
    assert np.allclose(got.sum(-1), 1.0, rtol=0, atol=1e-14)


def test_dirichlet_golden_values():
    # frozen (tests/reference.py, FORMAT 21.4): two rows of dirichlet([0.5, 2, 0.7]) from word 3
    want = ["3fc4eb569a600387", "3fea1cada3e7cc50", "3f950f96b00659b2",
            "3fd5f41ea1cb37b4", "3fc9787e053adb9c", "3fdd4fa25b975a7e"]
    for got in (philox.Stream(2024, "dirichlet", position=3).dirichlet([0.5, 2.0, 0.7], size=2),
                R.RefStream(2024, "dirichlet", position=3).dirichlet([0.5, 2.0, 0.7], 2)):
        assert [format(int(v), "016x") for v in _u64(got.reshape(-1))] == want


def test_dirichlet_split_rows_torch_batch_and_fallback():
    torch = pytest.importorskip("torch")
    from philox import _backend
    alpha = [0.3, 1.5, 1e-3, 4.0]
    whole = philox.Stream(52, "dsplit").dirichlet(alpha, size=9)
    s = philox.Stream(52, "dsplit")
    assert np.array_equal(np.concatenate([s.dirichlet(alpha, size=4), s.dirichlet(alpha, size=5)]), whole)
    t = philox.Stream(52, "dsplit").dirichlet(alpha, size=(3, 3), device="cpu")
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float64 and t.shape == (3, 3, 4)
    assert np.array_equal(t.numpy().reshape(9, 4), whole)
    batch = philox.Stream(52, "drows").fold(torch.arange(3))
    b = batch.dirichlet(alpha, size=5)
    assert b.shape == (3, 5, 4) and batch.position == 8 * 5 * 3
    for r in range(3):
        assert np.array_equal(b[r].numpy(), philox.Stream(52, "drows").stream(r).dirichlet(alpha, size=5)), r
    _backend.set_backend("torch")
    try:
        f = philox.Stream(52, "dsplit").dirichlet(alpha, size=9, device="cpu")
        fb = philox.Stream(52, "drows").fold(torch.arange(3)).dirichlet(alpha, size=5)
    finally:
        _backend.set_backend("auto")
    assert np.array_equal(f.numpy(), whole) and np.array_equal(fb.numpy(), b.numpy())
    one = philox.Stream(52, "one", position=5)
    assert np.array_equal(one.dirichlet([3.0], size=(2, 2)), np.ones((2, 2, 1))) and one.position == 5


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.dirichlet([]), ValueError, "alpha"), (lambda s: s.dirichlet([[1.0, 2.0]]), ValueError, "alpha"),
    (lambda s: s.dirichlet([1.0, -1.0]), ValueError, r"alpha\[1\]"),
    (lambda s: s.dirichlet([1.0, float("nan")]), ValueError, r"alpha\[1\]"),
    (lambda s: s.dirichlet([0.0, 1.0]), ValueError, r"alpha\[0\]"),
    (lambda s: s.dirichlet([1e300, 1e300]), ValueError, "sum of alpha"),
    (lambda s: s.dirichlet(3.0), TypeError, "alpha"), (lambda s: s.dirichlet("abc"), TypeError, "alpha"),
    (lambda s: s.dirichlet([1.0, "a"]), TypeError, "alpha"), (lambda s: s.dirichlet([True, False]), TypeError, "alpha"),
    (lambda s: s.dirichlet([1.0, 2.0], size=3, dtype=np.float32), TypeError, "float64"),
    (lambda s: s.dirichlet([1.0, 2.0], size=-1), ValueError, "size"),
])
def test_dirichlet_bad_arguments_change_nothing(call, exc, match):
    s = philox.Stream(53, "dbad", position=9)
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 9
    s.position = 2 ** 66 - 8
    with pytest.raises(ValueError):
        s.dirichlet([1.0, 2.0], size=2)
    assert s.position == 2 ** 66 - 8


@pytest.mark.parametrize("alpha", [[1.0, 2.0, 3.0], [0.3, 0.3, 5.0], [10.0, 1e3, 0.5, 2.0], [0.05, 0.05]])
def test_dirichlet_marginals_ks(alpha):
    """Each component of Dirichlet(alpha) is beta(alpha_j, sum - alpha_j); pairs are negatively correlated
    as -a_i a_j / (s^2 (s + 1))."""
    stats = pytest.importorskip("scipy.stats")
    n = 100_000
    x = philox.Stream(54, "dks", str(alpha)).dirichlet(alpha, size=n)
    assert not np.isnan(x).any() and (x >= 0).all() and (x <= 1).all()
    a0 = math.fsum(alpha)
    for j, a in enumerate(alpha):
        if a >= 0.1:  # (0.05: mass within rounding of 0 and 1, as for beta; the tiny-alpha test covers it)
            assert stats.kstest(x[:, j], stats.beta(a, a0 - a).cdf).pvalue > P_MIN, j
        assert abs(x[:, j].mean() - a / a0) < 6 * math.sqrt(a * (a0 - a) / (a0 ** 2 * (a0 + 1)) / n)
    if len(alpha) > 2:
        c = np.cov(x[:, 0], x[:, 1])[0, 1]
        want = -alpha[0] * alpha[1] / (a0 ** 2 * (a0 + 1))
        assert abs(c - want) < 0.05 * abs(want) + 6 * x[:, 0].std() * x[:, 1].std() / math.sqrt(n)


def test_dirichlet_tiny_alphas():
    """Tiny alphas put almost all of a row's mass on one component, chosen with probability alpha_j / sum
    (numpy's small-alpha case): counts of the largest component per row against that, by chi-square."""
    stats = pytest.importorskip("scipy.stats")
    alpha = [1e-3, 2e-3, 1e-3, 4e-3]
    n = 100_000
    x = philox.Stream(55, "dtiny").dirichlet(alpha, size=n)
    assert not np.isnan(x).any() and (x >= 0).all() and (x <= 1).all()
    assert np.allclose(x.sum(-1), 1.0, rtol=0, atol=1e-14)
    counts = np.bincount(x.argmax(-1), minlength=4)
    p = np.array(alpha) / sum(alpha)
    assert stats.chisquare(counts, p * n).pvalue > P_MIN
    # P(some component > 0.99) = sum_j P(x_j > 0.99) (at most one can be), x_j ~ beta(alpha_j, sum - alpha_j)
    p99 = sum(float(stats.beta(a, sum(alpha) - a).sf(0.99)) for a in alpha)
    assert stats.binomtest(int((x.max(-1) > 0.99).sum()), n, p99).pvalue > P_MIN



@pytest.mark.parametrize("draw", ["gamma32", "beta", "beta_logs", "standard_t", "standard_t_boost"])
def test_format21_every_instruction_set(isa, draw):
    """The CPU loops of each instruction set (baseline, AVX2, AVX-512; the de-interleaving path for 6-word
    values) equal the reference, across chunk boundaries (2048 words) and at an unaligned position."""
    ours, ref, k = {
        "gamma32": (lambda s, n: s.gamma(0.3, 2.0, size=n, dtype=np.float32), lambda r, n: r.gamma(0.3, 2.0, n, "f32"), 4),
        "beta": (lambda s, n: s.beta(2.0, 3.0, size=n), lambda r, n: r.beta(2.0, 3.0, n), 8),
        "beta_logs": (lambda s, n: s.beta(0.4, 2.0, size=n), lambda r, n: r.beta(0.4, 2.0, n), 8),
        "standard_t": (lambda s, n: s.standard_t(10.0, size=n), lambda r, n: r.standard_t(10.0, n), 6),
        "standard_t_boost": (lambda s, n: s.standard_t(0.7, size=n), lambda r, n: r.standard_t(0.7, n), 6)}[draw]
    n, pos = 1100, 4 * 2 ** 32 - 5
    got = ours(philox.Stream(57, "isa", position=pos), n)
    want = ref(R.RefStream(57, "isa", position=pos), n)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


# FORMAT 22.2: multinomial (numpy's conditional binomials over one (rows, K - 1) binomial draw)
MULTINOMIAL_CASES = [(20, [0.2, 0.3, 0.1, 0.4]), (0, [0.5, 0.5]), (7, [1.0]), (1000, [0.0, 0.25, 0.0, 0.75]),
                     (2 ** 62, [1e-18, 0.5, 0.5]), (2 ** 62, [0.3, 0.3, 0.4]), (5, [0.5, 0.5 + 5e-13, 0.0]),
                     (50, [0.2, 0.3, 0.9]), (3, [1.0, 0.0, 0.0]), (100, [0.1] * 10)]


@pytest.mark.parametrize("n,pvals", MULTINOMIAL_CASES)
@pytest.mark.parametrize("size", [None, 6, (2, 3)])
def test_multinomial_matches_reference(n, pvals, size):
    pos = 4 * 2 ** 32 - 9
    s = philox.Stream(61, "mult", position=pos)
    got = s.multinomial(n, pvals, size=size)
    rows = 1 if size is None else int(np.prod(size))
    k = len(pvals)
    shape = (k,) if size is None else tuple(np.atleast_1d(size)) + (k,)
    assert got.shape == shape and got.dtype == np.int64
    assert s.position == pos + 4 * rows * (k - 1)
    want = R.RefStream(61, "mult", position=pos).multinomial(n, pvals, rows)
    assert np.array_equal(got.reshape(rows, k), want)
    assert (got.sum(-1) == n).all() and (got >= 0).all() and (got <= n).all()


def test_multinomial_golden_values():
    # frozen (tests/reference.py, FORMAT 22.2): three rows of multinomial(20, [0.2, 0.3, 0.1, 0.4]) from word 5,
    # and two of multinomial(2**62, [1e-18, 0.5, 0.5]) (inversion and BTRS columns) from word 0
    want = [[1, 7, 3, 9], [4, 7, 4, 5], [4, 6, 2, 8]]
    want_big = [[1, 2305843008328487936, 2305843010098899967], [10, 2305843008569613824, 2305843009857774070]]
    for got, big in ((philox.Stream(2024, "multinomial", position=5).multinomial(20, [0.2, 0.3, 0.1, 0.4], size=3),
                      philox.Stream(2024, "multinomial-big").multinomial(2 ** 62, [1e-18, 0.5, 0.5], size=2)),
                     (R.RefStream(2024, "multinomial", position=5).multinomial(20, [0.2, 0.3, 0.1, 0.4], 3),
                      R.RefStream(2024, "multinomial-big").multinomial(2 ** 62, [1e-18, 0.5, 0.5], 2))):
        assert got.tolist() == want and big.tolist() == want_big


def test_multinomial_split_rows_torch_batch_and_fallback():
    torch = pytest.importorskip("torch")
    from philox import _backend
    pvals = [0.3, 0.0, 0.45, 0.25]
    whole = philox.Stream(62, "msplit").multinomial(40, pvals, size=9)
    s = philox.Stream(62, "msplit")
    assert np.array_equal(np.concatenate([s.multinomial(40, pvals, size=4), s.multinomial(40, pvals, size=5)]), whole)
    assert s.position == 4 * 9 * 3
    # row r alone: a pure function of (seed, id, position of the row's first word)
    for r in (0, 4, 8):
        assert np.array_equal(philox.Stream(62, "msplit", position=12 * r).multinomial(40, pvals), whole[r]), r
    t = philox.Stream(62, "msplit").multinomial(40, pvals, size=(3, 3), device="cpu")
    assert isinstance(t, torch.Tensor) and t.dtype == torch.int64 and t.shape == (3, 3, 4)
    assert np.array_equal(t.numpy().reshape(9, 4), whole)
    t2 = philox.Stream(62, "msplit").multinomial(40, pvals, size=9, dtype=torch.int64)
    assert isinstance(t2, torch.Tensor) and np.array_equal(t2.numpy(), whole)
    o = torch.empty(9, 4, dtype=torch.int64)
    assert philox.Stream(62, "msplit").multinomial(40, pvals, size=9, out=o) is o and np.array_equal(o.numpy(), whole)
    on = np.empty((9, 4), np.int64)
    assert philox.Stream(62, "msplit").multinomial(40, pvals, size=9, out=on) is on and np.array_equal(on, whole)
    batch = philox.Stream(62, "mrows").fold(torch.arange(3))
    b = batch.multinomial(40, pvals, size=5)
    assert b.shape == (3, 5, 4) and b.dtype == torch.int64 and batch.position == 4 * 5 * 3
    for r in range(3):
        assert np.array_equal(b[r].numpy(), philox.Stream(62, "mrows").stream(r).multinomial(40, pvals, size=5)), r
    _backend.set_backend("torch")
    try:
        f = philox.Stream(62, "msplit").multinomial(40, pvals, size=9, device="cpu")
        fb = philox.Stream(62, "mrows").fold(torch.arange(3)).multinomial(40, pvals, size=5)
    finally:
        _backend.set_backend("auto")
    assert np.array_equal(f.numpy(), whole) and np.array_equal(fb.numpy(), b.numpy())
    one = philox.Stream(62, "one", position=5)
    assert np.array_equal(one.multinomial(11, [0.4], size=(2, 2)), np.full((2, 2, 1), 11)) and one.position == 5
    assert philox.Stream(62, "one").multinomial(3, [0.5, 0.5], size=0).shape == (0, 2)


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.multinomial(-1, [0.5, 0.5]), ValueError, "n must"),
    (lambda s: s.multinomial(2 ** 62 + 1, [0.5, 0.5]), ValueError, "n must"),
    (lambda s: s.multinomial(2.0, [0.5, 0.5]), TypeError, "n must"),
    (lambda s: s.multinomial(True, [0.5, 0.5]), TypeError, "n must"),
    (lambda s: s.multinomial(3, []), ValueError, "pvals"),
    (lambda s: s.multinomial(3, [[0.5, 0.5]]), ValueError, "pvals"),
    (lambda s: s.multinomial(3, [0.5, -0.1, 0.6]), ValueError, r"pvals\[1\]"),
    (lambda s: s.multinomial(3, [0.5, float("nan")]), ValueError, r"pvals\[1\]"),
    (lambda s: s.multinomial(3, [1.5]), ValueError, r"pvals\[0\]"),
    (lambda s: s.multinomial(3, [0.7, 0.3 + 2e-12, 0.0]), ValueError, r"sum\(pvals"),
    (lambda s: s.multinomial(3, 0.5), TypeError, "pvals"), (lambda s: s.multinomial(3, "ab"), TypeError, "pvals"),
    (lambda s: s.multinomial(3, [0.5, "a"]), TypeError, "pvals"),
    (lambda s: s.multinomial(3, [True, False]), TypeError, "pvals"),
    (lambda s: s.multinomial(3, [0.5, 0.5], size=2, dtype=np.float64), TypeError, "dtype"),
    (lambda s: s.multinomial(3, [0.5, 0.5], size=2, dtype=np.int32), TypeError, "int64"),
    (lambda s: s.multinomial(3, [0.5, 0.5], size=-1), ValueError, "size"),
    (lambda s: s.multinomial(3, [0.5, 0.5], size=2, out=np.empty((2, 3), np.int64)), ValueError, "out"),
    (lambda s: s.multinomial(3, [0.5, 0.5], size=2, out=np.empty((2, 2))), TypeError, "int64"),
])
def test_multinomial_bad_arguments_change_nothing(call, exc, match):
    s = philox.Stream(63, "mbad", position=9)
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 9
    s.position = 2 ** 66 - 8
    with pytest.raises(ValueError, match="words"):
        s.multinomial(3, [0.2, 0.3, 0.5], size=2)
    assert s.position == 2 ** 66 - 8


def _counts_chisquare(x, dist, kmax):
    """chi-square p-value of the counts `x` against the discrete scipy distribution `dist` on [0, kmax],
    the tails merged into the outermost bins whose expectation is at least 5."""
    ks = np.arange(kmax + 1)
    expected = dist.pmf(ks) * x.size
    observed = np.bincount(x, minlength=kmax + 1).astype(float)
    assert observed.size == kmax + 1
    lo, hi = np.flatnonzero(expected >= 5)[[0, -1]]
    assert lo < hi
    e = np.concatenate([[dist.cdf(lo)], dist.pmf(ks[lo + 1:hi]), [dist.sf(hi - 1)]]) * x.size
    o = np.concatenate([[observed[:lo + 1].sum()], observed[lo + 1:hi], [observed[hi:].sum()]])
    return stats_chisquare(o, e)


def stats_chisquare(o, e):
    from scipy import stats
    return stats.chisquare(o, e * o.sum() / e.sum()).pvalue


@pytest.mark.parametrize("n,pvals", [(20, [0.2, 0.3, 0.1, 0.4]), (1000, [0.05, 0.6, 0.001, 0.349]),
                                     (3, [0.9, 0.05, 0.05]), (60, [1e-3, 0.5, 0.499])])
def test_multinomial_marginals_chi_square_and_covariance(n, pvals):
    """Each count is binomial(n, p_j); counts i != j have covariance -n p_i p_j; every row sums to n."""
    stats = pytest.importorskip("scipy.stats")
    rows = 100_000
    x = philox.Stream(64, "mchi", str(pvals)).multinomial(n, pvals, size=rows)
    assert (x.sum(-1) == n).all() and (x >= 0).all()
    for j, p in enumerate(pvals):
        if 0.0 < p < 1.0:
            assert _counts_chisquare(x[:, j], stats.binom(n, p), n) > P_MIN, j
        assert abs(x[:, j].mean() - n * p) < 6 * math.sqrt(n * p * (1 - p) / rows) + 1e-12, j
    c = np.cov(x[:, 0], x[:, 1])[0, 1]
    want = -n * pvals[0] * pvals[1]
    assert abs(c - want) < 6 * x[:, 0].std() * x[:, 1].std() / math.sqrt(rows) + 1e-9, (c, want)


def test_multinomial_huge_n_and_tiny_pvals():
    """n = 2**62: a tiny p gives a poisson-like count (inversion), the others BTRS with n_rem near 2**62;
    means within 6 standard errors, rows sum to n exactly."""
    stats = pytest.importorskip("scipy.stats")
    n, rows = 2 ** 62, 20_000
    pvals = [1e-18, 0.25, 0.75]
    x = philox.Stream(65, "mbig").multinomial(n, pvals, size=rows)
    assert all(sum(int(v) for v in r) == n for r in x[:200]) and (x.sum(-1) == n).all() and (x >= 0).all()
    # binomial(2**62, 1e-18) is poisson(4.61...) to within 1e-17 in every probability
    assert _counts_chisquare(x[:, 0], stats.poisson(n * 1e-18), int(x[:, 0].max())) > P_MIN
    for j in (1, 2):
        sd = math.sqrt(n * pvals[j] * (1 - pvals[j]))
        assert abs(x[:, j].astype(float).mean() - n * pvals[j]) < 6 * sd / math.sqrt(rows), j
        z = (x[:, j].astype(float) - n * pvals[j]) / sd
        assert stats.kstest(z, "norm").pvalue > P_MIN, j


@pytest.mark.cuda
def test_multinomial_on_cuda_equals_cpu():
    """CUDA tensors (the binomial columns drawn on the GPU, n_rem read back per column): the CPU's bits,
    on a Stream (region columns) and on StreamBatch rows."""
    torch = pytest.importorskip("torch")
    pvals = [0.1, 0.25, 0.0, 0.3, 0.35]
    for n in (37, 2 ** 62):
        cpu = philox.Stream(66, "mcuda").multinomial(n, pvals, size=(100, 3))
        s = philox.Stream(66, "mcuda")
        g = s.multinomial(n, pvals, size=(100, 3), device="cuda")
        assert g.device.type == "cuda" and g.dtype == torch.int64 and s.position == 4 * 300 * 4
        assert np.array_equal(g.cpu().numpy(), cpu)
        b = philox.Stream(66, "mcudab").fold(torch.arange(4, device="cuda"))
        gb = b.multinomial(n, pvals, size=7)
        for r in range(4):
            want = philox.Stream(66, "mcudab").stream(r).multinomial(n, pvals, size=7)
            assert np.array_equal(gb[r].cpu().numpy(), want), r


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 2 ** 62), raw=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6),
       rows=st.integers(0, 3), pos=st.integers(0, 2 ** 66 - 100))
def test_multinomial_law_reference_and_sums(n, raw, rows, pos):
    """For any n and pvals (scaled to sum at most 1), rows sum to n, counts are in [0, n], and the values and
    the position are the reference's."""
    total = math.fsum(raw[:-1])
    pvals = [v / total if total > 1.0 else v for v in raw[:-1]] + raw[-1:]
    if math.fsum(pvals[:-1]) > 1.0 + 1e-12:
        return
    s = philox.Stream(67, "mlaw", position=pos)
    got = s.multinomial(n, pvals, size=rows)
    assert s.position == pos + 4 * rows * (len(pvals) - 1)
    assert (got.sum(-1) == n).all() and (got >= 0).all() and (got <= n).all()
    assert np.array_equal(got, R.RefStream(67, "mlaw", position=pos).multinomial(n, pvals, rows))
