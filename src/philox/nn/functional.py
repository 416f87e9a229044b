"""philox.nn.functional: keyed dropout, a pure function of its key (docs/FORMAT.md 18).

``dropout(input, p, *, seed, id=0, offset=0, training=True)`` zeroes element ``e`` (its
row-major index in the logical tensor) iff word ``offset + e`` of stream ``(seed, id)`` is
below ``floor(p * 2**32)``, and scales the others by the float32 value of ``1 / (1 - p)``.
The mask depends on the key and ``e`` only: not on dtype, device or layout. The backward
pass regenerates it from the key (one custom op, ``philox::dropout``, whose backward is
itself): autograd saves three words, never a mask, and under ``torch.compile`` it is one
op with no graph break. ``seed``, ``id`` and ``offset`` are ints or one-element integer
tensors on the input's device (see ``philox.functional``).
"""
from __future__ import annotations

from .. import functional as _F
from .._region import dtensor_region, is_dtensor

__all__ = ["dropout"]


def check_p(p) -> float:
    """``p`` as a float in [0, 1]; TypeError for a non-real (a tensor included), ValueError outside or NaN."""
    _F.threshold(p)
    return float(p)


def dropout(input, p: float = 0.5, *, seed, id=0, offset=0, training: bool = True):
    """Keyed dropout of ``input`` (a floating tensor); the identity when ``training`` is False."""
    import torch
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
    import numpy as np
    if not isinstance(training, (bool, np.bool_)):  # numpy's bool as torch's own dropout takes it
        raise TypeError(f"training must be a bool, got {training!r} of type {type(training).__name__}")
    training = bool(training)
    p = check_p(p)
    if not (input.is_floating_point()):
        raise TypeError(f"input must be a floating tensor, got dtype {input.dtype}")
    check_dtensor(input)
    key = _F.key(seed, id, offset, device=input.device)
    if not training or p == 0.0:
        return input
    if is_dtensor(input):
        return _dtensor_dropout(input, key, p)
    return torch.ops.philox.dropout(input, key, p)


def check_dtensor(input) -> None:
    """A DTensor input must hold blocks of its global tensor: Shard(dim) / Replicate() placements."""
    if not is_dtensor(input):
        return
    from torch.distributed.tensor import Replicate, Shard
    for pl in input.placements:
        if not (type(pl) is Shard or isinstance(pl, Replicate)):
            raise ValueError(f"input is a DTensor with placements {tuple(input.placements)}: dropout takes "
                             f"Shard(dim) and Replicate() placements (got {pl!r}); redistribute it first")


def _dtensor_dropout(input, key, p):
    """A DTensor's dropout: each rank drops its shard's block of the global tensor, element e keyed by
    its global index (so Shard / Replicate placements change no mask), forward and backward."""
    import torch
    from torch.distributed.tensor import DTensor
    region = dtensor_region(input)
    bounds = [v for s in region for v in (s.start, s.stop)]
    y = torch.ops.philox.dropout_region(input.to_local(), key, p, list(input.shape), bounds)
    return DTensor.from_local(y, input.device_mesh, input.placements, shape=input.shape, stride=input.stride(),
                              run_check=False)
