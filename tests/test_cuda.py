"""CUDA: the compiled module and the torch fallback on a GPU give the CPU's bits (skipped without a GPU).

Every test here is marked ``cuda`` (``pytest -m cuda``); tests/conftest.py skips them where torch
sees no GPU. benchmarks/gpu_check.sh runs them on a GPU machine.
"""
import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
from philox import _backend  # noqa: E402

from backend_cases import CASES, POSITIONS, U64, as_ids, assert_same_bits, cpu_fill, end_position  # noqa: E402

pytestmark = pytest.mark.cuda
K0, K1, ID = 0x13579BDF, 0x2468ACE0, 0x0123456789ABCDEF


@pytest.fixture(scope="module")
def cuda_mod():
    mod = _backend.cuda_module()
    if mod is None:
        pytest.fail("philox._cuda is not built or sees no device on a machine with a GPU "
                    "(reinstall with nvcc on PATH: pip install -e .; python -m philox info tells)")
    return mod


def _device_fill(case, pos, n, ids=None, size_extra=0):
    rows = 1 if ids is None else ids.numel()
    out = torch.zeros(rows * n + size_extra, dtype=case.dtype, device="cuda")[:rows * n]
    _backend.fill(out, case.op, K0, K1, ID if ids is None else ids.cuda(), pos, *case.args())
    return out


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("position", POSITIONS)
def test_cuda_equals_cpu(cuda_mod, case, position):
    for n in (1, 45, 100_003):
        assert_same_bits(_device_fill(case, position, n), cpu_fill(case, K0, K1, ID, position, n), f"{case} n={n}")


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_cuda_rows_and_end(cuda_mod, case):
    ids = as_ids([0, 1, U64 - 1, ID, 99, 100, 101])
    for n, pos in ((13, 3), (1000, 4 * (2 ** 32 - 3) + 1), (7, end_position(case, 7))):
        got = torch.zeros(ids.numel() * n, dtype=case.dtype, device="cuda")
        _backend.fill(got, case.op, K0, K1, ids.cuda(), pos, *case.args())
        assert_same_bits(got, cpu_fill(case, K0, K1, 0, pos, n, ids), f"{case} n={n} pos={pos}")


@pytest.mark.parametrize("case", CASES[::3], ids=repr)
def test_fallback_on_cuda_equals_compiled(cuda_mod, case, torch_backend):
    got = _device_fill(case, 5, 3001)
    _backend.set_backend("auto")
    assert_same_bits(got, _device_fill(case, 5, 3001), case.name)


def test_values_independent_of_tensor_size(cuda_mod):
    s = philox.Stream(1, "size")
    big = s.randn(1 << 20, device="cuda", dtype=torch.float32)
    for n in (1, 3, 1000, 65537):
        assert torch.equal(philox.Stream(1, "size").randn(n, device="cuda", dtype=torch.float32), big[:n])


def test_stream_api_cuda_equals_cpu(cuda_mod):
    for draw in (lambda s, d: s.rand(4097, device=d, dtype=torch.float16),
                 lambda s, d: s.uniform(-1, 7, size=(33, 17), device=d, dtype=torch.float64),
                 lambda s, d: s.normal(3, 2, size=999, device=d, dtype=torch.bfloat16),
                 lambda s, d: s.randint(-9, 2 ** 50, size=777, device=d),
                 lambda s, d: s.random_raw(555, device=d, dtype=torch.int64)):
        a = draw(philox.Stream(3, "api", position=1), "cuda")
        b = draw(philox.Stream(3, "api", position=1), "cpu")
        assert a.device.type == "cuda"
        assert_same_bits(a, b)


def test_out_in_place_cuda(cuda_mod):
    out = torch.empty(64, 32, device="cuda")
    r = philox.Stream(4).rand(out=out)
    assert r is out and torch.equal(out.cpu(), philox.Stream(4).rand(64, 32, dtype=torch.float32))
    nc = torch.zeros(64, 64, device="cuda")[:, ::2]
    philox.Stream(4).rand(out=nc)
    assert torch.equal(nc.cpu(), philox.Stream(4).rand(64, 32, dtype=torch.float32))


def test_fold_on_cuda_equals_cpu(cuda_mod):
    idx = torch.arange(4096, device="cuda") * 977
    gb = philox.Stream(5, "rows").fold(idx)
    cb = philox.Stream(5, "rows").fold(idx.cpu())
    assert torch.equal(gb.ids.cpu(), cb.ids)
    assert_same_bits(gb.rand(1025, dtype=torch.float32), cb.rand(1025, dtype=torch.float32))
    assert_same_bits(gb.randn(3, dtype=torch.float64), cb.randn(3, dtype=torch.float64))


def test_no_host_sync(cuda_mod):
    s = philox.Stream(6)
    out = torch.empty(1 << 16, device="cuda")
    idx = torch.arange(64, device="cuda")
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        s.rand(out=out)
        s.randn(1000, device="cuda", dtype=torch.float32)
        b = s.fold(idx, check=False)
        b.rand(100, dtype=torch.float32)
        b.randint(0, 10, size=5)
    finally:
        torch.cuda.set_sync_debug_mode(0)


def test_runs_on_current_stream(cuda_mod):
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        x = philox.Stream(7).rand(1 << 20, device="cuda", dtype=torch.float32)
        y = x * 2
    side.synchronize()
    assert torch.equal(y.cpu(), philox.Stream(7).rand(1 << 20, dtype=torch.float32) * 2)


def test_compile_on_cuda(cuda_mod):
    ops = philox.torch_ops()
    torch._dynamo.reset()

    @torch.compile(fullgraph=True)
    def f(index):
        ids = ops.fold_ids(index, 9)
        return ops.draw([index.numel(), 64], torch.float32, index.device, ids, 6, 1, 2, 0, 0, 0, 4, False,
                        0.0, 0.0, 0.0, 0, 0) * 3

    idx = torch.arange(8, device="cuda")
    got = f(idx)
    want = philox.Stream((2 << 32) | 1, id=9).fold(idx.cpu()).randn(64, dtype=torch.float32) * 3
    assert torch.equal(got.cpu(), want)


@pytest.mark.skipif(not torch.cuda.is_available() or torch.cuda.device_count() < 2, reason="needs 2 GPUs")
def test_second_device(cuda_mod):
    x = philox.Stream(8).rand(1000, device="cuda:1", dtype=torch.float32)
    assert x.device.index == 1
    assert torch.equal(x.cpu(), philox.Stream(8).rand(1000, dtype=torch.float32))
    with torch.cuda.device(1):
        y = philox.Stream(8).fold(torch.arange(3, device="cuda:1")).rand(5, dtype=torch.float32)
    assert y.device.index == 1
    assert torch.equal(y.cpu(), philox.Stream(8).fold(torch.arange(3)).rand(5, dtype=torch.float32))


@pytest.mark.parametrize("n", [1, 5, 20, 21, 1000, 1 << 20, (1 << 20) + 1, 10 ** 12, (1 << 63) - 1])
def test_perm_kernel_equals_cpu_and_fallback(cuda_mod, n):
    from philox._permutation import perm_indices
    words = philox.Stream(5, "perm").random_raw(12)
    start, step = (n - 1) // 3, max(1, n // 5000)
    count = min(4096, (n - 1 - start) // step + 1)
    want = perm_indices(words, n, start, step, count)
    got = perm_indices(words, n, start, step, count, device="cuda")
    assert got.device.type == "cuda" and got.dtype == torch.int64
    assert (got.cpu().numpy() == want).all()
    _backend.set_backend("torch")
    try:
        fb = perm_indices(words, n, start, step, count, device="cuda")
    finally:
        _backend.set_backend("auto")
    assert (fb.cpu().numpy() == want).all()


def test_shuffle_and_choice_on_cuda_equal_cpu(cuda_mod):
    x = torch.arange(3000, device="cuda").reshape(1000, 3)
    philox.Stream(6).shuffle(x)
    y = torch.arange(3000).reshape(1000, 3)
    philox.Stream(6).shuffle(y)
    assert torch.equal(x.cpu(), y)
    a = philox.Stream(6).choice(10 ** 9, size=(10, 7), replace=False, device="cuda")
    b = philox.Stream(6).choice(10 ** 9, size=(10, 7), replace=False)
    assert (a.cpu().numpy() == b).all()
