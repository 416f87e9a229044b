"""Counterparts of ``torch.nn.init``'s random initializers that draw from a philox ``Stream``.

Each takes the tensor first and the stream as ``stream=`` (keyword), writes in place and
returns the tensor, as torch's do; the fan and gain rules are torch's own
(``torch.nn.init._calculate_fan_in_and_fan_out``, ``calculate_gain``). A tensor's values
depend only on (seed, stream path, position, shape, dtype): never on its device or on how it
is split. A draw moves the stream's position by the words of the whole (logical) tensor, as
the stream's own draw of that shape would:

* plain tensors (CPU or CUDA, any layout) are filled by the stream's draw (``out=``);
* ``meta`` tensors have no storage: nothing is computed, the position still moves, so a
  model built on ``meta`` and materialized with ``to_empty`` gets the values of a plain one;
* ``DTensor``s: each rank writes its local shard with its block of the global tensor
  (``dt.full_tensor()`` equals the same draw into a plain tensor, for any mesh and
  ``Shard``/``Replicate`` placements; ``Partial`` is refused): drawn directly with the stream's
  ``region=`` where its draws take it, else cut from the whole tensor drawn on each rank.

Values: ``uniform_``, ``xavier_uniform_``, ``kaiming_uniform_`` are ``stream.uniform(lo, hi)``;
``normal_``, ``xavier_normal_``, ``kaiming_normal_`` are ``stream.normal(mean, std)``, in the
tensor's dtype (docs/FORMAT.md). ``trunc_normal_`` has its own transform, docs/FORMAT.md
section "Truncated normal (philox.nn.init.trunc_normal_)".

Errors (``TypeError``/``ValueError`` naming the argument) are raised before the position moves.
"""
from __future__ import annotations

import math
import warnings

from .._keys import _is_int
from .._output import check_writable_tensor
from .._stream import Stream

__all__ = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "calculate_gain"]


def _torch():
    import torch
    return torch


def calculate_gain(nonlinearity, param=None):
    """torch's ``torch.nn.init.calculate_gain`` (the same function, re-exported)."""
    return _torch().nn.init.calculate_gain(nonlinearity, param)


# ---------------------------------------------------------------------- argument checks
def _check_tensor(tensor):
    torch = _torch()
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {tensor!r} of type {type(tensor).__name__}")
    if not tensor.is_floating_point():
        raise TypeError(f"tensor must have a floating dtype, got {tensor.dtype}")


def _check_stream(stream):
    if not isinstance(stream, Stream):
        raise TypeError(f"stream must be a philox.Stream (e.g. philox.Stream(seed, 'init', name)), got {stream!r} "
                        f"of type {type(stream).__name__}")


def _real(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not _is_float_like(x):
        raise TypeError(f"{name} must be a real number, got {x!r} of type {type(x).__name__}")
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return v


def _is_float_like(x):
    try:
        import numpy as np
        return isinstance(x, (np.floating, np.integer))
    except ImportError:  # pragma: no cover - numpy is a dependency
        return False


def _fan(tensor, mode=None):
    """torch's fan rules (torch's own functions), as a ValueError naming ``tensor`` for < 2 dims."""
    init = _torch().nn.init
    if tensor.dim() < 2:
        raise ValueError(f"tensor must have at least 2 dimensions to compute its fans, got shape {tuple(tensor.shape)}")
    if mode is None:
        return init._calculate_fan_in_and_fan_out(tensor)
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return init._calculate_correct_fan(tensor, mode)


def _xavier_fans(tensor):
    fan_in, fan_out = _fan(tensor)
    if fan_in + fan_out == 0:
        raise ValueError(f"tensor of shape {tuple(tensor.shape)} has fan_in + fan_out == 0: no Xavier bound")
    return fan_in, fan_out


def _gain(nonlinearity, param):
    try:
        return calculate_gain(nonlinearity, param)
    except ValueError as e:
        raise ValueError(f"nonlinearity={nonlinearity!r}, a={param!r}: {e}") from None


# ---------------------------------------------------------------------- filling
def _words_per_value(dtype, kind):
    """Words one value of ``kind`` ('uniform', 'normal', 'rand64') takes in ``dtype``: measured on a
    scratch stream, so the count comes from the kernels' own table (never restated here)."""
    torch = _torch()
    s = Stream(0)
    if kind == "uniform":
        s.uniform(0.0, 1.0, size=(1,), dtype=dtype)
    elif kind == "normal":
        s.normal(0.0, 1.0, size=(1,), dtype=dtype)
    else:
        s.rand(1, dtype=torch.float64)
    return s.position


def _dtensor_type():
    try:
        from torch.distributed.tensor import DTensor
    except Exception:  # torch without distributed
        return None
    return DTensor


def _draws_take_region():
    """The stream's draws compute blocks directly (``region=``, issue 12)."""
    import inspect
    return "region" in inspect.signature(Stream.rand).parameters


def _fill(tensor, stream, draw, kind):
    """Fill ``tensor`` in place with its logical values; returns ``tensor``.

    ``draw(out, shape, region)`` fills the plain tensor ``out`` from ``stream`` with block
    ``region`` (a tuple of slices, or None for all) of the draw of shape ``shape``, moving the
    position by the words of the whole ``shape``.
    """
    torch = _torch()
    shape = tuple(tensor.shape)
    with torch.no_grad():
        # the draw's own argument checks (bounds in the tensor's dtype...) on an empty output, so a
        # bad call fails before the position moves whatever the tensor (meta, DTensor, strided)
        draw(torch.empty(0, dtype=tensor.dtype), (0,), None)
        if tensor.is_meta:  # no storage: move the position as the draw would, compute nothing
            stream.position += tensor.numel() * _words_per_value(tensor.dtype, kind)
            return tensor
        DTensor = _dtensor_type()
        if DTensor is not None and isinstance(tensor, DTensor):
            region = _dtensor_region(tensor)
            local = tensor.to_local()
            if _REGION[0] is None:
                _REGION[0] = _draws_take_region()
            if _REGION[0]:
                _fill_plain(local, lambda out: draw(out, shape, region))
            else:  # the whole logical tensor, then this rank's block: O(global size) per rank
                full = torch.empty(shape, dtype=tensor.dtype, device=local.device)
                draw(full, shape, None)
                local.copy_(full[region].reshape(local.shape))
            return tensor
        check_writable_tensor(torch, tensor, "tensor")
        _fill_plain(tensor.detach(), lambda out: draw(out, shape, None))
    return tensor


_REGION = [None]


def _fill_plain(t, fill):
    """``fill(out)`` into ``t`` directly when contiguous, else through a contiguous temporary."""
    if t.is_contiguous():
        fill(t)
    else:
        tmp = _torch().empty(t.shape, dtype=t.dtype, device=t.device)
        fill(tmp)
        t.copy_(tmp)


def _dtensor_region(dt):
    """The block of ``dt``'s global tensor that this rank's local shard holds, as slices."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset
    for p in dt.placements:
        if not (type(p) is Shard or isinstance(p, Replicate)):
            raise ValueError(f"tensor: a DTensor with placements {tuple(dt.placements)!r}; only Shard(dim) and "
                             "Replicate() placements hold blocks of the global tensor")
    shape, offset = compute_local_shape_and_global_offset(tuple(dt.shape), dt.device_mesh, dt.placements)
    return tuple(slice(int(o), int(o) + int(n)) for o, n in zip(offset, shape))


def _region_kw(region):
    return {} if region is None else {"region": region}


def _uniform(tensor, lo, hi, stream):
    if lo == hi:  # torch fills the constant; the position moves as for any uniform draw
        def draw(out, shape, region):
            stream.uniform(0.0, 1.0, size=shape, out=out, **_region_kw(region))
            out.fill_(lo)
    else:
        def draw(out, shape, region):
            stream.uniform(lo, hi, size=shape, out=out, **_region_kw(region))
    return _fill(tensor, stream, draw, "uniform")


def _normal(tensor, mean, std, stream):
    def draw(out, shape, region):
        stream.normal(mean, std, size=shape, out=out, **_region_kw(region))
    return _fill(tensor, stream, draw, "normal")


# ---------------------------------------------------------------------- public initializers
def uniform_(tensor, a=0.0, b=1.0, *, stream):
    """Fill ``tensor`` with values from U(a, b) drawn from ``stream`` (torch's ``uniform_``).

    ``a == b`` fills the constant (the position moves as for the draw).

    Raises:
        TypeError: ``tensor`` is not a floating torch tensor, ``stream`` is not a ``philox.Stream``,
            or a bound is not a real number.
        ValueError: a bound is not finite, or ``a > b``.
    """
    _check_tensor(tensor)
    _check_stream(stream)
    lo, hi = _real(a, "a"), _real(b, "b")
    if lo > hi:
        raise ValueError(f"a must not exceed b, got a={a!r}, b={b!r}")
    return _uniform(tensor, lo, hi, stream)


def normal_(tensor, mean=0.0, std=1.0, *, stream):
    """Fill ``tensor`` with values from N(mean, std**2) drawn from ``stream`` (torch's ``normal_``).

    Raises:
        TypeError: as ``uniform_``; ValueError: ``std < 0`` or a non-finite argument.
    """
    _check_tensor(tensor)
    _check_stream(stream)
    m, s = _real(mean, "mean"), _real(std, "std")
    if s < 0:
        raise ValueError(f"std must be non-negative, got {std!r}")
    return _normal(tensor, m, s, stream)


def xavier_uniform_(tensor, gain=1.0, *, stream):
    """Glorot uniform: U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))`` (torch's rule)."""
    _check_tensor(tensor)
    _check_stream(stream)
    g = _real(gain, "gain")
    fan_in, fan_out = _xavier_fans(tensor)
    std = g * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -abs(bound), abs(bound), stream)


def xavier_normal_(tensor, gain=1.0, *, stream):
    """Glorot normal: N(0, std**2), ``std = gain * sqrt(2 / (fan_in + fan_out))`` (torch's rule)."""
    _check_tensor(tensor)
    _check_stream(stream)
    g = _real(gain, "gain")
    fan_in, fan_out = _xavier_fans(tensor)
    std = g * math.sqrt(2.0 / float(fan_in + fan_out))
    if std < 0:
        raise ValueError(f"gain must be non-negative for a normal's std, got {gain!r}")
    return _normal(tensor, 0.0, std, stream)


def _kaiming_std(tensor, a, mode, nonlinearity):
    a = _real(a, "a")
    fan = _fan(tensor, mode)
    gain = _gain(nonlinearity, a)
    return fan, gain / math.sqrt(fan) if fan > 0 else None


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, stream):
    """He uniform: U(-bound, bound), ``bound = gain * sqrt(3 / fan_mode)`` (torch's rule).

    A tensor with no elements is left as is, with torch's warning.
    """
    _check_tensor(tensor)
    _check_stream(stream)
    fan, std = _kaiming_std(tensor, a, mode, nonlinearity)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -bound, bound, stream)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, stream):
    """He normal: N(0, std**2), ``std = gain / sqrt(fan_mode)`` (torch's rule)."""
    _check_tensor(tensor)
    _check_stream(stream)
    fan, std = _kaiming_std(tensor, a, mode, nonlinearity)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return _normal(tensor, 0.0, std, stream)


def _norm_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, *, stream):
    """A normal N(mean, std**2) truncated to [a, b] (absolute bounds, torch's semantics).

    Inverse-CDF transform, two words per value whatever the dtype (docs/FORMAT.md, "Truncated
    normal"): ``u = stream.rand(float64)``, ``x = mean + std * Phi^-1(lo + (hi - lo) u)`` with
    ``lo, hi = Phi((a - mean)/std), Phi((b - mean)/std)``, clamped to [a, b], then rounded to the
    tensor's dtype. Intervals above the mean are drawn mirrored (keeps precision in the tails).

    Raises:
        ValueError: ``std <= 0``, ``a >= b`` or a non-finite argument; TypeError as ``uniform_``.
    """
    _check_tensor(tensor)
    _check_stream(stream)
    m, s, lo_b, hi_b = _real(mean, "mean"), _real(std, "std"), _real(a, "a"), _real(b, "b")
    if not s > 0:
        raise ValueError(f"std must be positive, got {std!r}")
    if not lo_b < hi_b:
        raise ValueError(f"a must be less than b, got a={a!r}, b={b!r}")
    if m < lo_b - 2 * s or m > hi_b + 2 * s:
        warnings.warn("mean is more than 2 std from [a, b] in trunc_normal_. The distribution of values may be "
                      "incorrect.", stacklevel=2)
    if tensor.dtype.is_floating_point:
        big = _torch().finfo(tensor.dtype).max
        for v, nm in ((lo_b, "a"), (hi_b, "b")):
            if abs(v) > big:
                raise ValueError(f"{nm}={v!r} is outside the range of the tensor's dtype {tensor.dtype} "
                                 f"(|{nm}| <= {big:g}): the clamp to [a, b] happens in that dtype")
    alpha, beta = (lo_b - m) / s, (hi_b - m) / s
    flip = alpha > 0  # an interval above the mean: draw its mirror image, where Phi has full precision
    if flip:
        alpha, beta = -beta, -alpha
    p_lo, p_hi = _norm_cdf(alpha), _norm_cdf(beta)

    def draw(out, shape, region):
        torch = _torch()
        u = stream.rand(*shape, dtype=torch.float64, device="cpu", **_region_kw(region))
        p = u.mul_(p_hi - p_lo).add_(p_lo)
        z = torch.special.ndtri(p)
        if flip:
            z.neg_()
        out.copy_(z.mul_(s).add_(m))
        out.clamp_(lo_b, hi_b)  # in the tensor's dtype, as torch's trunc_normal_ does
    return _fill(tensor, stream, draw, "rand64")
