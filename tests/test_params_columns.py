"""Array parameters that vary along the last axis only (a (K,) vector against size=(rows, K)): a
Stream's host draw of poisson, binomial, gamma (float64 and float32), beta or standard_t takes each
column alone with its scalar parameters, as a region of the whole draw (``_params._last_axis_columns``,
``Stream._fill_columns``). The values, dtype and position must be the per-element path's (FORMAT 23:
element e is the scalar draw of its parameters at its position), and the path must be taken exactly
where it is meant to be."""
import numpy as np
import pytest

import philox
from philox import _params

SEED = 20261201
K = 5
ROWS = 40

# name -> (call(stream, size, **kw) with per-column parameters, scalar(stream, j, size) for column j)
_SHAPES = np.array([1e-3, 0.4, 1.0, 2.5, 1e6])
_LAM = np.array([0.0, 3.5, 9.99, 10.0, 1e9])
_N = np.array([0, 7, 50, 1000, 2 ** 40])
_P = np.array([0.0, 0.3, 0.5, 0.97, 1.0])
_A = np.array([1e-3, 0.5, 1.0, 2.0, 30.0])
_B = np.array([4.0, 1e-2, 1.0, 3.0, 0.7])
CASES = {
    "standard_gamma": (lambda s, size, **kw: s.standard_gamma(_SHAPES, size=size, **kw),
                       lambda s, j, size: s.standard_gamma(_SHAPES[j].item(), size=size)),
    "standard_gamma_f32": (lambda s, size, **kw: s.standard_gamma(_SHAPES, size=size, dtype=np.float32, **kw),
                           lambda s, j, size: s.standard_gamma(_SHAPES[j].item(), size=size, dtype=np.float32)),
    "gamma_scale": (lambda s, size, **kw: s.gamma(2.5, _B, size=size, **kw),
                    lambda s, j, size: s.gamma(2.5, _B[j].item(), size=size)),
    "chisquare": (lambda s, size, **kw: s.chisquare(_A, size=size, **kw),
                  lambda s, j, size: s.chisquare(_A[j].item(), size=size)),
    "poisson": (lambda s, size, **kw: s.poisson(_LAM, size=size, **kw),
                lambda s, j, size: s.poisson(_LAM[j].item(), size=size)),
    "binomial": (lambda s, size, **kw: s.binomial(_N, _P, size=size, **kw),
                 lambda s, j, size: s.binomial(int(_N[j]), _P[j].item(), size=size)),
    "binomial_p": (lambda s, size, **kw: s.binomial(1000, _P, size=size, **kw),
                   lambda s, j, size: s.binomial(1000, _P[j].item(), size=size)),
    "beta": (lambda s, size, **kw: s.beta(_A, _B, size=size, **kw),
             lambda s, j, size: s.beta(_A[j].item(), _B[j].item(), size=size)),
    "standard_t": (lambda s, size, **kw: s.standard_t(_A, size=size, **kw),
                   lambda s, j, size: s.standard_t(_A[j].item(), size=size)),
}


@pytest.fixture
def small_rows(monkeypatch):
    """The column path from 8 rows on (its threshold is for speed only), so the tests stay small."""
    monkeypatch.setattr(_params, "COLUMNS_MIN_ROWS", 8)


def _per_element(monkeypatch, call, position, size, **kw):
    """The same draw through the per-element path (the column path switched off)."""
    with monkeypatch.context() as m:
        m.setattr(_params, "COLUMNS_MIN_ROWS", 10 ** 18)
        s = philox.Stream(SEED, "cols", position=position)
        return call(s, size, **kw), s.position


def _bits(x):
    x = np.asarray(x)
    return x.view(np.uint64) if x.dtype == np.float64 else x


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("size", [(ROWS, K), (3, 7, K), (ROWS * 3, K)])
def test_columns_equal_the_per_element_path(name, size, small_rows, monkeypatch):
    call, _ = CASES[name]
    s = philox.Stream(SEED, "cols", position=17)
    calls = []
    orig = philox.Stream._fill_columns
    monkeypatch.setattr(philox.Stream, "_fill_columns", lambda self, *a: (calls.append(1), orig(self, *a))[1])
    got = call(s, size)
    assert calls, "the column path was not taken"
    want, pos = _per_element(monkeypatch, call, 17, size)
    assert got.dtype == want.dtype and got.shape == want.shape == size
    assert s.position == pos
    np.testing.assert_array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("name", CASES)
def test_each_column_is_its_scalar_draw_as_a_region(name, small_rows):
    """Column j equals the scalar draw of column j's parameters over the whole (rows, K) shape, cut to
    column j (FORMAT 15: a region's values are the full draw's)."""
    call, scalar = CASES[name]
    got = call(philox.Stream(SEED, "cols", position=5), (ROWS, K))
    for j in range(K):
        full = scalar(philox.Stream(SEED, "cols", position=5), j, (ROWS, K))
        np.testing.assert_array_equal(_bits(got[:, j]), _bits(full[:, j]))


def test_out_and_float32(small_rows, monkeypatch):
    call, _ = CASES["standard_gamma"]
    out = np.full((ROWS, K), -1.0)
    s = philox.Stream(SEED, "cols", position=9)
    r = call(s, (ROWS, K), out=out)
    assert r is out
    want, pos = _per_element(monkeypatch, call, 9, (ROWS, K))
    np.testing.assert_array_equal(_bits(out), _bits(want))
    assert s.position == pos
    call32, _ = CASES["standard_gamma_f32"]
    out32 = np.empty((ROWS, K), dtype=np.float32)
    call(philox.Stream(SEED, "cols"), (ROWS, K), out=out32)
    np.testing.assert_array_equal(out32, call32(philox.Stream(SEED, "cols"), (ROWS, K)))


def _taken(monkeypatch, fn):
    calls = []
    orig = philox.Stream._fill_columns
    monkeypatch.setattr(philox.Stream, "_fill_columns", lambda self, *a: (calls.append(1), orig(self, *a))[1])
    fn()
    return bool(calls)


def test_path_taken_only_where_meant(small_rows, monkeypatch):
    s = philox.Stream(SEED, "cols")
    sh = _SHAPES
    assert _taken(monkeypatch, lambda: s.standard_gamma(sh, size=(ROWS, K)))
    assert _taken(monkeypatch, lambda: s.standard_gamma(sh.reshape(1, 1, K), size=(2, ROWS, K)))
    # parameters varying along another axis, or along both
    assert not _taken(monkeypatch, lambda: s.standard_gamma(sh.reshape(K, 1), size=(K, ROWS)))
    assert not _taken(monkeypatch, lambda: s.standard_gamma(np.ones((ROWS, K)) * sh, size=(ROWS, K)))
    # too few rows, too many columns, an op with a cheap per-element path, a region, a StreamBatch
    monkeypatch.setattr(_params, "COLUMNS_MIN_ROWS", ROWS + 1)
    assert not _taken(monkeypatch, lambda: s.standard_gamma(sh, size=(ROWS, K)))
    monkeypatch.setattr(_params, "COLUMNS_MIN_ROWS", 8)
    wide = np.linspace(1, 2, _params.COLUMNS_MAX + 1)
    assert not _taken(monkeypatch, lambda: s.standard_gamma(wide, size=(ROWS, wide.size)))
    assert not _taken(monkeypatch, lambda: s.normal(sh, 1.0, size=(ROWS, K)))
    assert not _taken(monkeypatch, lambda: s.standard_gamma(sh, size=(ROWS, K), region=(slice(0, 9), slice(None))))


def test_stream_batch_keeps_the_per_element_path(small_rows, monkeypatch):
    pytest.importorskip("torch", reason="a StreamBatch holds its ids as a torch tensor")
    b = philox.StreamBatch(SEED, [1, 2])
    assert not _taken(monkeypatch, lambda: b.standard_gamma(_SHAPES, size=(ROWS, K)))


def test_bad_parameter_moves_nothing(small_rows):
    s = philox.Stream(SEED, "cols", position=11)
    bad = _SHAPES.copy()
    bad[3] = -1.0
    with pytest.raises(ValueError, match="shape"):
        s.standard_gamma(bad, size=(ROWS, K))
    assert s.position == 11
