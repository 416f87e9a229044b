"""``philox.nn.Dropout`` and the keys of model randomness: seed, step, call index, module path.

The mask of a ``Dropout`` call is keyed by (docs/FORMAT.md 18):

* the seed: ``set_seed(seed)`` (default 0), or the module's own ``seed=``;
* the stream id ``fold(path_id(("dropout", path, call)), step)``: ``path`` is the module's
  qualified name in its model (``name_modules(model)`` sets it for every philox Dropout,
  or pass ``path=``), ``call`` the index of this call of this module instance within the
  step (a module called twice in one step gets two masks), ``step`` the training step given to
  ``set_step(step)`` (which resets every call index);
* the offset ``batch_offset * (numel / input.shape[0])``: ``set_batch_offset(k)`` for a
  data-parallel rank whose local batch starts at global sample ``k``, so masks do not
  depend on the number of ranks.

The call index lives on the device: each module counts its calls in an int64 buffer (moved by
``.to()``, not in the state dict) that one custom op, ``philox::dropout_id``, reads, folds with the
path's id and the step and advances, all on the device. So under ``torch.compile(fullgraph=True)``
the count advances inside the graph (compiled == eager bit for bit for any call pattern, a new step
recompiles nothing), and a captured CUDA graph (step tensor on the GPU) replays with new masks.
``set_step`` zeroes every module's counter in place.

Activation checkpointing re-runs a segment's forward during the backward pass. A call made in a
checkpoint's first run records its stream id on the checkpoint frame (``torch.utils.checkpoint``
reentrant or not, selective checkpointing, nested checkpoints); a recomputation of that frame
takes the frame's recorded ids again, per module, in order (one cursor per backward pass). So a
module called outside and inside a segment, or shared by several segments, recomputes exactly its
original masks whatever ``preserve_rng_state`` says, and ``set_step`` between forward and
backward changes nothing. A recomputation that calls a module more often than the first run did
raises RuntimeError. Frames are found on the Python stack (``philox._recompute``: torch's
checkpoint functions), so a checkpoint implementation that is not ``torch.utils.checkpoint`` (or
not called through it) is not recognized: its recomputation would take new indices. The lookup
runs in eager calls and in ``philox::dropout_id``'s implementation, so an eager checkpoint around
a compiled block replays too; a checkpoint inside compiled code is part of the compiled graph,
whose recomputation reuses the forward's ids by itself.

A DTensor input is dropped as its global tensor (each rank computes its shard's block, keyed by
the global element indices): tensor / sequence parallel sharding changes no mask.
"""
from __future__ import annotations

import weakref
from typing import Optional

import torch

from .. import _backend
from .._keys import normalize_seed, path_id
from .._ops import register, s64
from .._recompute import replayed_id
from . import functional as _nnF

__all__ = ["Dropout", "name_modules", "set_seed", "set_step", "set_batch_offset"]


class _State:
    def __init__(self):
        self.seed = 0
        self.step = None          # int64 0-d tensor (set_step), created on first use
        self.batch_offset = None  # int64 0-d tensor or None


_state = _State()
_modules: "weakref.WeakSet[Dropout]" = weakref.WeakSet()  # every Dropout: set_step resets their counters


def _tensor(v, name):
    if isinstance(v, torch.Tensor):
        if v.dtype == torch.bool or v.is_floating_point() or v.is_complex() or v.numel() != 1:
            raise TypeError(f"{name} must be an int or a one-element integer tensor, got {v.dtype} {tuple(v.shape)}")
        return v.reshape(()).to(torch.int64)
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{name} must be an int or a one-element integer tensor, got {v!r} of type {type(v).__name__}")
    if not 0 <= v < 1 << 63:
        raise ValueError(f"{name} must be in [0, 2**63), got {v}")
    return torch.tensor(v, dtype=torch.int64)


def set_seed(seed) -> None:
    """The seed of every ``philox.nn.Dropout`` without its own ``seed=``."""
    _state.seed = normalize_seed(seed)


def set_step(step) -> None:
    """Start training step ``step`` (an int, or a one-element integer tensor, e.g. on the GPU and
    advanced there): every module's call counter restarts at 0 (in place, on its device). A step
    tensor on another device than a module's input is copied there on each call; for CUDA graphs
    keep it on the GPU."""
    t = _tensor(step, "step")
    _state.step = t
    counters = [m._calls for m in list(_modules)]
    if counters:
        torch._foreach_zero_(counters)


def set_batch_offset(offset) -> None:
    """Global index of this rank's first sample along dim 0 (data parallel); None or 0 for none."""
    _state.batch_offset = None if offset is None else _tensor(offset, "offset")


def name_modules(model, prefix: str = "") -> None:
    """Give every ``philox.nn.Dropout`` in ``model`` without an explicit ``path`` its qualified name."""
    for name, m in model.named_modules(prefix=prefix):
        if isinstance(m, Dropout) and not m._explicit_path:
            m.path = name


def _parent_id_host(path: str) -> int:
    return s64(path_id(("dropout", path)))


# The id of ("dropout", path) (hashes the path): a constant to torch.compile, evaluated at trace time;
# the call index and the step are folded into it on the device (philox::dropout_id).
_parent_id = torch.compiler.assume_constant_result(_parent_id_host)
register()  # now, not inside the first compiled forward


class Dropout(torch.nn.Module):
    """Keyed dropout (see the module docstring): ``Dropout(p, *, path=None, seed=None)``.

    The mask is a pure function of (seed, path, step, call index, element index): two
    instances of one model at the same seed and step drop the same elements, two layers of
    one model different ones. Autograd saves no mask (the backward regenerates it).
    """

    def __init__(self, p: float = 0.5, *, path: Optional[str] = None, seed=None):
        super().__init__()
        self.p = _nnF.check_p(p)
        if path is not None and not isinstance(path, str):
            raise TypeError(f"path must be a str, got {path!r} of type {type(path).__name__}")
        self._explicit_path = path is not None
        self.path = path
        self.seed = None if seed is None else normalize_seed(seed)
        # this step's call count, on the module's device (moves with .to()); not in the state dict
        self.register_buffer("_calls", torch.zeros((), dtype=torch.int64), persistent=False)
        _modules.add(self)

    def _apply(self, fn, recurse=True):
        # .to() / .cuda() / to_empty() (uninitialized memory: a model built on meta) / casts: the
        # counter restarts at 0, as after set_step
        out = super()._apply(fn, recurse)
        with torch.no_grad():
            self._calls.zero_()
        return out

    def __setstate__(self, state):  # copy.deepcopy / pickle: the copy's counter resets with set_step too
        super().__setstate__(state)
        _modules.add(self)

    def extra_repr(self) -> str:
        return f"p={self.p}, path={self.path!r}"

    def forward(self, input):
        if not self.training or self.p == 0.0:
            return input
        if not isinstance(input, torch.Tensor) or not input.is_floating_point():  # before the call index moves
            raise TypeError(f"input must be a floating torch.Tensor, got "
                            f"{input.dtype if isinstance(input, torch.Tensor) else type(input).__name__}")
        _nnF.check_dtensor(input)
        if self.path is None:
            raise ValueError("this philox.nn.Dropout has no path: call philox.nn.name_modules(model) once after "
                             "building the model, or pass Dropout(p, path=...)")
        if _state.step is None:
            set_step(0)
        dev = input.device
        parent = _parent_id(self.path)
        if torch.compiler.is_compiling():
            sid = torch.ops.philox.dropout_id(self._calls, _state.step.to(dev), parent)
        else:
            _modules.add(self)
            if self._calls.device != dev:
                self._calls = self._calls.to(dev)
            # eager: the op's implementation itself (no dispatcher round trip; the same bits)
            sid = replayed_id(parent, lambda: _backend.dropout_id(self._calls, _state.step.to(dev), parent),
                              f"philox.nn.Dropout(path={self.path!r})")
        if _state.batch_offset is None or input.dim() == 0:
            offset = 0
        else:
            offset = _state.batch_offset.to(dev) * (input.numel() // max(input.shape[0], 1))
        seed = _state.seed if self.seed is None else self.seed
        return _nnF.dropout(input, self.p, seed=seed, id=sid, offset=offset, training=True)
