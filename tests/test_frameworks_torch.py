"""Exact mid-epoch resume under a plain torch DataLoader (the README's "Checkpoints" section), and
philox.TrackedLoader: its state_dict() with no argument records what the loop received."""
import pickle

import pytest

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402

import philox  # noqa: E402
from framework_cases import KEYS, Samples, check_resume, recipe, with_keys  # noqa: E402

# Global training steps at which a run is interrupted (21 samples, batches of 8: steps 1-3 are
# epoch 0, 4-6 epoch 1, 7-9 epoch 2): the first step, mid-epoch, right after an epoch's last
# (partial) batch, and the last step of the run. With workers (each epoch starts processes: slow on
# 2 cores) two epochs and two stops: right after epoch 0's last batch, and mid-epoch 1.
STOPS = (2, 3, 4, 6, 9)


def plan(num_workers):
    """check_resume's stops and EPOCHS for a loader with ``num_workers``."""
    return dict(stops=STOPS, EPOCHS=3) if num_workers == 0 else dict(stops=(4, 6), EPOCHS=2)


def workers(code, n):
    assert code.count("num_workers=2") == 1
    return code.replace("num_workers=2", f"num_workers={n}")


@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("num_workers", [0, 2])
def test_plain_recipe_resumes_exactly(tmp_path, keys, num_workers):
    code = workers(with_keys(recipe("Plain `DataLoader`"), keys), num_workers)
    ref = check_resume(code, tmp_path, dataset=Samples(21), **plan(num_workers))
    if keys:  # the per-sample values came through the keys
        assert {int(r[1]) for r in ref} == set(range(plan(num_workers)["EPOCHS"])) and len({r[2] for r in ref}) > 30


SAMPLER_LOOP = """
import os

import torch
from torch.utils.data import DataLoader

import philox

sampler = philox.PhiloxSampler(dataset, seed=1234)
loader = DataLoader(dataset, sampler=sampler, batch_size=8, num_workers=NUM_WORKERS)
if os.path.exists(CKPT):
    sampler.load_state_dict(torch.load(CKPT)["sampler"])
for epoch in range(sampler.epoch, EPOCHS):
    sampler.set_epoch(epoch)
    for step, batch in enumerate(loader, 1):
        train_step(batch)
        if step % SAVE_EVERY == 0:  # after the last (partial) batch: 3 * 8 of 21 samples, the epoch's end
            torch.save({"sampler": sampler.state_dict(consumed=step * 8, batch_size=8)}, CKPT)
"""


@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("num_workers", [0, 2])
def test_sampler_consumed_steps_times_batch_size_resumes_exactly(tmp_path, keys, num_workers):
    # the README's sampler= form of the plain recipe: every step of the first epoch (its last
    # batch is partial: 21 = 8 + 8 + 5) and later ones, as the recipe tests
    check_resume(with_keys(SAMPLER_LOOP, keys), tmp_path, dataset=Samples(21), NUM_WORKERS=num_workers,
                 **plan(num_workers))


TRACKED = """
import torch
from torch.utils.data import DataLoader
import philox
import os

sampler = philox.PhiloxSampler(dataset, seed=1234)
if BATCH_SAMPLER:
    loader = DataLoader(dataset, batch_sampler=philox.PhiloxBatchSampler(sampler, 8), **LOADER)
else:
    loader = DataLoader(dataset, sampler=sampler, batch_size=8, **LOADER)
loader = philox.TrackedLoader(loader)
if os.path.exists(CKPT):
    loader.load_state_dict(torch.load(CKPT))
for epoch in range(loader.epoch, EPOCHS):
    loader.set_epoch(epoch) if hasattr(loader, "set_epoch") else sampler.set_epoch(epoch)
    for batch in loader:
        train_step(batch)
        torch.save(loader.state_dict(), CKPT)
"""


@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes")
@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("batch_sampler, loader", [
    (False, dict(num_workers=0)), (True, dict(num_workers=0)), (True, dict(num_workers=2)),
    (False, dict(num_workers=3, persistent_workers=True, prefetch_factor=4))],
    ids=["sampler-0", "batchsampler-0", "batchsampler-2", "sampler-3persistent"])
def test_tracked_loader_plain_state_dict_resumes_exactly(tmp_path, keys, batch_sampler, loader):
    code = with_keys(TRACKED, keys)
    check_resume(code, tmp_path, dataset=Samples(21), BATCH_SAMPLER=batch_sampler, LOADER=loader,
                 **plan(loader["num_workers"]))


def test_without_tracking_the_default_state_runs_ahead():
    # what TrackedLoader is for: with 2 workers the sampler has handed out more than the loop got
    s = philox.PhiloxSampler(100, seed=3)
    loader = DataLoader(Samples(100), sampler=s, batch_size=5, num_workers=2)
    it = iter(loader)
    next(it)
    assert s.state_dict()["position"] > 5
    del it
    tracked = philox.TrackedLoader(DataLoader(Samples(100), sampler=s, batch_size=5, num_workers=2))
    it = iter(tracked)
    next(it)
    next(it)
    assert tracked.state_dict() == s.state_dict(consumed=10) and tracked.consumed_batches == 2
    assert s.state_dict()["position"] > 10  # the sampler itself is left as it is
    del it


def test_tracked_loader_state_through_a_pass_and_after():
    s = philox.PhiloxSampler(10, seed=1)
    t = philox.TrackedLoader(DataLoader(list(range(10)), sampler=s, batch_size=4))
    assert t.state_dict() == s.state_dict(consumed=0)  # before any iteration: the sampler's default
    got = []
    for i, b in enumerate(t, 1):
        got += b.tolist()
        st = t.state_dict()
        if i < 3:
            assert (st["epoch"], st["position"]) == (0, 4 * i) and t.epoch == 0
    # the last (partial) batch: the loop has the whole pass, so the state is the next epoch's start
    assert (st["epoch"], st["position"]) == (1, 0)
    assert sorted(got) == list(range(10))
    assert t.state_dict() == st  # after the iteration ended: the same
    st0 = s.state_dict()  # the sampler's own: the end of the pass it ran through
    assert (st0["epoch"], st0["position"]) == (0, 10)
    epoch1 = [int(v) for v in philox.PhiloxSampler(10, seed=1).indices_at(range(10), epoch=1)]
    r = philox.PhiloxSampler(10, seed=1)
    r.load_state_dict(st0)
    assert list(r) == [] and r.epoch == 1 and list(r) == epoch1
    r.load_state_dict(st)
    assert list(r) == epoch1
    s.set_epoch(1)  # the sampler moved on by itself: its own state again
    assert t.state_dict() == s.state_dict() and t.epoch == 1


def test_tracked_loader_an_early_break_keeps_the_count():
    s = philox.PhiloxSampler(40, seed=2)
    t = philox.TrackedLoader(DataLoader(list(range(40)), sampler=s, batch_size=3, num_workers=2))
    seen = []
    for i, b in enumerate(t, 1):
        seen += b.tolist()
        if i == 4:
            break
    st = t.state_dict()
    assert st["position"] == 12
    r = philox.PhiloxSampler(40, seed=2)
    r.load_state_dict(pickle.loads(pickle.dumps(st)))
    assert seen + list(r) == list(philox.PhiloxSampler(40, seed=2))


def test_tracked_loader_finds_the_sampler_and_batch_size():
    s = philox.PhiloxSampler(10, seed=1)
    bs = philox.PhiloxBatchSampler(s, 3)
    a = philox.TrackedLoader(DataLoader(list(range(10)), sampler=s, batch_size=4))
    assert a.sampler is s and "batch_size=4" in repr(a) and len(a) == 3
    b = philox.TrackedLoader(DataLoader(list(range(10)), batch_sampler=bs))
    assert b.sampler is bs and "batch_size=3" in repr(b) and len(b) == 4
    c = philox.TrackedLoader(DataLoader(list(range(10)), sampler=s, batch_size=None))
    assert "batch_size=1" in repr(c)
    d = philox.TrackedLoader(DataLoader(list(range(10)), sampler=s, batch_size=4), s, batch_size=2)
    assert "batch_size=2" in repr(d)
    assert a.dataset == list(range(10)) and a.loader.batch_size == 4  # the loader's attributes


def test_two_tracked_loaders_over_a_sampler_count_their_own_iterations():
    s = philox.PhiloxSampler(20, seed=1)
    a = philox.TrackedLoader(DataLoader(list(range(20)), sampler=s, batch_size=2))
    b = philox.TrackedLoader(DataLoader(list(range(20)), sampler=s, batch_size=5))
    it = iter(b)
    next(it)
    assert b.state_dict()["position"] == 5
    assert a.state_dict() == s.state_dict()  # a has not iterated: the sampler's own state
    del it


@pytest.mark.parametrize("args, kwargs, exc, match", [
    ((5,), {}, TypeError, "loader must be an iterable"),
    (([1, 2],), {}, ValueError, "no philox.PhiloxSampler"),
    ((None,), {}, TypeError, "loader must be an iterable"),
    (("L", "not a sampler"), {}, TypeError, "sampler must be a philox"),
    (("L",), {"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
    (("L",), {"batch_size": 2.0}, TypeError, "batch_size must be an int, got 2.0"),
    (("L",), {"batch_size": True}, TypeError, "batch_size must be an int, got True"),
])
def test_tracked_loader_bad_arguments(args, kwargs, exc, match):
    s = philox.PhiloxSampler(10, seed=1)
    before = s.state_dict()
    args = tuple(DataLoader(list(range(10)), sampler=s, batch_size=2) if a == "L" else a for a in args)
    with pytest.raises(exc, match=match):
        philox.TrackedLoader(*args, **kwargs)
    assert s.state_dict() == before


def test_tracked_loader_load_is_checked_at_once_and_applied_when_iterating():
    s = philox.PhiloxSampler(21, seed=4)
    t = philox.TrackedLoader(DataLoader(list(range(21)), sampler=s, batch_size=8))
    st = philox.PhiloxSampler(21, seed=4).state_dict(consumed=8)
    t.load_state_dict(st)
    assert s.position == 0 and len(t) == 3  # not applied yet: the epoch's length (Lightning reads it)
    assert t.state_dict() == st and t.epoch == 0
    got = [v for b in t for v in b.tolist()]
    assert got == list(philox.PhiloxSampler(21, seed=4))[8:]
    before = t.state_dict()
    for bad, exc in [({"format": 1}, ValueError), ("x", TypeError),
                     (philox.PhiloxSampler(21, seed=5).state_dict(), ValueError),
                     (dict(st, position=22), ValueError)]:
        with pytest.raises(exc):
            t.load_state_dict(bad)
        assert t.state_dict() == before  # a failed load changes nothing
