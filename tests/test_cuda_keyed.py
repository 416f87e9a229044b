"""CUDA: keyed draws and keyed dropout on a GPU read their key from device memory (skipped without a GPU).

A captured CUDA graph replays with an offset advanced on the device, and gives the CPU's bits.
"""
import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
import philox.functional as F  # noqa: E402
import philox.nn as pnn  # noqa: E402
from philox.nn.functional import dropout  # noqa: E402

pytestmark = pytest.mark.cuda


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_keyed_draws_and_dropout_equal_cpu(dtype):
    off = torch.tensor(3, device="cuda")
    got = F.rand(1001, seed=9, id=4, offset=off, dtype=dtype)
    assert torch.equal(got.cpu(), F.rand(1001, seed=9, id=4, offset=3, dtype=dtype))
    x = torch.randn(37, 29).to(dtype)
    assert torch.equal(dropout(x.cuda(), 0.3, seed=9, id=4, offset=off).cpu(), dropout(x, 0.3, seed=9, id=4, offset=3))


def test_cuda_graph_replays_with_device_offset():
    off = torch.tensor(0, device="cuda")
    x = torch.ones(4096, device="cuda")
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):  # warm up outside the capture
        F.rand(4096, seed=1, offset=off)
        dropout(x, 0.5, seed=1, id=2, offset=off)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        r = F.rand(4096, seed=1, offset=off)
        y = dropout(x, 0.5, seed=1, id=2, offset=off)
        off.add_(4096)
    outs = []
    for _ in range(3):
        g.replay()
        outs.append((r.clone(), y.clone()))
    torch.cuda.synchronize()
    for i, (ri, yi) in enumerate(outs):
        assert torch.equal(ri.cpu(), philox.Stream(1, id=0, position=4096 * i).rand(4096, dtype=torch.float32))
        assert torch.equal(yi.cpu(), dropout(torch.ones(4096), 0.5, seed=1, id=2, offset=4096 * i))


def test_dropout_module_on_gpu_equals_cpu():
    m = torch.nn.Sequential(torch.nn.Linear(8, 8), pnn.Dropout(0.4))
    pnn.name_modules(m)
    x = torch.randn(5, 8)
    pnn.set_step(2)
    want = m(x)
    m.cuda()
    pnn.set_step(torch.tensor(2, device="cuda"))
    assert torch.equal(m(x.cuda()).cpu() != 0, want != 0)
