"""One rank of tests/test_dropout_distributed.py (run as a script, not collected by pytest).

    python dist_dropout_worker.py RANK WORLD INIT_FILE OUT_DIR

Keyed dropout of DTensors (tensor / sequence parallel shards): for each case, a global tensor is
distributed with the case's placements (Shard on any dim, uneven shards, Replicate; a 2x2 mesh at
4 ranks), dropped out by ``philox.nn.Dropout`` and by ``philox.nn.functional.dropout``, then
backpropagated with a distributed gradient. Rank 0 saves the full outputs and input gradients to
OUT_DIR/dropout.pt; the test compares them with the single-process dropout of the full tensors.
"""
import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard, distribute_tensor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import philox.nn as pnn  # noqa: E402
from philox.nn.functional import dropout  # noqa: E402


def cases(world):
    """(name, global shape, placements per mesh dim); the same names at every world size."""
    if world == 4:
        return [("rows", (9, 6), [Shard(0), Shard(1)]), ("cols", (5, 11), [Shard(1), Replicate()]),
                ("seq", (3, 7, 4), [Replicate(), Shard(1)]), ("twice", (13, 3), [Shard(0), Shard(0)]),
                ("repl", (4, 5), [Replicate(), Replicate()]), ("last", (2, 3, 9), [Shard(2), Shard(0)])]
    return [("rows", (9, 6), [Shard(0)]), ("cols", (5, 11), [Shard(1)]), ("seq", (3, 7, 4), [Shard(1)]),
            ("twice", (13, 3), [Shard(0)]), ("repl", (4, 5), [Replicate()]), ("last", (2, 3, 9), [Shard(2)])]


def inputs(shape):
    n = 1
    for s in shape:
        n *= s
    x = torch.arange(1, n + 1, dtype=torch.float32).reshape(shape) / 7
    g = torch.arange(n, dtype=torch.float32).reshape(shape).flip(0) + 0.5
    return x, g


def main():
    rank, world, init_file, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=120))
    try:
        mesh = init_device_mesh("cpu", (2, 2) if world == 4 else (world,))
        res = {}
        pnn.set_seed(3)
        pnn.set_step(7)
        for name, shape, pl in cases(world):
            x, g = inputs(shape)
            d = pnn.Dropout(0.4, path="blocks." + name)
            for how in ("module", "functional"):
                xd = distribute_tensor(x, mesh, pl).requires_grad_(True)
                gd = distribute_tensor(g, mesh, pl)
                y = d(xd) if how == "module" else dropout(xd, 0.3, seed=5, id=9, offset=2)
                (y * gd).sum().backward()
                res[f"{name}.{how}.y"] = y.full_tensor().detach().clone()
                res[f"{name}.{how}.grad"] = xd.grad.full_tensor().clone()
        if rank == 0:
            torch.save(res, os.path.join(out_dir, "dropout.pt"))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # Done and saved: leave without the interpreter's teardown, where gloo's threads can abort the
    # process under load ("terminate called without an active exception"; pytorch/pytorch#190489).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
