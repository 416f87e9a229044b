"""seed_everything and worker_init_fn: what they seed, with which numbers, and their errors."""
import os
import random

import numpy as np
import pytest

import philox
from philox._seeding import DerivedSeeds, derived_seeds

try:
    import torch
except ImportError:  # numpy-only installs: the torch parts are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


@pytest.fixture(autouse=True)
def restore_globals(keep_globals):
    """Every test here changes the global generators: put them back afterwards (conftest)."""
    yield


def _draws():
    t = torch.rand(3).tolist() if torch is not None else None
    return random.random(), np.random.rand(3).tolist(), t, philox.stream("x").rand(2).tolist()


# ---------------------------------------------------------------- the numbers (docs/FORMAT.md)
def test_derived_seeds_frozen():
    """The format fixes these numbers: a change would change every seeded program's values."""
    assert derived_seeds(888, "seed_everything") == DerivedSeeds(
        224090323345385641509177079343330265940, (2522586114, 615208547, 544079649, 2444311010),
        4085828521847727745)
    assert derived_seeds(888, "isolate", "a") == DerivedSeeds(
        245866579169487608513934913893163874978, (3986834542, 921348521, 3042577486, 1588466832),
        9105619165320945274)


@pytest.mark.parametrize("prefix", [("seed_everything",), ("isolate", "a", 3), ("worker_init_fn", 0)])
def test_derived_seeds_from_named_streams(prefix):
    """Library L reads Stream(seed, prefix[0], L, *prefix[1:]): 4 words (random, little-endian),
    4 words (numpy), 2 words (torch, uint64 rule)."""
    seed = 2**64 - 5
    d = derived_seeds(seed, *prefix)

    def words(lib, n):
        return [int(w) for w in philox.Stream(seed, prefix[0], lib, *prefix[1:]).random_raw(n)]

    assert d.random == sum(w << (32 * i) for i, w in enumerate(words("random", 4)))
    assert d.numpy == tuple(words("numpy", 4))
    assert d.torch == int(philox.Stream(seed, prefix[0], "torch", *prefix[1:]).random_raw(1, dtype=np.uint64)[0])
    assert len({d.random, d.numpy[0], d.torch}) == 3  # different numbers, not the seed itself
    assert seed not in (d.random, d.torch)


# ---------------------------------------------------------------- seed_everything
def test_seed_everything_seeds_each_library_with_its_own_number():
    assert philox.seed_everything(888) == 888
    d = derived_seeds(888, "seed_everything")
    got = _draws()
    random.seed(d.random)
    np.random.seed(np.array(d.numpy, dtype=np.uint32))
    if torch is not None:
        torch.manual_seed(d.torch)
    philox.manual_seed(888)
    assert got == _draws()
    assert philox.initial_seed() == 888


def test_seed_everything_reproduces_and_seeds_differ():
    philox.seed_everything(5)
    a = _draws()
    philox.seed_everything(5)
    assert _draws() == a
    philox.seed_everything(6)
    b = _draws()
    assert all(x != y for x, y in zip(a, b) if x is not None)


def test_seed_everything_philox_streams_as_manual_seed():
    philox.stream("x").rand(5)
    philox.seed_everything(42)
    a = philox.stream("x").rand(4)
    philox.manual_seed(42)
    assert np.array_equal(philox.stream("x").rand(4), a)


def test_seed_everything_order_swapped_streams_equal():
    def project(order):
        philox.seed_everything(7)
        return {name: philox.stream(name).randn(3) for name in order}
    a, b = project(["init", "drop", "aug"]), project(["aug", "init", "drop"])
    assert all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("seed,norm", [(-1, 2**64 - 1), (-2**63, 2**63), (2**64 - 1, 2**64 - 1), (np.int64(-3), 2**64 - 3),
                                       (np.uint64(9), 9)])
def test_seed_everything_returns_normalized_seed(seed, norm):
    assert philox.seed_everything(seed) == norm
    assert philox.initial_seed() == norm
    a = _draws()
    philox.seed_everything(norm)
    assert _draws() == a


def test_seed_everything_none_draws_a_replayable_seed():
    s = philox.seed_everything(None)
    assert isinstance(s, int) and 0 <= s < 2**64
    a = _draws()
    philox.seed_everything(s)
    assert _draws() == a


@pytest.mark.parametrize("bad,exc", [("1", TypeError), (1.0, TypeError), (True, TypeError), ([1], TypeError),
                                     (2**64, ValueError), (-2**63 - 1, ValueError)])
def test_seed_everything_bad_seed_changes_nothing(bad, exc):
    philox.manual_seed(3)
    philox.stream("x").rand(3)
    before = (random.getstate(), np.random.get_state()[1].copy(), philox.default_generator.state_dict(),
              torch.get_rng_state() if torch is not None else None)
    with pytest.raises(exc, match="seed"):
        philox.seed_everything(bad)
    assert random.getstate() == before[0]
    assert np.array_equal(np.random.get_state()[1], before[1])
    assert philox.default_generator.state_dict() == before[2]
    if torch is not None:
        assert torch.equal(torch.get_rng_state(), before[3])


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_seed_everything_bad_deterministic(bad):
    philox.manual_seed(3)
    with pytest.raises(TypeError, match="deterministic"):
        philox.seed_everything(5, deterministic=bad)
    assert philox.initial_seed() == 3


@needs_torch
def test_seed_everything_deterministic_sets_torch_flags(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    torch.backends.cudnn.benchmark = True
    philox.seed_everything(1, deterministic=True)
    assert torch.backends.cudnn.deterministic is True
    assert torch.backends.cudnn.benchmark is False
    assert torch.are_deterministic_algorithms_enabled()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


def test_seed_everything_keeps_a_set_cublas_config(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    philox.seed_everything(1, deterministic=True)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


@needs_torch
def test_seed_everything_default_leaves_flags(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    torch.backends.cudnn.benchmark = True
    philox.seed_everything(1)
    assert torch.backends.cudnn.benchmark is True
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ


def test_seed_everything_inside_isolate_refused():
    philox.manual_seed(1)
    with philox.isolate("x"):
        with pytest.raises(RuntimeError, match="isolate"):
            philox.seed_everything(2)
    assert philox.initial_seed() == 1


@pytest.mark.cuda
def test_seed_everything_seeds_cuda():
    if torch is None or not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    philox.seed_everything(888)
    d = derived_seeds(888, "seed_everything")
    for i in range(torch.cuda.device_count()):
        with torch.cuda.device(i):
            assert torch.cuda.initial_seed() == d.torch


# ---------------------------------------------------------------- worker_init_fn
def test_worker_init_fn_outside_a_worker():
    philox.manual_seed(11)
    philox.worker_init_fn(3)
    got = _draws()[:3]
    d = derived_seeds(11, "worker_init_fn", 3)
    random.seed(d.random)
    np.random.seed(np.array(d.numpy, dtype=np.uint32))
    if torch is not None:
        torch.manual_seed(d.torch)
    assert got == _draws()[:3]
    philox.worker_init_fn(4)
    assert _draws()[:3] != got


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), (2**64, ValueError), (1.5, TypeError), ("0", TypeError),
                                     (True, TypeError)])
def test_worker_init_fn_bad_id(bad, exc):
    before = random.getstate()
    with pytest.raises(exc, match="worker_id"):
        philox.worker_init_fn(bad)
    assert random.getstate() == before


class _LegacyDataset:
    """A dataset whose items come from the global generators (as legacy code does)."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        from torch.utils.data import get_worker_info
        values = torch.tensor([float(i), random.random(), float(np.random.rand()), float(torch.rand(1))],
                              dtype=torch.float64)
        return values, get_worker_info().seed


def _epochs(seed, n_epochs=2):
    from torch.utils.data import DataLoader
    philox.seed_everything(seed)
    dl = DataLoader(_LegacyDataset(), batch_size=1, num_workers=2, worker_init_fn=philox.worker_init_fn,
                    multiprocessing_context="fork")
    return [[(tuple(v.tolist()[0]), int(ws)) for v, ws in dl] for _ in range(n_epochs)]


@needs_torch
def test_worker_init_fn_in_dataloader_reproducible_and_per_epoch():
    a = _epochs(5)
    assert _epochs(5) == a  # reproducible once seed_everything seeded torch
    assert a[0] != a[1]  # a new base seed each epoch: no replayed augmentations
    values = [v for epoch in a for item, _ in epoch for v in item[1:]]
    assert len(set(values)) == len(values)  # workers and libraries all differ
    for epoch in a:
        for (i, r, n, t), ws in epoch[:2]:  # items 0 and 1: the first item of workers 0 and 1
            d = derived_seeds(ws % 2**64, "worker_init_fn")
            assert r == random.Random(d.random).random()
            assert n == np.random.RandomState(np.array(d.numpy, dtype=np.uint32)).rand()
            assert t == float(torch.rand(1, generator=torch.Generator().manual_seed(d.torch)))
