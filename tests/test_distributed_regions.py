"""DTensor outputs over gloo (CPU) in 1, 2 and 4 processes, a 2x2 mesh included.

Each rank fills only its local shard, as a region of the global tensor; ``full_tensor()`` must
equal the same draw into a plain tensor for Shard(d) (even and uneven, empty shards included)
and Replicate() placements, and every rank's position moves by the global tensor's words
(tests/dist_region_worker.py makes the checks).
"""
import json
import os

import pytest

from helpers import run_ranks

torch = pytest.importorskip("torch")
if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)
pytest.importorskip("torch.distributed.tensor")

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist_region_worker.py")


@pytest.mark.parametrize("world", [1, 2, 4])
def test_dtensor_shards_equal_the_plain_draw(world, tmp_path):
    run_ranks(WORKER, world, tmp_path / "init", tmp_path, timeout=240)
    res = [json.loads((tmp_path / f"rank_{r}.json").read_text()) for r in range(world)]
    expected = 3 * 3 + (2 * 5 if world == 4 else 0)  # (shape, placements) cases
    assert all(r["checks"] == expected for r in res)

