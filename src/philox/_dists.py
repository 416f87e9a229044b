"""Distributions beyond uniform and normal: argument checks and each draw's parameter block.

One function per distribution, called by the Stream / StreamBatch methods of the same name
(``_stream._Draws``); each checks every argument first (``TypeError`` / ``ValueError`` naming
it, before any word is drawn), computes the op's parameters (``a``, ``b``, ``c`` of csrc/ops.h's
``OpArgs``, as docs/FORMAT.md section 19 fixes them) and fills through the op table. The values
themselves live once, in csrc/dists.h (mirrored by the pure-torch fallback).
"""
from __future__ import annotations

import math
import sys

import numpy as np

from . import _core, _params
from . import _dtypes as D
from ._keys import check_real as _param
from ._output import parse_size

_OP = {name: code for code, name, _words, _bytes, _dtypes in _core.OPS}
_GAMMA_F64 = _OP["gamma_f64"]
_POISSON_I64 = _OP["poisson_i64"]
_BINOMIAL_I64 = _OP["binomial_i64"]

# shape * scale bound: the largest gamma values (a few standard deviations above the mean)
# stay far from float64's overflow.
_GAMMA_MAX = 1e300


def _target_only(draws, what, np_dtype, size, dtype, device, out, region):
    """The output of a draw that has one output dtype (``np_dtype``: float64 or int64, also for
    torch outputs without a dtype); TypeError naming ``what`` for any other."""
    code = "f64" if np_dtype is np.float64 else "i64"
    if dtype is None and out is None:
        dtype = np_dtype
    t = draws._output(parse_size(size), dtype, device, out, "float" if code == "f64" else "int", code, region)
    if t.code != code:
        raise TypeError(f"{what} draws {np.dtype(np_dtype).name} values only, got dtype {t.code} "
                        f"(dtype={dtype!r}{'' if out is None else ', out.dtype=' + str(out.dtype)})")
    return t


def gamma_params(shape: float, scale: float):
    """(a, b, c) of op gamma_f64 (FORMAT 19.2): shape, scale, 1 / sqrt(9 d), d = b' - 1/3 with
    b' = shape + 1 below 1, else shape. Each step one correctly rounded float64 operation."""
    d = (shape + 1.0 if shape < 1.0 else shape) - 0.333333333333333333333
    return shape, scale, 1.0 / math.sqrt(9.0 * d)


def _gamma(draws, shape, scale, size, dtype, device, out, region, names=("shape", "scale")):
    if not shape >= 0.0:
        raise ValueError(f"{names[0]} must be non-negative, got {shape!r}")
    if not scale >= 0.0:
        raise ValueError(f"{names[1]} must be non-negative, got {scale!r}")
    if shape * max(scale, 1.0) > _GAMMA_MAX or shape > _GAMMA_MAX:
        raise ValueError(f"{names[0]} * {names[1]} must be at most {_GAMMA_MAX:g}, got {shape!r} * {scale!r}")
    t = _gamma_target(draws, size, dtype, device, out, region)
    if t.code == "f32" and shape * max(scale, 1.0) > GAMMA_MAX_F32:
        raise ValueError(f"{names[0]} * {names[1]} must be at most {GAMMA_MAX_F32:g} for float32 values, got "
                         f"{shape!r} * {scale!r}")
    return draws._fill(_GAMMA_F64 if t.code == "f64" else _GAMMA_F32, t, 0, shape < 1.0, *gamma_params(shape, scale))


def standard_gamma(draws, shape, size=None, dtype=None, device=None, out=None, region=None):
    if type(shape) is not float and _params.is_array(shape):
        return _gamma_array(draws, {"shape": _params.as_float(shape, "shape")}, size, dtype, device, out, region,
                            _gamma_columns)
    return _gamma(draws, _param(shape, "shape"), 1.0, size, dtype, device, out, region)


def gamma(draws, shape, scale=1.0, size=None, dtype=None, device=None, out=None, region=None):
    if not (type(shape) is float and type(scale) is float) and (_params.is_array(shape) or _params.is_array(scale)):
        return _gamma_array(draws, {"shape": _params.as_float(shape, "shape"),
                                    "scale": _params.as_float(scale, "scale")}, size, dtype, device, out, region,
                            _gamma_columns)
    return _gamma(draws, _param(shape, "shape"), _param(scale, "scale"), size, dtype, device, out, region)


def chisquare(draws, df, size=None, dtype=None, device=None, out=None, region=None):
    """chi-square(df) = gamma(df / 2, scale 2), the same values (numpy's definition)."""
    if type(df) is not float and _params.is_array(df):
        return _gamma_array(draws, {"df": _params.as_float(df, "df")}, size, dtype, device, out, region,
                            _chisquare_columns)
    v = _param(df, "df")
    if not v > 0.0:
        raise ValueError(f"df must be positive, got {df!r}")
    return _gamma(draws, v * 0.5, 2.0, size, dtype, device, out, region, ("df / 2", "scale"))


# Largest poisson mean: PTRS's k = floor(... + lam + 0.43) keeps a resolution below 1 up to here.
POISSON_LAM_MAX = 1e15


def poisson(draws, lam=1.0, size=None, dtype=None, device=None, out=None, region=None):
    """poisson(lam), int64: inversion below 10, PTRS with retries from 10 (FORMAT 19.3)."""
    if type(lam) is not float and _params.is_array(lam):
        return _array(draws, "poisson", np.int64, {"lam": _params.as_float(lam, "lam")}, size, dtype, device, out,
                      region, _poisson_columns)
    v = _param(lam, "lam")
    if not 0.0 <= v <= POISSON_LAM_MAX:
        raise ValueError(f"lam must be in [0, {POISSON_LAM_MAX:g}], got {lam!r}")
    t = _target_only(draws, "poisson", np.int64, size, dtype, device, out, region)
    return draws._fill(_POISSON_I64, t, 0, False, v)


BINOMIAL_N_MAX = 1 << 62


def binomial(draws, n, p, size=None, dtype=None, device=None, out=None, region=None):
    """binomial(n, p), int64: inversion for n * min(p, 1-p) < 10, BTRS with retries above (FORMAT 19.4)."""
    from ._keys import _is_int
    if not (type(n) is int and type(p) is float) and (_params.is_array(n) or _params.is_array(p)):
        return _array(draws, "binomial", np.int64, {"n": _params.as_int(n, "n", 0, BINOMIAL_N_MAX),
                                                    "p": _params.as_float(p, "p")},
                      size, dtype, device, out, region, _binomial_columns)
    if not _is_int(n):
        raise TypeError(f"n must be an int, got {n!r} of type {type(n).__name__}")
    nn = int(n)
    if not 0 <= nn <= BINOMIAL_N_MAX:
        raise ValueError(f"n must be in [0, 2**62], got {nn}")
    pv = _param(p, "p")
    if not 0.0 <= pv <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    t = _target_only(draws, "binomial", np.int64, size, dtype, device, out, region)
    return draws._fill(_BINOMIAL_I64, t, 0, False, pv, 0.0, 0.0, nn, 0)


# ---------------------------------------------------------------- array parameters (FORMAT 23)
# Each draw above with an array parameter (``_params.is_array``) comes here: the same checks and the
# same parameter block, per element (vectorized; the first bad element named), then one fill whose
# value e is the scalar draw of element e's parameters (``_params.draw``).
def _array(draws, what, np_dtype, params, size, dtype, device, out, region, columns):
    return _params.draw(draws, params, size,
                        lambda shape: _target_only(draws, what, np_dtype, shape, dtype, device, out, region), columns)


def _gamma_array(draws, params, size, dtype, device, out, region, columns):
    """standard_gamma / gamma / chisquare with array parameters: float64, or float32 (op gamma_f32)."""
    return _params.draw(draws, params, size, lambda shape: _gamma_target(draws, shape, dtype, device, out, region),
                        columns)


def gamma_params_array(shape, scale):
    """gamma_params per element: c from _core.gamma_c_array (csrc/dists.h gamma_c: the same correctly
    rounded float64 steps, one pass), and ``affine`` = shape < 1 (the boost) per element."""
    shape = np.asarray(shape, dtype=np.float64)
    return shape, scale, _core.gamma_c_array(shape), shape < 1.0


def _gamma_check(shape, scale, names):
    # reductions first (no array allocated); the elementwise masks only to name a bad element
    for v, nm in ((shape, names[0]), (scale, names[1])):
        _in_interval(v, nm, 0.0, np.inf, "non-negative")
    if np.ndim(scale) == 0 or np.size(scale) == 1:  # x -> x * s is nondecreasing: max(x) * s is the max
        top = float(np.max(shape, initial=0.0))  # Python floats: an overflow is inf, no numpy warning
        if not (top * max(float(np.max(scale)), 1.0) > _GAMMA_MAX or top > _GAMMA_MAX):
            return
    with np.errstate(over="ignore"):
        bad = (shape * np.maximum(scale, 1.0) > _GAMMA_MAX) | (shape > _GAMMA_MAX)
    if bad.any():
        a, b = _params.first(bad, shape, scale)
        raise ValueError(f"{names[0]} * {names[1]} must be at most {_GAMMA_MAX:g}, got {a!r} * {b!r}")


def _gamma_block(shape, scale, code="f64", names=("shape", "scale")):
    if code == "f32":
        with np.errstate(over="ignore"):
            bad = shape * np.maximum(scale, 1.0) > GAMMA_MAX_F32
        if bad.any():
            a, b = _params.first(bad, shape, scale)
            raise ValueError(f"{names[0]} * {names[1]} must be at most {GAMMA_MAX_F32:g} for float32 values, got "
                             f"{a!r} * {b!r}")
    a, b, c, affine = gamma_params_array(shape, scale)
    return _GAMMA_F64 if code == "f64" else _GAMMA_F32, 0, False, {"a": a, "b": b, "c": c, "affine": affine}


def _gamma_columns(code, p):
    shape, scale = p["shape"], p.get("scale", np.float64(1.0))
    _gamma_check(shape, scale, ("shape", "scale"))
    return _gamma_block(shape, scale, code)


def _chisquare_columns(code, p):
    df = p["df"]
    bad = ~(df > 0.0)
    if bad.any():
        raise ValueError(f"df must be positive, got {_params.first(bad, df)!r}")
    shape, scale = df * 0.5, np.float64(2.0)
    _gamma_check(shape, scale, ("df / 2", "scale"))
    return _gamma_block(shape, scale, code, ("df / 2", "scale"))


def _poisson_columns(code, p):
    lam = p["lam"]
    _in_interval(lam, "lam", 0.0, POISSON_LAM_MAX, f"in [0, {POISSON_LAM_MAX:g}]")
    return _POISSON_I64, 0, False, {"a": lam}


def _binomial_columns(code, p):
    pv = p["p"]
    bad = ~((pv >= 0.0) & (pv <= 1.0))
    if bad.any():
        raise ValueError(f"p must be in [0, 1], got {_params.first(bad, pv)!r}")
    return _BINOMIAL_I64, 0, False, {"a": pv, "ilow": p["n"]}


# Array parameters of FORMAT 20-22's draws: the scalar draws' checks and parameter blocks, per element.
def _in_range(v, name, ok, what):
    bad = ~ok
    if bad.any():
        raise ValueError(f"{name} must be {what}, got {_params.first(bad, v)!r}")


def _in_interval(v, name, lo, hi, what, open_low=False):
    """v in [lo, hi] ((lo, hi] with open_low): two reductions (no array allocated), the elementwise
    mask only to name the first bad element (NaN fails both ways)."""
    mn = np.min(v, initial=np.inf)
    mx = np.max(v, initial=-np.inf) if hi < np.inf else -np.inf  # (no upper bound: no pass for it)
    if (mn > lo if open_low else mn >= lo) and mx <= hi:
        return
    _in_range(v, name, ((v > lo) if open_low else (v >= lo)) & (v <= hi), what)


def _lognormal_columns(code, p):
    _in_range(p["sigma"], "sigma", p["sigma"] >= 0.0, "non-negative")
    return _LOGNORMAL[code], 0, False, {"a": p["mean"], "b": p["sigma"]}


def _geometric_columns(code, p):
    v = p["p"]
    _in_range(v, "p", (v > 0.0) & (v <= 1.0), "in (0, 1]")
    return _GEOMETRIC_I64, 0, False, {"a": v}


def _bernoulli_columns(code, p):
    v = p["p"]
    _in_range(v, "p", (v >= 0.0) & (v <= 1.0), "in [0, 1]")
    # threshold(p) per element: p * 2**32 is exact (a power-of-two scaling), its floor too
    return _BERNOULLI_B8, 0, False, {"ilow": np.floor(v * 4294967296.0).astype(np.uint64)}


def _beta_columns(code, p):
    a, b = p["a"], p["b"]
    for v, nm in ((a, "a"), (b, "b")):
        _in_interval(v, nm, 0.0, _GAMMA_MAX, f"positive and at most {_GAMMA_MAX:g}", open_low=True)
    return _BETA_F64, 0, False, {"a": a, "b": b, "c": _core.gamma_c_array(a),
                                 "ilow": _core.gamma_c_array(b).view(np.uint64),
                                 "affine": (a < 1.0) | (b < 1.0)}  # in logs (beta_params' switch)


def _standard_t_columns(code, p):
    df = p["df"]
    _in_interval(df, "df", STANDARD_T_DF_MIN, _GAMMA_MAX, f"in [{STANDARD_T_DF_MIN:g}, {_GAMMA_MAX:g}]")
    h, _, c, boost = gamma_params_array(df * 0.5, 1.0)
    return _STANDARD_T_F64, 0, False, {"a": h, "c": c, "affine": boost}


def _bound_array(x, name):
    """An array of truncation bounds as float64: infinities allowed, NaN not (``_bound`` per element)."""
    arr = _params._numpy(x, name)
    v = arr.astype(np.float64, copy=False)
    bad = np.isnan(v)
    if bad.any():
        raise ValueError(f"{name} must not be NaN, got {_params.first(bad, arr)!r}")
    return v


def _ndtr(x):
    """The header's Phi (_core.ndtr_array: _core.ndtr's bits, one C++ call) of every element, once per
    distinct value (by its bits: a value costs 0.1-4 us, so repeated bounds are computed once)."""
    x = np.asarray(x, dtype=np.float64)
    u, inv = np.unique(x.reshape(-1).view(np.uint64), return_inverse=True)
    return _core.ndtr_array(u.view(np.float64))[inv].reshape(x.shape)


def trunc_normal_params_array(mean, std, low, high):
    """trunc_normal_params per element: the same correctly rounded float64 steps, Phi by _core.ndtr."""
    with np.errstate(over="ignore"):  # an overflow gives inf, as the scalar path's Python floats do
        a, b = (low - mean) / std, (high - mean) / std
    flip = a > 0.0
    a, b, sstd = np.where(flip, -b, a), np.where(flip, -a, b), np.where(flip, -std, std)
    pl = _ndtr(a)
    return pl, _ndtr(b) - pl, mean, sstd


def _f32_bounds(lo, hi):
    """The clamp bounds of a float32 draw: the bounds rounded to float32 (ValueError for a finite one
    that overflows)."""
    with np.errstate(over="ignore"):
        lo32, hi32 = lo.astype(np.float32).astype(np.float64), hi.astype(np.float32).astype(np.float64)
    for v, v32, nm in ((lo, lo32, "low"), (hi, hi32, "high")):
        bad = np.isfinite(v) & ~np.isfinite(v32)
        if bad.any():
            raise ValueError(f"{nm}={_params.first(bad, v)!r} overflows float32, the output's dtype")
    return lo32, hi32


def _trunc_normal_columns(code, p):
    m, s, lo, hi = p["mean"], p["std"], p["low"], p["high"]
    _in_range(s, "std", s > 0.0, "positive")
    bad = ~(lo < hi)
    if bad.any():
        a, b = _params.first(bad, lo, hi)
        raise ValueError(f"low must be below high, got low={a!r}, high={b!r}")
    if code == "f32":
        _f32_bounds(lo, hi)
    pl, d, mm, sstd = trunc_normal_params_array(m, s, lo, hi)
    return _TRUNC_NORMAL[code], 0, False, {"a": pl, "b": d, "c": mm,
                                           "ilow": np.asarray(sstd, dtype=np.float64).view(np.uint64)}


def _truncated_normal_array(draws, mean, std, low, high, size, dtype, device, out, region):
    """truncated_normal with array parameters: the op per element, then each value clamped to its own
    element's [low, high] (float32: rounded to float32), as the scalar draw clamps."""
    params = {"mean": _params.as_float(mean, "mean"), "std": _params.as_float(std, "std"),
              "low": _bound_array(low, "low"), "high": _bound_array(high, "high")}
    seen = {}

    def prepare(shape):
        t = draws._output(shape, dtype, device, out, "float", "f64", region)
        if t.code not in _TRUNC_NORMAL:
            raise TypeError(f"truncated_normal draws float32 or float64 values, got dtype {t.code} (dtype={dtype!r}"
                            f"{'' if out is None else ', out.dtype=' + str(out.dtype)})")
        seen["t"], seen["shape"] = t, shape
        return t

    res = _params.draw(draws, params, size, prepare, _trunc_normal_columns)
    t, shape = seen["t"], seen["shape"]
    lo, hi = params["low"], params["high"]
    if t.code == "f32":
        lo, hi = _f32_bounds(lo, hi)
    full = tuple(getattr(draws, "batch_shape", ())) + (shape or ())
    bounds = getattr(t, "bounds", None)
    cut = [np.broadcast_to(v, full) for v in (lo, hi)]
    if bounds is not None:
        cut = [v[tuple(slice(a, b) for a, b in bounds)] for v in cut]
    if isinstance(res, np.ndarray):
        return np.clip(res, cut[0], cut[1], out=res)
    if isinstance(res, (float, np.floating)):
        return type(res)(min(max(res, float(cut[0])), float(cut[1])))
    import torch
    lo_t, hi_t = (torch.from_numpy(np.array(v)).to(device=res.device, dtype=res.dtype) for v in cut)
    return res.clamp_(lo_t, hi_t)


# ---------------------------------------------------------------- FORMAT 20: bernoulli, geometric,
# standard_cauchy, lognormal (a fixed number of words per value, no retries)
_LOGNORMAL = {k: _OP["lognormal_" + k] for k in ("f32", "f64", "f16", "bf16")}
_STANDARD_CAUCHY = {k: _OP["standard_cauchy_" + k] for k in ("f32", "f64", "f16", "bf16")}
_GEOMETRIC_I64 = _OP["geometric_i64"]
_BERNOULLI_B8 = _OP["bernoulli_b8"]


def _float_target(draws, size, dtype, device, out, region):
    """The output of a float draw (float64 numpy by default; float32, float16, bfloat16)."""
    return draws._output(parse_size(size), dtype, device, out, "float", "f64", region)


def lognormal(draws, mean=0.0, sigma=1.0, size=None, dtype=None, device=None, out=None, region=None):
    """exp(mean + sigma * z), z the standard normal, computed in float64 (FORMAT 20.4)."""
    if not (type(mean) is float and type(sigma) is float) and (_params.is_array(mean) or _params.is_array(sigma)):
        return _params.draw(draws, {"mean": _params.as_float(mean, "mean"), "sigma": _params.as_float(sigma, "sigma")},
                            size, lambda shape: _float_target(draws, shape, dtype, device, out, region),
                            _lognormal_columns)
    m, s = _param(mean, "mean"), _param(sigma, "sigma")
    if not s >= 0.0:
        raise ValueError(f"sigma must be non-negative, got {sigma!r}")
    t = _float_target(draws, size, dtype, device, out, region)
    return draws._fill(_LOGNORMAL[t.code], t, 0, False, m, s)


def standard_cauchy(draws, size=None, dtype=None, device=None, out=None, region=None):
    """The ratio of two standard normals (FORMAT 20.3): 4 words per value in float64, else 2."""
    t = _float_target(draws, size, dtype, device, out, region)
    return draws._fill(_STANDARD_CAUCHY[t.code], t)


def geometric(draws, p, size=None, dtype=None, device=None, out=None, region=None):
    """Trials up to the first success, int64 in {1, 2, ...}, 0 < p <= 1 (FORMAT 20.2)."""
    if type(p) is not float and _params.is_array(p):
        return _array(draws, "geometric", np.int64, {"p": _params.as_float(p, "p")}, size, dtype, device, out, region,
                      _geometric_columns)
    v = _param(p, "p")
    if not 0.0 < v <= 1.0:
        raise ValueError(f"p must be in (0, 1], got {p!r}")
    t = _target_only(draws, "geometric", np.int64, size, dtype, device, out, region)
    return draws._fill(_GEOMETRIC_I64, t, 0, False, v)


def threshold(p) -> int:
    """The integer threshold ``t = floor(p * 2**32)`` of probability ``p`` in [0, 1]: a word ``w``
    (uint32) is a success (bernoulli 1; dropout: element dropped) iff ``w < t`` (docs/FORMAT.md)."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a float in [0, 1], got {p!r} of type {type(p).__name__}")
    try:
        p = float(p)
    except OverflowError:  # an int beyond float64's range
        raise ValueError(f"p must be in [0, 1], got {p!r}") from None
    if not 0.0 <= p <= 1.0:  # NaN fails too
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    return math.floor(p * 4294967296.0)  # exact: p * 2**32 is a float64 scaling by a power of two


def bernoulli(draws, p, size=None, dtype=None, device=None, out=None, region=None):
    """bool values, True iff the value's word is below threshold(p) (FORMAT 20.1, the rule of
    philox.functional.bernoulli): one word per value."""
    if type(p) is not float and _params.is_array(p):
        return _params.draw(draws, {"p": _params.as_float(p, "p")}, size,
                            lambda shape: draws._output(shape, dtype, device, out, "bool", "b8", region),
                            _bernoulli_columns)
    if isinstance(p, (np.floating, np.integer)) and not isinstance(p, np.bool_):
        p = float(p)
    tp = threshold(p)
    t = draws._output(parse_size(size), dtype, device, out, "bool", "b8", region)
    return draws._fill(_BERNOULLI_B8, t, 0, False, 0.0, 0.0, 0.0, tp, 0)

# ---------------------------------------------------------------- truncated_normal (FORMAT 22.1)
_TRUNC_NORMAL = {"f32": _OP["trunc_normal_f32"], "f64": _OP["trunc_normal_f64"]}


def _bound(x, name: str) -> float:
    """A truncation bound: a real number, infinities allowed, NaN not."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {x!r} of type {type(x).__name__}")
    try:
        v = float(x)
    except OverflowError:  # an int beyond float64's range
        raise ValueError(f"{name} must be a float64 number, got {x!r}") from None
    if v != v:
        raise ValueError(f"{name} must not be NaN, got {x!r}")
    return v


def trunc_normal_params(mean: float, std: float, low: float, high: float):
    """(pl, d, mean, sstd) of ops trunc_normal_f32/f64 (FORMAT 22.1): the standardized bounds
    a = (low - mean) / std, b = (high - mean) / std, reflected to (-b, -a) with sstd = -std when
    a > 0 (so an interval above the mean takes its Phi values below it, where they are small and
    accurate; philox.nn.init.trunc_normal_'s rule); pl = Phi(a'), d = Phi(b') - Phi(a') by the
    header's Phi (_core.ndtr)."""
    a, b = (low - mean) / std, (high - mean) / std
    if a > 0.0:
        a, b, std = -b, -a, -std
    pl = _core.ndtr(a)
    return pl, _core.ndtr(b) - pl, mean, std


def truncated_normal(draws, mean=0.0, std=1.0, low=-2.0, high=2.0, size=None, dtype=None, device=None, out=None,
                     region=None):
    """Normal(mean, std) truncated to [low, high] by the inverse CDF (FORMAT 22.1)."""
    if not all(type(x) is float for x in (mean, std, low, high)) and any(
            _params.is_array(x) for x in (mean, std, low, high)):
        return _truncated_normal_array(draws, mean, std, low, high, size, dtype, device, out, region)
    m, s = _param(mean, "mean"), _param(std, "std")
    lo, hi = _bound(low, "low"), _bound(high, "high")
    if not s > 0.0:
        raise ValueError(f"std must be positive, got {std!r}")
    if not lo < hi:
        raise ValueError(f"low must be below high, got low={low!r}, high={high!r}")
    t = draws._output(parse_size(size), dtype, device, out, "float", "f64", region)
    if t.code not in _TRUNC_NORMAL:
        raise TypeError(f"truncated_normal draws float32 or float64 values, got dtype {t.code} (dtype={dtype!r}"
                        f"{'' if out is None else ', out.dtype=' + str(out.dtype)})")
    if t.code == "f32":  # the values are rounded to float32, and so are the bounds they are clamped to
        with np.errstate(over="ignore"):
            lo32, hi32 = float(np.float32(lo)), float(np.float32(hi))
        for v, v32, nm in ((lo, lo32, "low"), (hi, hi32, "high")):
            if math.isfinite(v) and not math.isfinite(v32):
                raise ValueError(f"{nm}={v!r} overflows float32, the output's dtype")
        lo, hi = lo32, hi32
    pl, d, mm, sstd = trunc_normal_params(m, s, _bound(low, "low"), _bound(high, "high"))
    bits = int(np.float64(sstd).view(np.uint64))
    res = draws._fill(_TRUNC_NORMAL[t.code], t, 0, False, pl, d, mm, bits, 0)
    if isinstance(res, np.ndarray):
        return np.clip(res, lo, hi, out=res)
    if isinstance(res, (float, np.floating)):
        return type(res)(min(max(res, lo), hi))
    return res.clamp_(lo, hi)


# ---------------------------------------------------------------- categorical (FORMAT 22.3)
def _categorical_rows(draws, shape, batch_shape):
    """``extra``: each row's gumbel draw is ``extra + (K,)`` (a batch: ``()`` when one 1-D ``logits``
    serves every row). ``shape`` is the logits' shape with the category dimension last."""
    rows = shape[:-1]
    if batch_shape is None:  # a Stream: one draw of the whole shape
        return rows
    if rows[:len(batch_shape)] == batch_shape:
        return rows[len(batch_shape):]
    if len(shape) == 1:
        return ()
    raise ValueError(f"logits of shape {tuple(shape)} (categories last) must be 1-D or start with the batch "
                     f"shape {batch_shape}")


def categorical(draws, logits, dim=-1, check=True):
    """One category per row of ``logits`` (dimension ``dim``): argmax_j (logits_j + g_j), g the row's
    gumbel draws in the logits' precision (FORMAT 22.3)."""
    from ._keys import _is_int
    torch = D.torch_module()
    is_tensor = torch is not None and isinstance(logits, torch.Tensor)
    if not is_tensor:
        if isinstance(logits, (list, tuple)):
            try:
                logits = np.asarray(logits, dtype=np.float64)
            except ValueError as e:  # ragged, or an element no float reads (a str): name the argument
                exc = ValueError if "inhomogeneous" in str(e) or "sequence" in str(e) else TypeError
                raise exc(f"logits must be a rectangular list of floats, got {logits!r} ({e})") from None
            except TypeError as e:  # None, an object
                raise TypeError(f"logits must be a list of floats, got {logits!r} ({e})") from None
        if not isinstance(logits, np.ndarray):
            raise TypeError(f"logits must be a numpy array, torch tensor or list of floats, got "
                            f"{type(logits).__name__}")
    kinds = ({torch.float16: torch.float32, torch.bfloat16: torch.float32, torch.float32: torch.float32,
              torch.float64: torch.float64} if is_tensor else
             {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float32, np.dtype(np.float64): np.float64})
    if logits.dtype not in kinds:
        raise TypeError(f"logits must hold floats (float16, bfloat16, float32 or float64), got dtype {logits.dtype}")
    if isinstance(dim, bool) or not _is_int(dim):
        raise TypeError(f"dim must be an int, got {dim!r} of type {type(dim).__name__}")
    nd = logits.ndim
    if not -nd <= int(dim) < nd:
        raise ValueError(f"dim={dim!r} is out of range for logits with {nd} dimensions")
    d = int(dim) % nd
    k = logits.shape[d]
    if k == 0:
        raise ValueError(f"logits has no categories (dimension {dim} has size 0)")
    batch_shape = getattr(draws, "batch_shape", None)
    cdt = kinds[logits.dtype]
    if is_tensor:
        x = torch.movedim(logits, d, -1)
    else:
        x = np.moveaxis(logits, d, -1)
    if batch_shape is not None and not is_tensor:  # a batch draws tensors
        if torch is None:
            raise TypeError("StreamBatch.categorical needs torch")
        x = torch.from_numpy(np.ascontiguousarray(x)).to(draws.device)
        is_tensor = True
        cdt = torch.float64 if cdt is np.float64 else torch.float32
    extra = _categorical_rows(draws, tuple(x.shape), batch_shape)
    if is_tensor:
        x = x.to(cdt)
        bad = torch.isnan(x).any(-1) | (x == float("-inf")).all(-1)
        if check and bad.any():  # one host sync for a device tensor (check=False skips it)
            _bad_row(tuple(int(i) for i in bad.nonzero()[0]))
    else:
        # numpy: the check and the argmax in C++ passes over the rows (no (rows, K) temporaries)
        x = np.ascontiguousarray(x, dtype=cdt)
        if check:
            r = _core.categorical_first_bad(x)
            if r >= 0:
                _bad_row(np.unravel_index(r, x.shape[:-1]))
    size = (extra + (k,)) if batch_shape is not None else tuple(x.shape)
    if is_tensor:
        g = draws.gumbel(size=size, dtype=cdt, device=x.device)
        idx = torch.argmax(x + g, dim=-1)  # ties: the first maximal index (torch and numpy)
        return torch.where(bad, torch.full_like(idx, -1), idx)
    g = draws.gumbel(size=size, dtype=cdt)
    return _core.categorical_argmax(x, np.ascontiguousarray(g, dtype=cdt))[()]


def _bad_row(where):
    where = tuple(int(i) for i in where)
    raise ValueError(f"logits row {where} has NaN or only -inf logits: no category can be drawn")
# ---------------------------------------------------------------- FORMAT 21: beta, standard_t, dirichlet, float32 gamma
_GAMMA_F32 = _OP["gamma_f32"]
_BETA_F64 = _OP["beta_f64"]
_STANDARD_T_F64 = _OP["standard_t_f64"]

# float32 gamma (gamma_f64's value rounded): shape * max(scale, 1) bound far below float32's overflow
GAMMA_MAX_F32 = 1e36


def _gamma_target(draws, size, dtype, device, out, region):
    """The output of a gamma draw: float64 (the default, also for torch outputs without a dtype) or
    float32 (op gamma_f32); TypeError for any other dtype."""
    if dtype is None and out is None:
        dtype = np.float64
    t = draws._output(parse_size(size), dtype, device, out, "float", "f64", region)
    if t.code not in ("f64", "f32"):
        raise TypeError(f"gamma draws float64 or float32 values only, got dtype {t.code} "
                        f"(dtype={dtype!r}{'' if out is None else ', out.dtype=' + str(out.dtype)})")
    return t


def _f64_bits(x: float) -> int:
    return int(np.array(x, dtype=np.float64).view(np.uint64))


def _positive_shape(v, name):
    x = _param(v, name)
    if not 0.0 < x <= _GAMMA_MAX:
        raise ValueError(f"{name} must be positive and at most {_GAMMA_MAX:g}, got {v!r}")
    return x


def beta_params(a: float, b: float):
    """(affine, a, b, c, ilow) of op beta_f64 (FORMAT 21.2): logspace = a < 1 or b < 1, the shapes,
    c of a, the float64 bits of c of b."""
    return a < 1.0 or b < 1.0, a, b, gamma_params(a, 1.0)[2], _f64_bits(gamma_params(b, 1.0)[2])


def standard_t_params(df: float):
    """(affine, a, b, c) of op standard_t_f64 (FORMAT 21.3): boost = h < 1, h = df / 2, 0, c of h."""
    h = df * 0.5
    return h < 1.0, h, 0.0, gamma_params(h, 1.0)[2]


def beta(draws, a, b, size=None, dtype=None, device=None, out=None, region=None):
    """beta(a, b), float64, 8 words per value: gamma(a) from words 0-3, gamma(b) from words 4-7, in logs
    when a or b is below 1 (FORMAT 21.2)."""
    if not (type(a) is float and type(b) is float) and (_params.is_array(a) or _params.is_array(b)):
        return _array(draws, "beta", np.float64, {"a": _params.as_float(a, "a"), "b": _params.as_float(b, "b")},
                      size, dtype, device, out, region, _beta_columns)
    av, bv = _positive_shape(a, "a"), _positive_shape(b, "b")
    t = _target_only(draws, "beta", np.float64, size, dtype, device, out, region)
    return draws._fill(_BETA_F64, t, 0, *beta_params(av, bv))


# standard_t: the smallest df (h / g, whose square root scales Z, stays a normal float64)
STANDARD_T_DF_MIN = 1e-300


def standard_t(draws, df, size=None, dtype=None, device=None, out=None, region=None):
    """Student's t(df), float64, 6 words per value: Z / sqrt(chisquare(df) / df) (FORMAT 21.3)."""
    if type(df) is not float and _params.is_array(df):
        return _array(draws, "standard_t", np.float64, {"df": _params.as_float(df, "df")}, size, dtype, device, out,
                      region, _standard_t_columns)
    v = _param(df, "df")
    if not STANDARD_T_DF_MIN <= v <= _GAMMA_MAX:
        raise ValueError(f"df must be in [{STANDARD_T_DF_MIN:g}, {_GAMMA_MAX:g}], got {df!r}")
    t = _target_only(draws, "standard_t", np.float64, size, dtype, device, out, region)
    return draws._fill(_STANDARD_T_F64, t, 0, *standard_t_params(v))


def _sequence_array(x, name, what):
    """``x`` (a list, tuple, numpy array or tensor) as a numpy array, for a parameter that must be
    ``what``: strings, dicts, ints and floats, and anything numpy cannot read, are a TypeError naming
    ``name`` (dirichlet's ``alpha``, multinomial's ``pvals``; their shape and dtype checks follow)."""
    from ._keys import _is_int
    if isinstance(x, (str, bytes, dict)) or _is_int(x) or isinstance(x, float):
        raise TypeError(f"{name} must be {what}, got {x!r}")
    try:
        return np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)
    except Exception as e:  # noqa: BLE001 -- any failure to read it is the caller's argument
        raise TypeError(f"{name} must be {what}, got {x!r}") from e


def _dirichlet_alpha(alpha):
    """alpha as a list of K >= 1 floats in (0, 1e300], their sum at most 1e300 (FORMAT 21.4)."""
    arr = _sequence_array(alpha, "alpha", "a 1-D sequence of positive floats")
    if arr.ndim == 0:  # None, a set, a numpy scalar: no sequence at all
        raise TypeError(f"alpha must be a 1-D sequence of positive floats, got {alpha!r}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"alpha must be a non-empty 1-D sequence, got shape {arr.shape}: {alpha!r}")
    if arr.dtype.kind not in "iuf" or arr.dtype == np.bool_:
        raise TypeError(f"alpha must hold real numbers, got dtype {arr.dtype}: {alpha!r}")
    al = [float(v) for v in arr]
    for j, v in enumerate(al):
        if not 0.0 < v <= _GAMMA_MAX:
            raise ValueError(f"alpha[{j}] must be positive and at most {_GAMMA_MAX:g}, got {v!r} (alpha={alpha!r})")
    if math.fsum(al) > _GAMMA_MAX:
        raise ValueError(f"the sum of alpha must be at most {_GAMMA_MAX:g}, got alpha={alpha!r}")
    return al


def dirichlet_params(alpha):
    """The beta shapes (a_j, b_j), j < K - 1, of dirichlet's stick-breaking (FORMAT 21.4): a_j = alpha_j,
    b_j = alpha_{j+1} + ... + alpha_{K-1}, summed from the last (each step one float64 addition)."""
    rest, tails = 0.0, []
    for v in reversed(alpha[1:]):
        rest = v + rest if tails else v
        tails.append(rest)
    return list(zip(alpha[:-1], reversed(tails)))


_DIRICHLET_WHOLE = 3  # dirichlet: up to this many beta columns, whole scalar draws per column (below)


def _row_draw_words(draws, name: str, rows: int, k: int, per_value: int):
    """(p0, words) of `rows` rows of k values over one (rows, k - 1) draw of `per_value` words per
    element (dirichlet, multinomial); ValueError when the words run past MAX_POSITION."""
    from . import _stream
    words = per_value * rows * (k - 1)
    p0 = draws.position
    if p0 + words > _stream.MAX_POSITION:
        raise ValueError(f"{name} of {rows} rows of {k} values needs {words} words; position {p0} "
                         f"leaves {_stream.MAX_POSITION - p0}")
    return p0, words


def dirichlet(draws, alpha, size=None, dtype=None, device=None):
    """dirichlet(alpha), float64, shape size + (K,): stick-breaking over K - 1 beta columns of one
    (rows, K - 1) beta draw (8 words per element), FORMAT 21.4."""
    from . import _stream
    al = _dirichlet_alpha(alpha)
    shape = parse_size(size)
    is_np = _target_only(draws, "dirichlet", np.float64, (0,), dtype, device, None, None).arr is not None  # checks
    k = len(al)
    rows = 1 if shape is None else math.prod(shape)
    outer = () if shape is None else shape
    p0, words = _row_draw_words(draws, "dirichlet", rows, k, 8)
    params = dirichlet_params(al)
    if k == 1:
        empty = draws.beta(1.0, 1.0, size=(0,), dtype=dtype, device=device)
        lead = tuple(empty.shape[:-1])
        ones_shape = lead + outer + (1,)
        if isinstance(empty, np.ndarray):
            return np.ones(ones_shape)
        import torch
        return torch.ones(ones_shape, dtype=torch.float64, device=empty.device)
    # A Stream draws column j alone, as a region of the (rows, K - 1) beta draw with column j's scalar
    # shapes: O(rows) per column, through the CPU's vectorized scalar beta passes (the gathered path
    # for a column, kernels_impl.h fill_gathered). A StreamBatch (no region=): for K - 1 >
    # _DIRICHLET_WHOLE one (rows, K - 1) beta draw with per-column parameters (FORMAT 23), else K - 1
    # whole scalar draws cut to column j. The same bits every way.
    region_cols = isinstance(draws, _stream.Stream)
    try:
        if region_cols:
            # numpy: the columns into one buffer (out=, contiguous: no copy), measured faster than a
            # fresh array per column
            vb = np.empty((k - 1, rows)) if is_np else None
            cols = []
            for j, (a, b) in enumerate(params):
                draws.position = p0
                cols.append(draws.beta(a, b, size=(rows, k - 1), dtype=dtype, device=device,
                                       out=None if vb is None else vb[j].reshape(rows, 1),
                                       region=(slice(None), slice(j, j + 1)))[..., 0])
        elif k - 1 > _DIRICHLET_WHOLE:
            cols_p = [beta_params(a, b) for a, b in params]
            block = {"affine": np.array([c[0] for c in cols_p], dtype=np.uint8),
                     "a": np.array([c[1] for c in cols_p], dtype=np.float64),
                     "b": np.array([c[2] for c in cols_p], dtype=np.float64),
                     "c": np.array([c[3] for c in cols_p], dtype=np.float64),
                     "ilow": np.array([c[4] for c in cols_p], dtype=np.uint64)}
            draws.position = p0
            v = _array(draws, "dirichlet", np.float64, {"alpha": np.asarray(al[:-1], dtype=np.float64)},
                       (rows, k - 1), dtype, device, None, None, lambda code, p: (_BETA_F64, 0, False, block))
            cols = [v[..., j] for j in range(k - 1)]
        else:
            cols = []
            for j, (a, b) in enumerate(params):
                draws.position = p0
                cols.append(draws.beta(a, b, size=(rows, k - 1), dtype=dtype, device=device)[..., j])
    except BaseException:
        draws.position = p0  # a failed call moves nothing
        raise
    draws.position = p0 + words
    if is_np:
        # numpy output comes from a Stream only (a StreamBatch draws torch tensors), so its columns lie
        # in vb (K - 1, rows): stick-breaking in one pass per row in C++, the float64 operations of
        # FORMAT 21.4 in their order (numpy passes over the output's strided columns were 5-10 ns per
        # row slower)
        return _core.stick_breaking(vb).reshape(outer + (k,))
    # torch: x_j = V_j * rem, rem = rem * (1 - V_j), FORMAT 21.4's operations (IEEE products commute)
    lead = tuple(cols[0].shape[:-1])
    x, rem = [], None
    for v in cols:
        x.append(v if rem is None else v * rem)
        rem = (1.0 - v) if rem is None else rem * (1.0 - v)
    x.append(rem)
    import torch
    return torch.stack(x, dim=-1).reshape(lead + outer + (k,))


# ---------------------------------------------------------------- FORMAT 22.2: multinomial (numpy's conditional
# binomials over one (rows, K - 1) binomial draw, a column at a time; no op of its own)
MULTINOMIAL_SUM_TOL = 1e-12  # numpy's: sum(pvals[:-1]) <= 1 + 1e-12


def _multinomial_pvals(pvals):
    """pvals as a list of K >= 1 floats in [0, 1] with sum(pvals[:-1]) <= 1 + 1e-12 (numpy's checks)."""
    arr = _sequence_array(pvals, "pvals", "a 1-D sequence of floats")
    if arr.dtype.kind not in "iuf" or arr.dtype == np.bool_:
        raise TypeError(f"pvals must hold real numbers, got dtype {arr.dtype}: {pvals!r}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"pvals must be a non-empty 1-D sequence, got shape {arr.shape}: {pvals!r}")
    pv = [float(v) for v in arr]
    for j, v in enumerate(pv):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"pvals[{j}] must be in [0, 1], got {v!r} (pvals={pvals!r})")
    if math.fsum(pv[:-1]) > 1.0 + MULTINOMIAL_SUM_TOL:
        raise ValueError(f"sum(pvals[:-1]) must be at most 1 + {MULTINOMIAL_SUM_TOL:g}, got "
                         f"{math.fsum(pv[:-1])!r} (pvals={pvals!r})")
    return pv


def multinomial_probs(pvals):
    """The binomial probabilities p'_j, j < K - 1, of multinomial's conditional binomials (FORMAT 22.2):
    rem = 1; p'_j = min(max(pvals[j] / rem, 0), 1) if rem > 0 else 1; rem = rem - pvals[j] (float64)."""
    rem, out = 1.0, []
    for v in pvals[:-1]:
        out.append(min(max(v / rem, 0.0), 1.0) if rem > 0.0 else 1.0)
        rem = rem - v
    return out


def multinomial(draws, n, pvals, size=None, dtype=None, device=None, out=None):
    """multinomial(n, pvals), int64 of shape size + (K,): numpy's conditional binomials, column j of one
    (rows, K - 1) binomial draw (4 words per element) with n_rem = n - (the row's earlier counts), FORMAT 22.2."""
    from . import _stream
    from ._keys import _is_int
    if not _is_int(n) or isinstance(n, (bool, np.bool_)):
        raise TypeError(f"n must be an int, got {n!r} of type {type(n).__name__}")
    nn = int(n)
    if not 0 <= nn <= BINOMIAL_N_MAX:
        raise ValueError(f"n must be in [0, 2**62], got {nn}")
    pv = _multinomial_pvals(pvals)
    shape = parse_size(size)
    is_np = _target_only(draws, "multinomial", np.int64, (0,), dtype, device, None, None).arr is not None  # checks
    k = len(pv)
    rows = 1 if shape is None else math.prod(shape)
    outer = () if shape is None else shape
    lead = tuple(getattr(draws, "batch_shape", ()))
    full = lead + outer + (k,)
    if out is not None:
        torch = sys.modules.get("torch")
        is_t = torch is not None and isinstance(out, torch.Tensor)
        if not (isinstance(out, np.ndarray) or is_t):
            raise TypeError(f"out must be a numpy array or a torch tensor, got {type(out).__name__}")
        if str(out.dtype) not in ("int64", "torch.int64"):
            raise TypeError(f"multinomial draws int64 values only, got out.dtype={out.dtype}")
        if tuple(out.shape) != full:
            raise ValueError(f"out of shape {tuple(out.shape)} does not match the output shape {full}")
    p0, words = _row_draw_words(draws, "multinomial", rows, k, 4)
    probs = multinomial_probs(pv)
    rem = np.full(lead + (rows,), nn, dtype=np.int64)  # n_rem per row (rows of a batch included)
    counts = np.empty(lead + (rows, k), dtype=np.int64)
    # A Stream draws column j alone, as a region of the whole (rows, K - 1) draw, with the n_rem column
    # (rows, 1): O(rows) per column (the CPU's gathered path for a column, kernels_impl.h fill_gathered).
    # A StreamBatch (no region=) draws the whole draw per column and keeps column j (O(rows K) per
    # column). Column 0's n_rem is n in every row: a scalar-parameter draw (the vectorized binomial
    # passes; an array-parameter element is the scalar draw of its parameters, FORMAT 23). The same
    # bits every way.
    region_cols = isinstance(draws, _stream.Stream)
    col0 = None
    vb = np.empty((rows, 1), np.int64) if region_cols and is_np else None  # numpy: one buffer for the columns
    try:
        for j, pj in enumerate(probs):
            draws.position = p0
            n_j = nn if j == 0 else rem[..., None]
            if region_cols:
                v = draws.binomial(n_j, pj, size=(rows, k - 1), dtype=dtype, device=device, out=vb,
                                   region=(slice(None), slice(j, j + 1)))[..., 0]
            else:
                v = draws.binomial(n_j, pj, size=(rows, k - 1), dtype=dtype, device=device)[..., j]
            if col0 is None:
                col0 = v
            v = v.cpu().numpy() if hasattr(v, "cpu") else v
            counts[..., j] = v
            rem -= v
    except BaseException:
        draws.position = p0  # a failed call moves nothing
        raise
    draws.position = p0 + words
    counts[..., k - 1] = rem
    counts = counts.reshape(full)
    if k == 1:  # no draw: the output's kind from an empty one
        col0 = draws.binomial(0, 0.0, size=(0,), dtype=dtype, device=device)
        draws.position = p0
    if isinstance(col0, np.ndarray):
        res = counts
    else:
        import torch
        res = torch.from_numpy(counts).to(col0.device)
    if out is None:
        return res
    if isinstance(out, np.ndarray):
        out[...] = counts
    else:
        import torch
        out.copy_(torch.from_numpy(counts))
    return out
