"""Draws that return a ``torch.distributed.tensor.DTensor``: the same values on 1 or N devices.

Each function allocates a DTensor of the global ``size`` on ``device_mesh`` with
``placements`` and fills it from ``stream``: every rank computes only its local
shard, as a region of the global tensor (``Stream`` draws' ``region=``), so

    philox.distributed.randn(stream, 1024, 512, device_mesh=mesh, placements=[Shard(0)]).full_tensor()

equals ``stream.randn(1024, 512, dtype=torch.float32)`` bit for bit, whatever the mesh (1-D or
n-D), the placements (``Shard(d)``, uneven shards, ``Replicate()``) or the number of ranks.
The stream's position moves by the global tensor's words on every rank, as the plain draw
would, so every rank must make the same draws in the same order (as for any collective
computation). A draw into an existing DTensor is ``stream.randn(out=dt)`` (any ``Stream``
draw takes a DTensor ``out=``).

Each rank holds its own ``Stream`` object with the same seed, path and position (build it
the same way on every rank, or broadcast its ``state_dict()``).
"""
from __future__ import annotations

from typing import Optional, Sequence

from . import _dtypes as D
from ._output import parse_size, parse_star_size
from ._stream import Stream

__all__ = ["rand", "randn", "uniform", "normal", "randint", "random_raw", "standard_exponential",
           "exponential", "empty"]


def _torch_dtensor():
    try:
        import torch
        from torch.distributed.tensor import DeviceMesh
    except ImportError as e:  # pragma: no cover (torch without distributed)
        raise ImportError(f"philox.distributed needs torch with torch.distributed ({e})") from None
    return torch, DeviceMesh


def empty(size, device_mesh, placements: Sequence, dtype):
    """An uninitialized DTensor of global shape ``size`` (a tuple of ints), checked."""
    torch, DeviceMesh = _torch_dtensor()
    from torch.distributed.tensor import empty as dt_empty
    shape = parse_size(size)
    if shape is None:
        raise ValueError("size must be given (a DTensor has a shape); got None")
    if not isinstance(device_mesh, DeviceMesh):
        raise TypeError(f"device_mesh must be a torch.distributed.DeviceMesh, got {type(device_mesh).__name__}")
    if placements is None or not isinstance(placements, (list, tuple)) or len(placements) != device_mesh.ndim:
        raise ValueError(f"placements must be a sequence of {device_mesh.ndim} placements (one per mesh "
                         f"dimension), got {placements!r}")
    if not D.is_torch_dtype(dtype):
        raise TypeError(f"dtype must be a torch dtype, got {dtype!r}")
    return dt_empty(*shape, dtype=dtype, device_mesh=device_mesh, placements=list(placements))


def _default(dtype, kind: str):
    torch, _ = _torch_dtensor()
    if dtype is not None:
        return dtype
    return {"float": torch.get_default_dtype(), "int": torch.int64, "raw": D.code_torch("u32")}[kind]


def _check_stream(stream):
    if not isinstance(stream, Stream):
        raise TypeError(f"stream must be a philox.Stream, got {type(stream).__name__}")


def rand(stream: Stream, *size, device_mesh, placements, dtype=None):
    """``stream.rand(*size)`` as a DTensor: uniform floats in [0, 1) (torch's default dtype)."""
    _check_stream(stream)
    return stream.rand(out=empty(parse_star_size(size), device_mesh, placements, _default(dtype, "float")))


def randn(stream: Stream, *size, device_mesh, placements, dtype=None):
    """``stream.randn(*size)`` as a DTensor: standard normal floats (torch's default dtype)."""
    _check_stream(stream)
    return stream.randn(out=empty(parse_star_size(size), device_mesh, placements, _default(dtype, "float")))


def uniform(stream: Stream, low=0.0, high=1.0, size=None, *, device_mesh, placements, dtype=None):
    """``stream.uniform(low, high, size)`` as a DTensor."""
    _check_stream(stream)
    return stream.uniform(low, high, out=empty(size, device_mesh, placements, _default(dtype, "float")))


def normal(stream: Stream, mean=0.0, std=1.0, size=None, *, device_mesh, placements, dtype=None):
    """``stream.normal(mean, std, size)`` as a DTensor."""
    _check_stream(stream)
    return stream.normal(mean, std, out=empty(size, device_mesh, placements, _default(dtype, "float")))


def standard_exponential(stream: Stream, size=None, *, device_mesh, placements, dtype=None):
    """``stream.standard_exponential(size)`` as a DTensor."""
    _check_stream(stream)
    return stream.standard_exponential(out=empty(size, device_mesh, placements, _default(dtype, "float")))


def exponential(stream: Stream, scale=1.0, size=None, *, device_mesh, placements, dtype=None):
    """``stream.exponential(scale, size)`` as a DTensor."""
    _check_stream(stream)
    return stream.exponential(scale, out=empty(size, device_mesh, placements, _default(dtype, "float")))


def randint(stream: Stream, low, high=None, size=None, *, device_mesh, placements, dtype=None):
    """``stream.randint(low, high, size)`` as a DTensor (int64 by default)."""
    _check_stream(stream)
    return stream.randint(low, high, out=empty(size, device_mesh, placements, _default(dtype, "int")))


def random_raw(stream: Stream, size=None, *, device_mesh, placements, dtype: Optional[object] = None):
    """``stream.random_raw(size)`` as a DTensor (uint32 words by default; int64/uint64: 64-bit)."""
    _check_stream(stream)
    return stream.random_raw(out=empty(size, device_mesh, placements, _default(dtype, "raw")))
