"""Stream.choice: words used, reference equality (alias table, exponential keys), errors, statistics."""
import math

import numpy as np
import pytest
from scipy import stats

import philox
import reference as R
from helpers import BAD_DEVICE_ERROR
from philox._choice import alias_table


def _sid(*p):
    return philox.stream_id(*p)


def test_uniform_with_replacement_is_randint():
    a = philox.Stream(1, "c").choice(10, size=(3, 4))
    assert a.shape == (3, 4)
    assert np.array_equal(a.reshape(-1), philox.Stream(1, "c").randint(0, 10, size=12))
    s = philox.Stream(1, "c")
    s.choice(2 ** 40, size=5)
    assert s.position == 20


def test_without_replacement_is_the_permutation_prefix():
    s = philox.Stream(2, "c")
    got = s.choice(1000, size=10, replace=False)
    assert s.position == 12
    assert np.array_equal(got, philox.Stream(2, "c").permutation(1000)[:10])
    big = philox.Stream(2, "c").choice(10 ** 15, size=1000, replace=False)  # O(size)
    assert np.unique(big).size == 1000 and big.max() < 10 ** 15
    w = R.words(2, _sid("c"), 0, 12)
    assert np.array_equal(big, R.ref_permutation(w, 10 ** 15, 0, 1, 1000))


def test_weighted_with_replacement_matches_reference():
    p = np.array([0.1, 0.0, 0.25, 0.15, 0.5])
    s = philox.Stream(3, "w", position=2)
    got = s.choice(5, size=200, p=p)
    assert s.position == 2 + 4 * 200
    prob, alias = R.ref_alias_table(p)
    cp, ca = alias_table(p)
    assert cp.tolist() == prob and ca.tolist() == alias
    exp = R.ref_alias_draws(R.words(3, _sid("w"), 2, 800), prob, alias)
    assert np.array_equal(got, exp)
    assert 1 not in got.tolist()


def test_weighted_alias_random_weights_match_reference():
    rng = np.random.default_rng(0)
    for m in (1, 2, 3, 17, 200):
        p = rng.random(m) ** 3
        p[rng.random(m) < 0.2] = 0
        if p.sum() == 0:
            p[0] = 1
        p = p / p.sum()
        prob, alias = R.ref_alias_table(p)
        cp, ca = alias_table(p)
        assert cp.tolist() == prob and ca.tolist() == alias


def test_weighted_without_replacement_matches_reference():
    p = np.array([0.05, 0.3, 0.0, 0.2, 0.15, 0.3])
    s = philox.Stream(4, "e")
    got = s.choice(6, size=4, replace=False, p=p)
    assert s.position == 12  # 2 words per population element
    w = R.words(4, _sid("e"), 0, 12)
    assert np.array_equal(got, R.ref_weighted_order(w, p, 4))
    assert 2 not in got.tolist() and np.unique(got).size == 4
    rng = np.random.default_rng(1)
    p = rng.random(5000)
    p /= p.sum()
    got = philox.Stream(4, "e2").choice(5000, size=30, replace=False, p=p)  # partial selection path
    w = R.words(4, _sid("e2"), 0, 10000)
    assert np.array_equal(got, R.ref_weighted_order(w, p, 30))


def test_array_population_and_scalars():
    a = np.array(["x", "y", "z"])
    v = philox.Stream(5).choice(a)
    assert v in a and np.ndim(v) == 0
    rows = philox.Stream(5).choice(np.arange(12).reshape(6, 2), size=3, replace=False)
    assert rows.shape == (3, 2)
    assert philox.Stream(5).choice(["a", "b"], size=0).shape == (0,)


def test_torch_population_and_device():
    torch = pytest.importorskip("torch")
    t = torch.arange(10) * 2
    got = philox.Stream(6).choice(t, size=4, replace=False)
    assert isinstance(got, torch.Tensor)
    idx = philox.Stream(6).choice(10, size=4, replace=False)
    assert got.tolist() == (2 * idx).tolist()
    d = philox.Stream(6).choice(10, size=4, replace=False, device="cpu")
    assert isinstance(d, torch.Tensor) and d.tolist() == idx.tolist()
    d2 = philox.Stream(6).choice(10, size=4, p=[0.1] * 10, device="cpu")
    assert d2.tolist() == philox.Stream(6).choice(10, size=4, p=[0.1] * 10).tolist()


def test_weighted_frequencies():
    p = np.array([0.5, 0.2, 0.2, 0.1])
    got = philox.Stream(7).choice(4, size=100000, p=p)
    assert stats.chisquare(np.bincount(got, minlength=4), 100000 * p).pvalue > 1e-4
    # without replacement, size 1: first pick has probability p_i
    firsts = np.array([philox.Stream(s).choice(4, size=1, replace=False, p=p)[0] for s in range(20000)])
    assert stats.chisquare(np.bincount(firsts, minlength=4), 20000 * p).pvalue > 1e-4


@pytest.mark.parametrize("kw, exc", [
    (dict(a=0, size=1), ValueError),
    (dict(a=-1), ValueError),
    (dict(a=True), TypeError),
    (dict(a=np.array(3.0)), ValueError),
    (dict(a=5, size=6, replace=False), ValueError),
    (dict(a=5, size=-1), ValueError),
    (dict(a=5, size=2.0), TypeError),
    (dict(a=5, replace="no"), TypeError),
    (dict(a=3, p=[0.5, 0.5]), ValueError),
    (dict(a=3, p=[0.5, 0.6, -0.1]), ValueError),
    (dict(a=3, p=[0.5, float("nan"), 0.5]), ValueError),
    (dict(a=3, p=[0.5, float("inf"), 0.5]), ValueError),
    (dict(a=3, p=[0.0, 0.0, 0.0]), ValueError),
    (dict(a=3, p=[0.3, 0.3, 0.3]), ValueError),
    (dict(a=3, p=[[0.3, 0.3, 0.4]]), ValueError),
    (dict(a=3, p=["a", 0.5, 0.5]), TypeError),
    (dict(a=3, size=3, replace=False, p=[0.5, 0.5, 0.0]), ValueError),
    (dict(a=3, device="nonsense"), BAD_DEVICE_ERROR),
])
def test_errors_leave_position(kw, exc):
    s = philox.Stream(0, "ce", position=9)
    a = kw.pop("a")
    with pytest.raises(exc):
        s.choice(a, **kw)
    assert s.position == 9


def test_error_messages_name_the_argument():
    s = philox.Stream(0)
    with pytest.raises(ValueError, match="p must sum to 1"):
        s.choice(3, p=[0.3, 0.3, 0.3])
    with pytest.raises(ValueError, match="size 6 larger than the population"):
        s.choice(5, size=6, replace=False)
    with pytest.raises(ValueError, match="p must have the population's length 3"):
        s.choice(3, p=[1.0])


def test_p_sum_tolerance_like_numpy():
    p = np.array([0.5, 0.5 + 1e-9])
    philox.Stream(0).choice(2, p=p)  # accepted (numpy accepts it too)
    np.random.default_rng(0).choice(2, p=p)
    assert math.isclose(p.sum(), 1, abs_tol=1e-8)
