"""CPU throughput of philox against numpy (PCG64, Philox), randomgen and torch.

    python benchmarks/bench_cpu.py                 # n = 10**7, threads 1 and 2
    python benchmarks/bench_cpu.py --n 1e6 1e7 --repeats 9 --json out.json

A thin wrapper: the measuring code lives in the package (``philox._bench``, also
behind ``python -m philox bench``, which adds GPU rows and a bar chart). This
script prints the CPU rows only. See that module's docstring and
benchmarks/README.md for how it measures.
"""
from __future__ import annotations

import sys

from philox._bench import OPS, TARGETS, check_targets, format_table, machine_info, run  # noqa: F401
from philox._bench import main as _main

__all__ = ["run", "main", "machine_info", "format_table", "check_targets", "TARGETS", "OPS"]


def main(argv=None) -> int:
    """``python benchmarks/bench_cpu.py [--n N ...] [--threads ...] [--repeats R] [--ops ...] [--json PATH]``."""
    return _main(argv, prog="bench_cpu", cpu_only=True)


if __name__ == "__main__":
    sys.exit(main())
