"""The small-draw fast paths (issue 9): ``Stream.rand`` / ``randn`` / ``randint`` of at most
``SMALL_VALUES`` values into a fresh output take one C++ call, and ``Stream(seed, *path)`` folds its
path in one. They must be invisible: the same values, dtypes, result types, positions and errors
as the generic draw (what a stream with ``_small_ok = False`` takes, and the fast paths fall back to)."""
import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import philox
from philox import _core, _keys
from philox._stream import MAX_POSITION

SMALL = int(_core.SMALL_VALUES)


def _pair(position=0):
    """Two equal streams: one with the fast paths, one that only takes the generic draw."""
    slow = philox.Stream(11, "small", 3, position=position)
    slow._small_ok = False
    return philox.Stream(11, "small", 3, position=position), slow


def _same(a, b):
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    else:
        assert np.asarray(a).dtype == np.asarray(b).dtype
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


SIZES = [(), (0,), (1,), (10,), (SMALL,), (SMALL + 1,), ((3,),), (2, 3)]
FLOAT_DTYPES = [None, np.float64, np.float32, np.float16, "f4", np.dtype("f8"), float]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", ["rand", "randn"])
def test_rand_randn_match_the_generic_draw(name, dtype, size):
    fast, slow = _pair(position=5)  # an odd lane
    for _ in range(2):
        a = getattr(fast, name)(*size, dtype=dtype)
        b = getattr(slow, name)(*size, dtype=dtype)
        _same(a, b)
        assert fast.position == slow.position


@pytest.mark.parametrize("args", [(10,), (0, 10), (-5, 5), (0, 1), (0, 2 ** 32), (0, 2 ** 32 + 1),
                                  (-2 ** 63, 2 ** 63 - 1), (2 ** 62, 2 ** 63), (-2 ** 63, -2 ** 63 + 3)])
@pytest.mark.parametrize("size", [None, 0, 1, 7, SMALL, SMALL + 1, (2, 2)])
def test_randint_matches_the_generic_draw(args, size):
    fast, slow = _pair(position=3)
    for _ in range(2):
        a = fast.randint(*args, size=size)
        b = slow.randint(*args, size=size)
        _same(a, b)
        assert fast.position == slow.position


def test_scalar_types():
    s = philox.Stream(1)
    assert type(s.rand()) is np.float64
    assert type(s.randn()) is np.float64
    assert type(s.rand(dtype=np.float32)) is np.float32
    assert type(s.randint(0, 10)) is np.int64
    assert type(s.randint(10)) is np.int64
    assert s.rand(4).flags.writeable and s.rand(4).flags.c_contiguous


@pytest.mark.parametrize("name,args,kw", [
    ("rand", (-1,), {}), ("rand", (2.0,), {}), ("rand", (True,), {}), ("rand", (), dict(dtype=np.int64)),
    ("rand", (), dict(dtype="nope")), ("randn", (3,), dict(dtype=np.int32)), ("randint", (0, 0), {}),
    ("randint", (5, 1), {}), ("randint", (0,), {}), ("randint", (0.0, 1), {}), ("randint", (True,), {}),
    ("randint", (0, 2 ** 64 + 1), {}), ("randint", (0, 2 ** 63 + 1), {}), ("randint", (0, 10), dict(size=-1)),
    ("randint", (0, 10), dict(size=1.0)), ("randint", (-2 ** 63 - 1, 0), {}),
])
def test_bad_arguments_raise_the_generic_errors_and_do_not_move(name, args, kw):
    fast, slow = _pair(position=9)
    with pytest.raises((TypeError, ValueError)) as e_fast:
        getattr(fast, name)(*args, **kw)
    with pytest.raises((TypeError, ValueError)) as e_slow:
        getattr(slow, name)(*args, **kw)
    assert type(e_fast.value) is type(e_slow.value) and str(e_fast.value) == str(e_slow.value)
    assert fast.position == 9


@pytest.mark.parametrize("call,words", [(lambda s: s.rand(), 2), (lambda s: s.rand(3), 6),
                                        (lambda s: s.randint(0, 10, size=2), 4), (lambda s: s.randn(dtype="f4"), 1)])
def test_past_the_end_of_the_stream_raises_and_does_not_move(call, words):
    s = philox.Stream(0, position=MAX_POSITION - words + 1)
    with pytest.raises(ValueError, match="past the end of the stream"):
        call(s)
    assert s.position == MAX_POSITION - words + 1
    s.position = MAX_POSITION - words
    call(s)
    assert s.position == MAX_POSITION


def test_draw_small_refuses_bad_internal_calls():
    c = _core.Cursor()
    f8 = np.dtype("f8")
    with pytest.raises(TypeError):
        _core.draw_small(1, 3, 0, 0, 0, 1, f8)
    with pytest.raises(TypeError):
        _core.draw_small(c, 3, 0, 0, 0, 1)
    with pytest.raises(TypeError):
        _core.draw_small(c, 3, 0, 0, 0, 1, "f8")
    with pytest.raises(ValueError):
        _core.draw_small(c, 3, 0, 0, 0, SMALL + 1, f8)
    with pytest.raises(ValueError):
        _core.draw_small(c, 3, 0, 0, 0, 1, np.dtype("f4"))  # float64 op, float32 dtype
    with pytest.raises(ValueError):
        _core.draw_small(c, 99, 0, 0, 0, 1, f8)
    with pytest.raises(ValueError):
        _core.fill_small(c, 3, 0, 0, 0, -1, 0)
    with pytest.raises(ValueError):
        _core.fill_small(c, 3, 0, 0, 0, 1, 0)  # null address
    assert c.get() == (0, 0)


# ------------------------------------------------------------------------------- torch CPU outputs
@pytest.mark.parametrize("size", [(), (0,), (10,), (SMALL,), (SMALL + 1,), (2, 3)])
@pytest.mark.parametrize("tname", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("name", ["rand", "randn"])
def test_torch_dtypes_match_the_generic_draw(name, tname, size):
    torch = pytest.importorskip("torch")
    dtype = getattr(torch, tname)
    fast, slow = _pair(position=1)
    a = getattr(fast, name)(*size, dtype=dtype)
    b = getattr(slow, name)(*size, dtype=dtype)
    assert type(a) is torch.Tensor and a.dtype == dtype and a.device.type == "cpu" and a.shape == b.shape
    assert torch.equal(a.view(-1).view(torch.uint8) if a.numel() else a, b.view(-1).view(torch.uint8) if b.numel()
                       else b)
    assert fast.position == slow.position


def test_torch_default_device_and_forced_backend_take_the_generic_path():
    torch = pytest.importorskip("torch")
    from philox import _backend
    fast, slow = _pair()
    with torch.device("meta"):  # a default device that is not the CPU: still a CPU tensor, same values
        a = fast.rand(5, dtype=torch.float32)
    assert a.device.type == "cpu"
    assert torch.equal(a, slow.rand(5, dtype=torch.float32))
    _backend.set_backend("torch")
    try:
        b = fast.rand(5, dtype=torch.float32)
    finally:
        _backend.set_backend("auto")
    assert torch.equal(b, slow.rand(5, dtype=torch.float32))


# ------------------------------------------------------------------------------- stream construction
components = st.one_of(st.integers(0, 2 ** 64 - 1), st.text(max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.lists(components, max_size=4), st.integers(0, 2 ** 64 - 1))
def test_fast_path_id_matches_the_fold(path, parent):
    want = parent
    for c in path:
        want = _core.fold(want, _keys._blake8(c), 1) if isinstance(c, str) else _core.fold(want, c, 0)
    got_path, got = _keys.checked_path_id(tuple(path), parent)  # the first time may fill the str cache
    assert got == want and got_path == tuple(path)
    assert _keys.checked_path_id(tuple(path), parent)[1] == want
    assert philox.Stream(1, *path).id == _keys.path_id(tuple(path)) == philox.stream_id(*path)


def test_numpy_ints_and_str_subclasses_fold_as_before():
    class S(str):
        pass
    s = philox.Stream(3, np.uint64(2 ** 64 - 1), S("aug"), np.int8(4))
    assert s.path == (2 ** 64 - 1, "aug", 4) and all(type(c) in (int, S) for c in s.path)
    assert s.id == philox.Stream(3, 2 ** 64 - 1, "aug", 4).id


@pytest.mark.parametrize("args,exc", [((1.0,), TypeError), ((True,), TypeError), ((-1,), ValueError),
                                      ((2 ** 64,), ValueError), (("a", None), TypeError), ((b"a",), TypeError)])
def test_bad_path_components_raise(args, exc):
    with pytest.raises(exc, match=r"path\[\d\]"):
        philox.Stream(0, *args)


def test_the_str_cache_is_bounded():
    saved = dict(_keys._STR_IDS)
    try:
        _keys._STR_IDS.clear()
        for i in range(_keys._STR_IDS_MAX + 10):
            philox.Stream(0, f"name {i}")
        assert len(_keys._STR_IDS) == _keys._STR_IDS_MAX
        assert philox.Stream(0, f"name {_keys._STR_IDS_MAX + 5}").id == _core.fold(
            0, _keys._blake8(f"name {_keys._STR_IDS_MAX + 5}"), 1)
    finally:
        _keys._STR_IDS.clear()
        _keys._STR_IDS.update(saved)


@pytest.mark.parametrize("seed", [0, 2 ** 64 - 1, -1, np.int64(-5), np.uint64(7)])
@pytest.mark.parametrize("position", [0, 1, np.int64(3), 2 ** 66])
def test_construction_fast_and_slow_agree(seed, position):
    s = philox.Stream(seed, "a", 1, position=position)
    assert s.seed == philox._keys.normalize_seed(seed) and s.position == int(position)
    t = philox.Stream(seed, id=s.id, position=position)
    assert (t.seed, t.id, t.position) == (s.seed, s.id, s.position)


@pytest.mark.parametrize("kw,exc", [(dict(position=-1), ValueError), (dict(position=2 ** 66 + 1), ValueError),
                                    (dict(position=1.0), TypeError), (dict(position=True), TypeError),
                                    (dict(id=-1), ValueError), (dict(id=2 ** 64), ValueError),
                                    (dict(id=1.0), TypeError)])
def test_construction_errors(kw, exc):
    with pytest.raises(exc):
        philox.Stream(0, **kw)


def test_child_streams_keep_the_path():
    s = philox.Stream(5, "a", 2)
    c = s.stream("b", 3)
    assert c.path == ("a", 2, "b", 3) and c.id == philox.Stream(5, "a", 2, "b", 3).id and c.position == 0
    assert c == philox.Stream(5, "a", 2, "b", 3) and (c.seed, c._k0, c._k1) == (s.seed, s._k0, s._k1)
    assert c.rand(5).tobytes() == philox.Stream(5, "a", 2, "b", 3).rand(5).tobytes()
    s.rand(3)
    assert s.stream("b", 3).position == 0 and c._cursor is not s._cursor
    assert philox.Stream(-1, "q").stream("z").seed == 2 ** 64 - 1
    r = philox.Stream(5, id=123).stream(np.int32(4), "x")
    assert r.path is None and r.id == _core.fold(_core.fold(123, 4, 0), _keys._blake8("x"), 1)
    with pytest.raises(TypeError, match=r"path\[1\]"):
        s.stream("b", 1.5)


@pytest.mark.parametrize("seed", [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 64 - 1, -1])
def test_the_inlined_key_is_seed_key(seed):
    s = philox.Stream(seed, "k")
    assert (s._k0, s._k1) == _keys.seed_key(_keys.normalize_seed(seed))


@pytest.fixture
def generic_calls():
    """The names of the generic draws (``_Draws``' methods) that ``Stream``'s C fast paths hand calls to."""
    from philox import _stream
    calls = []

    def counting(name):
        generic = getattr(_stream._Draws, name)

        def draw(self, *args, **kwargs):
            calls.append(name)
            return generic(self, *args, **kwargs)
        return draw
    _stream._install_fast_paths(counting("rand"), counting("randn"), counting("randint"))
    try:
        yield calls
    finally:
        _stream._install_fast_paths()


def test_the_fast_paths_are_taken(generic_calls):
    s = philox.Stream(2, "fast")
    s.rand(), s.rand(10), s.randn(3), s.randn(dtype=np.float32), s.randint(0, 10), s.randint(7, size=4)
    s.rand(dtype=None), s.rand(5, device=None, out=None, region=None), s.randint(low=0, high=3, size=2)
    s.randint(-2 ** 63, 2 ** 63 - 1), s.randn(SMALL, dtype=np.float16)
    assert generic_calls == []
    s.rand(2, 3), s.rand(SMALL + 1), s.randint(0, 10, size=(2,)), s.rand(out=np.empty(2)), s.randint(0, 2 ** 63)
    s.randint(np.int64(3)), s.rand(np.int64(2))
    assert generic_calls == ["rand", "rand", "randint", "rand", "randint", "randint", "rand"]
    s._small_ok = False
    s.rand(), s.randn(), s.randint(3)
    assert generic_calls[-3:] == ["rand", "randn", "randint"]


def test_the_torch_fast_path_is_taken(generic_calls):
    torch = pytest.importorskip("torch")
    s = philox.Stream(2, "fast")
    s.rand(dtype=torch.float32), s.randn(dtype=torch.bfloat16)  # a torch dtype's first draw may teach its code
    del generic_calls[:]
    a, b = s.rand(10, dtype=torch.float32), s.randn(dtype=torch.bfloat16)
    assert generic_calls == []
    assert type(a) is torch.Tensor and a.shape == (10,) and b.shape == () and b.dtype == torch.bfloat16


def _generic(s):
    """A stream equal to ``s`` that only takes the generic draws."""
    t = philox.Stream(s.seed, id=s.id, position=s.position)
    t._small_ok = False
    return t


_DTYPES = [None, np.float64, np.float32, np.float16, "f8", "f4"]
if importlib.util.find_spec("torch") is not None:  # (CI also runs the suite without torch)
    _DTYPES += ["torch.float32", "torch.float64", "torch.float16", "torch.bfloat16"]
_POSITIONS = st.one_of(st.integers(0, 64), st.integers(2 ** 63 - 40, 2 ** 63 + 40), st.integers(0, MAX_POSITION))


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(["rand", "randn"]), n=st.one_of(st.none(), st.integers(0, SMALL + 2)),
       dtype=st.sampled_from(_DTYPES),
       position=_POSITIONS)
def test_fast_float_draws_equal_the_generic_draw(name, n, dtype, position):
    if isinstance(dtype, str) and dtype.startswith("torch."):
        import torch
        dtype = getattr(torch, dtype[6:])
    fast = philox.Stream(7, "hyp", position=position)
    slow = _generic(fast)
    size = () if n is None else (n,)
    outcomes = []
    for s in (fast, slow):
        try:
            outcomes.append(getattr(s, name)(*size, dtype=dtype))
        except ValueError as e:  # past the end of the stream: the same error, nothing moved
            outcomes.append(str(e))
    a, b = outcomes
    if isinstance(a, str) or isinstance(b, str):
        assert a == b and fast.position == slow.position == position
        return
    if not isinstance(a, (np.ndarray, np.generic)):  # a torch tensor: compare the bytes
        import torch
        assert type(a) is type(b) is torch.Tensor and a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a.reshape(-1).view(torch.uint8), b.reshape(-1).view(torch.uint8))
    else:
        _same(a, b)
    assert fast.position == slow.position


@settings(max_examples=150, deadline=None)
@given(low=st.integers(-2 ** 64, 2 ** 64), span=st.integers(-3, 2 ** 65), one_bound=st.booleans(),
       size=st.one_of(st.none(), st.integers(-1, SMALL + 2)), position=_POSITIONS)
def test_fast_randint_equals_the_generic_draw(low, span, one_bound, size, position):
    fast = philox.Stream(9, "hyp", position=position)
    slow = _generic(fast)
    args = (low,) if one_bound else (low, low + span)
    outcomes = []
    for s in (fast, slow):
        try:
            outcomes.append(s.randint(*args, size=size))
        except (TypeError, ValueError) as e:
            outcomes.append((type(e), str(e)))
    a, b = outcomes
    if isinstance(a, tuple) or isinstance(b, tuple):
        assert a == b and fast.position == slow.position == position
    else:
        _same(a, b)
        assert fast.position == slow.position


# ------------------------------------------------------------------------------- per-sample streams
_names = st.sampled_from(["aug", "crop", "sampler", "sample", "x" * 3, "\u00e9t\u00e9"])
_comps = st.one_of(st.integers(0, 2 ** 64 - 1), _names, st.text(max_size=4))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(-2 ** 63, 2 ** 64 - 1), stream=st.lists(_comps, min_size=1, max_size=3),
       epoch=st.integers(0, 2 ** 64 - 1), index=st.integers(0, 2 ** 64 - 1), path=st.lists(_comps, max_size=3))
def test_key_stream_is_the_folded_stream(seed, stream, epoch, index, path):
    key = philox.SampleKey(index, epoch=epoch, seed=seed, stream=tuple(stream))
    want = philox.Stream(seed, *stream, "sample", epoch, index, *path)
    for _ in range(2):  # the first call may take the checked fold (strs not seen yet), the second the C one
        got = key.stream(*path)
        assert type(got) is philox.Stream and got.path is None and got.position == 0
        assert (got.seed, got.id) == (want.seed, want.id)
        assert got.rand(3).tobytes() == philox.Stream(seed, id=want.id).rand(3).tobytes()
    assert philox.sample_stream(seed, epoch, index, *path, stream=tuple(stream)).id == want.id


@settings(max_examples=100, deadline=None)
@given(parent=st.lists(_comps, max_size=3), more=st.lists(_comps, max_size=3), by_id=st.booleans())
def test_child_stream_is_the_folded_stream(parent, more, by_id):
    p = philox.Stream(3, id=philox.stream_id(*parent)) if by_id else philox.Stream(3, *parent)
    p.rand(5)
    for _ in range(2):
        c = p.stream(*more)
        assert type(c) is philox.Stream and c.position == 0 and c.seed == 3
        assert c.id == philox.stream_id(*parent, *more)
        assert c.path == (None if by_id else tuple(parent) + tuple(more))


def test_key_stream_checks_the_path_and_moves_nothing():
    key = philox.SampleKey(4, epoch=1, seed=2)
    for bad, exc in [((1.5,), TypeError), ((-1,), ValueError), (("a", 2 ** 64), ValueError), ((True,), TypeError),
                     ((b"x",), TypeError)]:
        with pytest.raises(exc, match=r"path\[\d\]"):
            key.stream(*bad)
    assert key.stream(np.int64(3)).id == key.stream(3).id  # numpy ints: the checked fold, same id


def test_the_cursor_view_keeps_its_stream_alive():
    import gc
    s = philox.Stream(4, "alive", position=6)
    c = s._cursor
    assert c.get() == (0, 6) and s._cursor.get() == (0, 6)
    del s
    gc.collect()
    assert c.get() == (0, 6)
    c.reserve(4)
    assert c.get() == (0, 10)


def test_stream_state_round_trips():
    import copy
    import pickle
    for make in (lambda s: pickle.loads(pickle.dumps(s)), copy.copy, copy.deepcopy):
        s = philox.Stream(-3, "rt", 5, position=2 ** 65 + 3)
        t = make(s)
        assert type(t) is philox.Stream and t == s and t.path == ("rt", 5) and t.position == 2 ** 65 + 3
        assert t.rand(4).tobytes() == s.rand(4).tobytes() and t.position == s.position == 2 ** 65 + 11
        t.rand()
        assert s.position == 2 ** 65 + 11  # its own cursor
    k = philox.Stream(1, id=77)
    assert pickle.loads(pickle.dumps(k, protocol=2)) == k


def test_stream_core_internals_refuse_bad_calls():
    with pytest.raises(TypeError):
        _core.key_stream(int, 0, (1,), 0, 0, (), {"sample": 5})  # not a StreamCore class
    with pytest.raises(TypeError):
        _core.key_stream(philox.Stream, 0, ["a"], 0, 0, (), {})
    with pytest.raises(OverflowError):
        _core.key_stream(philox.Stream, -1, (), 0, 0, (), {})
    with pytest.raises(TypeError):
        _core.child_stream(philox.Stream, object(), (), {})
    assert _core.key_stream(philox.Stream, 0, (1.5,), 0, 0, (), {}) is None  # not foldable here: the caller checks
    assert _core.child_stream(philox.Stream, philox.Stream(0), ("never seen str",), {}) is None


def test_the_fast_paths_without_torch():
    import subprocess
    import sys
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np, philox\n"
        "s = philox.Stream(3, 'nt'); t = philox.Stream(3, 'nt'); t._small_ok = False\n"
        "for f in (lambda x: x.rand(), lambda x: x.rand(10), lambda x: x.randn(4, dtype=np.float32),\n"
        "          lambda x: x.randint(0, 10), lambda x: x.randint(-3, 3, size=5)):\n"
        "    assert np.asarray(f(s)).tobytes() == np.asarray(f(t)).tobytes()\n"
        "k = philox.SampleKey(5, epoch=1, seed=3)\n"
        "assert k.stream('aug').rand(3).tobytes() == philox.Stream(3, 'sampler', 'sample', 1, 5, 'aug').rand(3).tobytes()\n"
        "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


def test_bench_small_draws_rows():
    from philox import _bench
    rows = _bench.small_draws(calls=3, repeats=2)
    names = [r["draw"] for r in rows]
    assert names[:4] == [c[0] for c in _bench.SMALL_DRAWS[:4]]
    for r in rows:
        assert set(r) == {"draw", "us", "ref", "ref_us", "ratio", "target", "ok"}
        assert r["us"] >= 0 and r["ref_us"] >= 0 and r["ok"] == (r["ratio"] <= r["target"])
