"""Adversarial edges of the draws merged together (review): bad inputs of every kind raise TypeError /
ValueError naming the argument before the position moves; the C fast paths (Stream.rand / randn /
randint) equal the generic draws at odd positions, for subclasses and unpickled streams; regions,
out= and the new distributions' supports. Regression tests for the defects found are marked by
the defect in their docstring."""
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import philox
from philox import Stream
from philox import functional as F

END = 2 ** 66


def _raises(s, exc, match, f):
    p0 = s.position
    with pytest.raises(exc, match=match):
        f()
    assert s.position == p0


# ---------------------------------------------------------------- defect 1: threshold(p) on huge ints / numpy scalars
@pytest.mark.parametrize("p", [10 ** 400, -10 ** 400])
def test_bernoulli_huge_int_p_is_value_error(p):
    """Defect: an int beyond float64's range raised OverflowError (from float(p)) in
    functional.threshold, so Stream.bernoulli, functional.bernoulli and dropout's p check did too."""
    s = Stream(3, id=4, position=5)
    _raises(s, ValueError, "p must be", lambda: s.bernoulli(p, size=3))
    with pytest.raises(ValueError, match="p must be"):
        F.threshold(p)


@pytest.mark.parametrize("p", [10 ** 400, np.float32(0.3), np.int64(1)])
def test_functional_bernoulli_and_dropout_p(p):
    """The same defect in functional.bernoulli and keyed dropout, which check p by threshold."""
    torch = pytest.importorskip("torch", reason="functional.bernoulli and dropout draw torch tensors")
    from philox.nn.functional import dropout
    if isinstance(p, int) and p > 1:
        with pytest.raises(ValueError, match="p must be"):
            F.bernoulli(p, 3, seed=1)
        with pytest.raises(ValueError, match="p must be"):
            dropout(torch.ones(3), p, seed=1)
    else:
        assert torch.equal(F.bernoulli(p, 16, seed=2), F.bernoulli(float(p), 16, seed=2))
        assert torch.equal(dropout(torch.ones(16), p, seed=2), dropout(torch.ones(16), float(p), seed=2))


@pytest.mark.parametrize("p", [np.float32(0.3), np.float16(0.5), np.int64(1), np.uint8(0), np.float64(0.25)])
def test_threshold_takes_numpy_real_scalars(p):
    """Defect: functional.threshold refused numpy float32 / integer scalars (TypeError) while
    Stream.bernoulli took them (converting first): every other probability takes numpy scalars."""
    assert F.threshold(p) == F.threshold(float(p))
    assert np.array_equal(Stream(2, id=3).bernoulli(p, 16), Stream(2, id=3).bernoulli(float(p), 16))


@pytest.mark.parametrize("p", [np.bool_(True), True, np.array(0.5), "0.5", None, 0.5j])
def test_threshold_refuses_non_reals(p):
    with pytest.raises(TypeError, match="p must be"):
        F.threshold(p)


# ---------------------------------------------------------------- defect 2: categorical's list logits
@pytest.mark.parametrize("logits, exc", [(["a", "b"], TypeError), ([[1.0], [1.0, 2.0]], ValueError),
                                         ([object(), 1.0], TypeError)])
def test_categorical_bad_list_names_logits(logits, exc):
    """Defect: a list numpy cannot read as floats raised numpy's own error ("could not convert
    string to float", "inhomogeneous shape"), which does not name ``logits``."""
    s = Stream(1, id=2, position=7)
    _raises(s, exc, "logits", lambda: s.categorical(logits))


# ---------------------------------------------------------------- defect 3: dirichlet's alpha of no sequence type
@pytest.mark.parametrize("alpha", [None, {1.0, 2.0}, object(), np.float32(1.0)])
def test_dirichlet_non_sequence_alpha_is_type_error(alpha):
    """Defect: alpha=None, a set or an object (numpy reads them as a 0-d object array) was a
    ValueError about its shape; it is not a sequence of numbers at all: TypeError."""
    s = Stream(1, id=2, position=3)
    _raises(s, TypeError, "alpha", lambda: s.dirichlet(alpha, size=2))


# ---------------------------------------------------------------- bad inputs: every new draw, position unchanged
BAD_SCALARS = [(float("nan"), ValueError), (float("inf"), ValueError), (-float("inf"), ValueError),
               (True, TypeError), (np.bool_(False), TypeError), ("1", TypeError), (None, TypeError),
               (1j, TypeError), (10 ** 400, ValueError)]

DRAWS = {
    "geometric.p": lambda s, v: s.geometric(v, size=3),
    "lognormal.mean": lambda s, v: s.lognormal(v, 1.0, size=3),
    "lognormal.sigma": lambda s, v: s.lognormal(0.0, v, size=3),
    "beta.a": lambda s, v: s.beta(v, 1.0, size=3),
    "beta.b": lambda s, v: s.beta(1.0, v, size=3),
    "standard_t.df": lambda s, v: s.standard_t(v, size=3),
    "truncated_normal.mean": lambda s, v: s.truncated_normal(v, 1.0, size=3),
    "truncated_normal.std": lambda s, v: s.truncated_normal(0.0, v, size=3),
    "gamma.shape": lambda s, v: s.gamma(v, 1.0, size=3),
    "gamma.scale": lambda s, v: s.gamma(1.0, v, size=3),
    "poisson.lam": lambda s, v: s.poisson(v, size=3),
    "binomial.p": lambda s, v: s.binomial(3, v, size=3),
    "bernoulli.p": lambda s, v: s.bernoulli(v, size=3),
}


@pytest.mark.parametrize("draw", sorted(DRAWS))
@pytest.mark.parametrize("value, exc", BAD_SCALARS, ids=repr)
def test_bad_scalar_parameter(draw, value, exc):
    s = Stream(9, "bad", position=2 ** 64 + 3)
    name = draw.split(".")[1]
    _raises(s, exc, name, lambda: DRAWS[draw](s, value))


@pytest.mark.parametrize("bound", ["low", "high"])
@pytest.mark.parametrize("value, exc", [(float("nan"), ValueError), (True, TypeError), (None, TypeError),
                                        (10 ** 400, ValueError), ("0", TypeError)], ids=repr)
def test_truncated_normal_bad_bound(bound, value, exc):
    s = Stream(9, "tn", position=11)
    _raises(s, exc, bound, lambda: s.truncated_normal(**{bound: value}, size=2))


@pytest.mark.parametrize("size, exc", [(-1, ValueError), (True, TypeError), (3.0, TypeError), ((2, -1), ValueError),
                                       (np.array(3), TypeError), (2 ** 70, ValueError), ((2 ** 40, 2 ** 40), ValueError)],
                         ids=repr)
@pytest.mark.parametrize("draw", ["bernoulli", "geometric", "beta", "standard_t", "truncated_normal", "lognormal",
                                  "standard_cauchy", "dirichlet"])
def test_bad_size(draw, size, exc):
    s = Stream(9, "size", position=5)
    calls = {"bernoulli": lambda: s.bernoulli(0.5, size=size), "geometric": lambda: s.geometric(0.5, size=size),
             "beta": lambda: s.beta(1.0, 2.0, size=size), "standard_t": lambda: s.standard_t(2.0, size=size),
             "truncated_normal": lambda: s.truncated_normal(size=size), "lognormal": lambda: s.lognormal(size=size),
             "standard_cauchy": lambda: s.standard_cauchy(size=size),
             "dirichlet": lambda: s.dirichlet([1.0, 2.0], size=size)}
    _raises(s, exc, "size", calls[draw])


@pytest.mark.parametrize("draw, call", [
    ("beta", lambda s: s.beta(1.0, 1.0, size=3)), ("standard_t", lambda s: s.standard_t(1.0, size=3)),
    ("truncated_normal", lambda s: s.truncated_normal(size=3)), ("geometric", lambda s: s.geometric(0.5, size=3)),
    ("dirichlet", lambda s: s.dirichlet([1.0, 1.0], size=1)), ("categorical", lambda s: s.categorical(np.zeros(3))),
    ("gamma", lambda s: s.gamma(np.array([1.0, 2.0, 3.0])))])
def test_past_the_end_moves_nothing(draw, call):
    s = Stream(1, id=2, position=END - 5)  # 6 words or more each
    _raises(s, ValueError, "2\\*\\*66|leaves", lambda: call(s))


# ---------------------------------------------------------------- supports, never NaN, on extreme parameters
@pytest.mark.parametrize("a, b", [(1e-300, 1e-300), (1e300, 1e300), (1e-300, 1e300), (1e300, 1e-300), (0.5, 1e-7)])
def test_beta_extreme_shapes_in_unit_interval(a, b):
    x = Stream(4, "beta").beta(a, b, size=500)
    assert not np.isnan(x).any() and (x >= 0).all() and (x <= 1).all()


@pytest.mark.parametrize("df", [1e-300, 1e-10, 0.5, 1e300])
def test_standard_t_extreme_df_never_nan(df):
    assert not np.isnan(Stream(4, "t").standard_t(df, size=500)).any()


@pytest.mark.parametrize("low, high", [(50.0, 60.0), (-60.0, -50.0), (1.0, 1.0 + 1e-15), (-1e38, 1e38),
                                       (-np.inf, -40.0), (38.0, np.inf), (0.0, np.inf)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_truncated_normal_within_bounds(low, high, dtype):
    x = Stream(4, "tn").truncated_normal(0.0, 1.0, low, high, size=300, dtype=dtype)
    lo, hi = (np.float32(low), np.float32(high)) if dtype is np.float32 else (low, high)
    assert not np.isnan(x).any() and (x >= lo).all() and (x <= hi).all()


@pytest.mark.parametrize("p", [5e-324, 1e-300, 1e-20, 1e-10, 0.5, 1.0 - 2 ** -53, 1.0])
def test_geometric_support(p):
    x = Stream(4, "g").geometric(p, size=300)
    assert x.dtype == np.int64 and (x >= 1).all()
    if p == 1.0:
        assert (x == 1).all()


@pytest.mark.parametrize("mean, sigma", [(1000.0, 1.0), (-1000.0, 1.0), (0.0, 1e308), (-1e308, 1e308)])
def test_lognormal_extremes_never_nan(mean, sigma):
    for dt in (np.float64, np.float32, np.float16):
        x = Stream(4, "ln").lognormal(mean, sigma, size=100, dtype=dt)
        assert not np.isnan(x).any() and (x >= 0).all()


def test_dirichlet_tiny_alphas_rows_sum_to_one():
    x = Stream(4, "d").dirichlet([1e-300] * 6, size=50)
    assert not np.isnan(x).any() and np.allclose(x.sum(-1), 1.0)


# ---------------------------------------------------------------- categorical on edge logits
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_edge_logits(dtype):
    s = Stream(5, "cat")
    inf = np.inf
    big = float(np.finfo(dtype).max)
    logits = np.array([[inf, inf, 0.0], [-inf, 0.0, -inf], [-inf, -inf, inf], [big, big, -big],
                       [-1e30, -1e30, -1e30]], dtype=dtype)
    x = s.categorical(logits)
    assert x.dtype == np.int64 and x[0] == 0 and x[1] == 1 and x[2] == 2 and x[3] in (0, 1) and 0 <= x[4] < 3
    p0 = s.position
    bad = np.array([[0.0, np.nan], [-inf, -inf]], dtype)
    with pytest.raises(ValueError, match="logits row"):
        s.categorical(bad)
    assert s.position == p0
    assert s.categorical(bad, check=False).tolist() == [-1, -1]


# ---------------------------------------------------------------- C fast paths vs the generic draws
POSITIONS = [0, 1, 2 ** 64 - 3, 2 ** 64 - 1, 2 ** 64, END - 9, END - 4, END - 2, END - 1, END]

FAST_CALLS = [
    lambda s: s.rand(), lambda s: s.rand(3), lambda s: s.rand(0), lambda s: s.randn(), lambda s: s.randn(5),
    lambda s: s.rand(3, dtype=np.float32), lambda s: s.randn(2, dtype="float16"), lambda s: s.rand(2, dtype=np.int64),
    lambda s: s.rand(-1), lambda s: s.rand(True), lambda s: s.rand(2 ** 70), lambda s: s.rand(2, dtype=[1]),
    lambda s: s.randint(10), lambda s: s.randint(-5, 5, 3), lambda s: s.randint(0), lambda s: s.randint(5, 5),
    lambda s: s.randint(-2 ** 63, 2 ** 63 - 1, 4), lambda s: s.randint(2 ** 63, size=2),
    lambda s: s.randint(0, 2 ** 32, size=2), lambda s: s.randint(0, 2 ** 32 + 1, size=2), lambda s: s.randint(True),
    lambda s: s.randint(10, None, 3), lambda s: s.randint(10, size=-1), lambda s: s.randint(3, low=3),
    lambda s: s.randint(1, 2, 3, None, None, None, None, None)]


def _outcome(f, s):
    try:
        r = f(s)
    except (TypeError, ValueError) as e:
        return ("error", type(e), str(e)), s.position
    return ("value", type(r), np.asarray(r).dtype, np.asarray(r).tolist()), s.position


@pytest.mark.parametrize("pos", POSITIONS)
@pytest.mark.parametrize("call", range(len(FAST_CALLS)))
def test_fast_paths_equal_generic_near_the_end(pos, call):
    f = FAST_CALLS[call]
    fast = Stream(5, id=9, position=pos)
    slow = Stream(5, id=9, position=pos)
    slow._small_ok = False
    assert _outcome(f, fast) == _outcome(f, slow)


class _Sub(Stream):
    """A subclass with its own state (the fast paths live in the C base)."""


@given(pos=st.one_of(st.integers(0, 64), st.integers(END - 64, END)), n=st.integers(0, 20),
       which=st.sampled_from(["rand", "randn", "randint"]))
@settings(max_examples=60, deadline=None)
def test_subclass_and_pickled_stream_fast_paths(pos, n, which):
    ref = Stream(7, "a", 2, position=pos)
    ref._small_ok = False
    sub = pickle.loads(pickle.dumps(_Sub(7, "a", 2, position=pos)))
    assert type(sub) is _Sub and sub == ref
    call = {"rand": lambda s: s.rand(n), "randn": lambda s: s.randn(n), "randint": lambda s: s.randint(-3, 1000, n)}
    assert _outcome(call[which], sub) == _outcome(call[which], ref)


# ---------------------------------------------------------------- defect 4: out= aliasing an array parameter
_ALIAS_SCRIPT = r"""
import numpy as np
from philox import Stream
rng = np.random.default_rng(1)
shape = rng.choice([0.05, 0.3, 1.0, 7.5, 30.0], 400)
cases = {
    "gamma": (lambda s, v, **k: s.gamma(v, **k), shape),
    "standard_gamma": (lambda s, v, **k: s.standard_gamma(v, **k), shape),
    "chisquare": (lambda s, v, **k: s.chisquare(v, **k), shape),
    "gamma_scale": (lambda s, v, **k: s.gamma(0.2, v, **k), shape),
    "exponential": (lambda s, v, **k: s.exponential(v, **k), shape),
    "normal": (lambda s, v, **k: s.normal(v, 1.0, **k), shape),
    "poisson": (lambda s, v, **k: s.poisson(v, **k), rng.choice([0, 3, 30, 10 ** 6], 400)),
    "binomial": (lambda s, v, **k: s.binomial(v, 0.3, **k), rng.choice([0, 5, 1000, 10 ** 9], 400)),
}
try:
    import torch
except ImportError:
    torch = None
for name, (f, v) in cases.items():
    ref = f(Stream(3, "alias"), v)
    x = v.copy()
    f(Stream(3, "alias"), x, out=x)
    assert np.array_equal(x, ref), name
    if torch is not None:
        xt = torch.from_numpy(v.copy())
        f(Stream(3, "alias"), xt, out=xt)
        assert np.array_equal(xt.numpy(), ref), name + " (torch)"
print("ok")
"""


def test_out_aliasing_an_array_parameter():
    """Defect: ``s.gamma(x, out=x)`` hung (an endless retry loop) and could give other values than
    ``s.gamma(x)``: the parameter column was the caller's array itself, which the fill overwrote
    while a rejected element's retry still read its shape. The columns are now copies. Run in a
    subprocess with a timeout, so a regression fails instead of hanging the suite."""
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", _ALIAS_SCRIPT], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


# ---------------------------------------------------------------- region= and out= equal the full draw
REGION_DRAWS = {
    "bernoulli": lambda s, **k: s.bernoulli(0.3, **k),
    "geometric": lambda s, **k: s.geometric(0.01, **k),
    "standard_cauchy": lambda s, **k: s.standard_cauchy(dtype=np.float32, **k),
    "lognormal": lambda s, **k: s.lognormal(0.5, 2.0, **k),
    "beta": lambda s, **k: s.beta(0.5, 2.0, **k),
    "standard_t": lambda s, **k: s.standard_t(0.7, **k),
    "gamma_f32": lambda s, **k: s.gamma(0.3, 2.0, dtype=np.float32, **k),
    "truncated_normal": lambda s, **k: s.truncated_normal(1.0, 2.0, -1.0, 4.0, **k),
    "truncated_normal_f32": lambda s, **k: s.truncated_normal(1.0, 2.0, 3.0, 40.0, dtype=np.float32, **k),
    "gamma_array": lambda s, **k: s.gamma(np.array([[0.1], [30.0]]), np.array([1.0, 2.0, 3.0]), **k),
    "binomial_array": lambda s, **k: s.binomial(np.array([[3], [1000]]), np.array([0.5, 0.01, 0.9]), **k),
}


@given(name=st.sampled_from(sorted(REGION_DRAWS)), r0=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       r1=st.tuples(st.integers(0, 3), st.integers(0, 3)), pos=st.sampled_from([0, 5, 2 ** 64 - 3, END - 200]))
@settings(max_examples=60, deadline=None)
def test_region_and_out_equal_the_full_draw(name, r0, r1, pos):
    f = REGION_DRAWS[name]
    reg = (slice(min(r0), max(r0)), slice(min(r1), max(r1)))
    s1 = Stream(3, id=5, position=pos)
    full = f(s1, size=(2, 3))
    s2 = Stream(3, id=5, position=pos)
    assert np.array_equal(f(s2, size=(2, 3), region=reg), full[reg]) and s2.position == s1.position
    s3 = Stream(3, id=5, position=pos)
    o = np.empty(full[reg].shape, full.dtype)
    f(s3, size=(2, 3), region=reg, out=o)
    assert np.array_equal(o, full[reg]) and s3.position == s1.position
