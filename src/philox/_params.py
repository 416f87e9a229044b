"""Array parameters (docs/FORMAT.md 23): numpy Generator's "scalar or array parameters, broadcast
against ``size``" for every parametrized draw.

A draw takes this path when one of its parameters is an array: a numpy array (0-d included: with
``size=None`` and only 0-d parameters the draw is one scalar, as numpy's), a list or tuple
(``np.asarray``), or a torch tensor (any device; read back to the host, one sync, because every
element is checked there). Scalar parameters (Python and numpy scalars) never come here: their
draws are unchanged.

Shapes are numpy's: with ``size=None`` the output's shape is the broadcast shape of the parameters;
with ``size`` given every parameter must broadcast to it (a ``ValueError`` naming the parameter
otherwise). On a ``StreamBatch`` the parameters broadcast to the whole output, ``(*batch_shape,
*size)``, so a parameter of shape ``(B, 1)`` gives each row its own.

Each distribution gives ``columns(code, params)``: its per-element checks (vectorized; the first bad
element named) and its op's parameter block per element (``a``, ``b``, ``c``, ``ilow``,
``affine`` of csrc/ops.h's ``OpArgs``, as numpy arrays that broadcast to the output; derived
constants with the same correctly rounded float64 operations as the scalar path). ``draw`` then
broadcasts the columns to the output (a column with one element travels as one value, stride 0),
cuts a region's block out, and hands them to the draw's ``_fill_params``: every backend (the CPU
loops, the CUDA kernels, the torch fallback) builds value e's ``OpArgs`` from element e
(``op_args_at``) and runs the op's own value function, so element e equals the scalar draw of its
parameters at its position.
"""
from __future__ import annotations

import sys
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from . import _core
from ._output import parse_size

__all__ = ["is_array", "as_float", "as_int", "first", "draw", "FIELDS", "pointers"]

# OpArgs fields that may vary per element, and their element types (csrc/ops.h OpParams)
FIELDS = ("a", "b", "c", "ilow", "affine")
FIELD_DTYPES = {"a": np.float64, "b": np.float64, "c": np.float64, "ilow": np.uint64, "affine": np.uint8}


def is_array(x) -> bool:
    """True for an array parameter: a numpy array (0-d included), a list or tuple, a torch tensor."""
    if isinstance(x, (np.ndarray, list, tuple)):
        return True
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _numpy(x, name: str) -> np.ndarray:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        if x.dtype == torch.bool or x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a tensor of dtype {x.dtype}")
        x = x.detach().cpu()
        if x.dtype in (torch.float16, torch.bfloat16):
            x = x.to(torch.float64)  # exact
        x = x.numpy()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as e:  # ragged lists
        raise ValueError(f"{name} must be an array of real numbers, got {x!r} ({e})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got {x!r} (dtype {arr.dtype})")
    return arr


def first(mask: np.ndarray, *arrays: np.ndarray):
    """The elements of ``arrays`` (broadcast with ``mask``) at the first True of ``mask`` (C order),
    as Python numbers."""
    shape = np.broadcast_shapes(mask.shape, *(a.shape for a in arrays))
    i = int(np.flatnonzero(np.broadcast_to(mask, shape))[0])
    out = tuple(np.broadcast_to(a, shape).reshape(-1)[i].item() for a in arrays)
    return out[0] if len(out) == 1 else out


def as_float(x, name: str) -> np.ndarray:
    """An array parameter as float64 values, every one finite (ValueError naming the first that is not)."""
    arr = _numpy(x, name)
    with np.errstate(over="ignore"):
        v = arr.astype(np.float64, copy=False)  # no copy of a float64 array: nothing writes to it
    bad = ~np.isfinite(v)
    if bad.any():
        raise ValueError(f"{name} must be finite, got {first(bad, arr)!r}")
    return v


def as_int(x, name: str, lo: int, hi: int) -> np.ndarray:
    """An array parameter of integers in [lo, hi] (TypeError for another dtype, ValueError naming the
    first value out of range), as int64."""
    arr = _numpy(x, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold ints, got {x!r} (dtype {arr.dtype})")
    bad = (arr < lo) | (arr > hi)
    if bad.any():
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {first(bad, arr)}")
    return arr.astype(np.int64, copy=False)


Columns = Callable[[str, Dict[str, np.ndarray]], Tuple[int, int, bool, Dict[str, np.ndarray]]]


def draw(draws, params: Dict[str, np.ndarray], size, prepare, columns: Columns):
    """A draw with array parameters (checked arrays, ``as_float`` / ``as_int``): resolve the shape,
    prepare the output (``prepare(shape)``, the draw's ``_output``), check that every parameter
    broadcasts to it, build the per-element columns (``columns(code, params)`` -> (op, elem_size,
    affine, {field: array})) and fill. Every check comes before any word is drawn."""
    try:
        pshape = np.broadcast_shapes(*(a.shape for a in params.values()))
    except ValueError:
        raise ValueError("the parameters do not broadcast together: " +
                         ", ".join(f"{k} of shape {a.shape}" for k, a in params.items())) from None
    if size is None:
        shape: Optional[Tuple[int, ...]] = pshape if pshape else None
    else:
        shape = parse_size(size)
    t = prepare(shape)
    full = tuple(getattr(draws, "batch_shape", ())) + (shape or ())
    for k, a in params.items():
        try:
            ok = np.broadcast_shapes(a.shape, full) == full
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{k} of shape {a.shape} does not broadcast to the output shape {full} (size={size!r})")
    op, elem_size, affine, cols = columns(t.code, params)
    by_column = _last_axis_columns(draws, t, op, full, cols)
    if by_column is not None:
        return draws._fill_columns(op, t, elem_size, affine, by_column)
    bounds = getattr(t, "bounds", None)
    copy = not getattr(t, "fresh", False)  # an output allocated here aliases no parameter
    flat = {f: _flat(cols[f], FIELD_DTYPES[f], full, bounds, copy) for f in FIELDS if f in cols}
    return draws._fill_params(op, t, elem_size, affine, flat)


# Parameters that vary along the last axis only (a (K,) vector against size=(rows, K): per-column
# shapes, rates, counts) for an op whose scalar path has per-draw constants or passes of its own:
# each column is drawn alone with its scalar parameters, as a region of the whole draw (FORMAT 15:
# the same bits as the element's value in the full draw), through the CPU's scalar passes, instead of
# per-element columns of parameters (Stream._fill_columns). Measured on (10**6, 8) draws, one thread,
# EPYC Zen 5, ns per value: gamma 19.9 -> 10.0, float32 gamma 18.5 -> 8.9, beta 32.1 -> 14.7, poisson
# 24.3 -> 19.7, binomial 43.0 -> 33.1, standard_t 25.0 -> 19.9. For K up to COLUMNS_MAX columns
# of at least COLUMNS_MIN_ROWS rows (below that the per-column call costs more than it saves); a
# Stream's host numpy draw without region= (the other draws keep the per-element path).
COLUMN_OPS = frozenset(code for code, name, *_ in _core.OPS
                       if name in ("poisson_i64", "binomial_i64", "gamma_f64", "gamma_f32", "beta_f64",
                                   "standard_t_f64"))
COLUMNS_MAX = 64
COLUMNS_MIN_ROWS = 4096


def _last_axis_columns(draws, t, op, full, cols):
    """The scalar parameters of each column (a list of K {field: value}) when the draw takes the
    per-column path (above), else None."""
    if (op not in COLUMN_OPS or not hasattr(draws, "_fill_columns") or t.region is not None
            or t.arr is None or not t.arr.flags.c_contiguous or len(full) == 0):
        return None
    k = full[-1]
    if not 2 <= k <= COLUMNS_MAX or t.arr.size < k * COLUMNS_MIN_ROWS:
        return None
    vecs, varies = {}, False
    for f, v in cols.items():
        v = np.asarray(v)
        if v.size == 1:
            vecs[f] = np.broadcast_to(v.reshape(()), (k,))
            continue
        lead = v.shape[:-1] if v.ndim else ()
        if v.ndim == 0 or v.shape[-1] != k or any(d != 1 for d in lead):
            return None  # varies along another axis
        vecs[f] = v.reshape(k)
        varies = True
    if not varies:
        return None
    conv = {"a": float, "b": float, "c": float, "ilow": int, "affine": bool}
    return [{f: conv[f](vecs[f][j]) for f in vecs} for j in range(k)]


_SAME_BITS = {(np.dtype(np.bool_), np.dtype(np.uint8)), (np.dtype(np.int64), np.dtype(np.uint64))}


def _flat(v, dtype, full, bounds, copy=True):
    """(array, stride): one element (stride 0) or the column broadcast to the output, cut to the
    region's block, in output order (stride 1). A copy unless ``copy`` is false: the caller's
    parameter array may be the output itself (``s.gamma(x, out=x)``), which the fill overwrites
    while a rejection sampler's retry still reads the element's parameters. A freshly allocated
    output aliases nothing (``copy`` false): a column already contiguous, of its dtype and of the
    output's size is then passed as it is (booleans as their bytes, int64 as its uint64 bits),
    which saves a pass over memory per column (issue 11)."""
    v = np.asarray(v)
    if v.size == 1:
        return np.array(v.reshape(1), dtype=dtype, order="C", copy=True), 0
    b = np.broadcast_to(v, full)
    if bounds is not None:
        b = b[tuple(slice(lo, hi) for lo, hi in bounds)]
    if copy:
        return np.array(b, dtype=dtype, order="C", copy=True).reshape(-1), 1
    if (b.dtype, np.dtype(dtype)) in _SAME_BITS:  # bool as uint8, int64 as uint64 (two's complement)
        b = b.view(dtype)
    return np.ascontiguousarray(b, dtype=dtype).reshape(-1), 1


def sub(flat, first: int, count: int):
    """The columns of output elements [first, first + count)."""
    return {f: (a if s == 0 else a[first:first + count], s) for f, (a, s) in flat.items()}


def pointers(flat) -> tuple:
    """The (a, sa, b, sb, c, sc, ilow, si, affine, sf) tuple of the C++ entry points (csrc/ops.h
    OpParams) for host arrays (numpy, or tensors: ``data_ptr``): 0 for a field not given."""
    out = []
    for f in FIELDS:
        if f in flat:
            a, s = flat[f]
            out += [a.ctypes.data if isinstance(a, np.ndarray) else a.data_ptr(), s]
        else:
            out += [0, 0]
    return tuple(out)


def to_tensors(flat, device):
    """The columns as torch tensors on ``device`` (uint64 as int64 bits)."""
    import torch
    out = {}
    for f, (a, s) in flat.items():
        if a.dtype == np.uint64:
            a = a.view(np.int64)
        a = np.ascontiguousarray(a)
        out[f] = (torch.from_numpy(a if a.flags.writeable else a.copy()).to(device), s)
    return out
