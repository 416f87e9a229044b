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
