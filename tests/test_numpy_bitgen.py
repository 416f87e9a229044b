"""Stream.bit_generator() / Stream.numpy(): numpy's BitGenerator protocol over a stream (FORMAT.md 14).

The words numpy reads are the stream's words from its position (checked against the independent
reference), the position moves by exactly the words consumed, and numpy's own Generator test
patterns (numpy/random/tests/test_smoke.py, run below on this bit generator) pass: every method,
state round trips, pickling, reproducibility, threads through the lock.
"""
import copy
import ctypes
import pickle
import secrets
import threading

import numpy as np
import pytest

import philox
import reference as R
from philox import StreamBitGenerator, Stream

SEED, PATH = 20260511, ("numpy", 7)
SID = R.stream_id(*PATH)


def _u01_f64(w):
    return R._u01("f64", w)


def _fresh(position=0):
    return Stream(SEED, *PATH, position=position)


# ------------------------------------------------------------------------------------------- words
@pytest.mark.parametrize("position", [0, 1, 2, 3, 5, 2**32 - 1, 2**62 + 3, 2**63 - 1, 2**63 + 1, 2**66 - 14])
def test_doubles_are_rand_float64_and_words_are_the_reference(position):
    s = _fresh(position)
    g = s.numpy()
    got = g.random(4)
    assert s.position == position + 8
    w = R.words(SEED, SID, position, 8)
    np.testing.assert_array_equal(got, _u01_f64(w))
    np.testing.assert_array_equal(got, _fresh(position).rand(4))
    raw = s.bit_generator().random_raw(3)  # next_raw: first + 2**32 second
    w = R.words(SEED, SID, position + 8, 6)
    assert raw.tolist() == [int(w[2 * i]) | (int(w[2 * i + 1]) << 32) for i in range(3)]
    assert s.position == position + 14


def test_golden_values():
    """Frozen: the first doubles and raw 64-bit words numpy sees on Stream(20260511, "numpy", 7)."""
    g = _fresh().numpy()
    assert g.random(2).tolist() == _fresh().rand(2).tolist()
    got = _fresh().bit_generator().random_raw(2).tolist()
    w = R.words(SEED, SID, 0, 4)
    assert got == [int(w[0]) | int(w[1]) << 32, int(w[2]) | int(w[3]) << 32]
    assert [hex(int(x)) for x in w] == GOLDEN_WORDS


GOLDEN_WORDS = ["0xb356e797", "0x972147f6", "0xc445029b", "0x916ada08"]


def test_next_uint32_takes_one_word_and_mixing_never_buffers():
    """ctypes calls of numpy's struct: next_uint32 is one word; a 64-bit value after it starts at an
    odd word (no half-used buffer), and the position counts exactly the words taken."""
    s = _fresh(10)
    bg = s.bit_generator()
    c = bg.ctypes
    with bg.lock:
        a = c.next_uint32(c.state)
        b = c.next_uint64(c.state)
        d = c.next_double(c.state)
        e = c.next_uint32(c.state)
    w = R.words(SEED, SID, 10, 6)
    assert a == int(w[0])
    assert b == int(w[1]) | int(w[2]) << 32
    assert d == _u01_f64(w[3:5])[0]
    assert e == int(w[5])
    assert s.position == 16


def test_position_is_the_words_numpy_consumed():
    s = _fresh()
    g = s.numpy()
    g.random(5)
    assert s.position == 10
    g.integers(0, 2**32, size=7, dtype=np.uint32)  # numpy: one next_uint32 per value
    assert s.position == 17
    g.integers(0, 2**64, size=3, dtype=np.uint64, endpoint=False)
    assert s.position == 23
    s.rand(2)  # the stream's own draws and numpy's share the position
    assert s.position == 27
    np.testing.assert_array_equal(g.random(2), _fresh(27).rand(2))


def test_jumping_the_stream_moves_numpy():
    s = _fresh()
    g = s.numpy()
    for p in (12345, 3, 2**63 - 2, 2**63 + 7, 2**64 + 1, 0):
        s.position = p
        np.testing.assert_array_equal(g.random(3), _fresh(p).rand(3))
        assert s.position == p + 6
        g.bit_generator.state = {**g.bit_generator.state, "position": p}
        np.testing.assert_array_equal(g.standard_normal(5), _fresh(p).numpy().standard_normal(5))


def test_end_of_stream_wraps():
    """numpy cannot be told of an error from inside a draw: past 2**66 the words wrap to position 0."""
    end = philox.MAX_POSITION
    s = _fresh(end - 1)
    bg = s.bit_generator()
    (x,) = bg.random_raw(1).tolist()
    w_last, w0 = R.word_scalar(SEED, SID, end - 1), R.word_scalar(SEED, SID, 0)
    assert x == w_last | w0 << 32
    assert s.position == 1
    s.position = end  # the end itself is a valid position; the next word is word 0
    assert bg.random_raw(1).tolist() == [R.word_scalar(SEED, SID, 0) | R.word_scalar(SEED, SID, 1) << 32]
    assert s.position == 2
    s.position = end - 2
    bg.random_raw(1)
    assert s.position == end


# ------------------------------------------------------------------------------------------- every method
def _calls():
    """One call per public method of numpy.random.Generator (numpy's own argument patterns)."""
    return {
        "beta": lambda g: g.beta(2.0, 3.0, size=7),
        "binomial": lambda g: g.binomial(20, 0.3, size=7),
        "bytes": lambda g: g.bytes(13),
        "chisquare": lambda g: g.chisquare(3.0, size=7),
        "choice": lambda g: (g.choice(10, 4), g.choice(10, 4, replace=False), g.choice(5, 3, p=[.1, .2, .3, .2, .2])),
        "dirichlet": lambda g: g.dirichlet([1.0, 2.0, 3.0], size=4),
        "exponential": lambda g: g.exponential(2.0, size=7),
        "f": lambda g: g.f(3.0, 5.0, size=7),
        "gamma": lambda g: g.gamma(2.5, 1.5, size=7),
        "geometric": lambda g: g.geometric(0.3, size=7),
        "gumbel": lambda g: g.gumbel(0.0, 1.0, size=7),
        "hypergeometric": lambda g: g.hypergeometric(10, 5, 6, size=7),
        "integers": lambda g: (g.integers(0, 10, 7), g.integers(-5, 2**40, 3), g.integers(0, 2**64, 2, np.uint64),
                               g.integers(0, 200, 5, np.uint8), g.integers(0, 1, 3, np.bool_)),
        "laplace": lambda g: g.laplace(0.0, 1.0, size=7),
        "logistic": lambda g: g.logistic(0.0, 1.0, size=7),
        "lognormal": lambda g: g.lognormal(0.0, 1.0, size=7),
        "logseries": lambda g: g.logseries(0.6, size=7),
        "multinomial": lambda g: g.multinomial(20, [0.2, 0.3, 0.5], size=3),
        "multivariate_hypergeometric": lambda g: (g.multivariate_hypergeometric([3, 4, 5], 6, size=3),
                                                  g.multivariate_hypergeometric([3, 4, 5], 6, 3, "marginals")),
        "multivariate_normal": lambda g: g.multivariate_normal([0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]], size=4),
        "negative_binomial": lambda g: g.negative_binomial(5, 0.4, size=7),
        "noncentral_chisquare": lambda g: g.noncentral_chisquare(3.0, 2.0, size=7),
        "noncentral_f": lambda g: g.noncentral_f(3.0, 5.0, 2.0, size=7),
        "normal": lambda g: g.normal(1.0, 2.0, size=7),
        "pareto": lambda g: g.pareto(3.0, size=7),
        "permutation": lambda g: (g.permutation(20), g.permutation(np.arange(12).reshape(4, 3))),
        "permuted": lambda g: g.permuted(np.arange(24).reshape(4, 6), axis=1),
        "poisson": lambda g: (g.poisson(4.0, size=7), g.poisson(1e6, size=3)),
        "power": lambda g: g.power(2.0, size=7),
        "random": lambda g: (g.random(7), g.random(5, dtype=np.float32), g.random(out=np.empty(3))),
        "rayleigh": lambda g: g.rayleigh(1.0, size=7),
        "shuffle": lambda g: _shuffled(g),
        "spawn": lambda g: [c.random(3) for c in _spawn(g, 2)],
        "standard_cauchy": lambda g: g.standard_cauchy(size=7),
        "standard_exponential": lambda g: (g.standard_exponential(7), g.standard_exponential(5, np.float32),
                                           g.standard_exponential(5, method="inv")),
        "standard_gamma": lambda g: (g.standard_gamma(0.5, 7), g.standard_gamma(3.0, 5, np.float32)),
        "standard_normal": lambda g: (g.standard_normal(7), g.standard_normal(5, np.float32)),
        "standard_t": lambda g: g.standard_t(4.0, size=7),
        "triangular": lambda g: g.triangular(0.0, 1.0, 3.0, size=7),
        "uniform": lambda g: g.uniform(-2.0, 5.0, size=7),
        "vonmises": lambda g: g.vonmises(0.5, 2.0, size=7),
        "wald": lambda g: g.wald(1.0, 2.0, size=7),
        "weibull": lambda g: g.weibull(1.5, size=7),
        "zipf": lambda g: g.zipf(2.0, size=7),
    }


def _spawn(g, n):
    """Generator.spawn (numpy >= 1.25), or the same through the bit generator."""
    if hasattr(np.random.Generator, "spawn"):
        return g.spawn(n)
    return [np.random.Generator(b) for b in g.bit_generator.spawn(n)]


def _shuffled(g):
    x = np.arange(30)
    g.shuffle(x)
    return x


CALLS = _calls()


def test_every_public_generator_method_is_covered():
    G = np.random.Generator
    public = {m for m in dir(G) if not m.startswith("_") and callable(getattr(G, m))}
    assert public - {"bit_generator"} <= set(CALLS), f"methods not exercised: {sorted(public - set(CALLS))}"


def _same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_method_is_reproducible_and_moves_the_position(name):
    """Each method runs on the stream, consumes some words, and gives the same values on a fresh
    generator at the same position, on a generator whose state was copied, and after unpickling."""
    call = CALLS[name]
    s = _fresh(41)
    g = s.numpy()
    g2 = copy.deepcopy(g)  # state copied before the draw
    a = call(g)
    assert s.position > 41 or name == "spawn"  # spawn draws from child streams only
    _same(call(_fresh(41).numpy()), a)
    _same(call(g2), a)
    assert g2.bit_generator.state == g.bit_generator.state
    if name == "spawn" and np.lib.NumpyVersion(np.__version__) < "1.24.0":
        return  # numpy 1.23 rebuilds a pickled Generator's bit generator from its state alone
    g3 = pickle.loads(pickle.dumps(g))
    _same(call(g3), call(g))


# ------------------------------------------------------------------------------------------- state
def test_state_dict_round_trip_and_moving_it_between_generators():
    s = _fresh(6)
    bg = s.bit_generator()
    st = bg.state
    assert st == {"bit_generator": "philox.StreamBitGenerator", "seed": SEED, "id": SID, "position": 6}
    g = np.random.Generator(bg)
    a = g.standard_normal(4)
    bg.state = st  # same stream: its position is set
    assert s.position == 6 and bg.stream is s
    np.testing.assert_array_equal(g.standard_normal(4), a)
    other = Stream(1, "elsewhere").numpy()
    other.random(3)
    other.bit_generator.state = g.bit_generator.state  # another stream: re-pointed
    np.testing.assert_array_equal(other.random(5), g.random(5))
    assert other.bit_generator.stream is not s
    assert other.bit_generator.state == g.bit_generator.state
    s.rand()  # the re-pointed generator no longer follows s
    assert other.bit_generator.state["position"] == s.position - 2


@pytest.mark.parametrize("bad,exc,word", [
    ({"1"}, TypeError, "state"),
    ([SEED, SID, 0], TypeError, "state"),
    ({"seed": SEED, "id": SID}, ValueError, "position"),
    ({"bit_generator": "PCG64", "seed": SEED, "id": SID, "position": 0}, ValueError, "bit_generator"),
    ({"seed": SEED, "id": SID, "position": -1}, ValueError, "position"),
    ({"seed": SEED, "id": SID, "position": 2**66 + 1}, ValueError, "position"),
    ({"seed": SEED, "id": SID, "position": 1.5}, TypeError, "position"),
    ({"seed": SEED, "id": 2**64, "position": 0}, ValueError, "id"),
    ({"seed": "x", "id": SID, "position": 0}, TypeError, "seed"),
])
def test_bad_state_raises_and_changes_nothing(bad, exc, word):
    s = _fresh(9)
    bg = s.bit_generator()
    before = bg.state
    with pytest.raises(exc, match=word):
        bg.state = bad
    assert bg.state == before and bg.stream is s and s.position == 9


def test_constructor_checks():
    with pytest.raises(TypeError, match="stream"):
        StreamBitGenerator(5)
    with pytest.raises(TypeError, match="stream"):
        StreamBitGenerator(None)
    assert isinstance(_fresh().bit_generator(), np.random.BitGenerator)
    assert isinstance(_fresh().numpy(), np.random.Generator)
    assert "StreamBitGenerator(philox.Stream(" in repr(_fresh().bit_generator())


# ------------------------------------------------------------------------------------------- pickling
def test_pickle_generator_and_bit_generator():
    s = _fresh(3)
    g = s.numpy()
    g.gamma(2.0, size=5)
    for obj in (g, g.bit_generator):
        u = pickle.loads(pickle.dumps(obj))
        assert type(u) is type(obj)
    u = pickle.loads(pickle.dumps(g))
    assert u.bit_generator.state == g.bit_generator.state
    np.testing.assert_array_equal(u.random(6), g.random(6))
    assert u.bit_generator.stream is not s  # unpickled: its own stream object, same seed, id, position
    assert u.bit_generator.stream.position == s.position


def test_generator_legacy_setstate_with_a_state_dict():
    """numpy before 2.0 restored a Generator by setting its bit generator's state dict."""
    g = _fresh(5).numpy()
    h = Stream(0, id=0).numpy()
    h.__setstate__(g.bit_generator.state)
    np.testing.assert_array_equal(h.random(3), g.random(3))


# ------------------------------------------------------------------------------------------- spawn
def test_spawn_gives_child_streams_counting_on():
    s = _fresh()
    g = s.numpy()
    kids = _spawn(g, 2) + _spawn(g, 1)
    for k, kid in enumerate(kids):
        np.testing.assert_array_equal(kid.random(3), s.stream("spawn", k).rand(3))
    assert s.position == 0
    with pytest.raises(ValueError, match="n_children"):
        g.bit_generator.spawn(-1)
    with pytest.raises(TypeError, match="n_children"):
        g.bit_generator.spawn(1.5)
    u = pickle.loads(pickle.dumps(g.bit_generator))
    np.testing.assert_array_equal(u.spawn(1)[0].random_raw(2), s.stream("spawn", 3).random_raw(2, dtype=np.uint64))


# ------------------------------------------------------------------------------------------- threads
def test_threads_share_a_generator_through_its_lock():
    """Calls from many threads are atomic (numpy holds the lock): the chunks they get are disjoint
    ranges of the stream, and together exactly its first values."""
    s = _fresh()
    g = s.numpy()
    chunks, n, reps, nthreads = [], 1000, 20, 4
    mu = threading.Lock()

    def work():
        for _ in range(reps):
            x = g.random(n)
            with mu:
                chunks.append(x)

    ts = [threading.Thread(target=work) for _ in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    total = n * reps * nthreads
    assert s.position == 2 * total
    expected = _fresh().rand(total)
    starts = sorted(int(np.flatnonzero(expected == c[0])[0]) for c in chunks)
    assert starts == list(range(0, total, n))
    np.testing.assert_array_equal(np.sort(np.concatenate(chunks)), np.sort(expected))


def test_threads_mixing_numpy_and_stream_draws_share_the_position():
    s = _fresh()
    g = s.numpy()
    got, mu = [], threading.Lock()

    def numpy_draws():
        for _ in range(200):
            x = g.random(50)
            with mu:
                got.append(x)

    def stream_draws():
        for _ in range(200):
            x = s.rand(50)
            with mu:
                got.append(x)

    ts = [threading.Thread(target=f) for f in (numpy_draws, stream_draws, numpy_draws, stream_draws)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    total = 4 * 200 * 50
    assert s.position == 2 * total
    np.testing.assert_array_equal(np.sort(np.concatenate(got)), np.sort(_fresh().rand(total)))


def test_holding_the_lock_owns_the_stream():
    """While a thread holds bg.lock, other threads' draws from the stream and position reads wait
    (so they land after the holder's words); the holder's own thread may draw and move the stream."""
    s = _fresh()
    g = s.numpy()
    bg = g.bit_generator
    out = {}
    with bg.lock:
        assert bg.lock.locked()
        t = threading.Thread(target=lambda: out.update(x=s.rand(2), p=s.position))
        t.start()
        c = bg.ctypes
        first = [c.next_double(c.state) for _ in range(3)]  # words 0..5, owned: no atomics
        np.testing.assert_array_equal(s.rand(1), _fresh(6).rand(1))  # same thread: re-enters
        with bg.lock:  # re-entrant
            np.testing.assert_array_equal(g.random(1), _fresh(8).rand(1))
        s.position = 40
        np.testing.assert_array_equal(g.random(2), _fresh(40).rand(2))
        probe = []
        u = threading.Thread(target=lambda: probe.append(bg.lock.acquire(blocking=False)))
        u.start()
        u.join()
        assert probe == [False]
    t.join()
    np.testing.assert_array_equal(first, _fresh().rand(3))
    np.testing.assert_array_equal(out["x"], _fresh(44).rand(2))  # after the holder's words
    assert out["p"] == 48 and s.position == 48
    assert not bg.lock.locked()
    with pytest.raises(RuntimeError, match="un-acquired"):
        bg.lock.release()
    with pytest.raises(ValueError, match="timeout"):
        bg.lock.acquire(True, 1.0)


def test_threads_two_bit_generators_on_one_stream():
    s = _fresh()
    gens = [s.numpy(), s.numpy()]
    got, mu = [], threading.Lock()

    def work(g):
        for _ in range(100):
            x = g.random(64)
            with mu:
                got.append(x)

    ts = [threading.Thread(target=work, args=(g,)) for g in gens + gens]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    total = 4 * 100 * 64
    assert s.position == 2 * total
    np.testing.assert_array_equal(np.sort(np.concatenate(got)), np.sort(_fresh().rand(total)))


# ------------------------------------------------------------------------------------------- numpy's own tests
def _numpy_smoke():
    try:
        from numpy.random.tests import test_smoke
    except ImportError:  # numpy installed without its tests
        return None
    if not hasattr(test_smoke, "RNGData"):  # the layout before numpy 2.0
        return None
    return test_smoke


_SMOKE = _numpy_smoke()


def _smoke_bit_generator(*seed):
    """The factory numpy's smoke tests call: bit_generator(seed) or bit_generator() (OS entropy)."""
    if not seed:
        return StreamBitGenerator(Stream(secrets.randbits(64), "smoke"))
    (s,) = seed
    if isinstance(s, np.ndarray):
        raise TypeError("seed vectors are not supported")  # seed_vector_bits=None: numpy skips that test
    return StreamBitGenerator(Stream(int(s), "smoke"))


if _SMOKE is not None:
    class TestNumpySmokeOnStream(_SMOKE.RNG):
        """numpy's own Generator smoke tests (numpy/random/tests/test_smoke.py), on a stream."""

        @classmethod
        def _create_rng(cls):
            seed = [12345]
            return _SMOKE.RNGData(_smoke_bit_generator, None, seed, np.random.Generator(_smoke_bit_generator(*seed)),
                                  None)

        def test_jump(self):
            pytest.skip("a stream has no jumped(): set its position or use a child stream")
else:
    def test_numpy_smoke_suite():
        pytest.skip("numpy's tests (numpy.random.tests.test_smoke, numpy >= 2.0 layout) are not installed")
