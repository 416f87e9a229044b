"""The pure-torch fallback (src/philox/_torch_fallback.py) equals the C++ CPU kernels bit for bit.

Run on CPU tensors (CI has no GPU): every op and dtype, affine parameters, unaligned positions,
the block counter carrying past 2**32, the end of the stream, per-row ids and id folds. The
fallback is the implementation that serves every non-CUDA device and CUDA without the compiled
module, and it is written independently of the C++ loops (int64 tensor arithmetic).
"""
import os
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import philox
from philox import _backend, _core
from philox import _torch_fallback as F

from backend_cases import CASES, POSITIONS, U64, as_ids, assert_same_bits, cpu_fill, end_position

K0, K1, ID = 0x12345678, 0x9ABCDEF0, 0xFEDCBA9876543210


def fb_fill(case, k0, k1, id, position, n, ids=None):
    rows = 1 if ids is None else ids.numel()
    out = torch.zeros(rows * n, dtype=case.dtype)
    F.fill(out, case.op, k0, k1, id if ids is None else ids, position, *case.args())
    return out


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("position", POSITIONS)
def test_fallback_equals_cpu(case, position):
    n = 37
    assert_same_bits(fb_fill(case, K0, K1, ID, position, n), cpu_fill(case, K0, K1, ID, position, n), case.name)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_fallback_rows_and_end_of_stream(case):
    ids = as_ids([0, 1, U64 - 1, ID, 12345])
    n = 9
    for pos in (3, end_position(case, n)):
        assert_same_bits(fb_fill(case, K0, K1, 0, pos, n, ids), cpu_fill(case, K0, K1, 0, pos, n, ids), case.name)


@pytest.mark.parametrize("name", ["randn_f32", "randn_f64", "uniform_f16", "randint_0_18446744073709551616_int64"])
def test_fallback_chunks(name, monkeypatch):
    """Draws bigger than one chunk of the fallback give the same values as one piece."""
    from backend_cases import CASE_BY_NAME
    case = CASE_BY_NAME[name]
    monkeypatch.setattr(F, "_CHUNK_WORDS", 64)
    ids = as_ids([5, 6])
    assert_same_bits(fb_fill(case, K0, K1, 0, 1, 300, ids), cpu_fill(case, K0, K1, 0, 1, 300, ids), name)


@settings(max_examples=40, deadline=None)
@given(case=st.sampled_from(CASES), seed=st.integers(0, U64 - 1), id=st.integers(0, U64 - 1),
       n=st.integers(1, 70), pos=st.integers(0, 1 << 66))
def test_fallback_equals_cpu_anywhere(case, seed, id, n, pos):
    pos = min(pos, end_position(case, n))
    k0, k1 = seed & 0xFFFFFFFF, seed >> 32
    assert_same_bits(fb_fill(case, k0, k1, id, pos, n), cpu_fill(case, k0, k1, id, pos, n), case.name)


def test_fallback_fold_ids():
    index = torch.tensor([0, 1, 2, 2 ** 63 - 1, 77])
    for parent in (0, ID, U64 - 1):
        want = torch.tensor([_core.fold(parent, int(v), 0) for v in index], dtype=torch.uint64).view(torch.int64)
        assert torch.equal(F.fold_ids(index, parent), want)


def test_fallback_block_function_matches_kat_core():
    rng = np.random.default_rng(3)
    ctr = rng.integers(0, 2 ** 32, size=(200, 4), dtype=np.uint64)
    key = rng.integers(0, 2 ** 32, size=(200, 2), dtype=np.uint64)
    want = philox.philox4x32(ctr.astype(np.uint32), key.astype(np.uint32)).astype(np.int64)
    for i in range(0, 200, 50):  # the fallback takes one key per call
        x = [torch.from_numpy(ctr[i:i + 1, j].astype(np.int64)) for j in range(4)]
        y = F.philox4x32_10(*x, int(key[i, 0]), int(key[i, 1]))
        assert [int(t) for t in y] == want[i].tolist()


def _nearest_f32(s: str) -> float:
    """The float32 nearest to the decimal s (as a C float literal), exactly."""
    fr = Fraction(s)
    x = np.float32(float(fr))
    cands = [np.nextafter(x, np.float32(-np.inf)), x, np.nextafter(x, np.float32(np.inf))]
    return float(min(cands, key=lambda c: abs(Fraction(float(c)) - fr)))


def test_float32_constants_equal_c_literals():
    """Python floats rounded to float32 equal philox.h's float literals (no double rounding)."""
    lits = ["5.9109374720e+01", "1.5929113202e+02", "5.0434271938e+01", "3.3871327179e+00", "6.7187563600e+01",
            "7.8757757664e+01", "1.7895169469e+01", "1.7023821103e-01", "1.3067284816e+00", "2.7568153900e+00",
            "1.4234372777e+00", "1.2021132975e-01", "7.3700164250e-01", "0.180625", "1.6", "-0.425",
            "0.33333333333333333", "0.2", "0.14285714285714285", "0.11111111111111111", "1.428606765330187e-06"]
    consts = F._A32 + F._B32[:3] + F._C32 + F._D32[:2] + [F._C32_CENTRE_R, F._C32_TAIL_S, F._C32_SPLIT] + F._C_LOG32
    consts.append(F._c32(1.428606765330187e-06))
    for s, c in zip(lits, consts):
        assert c == _nearest_f32(s), s


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sqrt_is_correctly_rounded(dtype):
    """torch.sqrt is not correctly rounded on every device; the fallback's corrected sqrt is."""
    rng = np.random.default_rng(4)
    npdt = np.float32 if dtype == torch.float32 else np.float64
    x = np.concatenate([rng.uniform(0.5, 30, 200_000), 2.0 ** np.arange(-30, 30),
                        np.nextafter(2.0 ** np.arange(-30, 30), 0), [1.0, 2.0, 4.0, 0.6931471805599453]]).astype(npdt)
    fn = F.sqrt_f32 if dtype == torch.float32 else F.sqrt_f64
    got = fn(torch.from_numpy(x)).numpy()
    assert np.array_equal(got.view(np.uint8), np.sqrt(x).view(np.uint8))


def test_stream_api_through_the_fallback(torch_backend):
    """Stream draws on CPU tensors through the forced fallback equal the C++ path (numpy)."""
    for make in (lambda s: s.rand(50, dtype=torch.float32), lambda s: s.randn(7, 3, dtype=torch.float64),
                 lambda s: s.uniform(-2, 3, size=40, dtype=torch.bfloat16),
                 lambda s: s.normal(1, 2, size=33, dtype=torch.float16),
                 lambda s: s.randint(-5, 2 ** 40, size=21, device="cpu"), lambda s: s.random_raw(9, dtype=torch.int64)):
        s = philox.Stream(9, "x", position=5)
        got = make(s)
        assert s.position > 5
        _backend.set_backend("auto")
        want = make(philox.Stream(9, "x", position=5))
        _backend.set_backend("torch")
        assert_same_bits(got, want)


def test_fallback_noncontiguous_out(torch_backend):
    out = torch.zeros(6, 8)[:, ::2]
    philox.Stream(3).rand(out=out)
    _backend.set_backend("auto")
    assert torch.equal(out, philox.Stream(3).rand(6, 4, dtype=torch.float32))


def test_set_backend_refuses_unknown():
    with pytest.raises(ValueError, match="backend"):
        _backend.set_backend("cuda-please")


def test_environment_variable_forces_the_fallback(tmp_path):
    # PHILOX_BACKEND=torch is read at import: a fresh process draws through the fallback, with the
    # same bits as this process's C++ kernels
    import subprocess
    import sys
    code = ("import philox, torch, sys\nfrom philox import _backend\nassert _backend.get_backend() == 'torch'\n"
            "s = philox.Stream(9, 'env', position=3)\n"
            "x = [s.rand(5, dtype=torch.float32), s.randint(-7, 2 ** 40, size=4, dtype=torch.int64),\n"
            "     s.fold(torch.arange(3)).uniform(1, 2, size=2, dtype=torch.bfloat16)]\n"
            "torch.save(x, sys.argv[1])\n")
    path = tmp_path / "x.pt"
    env = dict(os.environ, PHILOX_BACKEND="torch")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env, timeout=120)
    got = torch.load(path)
    s = philox.Stream(9, "env", position=3)
    want = [s.rand(5, dtype=torch.float32), s.randint(-7, 2 ** 40, size=4, dtype=torch.int64),
            s.fold(torch.arange(3)).uniform(1, 2, size=2, dtype=torch.bfloat16)]
    assert all(torch.equal(a, b) for a, b in zip(got, want))


@pytest.mark.parametrize("name", ["randn_f64", "randint_0_18446744073709551616_int64", "rand_bf16"])
def test_fallback_chunks_many_short_rows(name, monkeypatch):
    """More rows than one chunk holds: rows are chunked too (a 10**7-row batch made one chunk of
    10**7 * k words of int64 temporaries), with the same values."""
    from backend_cases import CASE_BY_NAME
    case = CASE_BY_NAME[name]
    seen = []  # words per chunk: rows x words per row
    words = F._words
    monkeypatch.setattr(F, "_CHUNK_WORDS", 16)
    # _words(k0, k1, ids, position, count)
    monkeypatch.setattr(F, "_words", lambda *a: seen.append(a[2].shape[0] * a[4]) or words(*a))
    ids = as_ids(list(range(40)))
    assert_same_bits(fb_fill(case, K0, K1, 0, 3, 5, ids), cpu_fill(case, K0, K1, 0, 3, 5, ids), case.name)
    assert max(seen) <= 16 and len(seen) > 1


def test_fallback_fold_ids_in_chunks(monkeypatch):
    idx = torch.arange(50, dtype=torch.int64).reshape(5, 10) * 977 - 3
    whole = F.fold_ids(idx, 2 ** 64 - 9)
    monkeypatch.setattr(F, "_CHUNK_WORDS", 7)
    assert torch.equal(F.fold_ids(idx, 2 ** 64 - 9), whole)
    assert torch.equal(F.fold_ids(idx.t(), 2 ** 64 - 9), whole.t())  # a non-contiguous index
