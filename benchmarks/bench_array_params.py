"""Array-parameter draws (FORMAT 23) against numpy's same call with the same arrays: one thread, 10**6
values, medians of 5 calls of CPU time (time.process_time), philox and numpy alternated.

    python benchmarks/bench_array_params.py [name-substring ...]

Rows: constant arrays (np.full: the runs path), varied ones on one or both sides of an algorithm
switch (poisson lam < 10 / >= 10, binomial n q < 10 / >= 10, shapes < 1 and >= 1), and the arrays of
the "... array" rows of philox._bench.DIST_OPS ("row ...").
"""
import sys
import time
from statistics import median

import numpy as np

import philox
philox.set_num_threads(1)
n = 10**6
rng = np.random.default_rng(0)
cases = {
 "poisson full 4.0": (lambda s, a: s.poisson(*a), lambda g, a: g.poisson(*a), (np.full(n, 4.0),)),
 "poisson U(0.5,20)": (lambda s, a: s.poisson(*a), lambda g, a: g.poisson(*a), (rng.uniform(0.5, 20, n),)),
 "poisson U(0.5,9)": (lambda s, a: s.poisson(*a), lambda g, a: g.poisson(*a), (rng.uniform(0.5, 9, n),)),
 "poisson U(10,200)": (lambda s, a: s.poisson(*a), lambda g, a: g.poisson(*a), (rng.uniform(10, 200, n),)),
 "binomial full 16,.375": (lambda s, a: s.binomial(*a), lambda g, a: g.binomial(*a), (np.full(n, 16), 0.375)),
 "binomial n~U[1,60],.375": (lambda s, a: s.binomial(*a), lambda g, a: g.binomial(*a), (rng.integers(1, 60, n), 0.375)),
 "binomial n~U[1,20],.375": (lambda s, a: s.binomial(*a), lambda g, a: g.binomial(*a), (rng.integers(1, 20, n), 0.375)),
 "binomial n~U[100,1000],p~U": (lambda s, a: s.binomial(*a), lambda g, a: g.binomial(*a),
                                (rng.integers(100, 1000, n), rng.uniform(0.05, 0.95, n))),
 "gamma full 2.5": (lambda s, a: s.standard_gamma(*a), lambda g, a: g.standard_gamma(*a), (np.full(n, 2.5),)),
 "gamma U(1,5)": (lambda s, a: s.standard_gamma(*a), lambda g, a: g.standard_gamma(*a), (rng.uniform(1, 5, n),)),
 "gamma U(0.2,5)": (lambda s, a: s.standard_gamma(*a), lambda g, a: g.standard_gamma(*a), (rng.uniform(0.2, 5, n),)),
 "beta full 2,3": (lambda s, a: s.beta(*a), lambda g, a: g.beta(*a), (np.full(n, 2.0), np.full(n, 3.0))),
 "beta U(1,5),U(1,5)": (lambda s, a: s.beta(*a), lambda g, a: g.beta(*a), (rng.uniform(1, 5, n), rng.uniform(1, 5, n))),
 "beta U(.2,5),U(.2,5)": (lambda s, a: s.beta(*a), lambda g, a: g.beta(*a),
                          (rng.uniform(.2, 5, n), rng.uniform(.2, 5, n))),
 "standard_t U(1,10)": (lambda s, a: s.standard_t(*a), lambda g, a: g.standard_t(*a), (rng.uniform(1, 10, n),)),
 "exponential U": (lambda s, a: s.exponential(*a), lambda g, a: g.exponential(*a), (rng.uniform(0.5, 2, n),)),
 "normal U,U": (lambda s, a: s.normal(*a), lambda g, a: g.normal(*a), (rng.uniform(-1, 1, n), rng.uniform(0.5, 2, n))),
 "geometric U": (lambda s, a: s.geometric(*a), lambda g, a: g.geometric(*a), (rng.uniform(0.05, 0.9, n),)),
}
u = lambda lo, hi, seed=5: np.random.default_rng(seed).uniform(lo, hi, n)
cases.update({
 "row poisson(lam array)": (lambda s, a: s.poisson(*a), lambda g, a: g.poisson(*a), (u(0.0, 20.0),)),
 "row binomial(n array,0.375)": (lambda s, a: s.binomial(*a), lambda g, a: g.binomial(*a),
                                 (np.random.default_rng(5).integers(1, 60, n), 0.375)),
 "row gamma(array)": (lambda s, a: s.standard_gamma(*a), lambda g, a: g.standard_gamma(*a), (u(0.2, 5.0),)),
 "row beta(array,array)": (lambda s, a: s.beta(*a), lambda g, a: g.beta(*a), (u(0.2, 5.0), u(0.2, 5.0, 6))),
})
sel = sys.argv[1:] or list(cases)
reps = 5
for name in cases:
    if not any(k in name for k in sel): continue
    mine, ref, args = cases[name]
    s = philox.Stream(1, "b"); g = np.random.default_rng(1)
    tm, tn = [], []
    mine(s, args); ref(g, args)
    for _ in range(reps):
        t = time.process_time(); mine(s, args); tm.append(time.process_time() - t)
        t = time.process_time(); ref(g, args); tn.append(time.process_time() - t)
    m, r = median(tm) / n * 1e9, median(tn) / n * 1e9
    print(f"{name:32s} philox {m:7.1f} ns  numpy {r:7.1f} ns  numpy/philox {r/m:5.2f}", flush=True)
