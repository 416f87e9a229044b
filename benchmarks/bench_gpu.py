"""GPU throughput of philox against torch's own generators, on the card it runs on.

    python benchmarks/bench_gpu.py                  # the default set (about a minute on an H100)
    python benchmarks/bench_gpu.py --log2n 26 --repeats 11 --json out.json

Every figure is the median of ``repeats`` timed calls (CUDA events around each call, after
one warm-up call), with the candidates of one group timed round-robin. Rows:

* rand f32, 2^28 values (``--log2n``): philox vs ``torch.rand`` and vs the memory fill
  ``torch.empty(n).fill_(1)`` (the write bandwidth ceiling), both into a preallocated ``out=``;
* randn f32 vs ``torch.randn``; randint(0, 1000) int64 vs ``torch.randint``;
* batched per-row generation: ``Stream.fold(arange(4096)).rand(65536)`` vs a flat draw of
  the same size;
* unaligned (position 1) vs aligned (position 0) for rand f32, rand f64, randn f64;
* the pure-torch fallback on the same card (rand f32 on 2^24 values), for reference.

Targets (issue 3): rand f32 >= torch.rand and >= 85% of fill bandwidth; randn/randint >= torch;
batched within 1.2x of flat; unaligned within 1.2x of aligned. Without a CUDA GPU it prints
why and exits with status 0 (so it can sit in scripts that also run on CPU-only machines).
"""
from __future__ import annotations

import argparse
import json
import sys
from statistics import median
from typing import Callable, Dict, List


def _timeit(torch, fns: Dict[str, Callable[[], object]], repeats: int) -> Dict[str, float]:
    """Median seconds per call of each fn, timed round-robin with CUDA events."""
    times = {k: [] for k in fns}
    for f in fns.values():
        f()
    torch.cuda.synchronize()
    names = list(fns)
    for r in range(repeats):
        for k in names[r % len(names):] + names[:r % len(names)]:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fns[k]()
            end.record()
            end.synchronize()
            times[k].append(start.elapsed_time(end) / 1e3)
    return {k: median(v) for k, v in times.items()}


def run(log2n: int = 28, repeats: int = 9, progress=print) -> List[dict]:
    """The benchmark rows (dicts: group, name, n, bytes, seconds, gb_per_s, ratio, baseline);
    ratio = the group's baseline time / this row's time (> 1: faster than the baseline)."""
    import torch

    import philox
    from philox import _backend

    n = 1 << log2n
    dev = torch.device("cuda")
    rows: List[dict] = []

    def add(group, res, nbytes, base, nvals=n):
        for name, sec in res.items():
            rows.append({"group": group, "name": name, "n": nvals, "bytes": nbytes, "seconds": sec,
                         "gb_per_s": nbytes / sec / 1e9, "ratio": res[base] / sec, "baseline": base})
        progress(format_table([r for r in rows if r["group"] == group]))

    s = philox.Stream(1, "bench")
    f32 = torch.empty(n, device=dev)
    f32b = torch.empty(n, device=dev)
    add("rand f32", _timeit(torch, {
        "philox rand": lambda: s.rand(out=f32),
        "torch.rand": lambda: torch.rand(n, device=dev, out=f32b),
        "fill_(1)": lambda: f32b.fill_(1.0),
    }, repeats), 4 * n, "torch.rand")
    add("randn f32", _timeit(torch, {
        "philox randn": lambda: s.randn(out=f32),
        "torch.randn": lambda: torch.randn(n, device=dev, out=f32b),
    }, repeats), 4 * n, "torch.randn")
    del f32b
    i64 = torch.empty(n // 2, device=dev, dtype=torch.int64)
    i64b = torch.empty(n // 2, device=dev, dtype=torch.int64)
    add("randint i64", _timeit(torch, {
        "philox randint": lambda: s.randint(0, 1000, out=i64),
        "torch.randint": lambda: torch.randint(0, 1000, (n // 2,), device=dev, out=i64b),
    }, repeats), 8 * (n // 2), "torch.randint", n // 2)
    del i64, i64b
    B, m = 4096, 65536
    idx = torch.arange(B, device=dev)
    batch = s.fold(idx, check=False)
    flat = torch.empty(B * m, device=dev)
    rowsout = torch.empty(B, m, device=dev)
    add("batched rows", _timeit(torch, {
        "flat rand": lambda: s.rand(out=flat),
        "fold(4096).rand(65536)": lambda: batch.rand(m, out=rowsout),
    }, repeats), 4 * B * m, "flat rand", B * m)
    del flat, rowsout
    for dt, nm in ((torch.float32, "rand f32"), (torch.float64, "rand f64")):
        out = torch.empty(n // 2, device=dev, dtype=dt)
        a0, a1 = philox.Stream(2), philox.Stream(2)

        def aligned(a=a0, out=out):
            a.position = 0
            a.rand(out=out)

        def unaligned(a=a1, out=out):
            a.position = 1
            a.rand(out=out)
        add(f"unaligned {nm}", _timeit(torch, {"aligned": aligned, "unaligned": unaligned}, repeats),
            out.element_size() * (n // 2), "aligned", n // 2)
    out = torch.empty(n // 4, device=dev, dtype=torch.float64)
    a0 = philox.Stream(3)

    def n_aligned():
        a0.position = 0
        a0.randn(out=out)

    def n_unaligned():
        a0.position = 1
        a0.randn(out=out)
    add("unaligned randn f64", _timeit(torch, {"aligned": n_aligned, "unaligned": n_unaligned}, repeats),
        8 * (n // 4), "aligned", n // 4)
    del out
    small = 1 << min(log2n, 24)
    o = torch.empty(small, device=dev)
    ob = torch.empty(small, device=dev)
    res = _timeit(torch, {"compiled rand": lambda: s.rand(out=o)}, max(3, repeats // 3))
    _backend.set_backend("torch")
    try:
        res.update(_timeit(torch, {"torch fallback rand": lambda: s.rand(out=ob)}, max(3, repeats // 3)))
    finally:
        _backend.set_backend("auto")
    add(f"fallback f32 (2^{small.bit_length() - 1})", res, 4 * small, "compiled rand", small)
    return rows


def format_table(rows: List[dict]) -> str:
    lines = []
    for r in rows:
        lines.append(f"{r['group']:<22} {r['name']:<26} n={r['n']:<11} {r['seconds'] * 1e3:9.3f} ms "
                     f"{r['gb_per_s']:8.1f} GB/s  {r['ratio']:.2f}x the speed of {r['baseline']}")
    return "\n".join(lines)


def check_targets(rows: List[dict]) -> List[str]:
    """One line per issue-3 target: the measured figure and PASS/MISS."""
    t = {(r["group"], r["name"]): r for r in rows}
    out = []

    def line(what, value, ok):
        out.append(f"{'PASS' if ok else 'MISS'}  {what}: {value}")
    pr, tr, fl = t[("rand f32", "philox rand")], t[("rand f32", "torch.rand")], t[("rand f32", "fill_(1)")]
    line("rand f32 >= torch.rand", f"{tr['seconds'] / pr['seconds']:.2f}x", pr["seconds"] <= tr["seconds"])
    bw = fl["seconds"] / pr["seconds"]
    line("rand f32 >= 85% of fill_ bandwidth", f"{100 * bw:.0f}%", bw >= 0.85)
    for g, a, b in (("randn f32", "philox randn", "torch.randn"), ("randint i64", "philox randint", "torch.randint")):
        x = t[(g, b)]["seconds"] / t[(g, a)]["seconds"]
        line(f"{a} >= {b}", f"{x:.2f}x", x >= 1.0)
    x = t[("batched rows", "fold(4096).rand(65536)")]["seconds"] / t[("batched rows", "flat rand")]["seconds"]
    line("batched within 1.2x of flat", f"{x:.2f}x", x <= 1.2)
    for g in ("unaligned rand f32", "unaligned rand f64", "unaligned randn f64"):
        x = t[(g, "unaligned")]["seconds"] / t[(g, "aligned")]["seconds"]
        line(f"{g} within 1.2x of aligned", f"{x:.2f}x", x <= 1.2)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log2n", type=int, default=28)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench_gpu: torch is not installed; nothing to measure")
        return 0
    if not torch.cuda.is_available():
        print("bench_gpu: no CUDA GPU visible to torch; nothing to measure (run it on a GPU machine, "
              "e.g. through benchmarks/gpu_check.sh)")
        return 0
    from philox import _backend
    mod = _backend.cuda_module()
    print(f"card: {torch.cuda.get_device_name()}  torch {torch.__version__}  "
          f"philox._cuda: {'yes' if mod else 'NO (fallback only)'}")
    if mod is None:
        print("bench_gpu: philox._cuda is not available; the figures would be the torch fallback's")
        return 1
    rows = run(args.log2n, args.repeats)
    print("\n".join(check_targets(rows)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"card": torch.cuda.get_device_name(), "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
