"""isolate under attack: two threads racing for blocks (issue 10, defect 2), isolate entries of
state dicts with bad numbers or CUDA states (defect 7), and every path checked before anything
changes (defect 3)."""
import random
import sys
import threading
import time

import numpy as np
import pytest

import philox
from philox import _isolate


@pytest.fixture(autouse=True)
def restore_globals(keep_globals):
    yield


def _race(seconds: float, switch: float):
    """Two threads loop over isolate blocks of different paths; returns (entries, refusals, overlaps)."""
    gen = philox.Generator(3)
    inside = [0]
    counts = {"entries": 0, "refused": 0, "overlap": 0}
    guard = threading.Lock()
    stop = time.monotonic() + seconds
    errors = []

    def worker(name):
        try:
            while time.monotonic() < stop:
                try:
                    with gen.isolate(name):
                        with guard:
                            inside[0] += 1
                            counts["entries"] += 1
                            if inside[0] > 1:
                                counts["overlap"] += 1
                        random.random()
                        np.random.rand()
                        with guard:
                            inside[0] -= 1
                except RuntimeError:
                    with guard:
                        counts["refused"] += 1
        except BaseException as e:  # pragma: no cover (reported below)
            errors.append(e)

    old = sys.getswitchinterval()
    sys.setswitchinterval(switch)
    try:
        ts = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors
    return counts


def test_two_threads_never_share_an_isolate_block():
    random.seed(5)
    np.random.seed(5)
    before = (random.getstate(), np.random.get_state()[1].copy(), np.random.get_state()[2])
    counts = _race(1.5, 1e-6)
    assert counts["entries"] > 0
    assert counts["overlap"] == 0, counts
    # every block restored the outer states: nothing outside a block drew
    assert random.getstate() == before[0]
    assert np.array_equal(np.random.get_state()[1], before[1]) and np.random.get_state()[2] == before[2]
    assert not _isolate._frames


def test_the_race_is_seen_without_the_lock(monkeypatch):
    """The test above can fail: with the entry lock replaced by a no-op, blocks do overlap."""
    class NoLock:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    monkeypatch.setattr(_isolate, "_lock", NoLock())
    for _ in range(5):
        counts = _race(1.0, 1e-6)
        _isolate._frames.clear()
        _isolate._owner[0] = None
        if counts["overlap"]:
            return
    pytest.skip("no overlap seen in 5 s without the lock on this machine (the race needs a thread switch "
                "between the check and the entry)")


def test_exit_from_another_thread_is_refused():
    gen = philox.Generator(1)
    blk = gen.isolate("x")
    blk.__enter__()
    try:
        err = []

        def other():
            try:
                blk.__exit__(None, None, None)
            except RuntimeError as e:
                err.append(e)
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert err and "did not enter" in str(err[0])
    finally:
        blk.__exit__(None, None, None)
    assert not _isolate._frames


# ---------------------------------------------------------------------------- state dict entries
def _entry(gen):
    with gen.isolate("p"):
        random.random()
    return gen.state_dict()


@pytest.mark.parametrize("where, value", [
    (("numpy", "gauss"), 10 ** 400),
    (("numpy", "gauss"), float("nan")),
    (("numpy", "gauss"), float("inf")),
    (("random", 2), 10 ** 400),
    (("random", 2), float("-inf")),
])
def test_isolate_entry_bad_floats_are_value_errors(where, value):
    gen = philox.Generator(2)
    d = _entry(gen)
    before = gen.state_dict()
    e = d["isolate"]["paths"][0]
    e[where[0]] = list(e[where[0]]) if isinstance(e[where[0]], list) else dict(e[where[0]])
    e[where[0]][where[1]] = value
    with pytest.raises(ValueError, match="gauss|random"):
        gen.load_state_dict(d)
    assert gen.state_dict() == before


def test_isolate_entry_cuda_states_are_checked():
    torch = pytest.importorskip("torch", reason="CUDA states in an isolate entry need torch")
    gen = philox.Generator(2)
    d = _entry(gen)
    e = d["isolate"]["paths"][0]
    assert e["torch"] is not None
    before = gen.state_dict()
    for bad, exc in [([[1, 2, 3]], ValueError),            # not a CUDA generator state (16 bytes)
                     ([[0] * 16, [0] * 8], ValueError),     # devices with different state sizes
                     ([[300] * 16], ValueError),            # not bytes
                     ([7], TypeError),                      # not a list per device
                     ("abc", TypeError)]:
        e["cuda"] = bad
        with pytest.raises(exc, match="cuda"):
            gen.load_state_dict(d)
        assert gen.state_dict() == before
    e["cuda"] = [[0] * 16]
    gen.load_state_dict(d)  # a well-formed CUDA state loads (used once CUDA is initialized)
    del torch


@pytest.mark.parametrize("where", ["streams", "isolate"])
def test_a_path_that_has_no_id_changes_nothing(where):
    """A lone surrogate cannot be encoded as UTF-8, so its path has no id: the whole dict is refused
    before the seed, the positions or the isolated states change (defect 3)."""
    gen = philox.Generator(11)
    gen.stream("kept").random_raw(5)
    d = _entry(gen)
    before = gen.state_dict()
    d = dict(d, seed=99)
    if where == "streams":
        d["streams"] = d["streams"] + [{"path": ["\ud800"], "position": 3}]
    else:
        d["isolate"]["paths"][0]["path"] = ["\ud800"]
    with pytest.raises(ValueError, match="ud800|UTF-8"):
        gen.load_state_dict(d)
    assert gen.state_dict() == before


def test_surrogate_paths_are_value_errors_everywhere():
    for call in (lambda: philox.stream("\ud800"), lambda: philox.Stream(1, "a", "\udfff"),
                 lambda: philox.stream_id("\ud800"), lambda: philox.Generator(1).isolate("\ud800"),
                 lambda: philox.Stream(1, "a").stream("\ud800")):
        with pytest.raises(ValueError, match="UTF-8"):
            call()
