"""The benchmark's distribution rows (philox._bench.DIST_OPS, --dists, benchmarks/bench_dists.py)."""
import os
import runpy
import sys

import pytest

import philox
from philox import _bench

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# issue 11's rows for the distributions philox has had from the start (others appear as they land)
ALWAYS = ("standard_exponential f32", "standard_exponential f64", "exponential(2.5) f64", "gumbel(0,1) f64",
          "logistic(0,1) f64", "laplace(0,1) f64", "gamma(2.5) f64", "gamma(0.5) f64", "chisquare(3) f64",
          "poisson(4) i64", "poisson(100) i64", "binomial(20,0.3) i64", "binomial(1000,0.4) i64")


def test_dist_ops_cover_every_distribution_of_the_stream():
    assert set(ALWAYS) <= set(_bench.DIST_OPS)
    assert set(_bench.DIST_OPS) <= set(_bench.OPS)
    # a row for every distribution method Stream has, and only for those
    for op, spec in _bench._DISTS.items():
        assert (op in _bench.DIST_OPS) == hasattr(philox.Stream, spec[0]), op
    # the default run stays the short one
    assert _bench.DEFAULT_OPS == ("rand f32", "rand f64", "randint(0,1000) i64", "randn f32", "randn f64",
                                  "random_raw u32", "gamma(2.5) f64", "poisson(4) i64")


def test_dist_rows_run_against_numpy_and_torch():
    torch = pytest.importorskip("torch")
    ops = [op for op in _bench.DIST_OPS if op in _bench._DISTS]
    rows = _bench.run(300, threads=(1, 2), repeats=1, ops=ops)
    for op in ops:
        libs = {(r["lib"], r["threads"]) for r in rows if r["op"] == op}
        assert {("philox", 1), ("philox", 2)} <= libs, op
        assert (("numpy PCG64", 1) in libs) == (_bench._DISTS[op][3] is not None), op
        assert (("torch", 1) in libs) == (_bench._DISTS[op][4] is not None), op
        assert all(r["variant"] == "new" and r["seconds"] > 0 for r in rows if r["op"] == op)
        mine = [r for r in rows if r["op"] == op and r["lib"] == "philox"]
        assert all(r["ratio"] is not None for r in mine) == (_bench._DISTS[op][3] is not None)
    assert torch.get_num_threads() >= 1


def test_dists_flag_adds_the_rows(capsys):
    assert _bench.main(["--n", "400", "--repeats", "1", "--threads", "1", "--ops", "rand f32", "--dists",
                        "--quiet"], cpu_only=True) == 0
    out = capsys.readouterr().out
    for op in ("rand f32",) + ALWAYS:
        assert op in out


def test_bench_dists_script(capsys):
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        mod = runpy.run_path(os.path.join(ROOT, "benchmarks", "bench_dists.py"), run_name="bench_dists_test")
    finally:
        sys.path.pop(0)
    assert mod["main"](["--n", "600", "--repeats", "1", "--threads", "1", "--quiet",
                        "--ops", "poisson(100) i64", "gamma(2.5) f64"]) == 0
    out = capsys.readouterr().out
    assert "Speed targets" in out and "poisson(100) i64" in out and "x numpy PCG64 (>= 2x: " in out
    lines = mod["check_targets"]([
        dict(device="cpu", op="poisson(100) i64", lib=lib, variant="new", threads=1, n=10, seconds=s)
        for lib, s in (("philox", 1.0), ("numpy PCG64", 3.0), ("torch", 0.5))])
    assert [" ".join(x.split()) for x in lines] == [
        "n=10 poisson(100) i64 3.00x numpy PCG64 (>= 2x: MET); 0.50x torch (>= 1x: NOT MET)"]


def test_cpu_clock_rows():
    from philox import _bench
    rows = _bench.run(300, threads=(1,), repeats=1, ops=["poisson(100) i64", "rand f32"], clock="cpu")
    assert any(r["lib"] == "philox" and r["op"] == "poisson(100) i64" for r in rows)
    assert _bench._clock is __import__("time").perf_counter  # restored
    with pytest.raises(ValueError, match="clock"):
        _bench.run(10, ops=["rand f32"], clock="sundial")
