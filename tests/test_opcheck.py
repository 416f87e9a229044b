"""torch.library registration (src/philox/_ops.py): opcheck on CPU tensors, torch.compile fullgraph.

The CPU implementations call the C++ kernels, so CI checks the schemas, the fake (meta)
implementations and tracing without a GPU; the CUDA implementations share the same Python wrapper.
"""
import pytest

import philox
from philox import _core

torch = pytest.importorskip("torch")

# opcheck's own internals use torch.jit.script_method, deprecated in this torch
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script_method.*:DeprecationWarning")
ops = philox.torch_ops()
SEED = 0x0000000200000001  # key (1, 2)


def _fill_args(out, ids=None, op=2, pos=3, affine=False, a=0.0, b=0.0):
    return (out, ids, op, 1, 2, -5, 0, pos, out.element_size(), affine, a, b, 0.0, 0, 0)


@pytest.mark.parametrize("op,dtype", [(2, torch.float32), (7, torch.float64), (5, torch.bfloat16), (0, torch.int32)])
def test_opcheck_fill(op, dtype):
    torch.library.opcheck(ops.fill_.default, _fill_args(torch.empty(10, dtype=dtype), op=op))
    torch.library.opcheck(ops.fill_.default, _fill_args(torch.empty(3, 4, dtype=dtype), torch.tensor([1, 2, 3]), op=op))


def test_opcheck_draw_and_fold():
    ids = torch.tensor([4, 5])
    torch.library.opcheck(ops.fold_ids.default, (ids, 7))
    torch.library.opcheck(ops.draw.default, ([2, 6], torch.float32, torch.device("cpu"), ids, 6, 1, 2, 0, 0, 1, 4,
                                             True, 1.0, 2.0, 0.0, 0, 0))


def test_fill_op_equals_stream():
    out = torch.empty(100)
    ops.fill_(*_fill_args(out))
    assert torch.equal(out, philox.Stream(SEED, id=2 ** 64 - 5, position=3).rand(100, dtype=torch.float32))
    nc = torch.zeros(10, 20)[:, ::2]  # a non-contiguous out
    ops.fill_(*_fill_args(nc))
    assert torch.equal(nc, philox.Stream(SEED, id=2 ** 64 - 5, position=3).rand(10, 10, dtype=torch.float32))


def test_compile_fullgraph_functional_ops():
    torch._dynamo.reset()

    @torch.compile(fullgraph=True, backend="inductor")
    def f(index):
        ids = ops.fold_ids(index, 7)
        x = ops.draw([3, 4], torch.float32, index.device, ids, 6, 1, 2, 0, 0, 1, 4, True, 1.0, 2.0, 0.0, 0, 0)
        return x * 2 + 1

    got = f(torch.arange(3))
    b = philox.Stream(SEED, id=7).fold(torch.arange(3))
    b.position = 1
    assert torch.equal(got, b.normal(1.0, 2.0, size=4, dtype=torch.float32) * 2 + 1)


def test_compile_fullgraph_mutating_op():
    torch._dynamo.reset()

    @torch.compile(fullgraph=True, backend="aot_eager")
    def g(out):
        ops.fill_(*_fill_args(out, op=6))
        return out + 0

    out = torch.empty(16)
    got = g(out)
    want = philox.Stream(SEED, id=2 ** 64 - 5, position=3).randn(16, dtype=torch.float32)
    assert torch.equal(got, want) and torch.equal(out, want)


@pytest.mark.filterwarnings("ignore:Dynamo does not know how to trace")
def test_stream_draws_under_compile():
    """Stream draws reserve their words in Python (a graph break, docs/DESIGN.md) and still give the
    eager values, with the position moving once per call."""
    torch._dynamo.reset()
    s = philox.Stream(5, "c")

    @torch.compile(backend="eager")
    def h():
        return s.rand(8, dtype=torch.float32) + 1

    a, b = h(), h()
    ref = philox.Stream(5, "c")
    assert torch.equal(a, ref.rand(8, dtype=torch.float32) + 1)
    assert torch.equal(b, ref.rand(8, dtype=torch.float32) + 1)
    assert s.position == 16


def test_fill_op_refuses_bad_ids_and_spans():
    out = torch.empty(6)
    with pytest.raises(ValueError, match="int64"):
        ops.fill_(*_fill_args(out, torch.tensor([1, 2], dtype=torch.int32)))
    with pytest.raises(ValueError, match="rows"):
        ops.fill_(*_fill_args(out, torch.tensor([1, 2, 3, 4])))
    with pytest.raises(ValueError, match="end of the stream"):
        ops.fill_(out, None, 2, 1, 2, 5, 4, 0, 4, False, 0.0, 0.0, 0.0, 0, 0)
    with pytest.raises(ValueError, match="op"):  # one past the op table's codes
        ops.fill_(out, None, len(philox._core.OPS), 1, 2, 5, 0, 0, 4, False, 0.0, 0.0, 0.0, 0, 0)


@pytest.mark.parametrize("op,dtype,elem_size", [
    (11, torch.uint16, 2),   # op 11 writes 8-byte values: a 2-byte tensor was overrun (heap corruption)
    (11, torch.int32, 4),
    (10, torch.int8, 8),     # elem_size larger than the tensor's elements
    (10, torch.int64, 4),
    (2, torch.float64, 0),   # a float op on the wrong float dtype
    (0, torch.float32, 4),   # raw words into floats
    (3, torch.int64, 8),
])
def test_ops_refuse_dtypes_they_do_not_write(op, dtype, elem_size):
    out = torch.zeros(5, 7, dtype=dtype)
    args = (op, 1, 2, 3, 0, 5, elem_size, False, 0.0, 0.0, 0.0, 0, 4)
    with pytest.raises((TypeError, ValueError), match="elem_size|writes"):
        ops.fill_(out, None, *args)
    with pytest.raises((TypeError, ValueError), match="elem_size|writes"):
        ops.draw([5, 7], dtype, torch.device("cpu"), None, *args)
    assert not out.any()  # refused before anything was written
    with torch._subclasses.fake_tensor.FakeTensorMode():  # the fake implementations refuse them too
        with pytest.raises((TypeError, ValueError), match="elem_size|writes"):
            ops.draw([5, 7], dtype, torch.device("cpu"), None, *args)


def test_ops_check_keys_and_small_ranges():
    out = torch.empty(4)
    with pytest.raises(ValueError, match="k0"):
        ops.fill_(out, None, 2, 2 ** 32, 2, 3, 0, 0, 4, False, 0.0, 0.0, 0.0, 0, 0)
    with pytest.raises(ValueError, match="k1"):
        ops.fill_(out, None, 2, 1, -1, 3, 0, 0, 4, False, 0.0, 0.0, 0.0, 0, 0)
    with pytest.raises(ValueError, match="range_m1"):  # op 10 would truncate the range to 32 bits
        ops.fill_(torch.empty(4, dtype=torch.int64), None, 10, 1, 2, 3, 0, 0, 8, False, 0.0, 0.0, 0.0, 0, 2 ** 32)
    x = torch.empty(4, dtype=torch.int64)  # op 11 with a small range is fine and equals randint
    ops.fill_(x, None, 11, 1, 2, 3, 0, 0, 8, False, 0.0, 0.0, 0.0, -3, 2 ** 40)
    assert torch.equal(x, philox.Stream(SEED, id=3).randint(-3, 2 ** 40 - 2, size=4, dtype=torch.int64))


def test_fill_op_refuses_no_ids_for_a_non_empty_out():
    # zero ids used to "divide" any out into rows and leave it unwritten (draw returned torch.empty)
    with pytest.raises(ValueError, match="rows"):
        ops.draw([3], torch.float32, torch.device("cpu"), torch.empty(0, dtype=torch.int64), 2, 1, 2, 0, 0, 0, 4,
                 False, 0.0, 0.0, 0.0, 0, 0)
    assert ops.draw([0, 3], torch.float32, torch.device("cpu"), torch.empty(0, dtype=torch.int64), 2, 1, 2, 0, 0, 0,
                    4, False, 0.0, 0.0, 0.0, 0, 0).shape == (0, 3)


def test_fold_ids_op_refuses_non_integer_indexes():
    # a float index was truncated (1.5 -> 1) and a bool one read as 0/1
    for bad in (torch.tensor([1.5]), torch.tensor([True])):
        with pytest.raises(TypeError, match="integer"):
            ops.fold_ids(bad, 3)
    assert torch.equal(ops.fold_ids(torch.tensor([2 ** 64 - 1], dtype=torch.uint64), 3),
                       philox.Stream(0, id=3).fold(torch.tensor([2 ** 64 - 1], dtype=torch.uint64)).ids)
