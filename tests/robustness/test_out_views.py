"""out= views that cannot hold a draw (issue 10, defects 5 and 6): torch's lazily conjugated or
negated views, and outputs whose elements share memory. Each is a ValueError naming ``out`` before
the position moves; strided outputs whose elements are distinct (interleaved strides included)
still work and equal the draw."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import as_strided

import philox
from philox._output import _overlapping


def _offsets_overlap(shape, strides, itemsize):
    """Brute force: do two elements' byte ranges intersect?"""
    if 0 in shape:
        return False
    idx = np.indices(shape).reshape(len(shape), -1).T
    offs = sorted(int(np.dot(i, strides)) for i in idx)
    return any(b - a < itemsize for a, b in zip(offs, offs[1:]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-48, 48)), min_size=1, max_size=4),
       st.sampled_from([1, 2, 4, 8]))
def test_overlap_test_is_exact(dims, itemsize):
    shape = tuple(n for n, _ in dims)
    strides = tuple(s for _, s in dims)
    assert _overlapping(shape, strides, itemsize) == _offsets_overlap(shape, strides, itemsize)


def test_numpy_self_overlapping_out_is_refused():
    s = philox.Stream(1, "o")
    base = np.zeros(64)
    for out in (as_strided(base, (5, 5), (8, 8)),        # the case
                as_strided(base, (4, 3), (8, 0)),        # a zero stride
                as_strided(base, (3, 4), (16, 8))):      # rows overlap by two elements
        with pytest.raises(ValueError, match="out .*share memory"):
            s.rand(out=out)
        with pytest.raises(ValueError, match="out .*share memory"):
            s.randint(0, 3, out=out.view(np.int64))
    assert s.position == 0 and not base.any()


def test_numpy_distinct_strided_out_equals_the_draw():
    base = np.zeros(64)
    out = as_strided(base, (5, 4), (8, 40))  # interleaved strides, no two elements alike
    got = philox.Stream(1, "o").rand(out=out)
    assert got is out
    assert np.array_equal(out, philox.Stream(1, "o").rand(5, 4))



@pytest.fixture
def T():
    return pytest.importorskip("torch", reason="torch out= views")


def test_torch_conj_and_neg_views_are_refused(T):
    s = philox.Stream(1, "t")
    neg = T.zeros(1, dtype=T.complex64).conj().imag  # the case: contiguous, the negative bit
    assert neg.is_neg() and neg.is_contiguous()
    for out in (neg, T.zeros(4, dtype=T.complex64).conj().imag):  # (and a strided one)
        with pytest.raises(ValueError, match="out is a lazily negated view"):
            s.rand(out=out)
        with pytest.raises(ValueError, match="out is a lazily negated view"):
            s.normal(2.0, 1.0, out=out)
    with pytest.raises(ValueError, match="out is a lazily negated view"):
        s.fold(T.arange(2)).rand(2, out=T.zeros(2, 2, dtype=T.complex64).conj().imag)
    assert s.position == 0 and not neg.any()
    plain = neg.resolve_neg()
    assert philox.Stream(1, "t").rand(out=plain) is plain and plain.item() > 0


def test_torch_self_overlapping_out_is_refused(T):
    s = philox.Stream(1, "t")
    base = T.zeros(64)
    for out in (base.as_strided((5, 5), (1, 1)),   # the case (torch cannot tell: "too hard")
                base.as_strided((3, 4), (2, 1)),
                T.zeros(3).expand(4, 3)):           # an expand view (torch says: overlaps)
        with pytest.raises(ValueError, match="out .*share memory"):
            s.rand(out=out)
        with pytest.raises(ValueError, match="out .*share memory"):
            s.fold(T.arange(out.shape[0])).rand(out.shape[1], out=out)
    assert s.position == 0 and not base.any()
    out = base.as_strided((5, 4), (1, 5))  # distinct elements, not contiguous
    assert T.equal(philox.Stream(1, "t").rand(out=out), philox.Stream(1, "t").rand(5, 4, dtype=T.float32))


def test_shuffle_refuses_self_overlapping_input():
    s = philox.Stream(1, "sh")
    base = np.arange(16.0)
    with pytest.raises(ValueError, match="x .*share memory"):
        s.shuffle(as_strided(base, (5, 5), (8, 8)))
    assert s.position == 0 and np.array_equal(base, np.arange(16.0))
    x = as_strided(np.arange(40.0), (5, 4), (8, 40))  # distinct elements, interleaved strides
    want = x[philox.Stream(1, "sh").permutation(5)]
    s.shuffle(x)
    assert np.array_equal(x, want)


def test_torch_shuffle_refuses_self_overlapping_input(T):
    s = philox.Stream(1, "sh")
    base = T.arange(16.0)
    with pytest.raises(ValueError, match="x .*share memory"):
        s.shuffle(base.as_strided((5, 5), (1, 1)))  # torch's own check cannot tell ("too hard")
    assert s.position == 0 and T.equal(base, T.arange(16.0))
    x = T.arange(40.0).as_strided((5, 4), (1, 5))
    want = x[T.from_numpy(philox.Stream(1, "sh").permutation(5))]
    s.shuffle(x)
    assert T.equal(x, want)
    w = T.arange(6.0, requires_grad=True)  # permutation of a tensor that needs grad keeps its graph
    philox.Stream(1, "g").permutation(w).sum().backward()
    assert T.equal(w.grad, T.ones(6))
