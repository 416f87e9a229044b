"""region=: a block of a draw's logical tensor equals the full draw's block, bit for bit.

The law ``draw(size, region=r) == draw(size)[r]`` with equal positions afterwards, for every
draw with a fixed word count, numpy and torch outputs, random shapes, regions and positions;
the argument checks (nothing moves on a bad region); ``out=`` with a region; more outer
dimensions than the kernels take at once; the threaded CPU path over many runs.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import philox
from philox import _core, _region

SEED = 20261201

# (name, call(stream, size, **kw)): every Stream draw with a fixed word count
DRAWS = {
    "random_raw": lambda s, size, **kw: s.random_raw(size, **kw),
    "random_raw64": lambda s, size, **kw: s.random_raw(size, dtype=np.uint64, **kw),
    "rand": lambda s, size, **kw: s.rand(*size, **kw),
    "rand32": lambda s, size, **kw: s.rand(*size, dtype=np.float32, **kw),
    "rand16": lambda s, size, **kw: s.rand(*size, dtype=np.float16, **kw),
    "uniform": lambda s, size, **kw: s.uniform(-2.0, 3.0, size, **kw),
    "uniform32": lambda s, size, **kw: s.uniform(-2.0, 3.0, size, dtype=np.float32, **kw),
    "randn": lambda s, size, **kw: s.randn(*size, **kw),
    "randn32": lambda s, size, **kw: s.randn(size, dtype=np.float32, **kw),
    "normal": lambda s, size, **kw: s.normal(1.0, 2.0, size, **kw),
    "normal16": lambda s, size, **kw: s.normal(1.0, 2.0, size, dtype=np.float16, **kw),
    "standard_exponential": lambda s, size, **kw: s.standard_exponential(size, **kw),
    "exponential32": lambda s, size, **kw: s.exponential(0.5, size, dtype=np.float32, **kw),
    "randint": lambda s, size, **kw: s.randint(-5, 100, size, **kw),
    "randint8": lambda s, size, **kw: s.randint(-128, 128, size, dtype=np.int8, **kw),
    "randint_large": lambda s, size, **kw: s.randint(0, 2 ** 64, size, dtype=np.uint64, **kw),
    "gumbel32": lambda s, size, **kw: s.gumbel(1.0, 2.0, size, dtype=np.float32, **kw),
    "logistic": lambda s, size, **kw: s.logistic(1.0, 2.0, size, **kw),
    "laplace": lambda s, size, **kw: s.laplace(1.0, 2.0, size, **kw),
    # rejection samplers: retries come from each value's own retry stream, so blocks still agree
    "gamma": lambda s, size, **kw: s.gamma(0.3, 2.0, size, **kw),
    "chisquare": lambda s, size, **kw: s.chisquare(3.0, size, **kw),
    "poisson": lambda s, size, **kw: s.poisson(37.5, size, **kw),
    "binomial": lambda s, size, **kw: s.binomial(1000, 0.3, size, **kw),
    # FORMAT 21: 4, 8 and 6 words per value (a value's words span up to three blocks)
    "gamma32": lambda s, size, **kw: s.gamma(0.3, 2.0, size, dtype=np.float32, **kw),
    "beta": lambda s, size, **kw: s.beta(0.4, 2.0, size, **kw),
    "standard_t": lambda s, size, **kw: s.standard_t(0.7, size, **kw),
}
POSITIONS = [0, 1, 2, 3, 4 * (2 ** 32 - 3) + 1]


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes()


@st.composite
def shapes_and_regions(draw, max_dims=4, max_dim=6):
    nd = draw(st.integers(0, max_dims))
    shape = tuple(draw(st.integers(0, max_dim)) for _ in range(nd))
    region = []
    for d in shape:
        a = draw(st.integers(0, d))
        b = draw(st.integers(a, d))
        region.append(slice(draw(st.sampled_from([a, None])) if a == 0 else a,
                            draw(st.sampled_from([b, None])) if b == d else b))
    return shape, tuple(region)


def check_law(name, shape, region, position, **kw):
    full_s = philox.Stream(SEED, "law", position=position)
    part_s = philox.Stream(SEED, "law", position=position)
    full = DRAWS[name](full_s, shape, **kw)
    part = DRAWS[name](part_s, shape, region=region, **kw)
    if kw.get("device") is not None:
        import torch
        assert isinstance(part, torch.Tensor) and part.dtype == full.dtype
        full, part = full.numpy(), part.numpy()
    same_bits(part, np.asarray(full)[region])
    assert part_s.position == full_s.position


@settings(max_examples=150, deadline=None)
@given(sr=shapes_and_regions(), name=st.sampled_from(sorted(DRAWS)), position=st.sampled_from(POSITIONS))
def test_law_numpy(sr, name, position):
    shape, region = sr
    if not shape:
        return  # rand(*()) is a scalar draw; region=() of a 0-d draw is checked below
    check_law(name, shape, region, position)


TORCH_DRAWS = ["random_raw", "rand", "rand32", "uniform32", "randn32", "normal", "exponential32", "randint",
               "gamma", "poisson", "binomial", "laplace", "gamma32", "beta", "standard_t",
               "randint8", "randint_large"]


@settings(max_examples=60, deadline=None)
@given(sr=shapes_and_regions(), name=st.sampled_from(TORCH_DRAWS), position=st.sampled_from(POSITIONS),
       backend=st.sampled_from(["auto", "torch"]))
def test_law_torch_cpu_and_fallback(sr, name, position, backend):
    """Torch CPU tensors (the C++ kernels) and the pure-torch fallback (set_backend("torch"))."""
    pytest.importorskip("torch")
    shape, region = sr
    if not shape:
        return
    philox._backend.set_backend(backend)
    try:
        check_law(name, shape, region, position, device="cpu")
    finally:
        philox._backend.set_backend("auto")


def test_scalar_region():
    a, b = philox.Stream(1), philox.Stream(1)
    same_bits(a.randn(region=()), b.randn())
    assert a.position == b.position == 2


def test_empty_region_moves_the_whole_draw():
    s = philox.Stream(SEED)
    out = s.randn(5, 7, region=(slice(2, 2), slice(None)))
    assert out.shape == (0, 7) and s.position == 5 * 7 * 2
    out = s.randint(10, size=(4, 0, 3), region=(slice(1, 3), slice(None), slice(None)))
    assert out.shape == (2, 0, 3) and s.position == 70  # 0 values: no words


def test_region_of_one_row_and_the_whole_tensor():
    s, t = philox.Stream(SEED), philox.Stream(SEED)
    full = t.rand(64, 33)
    same_bits(s.rand(64, 33, region=(slice(None), slice(None))), full)
    s.position = t.position = 0
    same_bits(s.rand(64, 33, region=(slice(17, 18), slice(5, 30))), full[17:18, 5:30])
    same_bits(philox.Stream(SEED).rand(64 * 33, region=slice(100, 1000)), full.reshape(-1)[100:1000])


def test_many_dimensions_split_in_python():
    """More outer dimensions than the kernels take at once (REGION_MAX_DIMS) are walked in Python."""
    nd = _region.MAX_DIMS + 3
    shape = (3,) * nd
    region = tuple(slice(1, 3) for _ in range(nd))
    p = _region.plan(shape, _region.parse_region(region, shape))
    assert len(p.counts) > _region.MAX_DIMS
    check_law("randn32", shape, region, 3)
    check_law("randint_large", shape, region, 1)


def test_threaded_runs_and_long_runs():
    """Many runs split across threads, and few long runs threaded inside each run: same bits
    with 1 thread and with several."""
    before = philox.get_num_threads()
    try:
        for threads in (1, 4):
            philox.set_num_threads(threads)
            check_law("rand32", (1024, 1536), (slice(3, 1000), slice(7, 1500)), 1)  # ~1000 runs
            check_law("randn", (4, 300_000), (slice(1, 3), slice(5, 299_000)), 2)    # 2 long runs
            check_law("randint_large", (700, 700), (slice(10, 690), slice(1, 699)), 3)
    finally:
        philox.set_num_threads(before)


def test_out_takes_the_region_shape():
    s, t = philox.Stream(SEED), philox.Stream(SEED)
    out = np.zeros((3, 4), np.float32)
    r = s.randn(10, 20, dtype=np.float32, out=out, region=(slice(2, 5), slice(10, 14)))
    assert r is out
    same_bits(out, t.randn(10, 20, dtype=np.float32)[2:5, 10:14])
    assert s.position == t.position
    # a non-contiguous out: filled through a buffer
    big = np.zeros((3, 8), np.float64)
    s.position = t.position = 0
    s.rand(10, 20, out=big[:, ::2], region=(slice(0, 3), slice(0, 4)))
    same_bits(big[:, ::2], t.rand(10, 20)[0:3, 0:4])


BAD = [
    ((slice(-1, 2), slice(None)), ValueError),
    ((slice(0, 11), slice(None)), ValueError),
    ((slice(3, 2), slice(None)), ValueError),
    ((slice(0, 2, 2), slice(None)), ValueError),
    ((slice(0, 2, -1), slice(None)), ValueError),
    ((slice(0.0, 2), slice(None)), TypeError),
    ((slice(0, "2"), slice(None)), TypeError),
    ((slice(True, 2), slice(None)), TypeError),
    ((slice(0, 2),), ValueError),
    ((slice(0, 2), slice(None), slice(None)), ValueError),
    ((0, slice(None)), TypeError),
    ([slice(None), 1], TypeError),
    ("abc", TypeError),
    (3, TypeError),
]


@pytest.mark.parametrize("region,exc", BAD, ids=repr)
@pytest.mark.parametrize("name", ["randn", "randint", "uniform", "random_raw"])
def test_bad_regions_raise_and_nothing_moves(region, exc, name):
    s = philox.Stream(SEED, position=5)
    with pytest.raises(exc, match="region"):
        DRAWS[name](s, (10, 4), region=region)
    assert s.position == 5


def test_out_shape_mismatch_and_missing_size():
    s = philox.Stream(SEED, position=9)
    with pytest.raises(ValueError, match="region"):
        s.randn(10, 4, out=np.zeros((2, 4)), region=(slice(0, 3), slice(None)))
    with pytest.raises(ValueError, match="size"):
        s.uniform(out=np.zeros((2, 4)), region=(slice(0, 2), slice(None)))
    assert s.position == 9


def test_a_draw_past_the_end_raises_and_nothing_moves():
    s = philox.Stream(SEED, position=philox.MAX_POSITION - 10)
    with pytest.raises(ValueError, match="2\\*\\*66"):
        s.rand(6, region=(slice(0, 1),))  # the whole draw (12 words) does not fit, the region would
    assert s.position == philox.MAX_POSITION - 10


def test_batch_draws_refuse_region():
    torch = pytest.importorskip("torch")
    b = philox.Stream(SEED).fold(torch.arange(3))
    with pytest.raises(TypeError, match="region"):
        b.rand(4, region=(slice(0, 2),))
    assert b.position == 0


def test_plan_merges_whole_inner_dimensions():
    p = _region.plan((5, 6, 7), _region.parse_region((slice(1, 3), slice(None), slice(None)), (5, 6, 7)))
    assert (p.base, p.run_len, p.counts) == (42, 84, [])
    p = _region.plan((5, 6, 7), _region.parse_region((slice(1, 3), slice(2, 3), slice(1, 5)), (5, 6, 7)))
    assert (p.base, p.run_len, p.counts, p.strides) == (42 + 14 + 1, 4, [2], [42])


def test_core_region_checks():
    """The C++ entry points refuse a region outside the draw (defence in depth)."""
    out = np.zeros(8, np.uint32)
    with pytest.raises(ValueError, match="past the end"):
        _core.fill_region(0, 1, 2, 3, 0, 0, 10, 5, 6, [], [], out.ctypes.data, False, 0, False, 0.0, 0.0, 0.0, 0, 0)
    with pytest.raises(ValueError, match="past the end"):
        _core.fill_region(0, 1, 2, 3, 0, 0, 10, 0, 2, [2], [9], out.ctypes.data, False, 0, False, 0.0, 0.0, 0.0,
                          0, 0)
    with pytest.raises(ValueError, match="2\\*\\*66"):
        _core.fill_region(0, 1, 2, 3, 4, 0, 10, 0, 2, [], [], out.ctypes.data, False, 0, False, 0.0, 0.0, 0.0, 0, 0)


def test_readme_region_example_runs():
    """The README's first "Layout-invariant tensors" block runs as written (it checks itself)."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## Layout-invariant tensors")
    block = text[start:].split("```python\n", 1)[1].split("```", 1)[0]
    assert "region=" in block
    exec(compile(block, "README regions block", "exec"), {})
