"""philox against the independent reference (tests/reference.py), bit for bit.

Every draw and dtype, for many seeds, paths, raw ids and positions (unaligned ones, ones where the
block counter's low word wraps, ones next to the end of the stream), for every size from 1 to 70
(SIMD tails) and a few thousand (chunk boundaries), on every instruction set the CPU has, and
with 1, 2 and 4 threads.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import philox
import reference as R
from helpers import NP_DTYPES, SPEC_BY_NAME, SPECS, assert_bits_equal, bits

END = 1 << 66

# (seed, path, raw id or None, start position)
CASES = [
    (0, (), None, 0),
    (1, ("a",), None, 1),
    (2 ** 64 - 1, ("aug", 3), None, 2),
    (-1, ("x", 0, "y"), None, 3),
    (123456789, (2 ** 64 - 1,), None, 4 * 2 ** 32 - 101),       # block counter crosses 2**32
    (0x243F6A8885A308D3, ("é", ""), None, 5 * 2 ** 34 - 7),    # ... and 5 * 2**32
    (42, None, 0xDEADBEEFCAFEF00D, 6),                        # a raw stream id
    (-(2 ** 63), None, 2 ** 64 - 1, END - 4 * 70 - 1),         # the last words of a stream
]


def _streams(case):
    seed, path, sid, pos = case
    if sid is None:
        return philox.Stream(seed, *path, position=pos), R.RefStream(seed, *path, position=pos)
    return philox.Stream(seed, id=sid, position=pos), R.RefStream(seed, id=sid, position=pos)


def test_spec_stream_id_examples():
    # SPEC 3, literally
    a = R.fold(0, R.blake8("a"), 1)
    aug3 = R.fold(R.fold(0, R.blake8("aug"), 1), 3, 0)
    assert philox.stream_id("a") == a == R.stream_id("a")
    assert philox.stream_id("aug", 3) == aug3 == R.stream_id("aug", 3)
    g = philox.Generator(5)
    assert g.stream("a").id == a
    assert g.stream("aug", 3).id == aug3
    assert philox.Stream(5, "aug").stream(3).id == aug3
    assert philox.stream_id() == 0 == R.stream_id()


@pytest.mark.parametrize("path", [
    (), ("a",), ("b",), ("",), ("aug", 3), (3, "aug"), (0,), (1,), (2 ** 32,), (2 ** 64 - 1,),
    ("日本語", "naïve", "\U0001F600"), ("a", "a", "a"), tuple(range(10)), ("model", "layer", 7, "dropout"),
    (np.int64(5), np.uint64(2 ** 64 - 1), np.uint8(3)),
])
def test_stream_ids(path):
    expected = R.stream_id(*[c if isinstance(c, str) else int(c) for c in path])
    assert philox.stream_id(*path) == expected
    assert philox.Stream(0, *path).id == expected
    assert philox.Stream(0, *path).path == tuple(c if isinstance(c, str) else int(c) for c in path)
    # SPEC 3: str and int components are different kinds even with equal 64-bit values
    if path == ("a",):
        assert philox.stream_id(R.blake8("a")) != expected


def test_children_of_raw_id_fold_onto_the_id():
    sid = 0x0123456789ABCDEF
    s = philox.Stream(9, id=sid)
    child = s.stream("x", 4)
    assert child.id == R.stream_id("x", 4, parent=sid)
    assert child.path is None
    assert child.position == 0 and child.seed == 9


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c[0]}-pos{c[3]}")
def test_words(isa, case):
    s, r = _streams(case)
    n = min(300, END - case[3])
    w = r.words(n)
    np.testing.assert_array_equal(s.random_raw(n), w)
    assert s.position == case[3] + n
    # each word also computed alone on Python ints
    for i in (0, 1, 2, 3, 150, n - 1):
        assert int(w[i]) == R.word_scalar(r.seed, r.id, case[3] + i)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_every_size_1_to_70(isa, spec):
    for case in CASES:
        _, r = _streams(case)
        ref = spec.ref(r, 70)
        assert r.position == case[3] + 70 * spec.k
        for n in range(0, 71):
            s, _ = _streams(case)
            got = spec.draw(s, n)
            assert_bits_equal(got, ref[:n], f"{spec.name} case={case} n={n}")
            assert s.position == case[3] + n * spec.k


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_chunk_boundaries(isa, spec):
    # the kernels work in chunks of 2048 words: sizes around one and two chunks, unaligned starts
    for case in (CASES[1], CASES[4], CASES[6]):
        _, r = _streams(case)
        ref = spec.ref(r, 4099)
        for n in (1023, 1024, 1025, 2047, 2048, 2049, 4099):
            s, _ = _streams(case)
            assert_bits_equal(spec.draw(s, n), ref[:n], f"{spec.name} case={case} n={n}")


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_thread_counts_agree(num_threads, spec):
    # ~600k values: above the threshold where the backend splits a draw across threads
    n = 600_001
    results = []
    for t in (1, 2, 4):
        philox.set_num_threads(t)
        assert philox.get_num_threads() == t
        results.append(bits(spec.draw(philox.Stream(77, "threads", position=5), n)))
    assert_bits_equal(results[1], results[0], f"{spec.name}: 2 threads vs 1")
    assert_bits_equal(results[2], results[0], f"{spec.name}: 4 threads vs 1")


@pytest.mark.parametrize("name", ["raw_u32", "raw_u64", "rand_f32", "rand_f64", "randn_f32", "randn_f64",
                                  "normal_0_3e4_f16", "uniform_narrow_f32"])
@pytest.mark.parametrize("threads", [1, 4])
def test_threaded_draw_vs_reference(num_threads, isa, name, threads):
    spec = SPEC_BY_NAME[name]
    philox.set_num_threads(threads)
    n = 600_001
    s = philox.Stream(2024, "big", position=4 * 2 ** 32 - 5003)  # also crosses the 2**32 block wrap
    r = R.RefStream(2024, "big", position=4 * 2 ** 32 - 5003)
    assert_bits_equal(spec.draw(s, n), spec.ref(r, n), name)
    assert s.position == r.position


_components = st.one_of(st.text(max_size=6), st.integers(0, 2 ** 64 - 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(-(2 ** 63), 2 ** 64 - 1),
       path=st.lists(_components, max_size=3),
       raw_id=st.one_of(st.none(), st.integers(0, 2 ** 64 - 1)),
       pos=st.one_of(st.integers(0, 4096), st.integers(0, END - 512), st.integers(END - 512, END - 300)),
       spec=st.sampled_from(SPECS), n=st.integers(0, 70))
def test_random_seeds_paths_positions(seed, path, raw_id, pos, spec, n):
    if raw_id is None:
        s, r = philox.Stream(seed, *path, position=pos), R.RefStream(seed, *path, position=pos)
        assert s.id == r.id
    else:
        s, r = philox.Stream(seed, id=raw_id, position=pos), R.RefStream(seed, id=raw_id, position=pos)
    assert_bits_equal(spec.draw(s, n), spec.ref(r, n), spec.name)
    assert s.position == r.position == pos + n * spec.k


def test_uniform_below_clamp_happens():
    # the narrow-interval specs really exercise FORMAT 2 step 4 (else they would test nothing new)
    for dt, u in ((np.float64, 2.0 ** -52), (np.float32, 2.0 ** -23), (np.float16, 2.0 ** -10)):
        hi = dt(1.0 + 3 * u)
        x = philox.Stream(1).uniform(1.0, 1.0 + 3 * u, size=3000, dtype=dt)
        assert x.dtype == dt
        assert (x < hi).all() and (x >= 1.0).all()
        below = np.nextafter(hi, dt(0))
        assert 200 < (x == below).sum()  # the two values nearest high: 1/3 + 1/6 of all
        # without the clamp the reference would have produced `hi` for about 1/6 of the values
        assert set(np.unique(x).tolist()) <= {1.0, float(np.nextafter(dt(1), dt(2))), float(below)}


def test_reference_prefix_property():
    # the comparisons above slice one reference draw: the reference must be prefix-stable itself
    for spec in SPECS:
        a = spec.ref(R.RefStream(3, "p", position=1), 70)
        for n in (0, 1, 13, 69):
            assert_bits_equal(spec.ref(R.RefStream(3, "p", position=1), n), a[:n], spec.name)


def _rounded_bounds(code, low, high):
    """FORMAT 2 step 1 (the reference's rounding of low/high), as float64 values."""
    with np.errstate(over="ignore", invalid="ignore"):
        if code == "f64":
            return float(low), float(high), high - low
        if code == "f32":
            lo, hi = np.float32(low), np.float32(high)
            return float(lo), float(hi), float(hi - lo)
        lo, hi = (float(R.bits16_to_f32(code, R.round16(code, np.float32(v)))) for v in (low, high))
        return lo, hi, float(np.float32(hi) - np.float32(lo))


finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # see test_errors.py
@settings(max_examples=300, deadline=None)
@given(code=st.sampled_from(["f64", "f32", "f16"]),
       low=st.one_of(finite, st.floats(-70000, 70000), st.floats(-1e-6, 1e-6)),
       high=st.one_of(finite, st.floats(-70000, 70000), st.floats(-1e-6, 1e-6)),
       pos=st.integers(0, 2 ** 40), n=st.integers(1, 40))
def test_uniform_random_bounds(code, low, high, pos, n):
    s = philox.Stream(5, "ub", position=pos)
    lo, hi, span = _rounded_bounds(code, low, high)
    valid = np.isfinite(lo) and np.isfinite(hi) and lo < hi and np.isfinite(span)
    if not valid:
        with pytest.raises(ValueError):
            s.uniform(low, high, size=n, dtype=NP_DTYPES[code])
        assert s.position == pos
        return
    got = s.uniform(low, high, size=n, dtype=NP_DTYPES[code])
    ref = R.RefStream(5, "ub", position=pos).uniform(low, high, n, code)
    assert_bits_equal(got, ref, f"uniform({low!r}, {high!r}) {code}")
    g = got.astype(np.float64)
    assert (g >= lo).all() and (g < hi).all()


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(["f64", "f32", "f16"]),
       mean=st.one_of(st.floats(-1e6, 1e6), st.floats(-1e-30, 1e-30)),
       std=st.one_of(st.floats(0, 1e6), st.floats(0, 1e-30)),
       pos=st.integers(0, 2 ** 40), n=st.integers(1, 40))
def test_normal_random_parameters(code, mean, std, pos, n):
    got = philox.Stream(6, "nb", position=pos).normal(mean, std, size=n, dtype=NP_DTYPES[code])
    ref = R.RefStream(6, "nb", position=pos).normal(mean, std, n, code)
    assert_bits_equal(got, ref, f"normal({mean!r}, {std!r}) {code}")
