"""Keyed dropout vs torch.nn.Dropout: forward+backward time (medians, round robin in one run) and memory.

    python benchmarks/bench_dropout.py [--n 4194304] [--p 0.1] [--repeats 9] [--device cpu|cuda]
                                      [--dtype float32|bfloat16|float16|float64]

Memory: the bytes autograd saves for the backward pass (saved_tensors_hooks) of an MLP with two
dropouts, and its peak memory for one forward+backward (CUDA: max_memory_allocated; CPU: the
peak RSS growth of a fresh child process per variant).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import torch

import philox.nn as pnn


def mlp(kind: str, width: int, p: float, device) -> torch.nn.Module:
    drop = (lambda: torch.nn.Dropout(p)) if kind == "torch" else (lambda: pnn.Dropout(p))
    m = torch.nn.Sequential(torch.nn.Linear(width, width), drop(), torch.nn.Linear(width, width), drop(),
                            torch.nn.Linear(width, 1)).to(device)
    pnn.name_modules(m)
    return m


def saved_bytes(m, x) -> int:
    total = [0]

    def pack(t):
        total[0] += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = m(x)
    y.sum().backward()
    return total[0]


def _rss(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith(field))


def child_peak(kind: str, batch: int, width: int, p: float) -> None:
    """Peak RSS growth of one forward+backward (Linux: VmHWM after resetting it via clear_refs)."""
    m = mlp(kind, width, p, "cpu")
    x = torch.randn(batch, width)
    pnn.set_step(0)
    m(x).sum().backward()  # warm-up: allocator caches, grads allocated
    m.zero_grad(set_to_none=False)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _rss("VmRSS:")
    m(x).sum().backward()
    print(_rss("VmHWM:") - base)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=float, default=4 * 2**20)
    ap.add_argument("--p", type=float, default=0.1)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16", "float64"])
    ap.add_argument("--_child", nargs=4)
    a = ap.parse_args()
    if a._child:
        child_peak(a._child[0], int(a._child[1]), int(a._child[2]), float(a._child[3]))
        return
    dev = torch.device(a.device)
    n = int(a.n)
    dt = getattr(torch, a.dtype)
    x0 = torch.randn(n, device=dev).to(dt)
    g = torch.ones(n, device=dev, dtype=dt)
    layers = {"torch.nn.Dropout": torch.nn.Dropout(a.p), "philox.nn.Dropout": pnn.Dropout(a.p, path="d")}
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    times = {k: [] for k in layers}
    pnn.set_step(0)
    for _ in range(a.repeats):
        for k, d in layers.items():
            x = x0.detach().requires_grad_(True)
            sync()
            t = time.perf_counter()
            d(x).backward(g)
            sync()
            times[k].append(time.perf_counter() - t)
    print(f"# device {dev}, {a.dtype}, torch threads {torch.get_num_threads()}, n = {n}, p = {a.p}, "
          f"{a.repeats} repeats")
    for k, ts in times.items():
        print(f"{k:20s} forward+backward median {statistics.median(ts) * 1e3:8.2f} ms  "
              f"({n * x0.element_size() / statistics.median(ts) / 1e9:.2f} GB/s of input)")
    batch, width = 2048, 1024
    if a.dtype != "float32":
        return
    for kind in ("torch", "philox"):
        m = mlp(kind, width, a.p, dev)
        x = torch.randn(batch, width, device=dev)
        sb = saved_bytes(m, x)
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            m(x).sum().backward()
            peak = torch.cuda.max_memory_allocated() - base
        else:
            peak = int(subprocess.check_output([sys.executable, __file__, "--_child", kind, str(batch), str(width),
                                                str(a.p)]).split()[-1])
        print(f"MLP {batch}x{width}, two {kind} dropouts: autograd saves {sb / 2**20:7.1f} MiB, "
              f"peak growth in forward+backward {peak / 2**20:7.1f} MiB")


if __name__ == "__main__":
    main()
