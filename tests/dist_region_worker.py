"""One rank of tests/test_distributed_regions.py (run as a script, not collected by pytest).

    python dist_region_worker.py RANK WORLD INIT_FILE OUT_DIR

Over a 1-D mesh of all ranks (and a 2x2 mesh when WORLD is 4): DTensors of several global
shapes (uneven ones included) and placements are filled by ``Stream`` draws with a DTensor
``out=`` and by ``philox.distributed``; each ``full_tensor()`` must equal the same draw into a
plain tensor, and every rank's position must move by the global tensor's words. Writes
OUT_DIR/rank_RANK.json with the number of checks made.
"""
import json
import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard

import philox
import philox.distributed as pd


def bits(t):
    t = t.contiguous()
    return t.view({1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


def check(dt, want, what):
    got = dt.full_tensor()
    assert got.shape == want.shape and got.dtype == want.dtype, (what, got.shape, want.shape)
    assert torch.equal(bits(got), bits(want)), what


def main():
    rank, world, init_file, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=60))
    meshes = [("1d", init_device_mesh("cpu", (world,)))]
    if world == 4:
        meshes.append(("2x2", init_device_mesh("cpu", (2, 2))))
    checks = 0
    # the third draw of each case rotates through these (dtype per draw; keeps the run short)
    thirds = [
        lambda s, shape, **kw: (pd.rand(s, *shape, dtype=torch.float64, **kw) if kw
                                else s.rand(*shape, dtype=torch.float64)),
        lambda s, shape, **kw: (pd.normal(s, 1.0, 2.0, shape, dtype=torch.bfloat16, **kw) if kw
                                else s.normal(1.0, 2.0, shape, dtype=torch.bfloat16)),
        lambda s, shape, **kw: (pd.random_raw(s, shape, dtype=torch.int64, **kw) if kw
                                else s.random_raw(shape, dtype=torch.int64)),
        lambda s, shape, **kw: (pd.exponential(s, 0.5, shape, **kw) if kw
                                else s.exponential(0.5, shape, dtype=torch.float32)),
    ]
    for mname, mesh in meshes:
        if mesh.ndim == 1:
            shapes = [(7, 5), (3, 10), (2, 3, 5)]
            placements = [[Shard(0)], [Shard(1)], [Replicate()]]
        else:
            shapes = [(7, 5), (3, 10)]
            placements = [[Shard(0), Shard(0)], [Shard(0), Shard(1)], [Shard(1), Replicate()],
                          [Replicate(), Shard(0)], [Replicate(), Replicate()]]
        for shape in shapes:
            for pl in placements:
                what = f"{mname} {shape} {pl}"
                a = philox.Stream(5, "w", mname, position=3)
                b = philox.Stream(5, "w", mname, position=3)
                # a Stream draw into an existing DTensor
                dt = torch.distributed.tensor.empty(*shape, dtype=torch.float32, device_mesh=mesh, placements=pl)
                assert a.randn(out=dt) is dt
                check(dt, b.randn(*shape, dtype=torch.float32), what + " randn out=")
                # philox.distributed draws
                check(pd.randint(a, -3, 1000, shape, device_mesh=mesh, placements=pl),
                      b.randint(-3, 1000, shape, dtype=torch.int64), what + " randint")
                third = thirds[checks % len(thirds)]
                check(third(a, shape, device_mesh=mesh, placements=pl), third(b, shape), what + " third")
                assert a.position == b.position, what
                checks += 1
    # a bad call on a DTensor: nothing moves on any rank
    s = philox.Stream(5, "bad")
    dt = torch.distributed.tensor.empty(4, 4, device_mesh=meshes[0][1], placements=[Shard(0)])
    try:
        s.uniform(2.0, 1.0, out=dt)
        raise AssertionError("no error")
    except ValueError:
        pass
    try:
        s.rand(4, 4, out=dt, region=(slice(0, 1), slice(None)))
        raise AssertionError("no error")
    except TypeError:
        pass
    try:  # size= must be the global shape
        s.randn(3, 4, out=dt)
        raise AssertionError("no error")
    except ValueError as e:
        assert "global shape" in str(e), e
    for call, exc in ((lambda: pd.randn(s, 4, device_mesh=meshes[0][1], placements=[]), ValueError),
                      (lambda: pd.randn(s, 4, device_mesh="cpu", placements=[Shard(0)]), TypeError),
                      (lambda: pd.randn(s.state_dict(), 4, device_mesh=meshes[0][1], placements=[Shard(0)]),
                       TypeError),
                      (lambda: pd.randint(s, 5, 1, (4,), device_mesh=meshes[0][1], placements=[Shard(0)]),
                       ValueError)):
        try:
            call()
            raise AssertionError("no error")
        except exc:
            pass
    partial = DTensor.from_local(torch.zeros(4, 4), meshes[0][1], [Partial()])
    try:  # a pending sum is not a block of the global tensor
        s.randn(out=partial)
        raise AssertionError("no error")
    except ValueError as e:
        assert "placements" in str(e), e
    assert s.position == 0
    dist.barrier()
    with open(os.path.join(out_dir, f"rank_{rank}.json"), "w") as f:
        json.dump({"checks": checks}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # Done and saved: leave without the interpreter's teardown, where gloo's threads can abort the
    # process under load ("terminate called without an active exception"; pytorch/pytorch#190489).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
