"""Array parameters (docs/FORMAT.md 23): every parametrized draw takes scalar or array parameters
broadcast against ``size`` (numpy Generator's semantics), and element e of an array draw is the scalar
draw of element e's parameters at element e's position: the same words, the same value function.

The law is checked directly (each element against a scalar draw from that element's position), also
through the CPU loops' threading, region draws, StreamBatch rows, out=, the torch fallback and the
CUDA kernels' code run on the CPU (``_core._emulate_gpu_fill`` / ``_emulate_gpu_region``).
"""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import philox
from philox import _core, _dists, _params

SEED = 20260511

# name -> (method, parameter names, a sampler of valid values per parameter (numpy rng -> array), integer output)
DISTS = {
    "uniform": (("low", "high"), lambda r, n: (r.uniform(-5, 0, n), r.uniform(0.5, 9, n))),
    "normal": (("mean", "std"), lambda r, n: (r.normal(0, 10, n), r.uniform(0, 3, n))),
    "exponential": (("scale",), lambda r, n: (r.uniform(0, 4, n),)),
    "gumbel": (("loc", "scale"), lambda r, n: (r.normal(0, 3, n), r.uniform(0, 3, n))),
    "logistic": (("loc", "scale"), lambda r, n: (r.normal(0, 3, n), r.uniform(0, 3, n))),
    "laplace": (("loc", "scale"), lambda r, n: (r.normal(0, 3, n), r.uniform(0, 3, n))),
    # shapes on both sides of 1 (the boost is per element) and large ones (more rejections)
    "standard_gamma": (("shape",), lambda r, n: (r.choice([0.0, 1e-3, 0.3, 0.999, 1.0, 2.5, 40.0, 1e6], n),)),
    "gamma": (("shape", "scale"), lambda r, n: (r.choice([0.05, 0.7, 1.0, 3.3, 1e4], n), r.uniform(0, 5, n))),
    "chisquare": (("df",), lambda r, n: (r.choice([0.1, 1.0, 2.0, 7.5, 300.0], n),)),
    # both sides of the inversion / PTRS switch at 10
    "poisson": (("lam",), lambda r, n: (r.choice([0.0, 0.5, 9.99, 10.0, 37.0, 1e6, 1e12], n),)),
    "binomial": (("n", "p"), lambda r, n: (r.choice([0, 1, 7, 50, 1000, 2 ** 40], n),
                                            r.choice([0.0, 0.01, 0.3, 0.5, 0.92, 1.0], n))),
}


def _trunc_normal_sample(r, n):
    """Intervals below, around and above the mean (the reflection is per element), infinite bounds."""
    mean, std = r.normal(0, 2, n), r.uniform(0.1, 3, n)
    low = mean + std * r.choice([-30.0, -3.0, -0.5, 0.0, 1.0, 4.0], n)
    high = low + std * r.choice([1e-3, 0.5, 2.0, 8.0], n)
    low = np.where(r.random(n) < 0.15, -np.inf, low)
    high = np.where(r.random(n) < 0.15, np.inf, high)
    return mean, std, low, high


# FORMAT 20-22's draws (bernoulli's threshold, beta's c of a and bits of c of b, standard_t's boost, truncated
# normal's Phi values and clamp: all per element)
DISTS.update({
    "bernoulli": (("p",), lambda r, n: (r.choice([0.0, 1e-10, 0.3, 0.5, 0.999, 1.0], n),)),
    "geometric": (("p",), lambda r, n: (r.choice([1e-12, 1e-3, 0.2, 0.5, 0.99, 1.0], n),)),
    "lognormal": (("mean", "sigma"), lambda r, n: (r.normal(0, 2, n), r.choice([0.0, 0.1, 1.0, 2.5], n))),
    "beta": (("a", "b"), lambda r, n: (r.choice([1e-3, 0.3, 0.999, 1.0, 2.0, 50.0, 1e5], n),
                                       r.choice([1e-3, 0.3, 1.0, 2.5, 40.0, 1e6], n))),
    "standard_t": (("df",), lambda r, n: (r.choice([1e-3, 0.5, 1.0, 1.9, 2.0, 3.0, 30.0, 1e6], n),)),
    "truncated_normal": (("mean", "std", "low", "high"), _trunc_normal_sample),
})
FLOAT_DISTS = ("uniform", "normal", "exponential", "gumbel", "logistic", "laplace", "lognormal")
ONE_DTYPE = {"standard_gamma": np.float64, "gamma": np.float64, "chisquare": np.float64, "poisson": np.int64,
             "binomial": np.int64, "geometric": np.int64, "beta": np.float64, "standard_t": np.float64}
# output dtype of draws that have no float dtype choice (else float64 in these tests)
FIXED = {"poisson": "int64", "binomial": "int64", "geometric": "int64", "bernoulli": "bool"}


def _tdt(torch, name, fixed=None):
    """The torch dtype a test passes for ``name``: float64, or ``fixed`` (None, or the draw's own dtype)."""
    if name not in FIXED:
        return torch.float64
    return getattr(torch, FIXED[name]) if fixed == "own" else fixed


def _raw(t):
    """A tensor's bits as integers (bool: bytes)."""
    import torch
    return t.view(torch.uint8) if t.dtype == torch.bool else t.view(torch.int64)


def _op_words(name, dtype=np.float64):
    """Words per value of the draw ``name`` with output dtype ``dtype``."""
    s = philox.Stream(0)
    names, sample = DISTS[name]
    args = [v[0].item() for v in sample(np.random.default_rng(0), 1)]
    getattr(s, name)(*args, size=1, dtype=dtype if name in FLOAT_DISTS else None)
    return s.position


def _params_for(name, n, seed=0):
    return DISTS[name][1](np.random.default_rng(seed), n)


def _scalar(name, i, arrays):
    return [a.reshape(-1)[i].item() for a in arrays]


def _bits(x):
    x = np.asarray(x)
    return x.view(np.uint64) if x.dtype == np.float64 else x


@pytest.mark.parametrize("name", DISTS)
def test_element_is_the_scalar_draw_at_its_position(name):
    """array draw[i] == scalar draw of params[i] from the position of value i."""
    n = 40
    arrays = _params_for(name, n)
    s = philox.Stream(SEED, "arr", name, position=3)
    got = getattr(s, name)(*arrays)
    k = _op_words(name)
    assert got.shape == (n,) and s.position == 3 + n * k
    want = np.array([getattr(philox.Stream(SEED, "arr", name, position=3 + i * k), name)(*_scalar(name, i, arrays),
                                                                                      size=1)[0] for i in range(n)])
    np.testing.assert_array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("name", DISTS)
def test_equal_parameters_give_the_scalar_draw(name):
    """Arrays with one value throughout give exactly the scalar draw's bits (the scalar path's CPU
    shortcuts, e.g. poisson's and binomial's tables, agree with the per-element path)."""
    n = 3000  # more than one chunk of the CPU loop
    for j in range(3):
        arrays = _params_for(name, 1, seed=j)
        full = [np.full(n, a[0]) for a in arrays]
        got = getattr(philox.Stream(SEED, id=7 + j), name)(*full)
        want = getattr(philox.Stream(SEED, id=7 + j), name)(*[a[0].item() for a in arrays], size=n)
        np.testing.assert_array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("name", DISTS)
def test_threaded_big_draw_matches_elementwise(name):
    """A draw big enough for the CPU threads and the streaming path keeps value e's parameters."""
    n = 300_000
    arrays = _params_for(name, n, seed=5)
    got = getattr(philox.Stream(SEED, "big", name), name)(*arrays)
    k = _op_words(name)
    rng = np.random.default_rng(1)
    for i in list(rng.integers(0, n, 12)) + [0, n - 1]:
        want = getattr(philox.Stream(SEED, "big", name, position=int(i) * k), name)(*_scalar(name, int(i), arrays),
                                                                                 size=1)[0]
        assert _bits(got[i]) == _bits(want), i


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(DISTS)), st.integers(0, 2 ** 64 - 1), st.integers(0, 2 ** 40), st.integers(1, 30),
       st.integers(0, 2 ** 32))
def test_law_hypothesis(name, id, position, n, pseed):
    arrays = _params_for(name, n, seed=pseed)
    k = _op_words(name)
    got = getattr(philox.Stream(SEED, id=id, position=position), name)(*arrays)
    for i in range(n):
        want = getattr(philox.Stream(SEED, id=id, position=position + i * k), name)(*_scalar(name, i, arrays),
                                                                                   size=1)[0]
        assert _bits(got[i]) == _bits(want)


def test_broadcasting_shapes():
    s = philox.Stream(SEED, "shapes")
    assert s.normal([0.0, 1.0, 2.0]).shape == (3,)
    assert s.normal(np.zeros((4, 1)), np.ones(3)).shape == (4, 3)
    assert s.normal(np.zeros(3), 1.0, size=(2, 3)).shape == (2, 3)
    assert s.gamma(np.ones((2, 1)), size=(5, 2, 4)).shape == (5, 2, 4)
    assert s.binomial([3, 4], 0.5).dtype == np.int64
    # a scalar parameter and an array one: the scalar broadcasts
    a = philox.Stream(SEED, "b").uniform(0.0, np.array([[1.0], [2.0]]), size=(2, 3))
    b = philox.Stream(SEED, "b").uniform(np.zeros((2, 3)), np.repeat([[1.0], [2.0]], 3, 1))
    np.testing.assert_array_equal(a, b)
    # a broadcast parameter gives the same values as the parameter spelled out
    x = philox.Stream(SEED, "c").gamma(np.array([0.5, 3.0]), size=(3, 2))
    y = philox.Stream(SEED, "c").gamma(np.tile([0.5, 3.0], (3, 1)))
    np.testing.assert_array_equal(x, y)


def test_zero_d_parameters_give_a_scalar():
    a = philox.Stream(SEED, "0d").gamma(np.array(2.5), np.array(2.0))
    b = philox.Stream(SEED, "0d").gamma(2.5, 2.0)
    assert np.ndim(a) == 0 and a == b
    c = philox.Stream(SEED, "0d").gamma(np.array(2.5), size=3)
    np.testing.assert_array_equal(c, philox.Stream(SEED, "0d").gamma(2.5, size=3))


def test_shape_errors_name_the_argument_and_move_nothing():
    s = philox.Stream(SEED, "err")
    with pytest.raises(ValueError, match="mean of shape \\(3,\\) does not broadcast to the output shape \\(2,\\)"):
        s.normal(np.zeros(3), 1.0, size=2)
    with pytest.raises(ValueError, match="do not broadcast together"):
        s.normal(np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match="shape of shape \\(2, 3\\) does not broadcast"):
        s.gamma(np.ones((2, 3)), size=(3,))
    assert s.position == 0


@pytest.mark.parametrize("call, match", [
    (lambda s: s.gamma([1.0, -2.0, -3.0]), "shape must be non-negative, got -2.0"),
    (lambda s: s.gamma([1.0, 2.0], [1.0, -0.5]), "scale must be non-negative, got -0.5"),
    (lambda s: s.gamma([1.0, 1e301]), "shape \\* scale must be at most"),
    (lambda s: s.standard_gamma([1.0, float("nan")]), "shape must be finite, got nan"),
    (lambda s: s.chisquare([1.0, 0.0]), "df must be positive, got 0.0"),
    (lambda s: s.poisson([1.0, 2e15]), "lam must be in \\[0, 1e\\+15\\], got 2000000000000000.0"),
    (lambda s: s.binomial([1, -1], 0.5), "n must be in \\[0, 4611686018427387904\\], got -1"),
    (lambda s: s.binomial([1, 2], [0.5, 1.5]), "p must be in \\[0, 1\\], got 1.5"),
    (lambda s: s.uniform([0.0, 2.0], [1.0, 1.0]), "low must be less than high .* low=2.0, high=1.0"),
    (lambda s: s.uniform([0.0], [np.inf]), "high must be finite, got inf"),
    (lambda s: s.uniform([-3e38], [3e38], dtype=np.float32), "high - low overflows"),
    (lambda s: s.normal([0.0], [1.0, -1.0]), "std must be non-negative, got -1.0"),
    (lambda s: s.normal([1e39], [1.0], dtype=np.float32), "mean=1e\\+39 overflows float32"),
    (lambda s: s.exponential([1.0, -1.0]), "scale must be non-negative, got -1.0"),
    (lambda s: s.laplace([0.0], [-1.0]), "scale must be non-negative, got -1.0"),
])
def test_per_element_checks(call, match):
    s = philox.Stream(SEED, "checks")
    with pytest.raises(ValueError, match=match):
        call(s)
    assert s.position == 0


@pytest.mark.parametrize("shape,scale", [(np.array([1e200]), 1e200), ([1e200, 1.0], [1e200]), ([2.0, 1e301], 1.0)])
def test_gamma_bound_check_overflows_quietly(shape, scale):
    """shape * scale past float64's range is a ValueError, with no numpy warning on the way (the
    check's reduction shortcut multiplies Python floats)."""
    s = philox.Stream(SEED, "checks", position=5)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="shape \\* scale must be at most"):
            s.gamma(shape, scale)
    assert s.position == 5


def test_type_errors():
    s = philox.Stream(SEED, "types")
    with pytest.raises(TypeError, match="n must hold ints"):
        s.binomial([1.5, 2.0], 0.5)
    with pytest.raises(TypeError, match="low must hold real numbers"):
        s.uniform(["a"], 1.0)
    with pytest.raises(TypeError, match="scale must hold real numbers"):
        s.exponential(np.array([True, False]))
    assert s.position == 0


def test_affine_boost_is_per_element():
    """gamma's shape < 1 boost (OpArgs.affine) follows each element's shape."""
    shapes = np.array([0.5, 2.0, 0.5, 2.0])
    got = philox.Stream(SEED, "boost").standard_gamma(shapes)
    for i, sh in enumerate(shapes):
        want = philox.Stream(SEED, "boost", position=4 * i).standard_gamma(float(sh), size=1)[0]
        assert got[i] == want


def test_gamma_params_array_matches_scalar():
    """The per-element constants are the scalar path's, bit for bit (both correctly rounded)."""
    shapes = np.concatenate([[0.0, 1e-300, 1e-3, 0.5, 0.999999, 1.0, 1.5, 1e6, 1e300],
                             np.random.default_rng(3).uniform(0, 50, 200)])
    a, b, c, boost = _dists.gamma_params_array(shapes, np.float64(2.0))
    for i, sh in enumerate(shapes):
        assert (sh, 2.0, c[i]) == _dists.gamma_params(float(sh), 2.0)
        assert bool(boost[i]) == (sh < 1.0)


def test_zero_size_and_region_out():
    s = philox.Stream(SEED, "zero")
    assert s.gamma(np.ones(0)).shape == (0,)
    assert s.position == 0
    full = philox.Stream(SEED, "reg").normal(np.arange(24.0).reshape(4, 6), 2.0)
    for region in ((slice(1, 3), slice(2, 5)), (slice(0, 4), slice(0, 6)), (slice(3, 4), slice(0, 6))):
        s = philox.Stream(SEED, "reg")
        part = s.normal(np.arange(24.0).reshape(4, 6), 2.0, size=(4, 6), region=region)
        np.testing.assert_array_equal(part, full[region])
        assert s.position == 24 * 2
    out = np.empty((4, 6))
    r = philox.Stream(SEED, "reg").normal(np.arange(24.0).reshape(4, 6), 2.0, out=out)
    assert r is out or np.shares_memory(r, out)
    np.testing.assert_array_equal(out, full)


@pytest.mark.parametrize("name", ["gamma", "poisson", "binomial", "uniform"])
def test_region_of_rejection_samplers(name):
    arrays = [np.broadcast_to(a.reshape(3, 1, 5)[..., :], (3, 4, 5)).copy() for a in _params_for(name, 15)]
    full = getattr(philox.Stream(SEED, "rr"), name)(*arrays)
    region = (slice(1, 3), slice(0, 4), slice(1, 4))
    part = getattr(philox.Stream(SEED, "rr"), name)(*arrays, size=(3, 4, 5), region=region)
    np.testing.assert_array_equal(_bits(part), _bits(full[region]))


def test_float_dtypes_numpy():
    for name in FLOAT_DISTS:
        for dt in (np.float32, np.float16):
            arrays = _params_for(name, 20, seed=2)
            k = _op_words(name, dt)
            got = getattr(philox.Stream(SEED, "dt"), name)(*arrays, dtype=dt)
            assert got.dtype == dt
            for i in range(20):
                want = getattr(philox.Stream(SEED, "dt", position=i * k), name)(*_scalar(name, i, arrays), size=1,
                                                                             dtype=dt)[0]
                assert got[i].tobytes() == want.tobytes(), (name, dt, i)


def test_golden():
    """Frozen values of array draws (each is also the scalar draw of its parameters, tested above)."""
    s = philox.Stream(0, "golden", "arrays")
    g = s.gamma([0.5, 2.5, 1e3], [1.0, 2.0, 0.5])
    p = s.poisson([0.5, 30.0])
    b = s.binomial([10, 10 ** 6], [0.3, 0.7])
    u = s.uniform([0.0, -1.0], [1.0, 1.0], dtype=np.float32)
    assert [v.hex() for v in g.tolist()] == GOLDEN_GAMMA
    assert p.tolist() == GOLDEN_POISSON
    assert b.tolist() == GOLDEN_BINOMIAL
    assert u.view(np.uint32).tolist() == GOLDEN_UNIFORM32


GOLDEN_GAMMA = ["0x1.88be0208f65c6p-11", "0x1.5005f9160e9bap+3", "0x1.fde2ee983524ep+8"]
GOLDEN_POISSON = [0, 28]
GOLDEN_BINOMIAL = [2, 700155]
GOLDEN_UNIFORM32 = [1045855488, 1054316924]


# ---------------------------------------------------------------- torch outputs and backends
def _torch():
    return pytest.importorskip("torch")


def test_torch_tensor_parameters_and_outputs():
    torch = _torch()
    shape = torch.tensor([0.5, 2.0, 7.0], dtype=torch.float64)
    a = philox.Stream(SEED, "t").gamma(shape, dtype=torch.float64)
    b = philox.Stream(SEED, "t").gamma(shape.numpy())
    assert isinstance(a, torch.Tensor) and a.shape == (3,)
    np.testing.assert_array_equal(a.numpy(), b)
    for dt in (torch.float32, torch.float16, torch.bfloat16):
        x = philox.Stream(SEED, "t16").normal(torch.arange(6.0), torch.ones(6), dtype=dt)
        for i in range(6):
            want = philox.Stream(SEED, "t16", position=i).normal(float(i), 1.0, size=1, dtype=dt)[0]
            assert x[i].view(torch.int16 if dt != torch.float32 else torch.int32) == \
                want.view(torch.int16 if dt != torch.float32 else torch.int32)
    out = torch.empty(3, dtype=torch.int64)
    philox.Stream(SEED, "o").poisson(torch.tensor([1.0, 50.0, 3.0]), out=out)
    np.testing.assert_array_equal(out.numpy(), philox.Stream(SEED, "o").poisson([1.0, 50.0, 3.0]))


@pytest.mark.parametrize("name", DISTS)
def test_stream_batch_rows(name):
    """On a StreamBatch the parameters broadcast to (*batch_shape, *size): a (B, 1) parameter gives each
    row its own; row b equals the row's Stream drawing with row b's parameters."""
    torch = _torch()
    B, n = 3, 7
    arrays = [a.reshape(B, n) for a in _params_for(name, B * n, seed=11)]
    parent = philox.Stream(SEED, "batch", name)
    batch = parent.fold([4, 5, 6])
    dt = _tdt(torch, name)
    got = getattr(batch, name)(*arrays, size=n, dtype=dt)
    assert tuple(got.shape) == (B, n)
    for b in range(B):
        row = parent.stream(4 + b)
        want = getattr(row, name)(*[a[b] for a in arrays])
        np.testing.assert_array_equal(_bits(got[b].numpy()), _bits(want))
    # a per-row parameter (B, 1) broadcast along the row
    col = [a[:, :1] for a in arrays]
    got = getattr(parent.fold([4, 5, 6]), name)(*col, size=n, dtype=dt)
    for b in range(B):
        want = getattr(parent.stream(4 + b), name)(*[np.repeat(a[b], n) for a in col])
        np.testing.assert_array_equal(_bits(got[b].numpy()), _bits(want))


@pytest.mark.parametrize("name", DISTS)
def test_torch_fallback_equals_cpu(name):
    torch = _torch()
    from philox import _backend
    arrays = _params_for(name, 64, seed=4)
    dt = _tdt(torch, name, "own")
    want = getattr(philox.Stream(SEED, "fb", name, position=5), name)(*arrays)
    batch_want = getattr(philox.Stream(SEED, "fbb").fold([1, 2]), name)(*[a.reshape(2, 32) for a in arrays],
                                                                        size=32, dtype=dt)
    region = (slice(1, 2), slice(3, 30))
    reg_want = getattr(philox.Stream(SEED, "fbr"), name)(*[a.reshape(2, 32) for a in arrays], size=(2, 32),
                                                         region=region, dtype=dt)
    _backend.set_backend("torch")
    try:
        got = getattr(philox.Stream(SEED, "fb", name, position=5), name)(*arrays, dtype=dt)
        batch_got = getattr(philox.Stream(SEED, "fbb").fold([1, 2]), name)(*[a.reshape(2, 32) for a in arrays],
                                                                           size=32, dtype=dt)
        reg_got = getattr(philox.Stream(SEED, "fbr"), name)(*[a.reshape(2, 32) for a in arrays], size=(2, 32),
                                                            region=region, dtype=dt)
    finally:
        _backend.set_backend("auto")
    np.testing.assert_array_equal(_bits(got.numpy()), _bits(want))
    np.testing.assert_array_equal(_bits(batch_got.numpy()), _bits(batch_want.numpy()))
    np.testing.assert_array_equal(_bits(reg_got.numpy()), _bits(reg_want.numpy()))


def _flat_params(name, arrays, code="f64"):
    """(op, elem_size, affine, flat columns) of a draw, as _params.draw builds them."""
    p = dict(zip(DISTS[name][0], [np.asarray(a) for a in arrays]))
    if name == "binomial":
        p["n"] = p["n"].astype(np.int64)
    from philox import _stream
    columns = {"uniform": _stream._uniform_columns, "normal": _stream._normal_columns,
               "exponential": _stream._exponential_columns, "gamma": _dists._gamma_columns,
               "standard_gamma": _dists._gamma_columns, "chisquare": _dists._chisquare_columns,
               "poisson": _dists._poisson_columns, "binomial": _dists._binomial_columns,
               "bernoulli": _dists._bernoulli_columns, "geometric": _dists._geometric_columns,
               "lognormal": _dists._lognormal_columns, "beta": _dists._beta_columns,
               "standard_t": _dists._standard_t_columns, "truncated_normal": _dists._trunc_normal_columns}
    if name in ("gumbel", "logistic", "laplace"):
        fn = _stream._loc_scale_columns({"f64": {"gumbel": _stream._GUMBEL, "logistic": _stream._LOGISTIC,
                                                 "laplace": _stream._LAPLACE}[name]["f64"]})
    else:
        fn = columns[name]
    op, elem_size, affine, cols = fn(code, p)
    n = len(arrays[0])
    flat = {f: _params._flat(cols[f], _params.FIELD_DTYPES[f], (n,), None) for f in cols}
    return op, elem_size, affine, flat


@pytest.mark.parametrize("name", DISTS)
@pytest.mark.parametrize("position", [0, 3, 4 * (2 ** 32 - 1) + 1])
def test_emulated_gpu_equals_cpu(name, position):
    """The CUDA kernels' code (fill_kernels.cuh, with per-element OpArgs) on the CPU equals the CPU loops,
    for several launch shapes, staged and not, and for rows."""
    torch = _torch()
    n = 45
    arrays = _params_for(name, n, seed=8)
    op, elem_size, affine, flat = _flat_params(name, arrays)
    dt = _tdt(torch, name, "own")
    want = torch.empty(n, dtype=dt)
    _core.fill_rows_params(op, 1, 2, 77, 0, 1, position >> 64, position & (2 ** 64 - 1), want.data_ptr(), n, False,
                           elem_size, affine, 0.0, 0.0, 0.0, 0, 0, _params.pointers(flat))
    ref = getattr(philox.Stream(2 << 32 | 1, id=77, position=position), name)(*arrays)
    clipped = np.clip(want.numpy(), arrays[2], arrays[3]) if name == "truncated_normal" else want.numpy()
    np.testing.assert_array_equal(_bits(clipped), _bits(ref))
    for grid, block, staged in ((1, 1, True), (3, 7, True), (2, 256, True), (3, 7, False)):
        got = torch.zeros(n, dtype=dt)
        _core._emulate_gpu_fill(op, 1, 2, 77, 0, 1, position >> 64, position & (2 ** 64 - 1), got.data_ptr(), n,
                                elem_size, affine, 0.0, 0.0, 0.0, 0, 0, grid, block, staged,
                                params=_params.pointers(flat))
        assert torch.equal(_raw(got), _raw(want)), (grid, block, staged)
    # a region: runs of the full draw, element e taking column element e
    from philox import _region
    pl = _region.plan((5, 9), _region.parse_region((slice(1, 4), slice(2, 7)), (5, 9)))
    arrays2 = _params_for(name, 45, seed=9)
    op, elem_size, affine, flat_full = _flat_params(name, arrays2)
    full = torch.empty(45, dtype=dt)
    _core.fill_rows_params(op, 1, 2, 77, 0, 1, 0, position, full.data_ptr(), 45, False, elem_size, affine,
                           0.0, 0.0, 0.0, 0, 0, _params.pointers(flat_full))
    block_idx = torch.arange(45).reshape(5, 9)[1:4, 2:7].reshape(-1).numpy()
    sub = {f: (a[block_idx].copy() if s else a, s) for f, (a, s) in flat_full.items()}
    got = torch.zeros(15, dtype=dt)
    _core._emulate_gpu_region(op, 1, 2, 77, 0, position, pl.n_full, pl.base, pl.run_len, pl.counts, pl.strides,
                              got.data_ptr(), elem_size, affine, 0.0, 0.0, 0.0, 0, 0, 3, 5,
                              params=_params.pointers(sub))
    assert torch.equal(_raw(got), _raw(full[torch.from_numpy(block_idx)]))


@pytest.mark.cuda
@pytest.mark.parametrize("name", DISTS)
def test_cuda_equals_cpu(name):
    torch = _torch()
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    arrays = _params_for(name, 5000, seed=12)
    dt = _tdt(torch, name)
    want = getattr(philox.Stream(SEED, "cuda", name, position=1), name)(*arrays)
    got = getattr(philox.Stream(SEED, "cuda", name, position=1), name)(*arrays, dtype=dt, device="cuda")
    np.testing.assert_array_equal(_bits(got.cpu().numpy()), _bits(want))
    region = (slice(10, 4000),)
    reg = getattr(philox.Stream(SEED, "cuda", name), name)(*[torch.from_numpy(np.asarray(a)).cuda() for a in arrays],
                                                           size=5000, region=region, dtype=dt, device="cuda")
    full = getattr(philox.Stream(SEED, "cuda", name), name)(*arrays)
    np.testing.assert_array_equal(_bits(reg.cpu().numpy()), _bits(full[region]))
    b = getattr(philox.Stream(SEED, "cb").fold(torch.arange(4, device="cuda")), name)(
        *[np.asarray(a)[:4].reshape(4, 1) for a in arrays], size=9, dtype=dt)
    bc = getattr(philox.Stream(SEED, "cb").fold(torch.arange(4)), name)(
        *[np.asarray(a)[:4].reshape(4, 1) for a in arrays], size=9, dtype=dt)
    np.testing.assert_array_equal(_bits(b.cpu().numpy()), _bits(bc.numpy()))


# ---------------------------------------------------------------- FORMAT 20-22's draws with array parameters
@pytest.mark.parametrize("call, match", [
    (lambda s: s.bernoulli([0.5, 1.5]), "p must be in \\[0, 1\\], got 1.5"),
    (lambda s: s.bernoulli([0.5, np.nan]), "p must be finite, got nan"),
    (lambda s: s.geometric([0.5, 0.0]), "p must be in \\(0, 1\\], got 0.0"),
    (lambda s: s.lognormal([0.0, 1.0], [1.0, -0.5]), "sigma must be non-negative, got -0.5"),
    (lambda s: s.beta([1.0, 0.0], 2.0), "a must be positive and at most 1e\\+300, got 0.0"),
    (lambda s: s.beta(1.0, [2.0, 2e300]), "b must be positive and at most 1e\\+300, got 2e\\+300"),
    (lambda s: s.standard_t([1.0, 1e-301]), "df must be in \\[1e-300, 1e\\+300\\], got 1e-301"),
    (lambda s: s.truncated_normal([0.0, 1.0], [1.0, 0.0]), "std must be positive, got 0.0"),
    (lambda s: s.truncated_normal(0.0, 1.0, [0.0, 2.0], [1.0, 2.0]), "low must be below high, got low=2.0, high=2.0"),
    (lambda s: s.truncated_normal(0.0, 1.0, [0.0, np.nan], 3.0), "low must not be NaN, got nan"),
    (lambda s: s.truncated_normal(0.0, 1.0, [-1.0], [1e39], dtype=np.float32), "high=1e\\+39 overflows float32"),
    (lambda s: s.gamma([1.0, 1e37], dtype=np.float32), "shape \\* scale must be at most 1e\\+36 for float32"),
])
def test_per_element_checks_new(call, match):
    s = philox.Stream(SEED, "checks")
    with pytest.raises(ValueError, match=match):
        call(s)
    assert s.position == 0


def test_type_errors_new():
    s = philox.Stream(SEED, "types")
    with pytest.raises(TypeError, match="p must hold real numbers"):
        s.bernoulli(np.array([True, False]))
    with pytest.raises(TypeError, match="beta draws float64 values only"):
        s.beta([1.0, 2.0], 2.0, dtype=np.float32)
    with pytest.raises(TypeError, match="truncated_normal draws float32 or float64"):
        s.truncated_normal([0.0, 1.0], dtype=np.float16)
    with pytest.raises(TypeError, match="high must hold real numbers"):
        s.truncated_normal(0.0, 1.0, -1.0, ["x"])
    assert s.position == 0


def test_truncated_normal_clamps_each_element_to_its_own_bounds():
    """Tight intervals far out in the tails, on both sides of the mean: every value in its own [low, high],
    also in float32 (bounds rounded to float32) and in a region."""
    low = np.array([-40.0, 5.0, 37.0, -1e-3, 0.0, 8.2])
    high = low + np.array([1e-9, 1e-6, 1.0, 2e-3, np.inf, 1e-12])
    for dt in (np.float64, np.float32):
        x = philox.Stream(SEED, "tn").truncated_normal(0.0, 1.0, low, high, size=(50, 6), dtype=dt)
        lo, hi = low.astype(dt), high.astype(dt)
        assert x.dtype == dt and np.all((x >= lo) & (x <= hi))
        region = (slice(3, 9), slice(1, 5))
        part = philox.Stream(SEED, "tn").truncated_normal(0.0, 1.0, low, high, size=(50, 6), dtype=dt, region=region)
        np.testing.assert_array_equal(part, x[region])


def test_float32_outputs_of_one_dtype_draws():
    """gamma's float32 (op gamma_f32) and truncated_normal's float32 with array parameters: the scalar draws."""
    for name, arrays in (("gamma", (np.array([0.01, 0.5, 3.0, 1e4]), np.array([1.0, 2.0, 1e-3, 7.0]))),
                         ("chisquare", (np.array([0.1, 3.0, 1e5]),)),
                         ("truncated_normal", _trunc_normal_sample(np.random.default_rng(5), 30))):
        got = getattr(philox.Stream(SEED, "f32", name), name)(*arrays, dtype=np.float32)
        k = 1 if name == "truncated_normal" else 4  # words per float32 value
        assert got.dtype == np.float32
        for i in range(len(arrays[0])):
            want = getattr(philox.Stream(SEED, "f32", name, position=i * k), name)(*_scalar(name, i, arrays),
                                                                                size=1, dtype=np.float32)[0]
            assert got[i].tobytes() == want.tobytes(), (name, i)


def test_golden_new():
    """Frozen values of the array draws of FORMAT 20-22 (each also the scalar draw, tested above)."""
    s = philox.Stream(0, "golden", "arrays", "new")
    bern = s.bernoulli([0.0, 0.5, 0.5, 0.9, 1.0])
    geo = s.geometric([1.0, 0.5, 1e-3])
    logn = s.lognormal([0.0, 3.0], [1.0, 0.5])
    be = s.beta([0.5, 2.0, 1e-3], [0.5, 3.0, 4.0])
    t = s.standard_t([1.0, 0.5, 30.0])
    tn = s.truncated_normal([0.0, 1.0], [1.0, 2.0], [-2.0, 6.0], [2.0, np.inf])
    assert bern.tolist() == GOLDEN_BERNOULLI
    assert geo.tolist() == GOLDEN_GEOMETRIC
    assert [v.hex() for v in logn.tolist()] == GOLDEN_LOGNORMAL
    assert [v.hex() for v in be.tolist()] == GOLDEN_BETA
    assert [v.hex() for v in t.tolist()] == GOLDEN_STANDARD_T
    assert [v.hex() for v in tn.tolist()] == GOLDEN_TRUNC_NORMAL


def test_bernoulli_tensor_parameters_give_bool_tensors():
    torch = _torch()
    p = torch.tensor([[0.1], [0.9]], dtype=torch.float32)
    got = philox.Stream(SEED, "bt").bernoulli(p, size=(2, 5), device="cpu")
    assert got.dtype == torch.bool and tuple(got.shape) == (2, 5)
    want = philox.Stream(SEED, "bt").bernoulli(p.numpy(), size=(2, 5))
    np.testing.assert_array_equal(got.numpy(), want)


GOLDEN_BERNOULLI = [False, True, True, True, True]
GOLDEN_GEOMETRIC = [1, 1, 1391]
GOLDEN_LOGNORMAL = ["0x1.5547a2168173cp+1", "0x1.5c84c045d8c75p+4"]
GOLDEN_BETA = ["0x1.1e8ca2926943fp-2", "0x1.35aee6c8fbea9p-2", "0x1.0dcb35ab9c166p-986"]
GOLDEN_STANDARD_T = ["0x1.083229b57c99fp+0", "0x1.8076b41951884p-1", "0x1.adc7126bf2237p+0"]
GOLDEN_TRUNC_NORMAL = ["-0x1.54458d29665bfp-1", "0x1.9bf477e815943p+2"]


# ---------------------------------------------------------------- the array-parameter passes (issue 11)
# csrc/cpu/params_impl.h runs array-parameter draws in passes: runs of >= 128 equal parameter sets through
# the scalar path, poisson / binomial / gamma / beta with per-element constants (both algorithms in one
# chunk: lock-step inversion, PTRS / BTRS, first retries gathered), the rest through the generic loop.
# Each element must equal the scalar draw of its parameters at its position, on every instruction set:
# the layouts mix varied stretches, short runs and long runs crossing the 512-value chunks, at
# positions with every lane.
PV_N = 1500


def _pv_layout(rng, nsets, n=PV_N):
    """Indices into `nsets` parameter sets: varied stretches, short runs (< 128) and long ones."""
    out = []
    while len(out) < n:
        kind = rng.integers(3)
        v = int(rng.integers(nsets))
        if kind == 0:
            out += list(rng.integers(0, nsets, int(rng.integers(1, 300))))
        elif kind == 1:
            out += [v] * int(rng.integers(128, 400))
        else:
            out += [v] * int(rng.integers(2, 128))
    return np.array(out[:n])


def _pv_sets(*choices):
    return list(itertools.product(*choices))


# name -> (draw(s, *arrays), draw(s, *scalars, size), parameter sets, which parameters are arrays)
PV_CASES = {
    "poisson": (lambda s, lam: s.poisson(lam), lambda s, lam, size: s.poisson(lam, size=size),
                _pv_sets([0.0, 0.5, 4.0, 9.99, 10.0, 13.5, 37.0, 1e3, 1e6, 1e12]), (0,)),
    "binomial": (lambda s, n, p: s.binomial(n, p), lambda s, n, p, size: s.binomial(n, p, size=size),
                 _pv_sets([0, 1, 7, 16, 20, 26, 27, 40, 1000, 2 ** 40], [0.0, 0.01, 0.375, 0.5, 0.6, 0.92, 1.0]),
                 (0, 1)),
    "binomial_n": (lambda s, n, p: s.binomial(n, p), lambda s, n, p, size: s.binomial(n, p, size=size),
                   _pv_sets([0, 3, 16, 26, 27, 28, 40, 90, 1000], [0.375]), (0,)),
    "binomial_p": (lambda s, n, p: s.binomial(n, p), lambda s, n, p, size: s.binomial(n, p, size=size),
                   _pv_sets([16], [0.0, 0.3, 0.5, 0.55, 0.625, 0.7, 1.0]), (1,)),
    "standard_gamma": (lambda s, a: s.standard_gamma(a), lambda s, a, size: s.standard_gamma(a, size=size),
                       _pv_sets([0.0, 1e-3, 0.3, 0.999, 1.0, 2.5, 40.0, 1e6]), (0,)),
    "gamma": (lambda s, a, b: s.gamma(a, b), lambda s, a, b, size: s.gamma(a, b, size=size),
              _pv_sets([0.05, 0.7, 1.0, 3.3, 1e4], [0.5, 2.0]), (0, 1)),
    "gamma_shape": (lambda s, a, b: s.gamma(a, b), lambda s, a, b, size: s.gamma(a, b, size=size),
                    _pv_sets([0.05, 0.7, 1.0, 3.3, 1e4], [2.0]), (0,)),
    "gamma_f32": (lambda s, a, b: s.gamma(a, b, dtype=np.float32),
                  lambda s, a, b, size: s.gamma(a, b, size=size, dtype=np.float32),
                  _pv_sets([0.05, 0.7, 1.0, 3.3, 1e4], [0.5, 2.0]), (0, 1)),
    "beta": (lambda s, a, b: s.beta(a, b), lambda s, a, b, size: s.beta(a, b, size=size),
             _pv_sets([1e-3, 0.3, 0.999, 1.0, 2.0, 50.0, 1e5], [1e-3, 0.5, 1.0, 2.5, 1e6]), (0, 1)),
    "beta_a": (lambda s, a, b: s.beta(a, b), lambda s, a, b, size: s.beta(a, b, size=size),
               _pv_sets([1e-3, 0.3, 1.0, 2.0, 50.0], [2.5]), (0,)),
    "standard_t": (lambda s, df: s.standard_t(df), lambda s, df, size: s.standard_t(df, size=size),
                   _pv_sets([1e-3, 0.5, 1.9, 2.0, 3.0, 30.0, 1e6]), (0,)),
    "normal": (lambda s, m, sd: s.normal(m, sd), lambda s, m, sd, size: s.normal(m, sd, size=size),
               _pv_sets([-1.0, 0.0, 3.0], [0.5, 1.0]), (0, 1)),
    "exponential": (lambda s, sc: s.exponential(sc), lambda s, sc, size: s.exponential(sc, size=size),
                    _pv_sets([0.5, 1.0, 7.0]), (0,)),
}


@pytest.mark.parametrize("position", [4 * 2 ** 32 - 9, 1, 6])
@pytest.mark.parametrize("case", sorted(PV_CASES))
def test_param_passes_match_scalar_draws(isa, case, position):
    draw, scalar, sets, arr = PV_CASES[case]
    rng = np.random.default_rng(abs(hash((case, position))) % 2 ** 32)
    lay = _pv_layout(rng, len(sets))
    args = []
    for k in range(len(sets[0])):
        col = np.array([sets[i][k] for i in lay])
        args.append(col if k in arr else sets[0][k])
    s = philox.Stream(SEED, "pv", case, position=position)
    got = draw(s, *args)
    want = np.empty_like(got)
    for i, t in enumerate(sets):  # a parameter given as a scalar has one value in every set
        sel = lay == i
        if sel.any():
            r = philox.Stream(SEED, "pv", case, position=position)
            w = scalar(r, *t, PV_N)
            want[sel] = w[sel]
            assert s.position == r.position
    assert np.array_equal(np.asarray(got).view(np.uint8), np.asarray(want).view(np.uint8))


@pytest.mark.parametrize("name", ["poisson", "binomial", "gamma", "beta", "standard_t"])
def test_region_of_long_rows_with_row_parameters(name):
    """A (rows, 600) draw with one parameter set per row (runs of 600 through the scalar path, cut by
    the region into runs of their own) and per-element columns: the region is the full draw's block."""
    rng = np.random.default_rng(11)
    rows = 5
    params = {"poisson": ([rng.choice([3.0, 40.0], (rows, 1))], None),
              "binomial": ([rng.choice([16, 300], (rows, 1)), rng.choice([0.375, 0.7], (rows, 1))], None),
              "gamma": ([rng.choice([0.5, 2.5], (rows, 1)), np.ones((rows, 1))], None),
              "beta": ([rng.choice([0.5, 2.0], (rows, 1)), rng.choice([3.0, 0.2], (rows, 1))], None),
              "standard_t": ([rng.choice([1.0, 5.0], (rows, 1))], None)}[name][0]
    for ps in (params, [np.broadcast_to(p, (rows, 600)).copy() for p in params]):
        full = getattr(philox.Stream(SEED, "rl", name), name)(*ps, size=(rows, 600))
        for region in ((slice(1, 4), slice(0, 600)), (slice(0, 5), slice(3, 590)), (slice(2, 3), slice(100, 101))):
            part = getattr(philox.Stream(SEED, "rl", name), name)(*ps, size=(rows, 600), region=region)
            np.testing.assert_array_equal(_bits(part), _bits(full[region]))
        for r in range(rows):  # each row is the scalar draw of its parameters from the row's position
            k = _op_words(name)
            want = getattr(philox.Stream(SEED, "rl", name, position=r * 600 * k), name)(
                *[np.asarray(p).reshape(rows, -1)[r, 0].item() for p in ps], size=600)
            np.testing.assert_array_equal(_bits(full[r]), _bits(want))


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(sorted(PV_CASES)), st.integers(0, 2 ** 32 - 1), st.integers(0, 2 ** 66 - 8 * 700))
def test_param_passes_law_hypothesis(case, layout_seed, position):
    """Any layout of runs and varied stretches, any position: each element is its scalar draw."""
    draw, scalar, sets, arr = PV_CASES[case]
    lay = _pv_layout(np.random.default_rng(layout_seed), len(sets), 700)
    args = [np.array([sets[i][k] for i in lay]) if k in arr else sets[0][k] for k in range(len(sets[0]))]
    got = draw(philox.Stream(SEED, "pvh", position=position), *args)
    for i in np.unique(lay):
        w = scalar(philox.Stream(SEED, "pvh", position=position), *sets[i], 700)
        sel = lay == i
        assert np.array_equal(np.asarray(got)[sel].view(np.uint8), np.asarray(w)[sel].view(np.uint8))


def test_parameter_arrays_are_left_as_they_were():
    """Columns passed to the loops without a copy (fresh output) are only read."""
    rng = np.random.default_rng(3)
    shape, lam, n = rng.uniform(0.2, 5, 2000), rng.uniform(0, 30, 2000), rng.integers(0, 80, 2000)
    saved = [x.copy() for x in (shape, lam, n)]
    s = philox.Stream(SEED, "ro")
    s.standard_gamma(shape), s.poisson(lam), s.binomial(n, 0.3), s.beta(shape, shape[::-1].copy())
    for x, y in zip((shape, lam, n), saved):
        np.testing.assert_array_equal(x, y)
