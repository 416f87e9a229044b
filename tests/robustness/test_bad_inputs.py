"""Bad inputs for every public draw (issue 10, "A robustness suite").

Each example takes a valid call and replaces one argument by a value that must be refused, then
asserts a clean ``TypeError`` / ``ValueError`` / ``MemoryError`` (never another exception, never a
crash), an unchanged position, and an ``out=`` left untouched. Hypothesis draws the values from
pools of bad values of every kind: wrong types, NaN/inf, huge and negative sizes, and every kind of
bad ``out=`` (wrong type, dtype, shape, read-only, overlapping, conjugate/negative views, expanded,
sparse, other device).
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import as_strided

import philox

try:
    import torch
except ImportError:
    torch = None

CLEAN = (TypeError, ValueError, MemoryError)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ----------------------------------------------------------------------------- pools of bad values
# sizes: negative, past 2**62 elements, not ints (floats, NaN, inf, str, bool, complex), bad tuples
BAD_SIZE = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=1 << 62, max_value=1 << 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["3", b"3", 3 + 0j, True, False, np.bool_(True), np.float64(2.0), object(), {3: 3}, {3}]),
    st.lists(st.integers(-5, 5), min_size=1, max_size=3).filter(lambda v: min(v) < 0).map(tuple),
    st.tuples(st.integers(1 << 31, 1 << 40), st.integers(1 << 31, 1 << 40)),
    st.tuples(st.integers(1, 3), st.floats(allow_nan=True)),
    st.tuples(st.integers(1, 3), st.sampled_from(["2", None, (2,), True])),
)
# real parameters (low, high, mean, std): NaN, inf, past float64, not real numbers; arrays are array
# parameters (docs/FORMAT.md 23), bad for an element or their dtype
BAD_REAL = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("-inf"), 10 ** 400, -(10 ** 400),
                     "1", None, 1j, True, np.bool_(False), [1.0, math.nan], np.array([1.0, np.inf]),
                     np.array([True]), ["a"], object()]),
)
BAD_FLOAT_DTYPE = ["int64", np.int32, np.uint8, np.bool_, np.complex128, object, "U3", "V8", "foo", 5, 1.5, [1],
                   "float128" if hasattr(np, "float128") else "c8"]
BAD_INT_DTYPE = ["float64", np.float32, np.bool_, np.complex64, object, "U3", "foo", 7, "f2"]
BAD_RAW_DTYPE = ["float64", np.int8, np.uint16, np.int16, np.bool_, "foo", np.float32]
BAD_DEVICE = ["nope", 5.5, object(), "cuda:banana", -1, [0], "cpu:-3"]
if torch is not None:
    BAD_FLOAT_DTYPE += [torch.int32, torch.bool, torch.complex64]
    BAD_INT_DTYPE += [torch.float32, torch.bool, torch.complex64]
    BAD_RAW_DTYPE += [torch.float64, torch.int16, torch.uint8]
    if not torch.cuda.is_available():
        BAD_DEVICE += ["cuda", "cuda:0"]


def _np_outs(kind):
    """Makers of bad numpy out= arrays for a draw of ``kind`` (3 values when a size is given)."""
    good = np.float64 if kind == "float" else np.int64 if kind == "int" else np.uint32
    wrong = np.int64 if kind == "float" else np.float64

    def ro():
        a = np.zeros(3, good)
        a.flags.writeable = False
        return a
    return [lambda: [0.0, 0.0, 0.0], lambda: (0, 0, 0), lambda: "out", lambda: 3,
            lambda: np.zeros(3, wrong), lambda: np.zeros(3, np.complex128), lambda: np.zeros(3, bool),
            lambda: np.empty(3, object), lambda: np.zeros((2, 2), good), ro,
            lambda: as_strided(np.zeros(16, good), (3, 3), (np.dtype(good).itemsize,) * 2),
            lambda: as_strided(np.zeros(16, good), (3,), (0,)),
            lambda: np.zeros(3, np.dtype(good).newbyteorder())]


def _torch_outs(kind):
    if torch is None:
        return []
    good = torch.float64 if kind == "float" else torch.int64 if kind == "int" else torch.int32
    wrong = torch.int64 if kind == "float" else torch.float64
    outs = [lambda: torch.zeros(3, dtype=wrong), lambda: torch.zeros(3, dtype=torch.complex64),
            lambda: torch.zeros(3, dtype=torch.bool), lambda: torch.zeros(2, 2, dtype=good),
            lambda: torch.zeros(1, dtype=good).expand(3),
            lambda: torch.zeros(16, dtype=good).as_strided((3, 3), (1, 1)),
            lambda: torch.zeros(3, dtype=good).to_sparse()]
    if kind == "float":
        outs += [lambda: torch.zeros(3, dtype=torch.complex128).conj().imag,
                 lambda: torch.zeros(3, dtype=torch.complex128)._neg_view().real]
    return outs


def bad_out(kind):
    return st.sampled_from(_np_outs(kind) + _torch_outs(kind))


def _snapshot(out):
    if out is None:
        return None
    if torch is not None and isinstance(out, torch.Tensor):
        return out.to_dense().clone() if out.layout != torch.strided else out.clone()
    if isinstance(out, np.ndarray):
        return out.copy()
    return None


def _same(a, b):
    if a is None:
        return True
    if torch is not None and isinstance(a, torch.Tensor):
        return torch.equal(a, b.to_dense() if b.layout != torch.strided else b)
    return np.array_equal(a, b)


def refused(stream, call, out=None):
    """``call()`` must raise a clean error, with the position and ``out`` unchanged."""
    p = stream.position
    snap = _snapshot(out)
    with pytest.raises(CLEAN):
        call()
    assert stream.position == p, f"the position moved from {p} to {stream.position}"
    assert _same(snap, out), "out= was written"


def _stream():
    s = philox.Stream(12345, "robust")
    s.position = 7
    return s


# ----------------------------------------------------------------------------- the draws
FLOAT_DRAWS = {
    "rand": lambda s, **k: s.rand(*k.pop("star", (3,)), **k),
    "randn": lambda s, **k: s.randn(*k.pop("star", (3,)), **k),
    "uniform": lambda s, **k: s.uniform(k.pop("low", -1.0), k.pop("high", 2.0), **{"size": 3, **k}),
    "normal": lambda s, **k: s.normal(k.pop("mean", 0.5), k.pop("std", 2.0), **{"size": 3, **k}),
}


def _call(name, s, kw):
    kw = dict(kw)
    if name in ("rand", "randn") and "size" in kw:
        size = kw.pop("size")
        kw["star"] = size if isinstance(size, tuple) else (size,)
    return FLOAT_DRAWS[name](s, **kw)


@pytest.mark.parametrize("name", sorted(FLOAT_DRAWS))
@SETTINGS
@given(data=st.data())
def test_float_draws_refuse_bad_arguments(name, data, checked):
    s = _stream()
    slot = data.draw(st.sampled_from(["size", "dtype", "device", "out"] + (
        ["low", "high"] if name == "uniform" else ["mean", "std"] if name == "normal" else [])))
    if slot == "size":
        kw = {"size": data.draw(BAD_SIZE)}
    elif slot == "dtype":
        kw = {"dtype": data.draw(st.sampled_from(BAD_FLOAT_DTYPE))}
    elif slot == "device":
        kw = {"device": data.draw(st.sampled_from(BAD_DEVICE))}
    elif slot == "out":
        kw = {"out": data.draw(bad_out("float"))()}
    else:
        kw = {slot: data.draw(BAD_REAL)}
    refused(s, lambda: _call(name, s, kw), kw.get("out"))
    checked()


@SETTINGS
@given(data=st.data())
def test_uniform_and_normal_refuse_bad_ranges(data, checked):
    s = _stream()
    lo = data.draw(st.floats(-1e300, 1e300))
    hi = data.draw(st.floats(-1e300, 1e300).filter(lambda h: h <= lo))
    refused(s, lambda: s.uniform(lo, hi, size=3))
    refused(s, lambda: s.uniform(-3e38, 3e38, size=3, dtype=np.float32))  # high - low overflows float32
    std = data.draw(st.floats(max_value=-1e-300, allow_infinity=True))
    refused(s, lambda: s.normal(0.0, std, size=3))
    refused(s, lambda: s.normal(1e39, 1.0, size=3, dtype=np.float32))  # past float32, computed in float32
    checked(4)


BAD_INT_BOUND = st.sampled_from([1.5, math.nan, math.inf, "3", None, True, np.float64(3.0), 3 + 0j, [3],
                                 np.array([1, 2])])


@SETTINGS
@given(data=st.data())
def test_randint_refuses_bad_arguments(data, checked):
    s = _stream()
    slot = data.draw(st.sampled_from(["low", "high", "range", "fit", "size", "dtype", "device", "out"]))
    call = None
    kw = {}
    if slot in ("low", "high"):
        v = data.draw(BAD_INT_BOUND)
        call = (lambda: s.randint(v, 10, size=3)) if slot == "low" else (lambda: s.randint(0, v, size=3))
    elif slot == "range":
        lo = data.draw(st.integers(-(1 << 70), 1 << 70))
        hi = data.draw(st.one_of(st.integers(max_value=lo), st.integers(lo + (1 << 64) + 1, lo + (1 << 80))))
        call = lambda: s.randint(lo, hi, size=3)  # noqa: E731
    elif slot == "fit":
        dt, lo, hi = data.draw(st.sampled_from([(np.uint8, -1, 5), (np.uint8, 0, 257), (np.int8, -129, 0),
                                                 (np.int32, 0, 1 << 31 | 1), (np.uint64, -1, 3),
                                                 (np.int64, 0, 1 << 64)]))
        call = lambda: s.randint(lo, hi, size=3, dtype=dt)  # noqa: E731
    elif slot == "size":
        kw = {"size": data.draw(BAD_SIZE)}
    elif slot == "dtype":
        kw = {"dtype": data.draw(st.sampled_from(BAD_INT_DTYPE))}
    elif slot == "device":
        kw = {"device": data.draw(st.sampled_from(BAD_DEVICE))}
    else:
        kw = {"out": data.draw(bad_out("int"))()}
    if call is None:
        kw.setdefault("size", 3)
        call = lambda: s.randint(0, 10, **kw)  # noqa: E731
    refused(s, call, kw.get("out"))
    checked()


@SETTINGS
@given(data=st.data())
def test_random_raw_refuses_bad_arguments(data, checked):
    s = _stream()
    slot = data.draw(st.sampled_from(["size", "dtype", "device", "out"]))
    kw = {"size": 3}
    if slot == "size":
        kw["size"] = data.draw(BAD_SIZE)
    elif slot == "dtype":
        kw["dtype"] = data.draw(st.sampled_from(BAD_RAW_DTYPE))
    elif slot == "device":
        kw["device"] = data.draw(st.sampled_from(BAD_DEVICE))
    else:
        kw["out"] = data.draw(bad_out("raw"))()
    refused(s, lambda: s.random_raw(**kw), kw.get("out"))
    checked()


# ----------------------------------------------------------------------------- permutation, shuffle, choice
BAD_N = st.one_of(st.integers(max_value=-1), st.integers(min_value=1 << 63, max_value=1 << 100),
                  st.sampled_from([True, np.bool_(True), np.array(3), np.float64(3.0), 3.5, math.nan, "abc", None,
                                   object()]))


@SETTINGS
@given(data=st.data())
def test_permutation_refuses_bad_arguments(data, checked):
    s = _stream()
    slot = data.draw(st.sampled_from(["x", "huge", "dtype", "device", "array_with_dtype"]))
    if slot == "x":
        x = data.draw(BAD_N)
        call = lambda: s.permutation(x)  # noqa: E731
    elif slot == "huge":  # sizes that cannot be allocated (issue 10, defect 4)
        x = data.draw(st.sampled_from([10 ** 13, 2 ** 63 - 1, 2 ** 62, 10 ** 17]))
        call = lambda: s.permutation(x)  # noqa: E731
    elif slot == "dtype":
        n, dt = data.draw(st.sampled_from([(10, np.float64), (300, np.int8), (300, np.uint8), (10, "foo"),
                                           (70000, np.int16), (10, np.bool_)]))
        call = lambda: s.permutation(n, dtype=dt)  # noqa: E731
    elif slot == "device":
        dev = data.draw(st.sampled_from(BAD_DEVICE))
        call = lambda: s.permutation(10, device=dev)  # noqa: E731
    else:
        call = lambda: s.permutation(np.arange(4), dtype=np.int32)  # noqa: E731
    refused(s, call)
    checked()


@SETTINGS
@given(data=st.data())
def test_shuffle_refuses_bad_arguments(data, checked):
    s = _stream()
    makers = [lambda: (1, 2, 3), lambda: "abc", lambda: frozenset({1, 2}), lambda: 5, lambda: np.array(3),
              lambda: None, lambda: {1: 2}]

    def ro():
        a = np.arange(5)
        a.flags.writeable = False
        return a
    makers.append(ro)
    if torch is not None:
        makers += [lambda: torch.tensor(3), lambda: torch.zeros(1).expand(4), lambda: torch.zeros(3).to_sparse()]
    x = data.draw(st.sampled_from(makers))()
    refused(s, lambda: s.shuffle(x), x if isinstance(x, np.ndarray) or (torch and isinstance(x, torch.Tensor))
            else None)
    checked()


@SETTINGS
@given(data=st.data())
def test_choice_refuses_bad_arguments(data, checked):
    s = _stream()
    slot = data.draw(st.sampled_from(["a", "size", "replace", "p", "too_many", "huge", "device"]))
    if slot == "a":
        a = data.draw(st.one_of(BAD_N.filter(lambda v: not isinstance(v, float) or True),
                                st.sampled_from([np.array(5), [], np.empty((0, 3))])))
        call = lambda: s.choice(a, size=2)  # noqa: E731
    elif slot == "size":
        size = data.draw(BAD_SIZE)
        call = lambda: s.choice(10, size=size, replace=data.draw(st.booleans()))  # noqa: E731
    elif slot == "replace":
        r = data.draw(st.sampled_from(["yes", 1, 0, None, 1.0, [True]]))
        call = lambda: s.choice(10, size=2, replace=r)  # noqa: E731
    elif slot == "p":
        p = data.draw(st.sampled_from([[0.5, 0.5], [0.2] * 4 + [-0.2, 0.4], [math.nan] + [0.2] * 4 + [0.2],
                                       [0.0] * 5, [0.3] * 5, [[0.2] * 5], "p", [math.inf] * 5, [0.2] * 4 + ["x"]]))
        call = lambda: s.choice(5, size=2, p=p, replace=data.draw(st.booleans()))  # noqa: E731
    elif slot == "too_many":
        call = lambda: s.choice(5, size=6, replace=False)  # noqa: E731
    elif slot == "huge":  # issue 10, defect 4
        args = data.draw(st.sampled_from([(10 ** 13, 10 ** 13, False), (10 ** 14, (0, 10 ** 30), False),
                                          (10, 10 ** 13, True), (10 ** 14, (2 ** 62, 4), False)]))
        call = lambda: s.choice(args[0], size=args[1], replace=args[2])  # noqa: E731
    else:
        dev = data.draw(st.sampled_from(BAD_DEVICE))
        call = lambda: s.choice(10, size=2, device=dev)  # noqa: E731
    refused(s, call)
    checked()


# ----------------------------------------------------------------------------- fold and StreamBatch draws
@SETTINGS
@given(data=st.data())
def test_fold_refuses_bad_indices(data, checked):
    s = _stream()
    makers = [lambda: [-1, 2], lambda: [1 << 64], lambda: [1.5, 2.0], lambda: ["a"], lambda: [[1, 2], [3]],
              lambda: np.array([1.0, 2.0]), lambda: np.array([-3], np.int64), lambda: "abc", lambda: 3.5,
              lambda: None, lambda: [True, False], lambda: np.array(["x"])]
    if torch is not None:
        makers += [lambda: torch.tensor([-1, 2]), lambda: torch.tensor([1.0, 2.0]), lambda: torch.tensor([True]),
                   lambda: torch.tensor([1 + 1j])]
    idx = data.draw(st.sampled_from(makers))()
    refused(s, lambda: s.fold(idx))
    checked()


@SETTINGS
@given(data=st.data())
def test_batch_draws_refuse_bad_arguments(data, checked):
    pytest.importorskip("torch", reason="StreamBatch draws return torch tensors")
    b = _stream().fold(torch.arange(2))
    name = data.draw(st.sampled_from(["rand", "randn", "uniform", "normal", "randint", "random_raw"]))
    slot = data.draw(st.sampled_from(["size", "dtype", "device", "out"] + (
        ["param"] if name in ("uniform", "normal", "randint") else [])))
    kind = "int" if name == "randint" else "raw" if name == "random_raw" else "float"
    kw = {}
    if slot == "size":
        kw["size"] = data.draw(BAD_SIZE)
    elif slot == "dtype":
        kw["dtype"] = data.draw(st.sampled_from(
            BAD_INT_DTYPE if kind == "int" else BAD_RAW_DTYPE if kind == "raw" else BAD_FLOAT_DTYPE))
    elif slot == "device":
        kw["device"] = data.draw(st.sampled_from(BAD_DEVICE))  # another device is fine: the ids move there
    elif slot == "out":
        kw["out"] = data.draw(bad_out(kind))()
    size = kw.pop("size", 3)

    def call():
        if name in ("rand", "randn"):
            star = () if size is None else (size if isinstance(size, tuple) else (size,))
            return getattr(b, name)(*star, **kw)
        if name == "uniform":
            return b.uniform(data.draw(BAD_REAL) if slot == "param" else 0.0, 1.0, size=size, **kw)
        if name == "normal":
            return b.normal(0.0, data.draw(BAD_REAL) if slot == "param" else 1.0, size=size, **kw)
        if name == "randint":
            return b.randint(0, data.draw(BAD_INT_BOUND) if slot == "param" else 7, size=size, **kw)
        return b.random_raw(size=size, **kw)
    refused(b, call, kw.get("out"))
    checked()


# ----------------------------------------------------------------------------- positions, streams, seeds
@SETTINGS
@given(v=st.one_of(st.integers(max_value=-1), st.integers(min_value=(1 << 66) + 1, max_value=1 << 100),
                   st.floats(), st.sampled_from(["0", None, True, 1j, np.float64(1.0)])))
def test_position_setter_refuses_bad_values(v, checked):
    s = _stream()
    with pytest.raises((TypeError, ValueError)):
        s.position = v
    assert s.position == 7
    with pytest.raises(ValueError):  # a draw past the end of the stream (2**66 words)
        s.position = (1 << 66) - 2
        s.random_raw(3)
    assert s.position == (1 << 66) - 2
    checked(2)


BAD_COMPONENT = st.one_of(st.integers(max_value=-1), st.integers(min_value=1 << 64, max_value=1 << 80),
                          st.floats(), st.sampled_from([None, True, b"x", ("a",), "\ud800", 1j, object()]))
BAD_SEED = st.one_of(st.integers(max_value=-(1 << 63) - 1), st.integers(min_value=1 << 64, max_value=1 << 90),
                     st.floats(), st.sampled_from(["1", True, np.bool_(True), 1j, [1]]))  # (None: fresh entropy)


@SETTINGS
@given(c=BAD_COMPONENT, seed=BAD_SEED)
def test_paths_and_seeds_refuse_bad_values(c, seed, checked):
    g = philox.Generator(5)
    before = g.state_dict()
    for call in (lambda: g.stream("a", c), lambda: philox.Stream(1, c), lambda: philox.stream_id(c),
                 lambda: g.isolate(c), lambda: _stream().stream(c), lambda: philox.Stream(seed, "a"),
                 lambda: g.manual_seed(seed), lambda: philox.Generator(seed)):
        with pytest.raises((TypeError, ValueError)):
            call()
    assert g.state_dict() == before
    checked(8)


# ----------------------------------------------------------------------------- samplers
@SETTINGS
@given(data=st.data())
def test_sampler_refuses_bad_arguments(data, checked):
    from philox import PhiloxSampler
    arg, v = data.draw(st.sampled_from([
        ("data_source_or_len", 0), ("data_source_or_len", -3), ("data_source_or_len", 2.5),
        ("data_source_or_len", "abc"), ("data_source_or_len", None), ("data_source_or_len", True),
        ("seed", 1.5), ("seed", 1 << 64), ("seed", "s"), ("stream", 3.5), ("stream", ("a", -1)),
("shuffle", "yes"), ("replacement", 1), ("drop_last", None),
        ("num_samples", 0), ("num_samples", -1), ("num_samples", 2.0), ("weights", [1.0, 2.0]),
        ("weights", [math.nan] * 10), ("weights", [-1.0] * 10), ("weights", [0.0] * 10), ("weights", "w"),
        ("num_replicas", 0), ("num_replicas", 2.0), ("rank", 5), ("rank", -1)]))
    kw = {"data_source_or_len": 10, "seed": 3}
    kw[arg] = v
    if arg == "rank":
        kw["num_replicas"] = 2
    with pytest.raises((TypeError, ValueError)):
        PhiloxSampler(**kw)
    checked()


@SETTINGS
@given(data=st.data())
def test_sampler_load_state_dict_refuses_crafted_dicts(data, checked):
    from philox import PhiloxSampler
    smp = PhiloxSampler(10, seed=3)
    it = iter(smp)
    next(it)
    good = smp.state_dict()
    before = dict(good)
    key = data.draw(st.sampled_from(sorted(good)))
    v = data.draw(st.sampled_from([None, -1, 1 << 70, 2.5, "x", [1], {"a": 1}, True, math.nan]))
    bad = dict(good)
    if data.draw(st.booleans()):
        bad[key] = v
    else:
        del bad[key]
    if bad == good:
        return
    with pytest.raises((TypeError, ValueError)):
        smp.load_state_dict(bad)
    assert smp.state_dict() == before
    with pytest.raises((TypeError, ValueError)):
        smp.set_epoch(v if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v >= 1 << 64 else -1)
    assert smp.state_dict() == before
    checked(2)
