"""Make tests/data/golden_v1.json: golden values that freeze stream format v1.

Run from anywhere: ``python tests/data/make_golden.py`` (add ``--check`` to compare with the file
instead of writing it). The values come from the independent reference implementation
(tests/reference.py), never from philox itself; tests/test_golden.py checks philox (and the
reference) against the file. Floats are stored as hex bit patterns so that they are exact;
integers as JSON integers.

This file must not change within format v1: a change to an output is a new format version.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import reference as R  # noqa: E402

OUT = os.path.join(HERE, "golden_v1.json")
N = 8

# (seed, path or None, raw id or None, position): unaligned positions, a block-counter wrap,
# a negative seed, a raw id, and the last words of a stream
CASES = [
    (0, [], None, 0),
    (888, ["a"], None, 1),
    (2 ** 64 - 1, ["aug", 3], None, 6),
    (-5, ["model", 7, "dropout"], None, 4 * 2 ** 32 - 3),
    (0x243F6A8885A308D3, None, 0x0123456789ABCDEF, 2 ** 40 + 2),
    (12345, ["end"], None, 2 ** 66 - 4 * N - 1),
]

# name -> (method, args, dtype, encoding); a draw of N values of ``method(*args, dtype=dtype)``
DRAWS = {}
DRAWS["random_raw_uint32"] = ("random_raw", [], "uint32", "int")
DRAWS["random_raw_uint64"] = ("random_raw", [], "uint64", "int")
for dt in ("float64", "float32", "float16", "bfloat16"):
    DRAWS[f"rand_{dt}"] = ("rand", [], dt, "bits")
    DRAWS[f"uniform_-3_5_{dt}"] = ("uniform", [-3, 5], dt, "bits")
    DRAWS[f"randn_{dt}"] = ("randn", [], dt, "bits")
    DRAWS[f"normal_2_0.5_{dt}"] = ("normal", [2, 0.5], dt, "bits")
for lo, hi, dt in [(0, 10, "int64"), (-5, 2 ** 40, "int64"), (0, 2 ** 64, "uint64"), (-100, 100, "int8"),
                   (-30000, 30000, "int16"), (-2 ** 31, 2 ** 31 - 1, "int32"), (0, 256, "uint8"),
                   (0, 2 ** 32, "uint32"), (-2 ** 63, 2 ** 63, "int64")]:
    DRAWS[f"randint_{lo}_{hi}_{dt}"] = ("randint", [lo, hi], dt, "int")
# distributions (FORMAT 19); gamma: shapes below and above 1
DRAWS["standard_gamma_2.5_float64"] = ("standard_gamma", [2.5], "float64", "bits")
DRAWS["gamma_0.3_2_float64"] = ("gamma", [0.3, 2.0], "float64", "bits")
DRAWS["chisquare_3_float64"] = ("chisquare", [3], "float64", "bits")
DRAWS["poisson_4_int64"] = ("poisson", [4.0], "int64", "int")
DRAWS["poisson_1e10_int64"] = ("poisson", [1e10], "int64", "int")
DRAWS["binomial_20_0.3_int64"] = ("binomial", [20, 0.3], "int64", "int")
DRAWS["binomial_1000_0.7_int64"] = ("binomial", [1000, 0.7], "int64", "int")
for dt in ("float64", "float32", "float16", "bfloat16"):
    DRAWS[f"standard_exponential_{dt}"] = ("standard_exponential", [], dt, "bits")
    DRAWS[f"exponential_2.5_{dt}"] = ("exponential", [2.5], dt, "bits")
    for dist in ("gumbel", "logistic", "laplace"):
        DRAWS[f"{dist}_0_1_{dt}"] = (dist, [0.0, 1.0], dt, "bits")
        DRAWS[f"{dist}_-2_0.5_{dt}"] = (dist, [-2.0, 0.5], dt, "bits")
# FORMAT 20: bernoulli (bool), geometric (int64), standard_cauchy, lognormal
for p in (0.0, 0.3, 1.0):
    DRAWS[f"bernoulli_{p:g}_bool"] = ("bernoulli", [p], "bool", "int")
for p in (0.25, 1e-300, 1.0):
    DRAWS[f"geometric_{p:g}_int64"] = ("geometric", [p], "int64", "int")
for dt in ("float64", "float32", "float16", "bfloat16"):
    DRAWS[f"standard_cauchy_{dt}"] = ("standard_cauchy", [], dt, "bits")
    DRAWS[f"lognormal_0_1_{dt}"] = ("lognormal", [0.0, 1.0], dt, "bits")
    DRAWS[f"lognormal_-1_2.5_{dt}"] = ("lognormal", [-1.0, 2.5], dt, "bits")
# truncated_normal (FORMAT 22.1): torch's default interval, and a far tail (mirrored)
for dt in ("float64", "float32"):
    DRAWS[f"truncated_normal_0_1_-2_2_{dt}"] = ("truncated_normal", [0.0, 1.0, -2.0, 2.0], dt, "bits")
    DRAWS[f"truncated_normal_1_2_17_19_{dt}"] = ("truncated_normal", [1.0, 2.0, 17.0, 19.0], dt, "bits")
# FORMAT 21: float32 gamma (shapes below and above 1), beta (both shapes >= 1, and in logs), standard_t
# (df / 2 above and below 1). 8 and 6 words per value: the last case's stream ends before N values.
DRAWS["standard_gamma_2.5_float32"] = ("standard_gamma", [2.5], "float32", "bits")
DRAWS["gamma_0.3_2_float32"] = ("gamma", [0.3, 2.0], "float32", "bits")
DRAWS["beta_2_3_float64"] = ("beta", [2.0, 3.0], "float64", "bits")
DRAWS["beta_0.5_4_float64"] = ("beta", [0.5, 4.0], "float64", "bits")
DRAWS["beta_0.001_0.002_float64"] = ("beta", [0.001, 0.002], "float64", "bits")
DRAWS["standard_t_10_float64"] = ("standard_t", [10.0], "float64", "bits")
DRAWS["standard_t_0.5_float64"] = ("standard_t", [0.5], "float64", "bits")

# words per value of the draws that take more than 4 (FORMAT 21)
WORDS_PER_VALUE = {"beta": 8, "standard_t": 6}

CODE = {"float64": "f64", "float32": "f32", "float16": "f16", "bfloat16": "bf16", "int8": "i8",
        "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32",
        "uint64": "u64", "bool": "b8"}
HEX_DIGITS = {"f64": 16, "f32": 8, "f16": 4, "bf16": 4}


def reference_draw(stream, method, args, dtype, n=N):
    """The reference's values for one draw, encoded as stored in the file."""
    code = CODE[dtype]
    if method == "random_raw":
        vals = stream.random_raw(n, code)
    elif method == "rand":
        vals = stream.rand(n, code)
    elif method == "uniform":
        vals = stream.uniform(args[0], args[1], n, code)
    elif method == "randn":
        vals = stream.randn(n, code)
    elif method == "normal":
        vals = stream.normal(args[0], args[1], n, code)
    elif method == "standard_exponential":
        vals = stream.standard_exponential(n, code)
    elif method == "exponential":
        vals = stream.exponential(args[0], n, code)
    elif method in ("gumbel", "logistic", "laplace"):
        vals = getattr(stream, method)(args[0], args[1], n, code)
    elif method == "randint":
        vals = stream.randint(args[0], args[1], n, code)
    elif method in ("standard_gamma", "gamma", "chisquare", "poisson", "binomial"):
        vals = getattr(stream, method)(*args, n, code)
    elif method in ("bernoulli", "geometric", "standard_cauchy", "lognormal"):
        vals = getattr(stream, method)(*args, n, code)
    elif method == "truncated_normal":
        vals = stream.truncated_normal(*args, n, code)
    elif method in ("beta", "standard_t"):
        vals = getattr(stream, method)(*args, n, code)
    else:
        raise ValueError(method)
    return encode(vals, code)


def encode(vals, code):
    """Integers as ints; floats as fixed-width hex of their bits (16-bit floats arrive as bits)."""
    import numpy as np
    a = np.asarray(vals)
    if code in HEX_DIGITS:
        if a.dtype.kind == "f":
            a = a.view({8: np.uint64, 4: np.uint32, 2: np.uint16}[a.itemsize])
        return [format(int(v), f"0{HEX_DIGITS[code]}x") for v in a]
    return [int(v) for v in a]


def build():
    cases = []
    for seed, path, sid, pos in CASES:
        values, ends = {}, {}
        for name, (method, args, dtype, _) in DRAWS.items():
            if path is not None:
                s = R.RefStream(seed, *path, position=pos)
            else:
                s = R.RefStream(seed, id=sid, position=pos)
            if pos + N * WORDS_PER_VALUE.get(method, 4) > R.MAX_POSITION:
                continue  # past the end of the stream (philox raises; tests/test_golden.py checks it)
            values[name] = reference_draw(s, method, args, dtype)
            ends[name] = s.position
        cases.append({
            "seed": seed, "path": path, "id": (R.stream_id(*path) if path is not None else sid),
            "position": pos, "values": values, "end_position": ends,
        })
    return {
        "format": 1,
        "about": ("Golden values of philox stream format v1 (docs/FORMAT.md), made by "
                  "tests/data/make_golden.py from the independent reference tests/reference.py. For each "
                  "case, every draw starts from a fresh stream (seed, path or id) at `position` and takes "
                  f"{N} values; `end_position` is the position after it. Floats are hex bit patterns "
                  "(float16/bfloat16: 16-bit patterns), integers are plain. Must never change within v1."),
        "n": N,
        "draws": {name: {"method": m, "args": a, "dtype": d, "encoding": e} for name, (m, a, d, e) in DRAWS.items()},
        "cases": cases,
    }


def dumps(data):
    return json.dumps(data, indent=1) + "\n"


# ------------------------------------------------------------------------------------------------
# golden_perm_v1.json: the keyed bijection, choice and sampler orders (docs/FORMAT.md 6-8)
OUT_PERM = os.path.join(HERE, "golden_perm_v1.json")
PERM_CASES = [(0, [], 0), (888, ["perm"], 3), (2 ** 64 - 1, ["shuffle", 9], 2 ** 40 + 1)]
PERM_NS = [1, 2, 3, 4, 5, 20, 21, 32, 33, 64, 1000, 2 ** 32 + 1, 10 ** 15, 2 ** 63 - 1]
WEIGHTS = [0.1, 0.0, 0.25, 0.15, 0.05, 0.3, 0.0, 0.15]
SAMPLER_CASES = [  # (seed, stream, n, epoch, mode)
    (0, ["sampler"], 10, 0, "shuffle"), (5, ["sampler"], 1000, 3, "shuffle"), (5, ["data", 2], 12, 1, "shuffle"),
    (7, ["sampler"], 10, 0, "sequential"), (7, ["sampler"], 10 ** 12, 2, "shuffle"),
    (7, ["sampler"], 2 ** 40, 0, "replacement"), (1, ["w"], 8, 4, "weights_replacement"),
    (1, ["w"], 8, 4, "weights"),
]
SAMPLER_COUNT = 16


def perm_probe(n):
    """The indices stored for a permutation of n: all of them up to 64, else 8 spread ones."""
    if n <= 64:
        return list(range(n))
    return sorted({0, 1, 2, 3, n // 3, n // 2, n - 2, n - 1})


def build_perm():
    perms = []
    for seed, path, pos in PERM_CASES:
        sid = R.stream_id(*path)
        w = [int(v) for v in R.words(seed, sid, pos, R.PERM_WORDS)]
        for n in PERM_NS:
            pi = R.RefPerm(w, n)
            perms.append({"seed": seed, "path": path, "position": pos, "n": n, "indices": perm_probe(n),
                          "values": [pi(i) for i in perm_probe(n)], "end_position": pos + R.PERM_WORDS})
    choices = []
    for seed, path, pos in PERM_CASES:
        sid = R.stream_id(*path)
        prob, alias = R.ref_alias_table(WEIGHTS)
        vals = R.ref_alias_draws(R.words(seed, sid, pos, 4 * 16), prob, alias)
        choices.append({"seed": seed, "path": path, "position": pos, "replace": True, "size": 16,
                        "values": [int(v) for v in vals], "end_position": pos + 64})
        vals = R.ref_weighted_order(R.words(seed, sid, pos, 2 * len(WEIGHTS)), WEIGHTS, 5)
        choices.append({"seed": seed, "path": path, "position": pos, "replace": False, "size": 5,
                        "values": [int(v) for v in vals], "end_position": pos + 2 * len(WEIGHTS)})
    samplers = []
    for seed, stream, n, epoch, mode in SAMPLER_CASES:
        kw = {"shuffle": mode != "sequential", "replacement": mode in ("replacement", "weights_replacement"),
              "weights": WEIGHTS if mode.startswith("weights") else None}
        samplers.append({"seed": seed, "stream": stream, "n": n, "epoch": epoch, "mode": mode,
                         "values": [R.ref_sampler_index(seed, tuple(stream), n, epoch, g, **kw)
                                    for g in range(6 if mode == "weights" else SAMPLER_COUNT)]})
    return {
        "format": 1,
        "about": ("Golden values of philox format v1's keyed bijection, choice with p and PhiloxSampler orders "
                  "(docs/FORMAT.md sections 6-8), made by tests/data/make_golden.py from tests/reference.py. "
                  "permutations: element `indices[j]` of the permutation of [0, n) keyed by the 12 words at "
                  "`position` is `values[j]`. choices: choice(8, size, replace, p=weights) from `position`. "
                  "samplers: the first global positions of PhiloxSampler(n, seed=, stream=, ...) in `epoch` "
                  "(mode weights: without replacement, num_samples = 6, the non-zero weights). Must never change within v1."),
        "weights": WEIGHTS,
        "permutations": perms,
        "choices": choices,
        "samplers": samplers,
    }


def main(argv):
    ok = True
    for path, text in ((OUT, dumps(build())), (OUT_PERM, dumps(build_perm()))):
        name = os.path.basename(path)
        if "--check" in argv:
            with open(path) as f:
                same = f.read() == text
            print(f"{name} is up to date" if same else f"{name} DIFFERS from the reference")
            ok = ok and same
            continue
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
