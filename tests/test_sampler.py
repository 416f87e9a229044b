"""PhiloxSampler / PhiloxBatchSampler: order, sharding, epochs, checkpoints, DataLoader, errors."""
import gc
import tracemalloc

import numpy as np
import pytest

import philox
import reference as R

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, Dataset  # noqa: E402

PhiloxSampler, PhiloxBatchSampler = philox.PhiloxSampler, philox.PhiloxBatchSampler


def test_is_a_torch_sampler():
    assert issubclass(PhiloxSampler, torch.utils.data.Sampler)
    assert issubclass(PhiloxBatchSampler, torch.utils.data.Sampler)


@pytest.mark.parametrize("n", [1, 5, 20, 21, 100, 1000])
def test_epoch_is_a_permutation_and_matches_reference(n):
    s = PhiloxSampler(n, seed=3)
    got = list(s)
    assert sorted(got) == list(range(n))
    assert got == [R.ref_sampler_index(3, ("sampler",), n, 0, g) for g in range(n)]
    assert s.epoch == 1  # ran to the end: next epoch
    got1 = list(s)
    assert sorted(got1) == list(range(n)) and (n < 4 or got1 != got)


def test_seed_none_is_initial_seed_and_epoch_not_seed_plus_epoch():
    assert PhiloxSampler(50).seed == philox.initial_seed()
    a = PhiloxSampler(1000, seed=1)
    b = PhiloxSampler(1000, seed=0)
    b.set_epoch(1)
    assert list(a) != list(b)  # (seed 1, epoch 0) != (seed 0, epoch 1)


def test_other_modes_match_reference():
    w = np.array([0.0, 1.0, 2.0, 3.0, 0.5, 0.0, 4.0])
    cases = [dict(shuffle=False), dict(replacement=True), dict(replacement=True, num_samples=30),
             dict(weights=w, replacement=True, num_samples=25), dict(weights=w, num_samples=5)]
    for kw in cases:
        s = PhiloxSampler(7, seed=9, stream="x", **kw)
        got = list(s)
        T = kw.get("num_samples", 7)
        exp = [R.ref_sampler_index(9, ("x",), 7, 0, g, shuffle=kw.get("shuffle", True),
                                   replacement=kw.get("replacement", False), weights=kw.get("weights"))
               for g in range(T)]
        assert got == exp, kw
    assert list(PhiloxSampler(4, seed=0, shuffle=False, num_samples=10)) == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    chained = list(PhiloxSampler(30, seed=2, num_samples=75))
    assert sorted(chained[:30]) == sorted(chained[30:60]) == list(range(30))


def test_weighted_frequencies():
    w = [1.0, 0.0, 3.0]
    got = np.bincount(list(PhiloxSampler(3, seed=1, weights=w, replacement=True, num_samples=40000)), minlength=3)
    assert got[1] == 0 and abs(got[2] / got.sum() - 0.75) < 0.02


@pytest.mark.parametrize("W", [2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sharding(W, drop_last):
    n = 23
    full = list(PhiloxSampler(n, seed=5))
    parts = [list(PhiloxSampler(n, seed=5, num_replicas=W, rank=r, drop_last=drop_last)) for r in range(W)]
    assert len({len(p) for p in parts}) == 1
    for r, p in enumerate(parts):
        assert p[:len(full[r::W])] == full[r::W][:len(p)]
    flat = [v for p in parts for v in p]
    if drop_last:
        assert len(flat) == (n // W) * W and len(set(flat)) == len(flat)
    else:
        assert set(flat) == set(range(n))
        s0 = PhiloxSampler(n, seed=5, num_replicas=W, rank=0)
        assert s0.padded == len(flat) - n
        assert sum(PhiloxSampler(n, seed=5, num_replicas=W, rank=r).local_padded for r in range(W)) == s0.padded


def test_set_epoch_and_restored_position():
    s = PhiloxSampler(40, seed=1)
    s.set_epoch(3)
    full3 = list(s)
    assert s.epoch == 4
    s.set_epoch(3)
    assert list(s) == full3
    s2 = PhiloxSampler(40, seed=1)
    s2.set_epoch(3)
    it = iter(s2)
    head = [next(it) for _ in range(15)]
    st = s2.state_dict()
    s3 = PhiloxSampler(40, seed=1)
    s3.load_state_dict(st)
    s3.set_epoch(3)  # the same epoch again keeps the restored position
    assert head + list(s3) == full3


@pytest.mark.parametrize("W1, W2", [(1, 1), (2, 3), (3, 2), (4, 1), (1, 5)])
def test_resume_with_another_world_size(W1, W2):
    n, k = 101, 7  # every rank of the first run consumed k indices
    first = [PhiloxSampler(n, seed=8, num_replicas=W1, rank=r) for r in range(W1)]
    seen = []
    for s in first:
        it = iter(s)
        seen += [next(it) for _ in range(k)]
    st = first[0].state_dict()
    assert st["position"] == W1 * k
    rest = []
    for r in range(W2):
        s = PhiloxSampler(n, seed=8, num_replicas=W2, rank=r)
        s.load_state_dict(st)
        pad = s.local_padded  # of the pass about to run (it moves on to the next epoch when done)
        got = list(s)
        rest += got[:len(got) - pad]
    assert sorted(seen + rest) == list(range(n))
    # and in the same global order
    order = list(PhiloxSampler(n, seed=8))
    assert sorted(rest, key=order.index) == order[W1 * k:]


def test_consumed_argument_and_batch_sampler():
    s = PhiloxSampler(50, seed=4)
    bs = PhiloxBatchSampler(s, 8)
    it = iter(bs)
    b = [next(it) for _ in range(3)]
    assert bs.state_dict()["position"] == 24
    assert bs.state_dict(consumed_batches=1)["position"] == 8
    assert s.state_dict(consumed=5)["position"] == 5
    with pytest.raises(ValueError, match="consumed"):
        s.state_dict(consumed=51)
    st = bs.state_dict(consumed_batches=2)
    s2 = PhiloxSampler(50, seed=4)
    s2.load_state_dict(st)
    rest = [i for batch in PhiloxBatchSampler(s2, 5) for i in batch]  # another batch size
    assert b[0] + b[1] + rest == list(PhiloxSampler(50, seed=4))
    assert len(PhiloxBatchSampler(PhiloxSampler(50), 8)) == 7
    assert len(PhiloxBatchSampler(PhiloxSampler(50), 8, drop_last=True)) == 6
    assert [len(x) for x in PhiloxBatchSampler(PhiloxSampler(50), 8, drop_last=True)] == [8] * 6


def test_sample_stream_depends_on_seed_epoch_k_only():
    s = PhiloxSampler(10, seed=6, stream=("data", 1))
    a = s.sample_stream(3).rand(4)
    assert np.array_equal(a, philox.Stream(6, "data", 1, "sample", 0, 3).rand(4))
    s.set_epoch(2)
    assert not np.array_equal(a, s.sample_stream(3).rand(4))
    assert np.array_equal(a, s.sample_stream(3, epoch=0).rand(4))
    other = PhiloxSampler(10, seed=6, stream=("data", 1), num_replicas=4, rank=3)
    assert np.array_equal(a, other.sample_stream(3, epoch=0).rand(4))


def test_huge_n_constant_memory():
    PhiloxSampler(10)  # warm the imports
    gc.collect()
    tracemalloc.start()
    try:
        s = PhiloxSampler(10 ** 12, seed=0)
        it = iter(s)
        total = 0
        for _ in range(20000):
            total += next(it)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(s) == 10 ** 12
    assert peak < 2_000_000  # nothing proportional to n (10**12 int64 would be 8 TB)
    assert s.state_dict()["position"] == 20000


class _Ds(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def test_dataloader_workers_give_the_same_batches():
    ds = _Ds(37)
    out = []
    for workers in (0, 2):
        s = PhiloxSampler(ds, seed=11)
        dl = DataLoader(ds, sampler=s, batch_size=5, num_workers=workers)
        out.append([b.tolist() for b in dl] + [b.tolist() for b in dl])  # two epochs (auto-advance)
    assert out[0] == out[1]
    assert sorted(sum(out[0][:8], [])) == list(range(37))
    bsamp = PhiloxBatchSampler(PhiloxSampler(ds, seed=11), 5)
    assert [b.tolist() for b in DataLoader(ds, batch_sampler=bsamp, num_workers=2)] == out[0][:8]


def test_dataloader_resume_with_other_workers_and_batch_size():
    ds = _Ds(61)
    s = PhiloxSampler(ds, seed=12)
    dl = DataLoader(ds, sampler=s, batch_size=4, num_workers=2, prefetch_factor=2)
    it = iter(dl)
    done = [next(it).tolist() for _ in range(3)]  # the loop finished 3 batches; the loader ran ahead
    assert s.state_dict()["position"] > 12
    st = s.state_dict(consumed=3 * 4)
    del it
    s2 = PhiloxSampler(ds, seed=12)
    s2.load_state_dict(st)
    rest = [b.tolist() for b in DataLoader(ds, sampler=s2, batch_size=7, num_workers=0)]
    flat = sum(done, []) + sum(rest, [])
    assert flat == list(PhiloxSampler(ds, seed=12))  # exactly the unseen samples, same global order


def test_world_size_env_without_process_group(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        PhiloxSampler(10)
    assert len(PhiloxSampler(10, num_replicas=2, rank=1)) == 5
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert len(PhiloxSampler(10)) == 10


@pytest.mark.parametrize("kw, exc", [
    (dict(data_source_or_len=0), ValueError),
    (dict(data_source_or_len=-3), ValueError),
    (dict(data_source_or_len=2.5), TypeError),
    (dict(data_source_or_len=True), TypeError),
    (dict(data_source_or_len=[]), ValueError),
    (dict(data_source_or_len=10, seed="a"), TypeError),
    (dict(data_source_or_len=10, stream=3.0), TypeError),
    (dict(data_source_or_len=10, shuffle=1), TypeError),
    (dict(data_source_or_len=10, num_replicas=2, rank=2), ValueError),
    (dict(data_source_or_len=10, num_replicas=2, rank=-1), ValueError),
    (dict(data_source_or_len=10, num_replicas=0, rank=0), ValueError),
    (dict(data_source_or_len=10, num_replicas=2), ValueError),
    (dict(data_source_or_len=10, num_samples=0), ValueError),
    (dict(data_source_or_len=3, weights=[1, float("nan"), 1]), ValueError),
    (dict(data_source_or_len=3, weights=[1, -1, 1]), ValueError),
    (dict(data_source_or_len=3, weights=[0, 0, 0]), ValueError),
    (dict(data_source_or_len=3, weights=[1, 1]), ValueError),
    (dict(data_source_or_len=3, weights=[[1, 1, 1]]), ValueError),
    (dict(data_source_or_len=3, weights=["a", 1, 1]), TypeError),
    (dict(data_source_or_len=3, weights=[1, 0, 1], num_samples=3), ValueError),
    (dict(data_source_or_len=3, shuffle=False, replacement=True), ValueError),
])
def test_bad_arguments(kw, exc):
    n = kw.pop("data_source_or_len")
    with pytest.raises(exc):
        PhiloxSampler(n, **kw)


def test_bad_state_dicts():
    s = PhiloxSampler(10, seed=1)
    good = s.state_dict()
    for change in (dict(seed=2), dict(n=11), dict(stream=["other"]), dict(shuffle=False), dict(replacement=True),
                   dict(num_samples=5), dict(weights_digest="00"), dict(type="Other"), dict(format=2),
                   dict(position=11), dict(position=-1), dict(epoch=-1)):
        bad = dict(good, **change)
        with pytest.raises(ValueError):
            s.load_state_dict(bad)
    with pytest.raises(TypeError):
        s.load_state_dict([1])
    with pytest.raises(TypeError):
        s.load_state_dict(dict(good, position=1.5))
    with pytest.raises(ValueError, match="missing"):
        s.load_state_dict({"format": 1})
    other = PhiloxSampler(10, seed=1, weights=[1.0] * 10)
    with pytest.raises(ValueError, match="weights_digest"):
        other.load_state_dict(good)
    assert s.state_dict() == good  # nothing changed
    with pytest.raises(TypeError):
        PhiloxBatchSampler(list(range(3)), 2)
    with pytest.raises(ValueError):
        PhiloxBatchSampler(s, 0)
    with pytest.raises(ValueError):
        s.set_epoch(-1)
