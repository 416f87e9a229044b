"""PhiloxSampler(keys=True) under torch's DataLoader (issue 9).

The promise: for every (epoch, index), what a dataset draws through ``key.stream(...)`` and inside
``key.seeded(...)`` is the same whatever the number of workers (0, 2, 3), persistent or not,
PhiloxSampler or PhiloxBatchSampler, across a mid-epoch checkpoint and resume (also into another
world size and worker count), and in a 2-process gloo run (test at the end). Every value seen is
compared with ``expected(seed, epoch, index)``, computed here from a SampleKey made by hand.
Small datasets: the machine running the suite may have 2 cores.
"""
import json
import os
import random

import numpy as np
import pytest

from helpers import run_ranks

import philox
from philox import PhiloxBatchSampler, PhiloxSampler, SampleKey

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, Dataset  # noqa: E402

# 3 workers on a 2-core machine: torch warns, on purpose here
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")

SEED, N, BS = 99, 13, 4
WIDTH = 7  # index, epoch, 3 stream values, random, np.random, torch


def draw(key):
    """What a dataset draws for a sample: its stream, and the global generators inside seeded."""
    a = key.stream("aug").rand(3)
    with key.seeded("aug"):
        g = [random.random(), float(np.random.rand()), float(torch.rand(1, dtype=torch.float64))]
    return np.array([int(key), key.epoch, *a, *g], dtype=np.float64)


def expected(epoch, index, seed=SEED):
    return draw(SampleKey(index, epoch=epoch, seed=seed))


class KeyDataset(Dataset):
    def __init__(self, n=N):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, key):
        assert isinstance(key, SampleKey), type(key)
        return torch.from_numpy(draw(key))


def check_rows(rows, seed=SEED):
    """Every row equals expected(epoch, index); returns the (epoch, index) pairs in order."""
    seen = []
    for r in rows:
        e, i = int(r[1]), int(r[0])
        assert np.array_equal(r, expected(e, i, seed)), (e, i)
        seen.append((e, i))
    return seen


def order(epoch, seed=SEED, n=N):
    s = PhiloxSampler(n, seed=seed)
    s.set_epoch(epoch)
    return list(s)


def loader(sampler, workers, persistent, batch=False):
    kw = dict(num_workers=workers, persistent_workers=persistent)
    if workers:
        kw["multiprocessing_context"] = "fork" if "fork" in torch.multiprocessing.get_all_start_methods() else None
    if batch:
        return DataLoader(KeyDataset(sampler._n), batch_sampler=PhiloxBatchSampler(sampler, BS), **kw)
    return DataLoader(KeyDataset(sampler._n), sampler=sampler, batch_size=BS, **kw)


# ------------------------------------------------------------------ the sampler side
def test_keys_yield_sample_keys_in_the_same_order():
    plain = PhiloxSampler(N, seed=SEED)
    ks = PhiloxSampler(N, seed=SEED, keys=True, stream=("s", 2))
    assert ks.keys and not plain.keys and "keys=True" in repr(ks)
    for e in range(2):
        got = list(ks)
        assert got == list(PhiloxSampler(N, seed=SEED, stream=("s", 2)).indices_at(range(N), epoch=e))
        assert all(type(k) is SampleKey and k.epoch == e and k.seed == SEED and k.sampler_stream == ("s", 2)
                   for k in got)
    bs = PhiloxBatchSampler(PhiloxSampler(N, seed=SEED, keys=True), BS)
    batches = list(bs)
    assert [int(k) for b in batches for k in b] == order(0) and all(isinstance(k, SampleKey) for b in batches
                                                                       for k in b)


def test_key_streams_match_sample_stream_and_key():
    s = PhiloxSampler(N, seed=SEED, keys=True)
    k = next(iter(s))
    assert np.array_equal(s.sample_stream(k).rand(4), k.stream().rand(4))
    assert np.array_equal(s.sample_stream(k, epoch=0).rand(4), k.stream().rand(4))
    assert np.array_equal(s.key(int(k), 0).stream("a").rand(4), k.stream("a").rand(4))
    assert s.check_key(k) is k
    assert np.array_equal(philox.sample_stream(SEED, 0, int(k), "a").rand(4), k.stream("a").rand(4))


def test_bad_keys_and_epochs_move_nothing():
    s = PhiloxSampler(N, seed=SEED, keys=True)
    it = iter(s)
    next(it), next(it)
    before = s.state_dict()
    foreign = PhiloxSampler(N, seed=SEED + 1, keys=True).key(3)
    with pytest.raises(ValueError, match="another sampler"):
        s.sample_stream(foreign)
    with pytest.raises(ValueError, match="another sampler"):
        s.check_key(SampleKey(3, epoch=0, seed=SEED, stream="other"))
    with pytest.raises(ValueError, match="not an index"):
        s.check_key(SampleKey(N, epoch=0, seed=SEED))
    with pytest.raises(TypeError, match="SampleKey"):
        s.check_key(3)
    with pytest.raises(ValueError, match="contradicts"):
        s.sample_stream(s.key(3, 0), epoch=1)
    with pytest.raises(ValueError, match="epoch"):
        s.sample_stream(3, epoch=-1)
    with pytest.raises(ValueError, match="epoch"):
        s.key(3, -1)
    with pytest.raises(ValueError, match="index"):
        s.key(N)
    with pytest.raises(ValueError, match="epoch"):
        s.set_epoch(-1)
    for bad in (1, "yes", None, np.int64(1)):
        with pytest.raises(TypeError, match="keys"):
            PhiloxSampler(N, keys=bad)
    assert s.state_dict() == before and next(it) == order(0)[2]


@pytest.mark.parametrize("workers", [0, 1])
def test_sample_stream_default_epoch_is_the_loading_pass(workers):
    """num_workers=0: the last partial batch is fetched after the sampler's iterator is exhausted
    (which moves the sampler to the next epoch); its streams still belong to its epoch. With
    (non-persistent) workers, the dataset's copy of the sampler is the one made at worker start."""
    s = PhiloxSampler(N, seed=SEED)

    class DS(Dataset):
        def __len__(self):
            return N

        def __getitem__(self, i):
            return torch.from_numpy(s.sample_stream(i).rand(2))

    for e in range(2):
        got = torch.cat(list(DataLoader(DS(), sampler=s, batch_size=BS, num_workers=workers)))
        got = got.numpy().reshape(-1, 2)
        want = np.stack([philox.sample_stream(SEED, e, i).rand(2) for i in order(e)])
        assert np.array_equal(got, want), e
    assert s.epoch == 2


class RegisteredDataset(Dataset):
    """The old recipe: a registered stream per sample, inside the workers."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            philox.stream("aug").rand()
        return torch.tensor([sum("inside a DataLoader worker" in str(x.message) for x in w)])


def test_registered_stream_in_a_worker_warns_once_per_worker():
    got = torch.cat(list(DataLoader(RegisteredDataset(), batch_size=1, num_workers=1))).flatten().tolist()
    assert got == [1, 0, 0, 0]


# ------------------------------------------------------------------ invariance under DataLoader
CONFIGS = [(0, False), (2, False), (2, True), (3, False), (3, True)]


@pytest.mark.parametrize("batch", [False, True], ids=["sampler", "batch_sampler"])
@pytest.mark.parametrize("workers,persistent", CONFIGS)
def test_values_do_not_depend_on_workers(workers, persistent, batch):
    s = PhiloxSampler(N, seed=SEED, keys=True)
    dl = loader(s, workers, persistent, batch)
    for e in range(2):
        if batch:
            dl.batch_sampler.set_epoch(e)
        else:
            s.set_epoch(e)
        rows = torch.cat(list(dl)).numpy()
        assert check_rows(rows) == [(e, i) for i in order(e)]


def _run_steps(samplers, workers, epoch, steps=None, state=None, batch=False):
    """Iterate each rank's loader in lockstep for ``steps`` batches (all if None); rows and the
    state (of rank 0, consumed = steps * BS) after them."""
    rows = []
    loaders = []
    for s in samplers:
        if state is not None:
            s.load_state_dict(state)
        s.set_epoch(epoch)
        dl = loader(s, workers, False, batch)
        loaders.append(iter(dl))
        if batch and steps is not None and s is samplers[0]:
            bs0 = dl.batch_sampler
    k = 0
    while steps is None or k < steps:
        got = [next(it, None) for it in loaders]
        if all(g is None for g in got):
            break
        rows += [g for g in got if g is not None]
        k += 1
    st = None
    if steps is not None:
        st = bs0.state_dict(consumed_batches=k) if batch else samplers[0].state_dict(consumed=k * BS)
    del loaders
    return torch.cat(rows).numpy(), st


@pytest.mark.parametrize("w0,workers0,w1,workers1", [(1, 2, 2, 3), (2, 0, 1, 2)])
def test_resume_mid_epoch_into_another_world_and_worker_count(w0, workers0, w1, workers1):
    n = 29
    # epoch 1 interrupted after 2 steps on w0 ranks, resumed on w1 ranks with another worker count
    a = [PhiloxSampler(n, seed=SEED, keys=True, num_replicas=w0, rank=r) for r in range(w0)]
    head, state = _run_steps(a, workers0, epoch=1, steps=2)
    b = [PhiloxSampler(n, seed=SEED, keys=True, num_replicas=w1, rank=r, drop_last=True) for r in range(w1)]
    tail, _ = _run_steps(b, workers1, epoch=1, state=state)
    seen = check_rows(head) + check_rows(tail)
    assert all(e == 1 for e, _ in seen)
    full = order(1, n=n)
    # every sample of the epoch once (drop_last drops the resumed pass's tail that does not fill every rank)
    done = 2 * BS * w0
    kept = (n - done) - (n - done) % w1
    assert sorted(i for _, i in seen) == sorted(full[:done + kept])


@pytest.mark.parametrize("batch", [False, True], ids=["sampler", "batch_sampler"])
def test_uninterrupted_equals_resumed_values(batch):
    """Checkpoint after 2 steps of epoch 0 (2 workers), resume in a fresh sampler (0 workers): the
    values of every (epoch, index) equal those of one uninterrupted run."""
    s = PhiloxSampler(N, seed=SEED, keys=True)
    whole = [check_rows(torch.cat(list(loader(s, 0, False, batch))).numpy())]
    a = PhiloxSampler(N, seed=SEED, keys=True)
    head, state = _run_steps([a], 2, epoch=0, steps=2, batch=batch)
    b = PhiloxSampler(N, seed=SEED, keys=True)
    tail, _ = _run_steps([b], 0, epoch=0, state=state, batch=batch)
    assert check_rows(head) + check_rows(tail) == whole[0]


# ------------------------------------------------------------------ 2 processes, gloo
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist_keys_worker.py")


def test_two_process_gloo(tmp_path):
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed is not available")
    run_ranks(WORKER, 2, tmp_path / "init", tmp_path, timeout=240)
    rows = [np.array(json.loads((tmp_path / f"rows_{r}.json").read_text())) for r in range(2)]
    for e in range(2):
        seen = [check_rows(r[r[:, 1] == e]) for r in rows]
        full = order(e)
        for rank in range(2):  # rank r takes positions r, r + 2, ... (the last one padded)
            want = [full[g % N] for g in range(rank, N + 1, 2)]
            assert [i for _, i in seen[rank]] == want
