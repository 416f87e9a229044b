"""Small helpers shared by the tests (not a test module)."""
import importlib.util

import numpy as np

# Without torch, any device= is refused as a TypeError ("device= needs torch"); with torch, a device
# string torch cannot parse is a ValueError. Either way the call changes nothing.
HAVE_TORCH = importlib.util.find_spec("torch") is not None
BAD_DEVICE_ERROR = ValueError if HAVE_TORCH else TypeError

NP_DTYPES = {"f64": np.float64, "f32": np.float32, "f16": np.float16,
             "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
             "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64}
NP_FLOAT_CODES = ("f64", "f32", "f16")
UINT_OF_SIZE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def bits(a) -> np.ndarray:
    """The bit patterns of a float array (as unsigned ints); integer arrays unchanged.

    Comparing bits distinguishes -0.0 from 0.0 and compares NaNs exactly.
    """
    a = np.ascontiguousarray(np.asarray(a))
    if a.dtype.kind == "f":
        return a.view(UINT_OF_SIZE[a.itemsize])
    return a


def tbits(t) -> np.ndarray:
    """Bit patterns of a torch CPU tensor (any dtype, bfloat16 included) as a numpy array."""
    import torch
    t = t.contiguous()
    if t.is_floating_point():
        view = {2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]
        return t.view(view).numpy().view(UINT_OF_SIZE[t.element_size()])
    return t.numpy()


def assert_bits_equal(actual, expected, what=""):
    a, e = bits(actual), bits(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    if not np.array_equal(a, e):
        bad = np.flatnonzero(a.reshape(-1) != e.reshape(-1))
        i = int(bad[0])
        raise AssertionError(f"{what}: {bad.size} of {a.size} values differ; first at {i}: "
                             f"{a.reshape(-1)[i]!r} != {e.reshape(-1)[i]!r}")


# ------------------------------------------------------------------------------------------------
# Every numpy draw, as (philox call, reference call, words per value). ``draw(stream, n)`` returns
# a flat array of n values; ``ref(refstream, n)`` the reference's (bit patterns for 16-bit floats).
class Spec:
    def __init__(self, name, draw, ref, k):
        self.name, self.draw, self.ref, self.k = name, draw, ref, k

    def __repr__(self):
        return self.name


def _specs():
    out = []

    def add(name, draw, ref, k):
        out.append(Spec(name, draw, ref, k))

    add("raw_u32", lambda s, n: s.random_raw(n), lambda r, n: r.random_raw(n, "u32"), 1)
    add("raw_u64", lambda s, n: s.random_raw(n, dtype=np.uint64), lambda r, n: r.random_raw(n, "u64"), 2)
    add("raw_i32", lambda s, n: s.random_raw(n, dtype=np.int32),
        lambda r, n: r.random_raw(n, "u32").view(np.int32), 1)
    add("raw_i64", lambda s, n: s.random_raw(n, dtype=np.int64),
        lambda r, n: r.random_raw(n, "u64").view(np.int64), 2)
    for c in NP_FLOAT_CODES:
        dt = NP_DTYPES[c]
        k = 2 if c == "f64" else 1
        add(f"rand_{c}", lambda s, n, dt=dt: s.rand(n, dtype=dt), lambda r, n, c=c: r.rand(n, c), k)
        add(f"uniform_-3_5_{c}", lambda s, n, dt=dt: s.uniform(-3, 5, size=n, dtype=dt),
            lambda r, n, c=c: r.uniform(-3, 5, n, c), k)
        add(f"uniform_0_1_{c}", lambda s, n, dt=dt: s.uniform(0.0, 1.0, size=n, dtype=dt),
            lambda r, n, c=c: r.rand(n, c), k)  # FORMAT 2: uniform(0, 1) is exactly rand()
        # 3 units in the last place wide: about 1/6 of the values round up to high and are
        # replaced by the value just below it (FORMAT 2 step 4)
        ulp1 = {"f64": 2.0 ** -52, "f32": 2.0 ** -23, "f16": 2.0 ** -10}[c]
        add(f"uniform_narrow_{c}", lambda s, n, dt=dt, u=ulp1: s.uniform(1.0, 1.0 + 3 * u, size=n, dtype=dt),
            lambda r, n, c=c, u=ulp1: r.uniform(1.0, 1.0 + 3 * u, n, c), k)
        # [1, 2): u has one bit more than the output's precision there, so half of the values are
        # exact ties (round to even), and the largest ones round up to 2 = high (clamped)
        add(f"uniform_1_2_{c}", lambda s, n, dt=dt: s.uniform(1.0, 2.0, size=n, dtype=dt),
            lambda r, n, c=c: r.uniform(1.0, 2.0, n, c), k)
        # subnormals, and high = 0: `below` is the negative number of least magnitude
        tiny = {"f64": 2.0 ** -1074, "f32": 2.0 ** -149, "f16": 2.0 ** -24}[c]
        add(f"uniform_subnormal_{c}", lambda s, n, dt=dt, t=tiny: s.uniform(-3 * t, 0.0, size=n, dtype=dt),
            lambda r, n, c=c, t=tiny: r.uniform(-3 * t, 0.0, n, c), k)
        add(f"uniform_wide_{c}", lambda s, n, dt=dt: s.uniform(-1000.25, 60000.5, size=n, dtype=dt),
            lambda r, n, c=c: r.uniform(-1000.25, 60000.5, n, c), k)
        add(f"randn_{c}", lambda s, n, dt=dt: s.randn(n, dtype=dt), lambda r, n, c=c: r.randn(n, c), k)
        add(f"normal_2_0.5_{c}", lambda s, n, dt=dt: s.normal(2, 0.5, size=n, dtype=dt),
            lambda r, n, c=c: r.normal(2, 0.5, n, c), k)
        add(f"normal_-1_0_{c}", lambda s, n, dt=dt: s.normal(-1, 0, size=n, dtype=dt),
            lambda r, n, c=c: r.normal(-1, 0, n, c), k)
        add(f"standard_exponential_{c}", lambda s, n, dt=dt: s.standard_exponential(n, dtype=dt),
            lambda r, n, c=c: r.standard_exponential(n, c), k)
        add(f"exponential_2.5_{c}", lambda s, n, dt=dt: s.exponential(2.5, size=n, dtype=dt),
            lambda r, n, c=c: r.exponential(2.5, n, c), k)
        for dist in ("gumbel", "logistic", "laplace"):
            add(f"{dist}_-2_0.5_{c}", lambda s, n, dt=dt, d=dist: getattr(s, d)(-2.0, 0.5, size=n, dtype=dt),
                lambda r, n, c=c, d=dist: getattr(r, d)(-2.0, 0.5, n, c), k)
    # float16 rounding corner cases: subnormal halves, and overflow to inf
    add("normal_0_1e-6_f16", lambda s, n: s.normal(0, 1e-6, size=n, dtype=np.float16),
        lambda r, n: r.normal(0, 1e-6, n, "f16"), 1)
    add("normal_0_3e4_f16", lambda s, n: s.normal(0, 3e4, size=n, dtype=np.float16),
        lambda r, n: r.normal(0, 3e4, n, "f16"), 1)
    add("normal_1e300_1e300_f64", lambda s, n: s.normal(1e300, 1e300, size=n, dtype=np.float64),
        lambda r, n: r.normal(1e300, 1e300, n, "f64"), 2)
    for lo, hi, c in [(0, 10, "i64"), (-5, 2 ** 40, "i64"), (0, 2 ** 64, "u64"), (-2 ** 63, 2 ** 63, "i64"),
                      (0, 2 ** 32 + 1, "i64"), (0, 2 ** 32, "u32"), (3, 4, "i64"), (0, 1, "u8"),
                      (-128, 128, "i8"), (-5, 2, "i8"), (-32768, 32768, "i16"), (-2 ** 31, 2 ** 31, "i32"),
                      (0, 256, "u8"), (0, 65536, "u16"), (10, 300, "u16"), (-7, 2 ** 31 - 1, "i32"),
                      (2 ** 64 - 3, 2 ** 64, "u64"), (-2 ** 63, -2 ** 63 + 5, "i64"), (0, 2 ** 63, "u64"),
                      (1, 2 ** 64 - 1, "u64")]:
        dt = NP_DTYPES[c]
        k = 2 if hi - lo <= 2 ** 32 else 4
        add(f"randint_{lo}_{hi}_{c}", lambda s, n, lo=lo, hi=hi, dt=dt: s.randint(lo, hi, size=n, dtype=dt),
            lambda r, n, lo=lo, hi=hi, c=c: r.randint(lo, hi, n, c), k)
    add("randint_high_only", lambda s, n: s.randint(7, size=n), lambda r, n: r.randint(0, 7, n, "i64"), 2)
    # FORMAT 20: bernoulli, geometric, standard_cauchy, lognormal
    for c in NP_FLOAT_CODES:
        dt = NP_DTYPES[c]
        add(f"standard_cauchy_{c}", lambda s, n, dt=dt: s.standard_cauchy(n, dtype=dt),
            lambda r, n, c=c: r.standard_cauchy(n, c), 4 if c == "f64" else 2)
        add(f"lognormal_-1_2.5_{c}", lambda s, n, dt=dt: s.lognormal(-1.0, 2.5, size=n, dtype=dt),
            lambda r, n, c=c: r.lognormal(-1.0, 2.5, n, c), 2 if c == "f64" else 1)
    for p in (0.3, 1e-300, 1.0):
        add(f"geometric_{p:g}", lambda s, n, p=p: s.geometric(p, size=n), lambda r, n, p=p: r.geometric(p, n), 2)
    for p in (0.0, 0.3, 1.0):
        add(f"bernoulli_{p:g}", lambda s, n, p=p: s.bernoulli(p, size=n), lambda r, n, p=p: r.bernoulli(p, n), 1)
    # truncated_normal (FORMAT 22.1): torch's default interval, a mirrored far tail, a half-infinite one
    for args in [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 17.0, 19.0), (0.5, 3.0, float("-inf"), 0.0)]:
        for c, k in (("f64", 2), ("f32", 1)):
            dt = NP_DTYPES[c]
            add(f"truncated_normal_{'_'.join(map(str, args))}_{c}",
                lambda s, n, a=args, dt=dt: s.truncated_normal(*a, size=n, dtype=dt),
                lambda r, n, a=args, c=c: r.truncated_normal(*a, n, c), k)
    return out


SPECS = _specs()
SPEC_BY_NAME = {s.name: s for s in SPECS}


def run_ranks(worker: str, world: int, *args, timeout: float = 300) -> None:
    """Run ``python worker rank world *args`` for every rank at once (a gloo process group the
    worker sets up itself) and assert that each exits 0 (its output in the message otherwise).
    The parent's torch.distributed variables are removed so the workers start clean."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for k in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    procs = [subprocess.Popen([sys.executable, worker, str(r), str(world), *map(str, args)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for r in range(world)]
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=timeout)[0].decode(errors="replace"))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, o in zip(procs, outs):
        assert p.returncode == 0, o[-4000:]
