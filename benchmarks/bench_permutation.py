"""Permutation benchmarks: philox's keyed bijection against numpy (and torch's RandomSampler).

    python benchmarks/bench_permutation.py              # ~1 minute on 2 cores
    python benchmarks/bench_permutation.py --repeats 15 --json out.json

Rows (every one the median of ``repeats`` timed calls after one warm-up; the candidates of a row
group are timed round-robin so that a noisy spell hits all of them alike):

* ``permutation(10**7)``: ``philox.Stream.permutation`` with 1 and 2 threads vs numpy
  ``Generator(PCG64).permutation``;
* ``bijection 1 core``: the C++ batched evaluation alone (``_core.perm_fill``, one thread, preallocated
  output), in indices per second, for n = 10**7 and n = 10**12 (a strided sample of the indices);
* ``permutation(4)``: per-call latency in microseconds, philox vs numpy;
* ``choice(10**9, 1000, replace=False)``: philox (O(size)) vs numpy;
* ``sampler epoch 10**6``: iterating ``PhiloxSampler(10**6)`` vs ``torch.utils.data.RandomSampler``.

``run()`` returns the rows as dicts (``group, lib, threads, seconds, per_second, ratio``), ``ratio`` =
numpy's (or torch's) time / this row's time in the same group (> 1: philox faster).
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from statistics import median
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

import philox
from philox import _core


def _time_round_robin(cands: Sequence[Tuple[str, Callable[[], object]]], repeats: int, inner: int = 1):
    """Median seconds per call of each candidate; calls interleaved, order rotating."""
    for _, f in cands:
        f()
    times: Dict[str, List[float]] = {name: [] for name, _ in cands}
    for r in range(repeats):
        order = list(cands[r % len(cands):]) + list(cands[:r % len(cands)])
        for name, f in order:
            t0 = time.perf_counter()
            for _ in range(inner):
                f()
            times[name].append((time.perf_counter() - t0) / inner)
    return {name: median(v) for name, v in times.items()}


def run(repeats: int = 9, progress=None) -> List[dict]:
    rows = []
    saved = philox.get_num_threads()

    def add(group, results, baseline, count=None):
        for name, sec in results.items():
            rows.append({"group": group, "lib": name, "seconds": sec,
                         "per_second": None if count is None else count / sec,
                         "ratio": results[baseline] / sec if baseline in results else None})
        if progress:
            progress(group)

    try:
        n = 10 ** 7
        s = philox.Stream(1, "bench-perm")
        g = np.random.default_rng(1)

        def ph(t):
            def f():
                philox.set_num_threads(t)
                return s.permutation(n)
            return f
        add("permutation(10**7)", _time_round_robin(
            [("philox 1 thread", ph(1)), ("philox 2 threads", ph(2)), ("numpy PCG64", lambda: g.permutation(n))],
            repeats), "numpy PCG64", n)

        w = s.random_raw(12)
        out = np.empty(n, np.int64)
        step = (10 ** 12 - 1) // n
        add("bijection 1 core", _time_round_robin(
            [("C++ n=10**7", lambda: _core.perm_fill(w, n, 0, 1, out, True)),
             ("C++ n=10**12 (strided)", lambda: _core.perm_fill(w, 10 ** 12, 0, step, out, True))],
            repeats), "", n)

        add("permutation(4) latency", _time_round_robin(
            [("philox", lambda: s.permutation(4)), ("numpy PCG64", lambda: g.permutation(4))],
            repeats, inner=20000), "numpy PCG64")

        add("choice(10**9, 1000, replace=False)", _time_round_robin(
            [("philox", lambda: s.choice(10 ** 9, 1000, replace=False)),
             ("numpy PCG64", lambda: g.choice(10 ** 9, 1000, replace=False))],
            repeats, inner=50), "numpy PCG64")

        try:
            import torch
            from torch.utils.data import RandomSampler
            m = 10 ** 6
            ps = philox.PhiloxSampler(m, seed=0)
            rs = RandomSampler(range(m), generator=torch.Generator().manual_seed(0))
            add("sampler epoch 10**6", _time_round_robin(
                [("PhiloxSampler", lambda: sum(1 for _ in ps)), ("torch RandomSampler", lambda: sum(1 for _ in rs))],
                max(3, repeats // 3)), "torch RandomSampler", m)
        except ImportError:
            pass
    finally:
        philox.set_num_threads(saved)
    return rows


def format_table(rows: List[dict]) -> str:
    lines = [f"{'group':36s} {'library':24s} {'time':>12s} {'per second':>14s} {'ratio':>7s}", "-" * 97]
    last = None
    for r in rows:
        if last is not None and r["group"] != last:
            lines.append("")
        last = r["group"]
        sec = r["seconds"]
        t = f"{sec * 1e6:9.2f} us" if sec < 1e-3 else f"{sec * 1e3:9.2f} ms"
        ps = "" if r["per_second"] is None else f"{r['per_second'] / 1e6:9.1f} M/s"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:6.2f}"
        lines.append(f"{r['group']:36s} {r['lib']:24s} {t:>12s} {ps:>14s} {ratio:>7s}")
    lines.append("")
    lines.append("ratio: the baseline's time / this row's time in the same group (> 1: faster than the baseline).")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    print(f"philox permutation benchmark  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"  cpu      {platform.processor() or platform.machine()}, isa {_core.isa()}, numpy {np.__version__}")
    rows = run(a.repeats, progress=lambda gname: print(f"  done: {gname}", flush=True))
    print(format_table(rows))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
