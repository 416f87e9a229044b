"""Region draws (issue 12): a block of a big tensor against the full draw, and against numpy and
torch drawing a tensor of the block's size (what a shard costs with a generator that cannot
compute a block alone: it would draw the full tensor, or give other values per layout).

    python benchmarks/bench_region.py [--n 4096] [--repeats 5] [--threads 1 2]

Prints the median ms per call of: philox full draw; philox regions (a quarter of the rows, a
quarter of the columns = many short runs, one tile of a 2x2 grid); the full draw then the slice;
numpy PCG64 and torch CPU (when installed) drawing the block's shape. float32 normals.
"""
import argparse
import time

import numpy as np

import philox


def median_ms(f, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2] * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=4096, help="the tensor is n x n (default 4096)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    n, q = a.n, a.n // 4
    s = philox.Stream(0, "bench", "region")
    try:
        import torch
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    before = philox.get_num_threads()
    print(f"float32 normals, {n} x {n} tensor, median of {a.repeats} calls, ms")
    for threads in a.threads:
        philox.set_num_threads(threads)
        rows = {
            "philox full draw": lambda: s.randn(n, n, dtype=np.float32),
            "philox region: 1/4 of the rows": lambda: s.randn(n, n, dtype=np.float32, region=(slice(q, 2 * q),
                                                                                                slice(None))),
            "philox region: 1/4 of the columns": lambda: s.randn(n, n, dtype=np.float32,
                                                                 region=(slice(None), slice(q, 2 * q))),
            "philox region: a 2x2-grid tile": lambda: s.randn(n, n, dtype=np.float32,
                                                             region=(slice(0, n // 2), slice(n // 2, n))),
            "philox full draw, then the column slice": lambda: s.randn(n, n, dtype=np.float32)[:, q:2 * q].copy(),
            "numpy PCG64 standard_normal of the block (n x n/4)": lambda: rng.standard_normal((n, q), np.float32),
        }
        if torch is not None:
            torch.set_num_threads(threads)
            rows["torch randn of the block (n x n/4)"] = lambda: torch.randn(n, q)
        print(f"-- {threads} thread(s)")
        for name, f in rows.items():
            print(f"{name:55s} {median_ms(f, a.repeats):8.1f}")
    philox.set_num_threads(before)


if __name__ == "__main__":
    main()
