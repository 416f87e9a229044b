"""SampleKey, key.stream / key.seeded, philox.sample_stream and the registry rule (issue 9).

These tests run without torch (the torch parts of ``seeded`` skip themselves); the DataLoader
invariance tests are in test_sample_key_loader.py.
"""
import copy
import pickle
import random
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import philox
import reference as R
from philox import SampleKey, Stream, sample_stream
from philox import _generator as G

SEED = 888


def key(i=5, e=2, seed=SEED, stream=("sampler",)):
    return SampleKey(i, epoch=e, seed=seed, stream=stream)


# ------------------------------------------------------------------ an int that carries its sample
def test_key_is_the_index_everywhere():
    k = key(5, 2)
    assert isinstance(k, int) and k == 5 and int(k) == 5 and type(int(k)) is int
    assert k.index == 5 and type(k.index) is int and k.epoch == 2 and k.seed == SEED
    assert k.sampler_stream == ("sampler",)
    data = list(range(100, 110))
    assert data[k] == 105 and np.arange(10)[k] == 5 and "abcdefg"[k] == "f"
    assert str(k) == "5" and f"{k}" == "5" and f"{k:03d}" == "005" and "%d" % k == "5"
    assert repr(k) == "SampleKey(index=5, epoch=2, seed=888, stream=('sampler',))"
    assert hash(k) == hash(5) and {k: 1}[5] == 1
    assert k + 1 == 6 and type(k + 1) is int and range(10)[k] == 5


def test_key_is_immutable():
    k = key()
    with pytest.raises(AttributeError):
        k.epoch = 3
    with pytest.raises(AttributeError):
        k.foo = 1
    with pytest.raises(AttributeError):
        del k._epoch
    assert k.epoch == 2


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_key_pickles_and_copies(protocol):
    k = key(7, 3, seed=-1, stream=("s", 4))
    for c in (pickle.loads(pickle.dumps(k, protocol)), copy.copy(k), copy.deepcopy(k)):
        assert type(c) is SampleKey and c == 7
        assert (c.epoch, c.seed, c.sampler_stream) == (3, 2 ** 64 - 1, ("s", 4))
        assert np.array_equal(c.stream("a").random_raw(4), k.stream("a").random_raw(4))


def test_key_with_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate
    k = key(3)
    assert torch.arange(10)[k].item() == 3
    b = default_collate([key(1), key(4), key(2)])
    assert b.dtype == torch.int64 and b.tolist() == [1, 4, 2]


# ------------------------------------------------------------------ key.stream: FORMAT 8, golden values
def test_key_stream_is_the_documented_stream():
    k = key(5, 2, stream=("sampler",))
    s = k.stream("aug", 1)
    assert s.position == 0 and s.seed == SEED
    assert s.id == philox.stream_id("sampler", "sample", 2, 5, "aug", 1)
    assert s.id == R.stream_id("sampler", "sample", 2, 5, "aug", 1)
    want = R.words(SEED, s.id, 0, 8)
    assert np.array_equal(s.random_raw(8), want)
    assert np.array_equal(Stream(SEED, "sampler", "sample", 2, 5, "aug", 1).random_raw(8), want)
    assert np.array_equal(sample_stream(SEED, 2, 5, "aug", 1).random_raw(8), want)
    assert np.array_equal(k.stream().random_raw(8), R.words(SEED, R.stream_id("sampler", "sample", 2, 5), 0, 8))


def test_key_stream_golden():
    # Frozen (docs/FORMAT.md section 8): Stream(888, "sampler", "sample", 2, 5, "aug") words 0..3,
    # and the same path's rand(2).
    s = key(5, 2).stream("aug")
    assert s.random_raw(4).tolist() == GOLDEN_WORDS
    assert key(5, 2).stream("aug").rand(2).tolist() == GOLDEN_RAND
    assert sample_stream(SEED, 2, 5, "aug", stream="sampler").rand(2).tolist() == GOLDEN_RAND


GOLDEN_WORDS = [3127303614, 2414590776, 4261213537, 791484324]
GOLDEN_RAND = [0.5621907247063079, 0.18428180482986867]


def test_key_stream_is_fresh_and_unregistered():
    before = len(philox.default_generator._streams)
    k = key()
    a = k.stream("aug")
    a.rand(5)
    b = k.stream("aug")
    assert a is not b and b.position == 0
    assert len(philox.default_generator._streams) == before


def test_keys_differ_by_every_component():
    base = key(5, 2).stream("aug").random_raw(4).tolist()
    for other in (key(6, 2), key(5, 3), key(5, 2, seed=SEED + 1), key(5, 2, stream="other")):
        assert other.stream("aug").random_raw(4).tolist() != base
    assert key(5, 2).stream("aug2").random_raw(4).tolist() != base


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(-2 ** 63, 2 ** 64 - 1), e=st.integers(0, 2 ** 64 - 1), i=st.integers(0, 2 ** 64 - 1),
       path=st.lists(st.one_of(st.text(max_size=4), st.integers(0, 2 ** 64 - 1)), max_size=3),
       stream=st.lists(st.one_of(st.text(max_size=4), st.integers(0, 2 ** 64 - 1)), min_size=1, max_size=2))
def test_sample_stream_equals_key_stream(seed, e, i, path, stream):
    a = sample_stream(seed, e, i, *path, stream=tuple(stream)).random_raw(3)
    b = SampleKey(i, epoch=e, seed=seed, stream=stream).stream(*path).random_raw(3)
    c = Stream(seed, *stream, "sample", e, i, *path).random_raw(3)
    assert np.array_equal(a, b) and np.array_equal(a, c)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kw, exc, words", [
    (dict(index=-1, epoch=0, seed=1), ValueError, "index"),
    (dict(index=2 ** 64, epoch=0, seed=1), ValueError, "index"),
    (dict(index=1.0, epoch=0, seed=1), TypeError, "index"),
    (dict(index=True, epoch=0, seed=1), TypeError, "index"),
    (dict(index=1, epoch=-1, seed=1), ValueError, "epoch"),
    (dict(index=1, epoch="0", seed=1), TypeError, "epoch"),
    (dict(index=1, epoch=0, seed=2 ** 64), ValueError, "seed"),
    (dict(index=1, epoch=0, seed=None), TypeError, "seed"),
    (dict(index=1, epoch=0, seed=1, stream=3.0), TypeError, "stream"),
    (dict(index=1, epoch=0, seed=1, stream=("a", -1)), ValueError, "stream"),
])
def test_bad_key_arguments(kw, exc, words):
    index = kw.pop("index")
    with pytest.raises(exc, match=words):
        SampleKey(index, **kw)
    with pytest.raises(exc, match=words):
        sample_stream(kw.get("seed"), kw.get("epoch"), index, **({"stream": kw["stream"]} if "stream" in kw else {}))


def test_key_needs_epoch_and_seed():
    with pytest.raises(TypeError):
        SampleKey(3)
    with pytest.raises(TypeError):
        SampleKey(3, epoch=0)


def test_bad_path_components():
    k = key()
    with pytest.raises(TypeError, match=r"path\[0\]"):
        k.stream(1.5)
    with pytest.raises(ValueError, match=r"path\[1\]"):
        k.seeded("a", -1)
    with pytest.raises(TypeError):
        sample_stream(1, 0, 0, None)


# ------------------------------------------------------------------ key.seeded
def _draw_globals():
    out = [random.random(), float(np.random.rand())]
    torch = philox._globals_state.torch_cached()
    if torch is not None:
        out.append(float(torch.rand(1, dtype=torch.float64)))
    return out


def test_seeded_uses_the_documented_seeds(keep_globals):
    k = key(5, 2)
    base = k.stream("aug")
    with k.seeded("aug"):
        r, n = random.random(), np.random.rand(3)
    words = [int(x) for x in base.stream("seeded").random_raw(10)]
    assert words == [int(x) for x in Stream(SEED, "sampler", "sample", 2, 5, "aug", "seeded").random_raw(10)]
    w = words[:4]
    assert r == random.Random(w[0] | w[1] << 32 | w[2] << 64 | w[3] << 96).random()
    assert np.array_equal(n, np.random.RandomState(np.array(words[4:8], dtype=np.uint32)).rand(3))
    torch = philox._globals_state.torch_cached()
    if torch is not None:
        with k.seeded("aug"):
            t = torch.rand(3)
        tw = words[8:]
        assert torch.equal(t, torch.rand(3, generator=torch.Generator().manual_seed(tw[0] | tw[1] << 32)))


def test_seeded_golden(keep_globals):
    with key(5, 2).seeded("aug"):
        r, n = random.random(), float(np.random.rand())
    assert (r, n) == GOLDEN_SEEDED
    torch = philox._globals_state.torch_cached()
    if torch is not None:
        with key(5, 2).seeded("aug"):
            assert float(torch.rand(1, dtype=torch.float64)) == 0.3995078995114497


# random.random() and np.random.rand() inside key(5, 2).seeded("aug") (FORMAT 8 + 9)
GOLDEN_SEEDED = (0.6981347624552703, 0.5024013466981273)


def test_seeded_restores_outer_states(keep_globals):
    random.seed(1), np.random.seed(2)
    torch = philox._globals_state.torch_cached()
    if torch is not None:
        torch.manual_seed(3)
    ref = _draw_globals()
    random.seed(1), np.random.seed(2)
    if torch is not None:
        torch.manual_seed(3)
    k = key()
    with k.seeded("aug"):
        inside = _draw_globals()
    with pytest.raises(KeyError):
        with k.seeded("aug"):
            again = _draw_globals()
            raise KeyError("boom")
    assert again == inside  # each entry seeds afresh
    assert _draw_globals() == ref  # the outer draws as if the blocks had not run


def test_seeded_nests_and_is_reusable(keep_globals):
    a, b = key(1, 0), key(2, 0)
    with a.seeded():
        va = _draw_globals()
    with b.seeded():
        vb = _draw_globals()
    assert va != vb
    cm = a.seeded()
    with cm:
        x1 = random.random()
        with b.seeded():
            assert _draw_globals() == vb
        x2 = random.random()
        with cm:  # the same object, re-entered: seeds afresh, restores on exit
            assert random.random() == va[0]
        x3 = random.random()
    with a.seeded():
        assert [random.random() for _ in range(3)] == [x1, x2, x3]


def test_seeded_depends_on_the_path_and_key(keep_globals):
    vals = []
    for k, p in ((key(1, 0), ("a",)), (key(1, 0), ("b",)), (key(1, 1), ("a",)), (key(2, 0), ("a",))):
        with k.seeded(*p):
            vals.append(tuple(_draw_globals()))
    assert len(set(vals)) == 4


def test_seeded_inside_isolate(keep_globals):
    with philox.isolate("outer"):
        x = random.random()
    with philox.isolate("outer"):
        with key().seeded("aug"):
            random.random()
        y = random.random()
    with philox.isolate("outer2"):
        pass
    philox.manual_seed(philox.initial_seed())  # restart the isolated paths
    with philox.isolate("outer"):
        assert random.random() == x
        assert random.random() == y


def test_seeded_warns_when_cuda_starts_inside(monkeypatch, keep_globals):
    torch = pytest.importorskip("torch")
    from philox import _sample_key
    if torch.cuda.is_initialized():
        pytest.skip("CUDA is already initialized in this process")
    ready = [False]
    monkeypatch.setattr(_sample_key, "cuda_ready", lambda t: ready[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with key().seeded("aug"):
            pass
    with pytest.warns(RuntimeWarning, match=r"CUDA was initialized inside SampleKey\(index=5.*seeded\('aug',\)"):
        with key().seeded("aug"):
            ready[0] = True  # what torch.cuda.init() inside the block would do


# ------------------------------------------------------------------ the registry rule
def test_sample_key_in_a_registered_path_is_refused():
    g = philox.Generator(1)
    with pytest.raises(TypeError, match="key.stream"):
        g.stream("aug", key(3))
    with pytest.raises(TypeError, match="SampleKey"):
        philox.stream("aug", key(3))
    assert ("aug", 3) not in g._streams and len(g.state_dict()["streams"]) == 0
    assert g.stream("aug", 3).position == 0  # a plain int is a name like any other


def test_registry_warns_past_the_limit(monkeypatch):
    assert philox.STREAM_REGISTRY_WARN_AT == G.STREAM_REGISTRY_WARN_AT == 4096
    monkeypatch.setattr(G, "STREAM_REGISTRY_WARN_AT", 5)
    g = philox.Generator(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(5):
            g.stream("x", i)
        g.stream("x", 0)
    with pytest.warns(RuntimeWarning, match=r"6 registered streams.*sample_stream"):
        g.stream("x", 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per generator
        g.stream("x", 6)


def test_registry_warns_in_a_dataloader_worker(monkeypatch):
    import sys
    import types
    fake = types.ModuleType("torch.utils.data._utils.worker")
    fake._worker_info = None
    monkeypatch.setitem(sys.modules, "torch.utils.data._utils.worker", fake)
    monkeypatch.setattr(G, "_worker_warned", [False])
    g = philox.Generator(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g.stream("aug")  # not in a worker
    fake._worker_info = object()
    with pytest.warns(RuntimeWarning, match=r"inside a DataLoader worker.*keys=True"):
        g.stream("aug")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process
        g.stream("aug").rand()
        philox.stream("other")
