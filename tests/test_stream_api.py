"""Basic API behaviour: return types, shapes and dtypes, out=, child streams, raw ids, the default
generator, seeding, and many threads sharing one stream."""
import copy
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest

import philox
import reference as R
from helpers import assert_bits_equal


@pytest.fixture
def default_state():
    """Restore the default generator (seed and named streams) after a test that changes it."""
    g = philox.default_generator
    saved = g.state_dict()
    try:
        yield g
    finally:
        g.load_state_dict(saved)


def test_constants():
    assert philox.FORMAT_VERSION == 1
    assert philox.MAX_POSITION == 2 ** 66
    assert philox.DEFAULT_SEED == 0x243F6A8885A308D3
    assert isinstance(philox.__version__, str)


# ---------------------------------------------------------------------------------- return types
@pytest.mark.parametrize("call,dtype", [
    (lambda s: s.rand(), np.float64), (lambda s: s.randn(), np.float64),
    (lambda s: s.uniform(), np.float64), (lambda s: s.normal(), np.float64),
    (lambda s: s.randint(5), np.int64), (lambda s: s.random_raw(), np.uint32),
    (lambda s: s.random_raw(dtype=np.uint64), np.uint64), (lambda s: s.rand(dtype=np.float32), np.float32),
    (lambda s: s.randn(dtype=np.float16), np.float16), (lambda s: s.randint(0, 9, dtype=np.uint8), np.uint8),
])
def test_scalar_draws(call, dtype):
    s = philox.Stream(1)
    x = call(s)
    assert np.ndim(x) == 0 and not isinstance(x, np.ndarray)
    assert type(x) is dtype
    assert s.position > 0


@pytest.mark.parametrize("call,dtype,shape", [
    (lambda s: s.rand(3), np.float64, (3,)),
    (lambda s: s.rand(3, 4), np.float64, (3, 4)),
    (lambda s: s.rand((3, 4)), np.float64, (3, 4)),
    (lambda s: s.rand([3, 4]), np.float64, (3, 4)),
    (lambda s: s.rand(2, 3, 4, dtype=np.float32), np.float32, (2, 3, 4)),
    (lambda s: s.rand(5, dtype="float16"), np.float16, (5,)),
    (lambda s: s.randn(4, 1), np.float64, (4, 1)),
    (lambda s: s.uniform(-1, 1, size=(2, 2)), np.float64, (2, 2)),
    (lambda s: s.uniform(-1, 1, size=7, dtype=np.float32), np.float32, (7,)),
    (lambda s: s.normal(0, 2, size=(3,)), np.float64, (3,)),
    (lambda s: s.randint(10, size=6), np.int64, (6,)),
    (lambda s: s.randint(-10, 10, size=(2, 3), dtype=np.int16), np.int16, (2, 3)),
    (lambda s: s.random_raw(5), np.uint32, (5,)),
    (lambda s: s.random_raw((2, 2), dtype=np.uint64), np.uint64, (2, 2)),
    (lambda s: s.random_raw(3, dtype=np.int64), np.int64, (3,)),
    (lambda s: s.rand(0), np.float64, (0,)),
    (lambda s: s.rand(3, 0), np.float64, (3, 0)),
    (lambda s: s.randint(0, 5, size=()), np.int64, ()),
])
def test_array_draws(call, dtype, shape):
    x = call(philox.Stream(2))
    assert isinstance(x, np.ndarray)
    assert x.dtype == dtype and x.shape == shape
    assert x.flags.c_contiguous and x.flags.writeable and x.flags.owndata


def test_empty_draws_leave_position():
    s = philox.Stream(3, position=7)
    for x in (s.rand(0), s.randn(0, 5), s.random_raw(0), s.uniform(size=0), s.normal(size=(0, 2)),
              s.randint(0, 2 ** 50, size=0), s.rand(out=np.empty(0))):
        assert x.size == 0
    assert s.position == 7


def test_star_and_tuple_sizes_agree():
    a = philox.Stream(4).rand(3, 4)
    b = philox.Stream(4).rand((3, 4))
    c = philox.Stream(4).rand([3, 4])
    d = philox.Stream(4).rand(12).reshape(3, 4)
    for other in (b, c, d):
        assert_bits_equal(a, other)
    assert_bits_equal(philox.Stream(4).randn(2, 5), philox.Stream(4).randn((2, 5)))


def test_values_in_range():
    s = philox.Stream(5)
    for dt in (np.float64, np.float32, np.float16):
        u = s.rand(20000, dtype=dt)
        assert (u >= 0).all() and (u < 1).all()
        v = s.uniform(-3, 5, size=20000, dtype=dt)
        assert (v >= -3).all() and (v < 5).all()
        assert (s.normal(2.5, 0, size=10, dtype=dt) == dt(2.5)).all()
    k = s.randint(-5, 2, size=5000, dtype=np.int8)
    assert k.min() == -5 and k.max() == 1
    assert set(s.randint(3, size=300).tolist()) == {0, 1, 2}
    big = s.randint(2 ** 64 - 10, 2 ** 64, size=1000, dtype=np.uint64)
    assert int(big.min()) >= 2 ** 64 - 10


# ---------------------------------------------------------------------------------- out=
@pytest.mark.parametrize("method", ["rand", "randn", "uniform", "normal", "randint", "random_raw"])
def test_out_contiguous(method):
    dtype = {"randint": np.int64, "random_raw": np.uint32}.get(method, np.float64)
    call = {
        "rand": lambda s, **kw: s.rand(**kw), "randn": lambda s, **kw: s.randn(**kw),
        "uniform": lambda s, **kw: s.uniform(-2, 2, **kw), "normal": lambda s, **kw: s.normal(1, 2, **kw),
        "randint": lambda s, **kw: s.randint(-4, 99, **kw), "random_raw": lambda s, **kw: s.random_raw(**kw),
    }[method]
    out = np.zeros((3, 5), dtype)
    s = philox.Stream(6, "out")
    res = call(s, out=out)
    assert res is out
    expected = call(philox.Stream(6, "out"), size=(3, 5)) if method not in ("rand", "randn") else \
        getattr(philox.Stream(6, "out"), method)(3, 5)
    assert_bits_equal(out, expected)
    assert s.position == 15 * (1 if method == "random_raw" else 2)
    # giving the size as well is fine when it matches
    out2 = np.zeros((3, 5), dtype)
    if method in ("rand", "randn"):
        getattr(philox.Stream(6, "out"), method)(3, 5, out=out2)
    else:
        call(philox.Stream(6, "out"), size=(3, 5), out=out2)
    assert_bits_equal(out2, expected)


@pytest.mark.parametrize("view", ["step", "column", "transposed", "reversed", "fortran"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_out_non_contiguous(view, dtype):
    base = np.full((6, 8), -1, dtype)
    if view == "step":
        out, shape = base[::2, ::3], (3, 3)
    elif view == "column":
        out, shape = base[:, 3], (6,)
    elif view == "transposed":
        out, shape = base.T, (8, 6)
    elif view == "reversed":
        out, shape = base[::-1, 1:4], (6, 3)
    else:
        base = np.asfortranarray(base)
        out, shape = base, (6, 8)
    assert not out.flags.c_contiguous
    s = philox.Stream(7, "nc", position=3)
    res = s.rand(out=out)
    assert res is out
    expected = philox.Stream(7, "nc", position=3).rand(*shape, dtype=dtype)
    assert_bits_equal(np.ascontiguousarray(out), expected)   # row-major order of the view
    assert s.position == 3 + expected.size * (2 if dtype == np.float64 else 1)
    # elements outside the view are untouched
    mask = np.ones(base.shape, bool)
    if view == "step":
        mask[::2, ::3] = False
    elif view == "column":
        mask[:, 3] = False
    elif view == "reversed":
        mask[:, 1:4] = False
    else:
        mask[:] = False
    assert (base[mask] == -1).all()


def test_out_non_contiguous_int_and_raw():
    base = np.zeros((4, 6), np.int32)
    philox.Stream(8).randint(-50, 50, out=base[:, ::2])
    assert_bits_equal(base[:, ::2], philox.Stream(8).randint(-50, 50, size=(4, 3), dtype=np.int32))
    assert (base[:, 1::2] == 0).all()
    raw = np.zeros(10, np.uint64)
    # (random_raw's dtype defaults to uint32, so a uint64 out= needs the dtype spelled out)
    philox.Stream(8).random_raw(out=raw[::2], dtype=np.uint64)
    assert_bits_equal(raw[::2], philox.Stream(8).random_raw(5, dtype=np.uint64))
    assert (raw[1::2] == 0).all()
    raw32 = np.zeros((5, 2), np.uint32)
    philox.Stream(8).random_raw(out=raw32.T)
    assert_bits_equal(raw32.T, philox.Stream(8).random_raw((2, 5)))


def test_out_zero_dim():
    out = np.zeros((), np.float32)
    res = philox.Stream(9).rand(out=out)
    assert res is out
    assert out[()] == philox.Stream(9).rand(dtype=np.float32)


# ---------------------------------------------------------------------------------- paths and ids
def test_stream_id_of_empty_path():
    assert philox.stream_id() == 0
    s = philox.Stream(1)
    assert s.id == 0 and s.path == ()


@pytest.mark.parametrize("path,more", [((), ("a",)), (("a",), ("b", 2)), (("aug", 3), ()),
                                       ((0,), (2 ** 64 - 1, "z"))])
def test_child_streams(path, more):
    parent = philox.Stream(11, *path, position=5)
    child = parent.stream(*more)
    assert child.path == path + more
    assert child.id == philox.stream_id(*path, *more) == R.stream_id(*path, *more)
    assert child.position == 0 and child.seed == 11
    assert child == philox.Stream(11, *path, *more)
    assert_bits_equal(child.rand(9), philox.Stream(11, *path, *more).rand(9))
    assert parent.position == 5
    # grandchildren chain
    assert parent.stream(*more).stream("g").id == philox.stream_id(*path, *more, "g")


@pytest.mark.parametrize("path", [(), ("a",), ("aug", 3), (7, "x", 2 ** 63)])
def test_raw_id_streams_equal_path_streams(path):
    sid = philox.stream_id(*path)
    a = philox.Stream(12, id=sid)
    b = philox.Stream(12, *path)
    assert a.id == b.id and a.path is None and b.path == path
    assert a != b  # different names, equal values
    assert_bits_equal(a.randn(50), b.randn(50))
    assert_bits_equal(a.randint(0, 2 ** 40, size=9), b.randint(0, 2 ** 40, size=9))
    assert a.stream("c").id == b.stream("c").id
    assert_bits_equal(a.stream("c").rand(5), b.stream("c").rand(5))


def test_negative_seeds_wrap():
    for s in (-1, -5, -(2 ** 63)):
        a, b = philox.Stream(s, "w"), philox.Stream(s + 2 ** 64, "w")
        assert a.seed == b.seed == s + 2 ** 64
        assert a == b
        assert_bits_equal(a.random_raw(20), b.random_raw(20))
        assert philox.Generator(s).initial_seed() == s + 2 ** 64


def test_stream_equality_and_hash():
    a, b = philox.Stream(1, "x"), philox.Stream(1, "x")
    assert a == b
    b.rand()
    assert a != b
    assert philox.Stream(1, "x") != philox.Stream(2, "x")
    assert (a == "x") is False
    with pytest.raises(TypeError):
        hash(a)
    assert "position=0" in repr(a) and "seed=1" in repr(a)
    assert "id=" in repr(philox.Stream(1, id=5))


def test_seed_key_layout():
    # SPEC 2: key = (S mod 2**32, S >> 32); word 0 of stream id 0 is the block of counter 0
    S = 0x0123456789ABCDEF
    w = philox.Stream(S).random_raw(4)
    assert w.tolist() == list(R.philox4x32_10((0, 0, 0, 0), (S & 0xFFFFFFFF, S >> 32)))
    assert philox.philox4x32([0, 0, 0, 0], [S & 0xFFFFFFFF, S >> 32]).tolist() == w.tolist()


# ---------------------------------------------------------------------------------- default generator
def _run(code):
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_default_seed_in_a_fresh_interpreter():
    out = _run("import philox; print(philox.initial_seed()); print(philox.stream('a').random_raw(4).tolist());"
               "print(philox.default_generator.stream('a').position)")
    seed, words, pos = out.splitlines()
    assert int(seed) == 0x243F6A8885A308D3 == philox.DEFAULT_SEED
    assert eval(words) == philox.Stream(philox.DEFAULT_SEED, "a").random_raw(4).tolist()
    assert int(pos) == 4
    # the same in a second fresh process: a program that never seeds reproduces
    assert _run("import philox; print(philox.stream('a').random_raw(4).tolist())") == words


def test_manual_seed_initial_seed_seed(default_state):
    g = philox.manual_seed(5)
    assert g is philox.default_generator
    assert philox.initial_seed() == 5
    s = philox.stream("m")
    assert s is philox.default_generator.stream("m") is philox.stream("m")
    x = s.rand(3)
    assert_bits_equal(x, philox.Stream(5, "m").rand(3))
    philox.manual_seed(-1)
    assert philox.initial_seed() == 2 ** 64 - 1
    assert s.position == 0 and s is philox.stream("m")
    new = philox.seed()
    assert isinstance(new, int) and 0 <= new < 2 ** 64
    assert philox.initial_seed() == new
    assert s.position == 0 and s.seed == new
    assert philox.seed() != new  # 64 bits of fresh entropy: equal with probability 2**-64


def test_generator_without_seed_takes_entropy():
    seeds = {philox.Generator().initial_seed() for _ in range(4)}
    assert len(seeds) == 4
    assert all(0 <= s < 2 ** 64 for s in seeds)
    g = philox.Generator(3)
    assert g.seed() != g.seed()


def test_generator_streams_are_registered_once():
    g = philox.Generator(13)
    a = g.stream("a", 1)
    assert g.stream("a", np.int64(1)) is a
    assert g.stream("a") is not a
    assert [e["path"] for e in g.state_dict()["streams"]] == [["a", 1], ["a"]]
    assert "streams=2" in repr(g)


def test_generator_pickles_and_copies():
    g = philox.Generator(14)
    g.stream("a").rand(3)
    g.stream("b", 2).randn(5)
    for h in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert h is not g
        assert h.state_dict() == g.state_dict()
        assert_bits_equal(h.stream("b", 2).rand(4), copy.deepcopy(g).stream("b", 2).rand(4))
    assert g.stream("b", 2).position == 10


class _TaggedStream(philox.Stream):
    """A user's subclass with an attribute of its own (module level: pickle finds it)."""


def test_stream_subclass_pickles_with_its_attributes():
    s = _TaggedStream(15, "tagged")
    s.rand(3)
    s.tag = {"epoch": 2}
    for t in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s), copy.copy(s)):
        assert type(t) is _TaggedStream and t.tag == {"epoch": 2} and t == s
        assert_bits_equal(t.rand(4), copy.deepcopy(s).rand(4))
    plain = philox.Stream(15, "tagged", position=6)
    assert plain.__getstate__() == plain.state_dict()  # no attributes: the state dict itself, as before
    assert pickle.loads(pickle.dumps(plain)) == plain


# ---------------------------------------------------------------------------------- threads
def test_threads_share_one_stream():
    # 8 threads draw 200 times 37 words from ONE stream: the reservations are atomic, so the
    # draws are disjoint, contiguous 37-word ranges that together cover words [0, total)
    s = philox.Stream(15, "shared")
    n_threads, draws, k = 8, 200, 37
    results = [[] for _ in range(n_threads)]
    barrier = threading.Barrier(n_threads)

    def work(i):
        barrier.wait()
        for _ in range(draws):
            results[i].append(s.random_raw(k))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = n_threads * draws * k
    assert s.position == total
    ref = R.words(15, philox.stream_id("shared"), 0, total)
    chunk_index = {ref[j * k:(j + 1) * k].tobytes(): j for j in range(total // k)}
    assert len(chunk_index) == total // k
    seen = []
    for per_thread in results:
        for a in per_thread:
            assert a.tobytes() in chunk_index      # each draw is one whole, aligned 37-word range
            seen.append(chunk_index[a.tobytes()])
        # a thread's own draws come in increasing positions
        idx = [chunk_index[a.tobytes()] for a in per_thread]
        assert idx == sorted(idx)
    assert sorted(seen) == list(range(total // k))  # disjoint, and together all of [0, total)
    all_words = np.sort(np.concatenate([a for r in results for a in r]))
    np.testing.assert_array_equal(all_words, np.sort(ref))


def test_threads_share_one_stream_mixed_draws():
    # different draw kinds from several threads: positions still add up exactly
    s = philox.Stream(16)
    calls = [lambda: s.rand(10), lambda: s.randn(3, dtype=np.float32), lambda: s.randint(0, 2 ** 40, size=5),
             lambda: s.random_raw(7, dtype=np.uint64)]
    words = [20, 3, 20, 14]

    def work(i):
        for _ in range(300):
            calls[i]()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert s.position == 300 * sum(words)
