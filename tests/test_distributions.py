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
