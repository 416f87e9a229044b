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
}


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
