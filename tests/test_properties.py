"""Properties of streams (SPEC 4 and 6), checked with hypothesis on philox alone.

Split invariance, shape invariance, prefix stability, position arithmetic, random access,
order independence of named streams, and state round trips.
"""
import copy
import pickle
import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import philox
from philox import _core
from helpers import SPECS, assert_bits_equal, bits

SETTINGS = settings(max_examples=50, deadline=None)
END = 1 << 66

seeds = st.integers(-(2 ** 63), 2 ** 64 - 1)
positions = st.one_of(st.integers(0, 64), st.integers(0, 2 ** 40), st.integers(END - 4096, END - 2000))
# A shape draw below reads up to 7**4 values of up to 4 words: keep it clear of the stream's end.
shape_positions = st.one_of(st.integers(0, 64), st.integers(0, 2 ** 40), st.integers(END - 16000, END - 4 * 7 ** 4))
specs = st.sampled_from(SPECS)
paths = st.lists(st.one_of(st.text(max_size=4), st.integers(0, 2 ** 64 - 1)), max_size=3)


@SETTINGS
@given(spec=specs, seed=seeds, pos=positions, a=st.integers(0, 80), b=st.integers(0, 80))
def test_split_invariance(spec, seed, pos, a, b):
    s = philox.Stream(seed, "split", position=pos)
    first = bits(spec.draw(s, a))
    assert s.position == pos + a * spec.k
    second = bits(spec.draw(s, b))
    assert s.position == pos + (a + b) * spec.k
    whole = bits(spec.draw(philox.Stream(seed, "split", position=pos), a + b))
    assert_bits_equal(np.concatenate([first, second]), whole, spec.name)


@SETTINGS
@given(spec=specs, seed=seeds, pos=positions, n=st.integers(0, 200), m=st.integers(0, 200))
def test_prefix_stability(spec, seed, pos, n, m):
    m = min(m, n)
    long = bits(spec.draw(philox.Stream(seed, position=pos), n))
    short = bits(spec.draw(philox.Stream(seed, position=pos), m))
    assert_bits_equal(long[:m], short, spec.name)


@SETTINGS
@given(spec=specs, seed=seeds, pos=positions, n=st.integers(1, 100), i=st.integers(0, 99))
def test_random_access(spec, seed, pos, n, i):
    # value i of a draw is the first value of a draw that starts i values later (SPEC 6.1)
    i %= n
    whole = bits(spec.draw(philox.Stream(seed, position=pos), n))
    one = bits(spec.draw(philox.Stream(seed, position=pos + i * spec.k), 1))
    assert_bits_equal(whole[i:i + 1], one, spec.name)


def _words_per_value_from_format():
    """docs/FORMAT.md's table of the kernels' ops: {op name: words per value}."""
    text = (Path(__file__).parent.parent / "docs" / "FORMAT.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| (\d+) \|$", text, re.M)
    return {name: int(k) for name, k in rows}


def test_backend_words_per_value_matches_format():
    documented = _words_per_value_from_format()
    assert documented == {name: words for _code, name, words, *_ in _core.OPS}
    for code, name, *_ in _core.OPS:
        assert _core.words_per_value(code) == documented[name]


@SETTINGS
@given(spec=specs, seed=seeds, pos=positions, shape=st.lists(st.integers(0, 6), min_size=1, max_size=3))
def test_position_arithmetic(spec, seed, pos, shape):
    # position after a draw == start + n * words_per_value, for flat and shaped draws alike
    n = int(np.prod(shape))
    s = philox.Stream(seed, position=pos)
    spec.draw(s, n)
    assert s.position == pos + n * spec.k
    s.rand(*shape)
    assert s.position == pos + n * spec.k + 2 * n
    s.randn(shape, dtype=np.float32)
    assert s.position == pos + n * spec.k + 3 * n


shape_methods = st.sampled_from([
    ("random_raw", lambda s, shape: s.random_raw(shape)),
    ("random_raw64", lambda s, shape: s.random_raw(shape, dtype=np.uint64)),
    ("rand", lambda s, shape: s.rand(*shape)),
    ("rand_tuple_f32", lambda s, shape: s.rand(shape, dtype=np.float32)),
    ("rand_f16", lambda s, shape: s.rand(*shape, dtype=np.float16)),
    ("uniform", lambda s, shape: s.uniform(-1, 2, size=shape)),
    ("uniform_f32", lambda s, shape: s.uniform(-1, 2, size=shape, dtype=np.float32)),
    ("randn", lambda s, shape: s.randn(*shape)),
    ("randn_f32", lambda s, shape: s.randn(shape, dtype=np.float32)),
    ("normal", lambda s, shape: s.normal(1, 3, size=shape)),
    ("normal_f16", lambda s, shape: s.normal(1, 3, size=shape, dtype=np.float16)),
    ("randint_small", lambda s, shape: s.randint(-3, 99, size=shape)),
    ("randint_large", lambda s, shape: s.randint(0, 2 ** 50, size=shape)),
    ("randint_u8", lambda s, shape: s.randint(0, 200, size=shape, dtype=np.uint8)),
])


@SETTINGS
@given(method=shape_methods, seed=seeds, pos=shape_positions,
       shape=st.lists(st.integers(0, 7), min_size=1, max_size=4))
def test_shape_invariance(method, seed, pos, shape):
    name, call = method
    shape = tuple(shape)
    n = int(np.prod(shape))
    s1, s2 = philox.Stream(seed, position=pos), philox.Stream(seed, position=pos)
    a = call(s1, shape)
    b = call(s2, (n,))
    assert a.shape == shape and b.shape == (n,)
    assert_bits_equal(a.reshape(-1), b, name)
    assert s1.position == s2.position


@SETTINGS
@given(spec=specs, seed=seeds, skip=st.integers(0, 300), n=st.integers(0, 40))
def test_setting_position_equals_skipping_ahead(spec, seed, skip, n):
    # position = p in O(1) gives what a stream reaches by drawing p words
    walked = philox.Stream(seed, "skip")
    walked.random_raw(skip)
    assert walked.position == skip
    jumped = philox.Stream(seed, "skip")
    jumped.rand(3)                   # wherever it was before, setting the position overrides it
    jumped.position = skip
    made = philox.Stream(seed, "skip", position=skip)
    ref = bits(spec.draw(walked, n))
    assert_bits_equal(spec.draw(jumped, n), ref, spec.name)
    assert_bits_equal(spec.draw(made, n), ref, spec.name)
    assert walked.position == jumped.position == made.position == skip + n * spec.k


@SETTINGS
@given(seed=seeds, pos=st.integers(0, 2 ** 66), back=st.integers(0, 2 ** 66))
def test_position_setter_roundtrip(seed, pos, back):
    s = philox.Stream(seed, position=pos)
    assert s.position == pos
    s.position = back
    assert s.position == back
    s.position = np.uint64(back % 2 ** 64)  # numpy integers are accepted
    assert s.position == back % 2 ** 64


# ------------------------------------------------------------------------ named streams
stream_names = st.sampled_from([("a",), ("b",), ("aug", 3), ("aug", 4), (0,), ("a", "b")])
ops = st.lists(st.tuples(stream_names, st.sampled_from(SPECS[:12]), st.integers(0, 20)), max_size=12)


@SETTINGS
@given(seed=seeds, ops=ops, perm_key=st.randoms(use_true_random=False))
def test_named_streams_are_order_independent(seed, ops, perm_key):
    # each named stream's values depend on its own draws only, never on what the others drew
    def run(order):
        g = philox.Generator(seed)
        per_stream = {}
        for i in order:
            path, spec, n = ops[i]
            per_stream.setdefault(path, []).append((i, bits(spec.draw(g.stream(*path), n))))
        return per_stream, {p: g.stream(*p).position for p in per_stream}

    order = list(range(len(ops)))
    shuffled = order[:]
    perm_key.shuffle(shuffled)
    # keep the order of the ops *within* each stream, interleave the streams differently
    by_stream = {}
    for i in order:
        by_stream.setdefault(ops[i][0], []).append(i)
    interleaved = []
    queues = {p: list(v) for p, v in by_stream.items()}
    for i in shuffled:
        interleaved.append(queues[ops[i][0]].pop(0))
    a, pa = run(order)
    b, pb = run(interleaved)
    assert pa == pb
    for path in a:
        assert [i for i, _ in a[path]] == [i for i, _ in b[path]]
        for (_, x), (_, y) in zip(a[path], b[path]):
            assert_bits_equal(x, y, str(path))


@SETTINGS
@given(seed=seeds, path=paths, n=st.integers(0, 50))
def test_generator_streams_equal_plain_streams(seed, path, n):
    g = philox.Generator(seed)
    s = g.stream(*path)
    assert s is g.stream(*path)
    assert_bits_equal(s.rand(n), philox.Stream(seed, *path).rand(n))


# ------------------------------------------------------------------------ state round trips
def _copies(s):
    yield "state_dict", philox.Stream.from_state_dict(s.state_dict())
    yield "pickle", pickle.loads(pickle.dumps(s))
    yield "deepcopy", copy.deepcopy(s)
    yield "copy", copy.copy(s)


@SETTINGS
@given(seed=seeds, path=paths, raw_id=st.one_of(st.none(), st.integers(0, 2 ** 64 - 1)),
       pos=positions, spec=specs, n=st.integers(0, 30))
def test_stream_state_roundtrips(seed, path, raw_id, pos, spec, n):
    s = philox.Stream(seed, *path, position=pos) if raw_id is None else philox.Stream(seed, id=raw_id, position=pos)
    spec.draw(s, 3)
    for how, c in _copies(s):
        assert c == s, how
        assert (c.seed, c.id, c.path, c.position) == (s.seed, s.id, s.path, s.position), how
        assert c is not s
        expected = bits(spec.draw(philox.Stream.from_state_dict(s.state_dict()), n))
        assert_bits_equal(spec.draw(c, n), expected, how)
        # the copy is independent: drawing from it did not move the original
        assert s.position == pos + 3 * spec.k, how
        c2 = copy.deepcopy(c)
        spec.draw(c2, 1)
        assert c.position == pos + (3 + n) * spec.k


def test_state_dict_is_plain_data():
    s = philox.Stream(-3, "x", 5, position=7)
    d = s.state_dict()
    assert d == {"format": 1, "seed": 2 ** 64 - 3, "id": philox.stream_id("x", 5), "path": ["x", 5], "position": 7}
    d2 = philox.Stream(1, id=99).state_dict()
    assert d2["path"] is None and d2["id"] == 99
    import json
    assert philox.Stream.from_state_dict(json.loads(json.dumps(d))) == s


def test_pickled_stream_is_usable_from_threads():
    # the lock is recreated on unpickling (a lock cannot be pickled)
    s = pickle.loads(pickle.dumps(philox.Stream(5, "t")))
    import threading
    out = []
    th = threading.Thread(target=lambda: out.append(s.random_raw(4)))
    th.start()
    th.join()
    assert s.position == 4
    np.testing.assert_array_equal(out[0], philox.Stream(5, "t").random_raw(4))


@SETTINGS
@given(seed=seeds, ops=ops, extra=stream_names)
def test_generator_state_roundtrip(seed, ops, extra):
    g = philox.Generator(seed)
    for path, spec, n in ops:
        spec.draw(g.stream(*path), n)
    state = g.state_dict()
    assert state["format"] == 1 and state["seed"] == seed % 2 ** 64
    expected = {tuple(e["path"]): e["position"] for e in state["streams"]}
    assert expected == {path: g.stream(*path).position for path, _, _ in ops}
    nxt = {path: bits(g.stream(*path).rand(5)) for path in expected}

    # load into a fresh generator with another seed and other streams
    h = philox.Generator(seed ^ 1)
    other = h.stream(*extra)
    other.rand(7)
    h.load_state_dict(pickle.loads(pickle.dumps(state)))
    assert h.initial_seed() == g.initial_seed()
    for path, pos in expected.items():
        assert h.stream(*path).position == pos
        assert_bits_equal(h.stream(*path).rand(5), nxt[path], str(path))
    if extra not in expected:
        assert other.position == 0  # streams the dict does not list restart at 0
        assert h.stream(*extra) is other

    # and back into the original generator
    g.load_state_dict(state)
    for path, pos in expected.items():
        assert g.stream(*path).position == pos


@SETTINGS
@given(seed=seeds, seed2=seeds, ops=ops)
def test_manual_seed_resets_named_streams(seed, seed2, ops):
    g = philox.Generator(seed)
    objs = {}
    for path, spec, n in ops:
        objs[path] = g.stream(*path)
        spec.draw(objs[path], n + 1)
    assert g.manual_seed(seed2) is g
    assert g.initial_seed() == seed2 % 2 ** 64
    for path, obj in objs.items():
        assert g.stream(*path) is obj          # the same Stream objects ...
        assert obj.position == 0                # ... back at position 0 ...
        assert obj.seed == seed2 % 2 ** 64      # ... under the new seed
        assert_bits_equal(obj.rand(4), philox.Stream(seed2, *path).rand(4), str(path))
