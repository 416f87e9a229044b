"""Distributions beyond uniform and normal: argument checks and each draw's parameter block.

One function per distribution, called by the Stream / StreamBatch methods of the same name
(``_stream._Draws``); each checks every argument first (``TypeError`` / ``ValueError`` naming
it, before any word is drawn), computes the op's parameters (``a``, ``b``, ``c`` of csrc/ops.h's
``OpArgs``, as docs/FORMAT.md section 19 fixes them) and fills through the op table. The values
themselves live once, in csrc/dists.h (mirrored by the pure-torch fallback).
"""
from __future__ import annotations

import math

import numpy as np

from . import _core
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
    return _gamma(draws, _param(shape, "shape"), 1.0, size, dtype, device, out, region)


def gamma(draws, shape, scale=1.0, size=None, dtype=None, device=None, out=None, region=None):
    return _gamma(draws, _param(shape, "shape"), _param(scale, "scale"), size, dtype, device, out, region)


def chisquare(draws, df, size=None, dtype=None, device=None, out=None, region=None):
    """chi-square(df) = gamma(df / 2, scale 2), the same values (numpy's definition)."""
    v = _param(df, "df")
    if not v > 0.0:
        raise ValueError(f"df must be positive, got {df!r}")
    return _gamma(draws, v * 0.5, 2.0, size, dtype, device, out, region, ("df / 2", "scale"))


# Largest poisson mean: PTRS's k = floor(... + lam + 0.43) keeps a resolution below 1 up to here.
POISSON_LAM_MAX = 1e15


def poisson(draws, lam=1.0, size=None, dtype=None, device=None, out=None, region=None):
    """poisson(lam), int64: inversion below 10, PTRS with retries from 10 (FORMAT 19.3)."""
    v = _param(lam, "lam")
    if not 0.0 <= v <= POISSON_LAM_MAX:
        raise ValueError(f"lam must be in [0, {POISSON_LAM_MAX:g}], got {lam!r}")
    t = _target_only(draws, "poisson", np.int64, size, dtype, device, out, region)
    return draws._fill(_POISSON_I64, t, 0, False, v)


BINOMIAL_N_MAX = 1 << 62


def binomial(draws, n, p, size=None, dtype=None, device=None, out=None, region=None):
    """binomial(n, p), int64: inversion for n * min(p, 1-p) < 10, BTRS with retries above (FORMAT 19.4)."""
    from ._keys import _is_int
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
    av, bv = _positive_shape(a, "a"), _positive_shape(b, "b")
    t = _target_only(draws, "beta", np.float64, size, dtype, device, out, region)
    return draws._fill(_BETA_F64, t, 0, *beta_params(av, bv))


# standard_t: the smallest df (h / g, whose square root scales Z, stays a normal float64)
STANDARD_T_DF_MIN = 1e-300


def standard_t(draws, df, size=None, dtype=None, device=None, out=None, region=None):
    """Student's t(df), float64, 6 words per value: Z / sqrt(chisquare(df) / df) (FORMAT 21.3)."""
    v = _param(df, "df")
    if not STANDARD_T_DF_MIN <= v <= _GAMMA_MAX:
        raise ValueError(f"df must be in [{STANDARD_T_DF_MIN:g}, {_GAMMA_MAX:g}], got {df!r}")
    t = _target_only(draws, "standard_t", np.float64, size, dtype, device, out, region)
    return draws._fill(_STANDARD_T_F64, t, 0, *standard_t_params(v))


def _dirichlet_alpha(alpha):
    """alpha as a list of K >= 1 floats in (0, 1e300], their sum at most 1e300 (FORMAT 21.4)."""
    from ._keys import _is_int
    if isinstance(alpha, (str, bytes, dict)) or _is_int(alpha) or isinstance(alpha, float):
        raise TypeError(f"alpha must be a 1-D sequence of positive floats, got {alpha!r}")
    try:
        arr = np.asarray(alpha.detach().cpu() if hasattr(alpha, "detach") else alpha)
    except Exception as e:  # noqa: BLE001 -- any failure to read it is the caller's argument
        raise TypeError(f"alpha must be a 1-D sequence of positive floats, got {alpha!r}") from e
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


_DIRICHLET_WHOLE = 4  # dirichlet: up to this many beta columns, whole draws per column (below)


def dirichlet(draws, alpha, size=None, dtype=None, device=None):
    """dirichlet(alpha), float64, shape size + (K,): stick-breaking over K - 1 beta columns of one
    (rows, K - 1) beta draw (8 words per element), FORMAT 21.4."""
    from . import _stream
    al = _dirichlet_alpha(alpha)
    shape = parse_size(size)
    _target_only(draws, "dirichlet", np.float64, (0,), dtype, device, None, None)  # dtype/device checks only
    k = len(al)
    rows = 1 if shape is None else math.prod(shape)
    outer = () if shape is None else shape
    params = dirichlet_params(al)
    p0 = draws.position
    if p0 + 8 * rows * (k - 1) > _stream.MAX_POSITION:
        raise ValueError(f"dirichlet of {rows} rows of {k} values needs {8 * rows * (k - 1)} words; position {p0} "
                         f"leaves {_stream.MAX_POSITION - p0}")
    if k == 1:
        empty = draws.beta(1.0, 1.0, size=(0,), dtype=dtype, device=device)
        lead = tuple(empty.shape[:-1])
        ones_shape = lead + outer + (1,)
        if isinstance(empty, np.ndarray):
            return np.ones(ones_shape)
        import torch
        return torch.ones(ones_shape, dtype=torch.float64, device=empty.device)
    # Each column from a region of the whole draw (O(rows K) values) on a Stream with K - 1 > _DIRICHLET_WHOLE;
    # else from whole draws (O(rows K^2)): a region of one-value runs costs ~6 values per value (measured),
    # and region= is for a Stream's draws only (not a StreamBatch's). The same bits either way.
    region_cols = isinstance(draws, _stream.Stream) and k - 1 > _DIRICHLET_WHOLE
    cols = []
    try:
        for j, (a, b) in enumerate(params):
            draws.position = p0
            if region_cols:  # column j alone (a region of the whole draw)
                v = draws.beta(a, b, size=(rows, k - 1), dtype=dtype, device=device,
                               region=(slice(None), slice(j, j + 1)))
            else:  # the whole draw, cut to column j
                v = draws.beta(a, b, size=(rows, k - 1), dtype=dtype, device=device)
            cols.append(v[..., 0] if region_cols else v[..., j])
    except BaseException:
        draws.position = p0  # a failed call moves nothing
        raise
    draws.position = p0 + 8 * rows * (k - 1)
    x, rem = [], None
    for v in cols:
        x.append(v if rem is None else v * rem)
        rem = (1.0 - v) if rem is None else rem * (1.0 - v)
    x.append(rem)
    lead = tuple(cols[0].shape[:-1])
    if isinstance(cols[0], np.ndarray):
        return np.stack(x, axis=-1).reshape(lead + outer + (k,))
    import torch
    return torch.stack(x, dim=-1).reshape(lead + outer + (k,))
