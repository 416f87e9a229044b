"""``philox.nn.Dropout`` and the keys of model randomness: seed, step, call index, module path.

The mask of a ``Dropout`` call is keyed by (docs/FORMAT.md 18):

* the seed: ``set_seed(seed)`` (default 0), or the module's own ``seed=``;
* the stream id ``fold(path_id(("dropout", path, call)), step)``: ``path`` is the module's
  qualified name in its model (``name_modules(model)`` sets it for every philox Dropout,
  or pass ``path=``), ``call`` the index of this call of this module instance within the
  step (a module called twice in one step gets two masks), ``step`` the training step given to
  ``set_step(step)`` (which resets every call index); the step is folded on the device
  (``philox::fold_ids``), so a changing step never recompiles a compiled model;
* the offset ``batch_offset * (numel / input.shape[0])``: ``set_batch_offset(k)`` for a
  data-parallel rank whose local batch starts at global sample ``k``, so masks do not
  depend on the number of ranks.

Activation checkpointing re-runs a module's forward during the backward pass; such a
re-run (seen as a call while autograd's engine runs a backward) takes the call indices of
the step's forward again, in order, so the recomputed masks are the original ones whatever
``preserve_rng_state`` says. Call ``set_step`` before a step's forward, never between its
forward and backward (a recomputation reads the current step). A module shared by two
checkpointed segments is re-run in the backward's segment order; give such a module two
Dropout instances.

DTensor inputs (masks of the global tensor) are not supported yet: they need the region
draws of the ``regions`` work (docs/DESIGN.md).
"""
from __future__ import annotations

from typing import Optional

import torch

from .._keys import normalize_seed, path_id
from .._ops import register, s64
from . import functional as _nnF

__all__ = ["Dropout", "name_modules", "set_seed", "set_step", "set_batch_offset"]


class _State:
    def __init__(self):
        self.seed = 0
        self.step = None          # int64 0-d tensor (set_step), created on first use
        self.batch_offset = None  # int64 0-d tensor or None
        self.epoch = 0            # bumped by set_step: modules restart their call indices


_state = _State()


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
    advanced there): every module's call index restarts at 0. A step tensor on another device
    than a module's input is copied there on each call; for CUDA graphs keep it on the GPU."""
    t = _tensor(step, "step")
    _state.step = t
    _state.epoch += 1


def set_batch_offset(offset) -> None:
    """Global index of this rank's first sample along dim 0 (data parallel); None or 0 for none."""
    _state.batch_offset = None if offset is None else _tensor(offset, "offset")


def name_modules(model, prefix: str = "") -> None:
    """Give every ``philox.nn.Dropout`` in ``model`` without an explicit ``path`` its qualified name."""
    for name, m in model.named_modules(prefix=prefix):
        if isinstance(m, Dropout) and not m._explicit_path:
            m.path = name


def _in_backward() -> bool:
    if torch.compiler.is_compiling():
        return False
    return torch._C._current_graph_task_id() != -1


def _call_index(m: "Dropout") -> int:
    """This call's index within the step for module ``m`` (re-runs in a backward replay the forward's)."""
    if m._epoch != _state.epoch:
        m._epoch, m._calls, m._replays = _state.epoch, 0, 0
    if _in_backward():
        m._replays += 1
        return m._replays - 1
    m._calls += 1
    return m._calls - 1


def _parent_id_host(path: str, call: int) -> int:
    return s64(path_id(("dropout", path, call)))


# Host-side key parts, constants to torch.compile (evaluated once, at trace time): the id of
# ("dropout", path, call) (hashes the path), and the call index (so a compiled graph holds each
# call's index in its order of calls; the step changes no guard and nothing recompiles).
_parent_id = torch.compiler.assume_constant_result(_parent_id_host)
_traced_call_index = torch.compiler.assume_constant_result(_call_index)
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
        self._epoch, self._calls, self._replays = -1, 0, 0

    def extra_repr(self) -> str:
        return f"p={self.p}, path={self.path!r}"

    def forward(self, input):
        if not self.training or self.p == 0.0:
            return input
        if not isinstance(input, torch.Tensor) or not input.is_floating_point():  # before the call index moves
            raise TypeError(f"input must be a floating torch.Tensor, got "
                            f"{input.dtype if isinstance(input, torch.Tensor) else type(input).__name__}")
        if self.path is None:
            raise ValueError("this philox.nn.Dropout has no path: call philox.nn.name_modules(model) once after "
                             "building the model, or pass Dropout(p, path=...)")
        if _state.step is None:
            set_step(0)
        call = _traced_call_index(self)
        dev = input.device
        parent = _parent_id(self.path, call)
        step = _state.step.to(dev).reshape(1)
        sid = torch.ops.philox.fold_ids(step, parent).reshape(())
        if _state.batch_offset is None or input.dim() == 0:
            offset = 0
        else:
            offset = _state.batch_offset.to(dev) * (input.numel() // max(input.shape[0], 1))
        seed = _state.seed if self.seed is None else self.seed
        return _nnF.dropout(input, self.p, seed=seed, id=sid, offset=offset, training=True)
