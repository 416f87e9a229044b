"""Functional draws for compiled code: randomness as an input, nothing stateful.

Every function here returns values drawn from the stream ``(seed, id)`` starting at word
``offset`` (docs/FORMAT.md, "Keyed draws"), the same bits as
``Stream(seed, id=id, position=offset)`` gives for the same draw, and moves nothing:
the caller advances ``offset`` by :func:`num_words` of the draw. ``seed``, ``id`` and
``offset`` are Python ints or integer tensors of one element; tensors may live on the
output's device and be advanced there (``offset += n``), because the draw reads them
where they are: on a GPU the kernel loads them from device memory, so a captured CUDA
graph replays with new values each step and no host sync. Under
``torch.compile(fullgraph=True)`` every draw is one custom op (``philox::draw_keyed``):
no graph break, and compiled values equal eager ones bit for bit.

Tensor keys hold 64-bit values as int64 two's complement (a seed or id of ``2**63`` or
more is its value minus ``2**64``), and offsets are below ``2**64``.

>>> import torch, philox, philox.functional as F
>>> x = F.rand(4, seed=7, id=philox.stream_id("noise"), offset=torch.tensor(8))
>>> bool((x == philox.Stream(7, "noise", position=8).rand(4, dtype=torch.float32)).all())
True
"""
from __future__ import annotations

from ._dists import threshold
from ._keys import _is_int
from ._output import MAX_ELEMENTS
from ._stream import _INT_LARGE, _INT_SMALL, randint_range, _NORMAL as _NORMAL_CODES, _RAW32, _UNIFORM as _UNIFORM_CODES

__all__ = ["key", "rand", "randn", "randint", "bernoulli", "num_words", "threshold"]

_U64 = 1 << 64
# op codes from the op table (csrc/ops.h), through _stream's names for them
_TORCH_CODE = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}
_UNIFORM = {t: _UNIFORM_CODES[c] for t, c in _TORCH_CODE.items()}
_NORMAL = {t: _NORMAL_CODES[c] for t, c in _TORCH_CODE.items()}
_INT = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _torch():
    import torch
    from ._ops import register
    register()  # once; cheap after
    return torch


def _word(v, name: str, device, signed_ok: bool):
    """One key word as a 0-d int64 tensor on ``device`` (an int is range-checked here)."""
    torch = _torch()
    if isinstance(v, torch.Tensor):
        if v.dtype == torch.bool or v.is_floating_point() or v.is_complex() or v.numel() != 1:
            raise TypeError(f"{name} must be an int or an integer tensor of one element, got a tensor of dtype "
                            f"{v.dtype} and shape {tuple(v.shape)}")
        if device is not None and v.device != torch.device(device):
            raise ValueError(f"{name} is on {v.device}, but the draw is on {device}: keep the key on the output's "
                             "device (moving it would sync)")
        return v.reshape(()).to(torch.int64)
    if not _is_int(v):
        raise TypeError(f"{name} must be an int or an integer tensor, got {v!r} of type {type(v).__name__}")
    v = int(v)
    lo = -(1 << 63) if signed_ok else 0
    if not lo <= v < _U64:
        raise ValueError(f"{name} must be in [{'-2**63' if signed_ok else '0'}, 2**64), got {v}")
    # torch.full (a fill kernel), not torch.tensor (a host-to-device copy): capturable in a CUDA graph
    return torch.full((), v - _U64 if v >= 1 << 63 else v, dtype=torch.int64, device=device)


def key(seed, id=0, offset=0, device=None):
    """The key tensor of a draw: int64 ``[seed, id, offset]`` (two's complement) on ``device``
    (default: the device of the first tensor argument, else the CPU)."""
    torch = _torch()
    if device is None:
        device = next((v.device for v in (seed, id, offset) if isinstance(v, torch.Tensor)), torch.device("cpu"))
    device = torch.device(device)
    return torch.stack([_word(seed, "seed", device, True), _word(id, "id", device, False),
                        _word(offset, "offset", device, False)])


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for i, s in enumerate(size):
        if not _is_int(s) and type(s).__name__ != "SymInt":
            raise TypeError(f"size[{i}] must be an int, got {s!r} of type {type(s).__name__}")
        if s < 0:
            raise ValueError(f"size[{i}] must be non-negative, got {s}")
    total = 1  # plain loop, no generator: torch.compile traces this
    for s in size:
        if _is_int(s):
            total *= int(s)
    if total >= MAX_ELEMENTS:
        raise ValueError(f"size={tuple(size)!r} is too large")  # as Stream's draws (parse_size)
    return [s for s in size]


def _dtype_name(dtype, allowed, what):
    torch = _torch()
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {dtype!r}")
    name = str(dtype).replace("torch.", "")
    if name not in allowed:
        raise ValueError(f"dtype must be one of {', '.join(allowed)} for {what}, got {dtype}")
    return name


def _draw(k, size, dtype, op, elem_size=0, affine=False, a=0.0, b=0.0, c=0.0, ilow=0, range_m1=0):
    torch = _torch()
    return torch.ops.philox.draw_keyed(k, size, dtype, op, elem_size, affine, a, b, c,
                                       ilow - _U64 if ilow >= 1 << 63 else ilow,
                                       range_m1 - _U64 if range_m1 >= 1 << 63 else range_m1)


def rand(*size, seed, id=0, offset=0, dtype=None, device=None):
    """Uniform floats in [0, 1) (float32 by default; float64, float16, bfloat16), as ``Stream.rand``.
    Words per value: 2 for float64, else 1."""
    torch = _torch()
    dtype = torch.float32 if dtype is None else dtype
    name = _dtype_name(dtype, tuple(_UNIFORM), "rand")
    size = _size(size)
    return _draw(key(seed, id, offset, device), size, dtype, _UNIFORM[name])


def randn(*size, seed, id=0, offset=0, dtype=None, device=None):
    """Standard normal floats (float32 by default), as ``Stream.randn``. Words per value: 2 for float64, else 1."""
    torch = _torch()
    dtype = torch.float32 if dtype is None else dtype
    name = _dtype_name(dtype, tuple(_NORMAL), "randn")
    size = _size(size)
    return _draw(key(seed, id, offset, device), size, dtype, _NORMAL[name])


def randint(low, high=None, size=(), *, seed, id=0, offset=0, dtype=None, device=None):
    """Integers in [low, high) (or [0, low)), int64 by default, as ``Stream.randint``.
    Words per value: 2 for a range up to 2**32, 4 above."""
    torch = _torch()
    lo, hi, r = randint_range(low, high)  # Stream.randint's checks
    dtype = torch.int64 if dtype is None else dtype
    name = _dtype_name(dtype, _INT, "randint")
    bits = 8 * torch.empty((), dtype=dtype).element_size()
    dmin, dmax = (0, (1 << bits) - 1) if name.startswith("u") else (-(1 << bits - 1), (1 << bits - 1) - 1)
    if lo < dmin or hi - 1 > dmax:
        raise ValueError(f"[{lo}, {hi}) does not fit the output dtype {dtype} (range [{dmin}, {dmax}])")
    size = _size(size if isinstance(size, (tuple, list)) else (size,))
    op = _INT_SMALL if r <= 1 << 32 else _INT_LARGE
    return _draw(key(seed, id, offset, device), size, dtype, op, bits // 8, False, 0.0, 0.0, 0.0, lo % _U64, r - 1)


def bernoulli(p, *size, seed, id=0, offset=0, dtype=None, device=None):
    """0/1 values (float32 by default), 1 with probability ``floor(p * 2**32) / 2**32``: value e is 1 iff
    word ``offset + e`` (uint32) is below :func:`threshold` ``(p)``. One word per value."""
    torch = _torch()
    t = threshold(p)
    dtype = torch.float32 if dtype is None else dtype
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {dtype!r}")
    size = _size(size)
    w = _draw(key(seed, id, offset, device), size, torch.int32, _RAW32)
    return ((w.to(torch.int64) & 0xFFFFFFFF) < t).to(dtype)


def num_words(n: int, kind: str = "rand", dtype=None, range_size: int = 2) -> int:
    """Words a draw of ``n`` values takes (advance ``offset`` by this): ``kind`` is "rand", "randn",
    "bernoulli" or "randint" (``range_size`` = high - low); ``dtype`` as the draw's."""
    torch = _torch()
    if not _is_int(n) or n < 0:
        raise (ValueError if _is_int(n) else TypeError)(f"n must be a non-negative int, got {n!r}")
    if kind in ("rand", "randn"):
        if dtype is not None and not isinstance(dtype, torch.dtype):
            raise TypeError(f"dtype must be a torch dtype or None, got {dtype!r}")
        return n * (2 if dtype == torch.float64 else 1)
    if kind == "bernoulli":
        return n
    if kind == "randint":
        return n * (2 if range_size <= 1 << 32 else 4)
    raise ValueError(f"kind must be 'rand', 'randn', 'bernoulli' or 'randint', got {kind!r}")


try:  # register the custom ops now, so a compiled function's first draw does not trace their definition
    import torch as _torch_mod  # noqa: F401
except ImportError:  # pragma: no cover (the draws need torch; importing this module does not)
    pass
else:
    _torch()
