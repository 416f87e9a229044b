"""Regions: one block of a draw's logical tensor, computed alone.

``stream.randn(4096, 4096, region=(slice(0, 1024), slice(None)))`` returns exactly
``stream.randn(4096, 4096)[0:1024, :]``, bit for bit, computing only the block's
values, and moves the position by the whole tensor's words, as the full draw would
(docs/FORMAT.md, "Regions"). This module checks a region against the draw's shape
and reduces it to runs of consecutive value indices (csrc/region.h), which every
backend fills: the CPU threads split the runs, the CUDA kernel gives each Philox block
of each run to a thread, the torch fallback computes the value indices as a tensor.

It also gives the region of a DTensor's local shard (``dtensor_region``), so that
``out=`` a DTensor fills each rank's shard with its block of the global tensor.
"""
from __future__ import annotations

import math
from typing import List, NamedTuple, Tuple

from . import _core
from ._keys import _is_int

__all__ = ["parse_region", "Plan", "plan", "is_dtensor", "dtensor_region"]

MAX_DIMS = int(_core.REGION_MAX_DIMS)


def parse_region(region, shape) -> Tuple[Tuple[int, int], ...]:
    """``region`` (a tuple of slices with step 1, one per dimension of ``shape``; a bare slice
    for 1-D) as ``((start, stop), ...)`` with ``0 <= start <= stop <= dim``. ``None`` bounds
    mean 0 and dim, as in slicing. Raises TypeError / ValueError naming ``region``."""
    if isinstance(region, slice):
        region = (region,)
    if not isinstance(region, (tuple, list)):
        raise TypeError(f"region must be a tuple of slices, one per dimension of size, got {region!r} "
                        f"of type {type(region).__name__}")
    shape = () if shape is None else tuple(shape)
    if len(region) != len(shape):
        raise ValueError(f"region must have one slice per dimension of size {shape} ({len(shape)}), "
                         f"got {len(region)}: region={region!r}")
    out = []
    for d, (s, dim) in enumerate(zip(region, shape)):
        if not isinstance(s, slice):
            raise TypeError(f"region[{d}] must be a slice, got {s!r} of type {type(s).__name__} "
                            f"(region={region!r})")
        if s.step is not None and not (_is_int(s.step) and s.step == 1):
            raise ValueError(f"region[{d}] must have step 1, got {s!r} (region={region!r})")
        bounds = []
        for v, default, what in ((s.start, 0, "start"), (s.stop, dim, "stop")):
            if v is None:
                bounds.append(default)
                continue
            if not _is_int(v):
                raise TypeError(f"region[{d}] {what} must be an int or None, got {v!r} of type "
                                f"{type(v).__name__} (region={region!r})")
            bounds.append(int(v))
        a, b = bounds
        if not 0 <= a <= b <= dim:
            raise ValueError(f"region[{d}] = {s!r} must satisfy 0 <= start <= stop <= {dim} (the size of "
                             f"dimension {d}; no negative or out-of-range bounds), region={region!r}")
        out.append((a, b))
    return tuple(out)


class Plan(NamedTuple):
    """A region as runs (csrc/region.h): element ``r * run_len + i`` is value
    ``base + sum(idx_d(r) * strides[d]) + i``, ``idx(r)`` = r in the mixed radix ``counts``."""
    shape: Tuple[int, ...]      # the block's shape (the output's)
    n_full: int                 # values of the whole draw
    base: int
    run_len: int
    counts: List[int]
    strides: List[int]

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def split(self):
        """Sub-plans with at most MAX_DIMS outer dimensions, as (first output element, plan):
        the leading dimensions past MAX_DIMS are walked here."""
        extra = len(self.counts) - MAX_DIMS
        if extra <= 0:
            yield 0, self
            return
        lead_c, lead_s = self.counts[:extra], self.strides[:extra]
        rest_c, rest_s = self.counts[extra:], self.strides[extra:]
        per = math.prod(rest_c) * self.run_len
        for j in range(math.prod(lead_c)):
            off, rem = 0, j
            for c, s in zip(reversed(lead_c), reversed(lead_s)):
                off += (rem % c) * s
                rem //= c
            yield j * per, self._replace(base=self.base + off, counts=rest_c, strides=rest_s)


def plan(shape, bounds) -> Plan:
    """The runs of the block ``bounds`` (from ``parse_region``) of a draw of ``shape``."""
    shape = tuple(shape)
    out_shape = tuple(b - a for a, b in bounds)
    strides, acc = [], 1
    for dim in reversed(shape):
        strides.append(acc)
        acc *= dim
    strides.reverse()
    base = sum(a * s for (a, _), s in zip(bounds, strides))
    # the run: the last dimension, extended over the inner dimensions the block covers whole
    d = len(shape) - 1
    run_len = 1
    while d >= 0:
        run_len *= out_shape[d]
        full = out_shape[d] == shape[d]
        d -= 1
        if not full:
            break
    counts, cstrides = [], []
    for k in range(d + 1):
        if out_shape[k] != 1:  # a dimension of one position adds only to base
            counts.append(out_shape[k])
            cstrides.append(strides[k])
    return Plan(out_shape, acc, base, run_len, counts, cstrides)


# ---------------------------------------------------------------- DTensor shards
def is_dtensor(x) -> bool:
    """True for a ``torch.distributed.tensor.DTensor`` (without importing torch.distributed)."""
    return type(x).__name__ == "DTensor" and any(
        c.__module__.startswith("torch.distributed") for c in type(x).__mro__)


def dtensor_region(dt) -> Tuple[slice, ...]:
    """The block of ``dt``'s global tensor that this rank's local shard holds, as slices.

    ``Shard(d)`` (even or uneven, over 1-D or n-D meshes, several mesh dimensions on one
    tensor dimension included) and ``Replicate()`` placements; ``Partial`` (a pending sum)
    and strided shards (not one block of the global tensor) are refused."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset
    for p in dt.placements:
        if not (type(p) is Shard or isinstance(p, Replicate)):
            raise ValueError(f"out is a DTensor with placements {tuple(dt.placements)}: only Shard(dim) and "
                             f"Replicate() placements hold blocks of the global tensor that a draw can fill "
                             f"(got {p!r})")
    local_shape, offset = compute_local_shape_and_global_offset(tuple(dt.shape), dt.device_mesh, dt.placements)
    return tuple(slice(int(o), int(o) + int(n)) for o, n in zip(offset, local_shape))


def dtensor_local(dt):
    """``dt``'s local tensor (a view that writes through to the DTensor's shard)."""
    return dt._local_tensor if hasattr(dt, "_local_tensor") else dt.to_local()

