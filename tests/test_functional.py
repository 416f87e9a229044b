"""philox.functional: keyed draws (seed, id, offset as ints or tensors) equal Stream draws, move
nothing, compile without graph breaks; the CUDA kernel's device-side key path, run by the emulator."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
import philox.functional as F  # noqa: E402
from philox import _core  # noqa: E402

SEED, ID = 2**63 + 12345, philox.stream_id("functional", 3)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("offset", [0, 1, 3, 4097])
def test_rand_randn_equal_stream(dtype, offset):
    for as_tensor in (False, True):
        k = dict(seed=torch.tensor(SEED - 2**64) if as_tensor else SEED, id=ID,
                 offset=torch.tensor(offset) if as_tensor else offset)
        s = philox.Stream(SEED, id=ID, position=offset)
        assert torch.equal(F.rand(7, 5, dtype=dtype, **k), s.rand(7, 5, dtype=dtype))
        s = philox.Stream(SEED, id=ID, position=offset)
        assert torch.equal(F.randn((33,), dtype=dtype, **k), s.randn(33, dtype=dtype))


@pytest.mark.parametrize("low,high,dtype", [(0, 10, torch.int64), (-5, 100, torch.int32), (0, 2**40, torch.int64),
                                            (0, 256, torch.uint8)])
def test_randint_equal_stream(low, high, dtype):
    got = F.randint(low, high, (9, 2), seed=5, id=ID, offset=torch.tensor(6), dtype=dtype)
    want = philox.Stream(5, id=ID, position=6).randint(low, high, size=(9, 2), dtype=dtype)
    assert torch.equal(got, want)
    assert F.num_words(18, "randint", range_size=high - low) == (36 if high - low <= 2**32 else 72)


def test_bernoulli_words_and_threshold():
    w = philox.Stream(9, id=ID, position=2).random_raw(1000).astype(np.int64)
    for p in (0.0, 0.25, 0.5, 1.0, 1e-12):
        got = F.bernoulli(p, 1000, seed=9, id=ID, offset=2)
        assert torch.equal(got, torch.from_numpy((w < F.threshold(p)).astype(np.float32)))
    assert F.threshold(0.5) == 2**31 and F.threshold(1.0) == 2**32 and F.threshold(0.0) == 0
    assert float(F.bernoulli(0.3, 20000, seed=1).mean()) == pytest.approx(0.3, abs=0.02)


def test_golden_keyed_rand():
    # docs/FORMAT.md "Keyed draws": the first words of Stream(0, id=0) (SPEC 6 golden values)
    got = F.randint(0, 2**32, (2,), seed=0, dtype=torch.int64)
    w = philox.Stream(0, id=0).random_raw(4).astype(np.int64)
    assert got.tolist() == [int(w[1]), int(w[3])]  # range 2**32: the second word of each pair (SPEC 5)
    assert got.tolist() == [3781805453, 2600524760]


def test_device_advanced_offset_gives_next_values():
    off = torch.tensor(0)
    a = F.rand(10, seed=1, offset=off)
    off += F.num_words(10)
    b = F.rand(10, seed=1, offset=off)
    assert torch.equal(torch.cat([a, b]), philox.Stream(1, id=0).rand(20, dtype=torch.float32))


@pytest.mark.parametrize("bad,exc", [(dict(seed=1.5), TypeError), (dict(seed=-2**63 - 1), ValueError),
                                     (dict(seed=1, offset=-1), ValueError),
                                     (dict(seed=torch.tensor(1.0)), TypeError),
                                     (dict(seed=torch.tensor([1, 2])), TypeError),
                                     (dict(seed=1, id=True), TypeError)])
def test_bad_keys(bad, exc):
    with pytest.raises(exc):
        F.rand(3, **bad)


def test_bad_args():
    with pytest.raises(ValueError, match="p must be in"):
        F.bernoulli(float("nan"), 3, seed=1)
    with pytest.raises(TypeError, match="p must be a float"):
        F.bernoulli(torch.tensor(0.5), 3, seed=1)
    with pytest.raises(ValueError, match="dtype"):
        F.rand(3, seed=1, dtype=torch.int32)
    with pytest.raises(ValueError, match="low must be less"):
        F.randint(3, 3, (2,), seed=1)


OP = {name: code for code, name, *_ in _core.OPS}  # the op table (csrc/ops.h)


@pytest.mark.parametrize("name,dtype,n,pos", [("uniform_f32", torch.float32, 1000, 0),
                                              ("uniform_f32", torch.float32, 37, 3),
                                              ("uniform_f64", torch.float64, 100, 1), ("int_small", torch.int64, 333, 2),
                                              ("int_large", torch.int64, 65, 7), ("normal_f16", torch.float16, 50, 2),
                                              ("exponential_f32", torch.float32, 77, 1)])
@pytest.mark.parametrize("staged", [False, True])
def test_emulated_gpu_kernel_reads_key(name, dtype, n, pos, staged):
    """The CUDA kernel's keyed path (key words read in the kernel, grid sized for lane 3) on the CPU."""
    op = OP[name]
    k = F.key(SEED, ID, pos)
    out = torch.empty(n, dtype=dtype)
    es = out.element_size() if name.startswith("int") else 0
    rm1 = 99 if name == "int_small" else 2**40 - 1 if name == "int_large" else 0
    _core._emulate_gpu_fill(op, 0, 0, 0, 0, 1, 0, 0, out.data_ptr(), n, es, False, 0.0, 0.0, 0.0, 0, rm1, 3, 64,
                            staged, key_ptr=k.data_ptr())
    want = torch.ops.philox.draw_keyed(k, [n], dtype, op, es, False, 0.0, 0.0, 0.0, 0, rm1)
    s = philox.Stream(SEED, id=ID, position=pos)
    assert torch.equal(out, want)
    if name == "uniform_f32":
        assert torch.equal(out, s.rand(n, dtype=dtype))
    if name == "exponential_f32":
        assert torch.equal(out, s.standard_exponential(n, dtype=dtype))


def test_compile_fullgraph_equals_eager():
    def f(seed, off):
        a = F.rand(16, seed=seed, id=ID, offset=off)
        b = F.randn(8, seed=seed, id=ID, offset=off + 16)
        c = F.randint(0, 7, (4,), seed=seed, offset=off)
        return a, b, c, off + 24

    seed, off = torch.tensor(3), torch.tensor(5)
    cf = torch.compile(f, fullgraph=True, backend="aot_eager")
    for _ in range(2):  # a new offset each call: same graph, new values
        e, c = f(seed, off), cf(seed, off)
        for x, y in zip(e, c):
            assert torch.equal(x, y)
        off = c[3]
    assert torch.equal(e[0], philox.Stream(3, id=ID, position=29).rand(16, dtype=torch.float32))


def test_huge_sizes_and_bad_num_words_are_value_errors():
    with pytest.raises(ValueError, match="too large"):
        F.rand(2 ** 62, seed=1)
    with pytest.raises(ValueError, match="too large"):
        F.bernoulli(0.5, 2 ** 31, 2 ** 31, seed=1)
    with pytest.raises(ValueError, match="too large"):
        F.randint(0, 5, (2 ** 62,), seed=1)
    with pytest.raises(ValueError, match="n must be"):
        F.num_words(-3)
    with pytest.raises(TypeError, match="dtype"):
        F.num_words(3, "rand", "float64")
    assert F.num_words(3, "rand", torch.float64) == 6
