"""The CUDA kernels' per-thread code (csrc/cuda/fill_kernels.cuh), run on the CPU, equals the CPU kernels.

``_core._emulate_gpu_fill`` compiles the same header as the kernels and walks the grid-stride loop of
every (block, thread) for a given launch shape, so CI without a GPU checks the device code path:
its tiling of values into Philox blocks, straddling values at unaligned positions, 2- and 4-word
ops, row ids, block-counter carries and the end of the stream, and the kernel's staged writes
(every thread stages its tile's values in the block's buffer, then the block copies the chunk out
coalesced). Values must not depend on the grid or block size (SPEC 6.3).
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from philox import _core

torch = pytest.importorskip("torch")  # the buffers are torch tensors

from backend_cases import CASES, POSITIONS, U64, as_ids, assert_same_bits, cpu_fill, end_position  # noqa: E402

K0, K1, ID = 0xDEADBEEF, 0x01234567, 0x0F1E2D3C4B5A6978
GRIDS = [(1, 1), (1, 32), (3, 7), (5, 64), (1000, 256), (2, 256)]


def emulate(case, k0, k1, id, position, n, grid, block, ids=None, staged=True):
    rows = 1 if ids is None else ids.numel()
    out = torch.zeros(rows * n, dtype=case.dtype)
    _core._emulate_gpu_fill(case.op, k0, k1, id, 0 if ids is None else ids.data_ptr(), rows, position >> 64,
                            position & (U64 - 1), out.data_ptr(), n, *case.args(), grid, block, staged)
    return out


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("position", POSITIONS)
def test_emulated_gpu_equals_cpu(case, position):
    n = 45  # several tiles, a partial last one
    want = cpu_fill(case, K0, K1, ID, position, n)
    for grid, block in GRIDS:
        assert_same_bits(emulate(case, K0, K1, ID, position, n, grid, block), want, f"{case} {grid}x{block}")
    # the unstaged per-item writes (the staged kernel's first half) give the same values
    assert_same_bits(emulate(case, K0, K1, ID, position, n, 3, 7, staged=False), want, f"{case} unstaged")


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_emulated_gpu_rows(case):
    ids = as_ids([0, U64 - 1, ID, 3, 4, 5, 6])
    for n, pos in ((1, 0), (13, 3), (13, 4 * (2 ** 32 - 1) + 2), (5, end_position(case, 5))):
        want = cpu_fill(case, K0, K1, 0, pos, n, ids)
        for grid, block in ((1, 1), (2, 5), (64, 128)):
            assert_same_bits(emulate(case, K0, K1, 0, pos, n, grid, block, ids), want, f"{case} n={n} pos={pos}")


@pytest.mark.parametrize("op", range(12))
def test_tiles_cover_every_value_once(op):
    """Tiles per row: the last tile holds the first word of the last value, none is empty."""
    k = _core.words_per_value(op)
    for lane in range(4):
        for n in (1, 2, 3, 4, 5, 15, 16, 17, 100):
            tiles = _core._tiles_per_row(lane, n, op)
            assert (lane + (n - 1) * k) // 16 == tiles - 1
    assert _core._tiles_per_row(2, 0, op) == 0


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(CASES), n=st.integers(1, 200), pos=st.integers(0, 1 << 66),
       grid=st.integers(1, 9), block=st.integers(1, 40), rows=st.integers(1, 4), staged=st.booleans())
def test_emulated_gpu_any_launch_shape(case, n, pos, grid, block, rows, staged):
    pos = min(pos, end_position(case, n))
    ids = as_ids([ID + r for r in range(rows)])
    assert_same_bits(emulate(case, K0, K1, 0, pos, n, grid, block, ids, staged),
                     cpu_fill(case, K0, K1, 0, pos, n, ids), case.name)


def test_emulator_refuses_past_the_end_and_bad_launch():
    case = CASES[0]
    out = torch.zeros(4, dtype=torch.int32)
    with pytest.raises(ValueError, match="end of the stream"):
        _core._emulate_gpu_fill(0, 1, 2, 3, 0, 1, 4, 0, out.data_ptr(), 1, *case.args(), 1, 1, True)
    with pytest.raises(ValueError, match="grid"):
        _core._emulate_gpu_fill(0, 1, 2, 3, 0, 1, 0, 0, out.data_ptr(), 4, *case.args(), 0, 1, True)


@pytest.mark.parametrize("name", ["rand_f32", "randn_f64", "rand_f16", "randint_0_10_int64",
                                  "randint_-128_256_int8", "randint_0_18446744073709551616_int64"])
def test_emulated_kernel_launch_shape_big_draws(name):
    """The kernel's own launch shape (256 threads) over many chunks and grid-stride steps, rows
    that end mid-chunk, and an unaligned start."""
    from backend_cases import CASE_BY_NAME
    case = CASE_BY_NAME[name]
    n = 20_011
    want = cpu_fill(case, K0, K1, ID, 4 * (2 ** 32 - 50) + 3, n)
    assert_same_bits(emulate(case, K0, K1, ID, 4 * (2 ** 32 - 50) + 3, n, 3, 256), want, name)
    ids = as_ids(list(range(1000, 1300)))
    want = cpu_fill(case, K0, K1, 0, 1, 37, ids)
    assert_same_bits(emulate(case, K0, K1, 0, 1, 37, 4, 256, ids), want, name + " rows")
