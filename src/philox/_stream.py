"""Stream: one infinite sequence of 32-bit words, and the draws that read it.

A stream is ``(seed, id)`` plus a position in words (SPEC 4). Every draw of
``n`` values that take ``k`` words each reads words ``position .. position +
n*k - 1`` and moves the position past them; the values are a pure function of
``(seed, id, position)``. Each draw checks its arguments and allocates its
output first; the backend then reserves the word range atomically on the
stream's cursor (so threads sharing a stream get disjoint ranges) and fills the
output with no lock and no GIL held.
"""
from __future__ import annotations

import math
import struct
import sys
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Union, overload

import numpy as np

from . import _backend, _core, _region
from . import _dtypes as D
from ._keys import _STR_IDS, U64, _is_int, check_real as _real, check_u64, checked_path_id, normalize_seed
from ._output import _NP_FAST, parse_size, parse_star_size, prepare

from . import _choice, _dists, _params, _permutation  # noqa: E402  (they call back into Stream's draws only)

if TYPE_CHECKING:
    import torch

    from ._batch import StreamBatch
    from ._typing import (AnyArray, ArrayT, Component, Device, DTypeArg, F64Array, I64Array, IndexLike, IntLike,
                          NpDType, SizeArg, Tensor, U32Array)

__all__ = ["Stream", "MAX_POSITION", "FORMAT_VERSION"]

FORMAT_VERSION = 1
MAX_POSITION = 1 << 66  # words per stream: 2**64 blocks of 4

# Backend op codes, from the op table (csrc/ops.h, exported as _core.OPS), which also
# gives each op's words per value.
_OP = {name: code for code, name, _words, _bytes, _dtypes in _core.OPS}
_RAW32, _RAW64 = _OP["raw32"], _OP["raw64"]
_UNIFORM = {k: _OP["uniform_" + k] for k in ("f32", "f64", "f16", "bf16")}
_UNIFORM_F64 = _UNIFORM["f64"]
_NORMAL = {k: _OP["normal_" + k] for k in ("f32", "f64", "f16", "bf16")}
_EXPONENTIAL = {k: _OP["exponential_" + k] for k in ("f32", "f64", "f16", "bf16")}
_GUMBEL, _LOGISTIC, _LAPLACE = ({k: _OP[f"{d}_{k}"] for k in ("f32", "f64", "f16", "bf16")}
                                for d in ("gumbel", "logistic", "laplace"))
_INT_SMALL, _INT_LARGE = _OP["int_small"], _OP["int_large"]
_PERM_WORDS = int(_core.PERM_WORDS)
# Small draws (at most _SMALL values into a fresh output) take one C++ call, _core.draw_small.
_SMALL = int(_core.SMALL_VALUES)
_draw_small, _fill_small, _path_id = _core.draw_small, _core.fill_small, _core.path_id
_child_stream, _StreamCore = _core.child_stream, _core.StreamCore
_F64, _I64 = D.CODE_NP["f64"], D.CODE_NP["i64"]
_I64_MIN, _I64_MAX = D.int_bounds("i64")
# dtype as given (numpy class, np.dtype, str; torch dtype once seen) -> (element code, numpy dtype or None)
_SMALL_DTYPES = {k: (code, D.CODE_NP[code]) for k, code in _NP_FAST.items()}


def randint_range(low, high):
    """``(lo, hi, hi - lo)`` of randint's bounds (numpy's convention: ``[0, low)`` when ``high`` is
    None): TypeError for a bound that is not an int (floats are refused, never truncated),
    ValueError unless ``low < high`` and ``high - low <= 2**64``."""
    if high is None:
        low, high = 0, low
        names = ("high", "high")
    else:
        names = ("low", "high")
    for v, nm in ((low, names[0]), (high, names[1])):
        if not _is_int(v):
            raise TypeError(f"{nm} must be an int, got {v!r} of type {type(v).__name__}")
    lo, hi = int(low), int(high)
    if lo >= hi:
        raise ValueError(f"low must be less than high, got low={lo}, high={hi}")
    r = hi - lo
    if r > 1 << 64:
        raise ValueError(f"high - low must be at most 2**64, got {r}")
    return lo, hi, r


_F32 = struct.Struct("<f")


def _f32(x: float) -> float:
    """The float32 nearest x (ties to even; +-inf past the range), as numpy's float32(x)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]  # a C (float) cast: IEEE round to nearest even
    except OverflowError:  # finite x that rounds past float32's range
        return math.copysign(math.inf, x)


def _f32_below(b: float) -> float:
    """The largest float32 below the float32 value b (b finite; an infinite b is refused later)."""
    if not math.isfinite(b):
        return b
    if b == 0:
        return -1.401298464324817e-45  # -(smallest subnormal)
    bits = struct.unpack("<I", _F32.pack(b))[0]
    return _F32.unpack(struct.pack("<I", bits - 1 if b > 0 else bits + 1))[0]


def _sub_f32(b: float, a: float) -> float:
    """b - a in float32 arithmetic (a, b float32 values): the exact difference rounded once."""
    d = b - a  # exact in float64 unless the exponents are far apart, where one rounding to
    # float64 then to float32 cannot land on a float32 midpoint; only finiteness is used
    return _f32(d)


def _bf16_bits(x32: float) -> int:
    """float32 value -> bfloat16 bits, round to nearest even (as philox.h does)."""
    b = int(np.array(x32, np.float32).view(np.uint32))
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF


def _bf16_value(bits: int) -> float:
    return float(np.array(bits << 16, np.uint32).view(np.float32))


def _f16_bits(x32: float) -> int:
    with np.errstate(over="ignore"):
        return int(np.array(x32, np.float32).astype(np.float16).view(np.uint16))


def _f16_value(bits: int) -> float:
    return float(np.array(bits, np.uint16).view(np.float16))


def _below_bits(bits: int) -> int:
    """Bits of the next 16-bit float below the one with ``bits`` (sign-magnitude)."""
    if bits & 0x7FFF == 0:
        return 0x8001
    return bits + 1 if bits & 0x8000 else bits - 1


# ---------------------------------------------------------------- array parameters (FORMAT 23)
# Scalar parameters of these types never look further (the scalar draws stay as fast as they were).
_SCALARS = frozenset((float, int))


def _f16_bits_arr(x32):
    with np.errstate(over="ignore"):
        return x32.astype(np.float16).view(np.uint16).astype(np.int64)


def _bf16_bits_arr(x32):
    b = x32.view(np.uint32).astype(np.int64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF


def _f16_value_arr(bits):
    return bits.astype(np.uint16).view(np.float16).astype(np.float64)


def _bf16_value_arr(bits):
    return (bits << 16).astype(np.uint32).view(np.float32).astype(np.float64)


def _below_bits_arr(bits):
    return np.where(bits & 0x7FFF == 0, 0x8001, np.where(bits & 0x8000, bits + 1, bits - 1))


def _uniform_columns(code, p):
    """uniform's (a, b, c) per element, as ``uniform`` computes them for one pair (each step one
    correctly rounded operation, vectorized), and its checks."""
    low, high = p["low"], p["high"]
    with np.errstate(all="ignore"):
        if code == "f64":
            a, b = low, high
            below = np.nextafter(b, -np.inf)
            span = b - a
        elif code == "f32":
            a32, b32 = low.astype(np.float32), high.astype(np.float32)
            below = np.nextafter(b32, np.float32(-np.inf)).astype(np.float64)
            span = b32 - a32
            a, b = a32.astype(np.float64), b32.astype(np.float64)
        else:
            to_bits, value = (_f16_bits_arr, _f16_value_arr) if code == "f16" else (_bf16_bits_arr, _bf16_value_arr)
            hb = to_bits(high.astype(np.float32))
            a, b = value(to_bits(low.astype(np.float32))), value(hb)
            below = _below_bits_arr(hb).astype(np.float64)
            span = b.astype(np.float32) - a.astype(np.float32)
        if ((a < b) & np.isfinite(span)).all():  # one pass for the common case (it implies the three below)
            return _UNIFORM[code], 0, True, {"a": a, "b": b, "c": below}
        for bad, msg in ((~(np.isfinite(a) & np.isfinite(b)), "low={!r} and high={!r} must be finite in the output "
                          f"dtype {code}"),
                         (~(a < b), "low must be less than high in the output dtype, got low={!r}, high={!r}"),
                         (~np.isfinite(span), "high - low overflows the output dtype (low={!r}, high={!r})")):
            if bad.any():
                raise ValueError(msg.format(*_params.first(bad, low, high)))
    return _UNIFORM[code], 0, True, {"a": a, "b": b, "c": below}


def _f32_finite(code, named):
    """16-bit and float32 draws compute in float32: each parameter must be finite there."""
    if code == "f64":
        return
    for v, nm in named:
        with np.errstate(over="ignore"):
            bad = ~np.isfinite(v.astype(np.float32))
        if bad.any():
            raise ValueError(f"{nm}={_params.first(bad, v)!r} overflows float32, the precision {code} output is "
                             "computed in")


def _non_negative(v, name):
    bad = ~(v >= 0)
    if bad.any():
        raise ValueError(f"{name} must be non-negative, got {_params.first(bad, v)!r}")


def _normal_columns(code, p):
    _non_negative(p["std"], "std")
    _f32_finite(code, ((p["mean"], "mean"), (p["std"], "std")))
    return _NORMAL[code], 0, True, {"a": p["mean"], "b": p["std"]}


def _exponential_columns(code, p):
    sc = p["scale"]
    _non_negative(sc, "scale")
    _f32_finite(code, ((sc, "scale"),))
    return _EXPONENTIAL[code], 0, True, {"a": sc}


def _loc_scale_columns(ops):
    def columns(code, p):
        _non_negative(p["scale"], "scale")
        _f32_finite(code, ((p["loc"], "loc"), (p["scale"], "scale")))
        return ops[code], 0, True, {"a": p["loc"], "b": p["scale"]}
    return columns


def check_format(fmt) -> None:
    """A state dict's ``format`` must be this library's stream format (an int, not a bool)."""
    if not _is_int(fmt) or fmt != FORMAT_VERSION:
        raise ValueError(f"state dict has format {fmt!r}; this philox reads format {FORMAT_VERSION}")


class _Draws:
    """The draws of a stream (and of a batch of streams, ``philox.StreamBatch``).

    Subclasses provide ``_prepare(shape, dtype, device, out, kind, default_np)`` (the
    output ``Target``) and ``_fill(op, target, ...)`` (reserve the words, fill, finish).
    """

    _prepare = staticmethod(prepare)
    _cursor: Any  # _core.Cursor: the position
    _k0: int
    _k1: int

    @staticmethod
    def _check_position(position: Any) -> int:
        if not _is_int(position):
            raise TypeError(f"position must be an int in [0, 2**66], got {position!r} of type "
                            f"{type(position).__name__}")
        p = int(position)
        if not 0 <= p <= MAX_POSITION:
            raise ValueError(f"position must be in [0, 2**66], got {p}")
        return p

    @property
    def position(self) -> int:
        """Words consumed so far (by every row of a batch); settable: an O(1) jump anywhere in
        ``[0, 2**66]``."""
        hi, lo = self._cursor.get()
        return (hi << 64) | lo

    @position.setter
    def position(self, value: IntLike) -> None:
        p = self._check_position(value)
        self._cursor.set(p >> 64, p & 0xFFFFFFFFFFFFFFFF)

    def _output(self, shape, dtype, device, out, kind, default_np, region):
        """The output of a draw: ``_prepare``'s, or ``_target``'s when ``region=`` or ``out=`` is given
        (a DTensor ``out=`` is a region too)."""
        if region is None and out is None:
            return self._prepare(shape, dtype, device, out, kind, default_np)
        return self._target(shape, dtype, device, out, kind, default_np, region)

    def _target(self, shape, dtype, device, out, kind, default_np, region):
        """The output of a draw with ``region=`` or ``out=`` (a DTensor ``out=``: this rank's shard,
        the block of the global tensor that its placements give): checked before any word moves."""
        dt = None
        if out is not None and _region.is_dtensor(out):
            if region is not None:
                raise TypeError("region= and a DTensor out= cannot be combined: the DTensor's placements give "
                                f"each rank its region (got region={region!r})")
            gshape = tuple(out.shape)
            if shape is not None and shape != gshape:
                raise ValueError(f"size {shape} does not match the DTensor out's global shape {gshape}")
            shape, region = gshape, _region.dtensor_region(out)
            dt, out = out, _region.dtensor_local(out)
        if region is None:
            return self._prepare(shape, dtype, device, out, kind, default_np)
        if not isinstance(self, Stream):
            raise TypeError(f"region= (and a DTensor out=) is for draws of a Stream, not of a "
                            f"{type(self).__name__}")
        if shape is None and out is not None:
            raise ValueError(f"region={region!r} needs size= (the whole tensor's shape; out= takes the region's "
                             "shape)")
        bounds = _region.parse_region(region, shape)
        p = _region.plan(shape or (), bounds)
        if out is not None and tuple(out.shape) != p.shape:
            raise ValueError(f"out.shape {tuple(out.shape)} does not match the shape {p.shape} of region={region!r}")
        t = self._prepare(None if shape is None else p.shape, dtype, device, out, kind, default_np)
        t.region = p
        t.bounds = bounds
        if dt is not None:
            local_finish = t.finish
            t.finish = lambda: (local_finish(), dt)[1]
        return t

    def _array_draw(self, params, size, dtype, device, out, region, columns, kind="float", default_np="f64"):
        """A draw with array parameters (``params``: name -> checked array), docs/FORMAT.md 23."""
        return _params.draw(self, params, size,
                            lambda shape: self._output(shape, dtype, device, out, kind, default_np, region), columns)

    # ------------------------------------------------------------------ raw words
    @overload
    def random_raw(self, size: Optional[SizeArg] = ..., dtype: Optional[DTypeArg] = ...,
                   device: Optional[Device] = ..., *, out: Tensor,
                   region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def random_raw(self, size: Optional[SizeArg] = ..., *, dtype: torch.dtype, device: Optional[Device] = ...,
                   out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def random_raw(self, size: Optional[SizeArg] = ..., dtype: Optional[DTypeArg] = ..., *, device: Device,
                   out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def random_raw(self, size: Optional[SizeArg] = ..., dtype: Optional[NpDType] = ..., device: None = ..., *,
                   out: ArrayT, region: Optional[Tuple[slice, ...]] = ...) -> ArrayT: ...
    @overload
    def random_raw(self, size: None = ..., dtype: None = ..., device: None = ...,
                   out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> np.uint32: ...
    @overload
    def random_raw(self, size: None = ..., *, dtype: NpDType, device: None = ...,
                   out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> np.integer[Any]: ...
    @overload
    def random_raw(self, size: SizeArg, dtype: None = ..., device: None = ..., out: None = ...,
                   region: Optional[Tuple[slice, ...]] = ...) -> U32Array: ...
    @overload
    def random_raw(self, size: SizeArg, dtype: NpDType, device: None = ..., out: None = ...,
                   region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...

    def random_raw(self, size=None, dtype=None, device=None, out=None, region=None):
        """Raw words: uint32 (one word each, the default) or uint64 (``first + 2**32 * second``).

        int32/int64 dtypes (e.g. torch's) hold the same bits in two's complement.
        """
        shape = parse_size(size)
        t = self._output(shape, dtype, device, out, "raw", "u32", region)
        return self._fill(_RAW64 if t.code in ("u64", "i64") else _RAW32, t)

    # ------------------------------------------------------------------ small draws, fast
    # Per-sample code draws a few values per call, so the fixed cost per call counts. On a Stream
    # (``_small_ok``), rand/randn/randint take the common cases (no out=, no device=, at most
    # _SMALL values, numpy output or a torch dtype on the CPU) to one C++ call; anything else,
    # including every argument they do not recognize, goes to the generic draw below, which checks
    # it and names what is wrong. Same words, same values, same types as the generic path.
    # A Stream's rand/randn/randint are _core.StreamCore's C methods, which take these cases with
    # no Python frame and call the methods here for the rest (a torch dtype's first draw, where
    # _small learns its code, lands here).
    _small_ok = False

    def _small(self, ops, size, dtype):
        """``rand``/``randn`` of ``size`` (the ``*size`` tuple) with ``ops`` (element code -> op) in
        one C++ call, or None when the generic draw must take it."""
        if not size:
            n = -1
        elif len(size) == 1 and type(size[0]) is int and 0 <= size[0] <= _SMALL:
            n = size[0]
        else:
            return None
        if dtype is None:
            return _draw_small(self._cursor, ops["f64"], self._k0, self._k1, self._id, n, _F64)
        try:
            found = _SMALL_DTYPES.get(dtype)
        except TypeError:  # unhashable: not a dtype
            return None
        if found is None:
            code = D.torch_code_fast(dtype)
            if code is None:
                return None
            found = _SMALL_DTYPES[dtype] = (code, None)
        op = ops.get(found[0])
        if op is None:
            return None
        if found[1] is not None:  # a numpy dtype
            return _draw_small(self._cursor, op, self._k0, self._k1, self._id, n, found[1])
        if _backend.forced():  # a torch dtype: a CPU tensor
            return None
        torch = sys.modules["torch"]
        # (an int size parses faster than a tuple, and device= costs more than is_cpu below)
        buf = torch.empty(n, dtype=dtype) if n >= 0 else torch.empty((), dtype=dtype)
        if type(buf) is not torch.Tensor or not buf.is_cpu:  # a FakeTensor while tracing, another default
            return None                                           # device: the generic path knows
        _fill_small(self._cursor, op, self._k0, self._k1, self._id, 1 if n < 0 else n, buf.data_ptr())
        return buf

    # ------------------------------------------------------------------ uniform
    @overload
    def rand(self, *size: SizeArg, dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ...,
             out: Tensor, region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def rand(self, *size: SizeArg, dtype: torch.dtype, device: Optional[Device] = ..., out: None = ...,
             region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def rand(self, *size: SizeArg, dtype: Optional[DTypeArg] = ..., device: Device, out: None = ...,
             region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def rand(self, *size: SizeArg, dtype: Optional[NpDType] = ..., device: None = ..., out: ArrayT,
             region: Optional[Tuple[slice, ...]] = ...) -> ArrayT: ...
    @overload
    def rand(self, *, dtype: None = ..., device: None = ..., out: None = ...,
             region: Optional[Tuple[slice, ...]] = ...) -> float: ...
    @overload
    def rand(self, *, dtype: NpDType, device: None = ..., out: None = ...,
             region: Optional[Tuple[slice, ...]] = ...) -> np.floating[Any]: ...
    @overload
    def rand(self, size: SizeArg, /, *more: SizeArg, dtype: None = ..., device: None = ...,
             out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> F64Array: ...
    @overload
    def rand(self, size: SizeArg, /, *more: SizeArg, dtype: NpDType, device: None = ...,
             out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...

    def rand(self, *size, dtype=None, device=None, out=None, region=None):
        """Uniform floats in [0, 1); float64 numpy by default (SPEC 5 conversions).

        ``rand(3, 4)`` or ``rand((3, 4))``; ``rand()`` is one scalar. A torch dtype,
        ``device=`` or a tensor ``out=`` gives a torch tensor (torch's default dtype).
        """
        if device is None and out is None and region is None and self._small_ok:
            if dtype is None:  # float64 numpy: rand() and rand(n), the most common draws
                if not size:
                    return _draw_small(self._cursor, _UNIFORM_F64, self._k0, self._k1, self._id, -1, _F64)
                if len(size) == 1 and type(size[0]) is int and 0 <= size[0] <= _SMALL:
                    return _draw_small(self._cursor, _UNIFORM_F64, self._k0, self._k1, self._id, size[0], _F64)
            r = self._small(_UNIFORM, size, dtype)
            if r is not None:
                return r
        shape = parse_star_size(size)
        t = self._output(shape, dtype, device, out, "float", "f64", region)
        return self._fill(_UNIFORM[t.code], t)

    @overload
    def uniform(self, low: float = ..., high: float = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ..., *, out: Tensor,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def uniform(self, low: float = ..., high: float = ..., size: Optional[SizeArg] = ..., *, dtype: torch.dtype,
                device: Optional[Device] = ..., out: None = ...,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def uniform(self, low: float = ..., high: float = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[DTypeArg] = ..., *, device: Device, out: None = ...,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def uniform(self, low: float = ..., high: float = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[NpDType] = ..., device: None = ..., *, out: ArrayT,
                region: Optional[Tuple[slice, ...]] = ...) -> ArrayT: ...
    @overload
    def uniform(self, low: float = ..., high: float = ..., size: None = ..., dtype: None = ..., device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> float: ...
    @overload
    def uniform(self, low: float = ..., high: float = ..., size: None = ..., *, dtype: NpDType,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> np.floating[Any]: ...
    @overload
    def uniform(self, low: float = ..., high: float = ..., *, size: SizeArg, dtype: None = ...,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> F64Array: ...
    @overload
    def uniform(self, low: float, high: float, size: SizeArg, dtype: None = ..., device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> F64Array: ...
    @overload
    def uniform(self, low: float = ..., high: float = ..., *, size: SizeArg, dtype: NpDType,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...
    @overload
    def uniform(self, low: float, high: float, size: SizeArg, dtype: NpDType, device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...

    def uniform(self, low=0.0, high=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Uniform floats in [low, high): ``low + (high - low) * rand()`` in the dtype's precision.
        ``low`` and ``high`` may be arrays, broadcast against ``size`` (docs/FORMAT.md 23)."""
        if not (type(low) in _SCALARS and type(high) in _SCALARS) and (_params.is_array(low) or
                                                                      _params.is_array(high)):
            return self._array_draw({"low": _params.as_float(low, "low"), "high": _params.as_float(high, "high")},
                                    size, dtype, device, out, region, _uniform_columns)
        lo, hi = _real(low, "low"), _real(high, "high")
        shape = parse_size(size)
        t = self._output(shape, dtype, device, out, "float", "f64", region)
        code = t.code
        if code == "f64":
            a, b = lo, hi
            below = math.nextafter(b, -math.inf)
            span = b - a
        elif code == "f32":
            a, b = _f32(lo), _f32(hi)
            below = _f32_below(b)
            span = _sub_f32(b, a)
        else:
            with np.errstate(all="ignore"):  # out-of-range bounds are reported below, not warned about
                to_bits, value = (_f16_bits, _f16_value) if code == "f16" else (_bf16_bits, _bf16_value)
                hb = to_bits(_f32(hi))
                a, b = value(to_bits(_f32(lo))), value(hb)
                below = float(_below_bits(hb))
                span = float(np.float32(b) - np.float32(a))
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"low={low!r} and high={high!r} must be finite in the output dtype {code}")
        if not a < b:
            raise ValueError(f"low must be less than high in the output dtype, got low={low!r}, high={high!r}")
        if not math.isfinite(span):
            raise ValueError(f"high - low overflows the output dtype (low={low!r}, high={high!r})")
        return self._fill(_UNIFORM[code], t, 0, True, a, b, below)

    # ------------------------------------------------------------------ normal
    @overload
    def randn(self, *size: SizeArg, dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ...,
             out: Tensor, region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def randn(self, *size: SizeArg, dtype: torch.dtype, device: Optional[Device] = ..., out: None = ...,
              region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def randn(self, *size: SizeArg, dtype: Optional[DTypeArg] = ..., device: Device, out: None = ...,
              region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def randn(self, *size: SizeArg, dtype: Optional[NpDType] = ..., device: None = ..., out: ArrayT,
              region: Optional[Tuple[slice, ...]] = ...) -> ArrayT: ...
    @overload
    def randn(self, *, dtype: None = ..., device: None = ..., out: None = ...,
              region: Optional[Tuple[slice, ...]] = ...) -> float: ...
    @overload
    def randn(self, *, dtype: NpDType, device: None = ..., out: None = ...,
              region: Optional[Tuple[slice, ...]] = ...) -> np.floating[Any]: ...
    @overload
    def randn(self, size: SizeArg, /, *more: SizeArg, dtype: None = ..., device: None = ...,
             out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> F64Array: ...
    @overload
    def randn(self, size: SizeArg, /, *more: SizeArg, dtype: NpDType, device: None = ...,
             out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...

    def randn(self, *size, dtype=None, device=None, out=None, region=None):
        """Standard normal floats (inverse-CDF transform, docs/FORMAT.md); float64 numpy by default."""
        if device is None and out is None and region is None and self._small_ok:
            r = self._small(_NORMAL, size, dtype)
            if r is not None:
                return r
        shape = parse_star_size(size)
        t = self._output(shape, dtype, device, out, "float", "f64", region)
        return self._fill(_NORMAL[t.code], t)

    @overload
    def normal(self, mean: float = ..., std: float = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ..., *, out: Tensor,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def normal(self, mean: float = ..., std: float = ..., size: Optional[SizeArg] = ..., *, dtype: torch.dtype,
                device: Optional[Device] = ..., out: None = ...,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def normal(self, mean: float = ..., std: float = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[DTypeArg] = ..., *, device: Device, out: None = ...,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def normal(self, mean: float = ..., std: float = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[NpDType] = ..., device: None = ..., *, out: ArrayT,
                region: Optional[Tuple[slice, ...]] = ...) -> ArrayT: ...
    @overload
    def normal(self, mean: float = ..., std: float = ..., size: None = ..., dtype: None = ..., device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> float: ...
    @overload
    def normal(self, mean: float = ..., std: float = ..., size: None = ..., *, dtype: NpDType,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> np.floating[Any]: ...
    @overload
    def normal(self, mean: float = ..., std: float = ..., *, size: SizeArg, dtype: None = ...,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> F64Array: ...
    @overload
    def normal(self, mean: float, std: float, size: SizeArg, dtype: None = ..., device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> F64Array: ...
    @overload
    def normal(self, mean: float = ..., std: float = ..., *, size: SizeArg, dtype: NpDType,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...
    @overload
    def normal(self, mean: float, std: float, size: SizeArg, dtype: NpDType, device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...

    def normal(self, mean=0.0, std=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Normal floats ``mean + std * randn()`` in the dtype's precision (float32 for 16-bit dtypes).
        ``mean`` and ``std`` may be arrays, broadcast against ``size`` (docs/FORMAT.md 23)."""
        if not (type(mean) in _SCALARS and type(std) in _SCALARS) and (_params.is_array(mean) or
                                                                      _params.is_array(std)):
            return self._array_draw({"mean": _params.as_float(mean, "mean"), "std": _params.as_float(std, "std")},
                                    size, dtype, device, out, region, _normal_columns)
        m, s = _real(mean, "mean"), _real(std, "std")
        if s < 0:
            raise ValueError(f"std must be non-negative, got {std!r}")
        shape = parse_size(size)
        t = self._output(shape, dtype, device, out, "float", "f64", region)
        if t.code != "f64":  # computed in float32
            for v, nm in ((m, "mean"), (s, "std")):
                if not math.isfinite(_f32(v)):
                    raise ValueError(f"{nm}={v!r} overflows float32, the precision {t.code} output is computed in")
        return self._fill(_NORMAL[t.code], t, 0, True, m, s)

    # ------------------------------------------------------------------ distributions (_dists, FORMAT 19)
    def standard_gamma(self, shape, size=None, dtype=None, device=None, out=None, region=None):
        """Gamma(shape, 1) floats (numpy's ``standard_gamma``; ``shape >= 0``, 0 gives 0). float64
        (numpy or torch) or float32 (the float64 value rounded, docs/FORMAT.md 21.1). Four words per value; the rare rejected first attempt is finished
        from the value's own retry stream (docs/FORMAT.md 19.1), so any element is computable alone."""
        return _dists.standard_gamma(self, shape, size, dtype, device, out, region)

    def gamma(self, shape, scale=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Gamma(shape, scale) floats: ``standard_gamma(shape) * scale`` (numpy's ``gamma``)."""
        return _dists.gamma(self, shape, scale, size, dtype, device, out, region)

    def chisquare(self, df, size=None, dtype=None, device=None, out=None, region=None):
        """Chi-square(df) floats, ``df > 0``: exactly ``gamma(df / 2, 2)`` (numpy's definition)."""
        return _dists.chisquare(self, df, size, dtype, device, out, region)

    def poisson(self, lam=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Poisson(lam) counts, int64 (numpy's ``poisson``; ``0 <= lam <= 1e15``). Four words per
        value: inversion below lam 10, else Hoermann's PTRS, whose rare rejected first attempt is
        finished from the value's own retry stream (docs/FORMAT.md 19.3)."""
        return _dists.poisson(self, lam, size, dtype, device, out, region)

    def binomial(self, n, p, size=None, dtype=None, device=None, out=None, region=None):
        """Binomial(n, p) counts, int64 (numpy's ``binomial``; ``0 <= n <= 2**62``, ``0 <= p <= 1``).
        Four words per value: inversion when ``n * min(p, 1 - p) < 10``, else Hoermann's BTRS with
        retries from the value's own retry stream (docs/FORMAT.md 19.4)."""
        return _dists.binomial(self, n, p, size, dtype, device, out, region)

    def beta(self, a, b, size=None, dtype=None, device=None, out=None, region=None):
        """Beta(a, b) floats in [0, 1], float64 (numpy's ``beta``; ``0 < a, b <= 1e300``). Eight words per
        value: X = gamma(a), Y = gamma(b), X / (X + Y), computed in logs when a or b is below 1 so that
        tiny shapes never give 0/0 (docs/FORMAT.md 21.2)."""
        return _dists.beta(self, a, b, size, dtype, device, out, region)

    def standard_t(self, df, size=None, dtype=None, device=None, out=None, region=None):
        """Student's t floats with ``df`` degrees of freedom, float64 (numpy's ``standard_t``;
        ``0 < df <= 1e300``): ``Z / sqrt(chisquare(df) / df)``, six words per value (docs/FORMAT.md 21.3)."""
        return _dists.standard_t(self, df, size, dtype, device, out, region)

    def dirichlet(self, alpha, size=None, dtype=None, device=None):
        """Dirichlet(alpha) rows, float64 of shape ``size + (K,)`` (numpy's ``dirichlet``; ``alpha`` a 1-D
        sequence of K positive floats). Stick-breaking over K - 1 beta values per row, 8 words each
        (docs/FORMAT.md 21.4): rows sum to 1 up to rounding, never NaN, even for tiny alphas."""
        return _dists.dirichlet(self, alpha, size, dtype, device)

    def multinomial(self, n, pvals, size=None, dtype=None, device=None, out=None):
        """Multinomial(n, pvals) counts, int64 of shape ``size + (K,)`` (numpy's ``multinomial``; ``n`` an int in
        ``[0, 2**62]``, ``pvals`` a 1-D sequence of K floats in [0, 1], ``sum(pvals[:-1]) <= 1 + 1e-12``).
        numpy's conditional binomials: K - 1 binomials of 4 words each per row, the last category takes the
        rest, so every row sums to ``n`` (docs/FORMAT.md 22.2)."""
        return _dists.multinomial(self, n, pvals, size, dtype, device, out)
    # ------------------------------------------------------------------ exponential
    def standard_exponential(self, size=None, dtype=None, device=None, out=None, region=None):
        """Standard exponential floats, ``-log(u)`` with ``u`` uniform in (0, 1) (docs/FORMAT.md 12):
        one word per value (two for float64), never 0; float64 numpy by default."""
        shape = parse_size(size)
        t = self._output(shape, dtype, device, out, "float", "f64", region)
        return self._fill(_EXPONENTIAL[t.code], t)

    def exponential(self, scale=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Exponential floats with mean ``scale``: ``scale * standard_exponential()`` in the dtype's
        precision (float32 for 16-bit dtypes), numpy's parameterization. ``scale`` may be an array,
        broadcast against ``size`` (docs/FORMAT.md 23)."""
        if type(scale) not in _SCALARS and _params.is_array(scale):
            return self._array_draw({"scale": _params.as_float(scale, "scale")}, size, dtype, device, out, region,
                                    _exponential_columns)
        sc = _real(scale, "scale")
        if not sc >= 0:
            raise ValueError(f"scale must be non-negative, got {scale!r}")
        shape = parse_size(size)
        t = self._output(shape, dtype, device, out, "float", "f64", region)
        if not math.isfinite(sc if t.code == "f64" else _f32(sc)):
            raise ValueError(f"scale={scale!r} must be finite in {'float64' if t.code == 'f64' else 'float32'}, "
                             f"the precision {t.code} output is computed in")
        return self._fill(_EXPONENTIAL[t.code], t, 0, True, sc)

    # ------------------------------------------------------------------ loc-scale families
    def _loc_scale(self, ops, loc, scale, size, dtype, device, out, region):
        if not (type(loc) in _SCALARS and type(scale) in _SCALARS) and (_params.is_array(loc) or
                                                                       _params.is_array(scale)):
            return self._array_draw({"loc": _params.as_float(loc, "loc"), "scale": _params.as_float(scale, "scale")},
                                    size, dtype, device, out, region, _loc_scale_columns(ops))
        m, sc = _real(loc, "loc"), _real(scale, "scale")
        if not sc >= 0:
            raise ValueError(f"scale must be non-negative, got {scale!r}")
        t = self._output(parse_size(size), dtype, device, out, "float", "f64", region)
        if t.code != "f64":  # computed in float32
            for v, nm in ((m, "loc"), (sc, "scale")):
                if not math.isfinite(_f32(v)):
                    raise ValueError(f"{nm}={v!r} overflows float32, the precision {t.code} output is computed in")
        return self._fill(ops[t.code], t, 0, True, m, sc)

    def gumbel(self, loc=0.0, scale=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Gumbel (maximum) floats ``loc - scale * log(standard_exponential())`` (docs/FORMAT.md 13),
        numpy's parameterization; float64 numpy by default."""
        return self._loc_scale(_GUMBEL, loc, scale, size, dtype, device, out, region)

    def logistic(self, loc=0.0, scale=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Logistic floats ``loc + scale * log(u / (1 - u))``, u uniform in (0, 1) (docs/FORMAT.md 13)."""
        return self._loc_scale(_LOGISTIC, loc, scale, size, dtype, device, out, region)

    def laplace(self, loc=0.0, scale=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Laplace (double exponential) floats with location ``loc`` and scale ``scale`` (docs/FORMAT.md 13)."""
        return self._loc_scale(_LAPLACE, loc, scale, size, dtype, device, out, region)

    # ------------------------------------------------------------------ FORMAT 20 (_dists)
    def bernoulli(self, p, size=None, dtype=None, device=None, out=None, region=None):
        """bool values, True with probability ``floor(p * 2**32) / 2**32`` (``0 <= p <= 1``): value e is
        True iff its one word (uint32) is below ``philox.functional.threshold(p)``, so
        ``Stream(S, id=I, position=P).bernoulli(p, n)`` equals ``philox.functional.bernoulli(p, n,
        seed=S, id=I, offset=P)`` (docs/FORMAT.md 20.1). numpy bool array or torch.bool tensor only."""
        return _dists.bernoulli(self, p, size, dtype, device, out, region)

    def geometric(self, p, size=None, dtype=None, device=None, out=None, region=None):
        """Trials up to and including the first success, int64 in {1, 2, ...} (numpy's ``geometric``;
        ``0 < p <= 1``): ``ceil(e / -log1p(-p))``, e a float64 standard exponential; two words per
        value (docs/FORMAT.md 20.2)."""
        return _dists.geometric(self, p, size, dtype, device, out, region)

    def standard_cauchy(self, size=None, dtype=None, device=None, out=None, region=None):
        """Standard Cauchy floats, the ratio of two standard normals (numpy's construction): four
        words per value in float64 (the default), two in float32/16-bit (docs/FORMAT.md 20.3)."""
        return _dists.standard_cauchy(self, size, dtype, device, out, region)

    def lognormal(self, mean=0.0, sigma=1.0, size=None, dtype=None, device=None, out=None, region=None):
        """Log-normal floats ``exp(mean + sigma * z)``, z the standard normal (numpy's ``lognormal``;
        ``sigma >= 0``), computed in float64 and rounded to float32/16-bit outputs; two words per
        value in float64 (the default), one otherwise (docs/FORMAT.md 20.4)."""
        return _dists.lognormal(self, mean, sigma, size, dtype, device, out, region)
    # ------------------------------------------------------------------ truncated normal (_dists, FORMAT 22.1)
    def truncated_normal(self, mean=0.0, std=1.0, low=-2.0, high=2.0, size=None, dtype=None, device=None, out=None,
                         region=None):
        """Normal(mean, std) floats truncated to ``[low, high]`` (torch's ``nn.init.trunc_normal_``
        semantics: the inverse normal CDF of a uniform between ``Phi((low - mean) / std)`` and
        ``Phi((high - mean) / std)``), computed without libm so every backend gives the same bits.
        ``std > 0``, ``low < high`` (either may be infinite). float32 (one word per value) or float64
        (two words); float64 numpy by default. Values always lie in ``[low, high]`` (float32: the
        bounds rounded to float32); docs/FORMAT.md 22.1 gives the formula and its far-tail limit."""
        return _dists.truncated_normal(self, mean, std, low, high, size, dtype, device, out, region)

    # ------------------------------------------------------------------ categorical (_dists, FORMAT 22.3)
    def categorical(self, logits, dim=-1, *, check=True):
        """One category index per row of ``logits`` (the rows run along every dimension but ``dim``):
        ``argmax_j(logits[j] + g[j])`` with ``g`` this stream's gumbel draws in the logits' precision
        (float32 for 16-bit logits), ties to the lowest index, so category j comes with probability
        ``softmax(logits)[j]`` and a ``-inf`` logit never. A ``Stream`` draws ``gumbel(size=shape)`` for
        the whole logits tensor (the category dimension moved last); a ``StreamBatch`` draws each row
        from its own stream (logits ``batch_shape + (..., K)``, or one 1-D ``logits`` for every row), so
        a row's sample never depends on the other rows. int64 numpy array (numpy logits) or tensor on
        the logits' device (a batch: on the batch's device for numpy logits). A row of NaN or only
        ``-inf`` logits is a ValueError before any word is drawn (one host sync for a device tensor);
        ``check=False`` skips that check and gives -1 for such rows (docs/FORMAT.md 22.3)."""
        return _dists.categorical(self, logits, dim, check)

    # ------------------------------------------------------------------ integers
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ..., *, out: Tensor,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., size: Optional[SizeArg] = ..., *,
                dtype: torch.dtype, device: Optional[Device] = ..., out: None = ...,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[DTypeArg] = ..., *, device: Device, out: None = ...,
                region: Optional[Tuple[slice, ...]] = ...) -> Tensor: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., size: Optional[SizeArg] = ...,
                dtype: Optional[NpDType] = ..., device: None = ..., *, out: ArrayT,
                region: Optional[Tuple[slice, ...]] = ...) -> ArrayT: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., size: None = ..., dtype: None = ...,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> np.int64: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., size: None = ..., *, dtype: NpDType,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> np.integer[Any]: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., *, size: SizeArg, dtype: None = ...,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> I64Array: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike], size: SizeArg, dtype: None = ..., device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> I64Array: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike] = ..., *, size: SizeArg, dtype: NpDType,
                device: None = ..., out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...
    @overload
    def randint(self, low: IntLike, high: Optional[IntLike], size: SizeArg, dtype: NpDType, device: None = ...,
                out: None = ..., region: Optional[Tuple[slice, ...]] = ...) -> AnyArray: ...

    def randint(self, low, high=None, size=None, dtype=None, device=None, out=None, region=None):
        """Integers in [low, high) (or [0, low) when high is None), numpy's convention.

        Bounds must be ints (floats are refused, never truncated); the range ``high - low``
        may be up to 2**64. The output dtype must hold every value: the default int64 holds
        [-2**63, 2**63), so e.g. ``randint(0, 2**64, size=3, dtype=np.uint64)`` (or
        ``torch.uint64``) for values at or above 2**63; the dtype never depends on the bounds.
        Two words per value for ranges up to 2**32, four above (SPEC 5).
        """
        if dtype is None and device is None and out is None and region is None and type(low) is int and \
                self._small_ok:  # int64
            lo, hi = (0, low) if high is None else (low, high)
            if type(hi) is int and (size is None or type(size) is int and 0 <= size <= _SMALL) and (
                    lo < hi and _I64_MIN <= lo and hi - 1 <= _I64_MAX):
                r = hi - lo
                return _draw_small(self._cursor, _INT_SMALL if r <= 1 << 32 else _INT_LARGE, self._k0, self._k1,
                                   self._id, -1 if size is None else size, _I64, 8, lo % U64, r - 1)
        lo, hi, r = randint_range(low, high)
        shape = parse_size(size)
        t = self._output(shape, dtype, device, out, "int", "i64", region)
        dmin, dmax = D.int_bounds(t.code)
        if lo < dmin or hi - 1 > dmax:
            # values at or above 2**63 fit only uint64
            hint = "; pass dtype=np.uint64 (or torch.uint64)" if lo >= 0 and hi > 1 << 63 else ""
            raise ValueError(f"[{lo}, {hi}) does not fit the output dtype (range [{dmin}, {dmax}]){hint}")
        op = _INT_SMALL if r <= 1 << 32 else _INT_LARGE
        return self._fill(op, t, D.ITEMSIZE[t.code], False, 0.0, 0.0, 0.0, lo % (1 << 64), r - 1)


class Stream(_StreamCore, _Draws):
    """A reproducible stream of random values: ``(seed, path or id, position)``.

    ``Stream(seed, *path)`` names the stream by a path of str / non-negative int
    components (``Stream(0, "aug", 3)``); ``Stream(seed, id=...)`` takes a raw
    64-bit id. ``position`` counts 32-bit words from 0 and may be set to any
    value in ``[0, 2**66]`` in O(1). Two streams with the same seed, id and
    position give the same values, whatever was drawn elsewhere.

    Every draw checks all of its arguments first and raises ``TypeError`` or
    ``ValueError`` without moving the position.

    Draws with a fixed word count (``random_raw``, ``rand``, ``uniform``, ``randn``, ``normal``,
    ``randint``, the exponentials) take ``region=``, a tuple of slices (step 1) one per dimension
    of the size: they return only that block of the tensor, bit-equal to the full draw's
    ``[region]``, and move the position by the whole tensor's words. A DTensor ``out=`` fills
    each rank's shard with its block of the global tensor (docs/FORMAT.md section 15).
    """

    # The state (seed, id, path, position) lives in the C base _core.StreamCore, whose rand, randn
    # and randint take the small draws in one C++ call and hand every other call to _Draws' method
    # (set up at the end of this module); _small_ok (a flag of the base, True) allows them.
    _seed: int
    _id: int
    _path: Optional[Tuple[Union[str, int], ...]]

    def __init__(self, seed: IntLike, *path: Component, id: Optional[IntLike] = None,
                 position: IntLike = 0) -> None:
        s = seed if type(seed) is int and 0 <= seed < U64 else normalize_seed(seed)
        if id is None:
            pid = _path_id(0, path, _STR_IDS)  # exact ints and known strs: the common case, fast
            self._path, self._id = (path, pid) if pid is not None else checked_path_id(path)
        elif path:
            raise ValueError(f"give a path or id=, not both (got path {path!r} and id={id!r})")
        else:
            self._path = None
            self._id = id if type(id) is int and 0 <= id < U64 else check_u64(id, "id")
        self._seed = s  # the key (_k0, _k1) = seed_key(s) is derived in the base
        if type(position) is not int or position:  # a new cursor is at 0
            self.position = position

    def _set_seed(self, s: int) -> None:
        self._seed = s

    # ------------------------------------------------------------------ identity and position
    @property
    def seed(self) -> int:
        """The normalized 64-bit seed."""
        return self._seed

    @property
    def id(self) -> int:
        """The 64-bit stream id (SPEC 3)."""
        return self._id

    @property
    def path(self) -> Optional[Tuple[Union[str, int], ...]]:
        """The path this stream was named by, or None if it was given a raw id."""
        return self._path

    def stream(self, *more: Component) -> Stream:
        """A child stream at position 0 whose path is this one's extended by ``more``."""
        child = _child_stream(Stream, self, more, _STR_IDS)  # exact ints and known strs: one C++ call
        if child is None:
            more, cid = checked_path_id(more, self._id)
            child = trusted_stream(self._seed, cid)
            child._path = None if self._path is None else self._path + more
        return child

    def fold(self, index: IndexLike, *, check: bool = True) -> StreamBatch:
        """A batch of child streams, one per index value: row ``b`` is ``self.stream(index[b])``.

        ``index``: an integer torch tensor (any device; ids are computed there, SPEC 3
        fold), a numpy integer array or a list of ints (CPU). Returns a
        ``philox.StreamBatch`` at position 0 whose draws are ``(*index.shape, *size)``
        torch tensors: float32 by default (torch's default dtype; this stream's own draws
        are float64 numpy arrays), on ``device=`` if given (the ids are copied there), else
        on the index's device. This stream's position does not move.
        Values must lie in ``[0, 2**64)``: a signed tensor is checked for negatives
        with one host sync (``check=False`` skips it; negatives then count as their
        two's complement, ``v + 2**64``). Unsigned tensors (uint8 .. uint64) need no check.
        """
        from ._batch import fold
        return fold(self, index, check)

    def _fill(self, op: int, t, elem_size=0, affine=False, a=0.0, b=0.0, c=0.0, ilow=0, range_m1=0):
        """Reserve the draw's words (atomically, in the backend) and fill the target."""
        if t.region is not None:
            return self._fill_region(op, t, elem_size, affine, a, b, c, ilow, range_m1)
        if t.tensor is not None:  # a device backend (CUDA, the torch fallback): reserve here, then launch
            start = self._cursor.reserve(t.n * _core.words_per_value(op))
            _backend.fill(t.tensor, op, self._k0, self._k1, self._id, start, elem_size, affine, a, b, c, ilow,
                          range_m1, t.fresh)
        elif t.arr is not None:
            _core.fill_array(self._cursor, op, self._k0, self._k1, self._id, t.arr, t.fresh,
                             elem_size, affine, a, b, c, ilow, range_m1)
        else:
            _core.fill_ptr(self._cursor, op, self._k0, self._k1, self._id, t.ptr, t.n, t.fresh,
                           elem_size, affine, a, b, c, ilow, range_m1)
        return t.finish()

    def _fill_region(self, op: int, t, elem_size, affine, a, b, c, ilow, range_m1):
        """A region draw: reserve the whole tensor's words, fill the block's values (csrc/region.h)."""
        p = t.region
        start = self._cursor.reserve(p.n_full * _core.words_per_value(op))
        if p.size == 0:
            return t.finish()
        hi, lo = start >> 64, start & 0xFFFFFFFFFFFFFFFF
        for first, sp in p.split():
            count = math.prod(sp.counts) * sp.run_len
            if t.tensor is not None:
                _backend.fill_region(t.tensor.view(-1)[first:first + count], op, self._k0, self._k1, self._id, start,
                                     sp, elem_size, affine, a, b, c, ilow, range_m1, t.fresh)
                continue
            if t.arr is not None:
                ptr, itemsize = t.arr.ctypes.data, t.arr.itemsize
            else:
                ptr, itemsize = t.ptr, D.ITEMSIZE[t.code]
            _core.fill_region(op, self._k0, self._k1, self._id, hi, lo, p.n_full, sp.base, sp.run_len, sp.counts,
                              sp.strides, ptr + first * itemsize, t.fresh, elem_size, affine, a, b, c, ilow,
                              range_m1)
        return t.finish()

    def _fill_columns(self, op: int, t, elem_size, affine, columns):
        """``_fill_params`` for parameters that vary along the last axis only (``_params.COLUMN_OPS``):
        reserve the whole draw's words, then column j of the (rows, K) draw as a region with
        ``columns[j]``'s scalar OpArgs fields (the others the draw's own: 0, ``affine``) into a
        (K, rows) buffer, one transposed copy into the output. Element e's value is the scalar draw
        of its parameters at its position, as on the per-element path (FORMAT 15, 23)."""
        k = len(columns)
        n = t.arr.size
        rows = n // k
        start = self._cursor.reserve(n * _core.words_per_value(op))
        hi, lo = start >> 64, start & 0xFFFFFFFFFFFFFFFF
        buf = np.empty((k, rows), dtype=t.arr.dtype)
        for j, q in enumerate(columns):
            p = _region.plan((rows, k), ((0, rows), (j, j + 1)))
            _core.fill_region(op, self._k0, self._k1, self._id, hi, lo, p.n_full, p.base, p.run_len, p.counts,
                              p.strides, buf[j].ctypes.data, True, elem_size, q.get("affine", affine),
                              q.get("a", 0.0), q.get("b", 0.0), q.get("c", 0.0), q.get("ilow", 0), 0)
        t.arr.reshape(rows, k)[...] = buf.T
        return t.finish()

    def _fill_params(self, op: int, t, elem_size, affine, params):
        """``_fill`` with array parameters (``_params.draw``; docs/FORMAT.md 23): ``params`` maps OpArgs
        fields to (array, stride) over the output's elements in order."""
        k = _core.words_per_value(op)
        if t.region is not None:
            p = t.region
            start = self._cursor.reserve(p.n_full * k)
            if p.size == 0:
                return t.finish()
            hi, lo = start >> 64, start & 0xFFFFFFFFFFFFFFFF
            for first, sp in p.split():
                count = math.prod(sp.counts) * sp.run_len
                q = _params.sub(params, first, count)
                if t.tensor is not None:
                    _backend.fill_region_params(t.tensor.view(-1)[first:first + count], op, self._k0, self._k1,
                                                self._id, start, sp, elem_size, affine, q, t.fresh)
                    continue
                if t.arr is not None:
                    ptr, itemsize = t.arr.ctypes.data, t.arr.itemsize
                else:
                    ptr, itemsize = t.ptr, D.ITEMSIZE[t.code]
                _core.fill_region_params(op, self._k0, self._k1, self._id, hi, lo, p.n_full, sp.base, sp.run_len,
                                         sp.counts, sp.strides, ptr + first * itemsize, t.fresh, elem_size, affine,
                                         0.0, 0.0, 0.0, 0, 0, _params.pointers(q))
            return t.finish()
        n = t.arr.size if t.arr is not None else t.n
        start = self._cursor.reserve(n * k)
        if t.tensor is not None:
            _backend.fill_params(t.tensor, op, self._k0, self._k1, self._id, start, elem_size, affine, params, t.fresh)
        else:
            _core.fill_rows_params(op, self._k0, self._k1, self._id, 0, 1, start >> 64, start & 0xFFFFFFFFFFFFFFFF,
                                   t.arr.ctypes.data if t.arr is not None else t.ptr, n, t.fresh, elem_size,
                                   affine, 0.0, 0.0, 0.0, 0, 0, _params.pointers(params))
        return t.finish()

    # ------------------------------------------------------------------ permutations and choice
    @overload
    def permutation(self, x: IntLike, device: None = ..., dtype: None = ...) -> I64Array: ...
    @overload
    def permutation(self, x: IntLike, device: None = ..., *, dtype: NpDType) -> AnyArray: ...
    @overload
    def permutation(self, x: IntLike, device: Device, dtype: Optional[DTypeArg] = ...) -> Tensor: ...
    @overload
    def permutation(self, x: IntLike, device: Optional[Device] = ..., *, dtype: torch.dtype) -> Tensor: ...
    @overload
    def permutation(self, x: Tensor, device: Optional[Device] = ..., dtype: None = ...) -> Tensor: ...
    @overload
    def permutation(self, x: Any, device: None = ..., dtype: None = ...) -> AnyArray: ...

    def permutation(self, x, device=None, dtype=None):
        """A random permutation: ``permutation(n)`` is a shuffled ``arange(n)`` (int64 numpy, or a
        tensor when ``device=`` or a torch ``dtype=`` is given; ``dtype`` may be any integer dtype
        that holds ``n - 1``); an array or tensor ``x`` gives a shuffled copy along axis 0.

        Every call consumes exactly 12 words (the key of the bijection, docs/FORMAT.md 6), whatever
        ``n`` is; element ``i`` is computable alone in O(1), and ``device="cuda"`` gives the same
        values as the CPU.
        """
        if type(x) is int and device is None and dtype is None and 0 < x <= 1 << 24:  # the common case, fast
            words = np.empty(_PERM_WORDS, np.uint32)
            _core.fill_array(self._cursor, _RAW32, self._k0, self._k1, self._id, words, True, 0, False,
                             0.0, 0.0, 0.0, 0, 0)
            out = np.empty(x, np.int64)
            _core.perm_fill(words, x, 0, 1, out, False)
            return out
        return _permutation.permutation(self, x, device, dtype)

    def shuffle(self, x: Any) -> None:
        """Shuffle ``x`` in place along axis 0: a numpy array, a torch tensor, a list or another
        mutable sequence (``bytearray``, ``collections.UserList``, ...).

        The order is ``permutation(len(x))``'s (12 words per call).
        """
        return _permutation.shuffle(self, x)

    @overload
    def choice(self, a: Any, size: Optional[SizeArg] = ..., replace: bool = ..., p: Any = ..., *,
               device: Device) -> Tensor: ...
    @overload
    def choice(self, a: Tensor, size: Optional[SizeArg] = ..., replace: bool = ..., p: Any = ...,
               device: None = ...) -> Tensor: ...
    @overload
    def choice(self, a: Any, size: None = ..., replace: bool = ..., p: Any = ..., device: None = ...) -> Any: ...
    @overload
    def choice(self, a: Any, size: SizeArg, replace: bool = ..., p: Any = ..., device: None = ...) -> AnyArray: ...

    def choice(self, a, size=None, replace=True, p=None, device=None):
        """A random sample of ``a`` (an int n means ``arange(n)``; an array or tensor: along axis 0).

        ``replace=False`` costs O(size) (the first ``size`` elements of one permutation, 12 words);
        with replacement each value takes ``randint``'s words. With probabilities ``p``: an alias
        table (4 words per value) with replacement, exponential keys (2 words per population
        element) without. numpy's semantics otherwise; ``size=None`` gives one value. ``device=``
        returns a tensor there (the permutation path runs on the device; the others are computed
        on the CPU and copied, same values). Arguments are checked before any word is drawn.
        """
        return _choice.choice(self, a, size, replace, p, device)

    # ------------------------------------------------------------------ numpy's distributions
    def bit_generator(self):
        """A ``numpy.random.BitGenerator`` reading this stream from its current position
        (``philox.StreamBitGenerator``): ``np.random.Generator(s.bit_generator())`` draws every
        numpy distribution from this stream's words, and this stream's position moves by exactly
        the words numpy consumed (one per 32-bit value, two per 64-bit value or double; a double
        equals ``rand()``'s float64 at the same position, docs/FORMAT.md 14)."""
        from ._numpy_bitgen import StreamBitGenerator
        return StreamBitGenerator(self)

    def numpy(self) -> np.random.Generator:
        """``numpy.random.Generator(self.bit_generator())``: numpy's every distribution on this stream."""
        return np.random.Generator(self.bit_generator())

    # ------------------------------------------------------------------ state
    def state_dict(self) -> Dict[str, Any]:
        """Everything that defines this stream: restore with ``Stream.from_state_dict``."""
        return {"format": FORMAT_VERSION, "seed": self._seed, "id": self._id,
                "path": None if self._path is None else list(self._path), "position": self.position}

    @classmethod
    def from_state_dict(cls, d: Dict[str, Any]) -> Stream:
        """The stream saved by ``state_dict()``; raises ValueError/TypeError on a malformed dict."""
        if not isinstance(d, dict):
            raise TypeError(f"state dict must be a dict, got {type(d).__name__}")
        missing = {"format", "seed", "id", "path", "position"} - set(d)
        if missing:
            raise ValueError(f"state dict is missing {sorted(missing)}")
        check_format(d["format"])
        path = d["path"]
        if path is None:
            if d["id"] is None:
                raise ValueError("state dict needs a path or an id, got neither")
            s = cls(d["seed"], id=d["id"], position=d["position"])
        else:
            if not isinstance(path, (list, tuple)):
                raise TypeError(f"state dict path must be a list or None, got {path!r}")
            s = cls(d["seed"], *path, position=d["position"])
            if s.id != check_u64(d["id"], "id"):
                raise ValueError(f"state dict id {d['id']} does not match its path {path!r}")
        return s

    def __getstate__(self):
        # the state dict, and a subclass's (or a user's) own attributes with it when there are any
        attrs = getattr(self, "__dict__", None)
        return (self.state_dict(), dict(attrs)) if attrs else self.state_dict()

    def __setstate__(self, state):
        d, attrs = state if isinstance(state, tuple) else (state, None)
        o = Stream.from_state_dict(d)
        self._seed, self._id, self._path = o._seed, o._id, o._path
        self._cursor.set(*o._cursor.get())
        if attrs:
            self.__dict__.update(attrs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stream):
            return NotImplemented
        return (self._seed, self._id, self._path, self.position) == (
            other._seed, other._id, other._path, other.position)

    __hash__ = None  # type: ignore[assignment]  # mutable (position)

    def __repr__(self) -> str:
        name = f"path={self._path!r}" if self._path is not None else f"id={self._id:#018x}"
        return f"philox.Stream(seed={self._seed}, {name}, position={self.position})"


def trusted_stream(seed: int, id: int) -> Stream:
    """``Stream(seed, id=id)`` at position 0 from values already checked (``seed`` normalized, ``id``
    in [0, 2**64)), without ``__init__``'s checks (the per-sample paths' fallback when
    ``_core.child_stream`` / ``key_stream`` cannot fold a path)."""
    st = _StreamCore.__new__(Stream)
    st._seed, st._id = seed, id
    return st


def _install_fast_paths(rand=_Draws.rand, randn=_Draws.randn, randint=_Draws.randint) -> None:
    """Give ``_core.StreamCore``'s fast rand / randn / randint the generic draws they hand every other
    call to, and the tables they read (tests pass counting wrappers, then call it again bare)."""
    _core._stream_setup(rand, randn, randint, _SMALL_DTYPES, _UNIFORM, _NORMAL, _backend.forced, _F64, _I64)


_install_fast_paths()
