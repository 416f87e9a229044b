"""CPU throughput of philox against numpy (PCG64, Philox), randomgen and torch.

    python benchmarks/bench_cpu.py                 # n = 10**7, threads 1 and 2
    python benchmarks/bench_cpu.py --n 1e6 1e7 --repeats 9 --json out.json

Every measurement is the median of ``repeats`` timed calls after one untimed
warm-up call. The candidates of one operation are timed round-robin (call 1 of
each, then call 2 of each, ...) so that a noisy spell on a shared machine hits
all of them alike. Two variants:

* ``new``: every call allocates its output (``np.empty`` / ``torch.empty``
  inside the library), as user code usually does. At large n this includes the
  page faults of fresh memory, for every library alike.
* ``out``: the output array is allocated once and refilled through ``out=``
  (philox, numpy ``random``/``standard_normal``, torch). No page faults: closer
  to the generator's own speed.

Columns: ns per value, GB/s (output bytes / time, 1 GB = 1e9 bytes), ``%bw``
(GB/s relative to the memory-fill row of the same variant: ``np.empty + fill``
for ``new``, ``fill`` of a preallocated array for ``out``) and ``ratio``
(numpy PCG64 time / this row's time for the same operation and variant; >1
means faster than numpy PCG64).

``run()`` returns the rows as dicts, for ``python -m philox bench`` and others.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from statistics import median
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

import philox

__all__ = ["run", "main", "machine_info", "format_table", "check_targets", "TARGETS"]

# (op, minimum ratio numpy PCG64 time / philox time, single thread, fresh output)
TARGETS = (("rand f32", 3.0), ("rand f64", 2.0), ("randint(0,1000) i64", 2.0), ("randn f32", 2.0))

# op name -> bytes per output value
OPS = {
    "rand f32": 4,
    "rand f64": 8,
    "randint(0,1000) i64": 8,
    "randn f32": 4,
    "randn f64": 8,
    "random_raw u32": 4,
}

_NP_DTYPE = {"rand f32": np.float32, "rand f64": np.float64, "randint(0,1000) i64": np.int64,
             "randn f32": np.float32, "randn f64": np.float64, "random_raw u32": np.uint32}


def _optional(name):
    try:
        return __import__(name)
    except Exception:  # not installed, or broken: skip silently
        return None


# ---------------------------------------------------------------- candidates
# A candidate is (lib, variant, threads, setup) where setup(n) returns a
# zero-argument callable doing one draw of n values (allocating anything
# reused by the "out" variant once, up front).

def _philox_cands(op: str, threads: Sequence[int]):
    s = philox.Stream(20240601, "bench", op)
    dt = _NP_DTYPE[op]

    def new(n):
        if op.startswith("rand f"):
            return lambda: s.rand(n, dtype=dt)
        if op.startswith("randn"):
            return lambda: s.randn(n, dtype=dt)
        if op.startswith("randint"):
            return lambda: s.randint(0, 1000, n)
        return lambda: s.random_raw(n, dtype=np.uint32)

    def out(n):
        buf = np.empty(n, dt)
        if op.startswith("rand f"):
            return lambda: s.rand(out=buf)
        if op.startswith("randn"):
            return lambda: s.randn(out=buf)
        if op.startswith("randint"):
            return lambda: s.randint(0, 1000, out=buf)
        return lambda: s.random_raw(out=buf)

    for t in threads:
        yield "philox", "new", t, new
        yield "philox", "out", t, out


def _numpy_cands(op: str, lib: str, bitgen_factory):
    dt = _NP_DTYPE[op]

    def gen():
        return np.random.Generator(bitgen_factory())

    def new(n):
        g = gen()
        if op.startswith("rand f"):
            return lambda: g.random(n, dtype=dt)
        if op.startswith("randn"):
            return lambda: g.standard_normal(n, dtype=dt)
        if op.startswith("randint"):
            return lambda: g.integers(0, 1000, n)  # int64
        return lambda: g.integers(0, 1 << 32, n, dtype=np.uint32)  # full range: raw 32-bit words

    def out(n):
        g = gen()
        buf = np.empty(n, dt)
        if op.startswith("rand f"):
            return lambda: g.random(dtype=dt, out=buf)
        return lambda: g.standard_normal(dtype=dt, out=buf)

    yield lib, "new", 1, new
    if op.startswith(("rand f", "randn")):  # Generator.integers has no out=
        yield lib, "out", 1, out


def _torch_cands(op: str, torch, threads: Sequence[int]):
    if op.startswith("random_raw"):
        return
    tdt = {"rand f32": torch.float32, "rand f64": torch.float64, "randn f32": torch.float32,
           "randn f64": torch.float64, "randint(0,1000) i64": torch.int64}[op]

    def new(n):
        g = torch.Generator().manual_seed(20240601)
        if op.startswith("rand f"):
            return lambda: torch.rand(n, dtype=tdt, generator=g)
        if op.startswith("randn"):
            return lambda: torch.randn(n, dtype=tdt, generator=g)
        return lambda: torch.randint(0, 1000, (n,), dtype=tdt, generator=g)

    def out(n):
        g = torch.Generator().manual_seed(20240601)
        buf = torch.empty(n, dtype=tdt)
        if op.startswith("rand f"):
            return lambda: torch.rand(n, generator=g, out=buf)
        if op.startswith("randn"):
            return lambda: torch.randn(n, generator=g, out=buf)
        return lambda: torch.randint(0, 1000, (n,), generator=g, out=buf)

    for t in threads:
        yield "torch", "new", t, new
        yield "torch", "out", t, out


def _candidates(op: str, threads: Sequence[int], torch, randomgen):
    yield from _philox_cands(op, threads)
    yield from _numpy_cands(op, "numpy PCG64", lambda: np.random.PCG64(20240601))
    yield from _numpy_cands(op, "numpy Philox", lambda: np.random.Philox(20240601))
    if randomgen is not None:
        def rg_philox():
            try:
                return randomgen.Philox(20240601, number=4, width=32)
            except TypeError:  # very old randomgen
                return randomgen.Philox(20240601)
        yield from _numpy_cands(op, "randomgen Philox4x32", rg_philox)
    if torch is not None:
        yield from _torch_cands(op, torch, threads)


# ---------------------------------------------------------------- timing
def _set_threads(lib: str, t: int, torch) -> None:
    if lib == "philox":
        philox.set_num_threads(t)
    elif lib == "torch" and torch is not None:
        torch.set_num_threads(t)


def _time_round_robin(fns, repeats: int) -> List[float]:
    """Median seconds of each (before, fn) after one warm-up call, timed round-robin.

    ``before()`` (thread settings) runs untimed before each call.
    """
    times = [[] for _ in fns]
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for before, fn in fns:  # warm-up
            before()
            r = fn()
            del r
        k = len(fns)
        for rep in range(repeats):
            for j in range(k):  # rotate the order each round: no fixed place in it
                i = (j + rep) % k
                before, fn = fns[i]
                before()
                t0 = time.perf_counter()
                r = fn()
                t1 = time.perf_counter()
                del r  # freeing (munmap) is not timed, for anyone
                times[i].append(t1 - t0)
    finally:
        if gc_was:
            gc.enable()
    return [median(ts) for ts in times]


def _mem_rows(n: int, repeats: int) -> List[dict]:
    """Memory write bandwidth: fill of a preallocated array, and np.empty + fill."""
    rows = []
    for itemsize, dt in ((4, np.float32), (8, np.float64)):
        buf = np.empty(n, dt)

        def fill(buf=buf):
            buf.fill(1.0)

        def empty_fill(dt=dt):
            a = np.empty(n, dt)
            a.fill(1.0)
            return a

        t_out, t_new = _time_round_robin([(lambda: None, fill), (lambda: None, empty_fill)], repeats)
        del buf
        for variant, t in (("out", t_out), ("new", t_new)):
            rows.append(dict(op=f"memory fill {itemsize}B", lib="np.empty+fill" if variant == "new" else "ndarray.fill",
                             variant=variant, threads=1, n=n, bytes_per_value=itemsize, seconds=t,
                             ns_per_value=t / n * 1e9, gb_per_s=n * itemsize / t / 1e9, ratio=None, pct_bw=None))
    return rows


def run(n=10**7, threads=(1, 2), repeats: int = 9, progress: Optional[Callable[[str], None]] = None,
        ops: Optional[Sequence[str]] = None) -> List[dict]:
    """Measure every candidate for each n; returns rows (dicts).

    ``n`` is an int or a sequence of ints; ``progress(message)`` is called as
    each group finishes. Row keys: op, lib, variant ("new"/"out"), threads, n,
    bytes_per_value, seconds (median), ns_per_value, gb_per_s, ratio (numpy
    PCG64 seconds / this row's, same op and variant; None where numpy has no
    such variant), pct_bw (percent of the memory-fill bandwidth of the variant).
    """
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    ns = [int(n)] if np.isscalar(n) else [int(x) for x in n]
    threads = tuple(int(t) for t in threads)
    ops = list(OPS) if ops is None else list(ops)
    for op in ops:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}; choose from {list(OPS)}")
    torch = _optional("torch")
    randomgen = _optional("randomgen")
    saved_philox = philox.get_num_threads()
    saved_torch = torch.get_num_threads() if torch is not None else None
    rows: List[dict] = []
    try:
        for nn in ns:
            mem = _mem_rows(nn, repeats)
            rows.extend(mem)
            bw = {r["variant"]: {} for r in mem}
            for r in mem:
                bw[r["variant"]][r["bytes_per_value"]] = r["gb_per_s"]
            if progress:
                progress(f"n={nn}: memory fill done")
            for op in ops:
                cands = list(_candidates(op, threads, torch, randomgen))
                secs = [0.0] * len(cands)
                # torch runs in groups of its own, one per thread count: torch.set_num_threads
                # rebuilds its thread pool, and its idle OpenMP threads may spin for a while
                # after a parallel call; neither should land on another library's timings.
                groups: Dict[tuple, List[int]] = {}
                for i, (lib, variant, t, _) in enumerate(cands):
                    groups.setdefault(("torch", t) if lib == "torch" else ("main",), []).append(i)
                for idx in groups.values():
                    if cands[idx[0]][0] == "torch":
                        torch.set_num_threads(cands[idx[0]][2])
                    fns = [((lambda lib=cands[i][0], t=cands[i][2]: _set_threads(lib, t, None)
                             if lib == "philox" else None), cands[i][3](nn)) for i in idx]
                    for i, s in zip(idx, _time_round_robin(fns, repeats)):
                        secs[i] = s
                    del fns
                ref = {v: s for (lib, v, t, _), s in zip(cands, secs) if lib == "numpy PCG64"}
                bpv = OPS[op]
                for (lib, variant, t, _), s in zip(cands, secs):
                    gbps = nn * bpv / s / 1e9
                    rows.append(dict(op=op, lib=lib, variant=variant, threads=t, n=nn, bytes_per_value=bpv,
                                     seconds=s, ns_per_value=s / nn * 1e9, gb_per_s=gbps,
                                     ratio=(ref[variant] / s) if variant in ref else None,
                                     pct_bw=100.0 * gbps / bw[variant][bpv]))
                if progress:
                    progress(f"n={nn}: {op} done ({len(cands)} candidates)")
    finally:
        philox.set_num_threads(saved_philox)
        if torch is not None:
            torch.set_num_threads(saved_torch)
    return rows


# ---------------------------------------------------------------- reporting
def machine_info() -> Dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        fields = {}
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # first processor only
                k, _, v = line.partition(":")
                fields[k.strip()] = v.strip()
        if "model name" in fields:
            model = fields["model name"]
            if "cpu family" in fields and "model" in fields:
                model += f" (family {fields['cpu family']}, model {fields['model']})"
    except OSError:
        pass
    try:
        avail = len(os.sched_getaffinity(0))
    except AttributeError:
        avail = os.cpu_count()
    torch = _optional("torch")
    randomgen = _optional("randomgen")
    tree = "unknown"
    try:  # the philox source measured: commit, and whether src/ or csrc/ differ from it
        import subprocess
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        head = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "src", "csrc", "CMakeLists.txt"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        if head:
            tree = head + (" + uncommitted changes in src/csrc" if dirty else "")
    except Exception:
        pass
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except (AttributeError, OSError):
        load = "unknown"
    return {
        "cpu": model,
        "cores": f"{os.cpu_count()} logical, {avail} usable",
        "philox isa": philox._core.isa(),
        "philox": philox.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else "not installed",
        "randomgen": randomgen.__version__ if randomgen is not None else "not installed",
        "os": f"{platform.system()} {platform.release()}",
        "git": tree,
        "load avg": load + " (1/5/15 min, at start)",
    }


def format_table(rows: List[dict]) -> str:
    head = f"{'op':<20} {'library':<21} {'thr':>3} {'var':<3} {'ns/value':>9} {'GB/s':>7} {'%bw':>5} {'ratio':>6}"
    lines = []
    for nn in sorted({r["n"] for r in rows}):
        lines.append(f"n = {nn:,}")
        lines.append(head)
        lines.append("-" * len(head))
        last_op = None
        for r in (r for r in rows if r["n"] == nn):
            if last_op is not None and r["op"] != last_op:
                lines.append("")
            last_op = r["op"]
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
            pct = "" if r["pct_bw"] is None else f"{r['pct_bw']:.0f}"
            lines.append(f"{r['op']:<20} {r['lib']:<21} {r['threads']:>3} {r['variant']:<3} "
                         f"{r['ns_per_value']:>9.2f} {r['gb_per_s']:>7.2f} {pct:>5} {ratio:>6}")
        lines.append("")
    return "\n".join(lines)


def check_targets(rows: List[dict]) -> List[str]:
    """One line per speed target (single thread, fresh output; out= variant shown too)."""
    out = []
    for nn in sorted({r["n"] for r in rows}):
        for op, need in TARGETS:
            got = {r["variant"]: r["ratio"] for r in rows
                   if r["n"] == nn and r["op"] == op and r["lib"] == "philox" and r["threads"] == 1}
            if "new" not in got:
                continue
            ok = got["new"] >= need
            extra = f", out= {got['out']:.2f}x" if got.get("out") is not None else ""
            out.append(f"n={nn:,} {op:<20} target >= {need:.0f}x numpy PCG64: "
                       f"{got['new']:.2f}x{extra} -> {'MET' if ok else 'NOT MET'}")
    return out


def _parse_n(s: str) -> int:
    s = s.strip().replace("_", "")
    if "**" in s:
        b, e = s.split("**")
        return int(b) ** int(e)
    return int(float(s)) if ("e" in s.lower() or "." in s) else int(s)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench_cpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", nargs="+", default=["10**7"], help="values per draw (e.g. 1e6 10**7); default 10**7")
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="thread counts for philox/torch rows")
    ap.add_argument("--repeats", type=int, default=9, help="timed calls per measurement (median); default 9")
    ap.add_argument("--ops", nargs="+", choices=list(OPS), metavar="OP", default=None,
                    help=f"subset of ops (quote them): {', '.join(OPS)}")
    ap.add_argument("--json", metavar="PATH", help="also write machine info and rows as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    a = ap.parse_args(argv)
    ns = [_parse_n(x) for x in a.n]
    info = machine_info()
    print("philox CPU benchmark  " + time.strftime("%Y-%m-%d %H:%M %Z"))
    for k, v in info.items():
        print(f"  {k:<11} {v}")
    print(f"  repeats     {a.repeats} timed calls per row after 1 warm-up, median shown")
    print()
    t0 = time.perf_counter()
    prog = None if a.quiet else (lambda m: print(f"  [{time.perf_counter() - t0:6.1f}s] {m}", file=sys.stderr, flush=True))
    rows = run(ns, threads=a.threads, repeats=a.repeats, progress=prog, ops=a.ops)
    print(format_table(rows))
    print("var: new = fresh output each call, out = preallocated output reused (out=).")
    print("%bw: GB/s relative to the memory-fill row of the same variant and element size.")
    print("ratio: numpy PCG64 time / this time, same op and variant (> 1: faster than numpy PCG64).")
    print()
    lines = check_targets(rows)
    if lines:
        print("Speed targets (single thread, fresh output):")
        for line in lines:
            print("  " + line)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": info, "date": time.strftime("%Y-%m-%d %H:%M %Z"), "repeats": a.repeats,
                       "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
