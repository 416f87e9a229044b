"""Bad input raises TypeError (wrong type) or ValueError (wrong value) with a message that names the
argument or the value, and a failed call never moves the stream's position (nor changes a
generator's state)."""
import numpy as np
import pytest

import philox

END = 1 << 66


def check_raises(exc, match, fn, *watch):
    """fn() raises exactly ``exc`` with ``match`` in its message; ``watch``ed streams keep their
    positions (and generators their state dicts)."""
    before = [w.position if isinstance(w, philox.Stream) else w.state_dict() for w in watch]
    with pytest.raises(exc, match=match) as info:
        fn()
    assert type(info.value) is exc, f"raised {type(info.value).__name__}, not {exc.__name__}: {info.value}"
    after = [w.position if isinstance(w, philox.Stream) else w.state_dict() for w in watch]
    assert after == before, "a failed call changed the state"
    return info.value


# ---------------------------------------------------------------------------------- seeds
BAD_SEEDS = [
    (True, TypeError, "seed"), (False, TypeError, "seed"), (np.bool_(True), TypeError, "seed"),
    (1.0, TypeError, "seed"), (np.float64(3), TypeError, "seed"), ("1", TypeError, "seed"),
    (None, TypeError, "seed"), (b"1", TypeError, "seed"), ([1], TypeError, "seed"),
    (-(2 ** 63) - 1, ValueError, "seed.*-9223372036854775809"), (2 ** 64, ValueError, "seed.*18446744073709551616"),
    (-(2 ** 100), ValueError, "seed"),
]


@pytest.mark.parametrize("seed,exc,match", BAD_SEEDS, ids=repr)
def test_bad_seeds(seed, exc, match):
    check_raises(exc, match, lambda: philox.Stream(seed))
    check_raises(exc, match, lambda: philox.Stream(seed, "a", position=3))
    if seed is not None:  # Generator(None) means "fresh entropy"
        check_raises(exc, match, lambda: philox.Generator(seed))
    g = philox.Generator(7)
    g.stream("x").rand(3)
    check_raises(exc, match, lambda: g.manual_seed(seed), g, g.stream("x"))
    saved = philox.initial_seed()
    check_raises(exc, match, lambda: philox.manual_seed(seed))
    assert philox.initial_seed() == saved


@pytest.mark.parametrize("seed", [np.int64(-5), np.uint64(2 ** 64 - 1), np.int8(3), np.uint32(7),
                                  -(2 ** 63), 2 ** 64 - 1, 0])
def test_numpy_and_edge_seeds_accepted(seed):
    s = philox.Stream(seed)
    assert s.seed == int(seed) % 2 ** 64
    assert type(s.seed) is int
    assert philox.Generator(seed).initial_seed() == int(seed) % 2 ** 64


# ---------------------------------------------------------------------------------- paths
BAD_COMPONENTS = [  # (component, exception, message pattern; {i} is the component's index)
    (-1, ValueError, r"path\[{i}\].*-1"), (np.int64(-1), ValueError, r"path\[{i}\]"),
    (2 ** 64, ValueError, r"path\[{i}\].*18446744073709551616"), (1.0, TypeError, r"path\[{i}\].*float"),
    (b"a", TypeError, r"path\[{i}\].*bytes"), (True, TypeError, r"path\[{i}\].*bool"),
    (None, TypeError, r"path\[{i}\].*None"), (np.float32(1), TypeError, r"path\[{i}\]"),
    (("a",), TypeError, r"path\[{i}\]"), (np.bool_(False), TypeError, r"path\[{i}\]"),
]


@pytest.mark.parametrize("c,exc,match", BAD_COMPONENTS, ids=repr)
def test_bad_path_components(c, exc, match):
    m1, m0 = match.format(i=1), match.format(i=0)
    check_raises(exc, m1, lambda: philox.Stream(0, "a", c))
    check_raises(exc, m1, lambda: philox.stream_id("a", c))
    check_raises(exc, m0, lambda: philox.stream_id(c))
    g = philox.Generator(1)
    g.stream("a").rand(2)
    check_raises(exc, m1, lambda: g.stream("a", c), g, g.stream("a"))
    assert len(g.state_dict()["streams"]) == 1  # nothing registered
    parent = philox.Stream(0, "p", position=9)
    check_raises(exc, m0, lambda: parent.stream(c), parent)
    check_raises(exc, m0, lambda: philox.Stream(0, id=5).stream(c))


def test_path_and_id_together():
    check_raises(ValueError, "id", lambda: philox.Stream(0, "a", id=5))


@pytest.mark.parametrize("sid,exc", [(-1, ValueError), (2 ** 64, ValueError), (1.5, TypeError),
                                     (True, TypeError), ("5", TypeError)])
def test_bad_raw_ids(sid, exc):
    check_raises(exc, "id", lambda: philox.Stream(0, id=sid))


def test_numpy_int_components_accepted():
    assert philox.Stream(0, np.uint64(2 ** 64 - 1), np.int32(3)).path == (2 ** 64 - 1, 3)
    assert philox.Stream(0, id=np.uint64(7)).id == 7


# ---------------------------------------------------------------------------------- sizes
SIZE_CALLS = {
    "rand": lambda s, size: s.rand(size),
    "rand_star": lambda s, size: s.rand(2, *size) if isinstance(size, tuple) else s.rand(2, size),
    "randn": lambda s, size: s.randn(size),
    "random_raw": lambda s, size: s.random_raw(size),
    "uniform": lambda s, size: s.uniform(0, 1, size=size),
    "normal": lambda s, size: s.normal(0, 1, size=size),
    "randint": lambda s, size: s.randint(0, 5, size=size),
}
BAD_SIZES = [
    (-1, ValueError), ((2, -1), ValueError), (2.0, TypeError), ((2, 3.0), TypeError), (True, TypeError),
    ((2, True), TypeError), ((2, (3,)), TypeError), ("3", TypeError), ((2, None), TypeError),
    (np.float64(2), TypeError), ((2, [3]), TypeError),
]


@pytest.mark.parametrize("method", list(SIZE_CALLS))
@pytest.mark.parametrize("size,exc", BAD_SIZES, ids=repr)
def test_bad_sizes(method, size, exc):
    s = philox.Stream(3, position=5)
    check_raises(exc, "size", lambda: SIZE_CALLS[method](s, size), s)


def test_bad_star_sizes():
    s = philox.Stream(3, position=5)
    check_raises(TypeError, "size", lambda: s.rand((2, 3), 4), s)
    check_raises(TypeError, "size", lambda: s.randn([2, [3]]), s)
    check_raises(TypeError, "size", lambda: s.rand(None), s)
    check_raises(ValueError, "size", lambda: s.randn(3, -2), s)
    check_raises(TypeError, "size", lambda: s.random_raw({3}), s)


@pytest.mark.parametrize("size", [np.int64(3), (np.uint8(2), 3), [2, 3], (0,), (3, 0)])
def test_numpy_and_list_sizes_accepted(size):
    s = philox.Stream(0)
    shape = tuple(int(v) for v in np.atleast_1d(np.array(size, dtype=object)))
    assert s.rand(size).shape == shape
    assert s.random_raw(size).shape == shape


# ---------------------------------------------------------------------------------- randint
BAD_RANDINT = [
    (lambda s: s.randint(0.5), TypeError, "high.*0.5"),
    (lambda s: s.randint(0, 5.0), TypeError, "high.*5.0"),
    (lambda s: s.randint(0.0, 5), TypeError, "low.*0.0"),
    (lambda s: s.randint(np.float64(1), 3), TypeError, "low"),
    (lambda s: s.randint(True, 5), TypeError, "low"),
    (lambda s: s.randint(0, "5"), TypeError, "high"),
    (lambda s: s.randint(None, 5), TypeError, "low"),
    (lambda s: s.randint(5, 5), ValueError, "low.*high"),
    (lambda s: s.randint(6, 5), ValueError, "low.*high"),
    (lambda s: s.randint(0), ValueError, "low.*high"),
    (lambda s: s.randint(-3), ValueError, "low.*high"),
    (lambda s: s.randint(-1, 2 ** 64, dtype=np.uint64), ValueError, r"2\*\*64"),
    (lambda s: s.randint(-(2 ** 63), 2 ** 64), ValueError, r"2\*\*64"),
    (lambda s: s.randint(0, 300, dtype=np.uint8), ValueError, "300.*fit|fit.*300"),
    (lambda s: s.randint(-1, 5, dtype=np.uint32), ValueError, "-1.*fit|fit.*-1"),
    (lambda s: s.randint(-129, 0, dtype=np.int8), ValueError, "fit"),
    (lambda s: s.randint(0, 129, dtype=np.int8), ValueError, "fit"),
    (lambda s: s.randint(0, 2 ** 16 + 1, dtype=np.uint16), ValueError, "fit"),
    (lambda s: s.randint(0, 2 ** 31 + 1, dtype=np.int32), ValueError, "fit"),
    (lambda s: s.randint(0, 2 ** 64), ValueError, "fit"),               # default int64
    (lambda s: s.randint(0, 2 ** 63 + 1), ValueError, "fit"),
    (lambda s: s.randint(0, 2 ** 64 + 1, dtype=np.uint64), ValueError, "fit|2\\*\\*64"),
    (lambda s: s.randint(0, 5, dtype=np.float32), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, dtype=np.float64), TypeError, "dtype"),
    (lambda s: s.randint(0, 2, dtype=np.bool_), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, dtype=object), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, dtype="not-a-dtype"), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, dtype=np.complex64), TypeError, "dtype"),
]


@pytest.mark.parametrize("call,exc,match", BAD_RANDINT)
def test_bad_randint(call, exc, match):
    s = philox.Stream(1, position=5)
    check_raises(exc, match, lambda: call(s), s)


def test_randint_edges_accepted():
    s = philox.Stream(1)
    assert s.randint(0, 256, size=50, dtype=np.uint8).dtype == np.uint8
    assert s.randint(-128, 128, size=5, dtype=np.int8).dtype == np.int8
    assert s.randint(0, 2 ** 64, size=5, dtype=np.uint64).dtype == np.uint64
    assert s.randint(-(2 ** 63), 2 ** 63, size=5).dtype == np.int64
    assert s.randint(np.int64(-3), np.uint64(9), size=5).dtype == np.int64
    assert set(s.randint(2 ** 64 - 2, 2 ** 64, size=50, dtype=np.uint64).tolist()) == {2 ** 64 - 2, 2 ** 64 - 1}


# ---------------------------------------------------------------------------------- dtypes
BAD_DTYPES = [
    (lambda s: s.rand(3, dtype=np.int32), "dtype"),
    (lambda s: s.rand(3, dtype=object), "dtype"),
    (lambda s: s.rand(3, dtype=np.complex128), "dtype"),
    (lambda s: s.rand(3, dtype=np.bool_), "dtype"),
    (lambda s: s.rand(3, dtype=np.dtype(">f8")), "dtype"),     # non-native byte order
    (lambda s: s.rand(3, dtype="nonsense"), "dtype"),
    (lambda s: s.rand(3, dtype=np.longdouble), "dtype"),
    (lambda s: s.randn(3, dtype=np.int64), "dtype"),
    (lambda s: s.uniform(0, 1, size=3, dtype=np.uint8), "dtype"),
    (lambda s: s.normal(0, 1, size=3, dtype=np.int8), "dtype"),
    (lambda s: s.random_raw(3, dtype=np.float32), "dtype"),
    (lambda s: s.random_raw(3, dtype=np.float64), "dtype"),
    (lambda s: s.random_raw(3, dtype=np.uint16), "dtype"),
    (lambda s: s.random_raw(3, dtype=np.int8), "dtype"),
    (lambda s: s.random_raw(3, dtype=object), "dtype"),
]


@pytest.mark.parametrize("call,match", BAD_DTYPES)
def test_unsupported_dtypes(call, match):
    s = philox.Stream(2, position=5)
    check_raises(TypeError, match, lambda: call(s), s)


# ---------------------------------------------------------------------------------- normal / uniform
BAD_PARAMS = [
    (lambda s: s.normal(0, -1), ValueError, "std.*-1"),
    (lambda s: s.normal(0, -1e-300), ValueError, "std"),
    (lambda s: s.normal(0, -1, dtype=np.float32), ValueError, "std"),
    (lambda s: s.normal(float("nan"), 1), ValueError, "mean.*nan"),
    (lambda s: s.normal(float("inf"), 1), ValueError, "mean.*inf"),
    (lambda s: s.normal(0, float("inf")), ValueError, "std.*inf"),
    (lambda s: s.normal(0, float("nan")), ValueError, "std"),
    (lambda s: s.normal("0", 1), TypeError, "mean"),
    (lambda s: s.normal(0, None), TypeError, "std"),
    (lambda s: s.normal(True, 1), TypeError, "mean"),
    (lambda s: s.normal(0, 1j), TypeError, "std"),
    (lambda s: s.uniform(float("nan"), 1), ValueError, "low.*nan"),
    (lambda s: s.uniform(0, float("inf")), ValueError, "high.*inf"),
    (lambda s: s.uniform(-np.inf, 0), ValueError, "low"),
    (lambda s: s.uniform(1, 1), ValueError, "low.*high"),
    (lambda s: s.uniform(2, 1), ValueError, "low.*high"),
    (lambda s: s.uniform(1.0, 1.0 + 1e-12, dtype=np.float32), ValueError, "low.*high"),  # equal in float32
    (lambda s: s.uniform(1.0, 1.0001, dtype=np.float16), ValueError, "low.*high"),     # equal in float16
    (lambda s: s.uniform(-1e308, 1e308), ValueError, "overflow"),
    (lambda s: s.uniform(-3e38, 3e38, dtype=np.float32), ValueError, "overflow"),
    (lambda s: s.uniform(0, 1e5, dtype=np.float16), ValueError, "high"),       # inf as a float16
    (lambda s: s.uniform(-1e39, 0, dtype=np.float32), ValueError, "low"),      # inf as a float32
    (lambda s: s.normal(1e39, 1, dtype=np.float32), ValueError, "mean"),
    (lambda s: s.normal(0, 1e39, dtype=np.float16), ValueError, "std"),
    (lambda s: s.uniform("0", 1), TypeError, "low"),
    (lambda s: s.uniform(0, None), TypeError, "high"),
    (lambda s: s.uniform(False, 1), TypeError, "low"),
]


@pytest.mark.parametrize("call,exc,match", BAD_PARAMS)
def test_bad_distribution_parameters(call, exc, match):
    s = philox.Stream(4, position=5)
    with np.errstate(over="ignore"):
        check_raises(exc, match, lambda: call(s), s)


@pytest.mark.parametrize("low,high,dtype", [(1e5, 2e5, np.float16), (1e39, 2e39, np.float32)])
def test_out_of_range_bounds_raise_without_warning(low, high, dtype):
    import warnings
    s = philox.Stream(4, position=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_raises(ValueError, "finite", lambda: s.uniform(low, high, dtype=dtype), s)


def test_extreme_but_valid_bounds_accepted():
    s = philox.Stream(4)
    x = s.uniform(0, 65504, size=1000, dtype=np.float16)          # float16's largest finite value
    assert x.dtype == np.float16 and (x < 65504).all() and (x >= 0).all()
    x = s.uniform(-1e308, 0, size=1000)
    assert np.isfinite(x).all()
    x = s.uniform(-3e38, 0, size=1000, dtype=np.float32)
    assert np.isfinite(x).all()


def test_numpy_scalars_accepted_as_parameters():
    s = philox.Stream(4)
    assert s.normal(np.float32(1), np.int64(2), size=3).shape == (3,)
    assert s.uniform(np.int8(-1), np.float16(2), size=3).shape == (3,)


# ---------------------------------------------------------------------------------- positions
BAD_POSITIONS = [(-1, ValueError), (END + 1, ValueError), (2 ** 70, ValueError), (1.0, TypeError),
                 ("0", TypeError), (True, TypeError), (None, TypeError), (np.float64(4), TypeError)]


@pytest.mark.parametrize("pos,exc", BAD_POSITIONS, ids=repr)
def test_bad_positions(pos, exc):
    check_raises(exc, "position", lambda: philox.Stream(0, position=pos))
    s = philox.Stream(0, position=12)

    def set_it():
        s.position = pos
    check_raises(exc, "position", set_it, s)


def test_draw_past_the_end():
    s = philox.Stream(0, position=END - 3)
    check_raises(ValueError, r"2\*\*66", lambda: s.rand(2), s)            # 4 words, 3 left
    check_raises(ValueError, r"2\*\*66", lambda: s.randint(0, 2 ** 40), s)  # 4 words
    check_raises(ValueError, r"2\*\*66", lambda: s.random_raw(4), s)
    check_raises(ValueError, r"2\*\*66", lambda: s.random_raw(2, dtype=np.uint64), s)
    out = np.zeros(4, np.uint32)
    check_raises(ValueError, r"2\*\*66", lambda: s.random_raw(out=out), s)
    assert not out.any()
    s.rand()                       # 2 words: fine
    assert s.position == END - 1
    s.random_raw()                 # the very last word
    assert s.position == END
    assert s.rand(0).shape == (0,)  # an empty draw at the end is fine
    check_raises(ValueError, r"2\*\*66", lambda: s.random_raw(), s)
    check_raises(ValueError, r"2\*\*66", lambda: s.randn(1, dtype=np.float32), s)


@pytest.mark.parametrize("size", [(2 ** 40, 2 ** 30), (2 ** 59,), (2 ** 61,), (2 ** 62,), (2 ** 31, 2 ** 31, 2 ** 31)])
def test_draw_too_large_to_allocate(size):
    s = philox.Stream(0, position=5)
    for call in (lambda: s.rand(size), lambda: s.random_raw(size), lambda: s.randint(0, 9, size=size),
                 lambda: s.normal(0, 1, size=size, dtype=np.float16)):
        with pytest.raises((MemoryError, ValueError)):
            call()
        assert s.position == 5


# ---------------------------------------------------------------------------------- state dicts
def _good_stream_state():
    return philox.Stream(5, "a", 2, position=11).state_dict()


def _with(**kw):
    d = _good_stream_state()
    d.update(kw)
    return d


def _without(key):
    d = _good_stream_state()
    del d[key]
    return d


BAD_STREAM_STATES = [
    ([1, 2], TypeError, "dict"),
    (None, TypeError, "dict"),
    (_without("format"), ValueError, "format"),
    (_without("seed"), ValueError, "seed"),
    (_without("id"), ValueError, "'id'"),
    (_without("path"), ValueError, "path"),
    (_without("position"), ValueError, "position"),
    (_with(format=2), ValueError, "format"),
    (_with(format=0), ValueError, "format"),
    (_with(format="1"), ValueError, "format"),
    (_with(seed="5"), TypeError, "seed"),
    (_with(seed=2 ** 64), ValueError, "seed"),
    (_with(seed=5.0), TypeError, "seed"),
    (_with(id=philox.stream_id("a", 3)), ValueError, "id"),
    (_with(id="x"), TypeError, "id"),
    (_with(id=-1), ValueError, "id"),
    (_with(path="a"), TypeError, "path"),
    (_with(path=["a", 2.0]), TypeError, r"path\[1\]"),
    (_with(path=["a", -2]), ValueError, r"path\[1\]"),
    (_with(path=42), TypeError, "path"),
    (_with(path=None, id=2 ** 64), ValueError, "id"),
    (_with(path=None, id="1"), TypeError, "id"),
    (_with(position=-1), ValueError, "position"),
    (_with(position=END + 1), ValueError, "position"),
    (_with(position="11"), TypeError, "position"),
    (_with(position=11.0), TypeError, "position"),
    (_with(position=None), TypeError, "position"),
]


@pytest.mark.parametrize("d,exc,match", BAD_STREAM_STATES)
def test_bad_stream_state_dicts(d, exc, match):
    check_raises(exc, match, lambda: philox.Stream.from_state_dict(d))


def test_stream_state_dict_without_path_or_id():
    check_raises(ValueError, "id", lambda: philox.Stream.from_state_dict(_with(path=None, id=None)))


def test_stream_state_dict_bool_format():
    check_raises(ValueError, "format", lambda: philox.Stream.from_state_dict(_with(format=True)))


def _good_gen_state():
    g = philox.Generator(9)
    g.stream("a").rand(3)
    g.stream("b", 1).random_raw(5)
    return g.state_dict()


def _gwith(**kw):
    d = _good_gen_state()
    d.update(kw)
    return d


def _gwithout(key):
    d = _good_gen_state()
    del d[key]
    return d


def _gstreams(*entries):
    return _gwith(streams=list(entries))


BAD_GEN_STATES = [
    ("not a dict", TypeError, "dict"),
    (_gwithout("format"), ValueError, "format"),
    (_gwithout("seed"), ValueError, "seed"),
    (_gwithout("streams"), ValueError, "streams"),
    (_gwith(format=2), ValueError, "format"),
    (_gwith(format="1"), ValueError, "format"),
    (_gwith(seed=-(2 ** 64)), ValueError, "seed"),
    (_gwith(seed="9"), TypeError, "seed"),
    (_gwith(streams={"a": 1}), TypeError, "streams"),
    (_gwith(streams="a"), TypeError, "streams"),
    (_gstreams(["a", 3]), ValueError, r"streams\[0\]"),
    (_gstreams({"path": ["a"]}), ValueError, r"streams\[0\]"),
    (_gstreams({"path": ["a"], "position": 1, "id": 5}), ValueError, r"streams\[0\]"),
    (_gstreams({"path": ["a"], "position": 1}, {"path": "b", "position": 2}), TypeError, r"streams\[1\]"),
    (_gstreams({"path": [1.5], "position": 1}), TypeError, r"streams\[0\]"),
    (_gstreams({"path": [-1], "position": 1}), ValueError, r"streams\[0\]"),
    (_gstreams({"path": ["a"], "position": -1}), ValueError, "position"),
    (_gstreams({"path": ["a"], "position": END + 1}), ValueError, "position"),
    (_gstreams({"path": ["a"], "position": 1.0}), TypeError, "position"),
    (_gstreams({"path": ["a"], "position": 1}, {"path": ["a"], "position": 2}), ValueError, "twice"),
    (_gstreams({"path": ["a", 1], "position": 1}, {"path": ("a", np.uint8(1)), "position": 2}), ValueError, "twice"),
]


@pytest.mark.parametrize("d,exc,match", BAD_GEN_STATES)
def test_bad_generator_state_dicts(d, exc, match):
    g = philox.Generator(123)
    a = g.stream("a")
    a.rand(2)
    c = g.stream("c")
    c.randn(1)
    check_raises(exc, match, lambda: g.load_state_dict(d), g, a, c)
    assert g.initial_seed() == 123
    assert g.stream("a") is a and g.stream("c") is c


# ---------------------------------------------------------------------------------- out=
def _readonly(a):
    a.flags.writeable = False
    return a


BAD_OUTS = [
    (lambda s: s.rand(4, out=np.empty(3)), ValueError, "out"),
    (lambda s: s.rand(3, 1, out=np.empty(3)), ValueError, "out"),
    (lambda s: s.uniform(0, 1, size=3, out=np.empty((3, 1))), ValueError, "out"),
    (lambda s: s.randint(0, 5, size=(2, 2), out=np.empty(4, np.int64)), ValueError, "out"),
    (lambda s: s.rand(out=np.empty(3, np.float32), dtype=np.float64), TypeError, "dtype"),
    (lambda s: s.rand(out=np.empty(3, np.int64)), TypeError, "dtype"),
    (lambda s: s.randn(out=np.empty(3, np.uint32)), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, out=np.empty(3)), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, out=np.empty(3, np.bool_)), TypeError, "dtype"),
    (lambda s: s.random_raw(out=np.empty(3, np.uint16)), TypeError, "dtype"),
    (lambda s: s.random_raw(out=np.empty(3, np.float32)), TypeError, "dtype"),
    (lambda s: s.randint(0, 300, out=np.empty(3, np.uint8)), ValueError, "fit"),
    (lambda s: s.rand(out=np.empty(3, np.dtype(">f8"))), TypeError, "dtype"),
    (lambda s: s.rand(out=_readonly(np.empty(3))), ValueError, "read-only"),
    (lambda s: s.rand(out=_readonly(np.empty(6))[::2]), ValueError, "read-only"),
    (lambda s: s.randint(0, 3, out=_readonly(np.empty(3, np.int64))), ValueError, "read-only"),
    (lambda s: s.rand(out=[0.0, 0.0]), TypeError, "out"),
    (lambda s: s.random_raw(out=memoryview(bytearray(8))), TypeError, "out"),
]


@pytest.mark.parametrize("call,exc,match", BAD_OUTS)
def test_bad_out(call, exc, match):
    s = philox.Stream(6, position=5)
    check_raises(exc, match, lambda: call(s), s)


def test_failed_out_is_not_written():
    s = philox.Stream(6)
    out = np.full(3, -7.0)
    check_raises(ValueError, "out", lambda: s.rand(4, out=out), s)
    check_raises(ValueError, "std", lambda: s.normal(0, -1, out=out), s)
    np.testing.assert_array_equal(out, -7.0)


# ---------------------------------------------------------------------------------- threads
@pytest.mark.parametrize("n,exc", [(0, ValueError), (-1, ValueError), ("2", TypeError), (2.0, TypeError),
                                   (True, TypeError), (None, TypeError)])
def test_bad_num_threads(num_threads, n, exc):
    before = philox.get_num_threads()
    check_raises(exc, "n", lambda: philox.set_num_threads(n))
    assert philox.get_num_threads() == before


def test_num_threads_accepts_numpy_ints(num_threads):
    philox.set_num_threads(np.int64(3))
    assert philox.get_num_threads() == 3


# ---------------------------------------------------------------------------------- philox4x32
BAD_BLOCKS = [
    (lambda: philox.philox4x32([0, 0, 0], [0, 0]), ValueError, "counter"),
    (lambda: philox.philox4x32(np.zeros((2, 3), np.uint32), [0, 0]), ValueError, "counter"),
    (lambda: philox.philox4x32(5, [0, 0]), ValueError, "counter"),
    (lambda: philox.philox4x32([0, 0, 0, 0], [0, 0, 0]), ValueError, "key"),
    (lambda: philox.philox4x32([0, 0, 0, 0], 0), ValueError, "key"),
    (lambda: philox.philox4x32([-1, 0, 0, 0], [0, 0]), ValueError, "counter"),
    (lambda: philox.philox4x32([2 ** 32, 0, 0, 0], [0, 0]), ValueError, "counter"),
    (lambda: philox.philox4x32([2 ** 64, 0, 0, 0], [0, 0]), ValueError, "counter"),
    (lambda: philox.philox4x32([0, 0, 0, 0], [0, 2 ** 32]), ValueError, "key"),
    (lambda: philox.philox4x32(np.array([0, 0, 0, -5], np.int64), [0, 0]), ValueError, "counter"),
    (lambda: philox.philox4x32([0.0, 0, 0, 0], [0, 0]), TypeError, "counter"),
    (lambda: philox.philox4x32([0, 0, 0, 0], [0.5, 0]), TypeError, "key"),
    (lambda: philox.philox4x32([True, False, True, True], [0, 0]), TypeError, "counter"),
    (lambda: philox.philox4x32(["0", "0", "0", "0"], [0, 0]), TypeError, "counter"),
    (lambda: philox.philox4x32([None, 0, 0, 0], [0, 0]), TypeError, "counter"),
    (lambda: philox.philox4x32(np.zeros((3, 4), np.uint32), np.zeros((2, 2), np.uint32)), ValueError, "shape"),
]


@pytest.mark.parametrize("call,exc,match", BAD_BLOCKS)
def test_bad_philox4x32_input(call, exc, match):
    check_raises(exc, match, call)


# ---------------------------------------------------------------------------------- isa
def test_force_isa_unknown_name():
    from philox import _core
    try:
        assert _core.force_isa("sse9") is False
        assert _core.isa() in ("baseline", "avx2", "avx512")
    finally:
        _core.force_isa("auto")
