"""PhiloxSampler.state_dict(consumed=...) and PhiloxBatchSampler.state_dict(consumed_batches=...) at
every boundary of a pass (issue 9): 0, mid-pass, exactly the pass, and a count after the pass's last
partial batch (``steps * batch_size`` with ``batch_size=``), with world sizes whose shards are padded
or dropped; a resume from each state sees exactly the rest of the pass; bad counts raise naming the
argument and change nothing."""
import itertools

import numpy as np
import pytest

import philox
from philox import PhiloxBatchSampler, PhiloxSampler


def _ranks(n, W, **kw):
    return [PhiloxSampler(n, seed=11, num_replicas=W, rank=r, **kw) for r in range(W)]


def _lockstep(ranks, k):
    """Every rank's first ``k`` indices of its pass."""
    out = []
    for s in ranks:
        it = iter(s)
        out.append([next(it) for _ in range(k)])
    return out


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, W", [(1, 1), (7, 1), (7, 2), (7, 3), (10, 4), (12, 4), (5, 8)])
def test_every_consumed_count_resumes_exactly_into_any_world_size(n, W, drop_last):
    order = PhiloxSampler(n, seed=11).indices_at(range(n)).tolist()
    per = len(_ranks(n, W, drop_last=drop_last)[0])
    real = per * W if drop_last else n  # positions the pass trains on (padding repeats, drop_last drops)
    for k in range(per + 1):
        ranks = _ranks(n, W, drop_last=drop_last)
        _lockstep(ranks, k)
        states = [s.state_dict(consumed=k) for s in ranks]
        assert all(st == states[0] for st in states)  # every rank records the same global state
        st = states[0]
        assert st["epoch"] == 0
        assert st["position"] == (n if k == per else W * k)  # the whole pass: its end
        for W2 in (1, 2, 3):
            rest = {}
            for r in range(W2):
                s = PhiloxSampler(n, seed=11, num_replicas=W2, rank=r)
                s.load_state_dict(st)
                s.set_epoch(0)  # the resumed loop sets its epoch again: the position stays
                rest.update(zip(range(st["position"] + r, n, W2), list(s)))
            done = order[:min(W * k, real)]
            assert done + [rest[g] for g in sorted(rest)] == (order if k < per else done)
            if k == per:
                assert rest == {}  # a finished pass resumes with nothing more of it


@pytest.mark.parametrize("W, drop_last", [(1, False), (3, False), (3, True)])
@pytest.mark.parametrize("n, bs", [(21, 8), (20, 5), (7, 10), (9, 1)])
def test_steps_times_batch_size_after_a_partial_last_batch_is_the_pass_end(n, bs, W, drop_last):
    s = PhiloxSampler(n, seed=3, num_replicas=W, rank=W - 1, drop_last=drop_last)
    per = len(s)
    steps = -(-per // bs)
    end = s.state_dict(consumed=per)
    assert (end["epoch"], end["position"]) == (0, n)
    for step in range(steps + 1):
        st = s.state_dict(consumed=step * bs, batch_size=bs)
        assert st == (end if step == steps else s.state_dict(consumed=min(per, step * bs)))
    with pytest.raises(ValueError, match=rf"consumed={steps * bs + 1} exceeds .*batch_size={bs}"):
        s.state_dict(consumed=steps * bs + 1, batch_size=bs)
    if steps * bs > per:  # a partial last batch: without batch_size= the count is refused, with a hint
        with pytest.raises(ValueError, match=rf"consumed={steps * bs} exceeds the {per} .*pass batch_size="):
            s.state_dict(consumed=steps * bs)


def test_a_loop_checkpointing_after_its_last_partial_batch_resumes_in_the_next_epoch():
    n, bs = 21, 8
    ref = PhiloxSampler(n, seed=5)
    epochs = [ref.indices_at(range(n), epoch=e).tolist() for e in range(3)]
    s = PhiloxSampler(n, seed=5, keys=True)
    batches = []
    it = iter(s)
    for step in itertools.count(1):  # a batching loop over the sampler, as a DataLoader
        b = list(itertools.islice(it, bs))
        if not b:
            break
        batches.append(b)
        st = s.state_dict(consumed=step * bs, batch_size=bs)
    assert step - 1 == 3 and len(batches[-1]) == 5 and s.epoch == 1  # the sampler moved on by itself
    assert (st["epoch"], st["position"]) == (0, n)
    for resume_with_set_epoch in (False, True):
        r = PhiloxSampler(n, seed=5, keys=True)
        r.load_state_dict(st)
        got = []
        for e in range(r.epoch, 3):  # the plain recipe's loop: from the sampler's epoch
            if resume_with_set_epoch:
                r.set_epoch(e)
            got.append([int(k) for k in r])
        # epoch 0 has nothing left; epochs 1 and 2 come whole and in order, keys with their epochs
        assert got == [[], epochs[1], epochs[2]]
    r = PhiloxSampler(n, seed=5, keys=True)
    r.load_state_dict(st)
    list(r)
    assert [k.epoch for k in r] == [1] * n


def test_consumed_counts_in_an_exhausted_pass_up_to_its_end():
    # a prefetching loader has taken the whole pass (the sampler is in epoch 1); the loop finishes
    # epoch 0's last partial batch: its count is epoch 0's end, not an error, not epoch 1
    s = PhiloxSampler(50, seed=4, num_replicas=3, rank=1)
    list(s)
    assert s.epoch == 1 and len(s) == 17
    assert s.state_dict(consumed=17) == s.state_dict(consumed=20, batch_size=4) == s.state_dict()
    assert (s.state_dict()["epoch"], s.state_dict()["position"]) == (0, 50)
    assert (s.state_dict(consumed=16, batch_size=4)["epoch"], s.state_dict(consumed=16)["position"]) == (0, 48)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(consumed=-1), ValueError, r"consumed must be in \[0, "),
    (dict(consumed=True), TypeError, "consumed must be an int, got True"),
    (dict(consumed=2.0), TypeError, "consumed must be an int, got 2.0"),
    (dict(consumed="3"), TypeError, "consumed must be an int, got '3'"),
    (dict(consumed=11), ValueError, "consumed=11 exceeds the 10 indices"),
    (dict(consumed=13, batch_size=4), ValueError, r"consumed=13 exceeds the 10 .*at most 12"),
    (dict(consumed=4, batch_size=0), ValueError, r"batch_size must be in \[1, "),
    (dict(consumed=4, batch_size=np.float64(4)), TypeError, "batch_size must be an int"),
    (dict(consumed=4, batch_size=False), TypeError, "batch_size must be an int"),
    (dict(batch_size=4), ValueError, "batch_size=4 needs consumed="),
])
def test_bad_consumed_counts_raise_and_change_nothing(kwargs, exc, match):
    s = PhiloxSampler(10, seed=2, keys=True)
    it = iter(s)
    first = [next(it) for _ in range(3)]
    before = s.state_dict()
    with pytest.raises(exc, match=match):
        s.state_dict(**kwargs)
    assert s.state_dict() == before and s.epoch == 0
    assert first + list(it) == list(PhiloxSampler(10, seed=2, keys=True))  # the iteration went on


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, W, bs", [(21, 1, 8), (20, 1, 5), (23, 3, 3), (10, 4, 4)])
def test_batch_sampler_consumed_batches_at_every_boundary(n, W, bs, drop_last):
    order = PhiloxSampler(n, seed=9).indices_at(range(n)).tolist()
    make = [PhiloxBatchSampler(PhiloxSampler(n, seed=9, num_replicas=W, rank=r), bs, drop_last=drop_last)
            for r in range(W)]
    nb = len(make[0])
    per = len(make[0].sampler)
    for b in range(nb + 1):
        states = [bsam.state_dict(consumed_batches=b) for bsam in make]
        assert all(st == states[0] for st in states)
        pos = states[0]["position"]
        # every batch done: the pass's end, also when drop_last left a partial batch out
        assert pos == (n if b == nb else W * b * bs)
        r = PhiloxSampler(n, seed=9)
        r.load_state_dict(states[0])
        r.set_epoch(0)
        assert list(r) == (order[pos:] if b < nb else [])
    assert make[0].state_dict(consumed_batches=nb) == make[0].sampler.state_dict(consumed=per)
    with pytest.raises(ValueError, match=rf"consumed_batches={nb + 1} exceeds the {nb} batches"):
        make[0].state_dict(consumed_batches=nb + 1)
    for bad, exc in [(-1, ValueError), (1.0, TypeError), (True, TypeError)]:
        with pytest.raises(exc, match="consumed_batches"):
            make[0].state_dict(consumed_batches=bad)


def test_batch_sampler_counts_in_the_pass_a_loader_exhausted():
    b = PhiloxBatchSampler(PhiloxSampler(21, seed=1), 8)
    assert len(list(b)) == 3 and b.sampler.epoch == 1
    assert b.state_dict(consumed_batches=2) == PhiloxSampler(21, seed=1).state_dict(consumed=16)
    end = b.state_dict(consumed_batches=3)
    assert (end["epoch"], end["position"]) == (0, 21) and end == b.state_dict()
    with pytest.raises(ValueError, match="consumed_batches=4 exceeds the 3 batches"):
        b.state_dict(consumed_batches=4)


def test_consumed_state_of_a_keyed_sampler_loads_into_a_plain_one():
    # keys= is how indices are handed out, not part of the order: the states are interchangeable
    k = PhiloxSampler(30, seed=6, keys=True)
    p = PhiloxSampler(30, seed=6)
    assert k.state_dict(consumed=30, batch_size=7) == p.state_dict(consumed=35, batch_size=7)
    assert isinstance(next(iter(k)), philox.SampleKey)


def test_a_batch_iteration_loaded_at_a_pass_end_yields_nothing_and_leaves_the_sampler():
    # what torchdata's StatefulDataLoader does with a PhiloxBatchSampler's iteration (save its
    # state_dict, load it into a new iteration after restoring the batch sampler): see _BatchIteration
    s = PhiloxSampler(21, seed=8)
    b = PhiloxBatchSampler(s, 8)
    end = b.state_dict(consumed_batches=3)
    b.load_state_dict(end)
    it = iter(b)
    assert it.state_dict() == {}
    it.load_state_dict({})
    assert list(it) == [] and (s.epoch, s.position) == (0, 21)  # not moved to epoch 1
    assert list(b) == [] and s.epoch == 1  # a new iteration walks the empty rest: the next epoch
    assert [i for x in b for i in x] == s.indices_at(range(21), epoch=1).tolist()
    mid = PhiloxBatchSampler(PhiloxSampler(21, seed=8), 8)
    mid.load_state_dict(b.state_dict(consumed_batches=1))
    it = iter(mid)
    it.load_state_dict({})  # mid-pass: the iteration goes on from the restored position
    assert [i for x in it for i in x] == s.indices_at(range(8, 21), epoch=1).tolist()
    with pytest.raises(TypeError, match="state must be a dict"):
        iter(mid).load_state_dict([])
