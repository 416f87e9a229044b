"""philox.nn on DTensor parameters in real gloo runs (2 and 4 processes spawned here).

The full tensors of every parameter equal those of the same model initialized as plain
tensors: FSDP2 ``fully_shard`` of a model built on ``meta``, and ``distribute_tensor`` with
Shard(0) / Shard(1) / Replicate placements (a 2x2 mesh on 4 ranks, uneven shards included).
"""
import os
import sys

import pytest

from helpers import run_ranks

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():
    pytest.skip("torch.distributed is not available", allow_module_level=True)

import philox  # noqa: E402
import philox.nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_models import make_model, state  # noqa: E402

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist_nn_worker.py")


def _run(world, modes, tmp_path):
    run_ranks(WORKER, world, tmp_path / f"init_{world}", tmp_path, ",".join(modes))
    return {m: torch.load(tmp_path / f"{m}.pt") for m in modes}


def _plain():
    return state(philox.nn.reset_parameters(make_model(), seed=11))


def _assert_same(got, want):
    for n, t in want.items():
        assert torch.equal(got[n], t), n


def _fsdp_runs_on_cpu():
    try:
        from torch.distributed.fsdp import fully_shard  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("world", [2, 4])
def test_sharded_parameters_get_the_plain_values(world, tmp_path):
    """One gloo run per world size: distribute_tensor placements, then FSDP2 (when torch has it)."""
    modes = ["dtensor"] + (["fsdp"] if _fsdp_runs_on_cpu() else [])
    res = _run(world, modes, tmp_path)
    want = _plain()
    for m in modes:
        _assert_same(res[m], want)
    got = res["dtensor"]
    for name, f, kw in (("u", philox.nn.init.uniform_, dict(a=-1, b=2)),
                        ("n", philox.nn.init.normal_, dict(mean=1, std=3)),
                        ("t", philox.nn.init.trunc_normal_, dict(std=0.5)),
                        ("k", philox.nn.init.kaiming_normal_, {})):
        s = philox.Stream(5, "dt", name)
        want_t = f(torch.zeros(13, 6), stream=s, **kw).to(torch.float64)
        assert torch.equal(got["init." + name], want_t), name
        assert int(got["init." + name + ".pos"]) == s.position
