"""Keyed dropout of DTensors in real gloo runs (2 and 4 processes spawned here): the global output
and input gradient equal the single-process dropout of the full tensor, for Shard on any dim
(uneven shards, two mesh dims on one tensor dim) and Replicate placements (docs/FORMAT.md 18)."""
import os
import sys

import pytest

from helpers import run_ranks

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():
    pytest.skip("torch.distributed is not available", allow_module_level=True)

import philox.nn as pnn  # noqa: E402
from philox.nn.functional import dropout  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dist_dropout_worker import cases, inputs  # noqa: E402

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist_dropout_worker.py")


@pytest.mark.parametrize("world", [2, 4])
def test_dtensor_dropout_is_the_global_tensors(world, tmp_path):
    run_ranks(WORKER, world, tmp_path / f"init_{world}", tmp_path)
    got = torch.load(tmp_path / "dropout.pt")
    pnn.set_seed(3)
    pnn.set_step(7)
    for name, shape, _ in cases(world):
        x, g = inputs(shape)
        d = pnn.Dropout(0.4, path="blocks." + name)
        for how in ("module", "functional"):
            xx = x.clone().requires_grad_(True)
            y = d(xx) if how == "module" else dropout(xx, 0.3, seed=5, id=9, offset=2)
            (y * g).sum().backward()
            assert torch.equal(got[f"{name}.{how}.y"], y.detach()), (name, how)
            assert torch.equal(got[f"{name}.{how}.grad"], xx.grad), (name, how)
            assert (y == 0).any() and (y != 0).any()
