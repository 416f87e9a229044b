"""The CPU's gathered path for region draws with short runs (csrc/cpu/kernels_impl.h fill_gathered):
a region whose runs are short (e.g. one column of a (rows, K) draw) is filled element by element from
each value's own position, through the same conversion passes as the contiguous path. The law of
tests/test_regions.py, ``draw(size, region=r) == draw(size)[r]`` bit for bit, on every instruction
set, for every kind of op: 1, 2, 4, 6 and 8 words per value (a value's words straddle two or three
Philox blocks when the draw starts at lane != 0), rejection samplers (retries from each value's own
retry stream), array parameters (element e reads its own parameters), chunks of many elements,
several threads, and both sides of the short-run threshold.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import philox

SEED = 20261202

# (name, call(stream, size, **kw)): scalar-parameter draws covering every conversion pass of run_op
DRAWS = {
    "random_raw": lambda s, size, **kw: s.random_raw(size, **kw),                                # K = 1
    "rand32": lambda s, size, **kw: s.rand(*size, dtype=np.float32, **kw),                       # K = 1
    "rand16": lambda s, size, **kw: s.rand(*size, dtype=np.float16, **kw),                       # rounded f32
    "randint8": lambda s, size, **kw: s.randint(-128, 128, size, dtype=np.int8, **kw),
    "rand": lambda s, size, **kw: s.rand(*size, **kw),                                           # K = 2
    "randn": lambda s, size, **kw: s.randn(*size, **kw),                                         # normal passes
    "normal": lambda s, size, **kw: s.normal(1.0, 2.0, size, **kw),
    "standard_exponential": lambda s, size, **kw: s.standard_exponential(size, **kw),
    "exponential": lambda s, size, **kw: s.exponential(2.5, size, **kw),
    "randint_large": lambda s, size, **kw: s.randint(0, 2 ** 64, size, dtype=np.uint64, **kw),
    "poisson_small": lambda s, size, **kw: s.poisson(3.5, size, **kw),                           # inversion
    "poisson": lambda s, size, **kw: s.poisson(37.5, size, **kw),                                # PTRS, K = 4
    "binomial_small": lambda s, size, **kw: s.binomial(20, 0.2, size, **kw),
    "binomial": lambda s, size, **kw: s.binomial(1000, 0.7, size, **kw),                         # BTRS + flip
    "gamma": lambda s, size, **kw: s.gamma(0.3, 2.0, size, **kw),                                # K = 4
    "gamma_big": lambda s, size, **kw: s.gamma(2.5, 1.0, size, **kw),
    "gamma32": lambda s, size, **kw: s.gamma(0.7, 2.0, size, dtype=np.float32, **kw),
    "standard_t": lambda s, size, **kw: s.standard_t(0.7, size, **kw),                           # K = 6
    "beta": lambda s, size, **kw: s.beta(0.4, 2.0, size, **kw),                                  # K = 8
    "beta_big": lambda s, size, **kw: s.beta(2.0, 3.0, size, **kw),
}


def _arr(shape, lo, hi, seed, integer=False):
    rng = np.random.default_rng(seed)
    if integer:
        return rng.integers(lo, hi, size=shape)
    return rng.uniform(lo, hi, size=shape)


# array-parameter draws (ops.h OpParams): element e of the region reads its own element of the arrays
PARAM_DRAWS = {
    "normal_a": lambda s, size, **kw: s.normal(_arr(size, -3, 3, 1), 2.0, size, **kw),
    "binomial_a": lambda s, size, **kw: s.binomial(_arr(size[:-1] + (1,), 0, 200, 2, True), 0.3, size, **kw),
    "poisson_a": lambda s, size, **kw: s.poisson(_arr(size, 0.5, 60.0, 3), size, **kw),
    "gamma_a": lambda s, size, **kw: s.gamma(_arr(size, 0.2, 4.0, 4), 1.5, size, **kw),
    "beta_a": lambda s, size, **kw: s.beta(_arr(size, 0.3, 3.0, 5), _arr(size, 0.3, 3.0, 6), size, **kw),
}

ALL = {**DRAWS, **PARAM_DRAWS}
POSITIONS = [0, 1, 2, 3, 4 * (2 ** 32 - 3) + 1, 4 * (2 ** 32 - 1) + 3]


def _bits(x):
    x = np.asarray(x)
    return x.shape, x.dtype.str, x.tobytes()


def check_law(name, shape, region, position):
    full_s = philox.Stream(SEED, "gathered", position=position)
    part_s = philox.Stream(SEED, "gathered", position=position)
    full = ALL[name](full_s, shape)
    part = ALL[name](part_s, shape, region=region)
    assert _bits(part) == _bits(np.asarray(full)[region]), (name, shape, region, position)
    assert part_s.position == full_s.position


@st.composite
def short_run_regions(draw):
    """A 2-D or 3-D draw and a region whose runs are short (a few columns of the last dimension),
    sometimes wide enough to stay on the contiguous path."""
    nd = draw(st.sampled_from([2, 2, 3]))
    cols = draw(st.integers(2, 24))
    lead = [draw(st.integers(1, 9)) for _ in range(nd - 2)]
    rows = draw(st.integers(1, 600))
    shape = tuple(lead) + (rows, cols)
    region = []
    for d in lead:
        a = draw(st.integers(0, d - 1))
        region.append(slice(a, draw(st.integers(a + 1, d))))
    r0 = draw(st.integers(0, rows - 1))
    region.append(slice(r0, draw(st.integers(r0 + 1, rows))))
    c0 = draw(st.integers(0, cols - 1))
    c1 = draw(st.integers(c0 + 1, min(cols, c0 + draw(st.sampled_from([1, 1, 2, 3, 5, 17])))))
    region.append(slice(c0, c1))
    return shape, tuple(region)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sr=short_run_regions(), name=st.sampled_from(sorted(ALL)), position=st.sampled_from(POSITIONS))
def test_short_run_regions_every_isa(isa, sr, name, position):
    shape, region = sr
    check_law(name, shape, region, position)


@pytest.mark.parametrize("name", sorted(ALL))
def test_one_column_every_op_every_isa(isa, name):
    """One column of a (rows, K) draw (run_len = 1: multinomial's and dirichlet's columns), many chunks,
    from a lane != 0 start, and the column next to it."""
    for position in (0, 3, 4 * (2 ** 32 - 2) + 1):
        check_law(name, (1500, 3), (slice(None), slice(1, 2)), position)
        check_law(name, (700, 2), (slice(5, 690), slice(0, 1)), position)


@pytest.mark.parametrize("name", ["rand32", "randn", "binomial", "gamma", "standard_t", "beta", "binomial_a"])
def test_gathered_threads_do_not_change_bits(num_threads, name):
    """A short-run region big enough to be split across threads: the same bits with 1 and 4 threads
    (threads split the elements; each value comes from its own position)."""
    shape, region = (70_000, 3), (slice(1, 69_999), slice(2, 3))
    outs = []
    for threads in (1, 4):
        philox.set_num_threads(threads)
        s = philox.Stream(SEED, "threads", position=5)
        outs.append(_bits(ALL[name](s, shape, region=region)))
    assert outs[0] == outs[1]
    philox.set_num_threads(num_threads)
    check_law(name, (5_000, 3), (slice(None), slice(2, 3)), 5)


def test_gathered_torch_cpu_tensors():
    """torch CPU tensors take the same C++ path: a column region equals the full draw's column."""
    torch = pytest.importorskip("torch")
    for name, call in (("binomial", lambda s, **kw: s.binomial(50, 0.4, (400, 3), **kw)),
                       ("beta", lambda s, **kw: s.beta(2.0, 3.0, (400, 3), **kw))):
        a, b = philox.Stream(SEED, name, position=1), philox.Stream(SEED, name, position=1)
        full = call(a, device="cpu")
        part = call(b, device="cpu", region=(slice(None), slice(1, 2)))
        assert isinstance(part, torch.Tensor)
        assert _bits(part.numpy()) == _bits(full.numpy()[:, 1:2])
