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
