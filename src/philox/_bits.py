"""The raw block function, vectorized over numpy arrays."""
from __future__ import annotations

import numpy as np

from . import _core

__all__ = ["philox4x32"]


def _u32_array(x, name, last):
    a = np.asarray(x)
    if a.dtype.kind not in "ui" and not (a.dtype == object and all(isinstance(v, int) for v in a.flat)):
        raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    if a.ndim == 0 or a.shape[-1] != last:
        raise ValueError(f"{name} must have shape (..., {last}), got {a.shape}")
    if a.size and (a.min() < 0 or a.max() > 0xFFFFFFFF):
        raise ValueError(f"{name} values must be in [0, 2**32)")
    return a.astype(np.uint32)


def philox4x32(counter, key) -> np.ndarray:
    """Philox4x32-10 (SPEC 1) on counters of shape (..., 4) and keys of shape (..., 2).

    Leading dimensions broadcast; returns uint32 of shape (..., 4).

    >>> philox4x32([0, 0, 0, 0], [0, 0]).tolist()   # Random123's first known answer
    [1713891541, 3781805453, 3159862348, 2600524760]
    """
    c = _u32_array(counter, "counter", 4)
    k = _u32_array(key, "key", 2)
    batch = np.broadcast_shapes(c.shape[:-1], k.shape[:-1])
    c = np.ascontiguousarray(np.broadcast_to(c, batch + (4,))).reshape(-1, 4)
    k = np.ascontiguousarray(np.broadcast_to(k, batch + (2,))).reshape(-1, 2)
    return _core.philox4x32(c, k).reshape(batch + (4,))
