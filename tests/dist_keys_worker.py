"""One rank of test_sample_key_loader.py's gloo test (run as a script, not collected by pytest).

    python dist_keys_worker.py RANK WORLD INIT_FILE OUT_DIR

Two epochs of PhiloxSampler(13, seed=99, keys=True) (world size and rank from torch.distributed)
through a DataLoader with one worker; the dataset draws through key.stream and inside key.seeded
(test_sample_key_loader.draw). Writes OUT_DIR/rows_RANK.json.
"""
import json
import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import philox  # noqa: E402
from test_sample_key_loader import BS, N, SEED, KeyDataset  # noqa: E402


def main():
    rank, world, init_file, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=120))
    s = philox.PhiloxSampler(N, seed=SEED, keys=True)
    assert (s.num_replicas, s.rank) == (world, rank)
    dl = DataLoader(KeyDataset(), sampler=s, batch_size=BS, num_workers=1, persistent_workers=True)
    rows = []
    for e in range(2):
        s.set_epoch(e)
        rows += torch.cat(list(dl)).tolist()
    dist.barrier()
    with open(os.path.join(out_dir, f"rows_{rank}.json"), "w") as f:
        json.dump(rows, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # Done and saved: leave without the interpreter's teardown, where gloo's threads can abort the
    # process under load ("terminate called without an active exception"; pytorch/pytorch#190489).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
