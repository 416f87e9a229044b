"""One rank of tests/test_sampler_distributed.py (run as a script, not collected by pytest).

    python dist_sampler_worker.py RANK WORLD INIT_FILE OUT_DIR PHASE

PHASE "a": a full epoch 0, then 5 indices of epoch 1 and the state dict (consumed = 5).
PHASE "b": a full epoch 0, then resume epoch 1 from OUT_DIR/state.json to its end.
num_replicas/rank come from torch.distributed (gloo), as in real use.
"""
import json
import os
import sys
from datetime import timedelta

import torch.distributed as dist

import philox


def main():
    rank, world, init_file, out_dir, phase = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=60))
    n = 103
    s = philox.PhiloxSampler(n, seed=77)
    assert (s.num_replicas, s.rank) == (world, rank)
    res = {"epoch0": list(s), "epoch0_padded": None}
    res["epoch0_padded"] = philox.PhiloxSampler(n, seed=77).local_padded
    assert s.epoch == 1
    if phase == "a":
        it = iter(s)
        res["epoch1_head"] = [next(it) for _ in range(5)]
        if rank == 0:
            with open(os.path.join(out_dir, "state.json"), "w") as f:
                json.dump(s.state_dict(consumed=5), f)
    else:
        with open(os.path.join(out_dir, "state.json")) as f:
            s.load_state_dict(json.load(f))
        s.set_epoch(1)  # the same epoch: keeps the restored position
        res["epoch1_pad"] = s.local_padded
        res["epoch1_rest"] = list(s)
    dist.barrier()
    with open(os.path.join(out_dir, f"{phase}_{rank}.json"), "w") as f:
        json.dump(res, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # Done and saved: leave without the interpreter's teardown, where gloo's threads can abort the
    # process under load ("terminate called without an active exception"; pytorch/pytorch#190489).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
