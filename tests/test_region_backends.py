"""Region kernels of every backend against the full CPU draw, per op and output dtype.

For each backend case (tests/backend_cases.py: every op of the table, every output dtype,
affine forms, both integer paths) and several regions and positions (every lane, a block
counter that carries past 2**32, the end of the stream): the CPU runs (``_core.fill_region``),
the CUDA region kernel's per-thread code run on the CPU (``_core._emulate_gpu_region``, for
several grid and block sizes: CI has no GPU) and the pure-torch fallback
(``_torch_fallback.fill_region``) equal ``full.view(shape)[region]`` bit for bit.
"""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from philox import _core, _region, _torch_fallback  # noqa: E402

from backend_cases import CASES, U64, assert_same_bits, cpu_fill  # noqa: E402

K0, K1, ID = 0x12345678, 0x9ABCDEF0, 0xFEDCBA9876543210
GRIDS = [(1, 1), (3, 7), (2, 256)]
REGIONS = [
    ((6, 9), (slice(1, 5), slice(2, 8))),
    ((4, 5, 6), (slice(1, 3), slice(None), slice(None))),
    ((4, 5, 6), (slice(0, 4), slice(4, 5), slice(1, 6))),
    ((3, 4, 2, 5), (slice(1, 3), slice(1, 4), slice(None), slice(0, 3))),
    ((37,), (slice(5, 36),)),
]


def _positions(case, n):
    return [0, 1, 3, 4 * (2 ** 32 - 2) + 1, (1 << 66) - n * case.k]


def _plan(shape, region):
    return _region.plan(shape, _region.parse_region(region, shape))


def _region_cpu(case, position, p):
    out = torch.zeros(p.size, dtype=case.dtype)
    _core.fill_region(case.op, K0, K1, ID, position >> 64, position & (U64 - 1), p.n_full, p.base, p.run_len,
                      p.counts, p.strides, out.data_ptr(), False, *case.args())
    return out


def _region_emulated(case, position, p, grid, block):
    out = torch.zeros(p.size, dtype=case.dtype)
    _core._emulate_gpu_region(case.op, K0, K1, ID, position >> 64, position & (U64 - 1), p.n_full, p.base,
                              p.run_len, p.counts, p.strides, out.data_ptr(), *case.args(), grid, block)
    return out


def _region_fallback(case, position, p):
    out = torch.zeros(p.size, dtype=case.dtype)
    _torch_fallback.fill_region(out, case.op, K0, K1, ID, position, p, *case.args())
    return out


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_region_backends_equal_the_full_draw(case):
    for shape, region in REGIONS:
        p = _plan(shape, region)
        n = math.prod(shape)
        for position in _positions(case, n):
            want = cpu_fill(case, K0, K1, ID, position, n).view(shape)[region].reshape(-1)
            what = f"{case} {shape} {region} @{position}"
            assert_same_bits(_region_cpu(case, position, p), want, what + " cpu")
            assert_same_bits(_region_fallback(case, position, p), want, what + " fallback")
            for grid, block in GRIDS:
                assert_same_bits(_region_emulated(case, position, p, grid, block), want,
                                 f"{what} emulated {grid}x{block}")


def test_emulated_region_kernel_launch_shape():
    """The kernel's 256 threads over many grid-stride steps, 2- and 4-word values straddling blocks."""
    for case in [c for c in CASES if c.name in ("randn_f64", "randint_0_18446744073709551616_int64", "rand_f16")]:
        shape, region = (300, 301), (slice(7, 290), slice(3, 300))
        p = _plan(shape, region)
        want = cpu_fill(case, K0, K1, ID, 4 * (2 ** 32 - 50) + 3, math.prod(shape)).view(shape)[region]
        assert_same_bits(_region_emulated(case, 4 * (2 ** 32 - 50) + 3, p, 3, 256), want.reshape(-1), case.name)


@st.composite
def _shape_region(draw):
    shape = tuple(draw(st.integers(1, 7)) for _ in range(draw(st.integers(1, 4))))
    region = []
    for d in shape:
        a = draw(st.integers(0, d - 1))
        region.append(slice(a, draw(st.integers(a + 1, d))))
    return shape, tuple(region)


@settings(max_examples=80, deadline=None)
@given(sr=_shape_region(), case=st.sampled_from(CASES), lane=st.integers(0, 3),
       grid=st.sampled_from(GRIDS))
def test_region_backends_law(sr, case, lane, grid):
    """Random shapes and regions: the CPU runs, the emulated CUDA kernel and the fallback."""
    shape, region = sr
    p = _plan(shape, region)
    position = 4 * (2 ** 32 - 1) + lane  # the block counter carries inside the draw
    want = cpu_fill(case, K0, K1, ID, position, math.prod(shape)).view(shape)[region].reshape(-1)
    assert_same_bits(_region_cpu(case, position, p), want, "cpu")
    assert_same_bits(_region_emulated(case, position, p, *grid), want, "emulated")
    assert_same_bits(_region_fallback(case, position, p), want, "fallback")


@pytest.mark.cuda
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_cuda_region_kernel_equals_the_full_draw(case):
    """On a GPU: the compiled region kernel (``_cuda.fill_region``, through ``_backend``) writes
    the same bits as the full CPU draw's block (benchmarks/gpu_check.sh runs it)."""
    from philox import _backend
    if _backend.cuda_module() is None:
        pytest.fail("philox._cuda is not built or sees no device on a machine with a GPU")
    for shape, region in REGIONS:
        p = _plan(shape, region)
        n = math.prod(shape)
        for position in _positions(case, n):
            want = cpu_fill(case, K0, K1, ID, position, n).view(shape)[region].reshape(-1)
            out = torch.zeros(p.size, dtype=case.dtype, device="cuda")
            _backend.fill_region(out, case.op, K0, K1, ID, position, p, *case.args())
            assert_same_bits(out.cpu(), want, f"{case} {shape} {region} @{position} cuda")
