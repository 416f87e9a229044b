"""The fixed cost of small draws (issue 9): per-sample code makes a stream and draws a few values.

    python benchmarks/bench_small.py                       # 9 batches of 2000 calls per row
    python benchmarks/bench_small.py --repeats 15 --json out.json

Each row: philox's draw and its numpy / torch counterpart (an existing ``numpy.random.Generator``,
``torch.rand``), microseconds per call, the median of ``--repeats`` batches of ``--calls`` calls,
all statements timed round-robin in one run; ``ratio`` = philox / reference against the target
of issue 9. A thin wrapper over ``philox._bench.small_draws`` (also printed by
``python -m philox bench``).
"""
from __future__ import annotations

import argparse
import json
import sys

from philox._bench import machine_info, small_draws


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench_small", description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="calls per timed batch (default 2000)")
    ap.add_argument("--repeats", type=int, default=9, help="timed batches per row, median shown (default 9)")
    ap.add_argument("--json", metavar="PATH", help="also write machine info and rows as JSON")
    a = ap.parse_args(argv)
    if a.calls < 1 or a.repeats < 1:
        print("error: --calls and --repeats must be at least 1", file=sys.stderr)
        return 2
    info = machine_info()
    for k, v in info.items():
        print(f"  {k:<11} {v}")
    rows = small_draws(calls=a.calls, repeats=a.repeats)
    print(f"\n{'philox draw':<42} {'us':>6}  {'reference':<21} {'us':>6}  ratio  target")
    for r in rows:
        print(f"{r['draw']:<42} {r['us']:6.2f}  {r['ref']:<21} {r['ref_us']:6.2f}  {r['ratio']:5.2f}  "
              f"{r['target']:.1f} {'ok' if r['ok'] else 'MISSED'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": info, "calls": a.calls, "repeats": a.repeats, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
