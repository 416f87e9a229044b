"""Benchmarks: philox against numpy (PCG64, Philox), randomgen and torch, next to the memory bandwidth.

    python -m philox bench                      # n = 10**7; GPU rows when torch.cuda works
    python -m philox bench --n 1e6 --plot bench.png
    python -m philox bench --dists --threads 1  # and a row per distribution (DIST_OPS)
    python benchmarks/bench_dists.py            # the distribution rows only, with their speed targets
    python benchmarks/bench_cpu.py --n 1e5 1e6 1e7 --repeats 15 --json out.json   # CPU rows only

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

GPU rows (device ``cuda``) time philox's public API with ``device="cuda"`` (or a
CUDA ``out=`` tensor) against ``torch.rand``/``randn``/``randint`` on the GPU,
each call followed by ``torch.cuda.synchronize()`` inside the timed region; their
``ratio`` is torch's time / this row's, and ``%bw`` is relative to a CUDA
``fill_`` of the same size.

``run()`` returns the rows as dicts; ``format_table`` prints them all. What a user
compares comes after: ``compare`` / ``summary`` (philox's ns per value, each library of
``REFERENCES`` as its time / philox's, and philox's share of the memory-fill speed) and
``plot`` (the same, as bars relative to the first reference, on a log scale). They read any
row with ``device``, ``n``, ``op``, ``lib``, ``variant`` "new", ``threads`` and ``seconds``,
grouped by device and n: a new op or row needs no change there. The project's own speed
targets are not printed here (``benchmarks/bench_cpu.py``, a thin wrapper over this module,
adds them).

Distribution rows (``DIST_OPS``; ``--dists`` adds them all, ``--ops`` picks some): philox's
Stream method against numpy PCG64's ``Generator`` method of the same name and parameters and
torch's CPU counterpart where torch has one (``Tensor.exponential_``, ``torch._standard_gamma``,
``torch.poisson``, ``torch.binomial``, ``Tensor.bernoulli_``, ...; torch's parameter tensors are
made once, outside the timing), fresh output only, no numpy Philox / randomgen rows. A row
appears only where ``philox.Stream`` has the method (distributions land one by one). dirichlet
and multinomial draw n // 3 rows of 3 values and categorical n // 10 rows of 10 logits: their
ns/value is per output value (per logit for categorical).
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

__all__ = ["run", "main", "machine_info", "format_table", "summary", "compare", "isolate_cost", "plot", "OPS",
           "DEFAULT_OPS", "DIST_OPS", "GPU_OPS", "REFERENCES", "count_steps", "add_arguments", "run_cli",
           "small_draws", "SMALL_DRAWS"]

# op name -> bytes per output value
OPS = {
    "rand f32": 4,
    "rand f64": 8,
    "randint(0,1000) i64": 8,
    "randn f32": 4,
    "randn f64": 8,
    "random_raw u32": 4,
    "gamma(2.5) f64": 8,
    "poisson(4) i64": 8,
}

# The default run's ops (``OPS`` adds the distribution rows below, for --ops and --dists).
DEFAULT_OPS = tuple(OPS)


# ---------------------------------------------------------------- distribution rows
# op -> (Stream method, bytes per value, philox(s, n), numpy(g, n) or None, torch(torch, g, n) or None):
# each builds its parameters once and returns a zero-argument callable drawing about n values.
# "gamma(2.5) f64" and "poisson(4) i64" are rows of OPS above (with out= variants), listed in
# DIST_OPS too. Parameters as in issue 11's speed targets.
def _full(torch, n, v, dt=None):
    return torch.full((n,), v, dtype=dt or torch.float64)


_P3 = [0.2, 0.3, 0.5]
_DISTS = {
    "standard_exponential f32": ("standard_exponential", 4,
                                 lambda s, n: lambda: s.standard_exponential(n, dtype=np.float32),
                                 lambda g, n: lambda: g.standard_exponential(n, dtype=np.float32),
                                 lambda t, g, n: lambda: t.empty(n).exponential_(generator=g)),
    "standard_exponential f64": ("standard_exponential", 8, lambda s, n: lambda: s.standard_exponential(n),
                                 lambda g, n: lambda: g.standard_exponential(n),
                                 lambda t, g, n: lambda: t.empty(n, dtype=t.float64).exponential_(generator=g)),
    "exponential(2.5) f64": ("exponential", 8, lambda s, n: lambda: s.exponential(2.5, n),
                             lambda g, n: lambda: g.exponential(2.5, n),
                             lambda t, g, n: lambda: t.empty(n, dtype=t.float64).exponential_(1 / 2.5, generator=g)),
    "gumbel(0,1) f64": ("gumbel", 8, lambda s, n: lambda: s.gumbel(0.0, 1.0, n),
                        lambda g, n: lambda: g.gumbel(0.0, 1.0, n), None),
    "logistic(0,1) f64": ("logistic", 8, lambda s, n: lambda: s.logistic(0.0, 1.0, n),
                          lambda g, n: lambda: g.logistic(0.0, 1.0, n), None),
    "laplace(0,1) f64": ("laplace", 8, lambda s, n: lambda: s.laplace(0.0, 1.0, n),
                         lambda g, n: lambda: g.laplace(0.0, 1.0, n), None),
    "gamma(0.5) f64": ("standard_gamma", 8, lambda s, n: lambda: s.standard_gamma(0.5, n),
                       lambda g, n: lambda: g.standard_gamma(0.5, n),
                       lambda t, g, n: (lambda a=_full(t, n, 0.5): lambda: t._standard_gamma(a, generator=g))()),
    "chisquare(3) f64": ("chisquare", 8, lambda s, n: lambda: s.chisquare(3.0, n),
                         lambda g, n: lambda: g.chisquare(3.0, n),  # torch's Chi2: 2 * gamma(df / 2)
                         lambda t, g, n: (lambda a=_full(t, n, 1.5): lambda: t._standard_gamma(a, generator=g) * 2)()),
    "poisson(100) i64": ("poisson", 8, lambda s, n: lambda: s.poisson(100.0, n), lambda g, n: lambda: g.poisson(100.0, n),
                         lambda t, g, n: (lambda r=_full(t, n, 100.0): lambda: t.poisson(r, generator=g))()),
    "binomial(20,0.3) i64": ("binomial", 8, lambda s, n: lambda: s.binomial(20, 0.3, n),
                             lambda g, n: lambda: g.binomial(20, 0.3, n),
                             lambda t, g, n: (lambda c=_full(t, n, 20.0, t.float32), q=_full(t, n, 0.3, t.float32):
                                              lambda: t.binomial(c, q, generator=g))()),
    "binomial(1000,0.4) i64": ("binomial", 8, lambda s, n: lambda: s.binomial(1000, 0.4, n),
                               lambda g, n: lambda: g.binomial(1000, 0.4, n),
                               lambda t, g, n: (lambda c=_full(t, n, 1000.0, t.float32), q=_full(t, n, 0.4, t.float32):
                                                lambda: t.binomial(c, q, generator=g))()),
    "bernoulli(0.3) bool": ("bernoulli", 1, lambda s, n: lambda: s.bernoulli(0.3, n),
                            lambda g, n: lambda: g.random(n) < 0.3,  # numpy has no bernoulli: its usual spelling
                            lambda t, g, n: lambda: t.empty(n).bernoulli_(0.3, generator=g)),
    "geometric(0.3) i64": ("geometric", 8, lambda s, n: lambda: s.geometric(0.3, n),
                           lambda g, n: lambda: g.geometric(0.3, n),
                           lambda t, g, n: lambda: t.empty(n, dtype=t.float64).geometric_(0.3, generator=g)),
    "standard_cauchy f64": ("standard_cauchy", 8, lambda s, n: lambda: s.standard_cauchy(n),
                            lambda g, n: lambda: g.standard_cauchy(n),
                            lambda t, g, n: lambda: t.empty(n, dtype=t.float64).cauchy_(generator=g)),
    "lognormal(0,1) f64": ("lognormal", 8, lambda s, n: lambda: s.lognormal(0.0, 1.0, n),
                           lambda g, n: lambda: g.lognormal(0.0, 1.0, n),
                           lambda t, g, n: lambda: t.empty(n, dtype=t.float64).log_normal_(0.0, 1.0, generator=g)),
    "beta(2,3) f64": ("beta", 8, lambda s, n: lambda: s.beta(2.0, 3.0, n), lambda g, n: lambda: g.beta(2.0, 3.0, n),
                      lambda t, g, n: (lambda a=t.tensor([2.0, 3.0], dtype=t.float64).repeat(n, 1):
                                       lambda: t._sample_dirichlet(a, generator=g)[:, 0])()),
    "standard_t(5) f64": ("standard_t", 8, lambda s, n: lambda: s.standard_t(5.0, n),
                          lambda g, n: lambda: g.standard_t(5.0, n), None),
    "dirichlet(1,2,3) f64": ("dirichlet", 8, lambda s, n: lambda: s.dirichlet([1.0, 2.0, 3.0], n // 3),
                             lambda g, n: lambda: g.dirichlet([1.0, 2.0, 3.0], n // 3),
                             lambda t, g, n: (lambda a=t.tensor([1.0, 2.0, 3.0], dtype=t.float64).repeat(n // 3, 1):
                                              lambda: t._sample_dirichlet(a, generator=g))()),
    "truncated_normal(0,1,-2,2) f64": ("truncated_normal", 8,
                                       lambda s, n: lambda: s.truncated_normal(0.0, 1.0, -2.0, 2.0, n),
                                       None,  # numpy has none
                                       lambda t, g, n: lambda: t.nn.init.trunc_normal_(
                                           t.empty(n, dtype=t.float64), 0.0, 1.0, -2.0, 2.0, generator=g)),
    "multinomial(20,[.2,.3,.5]) i64": ("multinomial", 8, lambda s, n: lambda: s.multinomial(20, _P3, n // 3),
                                       lambda g, n: lambda: g.multinomial(20, _P3, n // 3), None),
    # per logit: n // 10 rows of 10; numpy by Gumbel-max, torch by torch.multinomial of the softmax
    "categorical(10 logits) i64": ("categorical", 8,
                                   lambda s, n: (lambda x=np.random.default_rng(1).standard_normal((n // 10, 10)):
                                                 lambda: s.categorical(x))(),
                                   lambda g, n: (lambda x=np.random.default_rng(1).standard_normal((n // 10, 10)):
                                                 lambda: np.argmax(x + g.gumbel(size=x.shape), axis=-1))(),
                                   lambda t, g, n: (lambda x=t.randn(n // 10, 10, dtype=t.float64):
                                                    lambda: t.multinomial(t.softmax(x, -1), 1, generator=g))()),
}
_LEGACY_DIST_OPS = ("gamma(2.5) f64", "poisson(4) i64")  # rows of OPS above

# The distribution rows, in issue 11's order: the ones whose Stream method exists in this philox.
DIST_OPS = tuple(op for op in ("standard_exponential f32", "standard_exponential f64", "exponential(2.5) f64",
                               "gumbel(0,1) f64", "logistic(0,1) f64", "laplace(0,1) f64", "gamma(2.5) f64",
                               "gamma(0.5) f64", "chisquare(3) f64", "poisson(4) i64", "poisson(100) i64",
                               "binomial(20,0.3) i64", "binomial(1000,0.4) i64", "bernoulli(0.3) bool",
                               "geometric(0.3) i64", "standard_cauchy f64", "lognormal(0,1) f64", "beta(2,3) f64",
                               "standard_t(5) f64", "dirichlet(1,2,3) f64", "truncated_normal(0,1,-2,2) f64",
                               "multinomial(20,[.2,.3,.5]) i64", "categorical(10 logits) i64")
                 if op in _LEGACY_DIST_OPS or hasattr(philox.Stream, _DISTS[op][0]))
# Array-parameter rows (FORMAT 23, issue 11): one parameter per element, varied so that a row takes both
# algorithms of its draw (inversion and PTRS / BTRS, shapes below and above 1), the same arrays for
# philox, numpy and torch (made once, outside the timing).
def _u(n, lo, hi, seed=5):
    return np.random.default_rng(seed).uniform(lo, hi, n)


_DISTS.update({
    "poisson(lam array) i64": ("poisson", 8, lambda s, n: (lambda a=_u(n, 0.0, 20.0): lambda: s.poisson(a))(),
                               lambda g, n: (lambda a=_u(n, 0.0, 20.0): lambda: g.poisson(a))(),
                               lambda t, g, n: (lambda a=t.from_numpy(_u(n, 0.0, 20.0)):
                                                lambda: t.poisson(a, generator=g))()),
    "binomial(n array,0.375) i64": (
        "binomial", 8,
        lambda s, n: (lambda c=np.random.default_rng(5).integers(1, 60, n): lambda: s.binomial(c, 0.375))(),
        lambda g, n: (lambda c=np.random.default_rng(5).integers(1, 60, n): lambda: g.binomial(c, 0.375))(),
        lambda t, g, n: (lambda c=t.from_numpy(np.random.default_rng(5).integers(1, 60, n).astype(np.float32)),
                         q=_full(t, n, 0.375, t.float32): lambda: t.binomial(c, q, generator=g))()),
    "gamma(array) f64": ("standard_gamma", 8, lambda s, n: (lambda a=_u(n, 0.2, 5.0): lambda: s.standard_gamma(a))(),
                         lambda g, n: (lambda a=_u(n, 0.2, 5.0): lambda: g.standard_gamma(a))(),
                         lambda t, g, n: (lambda a=t.from_numpy(_u(n, 0.2, 5.0)):
                                          lambda: t._standard_gamma(a, generator=g))()),
    "beta(array,array) f64": ("beta", 8,
                              lambda s, n: (lambda a=_u(n, 0.2, 5.0), b=_u(n, 0.2, 5.0, 6): lambda: s.beta(a, b))(),
                              lambda g, n: (lambda a=_u(n, 0.2, 5.0), b=_u(n, 0.2, 5.0, 6): lambda: g.beta(a, b))(),
                              lambda t, g, n: (lambda ab=t.from_numpy(np.stack([_u(n, 0.2, 5.0), _u(n, 0.2, 5.0, 6)],
                                                                               1)):
                                               lambda: t._sample_dirichlet(ab, generator=g)[:, 0])()),
})


def _row_of_8(method, lo, hi, torch_draw):
    """A row with a parameter per column: an (8,) vector from lo to hi against size=(n / 8, 8) (per-column
    rates, shapes); torch draws from the vector tiled to the output's size (made outside the timing)."""
    vec = np.linspace(lo, hi, 8)
    return (method, 8,
            lambda s, n: lambda: getattr(s, method)(vec, size=(n // 8, 8)),
            lambda g, n: lambda: getattr(g, method)(vec, size=(n // 8, 8)),
            lambda t, g, n: (lambda a=t.from_numpy(np.tile(vec, n // 8)): lambda: torch_draw(t, a, g))())


_DISTS.update({
    "poisson(row of 8 lams) i64": _row_of_8("poisson", 1.0, 50.0, lambda t, a, g: t.poisson(a, generator=g)),
    "gamma(row of 8 shapes) f64": _row_of_8("standard_gamma", 0.5, 5.0,
                                            lambda t, a, g: t._standard_gamma(a, generator=g)),
})
DIST_OPS += tuple(op for op in ("poisson(lam array) i64", "binomial(n array,0.375) i64", "gamma(array) f64",
                                "beta(array,array) f64", "poisson(row of 8 lams) i64", "gamma(row of 8 shapes) f64")
                  if hasattr(philox.Stream, _DISTS[op][0]))
OPS.update({op: _DISTS[op][1] for op in DIST_OPS if op in _DISTS})

# GPU rows: the same ops except raw words (torch has no full-range uint32 draw to match).
GPU_OPS = ("rand f32", "rand f64", "randint(0,1000) i64", "randn f32", "randn f64")

# What the summary and the chart compare philox with, per device (each library's one-thread rows;
# those not installed or without a row for an op are left out).
REFERENCES = {"cpu": ("numpy PCG64", "numpy Philox", "randomgen Philox4x32", "torch"), "cuda": ("torch",)}

_NP_DTYPE = {"rand f32": np.float32, "rand f64": np.float64, "randint(0,1000) i64": np.int64,
             "randn f32": np.float32, "randn f64": np.float64, "random_raw u32": np.uint32,
             "gamma(2.5) f64": np.float64, "poisson(4) i64": np.int64}


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
        if op.startswith("gamma"):
            return lambda: s.standard_gamma(2.5, n)
        if op.startswith("poisson"):
            return lambda: s.poisson(4.0, n)
        return lambda: s.random_raw(n, dtype=np.uint32)

    def out(n):
        buf = np.empty(n, dt)
        if op.startswith("rand f"):
            return lambda: s.rand(out=buf)
        if op.startswith("randn"):
            return lambda: s.randn(out=buf)
        if op.startswith("randint"):
            return lambda: s.randint(0, 1000, out=buf)
        if op.startswith("gamma"):
            return lambda: s.standard_gamma(2.5, out=buf)
        if op.startswith("poisson"):
            return lambda: s.poisson(4.0, out=buf)
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
        if op.startswith("gamma"):
            return lambda: g.standard_gamma(2.5, n)
        if op.startswith("poisson"):
            return lambda: g.poisson(4.0, n)
        return lambda: g.integers(0, 1 << 32, n, dtype=np.uint32)  # full range: raw 32-bit words

    def out(n):
        g = gen()
        buf = np.empty(n, dt)
        if op.startswith("rand f"):
            return lambda: g.random(dtype=dt, out=buf)
        if op.startswith("gamma"):
            return lambda: g.standard_gamma(2.5, out=buf)
        return lambda: g.standard_normal(dtype=dt, out=buf)

    yield lib, "new", 1, new
    if op.startswith(("rand f", "randn", "gamma")):  # Generator.integers has no out=
        yield lib, "out", 1, out


def _torch_cands(op: str, torch, threads: Sequence[int]):
    if op.startswith("random_raw"):
        return
    if op.startswith(("gamma", "poisson")):  # torch's counterparts take a parameter tensor (made once)
        def param_new(n):
            g = torch.Generator().manual_seed(20240601)
            if op.startswith("gamma"):
                alpha = torch.full((n,), 2.5, dtype=torch.float64)
                return lambda: torch._standard_gamma(alpha, generator=g)
            rates = torch.full((n,), 4.0, dtype=torch.float64)
            return lambda: torch.poisson(rates, generator=g)
        for t in threads:
            yield "torch", "new", t, param_new
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


def _dist_cands(op: str, threads: Sequence[int], torch):
    """A distribution row's candidates (fresh output only): philox per thread count, numpy PCG64,
    torch per thread count where it has a counterpart."""
    _, _, mine, ref, theirs = _DISTS[op]
    s = philox.Stream(20240601, "bench", op)
    for t in threads:
        yield "philox", "new", t, lambda n: mine(s, n)
    if ref is not None:
        yield "numpy PCG64", "new", 1, lambda n: ref(np.random.Generator(np.random.PCG64(20240601)), n)
    if torch is not None and theirs is not None:
        for t in threads:
            yield "torch", "new", t, lambda n: theirs(torch, torch.Generator().manual_seed(20240601), n)


def _candidates(op: str, threads: Sequence[int], torch, randomgen):
    if op in _DISTS:
        yield from _dist_cands(op, threads, torch)
        return
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


# The clock of the timed calls: wall-clock time (the default), or with --clock cpu the CPU time of
# this process (time.process_time): on a shared machine a one-thread row then counts only the time
# the process ran, not the time other processes held the core; with more threads it is their sum.
_CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


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
                t0 = _clock()
                r = fn()
                t1 = _clock()
                del r  # freeing (munmap) is not timed, for anyone
                times[i].append(t1 - t0)
    finally:
        if gc_was:
            gc.enable()
    return [max(median(ts), 1e-9) for ts in times]  # a coarse process clock can read 0


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
            rows.append(dict(device="cpu", op=f"memory fill {itemsize}B", lib="np.empty+fill" if variant == "new" else "ndarray.fill",
                             variant=variant, threads=1, n=n, bytes_per_value=itemsize, seconds=t,
                             ns_per_value=t / n * 1e9, gb_per_s=n * itemsize / t / 1e9, ratio=None, pct_bw=None))
    return rows


# ---------------------------------------------------------------- GPU
def gpu_available(torch=None) -> bool:
    """True when torch is installed and ``torch.cuda.is_available()``."""
    torch = _optional("torch") if torch is None else torch
    try:
        return torch is not None and bool(torch.cuda.is_available())
    except Exception:
        return False


def _gpu_rows(n: int, ops: Sequence[str], repeats: int, torch, progress, device: str = "cuda") -> List[dict]:
    """philox's public API on ``device`` against torch's own draws there, synchronized.

    (``device="cpu"`` runs the same code without a GPU: the tests use it.)
    """
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    rows: List[dict] = []

    def timed(fn):
        def call():
            r = fn()
            sync()
            return r
        return call

    bw = {}
    for itemsize, tdt in ((4, torch.float32), (8, torch.float64)):
        buf = torch.empty(n, dtype=tdt, device=dev)
        t_out, t_new = _time_round_robin(
            [(lambda: None, timed(lambda buf=buf: buf.fill_(1.0))),
             (lambda: None, timed(lambda tdt=tdt: torch.empty(n, dtype=tdt, device=dev).fill_(1.0)))], repeats)
        del buf
        for variant, t in (("out", t_out), ("new", t_new)):
            bw[(variant, itemsize)] = n * itemsize / t / 1e9
            rows.append(dict(device=dev.type, op=f"memory fill {itemsize}B",
                             lib="torch.empty+fill_" if variant == "new" else "fill_", variant=variant, threads=1,
                             n=n, bytes_per_value=itemsize, seconds=t, ns_per_value=t / n * 1e9,
                             gb_per_s=bw[(variant, itemsize)], ratio=None, pct_bw=None))
    if progress:
        progress(f"n={n}: {dev.type} memory fill done")
    for op in ops:
        tdt = {"rand f32": torch.float32, "rand f64": torch.float64, "randn f32": torch.float32,
               "randn f64": torch.float64, "randint(0,1000) i64": torch.int64}[op]
        s = philox.Stream(20240601, "bench", op, dev.type)
        g = torch.Generator(device=dev).manual_seed(20240601)
        pbuf = torch.empty(n, dtype=tdt, device=dev)
        tbuf = torch.empty(n, dtype=tdt, device=dev)
        if op.startswith("rand f"):
            cands = [("philox", "new", lambda: s.rand(n, dtype=tdt, device=dev)),
                     ("philox", "out", lambda: s.rand(out=pbuf)),
                     ("torch", "new", lambda: torch.rand(n, dtype=tdt, device=dev, generator=g)),
                     ("torch", "out", lambda: torch.rand(n, generator=g, out=tbuf))]
        elif op.startswith("randn"):
            cands = [("philox", "new", lambda: s.randn(n, dtype=tdt, device=dev)),
                     ("philox", "out", lambda: s.randn(out=pbuf)),
                     ("torch", "new", lambda: torch.randn(n, dtype=tdt, device=dev, generator=g)),
                     ("torch", "out", lambda: torch.randn(n, generator=g, out=tbuf))]
        else:
            cands = [("philox", "new", lambda: s.randint(0, 1000, n, dtype=tdt, device=dev)),
                     ("philox", "out", lambda: s.randint(0, 1000, out=pbuf)),
                     ("torch", "new", lambda: torch.randint(0, 1000, (n,), dtype=tdt, device=dev, generator=g)),
                     ("torch", "out", lambda: torch.randint(0, 1000, (n,), generator=g, out=tbuf))]
        secs = _time_round_robin([(lambda: None, timed(fn)) for _, _, fn in cands], repeats)
        ref = {v: t for (lib, v, _), t in zip(cands, secs) if lib == "torch"}
        bpv = OPS[op]
        for (lib, variant, _), t in zip(cands, secs):
            gbps = n * bpv / t / 1e9
            rows.append(dict(device=dev.type, op=op, lib=lib, variant=variant, threads=1, n=n, bytes_per_value=bpv,
                             seconds=t, ns_per_value=t / n * 1e9, gb_per_s=gbps, ratio=ref[variant] / t,
                             pct_bw=100.0 * gbps / bw[(variant, bpv)]))
        if progress:
            progress(f"n={n}: {dev.type} {op} done")
    return rows


def count_steps(n, ops: Optional[Sequence[str]] = None, gpu: bool = False) -> int:
    """How many times ``run(n, ops=ops, gpu=gpu)`` calls ``progress``."""
    ns = 1 if np.isscalar(n) else len(n)
    ops = list(DEFAULT_OPS) if ops is None else list(ops)
    per_n = 1 + len(ops)
    if gpu:
        per_n += 1 + len([op for op in ops if op in GPU_OPS])
    return ns * per_n


# ---------------------------------------------------------------- isolate
def isolate_cost(calls: int = 300, repeats: int = 9) -> Dict[str, float]:
    """Microseconds per entry + exit of an empty ``philox.isolate`` block (median of ``repeats``
    batches of ``calls``), on a generator of its own: ``"with torch"`` (random, numpy and
    torch CPU states swapped; only when torch is installed) and ``"without torch"``
    (random and numpy only, as on a numpy-only install)."""
    from . import _globals_state as gs
    out: Dict[str, float] = {}
    block = philox.Generator(0).isolate("philox bench", "isolate cost")  # not the default generator
    saved = list(gs._torch_cache)

    def measure() -> float:
        with block:  # the first entry seeds the path's states: not timed
            pass
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(calls):
                with block:
                    pass
            ts.append((time.perf_counter() - t0) / calls * 1e6)
        return median(ts)

    try:
        if gs.torch_cached() is not None:
            out["with torch"] = measure()
        gs._torch_cache[:] = [None]
        out["without torch"] = measure()
    finally:
        gs._torch_cache[:] = saved
    return out


# ---------------------------------------------------------------- small draws
# Per-sample code draws a few values per call: the fixed cost per call (issue 9). Rows: (philox
# statement, reference, reference statement, target = most philox time / reference time allowed).
SMALL_DRAWS = (
    ("Stream(seed, 'aug', e, i).rand(10)", "numpy random(10)", "g.random(10)", 2.0),
    ("Stream(seed, id=k).rand(10)", "numpy random(10)", "g.random(10)", 2.0),
    ("key.stream('aug').rand(10)", "numpy random(10)", "g.random(10)", 2.0),  # a SampleKey's per-sample stream
    ("s.rand()", "numpy random()", "g.random()", 1.5),
    ("s.randint(0, 10)", "numpy integers(0, 10)", "g.integers(0, 10)", 1.5),
    ("s.rand(10, dtype=torch.float32)", "torch.rand(10)", "torch.rand(10)", 1.5),
)


def small_draws(calls: int = 2000, repeats: int = 9) -> List[dict]:
    """Microseconds per call of the small draws of ``SMALL_DRAWS`` and of their numpy / torch
    counterparts (an existing ``numpy.random.Generator``, ``torch.rand`` on one thread), each the
    median of ``repeats`` batches of ``calls`` calls, all statements timed round-robin. Timed in
    CPU time of this process (``time.process_time``): a call takes well under a scheduler tick, so
    on a shared machine wall-clock batches mostly measure how often the process was preempted.
    The torch row only when torch is importable. Row keys: draw, us, ref, ref_us, ratio (philox /
    reference), target, ok (ratio <= target)."""
    import timeit
    torch = _optional("torch")
    ns = {"philox": philox, "torch": torch, "g": np.random.default_rng(1), "seed": 20240601, "e": 3, "i": 12345,
          "k": philox.stream_id("sample", 3, 12345), "s": philox.Stream(20240601, "bench", "small"),
          "key": philox.SampleKey(12345, epoch=3, seed=20240601)}
    cases = [c for c in SMALL_DRAWS if torch is not None or "torch" not in c[0]]
    stmts = list(dict.fromkeys([c[0] for c in cases] + [c[2] for c in cases]))
    timers = {st: timeit.Timer(st if st.startswith(("g.", "torch.", "s.", "key.")) else "philox." + st,
                               timer=time.process_time, globals=ns) for st in stmts}
    times: Dict[str, List[float]] = {st: [] for st in stmts}
    threads = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(1)
        for st in stmts:
            timers[st].timeit(max(1, calls // 10))  # warm-up
        for r in range(repeats):
            for st in stmts[r % len(stmts):] + stmts[:r % len(stmts)]:
                times[st].append(timers[st].timeit(calls) / calls * 1e6)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)
    rows = []
    for draw, ref, ref_stmt, target in cases:
        us, ref_us = median(times[draw]), median(times[ref_stmt])
        ratio = us / ref_us if ref_us > 0 else float("inf")  # (a coarse process clock can read 0)
        rows.append(dict(draw=draw, us=us, ref=ref, ref_us=ref_us, ratio=ratio, target=target, ok=ratio <= target))
    return rows


def run(n=10**7, threads=(1, 2), repeats: int = 9, progress: Optional[Callable[[str], None]] = None,
        ops: Optional[Sequence[str]] = None, gpu: Optional[bool] = False, clock: str = "wall") -> List[dict]:
    """Measure every candidate for each n; returns rows (dicts).

    ``ops``: names of ``OPS`` (default ``DEFAULT_OPS``; ``DIST_OPS`` are the distribution rows).
    ``n`` is an int or a sequence of ints; ``progress(message)`` is called as
    each group finishes (``count_steps`` says how many groups there are). Row
    keys: device ("cpu"/"cuda"), op, lib, variant ("new"/"out"), threads, n,
    bytes_per_value, seconds (median), ns_per_value, gb_per_s, ratio (numpy
    PCG64 seconds / this row's, same op and variant, None where numpy has no
    such variant; on cuda: torch's seconds / this row's), pct_bw (percent of
    the memory-fill bandwidth of the variant and device).

    ``gpu``: False (CPU rows only, the default), True (GPU rows too; ValueError
    if ``torch.cuda`` is not available) or None (GPU rows when it is).
    ``clock``: "wall" (wall-clock time, the default) or "cpu" (this process's CPU time: one-thread
    rows on a shared machine; it adds up the threads of a threaded call).

    Raises:
        ValueError: ``repeats < 1``, an n below 1, an unknown op or clock, or ``gpu=True``
            without a usable ``torch.cuda``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if clock not in _CLOCKS:
        raise ValueError(f"clock must be one of {sorted(_CLOCKS)}, got {clock!r}")
    ns = [int(n)] if np.isscalar(n) else [int(x) for x in n]
    if not ns or min(ns) < 1:
        raise ValueError(f"n must be one or more positive ints, got {n!r}")
    threads = tuple(int(t) for t in threads)
    ops = list(DEFAULT_OPS) if ops is None else list(ops)
    for op in ops:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}; choose from {list(OPS)}")
    torch = _optional("torch")
    randomgen = _optional("randomgen")
    use_gpu = gpu_available(torch) if gpu is None else bool(gpu)
    if use_gpu and not gpu_available(torch):
        raise ValueError("gpu=True needs torch with a working CUDA device")
    if use_gpu and clock != "wall":
        raise ValueError("GPU rows are timed in wall-clock time (clock='wall')")
    saved_philox = philox.get_num_threads()
    saved_torch = torch.get_num_threads() if torch is not None else None
    rows: List[dict] = []
    global _clock
    saved_clock, _clock = _clock, _CLOCKS[clock]
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
                    rows.append(dict(device="cpu", op=op, lib=lib, variant=variant, threads=t, n=nn, bytes_per_value=bpv,
                                     seconds=s, ns_per_value=s / nn * 1e9, gb_per_s=gbps,
                                     ratio=(ref[variant] / s) if variant in ref else None,
                                     pct_bw=100.0 * gbps / bw[variant][bpv] if bpv in bw[variant] else None))
                if progress:
                    progress(f"n={nn}: {op} done ({len(cands)} candidates)")
            if use_gpu:
                rows.extend(_gpu_rows(nn, [op for op in ops if op in GPU_OPS], repeats, torch, progress))
    finally:
        _clock = saved_clock
        philox.set_num_threads(saved_philox)
        if torch is not None:
            torch.set_num_threads(saved_torch)
    return rows


# ---------------------------------------------------------------- reporting
def machine_info() -> Dict[str, str]:
    """What the numbers depend on: CPU, cores, ISA, versions, GPU, git commit, load."""
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
        here = os.path.dirname(os.path.abspath(__file__))  # src/philox in a checkout (editable install)
        root = subprocess.run(["git", "-C", here, "rev-parse", "--show-toplevel"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        head = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "src", "csrc", "CMakeLists.txt"],
                               capture_output=True, text=True, timeout=10).stdout.strip() if root else ""
        if head and root and os.path.isfile(os.path.join(root, "csrc", "philox.h")):
            tree = head + (" + uncommitted changes in src/csrc" if dirty else "")
    except Exception:
        pass
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except (AttributeError, OSError):
        load = "unknown"
    gpu = "none"
    if gpu_available(torch):
        try:
            gpu = f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda}, {torch.cuda.device_count()} device(s))"
        except Exception:
            gpu = "available"
    return {
        "cpu": model,
        "cores": f"{os.cpu_count()} logical, {avail} usable",
        "philox isa": philox._core.isa(),
        "philox": philox.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else "not installed",
        "randomgen": randomgen.__version__ if randomgen is not None else "not installed",
        "gpu": gpu,
        "os": f"{platform.system()} {platform.release()}",
        "git": tree,
        "load avg": load + " (1/5/15 min, at start)",
    }


def format_table(rows: List[dict]) -> str:
    """The rows as a text table, one block per n (CPU rows, then GPU rows)."""
    w = max([20] + [len(r["op"]) for r in rows])  # the op column fits the longest name
    head = f"{'op':<{w}} {'library':<21} {'thr':>3} {'var':<3} {'ns/value':>9} {'GB/s':>7} {'%bw':>5} {'ratio':>6}"
    lines = []
    for dev in ("cpu", "cuda"):
        for nn in sorted({r["n"] for r in rows if r.get("device", "cpu") == dev}):
            lines.append(f"n = {nn:,}" + ("" if dev == "cpu" else "  GPU (cuda): ratio = torch cuda time / this time"))
            lines.append(head)
            lines.append("-" * len(head))
            last_op = None
            for r in (r for r in rows if r["n"] == nn and r.get("device", "cpu") == dev):
                if last_op is not None and r["op"] != last_op:
                    lines.append("")
                last_op = r["op"]
                ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
                pct = "" if r["pct_bw"] is None else f"{r['pct_bw']:.0f}"
                lines.append(f"{r['op']:<{w}} {r['lib']:<21} {r['threads']:>3} {r['variant']:<3} "
                             f"{r['ns_per_value']:>9.2f} {r['gb_per_s']:>7.2f} {pct:>5} {ratio:>6}")
            lines.append("")
    return "\n".join(lines)


def _new_rows(rows: List[dict], dev: str, nn: int) -> List[dict]:
    return [r for r in rows if r.get("device", "cpu") == dev and r["n"] == nn and r["variant"] == "new"]


def compare(rows: List[dict]) -> List[dict]:
    """What a user compares, per device, n and op (fresh output each call): philox's ns per value at
    each thread count, each reference library's time / philox's one-thread time (``vs``; above 1,
    philox is faster; references at one thread), and philox's speed as a percent of the memory
    fill of the same bytes (``pct_fill``, the ceiling for any generator). ``summary`` prints it,
    ``plot`` draws it."""
    out = []
    for dev in ("cpu", "cuda"):
        for nn in sorted({r["n"] for r in rows if r.get("device", "cpu") == dev}):
            drows = _new_rows(rows, dev, nn)
            fill = {r["bytes_per_value"]: r for r in drows if r["op"].startswith("memory fill")}
            for op in dict.fromkeys(r["op"] for r in drows if not r["op"].startswith("memory fill")):
                mine = {r["threads"]: r for r in drows if r["op"] == op and r["lib"] == "philox"}
                if 1 not in mine:
                    continue
                p1 = mine[1]["seconds"]
                refs = {r["lib"]: r["seconds"] for r in drows if r["op"] == op and r["threads"] == 1}
                f = fill.get(mine[1]["bytes_per_value"])
                out.append(dict(
                    device=dev, n=nn, op=op,
                    philox_ns={t: r["ns_per_value"] for t, r in sorted(mine.items())},
                    vs={lib: refs[lib] / p1 for lib in REFERENCES[dev] if lib in refs},
                    ref_ns={lib: refs[lib] / nn * 1e9 for lib in REFERENCES[dev] if lib in refs},
                    fill_ns=None if f is None else f["ns_per_value"],
                    pct_fill={t: 100.0 * f["seconds"] / r["seconds"] for t, r in sorted(mine.items())} if f else {}))
    return out


def summary(rows: List[dict]) -> str:
    """The comparison a user reads (see ``compare``): one block per device and n."""
    comp = compare(rows)
    lines = []
    for dev in ("cpu", "cuda"):
        for nn in sorted({c["n"] for c in comp if c["device"] == dev}):
            block = [c for c in comp if c["device"] == dev and c["n"] == nn]
            refs = [lib for lib in REFERENCES[dev] if any(lib in c["vs"] for c in block)]
            threads = sorted({t for c in block for t in c["philox_ns"]})
            lines.append(f"{'CPU' if dev == 'cpu' else 'GPU (cuda)'}, n = {nn:,}, fresh output each call:")
            w = max([20] + [len(c["op"]) for c in block])
            head = [f"{'op':<{w}}", f"{'philox ns/value':>15}"] + [f"{'vs ' + lib:>{max(9, len(lib) + 3)}}" for lib in refs]
            head += [f"{'philox ' + str(t) + ' thr':>13}" for t in threads if t > 1] if dev == "cpu" else []
            head.append(f"{'% of memory fill':>17}")
            lines.append("  " + " ".join(head))
            for c in block:
                cells = [f"{c['op']:<{w}}", f"{c['philox_ns'][1]:>15.2f}"]
                cells += [f"{(format(c['vs'][lib], '.2f') + 'x') if lib in c['vs'] else '':>{max(9, len(lib) + 3)}}"
                          for lib in refs]
                if dev == "cpu":
                    cells += [f"{(format(c['philox_ns'][t], '.2f') + ' ns') if t in c['philox_ns'] else '':>13}"
                              for t in threads if t > 1]
                pct = " / ".join(f"{c['pct_fill'][t]:.0f}%" for t in threads if t in c["pct_fill"])
                cells.append(f"{pct:>17}")
                lines.append("  " + " ".join(cells))
            lines.append("")
    if lines:
        lines += [
            "philox ns/value: one thread. vs X: X's time / philox's time, both on one thread (above 1: philox",
            "is faster). % of memory fill: philox's speed as a share of only writing the same bytes (np.empty +",
            "fill; on a GPU torch.empty + fill_), the ceiling for any generator; per thread count "
            + "/".join(str(t) for t in sorted({t for c in comp for t in c["philox_ns"]})) + ".",
        ]
    return "\n".join(lines)


def plot(rows: List[dict], path: str, title: str = "") -> None:
    """A bar chart (PNG) of ``compare(rows)``: one panel per device and n, one group of horizontal
    bars per op: philox (each thread count), the other libraries and the memory fill, as speed
    relative to the device's first reference (numpy PCG64 on the CPU, torch on a GPU) on a log
    scale, so fast and slow rows stay readable; each bar is labelled with that ratio and its ns per
    value. The legend sits below the panels. Needs matplotlib (ImportError otherwise)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comp = compare(rows)
    panels = [(dev, nn) for dev in ("cpu", "cuda") for nn in sorted({c["n"] for c in comp if c["device"] == dev})]
    if not panels:
        raise ValueError("no philox rows to plot")
    colors = plt.get_cmap("tab10").colors
    style: Dict[str, dict] = {}  # series name -> bar style, the same in every panel

    def series_style(name: str) -> dict:
        if name not in style:
            if name == "memory fill (limit)":
                style[name] = dict(color="0.85", edgecolor="0.3", hatch="//")
            else:
                style[name] = dict(color=colors[len([s for s in style if s != "memory fill (limit)"]) % 10])
        return style[name]

    heights = []
    for dev, nn in panels:
        block = [c for c in comp if c["device"] == dev and c["n"] == nn]
        heights.append(sum(len(c["philox_ns"]) + len(c["ref_ns"]) + 1 for c in block) * 0.26 + 1.2)
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, sum(heights) + 1.0), squeeze=False,
                             gridspec_kw=dict(height_ratios=heights))
    handles: Dict[str, object] = {}
    for ax, (dev, nn) in zip(axes[:, 0], panels):
        block = [c for c in comp if c["device"] == dev and c["n"] == nn]
        base_lib = next((lib for lib in REFERENCES[dev] if all(lib in c["ref_ns"] for c in block)), None)
        y, ticks, labels = 0.0, [], []
        lo, hi = 1.0, 1.0
        for c in block:
            base = c["ref_ns"][base_lib] if base_lib else c["philox_ns"][1]
            bars = [(f"philox ({t} thread{'s' if t > 1 else ''})", ns) for t, ns in c["philox_ns"].items()]
            bars += [(lib, ns) for lib, ns in c["ref_ns"].items() if lib != base_lib]
            if c["fill_ns"]:
                bars.append(("memory fill (limit)", c["fill_ns"]))
            top = y
            for name, ns in bars:
                ratio = base / ns
                lo, hi = min(lo, ratio), max(hi, ratio)
                # bars start at the reference (1): rightwards faster, leftwards slower
                h = ax.barh(y, ratio - 1.0, left=1.0, height=0.8, label=name, **series_style(name))
                handles.setdefault(name, h)
                ax.text(max(ratio, 1.0) * 1.04, y, f"{ratio:.2f}x  ({ns:.3g} ns)", va="center", fontsize=7.5)
                y += 1
            ticks.append((top + y - 1) / 2)
            labels.append(c["op"])
            y += 0.8  # a gap between ops
        ax.set_xscale("log")
        ax.set_xlim(lo / 1.6, hi * 4.5)  # room for the labels right of the longest bar
        line = ax.axvline(1.0, color="black", linewidth=0.8)
        handles.setdefault(f"{base_lib or 'philox (1 thread)'} (= 1)", line)
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ref = base_lib or "philox (1 thread)"
        ax.set_xlabel(f"speed relative to {ref} (its time / this time; log scale, higher is faster); "
                      "labels: ratio (ns per value)", fontsize=8.5)
        ax.set_title(f"{'CPU' if dev == 'cpu' else 'GPU (cuda)'}, n = {nn:,} values per call, fresh output"
                     + (f"\n{title}" if title else ""), fontsize=10)
        ax.grid(axis="x", which="both", alpha=0.25)
    legend = fig.legend(list(handles.values()), list(handles.keys()), loc="lower center",
                        ncol=min(4, len(handles)), fontsize=8.5, frameon=False)
    fig.canvas.draw()  # the legend's height, so the panels end above it
    fig.tight_layout(rect=(0, legend.get_window_extent().height / fig.bbox.height + 0.005, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


_MAX_N = 1 << 32  # values per draw; the table allocates several outputs of this many 8-byte values


def _parse_n(s: str) -> int:
    t = s.strip().replace("_", "")
    try:
        if "**" in t:
            b, e = t.split("**")
            v = int(b) ** int(e)
        elif "e" in t.lower() or "." in t:
            f = float(t)
            v = int(f) if f.is_integer() else 0  # 1.5 is no count (it was truncated to 1)
        else:
            v = int(t)
    except (ValueError, OverflowError):
        v = 0
    if not isinstance(v, int) or v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive count like 1000, 1e6 or 10**7, got {s!r}")
    if v > _MAX_N:
        raise argparse.ArgumentTypeError(f"{s!r} is more values per draw than this benchmark handles "
                                         f"(at most 2**32)")
    return v


class _Progress:
    """Progress on stderr: tqdm when installed, else a counter line (rewritten in place on a terminal)."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total, self.done, self.quiet = total, 0, quiet
        self.t0 = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.bar = None
        if not quiet:
            tqdm = _optional("tqdm")
            if tqdm is not None and self.tty:
                self.bar = tqdm.tqdm(total=total, file=sys.stderr, unit="group", leave=False)

    def __call__(self, message: str) -> None:
        self.done += 1
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.set_description(message, refresh=False)
            self.bar.update(1)
            return
        line = f"  [{time.perf_counter() - self.t0:6.1f}s] {self.done}/{self.total} {message}"
        if self.tty:
            sys.stderr.write("\r" + line[:119].ljust(119))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.tty and not self.quiet:
            sys.stderr.write("\n")
            sys.stderr.flush()


def add_arguments(ap: argparse.ArgumentParser, cpu_only: bool = False) -> None:
    """The benchmark's options (shared by ``python -m philox bench`` and benchmarks/bench_cpu.py)."""
    ap.add_argument("--n", nargs="+", type=_parse_n, default=[10**7], metavar="N",
                    help="values per draw (e.g. 1000, 1e6, 10**7; several allowed); default 10**7")
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="thread counts for philox/torch rows")
    ap.add_argument("--repeats", type=int, default=9, help="timed calls per measurement (median); default 9")
    ap.add_argument("--ops", nargs="+", choices=list(OPS), metavar="OP", default=None,
                    help=f"subset of ops (quote them): {', '.join(OPS)}")
    ap.add_argument("--clock", choices=sorted(_CLOCKS), default="wall",
                    help="wall: wall-clock time (default); cpu: this process's CPU time (one-thread rows on a "
                         "shared machine; a threaded call counts the time of all its threads)")
    ap.add_argument("--dists", action="store_true",
                    help="add a row per distribution (against numpy's and torch's same draws; long at 10**7)")
    ap.add_argument("--json", metavar="PATH", help="also write machine info and rows as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    if not cpu_only:
        ap.add_argument("--plot", metavar="FILE.png", help="also draw a bar chart (needs matplotlib)")
        ap.add_argument("--no-gpu", action="store_true", help="CPU rows only, even when a GPU is present")


def run_cli(a: argparse.Namespace, cpu_only: bool = False,
            extra: Optional[Callable[[List[dict]], str]] = None) -> int:
    """Run the benchmark for parsed options; prints the table and the summary, then ``extra(rows)``
    if given (benchmarks/bench_cpu.py adds the project's speed targets there). Exit status: 0, or 2
    for bad options (``--plot`` without matplotlib, ``--repeats`` below 1)."""
    plot_path = getattr(a, "plot", None)
    if plot_path and _optional("matplotlib") is None:
        print("error: --plot needs matplotlib, which is not installed (pip install matplotlib, "
              "or pip install \".[bench]\")", file=sys.stderr)
        return 2
    if a.repeats < 1:
        print(f"error: --repeats must be at least 1, got {a.repeats}", file=sys.stderr)
        return 2
    if any(t < 1 for t in a.threads):
        print(f"error: --threads must be positive, got {a.threads}", file=sys.stderr)
        return 2
    for opt, path in (("--json", a.json), ("--plot", plot_path)):
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder is not None and not os.path.isdir(folder):  # say so now, not after the whole run
            print(f"error: {opt} {path}: the folder {folder} does not exist", file=sys.stderr)
            return 2
    gpu = False if cpu_only or getattr(a, "no_gpu", False) or getattr(a, "clock", "wall") != "wall" else gpu_available()
    info = machine_info()
    print(f"philox {'CPU ' if not gpu else ''}benchmark  " + time.strftime("%Y-%m-%d %H:%M %Z"))
    for k, v in info.items():
        print(f"  {k:<11} {v}")
    print(f"  repeats     {a.repeats} timed calls per row after 1 warm-up, median shown")
    if getattr(a, "clock", "wall") == "cpu":
        print("  clock       CPU time of this process (process_time), not wall-clock time")
    print()
    t0 = time.perf_counter()
    ops = a.ops
    if getattr(a, "dists", False):
        ops = list(dict.fromkeys(list(ops or DEFAULT_OPS) + list(DIST_OPS)))
    prog = _Progress(count_steps(a.n, ops, gpu), quiet=a.quiet)
    try:
        rows = run(a.n, threads=a.threads, repeats=a.repeats, progress=prog, ops=ops, gpu=gpu,
                   clock=getattr(a, "clock", "wall"))
    finally:
        prog.close()
    print("All rows (median of the timed calls):")
    print(format_table(rows))
    print("var: new = fresh output each call, out = preallocated output reused (out=).")
    print("%bw: GB/s relative to the memory-fill row of the same variant and element size.")
    print("ratio: numpy PCG64 time / this time, same op and variant (> 1: faster than numpy PCG64);")
    print("       GPU rows: torch's time on the GPU / this time.")
    print()
    print("Summary: philox against the others and the memory limit")
    print(summary(rows))
    if extra is not None:
        text = extra(rows)
        if text:
            print()
            print(text)
    iso = small = None
    if not cpu_only:
        iso = isolate_cost()
        print("\nphilox.isolate, entry + exit of an empty block: " +
              ", ".join(f"{v:.1f} us {k}" for k, v in iso.items()))
        small = small_draws(repeats=a.repeats)
        print("\nSmall draws, us per call (ratio = philox time / reference time; below 1: philox faster):")
        for r in small:
            print(f"  {r['draw']:<42} {r['us']:6.2f}  {r['ref']:<21} {r['ref_us']:6.2f}  ratio {r['ratio']:4.2f}")
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": info, "date": time.strftime("%Y-%m-%d %H:%M %Z"), "repeats": a.repeats,
                       "clock": getattr(a, "clock", "wall"),
                       "rows": rows, "isolate_us": iso, "small_draws": small}, f, indent=1)
    if plot_path:
        plot(rows, plot_path, title=info["cpu"] if not gpu else f"{info['cpu']}; {info['gpu']}")
        print(f"bar chart written to {plot_path}")
    return 0


def main(argv=None, prog: str = "python -m philox bench", cpu_only: bool = False,
         extra: Optional[Callable[[List[dict]], str]] = None) -> int:
    """Command line of the benchmark: parse ``argv`` and run (see ``--help``)."""
    ap = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    add_arguments(ap, cpu_only)
    return run_cli(ap.parse_args(argv), cpu_only, extra)


if __name__ == "__main__":
    sys.exit(main())
