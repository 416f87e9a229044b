"""Distributions (docs/FORMAT.md section 13): values against the independent reference (including
the retry streams of rejection samplers), split and element invariance, StreamBatch rows, the
numpy API's names and checks, support. Distribution-level accuracy: tests/test_statistics.py."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import philox
import reference as R

GAMMA_PARAMS = [(2.5, 1.0), (0.3, 2.0), (1e-3, 1.0), (0.0, 1.0), (1.0, 0.5), (1e6, 1e-3), (1.0 / 3, 3.0),
                (0.999, 1.0), (7.0, 1e-300)]


def _bits(x):
    return np.asarray(x, dtype=np.float64).view(np.uint64)


def _rejected_first_attempts(seed, sid, pos, n, shape):
    """How many of n gamma values from pos need their retry stream (reference)."""
    w = R.words(seed, sid, pos, 4 * n).reshape(-1, 4)
    d = (shape + 1.0 if shape < 1.0 else shape) - 0.333333333333333333333
    c = 1.0 / math.sqrt(9.0 * d)
    return int(np.isnan(R.gamma_attempt(d, c, w[:, 0], w[:, 1], w[:, 2])).sum())


@pytest.mark.parametrize("shape,scale", GAMMA_PARAMS)
def test_gamma_matches_reference_with_retries(shape, scale):
    n, pos = 3000, 4 * 2 ** 32 - 7  # unaligned, with the block counter's carry inside the draw
    s = philox.Stream(77, "gamma", position=pos)
    got = s.gamma(shape, scale, size=n)
    assert s.position == pos + 4 * n
    want = R.RefStream(77, "gamma", position=pos).gamma(shape, scale, n)
    assert np.array_equal(_bits(got), _bits(want))
    if 0 < shape < 100:  # the retry path ran (first attempts are rejected a few % of the time)
        assert _rejected_first_attempts(R.normalize_seed(77), R.stream_id("gamma"), pos, n, shape) > 0


def test_standard_gamma_and_chisquare_are_gamma():
    a = philox.Stream(3, "g").standard_gamma(1.7, size=500)
    b = philox.Stream(3, "g").gamma(1.7, 1.0, size=500)
    c = philox.Stream(3, "g").chisquare(3.4, size=500)
    d = philox.Stream(3, "g").gamma(1.7, 2.0, size=500)
    assert np.array_equal(_bits(a), _bits(b)) and np.array_equal(_bits(c), _bits(d))
    assert np.array_equal(philox.Stream(3, "g").chisquare(3, size=5), philox.Stream(3, "g").gamma(1.5, 2, size=5))


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from([0.05, 0.7, 1.0, 3.3, 1e4]), pos=st.integers(0, 2 ** 66 - 4 * 64),
       n=st.integers(1, 64), cut=st.integers(0, 64))
def test_gamma_split_and_element_invariance(shape, pos, n, cut):
    """A draw split anywhere gives the same values; value i is a one-value draw at pos + 4i."""
    cut = min(cut, n)
    whole = philox.Stream(11, id=5, position=pos).gamma(shape, 2.0, size=n)
    s = philox.Stream(11, id=5, position=pos)
    parts = np.concatenate([s.gamma(shape, 2.0, size=cut), s.gamma(shape, 2.0, size=n - cut)])
    assert np.array_equal(_bits(whole), _bits(parts))
    i = n // 2
    one = philox.Stream(11, id=5, position=pos + 4 * i).gamma(shape, 2.0)
    assert _bits(one) == _bits(whole[i])


def test_gamma_scalar_and_shapes():
    s = philox.Stream(1, "shape")
    x = s.standard_gamma(2.0)
    assert isinstance(x, np.float64) and s.position == 4
    y = s.gamma(2.0, 3.0, size=(3, 4))
    assert y.shape == (3, 4) and y.dtype == np.float64 and s.position == 4 + 48
    flat = philox.Stream(1, "shape", position=4).gamma(2.0, 3.0, size=12)
    assert np.array_equal(y.reshape(-1), flat)


def test_gamma_support():
    s = philox.Stream(9, "support")
    for shape, scale in GAMMA_PARAMS:
        x = s.gamma(shape, scale, size=20000)
        assert np.isfinite(x).all() and (x >= 0).all(), (shape, scale)
    assert (s.standard_gamma(0.0, size=100) == 0).all()
    assert (s.gamma(2.0, 0.0, size=100) == 0).all()


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.standard_gamma(-1.0), ValueError, "shape"),
    (lambda s: s.standard_gamma(float("nan")), ValueError, "shape"),
    (lambda s: s.standard_gamma(float("inf")), ValueError, "shape"),
    (lambda s: s.standard_gamma(True), TypeError, "shape"),
    (lambda s: s.standard_gamma("2"), TypeError, "shape"),
    (lambda s: s.standard_gamma(1e301), ValueError, "shape"),
    (lambda s: s.gamma(2.0, -1.0), ValueError, "scale"),
    (lambda s: s.gamma(2.0, None), TypeError, "scale"),
    (lambda s: s.gamma(1e200, 1e200), ValueError, "scale"),
    (lambda s: s.chisquare(0), ValueError, "df"),
    (lambda s: s.chisquare(-3.0), ValueError, "df"),
    (lambda s: s.gamma(2.0, size=3, dtype=np.float16), TypeError, "float64"),
    (lambda s: s.gamma(2.0, size=-1), ValueError, "size"),
])
def test_gamma_bad_arguments_change_nothing(call, exc, match):
    s = philox.Stream(5, "bad", position=3)
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 3


def test_gamma_torch_outputs_and_batch_rows():
    torch = pytest.importorskip("torch")
    s = philox.Stream(21, "t")
    x = s.gamma(0.5, 2.0, size=100, device="cpu")
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float64
    assert np.array_equal(x.numpy(), philox.Stream(21, "t").gamma(0.5, 2.0, size=100))
    out = torch.empty(10, 10, dtype=torch.float64).t()  # not contiguous
    s2 = philox.Stream(21, "t")
    assert s2.standard_gamma(3.0, out=out) is out
    assert np.array_equal(out.numpy(), philox.Stream(21, "t").standard_gamma(3.0, size=(10, 10)))
    # StreamBatch rows: row b is the stream fold(id, index[b]) read from the batch's position
    batch = philox.Stream(21, "rows").fold(torch.arange(5))
    g = batch.gamma(0.8, 1.5, size=300)
    assert g.shape == (5, 300) and batch.position == 1200
    for b in range(5):
        row = philox.Stream(21, "rows").stream(b).gamma(0.8, 1.5, size=300)
        assert np.array_equal(g[b].numpy(), row), b


def test_gamma_torch_fallback_matches_cpu():
    torch = pytest.importorskip("torch")
    from philox import _backend
    _backend.set_backend("torch")
    try:
        x = philox.Stream(4, "fb").gamma(0.2, 3.0, size=4000, device="cpu")
        y = philox.Stream(4, "fb").fold(torch.arange(3)).gamma(2.5, 1.0, size=700)
    finally:
        _backend.set_backend("auto")
    assert np.array_equal(_bits(x.numpy()), _bits(philox.Stream(4, "fb").gamma(0.2, 3.0, size=4000)))
    for b in range(3):
        assert np.array_equal(_bits(y[b].numpy()), _bits(philox.Stream(4, "fb").stream(b).gamma(2.5, 1.0, size=700)))


# ---------------------------------------------------------------------------------------------
# poisson (FORMAT 13.3)
POISSON_LAMS = [0.0, 1e-9, 0.5, 4.0, 9.999, 10.0, 37.5, 1e4, 1e10, 1e15]


@pytest.mark.parametrize("lam", POISSON_LAMS)
def test_poisson_matches_reference_with_retries(lam):
    n, pos = 1500, 4 * 2 ** 32 - 5
    s = philox.Stream(78, "poisson", position=pos)
    got = s.poisson(lam, size=n)
    assert got.dtype == np.int64 and s.position == pos + 4 * n
    want = R.RefStream(78, "poisson", position=pos).poisson(lam, n)
    assert np.array_equal(got, want)
    assert (got >= 0).all()


@settings(max_examples=25, deadline=None)
@given(lam=st.sampled_from([2.0, 12.0, 1e8]), pos=st.integers(0, 2 ** 66 - 4 * 64), n=st.integers(1, 64),
       cut=st.integers(0, 64))
def test_poisson_split_and_element_invariance(lam, pos, n, cut):
    cut = min(cut, n)
    whole = philox.Stream(12, id=6, position=pos).poisson(lam, size=n)
    s = philox.Stream(12, id=6, position=pos)
    assert np.array_equal(whole, np.concatenate([s.poisson(lam, size=cut), s.poisson(lam, size=n - cut)]))
    i = n // 2
    assert philox.Stream(12, id=6, position=pos + 4 * i).poisson(lam) == whole[i]


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.poisson(-1.0), ValueError, "lam"),
    (lambda s: s.poisson(float("nan")), ValueError, "lam"),
    (lambda s: s.poisson(1e16), ValueError, "lam"),
    (lambda s: s.poisson("3"), TypeError, "lam"),
    (lambda s: s.poisson(3.0, size=2, dtype=np.int32), TypeError, "int64"),
])
def test_poisson_bad_arguments_change_nothing(call, exc, match):
    s = philox.Stream(5, "bad", position=3)
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 3


def test_poisson_torch_rows_and_fallback():
    torch = pytest.importorskip("torch")
    from philox import _backend
    batch = philox.Stream(22, "rows").fold(torch.arange(4))
    g = batch.poisson(25.0, size=400)
    assert g.dtype == torch.int64 and g.shape == (4, 400)
    for b in range(4):
        assert np.array_equal(g[b].numpy(), philox.Stream(22, "rows").stream(b).poisson(25.0, size=400))
    _backend.set_backend("torch")
    try:
        f = philox.Stream(22, "fb").poisson(60.0, size=3000, device="cpu")
    finally:
        _backend.set_backend("auto")
    assert np.array_equal(f.numpy(), philox.Stream(22, "fb").poisson(60.0, size=3000))


# ---------------------------------------------------------------------------------------------
# binomial (FORMAT 13.4)
BINOMIAL_PARAMS = [(0, 0.3), (20, 0.0), (20, 1.0), (20, 0.3), (20, 0.7), (1000, 0.004), (1000, 0.5),
                   (10 ** 6, 0.999999), (2 ** 62, 1e-18), (2 ** 62, 0.5)]


@pytest.mark.parametrize("n,p", BINOMIAL_PARAMS)
def test_binomial_matches_reference_with_retries(n, p):
    count, pos = 800, 4 * 2 ** 32 - 6
    s = philox.Stream(79, "binomial", position=pos)
    got = s.binomial(n, p, size=count)
    assert got.dtype == np.int64 and s.position == pos + 4 * count
    assert np.array_equal(got, R.RefStream(79, "binomial", position=pos).binomial(n, p, count))
    assert (got >= 0).all() and (got <= n).all()


@settings(max_examples=25, deadline=None)
@given(np_=st.sampled_from([(20, 0.3), (500, 0.6), (2 ** 50, 0.25)]), pos=st.integers(0, 2 ** 66 - 4 * 64),
       n=st.integers(1, 64), cut=st.integers(0, 64))
def test_binomial_split_and_element_invariance(np_, pos, n, cut):
    cut = min(cut, n)
    whole = philox.Stream(13, id=7, position=pos).binomial(*np_, size=n)
    s = philox.Stream(13, id=7, position=pos)
    assert np.array_equal(whole, np.concatenate([s.binomial(*np_, size=cut), s.binomial(*np_, size=n - cut)]))
    i = n // 2
    assert philox.Stream(13, id=7, position=pos + 4 * i).binomial(*np_) == whole[i]


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.binomial(-1, 0.5), ValueError, "n"),
    (lambda s: s.binomial(2 ** 62 + 1, 0.5), ValueError, "n"),
    (lambda s: s.binomial(10.0, 0.5), TypeError, "n"),
    (lambda s: s.binomial(10, 1.5), ValueError, "p"),
    (lambda s: s.binomial(10, -0.1), ValueError, "p"),
    (lambda s: s.binomial(10, float("nan")), ValueError, "p"),
    (lambda s: s.binomial(10, 0.5, size=2, dtype=np.int32), TypeError, "int64"),
])
def test_binomial_bad_arguments_change_nothing(call, exc, match):
    s = philox.Stream(5, "bad", position=3)
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 3


def test_binomial_torch_rows_and_fallback():
    torch = pytest.importorskip("torch")
    from philox import _backend
    batch = philox.Stream(23, "rows").fold(torch.arange(3))
    g = batch.binomial(300, 0.4, size=200)
    assert g.dtype == torch.int64 and g.shape == (3, 200)
    for b in range(3):
        assert np.array_equal(g[b].numpy(), philox.Stream(23, "rows").stream(b).binomial(300, 0.4, size=200))
    _backend.set_backend("torch")
    try:
        f = philox.Stream(23, "fb").binomial(5000, 0.8, size=2000, device="cpu")
    finally:
        _backend.set_backend("auto")
    assert np.array_equal(f.numpy(), philox.Stream(23, "fb").binomial(5000, 0.8, size=2000))
