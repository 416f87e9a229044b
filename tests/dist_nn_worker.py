"""One rank of tests/test_nn_distributed.py (run as a script, not collected by pytest).

    python dist_nn_worker.py RANK WORLD INIT_FILE OUT_DIR MODE[,MODE]

MODE "fsdp": the model built on ``meta``, sharded with FSDP2 ``fully_shard`` per block,
materialized with ``to_empty`` and initialized by ``philox.nn.reset_parameters``.
MODE "dtensor": every parameter of a plain model replaced by a DTensor (``distribute_tensor``)
with a placement per parameter (Shard(0), Shard(1), Replicate; a 2-D mesh when WORLD is 4),
then ``reset_parameters``; also ``philox.nn.init`` draws into DTensors.
Rank 0 saves the full tensors to OUT_DIR/MODE.pt (modes run one after the other in one process group).
"""
import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Replicate, Shard, distribute_tensor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import philox  # noqa: E402
import philox.nn  # noqa: E402
from nn_models import make_model, state  # noqa: E402


def fsdp(world):
    from torch.distributed.fsdp import fully_shard
    mesh = init_device_mesh("cpu", (world,))
    m = make_model(device="meta")
    for sub in (m.block, m.enc, m.dec):
        fully_shard(sub, mesh=mesh)
    fully_shard(m, mesh=mesh)
    m.to_empty(device="cpu")
    philox.nn.reset_parameters(m, seed=11)
    assert all(isinstance(p, DTensor) for p in m.parameters())
    return state(m)


def dtensor(world):
    mesh = init_device_mesh("cpu", (2, 2) if world == 4 else (world,))
    m = make_model()
    choices = [[Shard(0)], [Shard(1)], [Replicate()]] if mesh.ndim == 1 else \
              [[Shard(0), Shard(1)], [Shard(1), Replicate()], [Replicate(), Shard(0)], [Shard(0), Shard(0)]]
    i = 0
    for mod in m.modules():
        for n, p in list(mod.named_parameters(recurse=False)):
            pl = choices[i % len(choices)]
            i += 1
            if p.dim() < 2:
                pl = [Shard(0) if isinstance(x, Shard) else x for x in pl]
            setattr(mod, n, torch.nn.Parameter(distribute_tensor(p.detach(), mesh, pl)))
    philox.nn.reset_parameters(m, seed=11)
    res = state(m)
    # the initializers on their own, uneven shards included (13 rows over 2 or 4 ranks)
    t = distribute_tensor(torch.zeros(13, 6), mesh, [Shard(0)] * mesh.ndim)
    for name, f, kw in (("u", philox.nn.init.uniform_, dict(a=-1, b=2)),
                        ("n", philox.nn.init.normal_, dict(mean=1, std=3)),
                        ("t", philox.nn.init.trunc_normal_, dict(std=0.5)),
                        ("k", philox.nn.init.kaiming_normal_, {})):
        s = philox.Stream(5, "dt", name)
        f(t, stream=s, **kw)
        res["init." + name] = t.full_tensor().to(torch.float64).clone()
        res["init." + name + ".pos"] = torch.tensor(s.position)
    return res


def main():
    rank, world, init_file, out_dir, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=120))
    try:
        for md in mode.split(","):
            res = fsdp(world) if md == "fsdp" else dtensor(world)
            if rank == 0:
                torch.save(res, os.path.join(out_dir, f"{md}.pt"))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # Done and saved: leave without the interpreter's teardown, where gloo's threads can abort the
    # process under load ("terminate called without an active exception"; pytorch/pytorch#190489).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
