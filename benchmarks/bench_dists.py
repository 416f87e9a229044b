"""Distributions: philox against numpy's and torch's same draws, with issue 11's speed targets.

    python benchmarks/bench_dists.py                          # n = 10**7, threads 1 and 2, every distribution
    python benchmarks/bench_dists.py --n 1e6 --repeats 5 --ops "poisson(100) i64" "binomial(1000,0.4) i64"

A thin wrapper over ``philox._bench`` (the rows of ``DIST_OPS``: the distributions philox.Stream has;
``python -m philox bench --dists`` prints the same rows after the default ones). Every row is the
median of the timed calls, candidates timed round-robin. After the table and the summary it checks
the targets (``TARGETS``): on one thread, at least 2x numpy's time for the same method and at least
torch CPU's speed where torch has a counterpart. Results: benchmarks/README.md.
"""
from __future__ import annotations

import sys
from typing import List

from philox._bench import DIST_OPS
from philox._bench import main as _main

__all__ = ["main", "check_targets", "TARGETS"]

# (reference library, the least ratio reference time / philox time on one thread)
TARGETS = (("numpy PCG64", 2.0), ("torch", 1.0))


def check_targets(rows: List[dict]) -> List[str]:
    """One line per distribution row and n: philox's one-thread ratios against numpy and torch."""
    out = []
    cpu = [r for r in rows if r.get("device", "cpu") == "cpu" and r["variant"] == "new" and r["op"] in DIST_OPS]
    for nn in sorted({r["n"] for r in cpu}):
        for op in dict.fromkeys(r["op"] for r in cpu if r["n"] == nn):
            mine = [r for r in cpu if r["n"] == nn and r["op"] == op and r["lib"] == "philox" and r["threads"] == 1]
            if not mine:
                continue
            cells = []
            for lib, need in TARGETS:
                ref = [r for r in cpu if r["n"] == nn and r["op"] == op and r["lib"] == lib and r["threads"] == 1]
                if ref:
                    ratio = ref[0]["seconds"] / mine[0]["seconds"]
                    cells.append(f"{ratio:5.2f}x {lib} (>= {need:g}x: {'MET' if ratio >= need else 'NOT MET'})")
            out.append(f"n={nn:,} {op:<32} " + ("; ".join(cells) if cells else "no reference"))
    return out


def _targets_text(rows: List[dict]) -> str:
    lines = check_targets(rows)
    return "\n".join(["Speed targets (one thread, fresh output):"] + ["  " + x for x in lines]) if lines else ""


def main(argv=None) -> int:
    """``python benchmarks/bench_dists.py [--n N ...] [--threads ...] [--repeats R] [--ops ...] [--json PATH]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--ops" not in argv:
        argv += ["--ops", *DIST_OPS]
    return _main(argv, prog="bench_dists", cpu_only=True, extra=_targets_text)


if __name__ == "__main__":
    sys.exit(main())
