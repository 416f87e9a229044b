"""A real torch.distributed run (gloo, processes spawned here): 2 ranks, then 3 ranks resuming mid-epoch.

Ranks are disjoint and together cover the epoch; the run stopped after 5 steps on 2 ranks and
resumed on 3 sees every remaining sample exactly once (padding aside), in the same global order.
"""
import json
import os

import pytest

from helpers import run_ranks

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():
    pytest.skip("torch.distributed is not available", allow_module_level=True)

import philox  # noqa: E402

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist_sampler_worker.py")


def _run(world, phase, tmp_path):
    run_ranks(WORKER, world, tmp_path / f"init_{phase}", tmp_path, phase, timeout=180)
    return [json.loads((tmp_path / f"{phase}_{r}.json").read_text()) for r in range(world)]


def test_two_ranks_then_three_resume(tmp_path):
    n = 103
    order0 = list(philox.PhiloxSampler(n, seed=77))
    s1 = philox.PhiloxSampler(n, seed=77)
    s1.set_epoch(1)
    order1 = list(s1)
    a = _run(2, "a", tmp_path)
    b = _run(3, "b", tmp_path)
    for res, W in ((a, 2), (b, 3)):
        real = [r["epoch0"][:len(r["epoch0"]) - r["epoch0_padded"]] for r in res]
        flat = [v for part in real for v in part]
        assert sorted(flat) == list(range(n)) and len(flat) == n  # disjoint, union = the epoch
        for rank, r in enumerate(res):
            assert r["epoch0"][:len(real[rank])] == order0[rank::W]
    seen = [v for r in a for v in r["epoch1_head"]]
    assert sorted(seen) == sorted(order1[:10])
    rest = [v for r in b for v in r["epoch1_rest"][:len(r["epoch1_rest"]) - r["epoch1_pad"]]]
    assert sorted(seen + rest) == list(range(n)) and len(seen) + len(rest) == n
    for rank, r in enumerate(b):
        assert r["epoch1_rest"][:len(r["epoch1_rest"]) - r["epoch1_pad"]] == order1[10 + rank::3]
