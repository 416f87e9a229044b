"""Backend-level draw cases shared by the fallback, GPU-emulation and CUDA tests (not a test module).

A case is the raw argument set of one backend draw (csrc/cpu/kernels.h ``Job``): every op, every
output dtype, plain and affine parameters, both integer paths and their corner ranges. ``cpu_fill``
runs the C++ CPU kernels (``_core.fill_rows``) into a torch CPU tensor: the reference the other
backends must equal bit for bit.
"""
import numpy as np
import torch

from philox import _core

U64 = 1 << 64
OP = {name: code for code, name, *_ in _core.OPS}  # op codes by name, from the op table (csrc/ops.h)


class Case:
    def __init__(self, name, op, dtype, affine=False, a=0.0, b=0.0, c=0.0, ilow=0, range_m1=0):
        self.name, self.op, self.dtype = name, op, dtype
        self.affine, self.a, self.b, self.c, self.ilow, self.range_m1 = affine, a, b, c, ilow, range_m1
        self.k = _core.words_per_value(op)
        self.elem_size = torch.empty(0, dtype=dtype).element_size()

    def __repr__(self):
        return self.name

    def args(self):
        return (self.elem_size, self.affine, self.a, self.b, self.c, self.ilow, self.range_m1)


def _cases():
    f16_below = int(np.array(np.float16(5.0), np.float16).view(np.uint16)) - 1
    out = [
        Case("raw32", OP["raw32"], torch.int32), Case("raw32_u", OP["raw32"], torch.uint32),
        Case("raw64", OP["raw64"], torch.int64),
        Case("rand_f32", OP["uniform_f32"], torch.float32), Case("rand_f64", OP["uniform_f64"], torch.float64),
        Case("rand_f16", OP["uniform_f16"], torch.float16), Case("rand_bf16", OP["uniform_bf16"], torch.bfloat16),
        Case("uniform_f32", OP["uniform_f32"], torch.float32, True, -3.0, 5.0,
             float(np.nextafter(np.float32(5), np.float32(0)))),
        Case("uniform_f32_narrow", OP["uniform_f32"], torch.float32, True, 1.0, 1.0 + 3 * 2.0 ** -23,
             1.0 + 2 * 2.0 ** -23),
        Case("uniform_f64", OP["uniform_f64"], torch.float64, True, -3.0, 5.0, float(np.nextafter(5.0, 0))),
        Case("uniform_f64_narrow", OP["uniform_f64"], torch.float64, True, 1.0, 1.0 + 3 * 2.0 ** -52,
             1.0 + 2 * 2.0 ** -52),
        Case("uniform_f16", OP["uniform_f16"], torch.float16, True, -3.0, 5.0, float(f16_below)),
        Case("uniform_f16_sub", OP["uniform_f16"], torch.float16, True, -3 * 2.0 ** -24, 0.0, float(0x8001)),
        Case("uniform_bf16", OP["uniform_bf16"], torch.bfloat16, True, 1.0, 2.0, float(0x3FFF)),
        Case("randn_f32", OP["normal_f32"], torch.float32), Case("randn_f64", OP["normal_f64"], torch.float64),
        Case("randn_f16", OP["normal_f16"], torch.float16), Case("randn_bf16", OP["normal_bf16"], torch.bfloat16),
        Case("normal_f32", OP["normal_f32"], torch.float32, True, 2.0, 0.5),
        Case("normal_f64", OP["normal_f64"], torch.float64, True, 2.0, 0.5),
        Case("normal_f16_big", OP["normal_f16"], torch.float16, True, 0.0, 3e4),
        Case("normal_f16_tiny", OP["normal_f16"], torch.float16, True, 0.0, 1e-6),
        Case("normal_bf16", OP["normal_bf16"], torch.bfloat16, True, -1.0, 3.0),
        Case("normal_f64_huge", OP["normal_f64"], torch.float64, True, 1e300, 1e300),
        Case("exponential_f32_scale", OP["exponential_f32"], torch.float32, True, 2.5),
        Case("exponential_f64_scale", OP["exponential_f64"], torch.float64, True, 1e-3),
        Case("exponential_bf16_scale", OP["exponential_bf16"], torch.bfloat16, True, 3.0),
        Case("gumbel_f64_loc_scale", OP["gumbel_f64"], torch.float64, True, -2.0, 0.5),
        Case("logistic_f32_loc_scale", OP["logistic_f32"], torch.float32, True, 1e3, 30.0),
        Case("laplace_f16_loc_scale", OP["laplace_f16"], torch.float16, True, 0.5, 2.0),
    ]
    for lo, r, dt in [(0, 10, torch.int64), (-5, 1 << 32, torch.int64), (0, 1 << 32, torch.int32),
                      (-128, 256, torch.int8), (0, 256, torch.uint8), (-32768, 65536, torch.int16),
                      (-7, 2 ** 31 + 6, torch.int32), (2 ** 63 - 9, 2 ** 33, torch.int64),
                      (0, 2 ** 64, torch.int64), (-2 ** 63, 2 ** 64, torch.int64), (0, 2 ** 32 + 1, torch.int64),
                      (-(2 ** 62), 3 * 2 ** 61 + 12345, torch.int64), (1, 2 ** 64 - 2, torch.int64)]:
        op = OP["int_small"] if r <= 1 << 32 else OP["int_large"]
        out.append(Case(f"randint_{lo}_{r}_{dt}".replace("torch.", ""), op, dt, ilow=lo % U64, range_m1=r - 1))
    # distributions: parameter blocks from philox's own (docs/FORMAT.md 19); small shapes, the
    # boost, shape 0, huge shapes, and a shape whose first attempts are often rejected (retries)
    from philox._dists import gamma_params
    for shape, scale in [(2.5, 1.0), (0.3, 2.0), (1e-3, 1.0), (0.0, 1.0), (1.0, 0.5), (1e6, 1e-3), (1.0 / 3, 3.0)]:
        out.append(Case(f"gamma_{shape:g}_{scale:g}", OP["gamma_f64"], torch.float64, shape < 1.0,
                        *gamma_params(shape, scale)))
    for lam in (0.0, 1e-9, 4.0, 9.999, 10.0, 37.5, 1e4, 1e10, 1e15):  # inversion, PTRS (retries), extremes
        out.append(Case(f"poisson_{lam:g}", OP["poisson_i64"], torch.int64, False, lam))
    for n, p in ((0, 0.5), (20, 0.3), (20, 1.0), (1000, 0.7), (1000, 0.004), (2 ** 62, 1e-18), (2 ** 62, 0.5),
                 (10 ** 6, 0.999999)):  # inversion, BTRS (retries), p > 1/2 (n - X), extremes
        out.append(Case(f"binomial_{n}_{p:g}", OP["binomial_i64"], torch.int64, False, p, ilow=n))
    # FORMAT 20: lognormal (float32 overflow to inf, underflow to 0), geometric (p = 1, tiny p: the clamp),
    # bernoulli (thresholds 0, 0.3 * 2**32 and 2**32); standard_cauchy's plain forms come below
    for name, dt, mean, sigma in (("lognormal_f64", torch.float64, -1.0, 2.5),
                                  ("lognormal_f32", torch.float32, 80.0, 1.0),
                                  ("lognormal_f32", torch.float32, -100.0, 3.0),
                                  ("lognormal_bf16", torch.bfloat16, 2.0, 0.5),
                                  ("lognormal_f16", torch.float16, 8.0, 2.0),
                                  ("lognormal_f64", torch.float64, 700.0, 1.0)):
        out.append(Case(f"{name}_{mean:g}_{sigma:g}", OP[name], dt, False, mean, sigma))
    for p in (0.25, 1.0, 0.999, 1e-10, 1e-300):
        out.append(Case(f"geometric_{p:g}", OP["geometric_i64"], torch.int64, False, p))
    for t in (0, 1288490188, 1 << 32):
        out.append(Case(f"bernoulli_{t}", OP["bernoulli_b8"], torch.bool, ilow=t))
    # truncated_normal (FORMAT 22.1): parameter blocks from philox's own; the default interval, a
    # mirrored far tail, intervals beyond 37.5 std (subnormal and zero Phi values), half-infinite
    from philox._dists import trunc_normal_params
    for mean, std, lo, hi in [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 8.0, 9.0), (1.0, 2.0, -90.0, -76.0),
                              (0.0, 1.0, -1e3, -999.0), (0.5, 3.0, float("-inf"), float("inf")),
                              (0.0, 1.0, 0.0, float("inf"))]:
        pl, d, m, sstd = trunc_normal_params(mean, std, lo, hi)
        bits = int(np.float64(sstd).view(np.uint64))
        for nm, dt in (("f64", torch.float64), ("f32", torch.float32)):
            out.append(Case(f"trunc_normal_{nm}_{mean:g}_{std:g}_{lo:g}_{hi:g}", OP[f"trunc_normal_{nm}"], dt,
                            False, pl, d, m, ilow=bits))
    # FORMAT 21: float32 gamma; beta directly and in logs (tiny, huge and subnormal shapes); standard_t
    # on both sides of df / 2 = 1 and at its extremes
    from philox._dists import beta_params, standard_t_params
    for shape, scale in [(2.5, 1.0), (0.3, 2.0), (1e-3, 1.0), (1e6, 1e-3), (1.0 / 3, 3.0), (0.0, 1.0)]:
        out.append(Case(f"gamma_f32_{shape:g}_{scale:g}", OP["gamma_f32"], torch.float32, shape < 1.0,
                        *gamma_params(shape, scale)))
    for a, b in [(2.0, 3.0), (0.5, 0.5), (1e-3, 2e-3), (1e-3, 1e6), (1e6, 1e6), (1.0, 0.2), (1e-308, 1e-308),
                 (1.0 / 3, 1e300)]:
        affine, *abc, ilow = beta_params(a, b)
        out.append(Case(f"beta_{a:g}_{b:g}", OP["beta_f64"], torch.float64, affine, *abc, ilow=ilow))
    for df in (10.0, 2.0, 1.999, 0.5, 1e-3, 1e-300, 1e300):
        out.append(Case(f"standard_t_{df:g}", OP["standard_t_f64"], torch.float64, *standard_t_params(df)))
    # every other op of the table (csrc/ops.h): its plain form, on its first output dtype
    covered = {c.op for c in out}
    for code, name, _words, _bytes, dtypes in _core.OPS:
        if code not in covered:
            out.append(Case(name, code, getattr(torch, dtypes[0])))
    return out


CASES = _cases()
CASE_BY_NAME = {c.name: c for c in CASES}
# positions: aligned, every lane, a block counter that carries past 2**32 mid-draw, the end of the stream
POSITIONS = [0, 1, 2, 3, 4 * (2 ** 32 - 2) + 1, 4 * (2 ** 32 - 1), 4 * (2 ** 64 - 2 ** 33) + 3]


def end_position(case, n):
    """A position from which n values end exactly at the end of the stream (2**66)."""
    return (1 << 66) - n * case.k


def as_ids(ids):
    """uint64 ids (ints) as an int64 two's complement CPU tensor."""
    return torch.tensor([v - U64 if v >= 1 << 63 else v for v in ids], dtype=torch.int64)


def cpu_fill(case, k0, k1, id, position, n, ids=None):
    """The C++ CPU kernels' values: a flat tensor of (rows * n) values of case.dtype."""
    rows = 1 if ids is None else ids.numel()
    out = torch.zeros(rows * n, dtype=case.dtype)
    _core.fill_rows(case.op, k0, k1, id, 0 if ids is None else ids.data_ptr(), rows, position >> 64,
                    position & (U64 - 1), out.data_ptr(), n, False, *case.args())
    return out


def tbits(t):
    """Bit patterns of a tensor (any dtype) as an int tensor on the CPU."""
    t = t.detach().cpu().contiguous()
    return t.view({1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


def assert_same_bits(actual, expected, what=""):
    a, e = tbits(actual), tbits(expected)
    assert a.shape == e.shape, f"{what}: shape {tuple(a.shape)} != {tuple(e.shape)}"
    bad = (a != e).nonzero()
    if bad.numel():
        i = tuple(bad[0].tolist())
        raise AssertionError(f"{what}: {bad.shape[0]} of {a.numel()} values differ; first at {i}: "
                             f"{actual.detach().cpu()[i]!r} != {expected.detach().cpu()[i]!r}")
