"""CPU throughput of philox against numpy (PCG64, Philox), randomgen and torch.

    python benchmarks/bench_cpu.py                 # n = 10**7, threads 1 and 2
    python benchmarks/bench_cpu.py --n 1e6 1e7 --repeats 9 --json out.json

A thin wrapper: the measuring code lives in the package (``philox._bench``, also
behind ``python -m philox bench``, which adds GPU rows and a bar chart). This
script prints the CPU rows only, and then the project's own speed targets
(``TARGETS``, ``check_targets``), which the user-facing command leaves out. See
that module's docstring and benchmarks/README.md for how it measures.
"""
from __future__ import annotations

import sys
from typing import List

from philox._bench import OPS, format_table, machine_info, run, summary  # noqa: F401
from philox._bench import main as _main

__all__ = ["run", "main", "machine_info", "format_table", "summary", "check_targets", "TARGETS", "OPS"]

# The project's goals: (op, minimum ratio numpy PCG64 time / philox time, single thread, fresh output)
TARGETS = (("rand f32", 3.0), ("rand f64", 2.0), ("randint(0,1000) i64", 2.0), ("randn f32", 2.0))


def check_targets(rows: List[dict]) -> List[str]:
    """One line per speed target (CPU, single thread, fresh output; out= variant shown too)."""
    out = []
    cpu = [r for r in rows if r.get("device", "cpu") == "cpu"]
    for nn in sorted({r["n"] for r in cpu}):
        for op, need in TARGETS:
            got = {r["variant"]: r["ratio"] for r in cpu
                   if r["n"] == nn and r["op"] == op and r["lib"] == "philox" and r["threads"] == 1}
            if "new" not in got:
                continue
            ok = got["new"] >= need
            extra = f", out= {got['out']:.2f}x" if got.get("out") is not None else ""
            out.append(f"n={nn:,} {op:<20} target >= {need:.0f}x numpy PCG64: "
                       f"{got['new']:.2f}x{extra} -> {'MET' if ok else 'NOT MET'}")
    return out


def _targets_text(rows: List[dict]) -> str:
    lines = check_targets(rows)
    return "\n".join(["Speed targets (single thread, fresh output):"] + ["  " + x for x in lines]) if lines else ""


def main(argv=None) -> int:
    """``python benchmarks/bench_cpu.py [--n N ...] [--threads ...] [--repeats R] [--ops ...] [--json PATH]``."""
    return _main(argv, prog="bench_cpu", cpu_only=True, extra=_targets_text)


if __name__ == "__main__":
    sys.exit(main())
