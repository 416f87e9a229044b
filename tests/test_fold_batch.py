"""Stream.fold(index) and StreamBatch: per-row child streams drawn together."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
from philox import StreamBatch  # noqa: E402

from backend_cases import assert_same_bits  # noqa: E402

DRAWS = [
    ("random_raw", lambda s, n, **kw: s.random_raw(n, **kw), {"dtype": torch.int64}),
    ("random_raw32", lambda s, n, **kw: s.random_raw(n, **kw), {"dtype": torch.int32}),
    ("rand", lambda s, n, **kw: s.rand(n, **kw), {"dtype": torch.float32}),
    ("rand64", lambda s, n, **kw: s.rand(n, **kw), {"dtype": torch.float64}),
    ("rand16", lambda s, n, **kw: s.rand(n, **kw), {"dtype": torch.bfloat16}),
    ("uniform", lambda s, n, **kw: s.uniform(-2, 3, size=n, **kw), {"dtype": torch.float16}),
    ("randn", lambda s, n, **kw: s.randn(n, **kw), {"dtype": torch.float64}),
    ("normal", lambda s, n, **kw: s.normal(1, 3, size=n, **kw), {"dtype": torch.float32}),
    ("randint", lambda s, n, **kw: s.randint(-3, 2 ** 40, size=n, **kw), {"dtype": torch.int64}),
    ("randint8", lambda s, n, **kw: s.randint(-3, 100, size=n, **kw), {"dtype": torch.int8}),
]


@pytest.mark.parametrize("name,draw,kw", DRAWS, ids=[d[0] for d in DRAWS])
def test_rows_equal_child_streams(name, draw, kw):
    parent = philox.Stream(11, "noise")
    index = torch.tensor([0, 5, 2 ** 62, 7, 5])
    batch = parent.fold(index)
    batch.position = 3
    got = draw(batch, 17, **kw)
    assert got.shape == (5, 17) and got.device == index.device
    for b, v in enumerate(index.tolist()):
        child = philox.Stream(11, "noise", v, position=3)
        assert_same_bits(got[b], draw(child, 17, **kw), f"{name} row {b}")
        assert batch.position == child.position  # every row moved as one stream would
    assert parent.position == 0


def test_fold_shapes_and_split_invariance():
    s = philox.Stream(1, "a")
    batch = s.fold(torch.arange(6).reshape(2, 3))
    assert batch.batch_shape == (2, 3) and len(batch) == 2
    x = batch.rand(4, 5, dtype=torch.float32)
    assert x.shape == (2, 3, 4, 5)
    batch2 = s.fold(torch.arange(6).reshape(2, 3))
    y1, y2 = batch2.rand(8, dtype=torch.float32), batch2.rand(12, dtype=torch.float32)
    assert torch.equal(torch.cat([y1, y2], dim=-1).reshape(2, 3, 4, 5), x)
    assert batch.rand(dtype=torch.float32).shape == (2, 3)  # no size: one value per row
    assert isinstance(batch, StreamBatch)


def test_fold_index_kinds_and_raw_id_parent():
    s = philox.Stream(2, id=123)
    want = s.fold(torch.tensor([1, 2, 3])).ids
    assert torch.equal(s.fold([1, 2, 3]).ids, want)
    assert torch.equal(s.fold(np.array([1, 2, 3], np.uint16)).ids, want)
    assert torch.equal(s.fold(torch.tensor([1, 2, 3], dtype=torch.int16)).ids, want)
    assert int(want[1]) % 2 ** 64 == s.stream(2).id
    big = s.fold([2 ** 64 - 1]).ids
    assert int(big[0]) % 2 ** 64 == s.stream(2 ** 64 - 1).id
    assert int(s.fold(torch.tensor([-1], dtype=torch.int64), check=False).ids[0]) == int(big[0])
    if hasattr(torch, "uint64"):
        assert torch.equal(s.fold(torch.tensor([2 ** 64 - 1], dtype=torch.uint64)).ids, big)


def test_row_is_a_stream():
    batch = philox.Stream(4, "r").fold([3, 9])
    batch.position = 10
    r = batch.row(1)
    assert r.id == philox.Stream(4, "r", 9).id and r.position == 10


@pytest.mark.parametrize("index,exc,match", [
    (torch.tensor([1.0, 2.0]), TypeError, "integer tensor"),
    (torch.tensor([True]), TypeError, "integer tensor"),
    (torch.tensor([3, -2]), ValueError, "-2"),
    ([1, -1], ValueError, "-1"),
    ([1, 2 ** 64], ValueError, str(2 ** 64)),
    ([1, 2.5], TypeError, "2.5"),
    (np.array([1.5]), TypeError, "dtype"),
    ("abc", TypeError, "str"),
])
def test_fold_errors(index, exc, match):
    s = philox.Stream(1, "e")
    s.position = 7
    with pytest.raises(exc, match=match):
        s.fold(index)
    assert s.position == 7


@pytest.mark.parametrize("call,exc,match", [
    (lambda b: b.rand(-1), ValueError, "size"),
    (lambda b: b.rand(3, dtype=np.int32), TypeError, "dtype"),
    (lambda b: b.uniform(2, 1, size=3), ValueError, "low"),
    (lambda b: b.normal(0, -1, size=3), ValueError, "std"),
    (lambda b: b.randint(5, 5, size=3), ValueError, "low"),
    (lambda b: b.randint(0, 2 ** 70, size=3), ValueError, "2\\*\\*64"),
    (lambda b: b.randint(0, 300, size=3, dtype=torch.int8), ValueError, "fit"),
    (lambda b: b.rand(3, device="nonsense"), ValueError, "device"),
    (lambda b: b.rand(3, out=np.zeros((2, 3))), TypeError, "out"),
    (lambda b: b.rand(3, out=torch.zeros(2, 4)), ValueError, "shape"),
    (lambda b: b.random_raw(3, dtype=torch.float32), TypeError, "dtype"),
])
def test_batch_draw_errors_leave_position(call, exc, match):
    b = philox.Stream(1).fold([1, 2])
    b.position = 5
    with pytest.raises(exc, match=match):
        call(b)
    assert b.position == 5


def test_batch_position_end_and_bounds():
    b = philox.Stream(1).fold([1, 2])
    b.position = 2 ** 66 - 4
    x = b.rand(4, dtype=torch.float32)
    assert x.shape == (2, 4) and b.position == 2 ** 66
    with pytest.raises(ValueError, match="end of the stream"):
        b.rand(1)
    assert b.position == 2 ** 66
    with pytest.raises(ValueError, match="position"):
        b.position = 2 ** 66 + 1
    with pytest.raises(TypeError, match="position"):
        b.position = 1.5


def test_batch_out_inplace_and_empty():
    b = philox.Stream(6).fold([1, 2, 3])
    out = torch.zeros(3, 8)[:, ::2]
    r = b.rand(4, out=out)
    assert r is out
    assert torch.equal(out, philox.Stream(6).fold([1, 2, 3]).rand(4, dtype=torch.float32))
    e = philox.Stream(6).fold(torch.zeros(0, dtype=torch.int64))
    assert e.rand(5).shape == (0, 5) and e.position == 5


def test_batch_rows_cpu_threads_match_serial(num_threads):
    """The C++ rows entry splits rows across threads; values never depend on it."""
    idx = torch.arange(300)
    philox.set_num_threads(1)
    a = philox.Stream(8).fold(idx).randn(2000, dtype=torch.float32)
    philox.set_num_threads(4)
    b = philox.Stream(8).fold(idx).randn(2000, dtype=torch.float32)
    assert torch.equal(a, b)


def test_unusable_device_is_a_value_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA is usable here")
    s = philox.Stream(1)
    with pytest.raises(ValueError, match="cuda"):
        s.rand(3, device="cuda")
    assert s.position == 0


def test_fallback_warning_is_given_once(monkeypatch):
    """The warning for CUDA tensors without the compiled module says how to get it, once."""
    import warnings

    from philox import _backend
    monkeypatch.setattr(_backend, "_warned", False)
    with pytest.warns(RuntimeWarning, match="nvcc"):
        _backend._warn_fallback()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _backend._warn_fallback()


def test_unsigned_index_needs_no_check(monkeypatch):
    """An unsigned index is never compared against 0 (no host sync on a device)."""
    idx = torch.tensor([1, 200], dtype=torch.uint8)
    calls = []
    real_any = torch.Tensor.any
    monkeypatch.setattr(torch.Tensor, "any", lambda self, *a, **k: calls.append(1) or real_any(self, *a, **k))
    ids = philox.Stream(3).fold(idx).ids
    assert not calls
    assert torch.equal(ids, philox.Stream(3).fold([1, 200]).ids)


def test_cursor_reserve():
    """Cursor.reserve (device draws reserve their words through it): start positions, the end of
    the stream, and no move on a refused reservation."""
    from philox import _core
    c = _core.Cursor()
    assert c.reserve(5) == 0 and c.reserve(3) == 5
    c.set(3, 2 ** 64 - 2)  # 2**66 - 2: the start comes back as a Python int above 2**64
    assert c.reserve(2) == 2 ** 66 - 2
    assert c.reserve(0) == 2 ** 66
    with pytest.raises(ValueError, match="end of the stream"):
        c.reserve(1)
    assert c.get() == (4, 0)


def test_nested_fold_rows_are_the_extended_paths():
    # StreamBatch.fold(j): row (b, k) is Stream(seed, *path, i[b], j[k]), whatever the backend
    S = philox.Stream
    i, j = [1, 2, 2 ** 63], [7, 2 ** 64 - 1]
    b = S(5, "n").fold(torch.tensor(i, dtype=torch.uint64)).fold(j)
    assert b.batch_shape == (3, 2) and b.position == 0
    got = b.randn(4, dtype=torch.float64)
    ref = torch.stack([torch.stack([torch.as_tensor(S(5, "n", a, c).randn(4)) for c in j]) for a in i])
    assert torch.equal(got, ref)
    assert torch.equal(S(5, "n").stream(2).fold(torch.tensor(j, dtype=torch.uint64)).ids, b.ids[1])
    assert S(5, "n").fold([]).fold([1, 2]).rand(3).shape == (0, 2, 3)
    parent = S(5, "n").fold(torch.arange(2))
    parent.position = 9
    with pytest.raises(ValueError, match="on meta"):
        parent.fold(torch.arange(2, device="meta"))
    with pytest.raises(ValueError):
        parent.fold([-1])
    with pytest.raises(TypeError):
        parent.fold(torch.tensor([1.0]))
    assert parent.position == 9


def test_streambatch_constructor_checks_seed_and_ids():
    # int32 ids were read as 64-bit (past the tensor's end), float ids as their bits, and a
    # negative seed failed inside the first draw after the position had moved
    ids32 = torch.tensor([1, 2], dtype=torch.int32)
    assert torch.equal(StreamBatch(1, ids32).rand(3, dtype=torch.float64),
                       StreamBatch(1, torch.tensor([1, 2])).rand(3, dtype=torch.float64))
    assert torch.equal(StreamBatch(-1, [5]).rand(2, dtype=torch.float64)[0],
                       torch.as_tensor(philox.Stream(-1, id=5).rand(2)))
    with pytest.raises(TypeError, match="ids"):
        StreamBatch(1, torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="ids"):
        StreamBatch(1, [2 ** 64])
    with pytest.raises(TypeError, match="seed"):
        StreamBatch(True, [1])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64])
def test_numpy_and_list_indexes_equal_tensor_indexes(dtype):
    # numpy arrays and lists of plain ints are converted vectorized (they were checked value by value)
    s = philox.Stream(3, "np")
    v = np.array([[0, 1, 2], [3, 100, np.iinfo(dtype).max]], dtype=dtype)
    want = s.fold(torch.from_numpy(v.astype(np.uint64).view(np.int64)), check=False).ids
    assert torch.equal(s.fold(v).ids, want) and torch.equal(s.fold(v.tolist()).ids, want)
    assert torch.equal(s.fold(v[:, ::2]).ids, want[:, ::2])  # non-contiguous
    assert s.fold(np.zeros((0, 3), dtype)).batch_shape == (0, 3)
    assert s.fold(np.array(7, dtype)).batch_shape == ()
    if np.dtype(dtype).kind == "i":
        with pytest.raises(ValueError, match="-1"):
            s.fold(np.array([3, -1, -2], dtype=dtype))
    big = [2 ** 64 - 1, 2 ** 63, 0]
    assert [i % 2 ** 64 for i in s.fold(big).ids.tolist()] == [s.stream(i).id for i in big]
    a = np.array([1, 2], np.int64)
    b = StreamBatch(1, a)
    a[0] = 99  # the batch's ids never alias the caller's array
    assert b.ids.tolist() == [1, 2]


def test_streambatch_pickles_and_copies():
    import copy
    import pickle
    b = philox.Stream(4, "pk").fold(torch.tensor([[3, 2 ** 63], [0, 1]], dtype=torch.uint64))
    b.position = 2 ** 64 + 3
    for c in (pickle.loads(pickle.dumps(b)), copy.deepcopy(b), copy.copy(b)):
        assert c.position == b.position and c.seed == b.seed and torch.equal(c.ids, b.ids)
        assert torch.equal(c.rand(5, dtype=torch.float64), copy.deepcopy(b).rand(5, dtype=torch.float64))
    c = copy.copy(b)
    c.rand(2)
    assert b.position == 2 ** 64 + 3  # a copy has its own position


def test_a_0d_batch_has_no_length_like_a_0d_tensor():
    b = philox.Stream(3, "z").fold(torch.tensor(7))
    assert b.batch_shape == ()
    with pytest.raises(TypeError, match="0-d"):
        len(b)
    assert torch.equal(b.rand(4, dtype=torch.float32),
                       philox.Stream(3, "z", 7).rand(4, dtype=torch.float32))


def test_draw_on_another_device_moves_the_ids(monkeypatch):
    """A draw's device is device=, else out's, else the batch's: the ids are copied there (the
    README's ``stream("noise").fold(idx).randn(d, device="cuda")`` with a CPU idx). Checked on
    the meta device here (shapes, dtypes, positions, the ids handed to the backend)."""
    from philox import _backend
    seen = []
    real_fill = _backend.fill

    def spy(out, op, k0, k1, id, *args, **kw):
        seen.append((out.device.type, id.device.type))
        return real_fill(out, op, k0, k1, id, *args, **kw)
    monkeypatch.setattr(_backend, "fill", spy)
    idx = torch.tensor([3, 1, 4])
    b = philox.Stream(2, "noise").fold(idx)
    cpu = philox.Stream(2, "noise").fold(idx)
    m = b.randn(5, device="meta")
    assert (m.device.type, m.shape, m.dtype) == ("meta", (3, 5), torch.get_default_dtype())
    o = torch.empty(3, 2, dtype=torch.float64, device="meta")
    assert b.rand(2, out=o) is o
    cpu.randn(5), cpu.rand(2, dtype=torch.float64)
    assert b.position == cpu.position > 0
    assert seen[:2] == [("meta", "meta"), ("meta", "meta")] and seen[2:] == [("cpu", "cpu")] * 2
    assert b.ids.device.type == "cpu"  # the batch itself stays where its index is
    with pytest.raises(ValueError, match="device"):
        b.rand(2, device="meta", out=torch.empty(3, 2))  # device= and out= disagree
    assert b.position == cpu.position


def test_ids_without_data_cannot_draw_elsewhere():
    b = philox.Stream(2).fold(torch.arange(3, device="meta"))
    b.position = 4
    with pytest.raises(ValueError, match="no data"):
        b.rand(2, device="cpu")
    assert b.position == 4
    assert b.rand(2).device.type == "meta" and b.position == 6


@pytest.mark.cuda
def test_cpu_index_cuda_draw_equals_cpu_draw():
    idx = torch.tensor([0, 7, 2 ** 40])
    s = philox.Stream(5, "noise")
    want = s.fold(idx).randn(33)
    got = s.fold(idx).randn(33, device="cuda")
    assert got.device.type == "cuda" and torch.equal(got.cpu(), want)
    out = torch.empty(3, 33, device="cuda")
    s.fold(idx).randn(33, out=out)
    assert torch.equal(out.cpu(), want)
    assert torch.equal(s.fold(idx.cuda()).randn(33, device="cpu"), want)  # and the other way
