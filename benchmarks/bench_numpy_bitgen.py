"""numpy's Generator on a philox stream (``Stream.numpy()``) against numpy's own bit generators.

    python benchmarks/bench_numpy_bitgen.py            # n = 10**6, median of 7
    python benchmarks/bench_numpy_bitgen.py --n 1e7 --repeats 5

Every row runs the same numpy ``Generator`` method; only the bit generator differs
(``philox.Stream(...).bit_generator()``, ``numpy.random.PCG64``, ``numpy.random.Philox``),
so the difference is the cost of one bit generator call (docs/DESIGN.md, "numpy's
distributions on a stream"). Native ``Stream.rand``/``randn`` rows are printed for scale.
Times are medians, in ns per value, one thread.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import philox

METHODS = {
    "random": lambda g, n: g.random(n),
    "standard_normal": lambda g, n: g.standard_normal(n),
    "integers(0, 1000)": lambda g, n: g.integers(0, 1000, n),
    "standard_exponential": lambda g, n: g.standard_exponential(n),
    "gamma(2.5)": lambda g, n: g.gamma(2.5, size=n),
}


def _median_ns(f, n, repeats):
    f()  # warm up (allocation, caches)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2] / n * 1e9


def run(n: int, repeats: int):
    gens = {
        "philox Stream.numpy()": philox.Stream(1, "bench").numpy(),
        "numpy PCG64": np.random.Generator(np.random.PCG64(1)),
        "numpy Philox": np.random.Generator(np.random.Philox(1)),
    }
    rows = []
    for m, call in METHODS.items():
        rows.append((m, {name: _median_ns(lambda g=g: call(g, n), n, repeats) for name, g in gens.items()}))
    s = philox.Stream(1, "native")
    native = {"random": _median_ns(lambda: s.rand(n), n, repeats),
              "standard_normal": _median_ns(lambda: s.randn(n), n, repeats)}
    return list(gens), rows, native


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench_numpy_bitgen", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=float, default=1e6)
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args(argv)
    n = int(a.n)
    names, rows, native = run(n, a.repeats)
    print(f"n = {n}, median of {a.repeats}, ns per value (one thread)")
    print(f"{'method':24s}" + "".join(f"{x:>24s}" for x in names) + f"{'native Stream':>16s}")
    for m, r in rows:
        nat = f"{native[m]:16.2f}" if m in native else f"{'':16s}"
        print(f"{m:24s}" + "".join(f"{r[x]:24.2f}" for x in names) + nat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
