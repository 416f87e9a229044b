"""The keyed bijection (docs/FORMAT.md 6) in plain torch integer ops, for tensors on any device.

A line-by-line mirror of ``perm_feistel`` / ``perm_at`` in ``csrc/philox.h``: the same bits as the
C++ path (tests compare them on CPU tensors). All arithmetic stays in int64 below 2**49, so no
signed overflow is relied on: a 32-bit product mod 2**32 is formed from 16-bit halves. Small n
(exact Lehmer method, at most 20 elements) is computed by the C++ path and copied to the device.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import _core

__all__ = ["perm_indices_torch"]

_M32 = 0xFFFFFFFF


def _mul32(x, c: int):
    """(x * c) mod 2**32 for int64 tensors x in [0, 2**32) and a constant c < 2**32."""
    hi = ((x >> 16) * c) & 0xFFFF  # only the low 16 bits of the high product survive the shift
    return ((hi << 16) + (x & 0xFFFF) * c) & _M32


def _mix32(x):
    """perm_mix32 of philox.h (lowbias32)."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def _feistel(x, keys: Sequence[int], wl: int, wr: int):
    hi = x >> wr
    lo = x & ((1 << wr) - 1)
    for k in keys:
        f = _mix32(lo ^ k) >> (32 - wl)
        hi, lo = lo, (hi + f) & ((1 << wl) - 1)
        wl, wr = wr, wl
    return (hi << wr) | lo


def perm_indices_torch(words: np.ndarray, n: int, start: int, step: int, count: int, device):
    """int64 tensor on ``device``: element ``start + step*j`` of the permutation keyed by ``words``."""
    import torch
    if n <= _core.PERM_SMALL_MAX:
        out = np.empty(count, np.int64)
        _core.perm_fill(words, n, start, step, out, False)
        return torch.from_numpy(out).to(device)
    keys = [int(w) for w in words]
    b = (n - 1).bit_length()
    wl, wr = b // 2, b - b // 2
    x = start + step * torch.arange(count, dtype=torch.int64, device=device)
    from ._backend import no_data
    if no_data(x):  # meta / fake tensors: shapes only (cycle walking reads values back)
        return torch.empty_like(x)
    y = _feistel(x, keys, wl, wr)
    bad = y >= n
    while bool(bad.any()):  # cycle walking on the lanes still outside [0, n)
        idx = bad.nonzero().squeeze(1)
        z = _feistel(y[idx], keys, wl, wr)
        y[idx] = z
        bad = torch.zeros_like(bad)
        bad[idx] = z >= n
    return y
