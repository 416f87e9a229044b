"""Draws that fail for want of memory leave the position alone (issue 10, defect 4): the
indices are allocated before the permutation's key (12 words) is taken."""
import numpy as np
import pytest

import philox

CASES = [
    ("permutation(10**13)", lambda s: s.permutation(10 ** 13), MemoryError),
    ("permutation(2**63 - 1)", lambda s: s.permutation(2 ** 63 - 1), ValueError),
    ("permutation(10**13, dtype=int64)", lambda s: s.permutation(10 ** 13, dtype=np.int64), MemoryError),
    ("choice(10**13, size=10**13, replace=False)", lambda s: s.choice(10 ** 13, size=10 ** 13, replace=False),
     MemoryError),
    ("choice(10**14, size=(0, 10**30), replace=False)",
     lambda s: s.choice(10 ** 14, size=(0, 10 ** 30), replace=False), ValueError),
    ("choice(10, size=10**13)", lambda s: s.choice(10, size=10 ** 13), MemoryError),
]


@pytest.mark.parametrize("what, call, exc", CASES, ids=[c[0] for c in CASES])
def test_failed_allocation_moves_nothing(what, call, exc):
    s = philox.Stream(4, "fail")
    s.position = 40
    with pytest.raises(exc):
        call(s)
    assert s.position == 40, what
    # and the next draw is the one that would have come without the failed call
    assert np.array_equal(s.permutation(10), philox.Stream(4, "fail", position=40).permutation(10))


def test_torch_permutation_failure_moves_nothing():
    torch = pytest.importorskip("torch", reason="a tensor permutation needs torch")
    s = philox.Stream(4, "fail")
    with pytest.raises(MemoryError):
        s.permutation(10 ** 13, device="cpu")
    with pytest.raises(MemoryError):
        s.permutation(10 ** 13, dtype=torch.int64)
    assert s.position == 0


def test_choice_of_an_array_allocates_the_sample_first():
    s = philox.Stream(4, "fail")
    rows = np.zeros((10, 1000))  # a sample of 10**9 rows of 8 KB cannot be allocated
    with pytest.raises(MemoryError):
        s.choice(rows, size=10 ** 9)
    with pytest.raises(MemoryError):
        s.choice(rows, size=10 ** 9, p=np.full(10, 0.1))
    assert s.position == 0
