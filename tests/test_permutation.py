"""The keyed bijection on [0, n) (docs/FORMAT.md 6) and Stream.permutation / shuffle.

Bijection: exhaustive for every n up to 3000, around every power of two up to 2**20, sampled up to
2**63 - 1; the C++ path equals the independent reference (tests/reference.py), on every
instruction set and thread count, and the torch mirror equals the C++ path. Uniformity: all 24
orders of n = 4 and all 120 of n = 5 over 10**5 seeds (chi-square).
"""
import itertools
import math
import pathlib
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import philox
import reference as R
from helpers import BAD_DEVICE_ERROR
from philox import _core
from philox._permutation import perm_indices

MAXN = 2 ** 63 - 1


def _words(seed, k=0):
    return philox.Stream(seed, "perm-test", k).random_raw(12)


def _perm(words, n, start=0, step=1, count=None):
    count = n if count is None else count
    out = np.empty(count, np.int64)
    _core.perm_fill(words, n, start, step, out, False)
    return out


def test_constants():
    assert _core.PERM_WORDS == R.PERM_WORDS == 12
    assert _core.PERM_SMALL_MAX == R.PERM_SMALL_MAX == 20
    assert _core.PERM_ROUNDS == 12


def test_exhaustive_every_n_up_to_3000():
    for n in range(1, 3001):
        p = _perm(_words(n), n)
        assert np.array_equal(np.sort(p), np.arange(n)), n


def test_around_every_power_of_two_up_to_2_20():
    for k in range(1, 21):
        for n in (2 ** k - 1, 2 ** k, 2 ** k + 1):
            p = _perm(_words(n, 1), n)
            assert np.bincount(p, minlength=n).max() == 1 and p.min() == 0 and p.max() == n - 1, n


@pytest.mark.parametrize("n", [2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 10 ** 12, 2 ** 40 + 7,
                               2 ** 62 + 1, 2 ** 63 - 25, MAXN])
def test_large_n_sampled(n):
    w = _words(n, 2)
    # the last 2**16 indices, a stride through the whole range, and random indices: in range, distinct
    parts = [_perm(w, n, n - 2 ** 16, 1, 2 ** 16), _perm(w, n, 3, n // 5000, 5000)]
    rng = np.random.default_rng(n % 1000)
    idx = np.unique(rng.integers(0, n, 20000, dtype=np.int64))
    got = np.array([_perm(w, n, int(i), 1, 1)[0] for i in idx[:2000]])
    parts.append(got)
    allv = np.concatenate(parts)
    assert allv.min() >= 0 and allv.max() < n
    # distinct inputs give distinct outputs (the three input sets are disjoint up to coincidences)
    for p in parts:
        assert np.unique(p).size == p.size
    # the Feistel pass itself is a bijection of [0, 2^b): invert-free check on a window via cycle walk
    b = (n - 1).bit_length()
    xs = np.arange(2 ** b - 4096, 2 ** b, dtype=np.uint64)
    ys = _core.perm_feistel(w, n, xs)
    assert np.unique(ys).size == xs.size and int(ys.max()) < 2 ** b


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 19, 20, 21, 22, 31, 32, 33, 100, 1000, 4097, 65535,
                               2 ** 32 + 3, 10 ** 15, MAXN])
def test_matches_reference(n):
    for k in range(3):
        w = _words(n, 10 + k)
        count = min(n, 300)
        start = 0 if n <= 300 else n // 3
        step = 1 if n <= 300 else max(1, (n - start - 1) // count)
        assert np.array_equal(_perm(w, n, start, step, count), R.ref_permutation(w, n, start, step, count)), n


def test_feistel_pass_matches_reference():
    for n in (21, 1000, 2 ** 33 + 1, MAXN):
        w = _words(n, 3)
        xs = np.arange(0, 2 ** ((n - 1).bit_length()), max(1, 2 ** ((n - 1).bit_length()) // 500), dtype=np.uint64)
        ref = R.RefPerm(w, n)
        assert [ref.E(int(x)) for x in xs] == _core.perm_feistel(w, n, xs).tolist()


def test_every_isa_and_thread_count_agree(isa, num_threads):
    n = 300_001
    w = _words(5)
    ref = None
    for t in (1, 2, 3):
        philox.set_num_threads(t)
        got = _perm(w, n)
        ref = got if ref is None else ref
        assert np.array_equal(got, ref)
    assert np.array_equal(ref[::997], R.ref_permutation(w, n, 0, 997, len(ref[::997])))


def test_torch_mirror_matches_cpp():
    torch = pytest.importorskip("torch")
    from philox._permute_torch import perm_indices_torch
    for n in (1, 5, 20, 21, 64, 1000, 2 ** 32 + 1, 10 ** 18, MAXN):
        w = _words(n, 4)
        count = min(n, 5000)
        start, step = (0, 1) if n <= 5000 else (n // 7, (n - n // 7 - 1) // count)
        t = perm_indices_torch(w, n, start, step, count, torch.device("cpu"))
        assert t.dtype == torch.int64
        assert np.array_equal(t.numpy(), _perm(w, n, start, step, count)), n


def _order_counts(n, seeds):
    fact = math.factorial(n)
    counts = np.zeros(fact, np.int64)
    # rank of each order in lexicographic order
    perms = {p: i for i, p in enumerate(itertools.permutations(range(n)))}
    for s in range(seeds):
        counts[perms[tuple(philox.Stream(s).permutation(n).tolist())]] += 1
    return counts


@pytest.mark.parametrize("n", [4, 5])
def test_small_n_uniform_chi_square(n):
    counts = _order_counts(n, 10 ** 5)
    assert counts.min() > 0
    assert stats.chisquare(counts).pvalue > 1e-4


@pytest.mark.parametrize("n", [21, 33, 64])
def test_feistel_small_widths_uniform(n):
    # the narrowest Feistel networks (halves of 2..3 bits): first element and order of the first two
    s = philox.Stream(7, "feistel-uniform", n)
    a = np.empty(40000, np.int64)
    b = np.empty(40000, np.int64)
    for i in range(a.size):
        p = s.permutation(n)
        a[i], b[i] = p[0], p[-1]
    assert stats.chisquare(np.bincount(a, minlength=n)).pvalue > 1e-4
    assert stats.chisquare(np.bincount(b, minlength=n)).pvalue > 1e-4
    z = (np.mean(a < b) - 0.5) / (0.5 / math.sqrt(a.size))
    assert abs(z) < 4.5


# ------------------------------------------------------------------------------------------------ Stream API
def test_permutation_int_consumes_12_words_and_is_split_free():
    s = philox.Stream(3, "p")
    a = s.permutation(10)
    assert s.position == 12 and a.dtype == np.int64 and sorted(a.tolist()) == list(range(10))
    b = s.permutation(10 ** 6)
    assert s.position == 24
    w = philox.Stream(3, "p", position=12).random_raw(12)
    assert np.array_equal(b, _perm(w, 10 ** 6))
    s.permutation(0)
    assert s.position == 36


def test_permutation_matches_reference_words():
    s = philox.Stream(11, "q", position=5)
    w = R.words(11, philox.stream_id("q"), 5, 12)
    assert np.array_equal(s.permutation(50), R.ref_permutation(w, 50))


def test_permutation_of_arrays_and_lists():
    x = np.arange(20).reshape(10, 2)
    p = philox.Stream(1).permutation(x)
    order = philox.Stream(1).permutation(10)
    assert np.array_equal(p, x[order]) and p.shape == (10, 2)
    assert np.array_equal(philox.Stream(1).permutation(list(range(10))), order)
    assert philox.Stream(1).permutation(np.empty((0, 3))).shape == (0, 3)


def test_permutation_dtype():
    a = philox.Stream(1).permutation(300, dtype=np.int16)
    assert a.dtype == np.int16 and np.array_equal(a, philox.Stream(1).permutation(300))


def test_shuffle_numpy_list_tensor():
    order = philox.Stream(2).permutation(8)
    x = np.arange(16).reshape(8, 2)
    philox.Stream(2).shuffle(x)
    assert np.array_equal(x, np.arange(16).reshape(8, 2)[order])
    lst = list("abcdefgh")
    philox.Stream(2).shuffle(lst)
    assert lst == [list("abcdefgh")[i] for i in order]
    torch = pytest.importorskip("torch")
    t = torch.arange(8) * 3
    philox.Stream(2).shuffle(t)
    assert t.tolist() == [3 * i for i in order]


def test_permutation_torch_device_cpu():
    torch = pytest.importorskip("torch")
    t = philox.Stream(4).permutation(1000, device="cpu")
    assert isinstance(t, torch.Tensor) and t.dtype == torch.int64
    assert np.array_equal(t.numpy(), philox.Stream(4).permutation(1000))
    t16 = philox.Stream(4).permutation(1000, device="cpu", dtype=torch.int16)
    assert t16.dtype == torch.int16 and t16.tolist() == t.tolist()
    x = torch.arange(30).reshape(10, 3)
    assert torch.equal(philox.Stream(4).permutation(x), x[torch.from_numpy(philox.Stream(4).permutation(10))])


@pytest.mark.parametrize("call, exc", [
    (lambda s: s.permutation(-1), ValueError),
    (lambda s: s.permutation(2 ** 63), ValueError),
    (lambda s: s.permutation(1.5), ValueError),  # a 0-d array
    (lambda s: s.permutation(True), TypeError),
    (lambda s: s.permutation(np.float64(3)), ValueError),
    (lambda s: s.permutation(5, dtype=np.float32), TypeError),
    (lambda s: s.permutation(300, dtype=np.int8), ValueError),
    (lambda s: s.permutation(np.arange(3), dtype=np.int8), TypeError),
    (lambda s: s.permutation(5, device="nonsense"), BAD_DEVICE_ERROR),
    (lambda s: s.shuffle((1, 2, 3)), TypeError),
    (lambda s: s.shuffle(np.array(5)), ValueError),
    (lambda s: s.shuffle(np.arange(3).setflags(write=False) or None), TypeError),
])
def test_errors_leave_position(call, exc):
    s = philox.Stream(0, "err", position=7)
    with pytest.raises(exc):
        call(s)
    assert s.position == 7


def test_shuffle_read_only_array():
    s = philox.Stream(0, position=3)
    a = np.arange(4)
    a.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        s.shuffle(a)
    assert s.position == 3


def test_perm_fill_checks_indices():
    w = _words(0)
    with pytest.raises(ValueError):
        _core.perm_fill(w, 10, 5, 1, np.empty(6, np.int64), False)
    with pytest.raises(ValueError):
        _core.perm_fill(w[:5], 10, 0, 1, np.empty(2, np.int64), False)
    with pytest.raises(ValueError):
        _core.perm_fill(w, 0, 0, 1, np.empty(0, np.int64), False)
    assert perm_indices(w, 10).tolist() == _perm(w, 10).tolist()


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_bijection_compiles_as_device_code(tmp_path):
    root = pathlib.Path(__file__).resolve().parents[1]
    cmd = ["nvcc", "--fmad=false", "-std=c++17", "-I", str(root / "csrc"), "-c",
           str(root / "tests" / "cuda" / "perm_check.cu"), "-o", str(tmp_path / "perm_check.o")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr


@pytest.mark.cuda
def test_cuda_device_matches_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    for n in (4, 20, 21, 1000, 10 ** 6 + 3):
        a = philox.Stream(9, "cuda").permutation(n, device="cuda")
        assert a.device.type == "cuda"
        assert np.array_equal(a.cpu().numpy(), philox.Stream(9, "cuda").permutation(n))
    x = torch.arange(50, device="cuda")
    philox.Stream(9).shuffle(x)
    assert x.cpu().tolist() == philox.Stream(9).permutation(50).tolist()
    c = philox.Stream(9).choice(10 ** 12, size=100, replace=False, device="cuda")
    assert c.cpu().tolist() == philox.Stream(9).choice(10 ** 12, size=100, replace=False).tolist()


# ------------------------------------------------------------------------------------------------ properties

@settings(max_examples=300, deadline=None)
@given(n=st.one_of(st.integers(1, 300), st.integers(1, MAXN)), seed=st.integers(0, 2 ** 64 - 1), data=st.data())
def test_any_n_any_index_matches_reference_and_is_injective(n, seed, data):
    w = philox.Stream(seed, "hyp").random_raw(12)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1))
    ref = R.RefPerm(w, n)
    pi, pj = _perm(w, n, i, 1, 1)[0], _perm(w, n, j, 1, 1)[0]
    assert 0 <= pi < n and pi == ref(i) and pj == ref(j)
    assert (pi == pj) == (i == j)
