"""Which implementation fills a tensor: chosen per call from the output's device.

- CPU tensors (and numpy arrays): the C++ kernels (``philox._core``).
- CUDA tensors: the compiled CUDA module (``philox._cuda``) when it is importable
  and sees a device, on torch's current stream of the tensor's device; else the
  pure-torch fallback, with a one-time warning that says how to get the fast path.
- Any other torch device (mps, xpu, ...): the pure-torch fallback.

Every backend gives the same bits (SPEC 6.3). ``set_backend("torch")`` (or the
environment variable ``PHILOX_BACKEND=torch`` at import) forces the fallback
for every tensor output, CPU included; tests use it to run the fallback on CPU.
numpy outputs always use the C++ kernels.
"""
from __future__ import annotations

import os
import warnings

from . import _core

__all__ = ["set_backend", "get_backend", "cuda_module", "fill", "fold_ids", "perm_indices"]

_U64 = 1 << 64
_backend = os.environ.get("PHILOX_BACKEND", "auto").strip().lower() or "auto"
if _backend not in ("auto", "torch"):
    warnings.warn(f"PHILOX_BACKEND={_backend!r} is not 'auto' or 'torch'; using 'auto'", RuntimeWarning)
    _backend = "auto"
_cuda = None          # the imported philox._cuda module, False if it cannot be used
_warned = False


def set_backend(name: str) -> None:
    """``"auto"`` (per device, the default) or ``"torch"`` (the pure-torch fallback for all tensors)."""
    global _backend
    if name not in ("auto", "torch"):
        raise ValueError(f"backend must be 'auto' or 'torch', got {name!r}")
    _backend = name


def get_backend() -> str:
    """The current backend choice: ``"auto"`` or ``"torch"``."""
    return _backend


def forced() -> bool:
    """True when every tensor output goes through the torch fallback."""
    return _backend == "torch"


def cuda_module():
    """``philox._cuda`` if it was built and sees a CUDA device, else None (cached)."""
    global _cuda
    if _cuda is None:
        try:
            from . import _cuda as mod
            _cuda = mod if mod.available() else False
        except ImportError:
            _cuda = False
    return _cuda or None


def _warn_fallback():
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "philox: the compiled CUDA module is not available, so CUDA tensors are filled by the pure-torch "
            "fallback (same bits, much slower). For the fast path, reinstall philox where nvcc is on PATH "
            "(pip install --no-build-isolation philox, or -e . from a checkout) and check `import philox._cuda`.",
            RuntimeWarning, stacklevel=4)


def _cuda_target(dev):
    """(device index, torch's current stream on it as an integer handle) for a CUDA device."""
    import torch
    index = dev.index if dev.index is not None else torch.cuda.current_device()
    return index, torch.cuda.current_stream(index).cuda_stream


def no_data(t) -> bool:
    """True for tensors without storage to write (meta tensors, FakeTensors under tracing); None -> False."""
    if t is None:
        return False
    if t.device.type == "meta":
        return True
    if type(t).__name__ == "Tensor":  # a plain tensor (FakeTensor is a subclass): the common case, fast
        return False
    try:
        from torch._subclasses.fake_tensor import is_fake
    except ImportError:  # pragma: no cover (older torch)
        return False
    return is_fake(t)


def fill(out, op: int, k0: int, k1: int, id, position: int, elem_size: int = 0, affine: bool = False,
         a: float = 0.0, b: float = 0.0, c: float = 0.0, ilow: int = 0, range_m1: int = 0,
         fresh: bool = False) -> None:
    """Fill the contiguous tensor ``out`` with a draw from word ``position`` (see csrc/cpu/kernels.h).

    ``fresh``: ``out`` was just allocated and never touched (the CPU kernels then use plain
    stores and ask for huge pages); False for a caller's tensor.

    ``id``: an int (one stream) or an int64 tensor of R ids (two's complement) on
    out's device; then row r of ``out.view(R, -1)`` is stream ``id[r]``. The caller
    has checked the draw ends by 2**66. Never synchronizes with a device.
    """
    dev = out.device
    one = isinstance(id, int)
    rows = 1 if one else id.numel()
    n = out.numel() // rows if rows else 0
    if n == 0 or no_data(out):  # meta / fake tensors: shapes only, nothing to compute
        return
    if not forced():
        if dev.type == "cpu":
            ids_ptr = 0 if one else id.data_ptr()
            _core.fill_rows(op, k0, k1, id if one else 0, ids_ptr, rows, position >> 64, position & (_U64 - 1),
                            out.data_ptr(), n, fresh, elem_size, affine, a, b, c, ilow, range_m1)
            return
        if dev.type == "cuda":
            mod = cuda_module()
            if mod is not None:
                index, stream = _cuda_target(dev)
                mod.fill(op, k0, k1, id if one else 0, 0 if one else id.data_ptr(), rows, position >> 64,
                         position & (_U64 - 1), out.data_ptr(), n, elem_size, affine, a, b, c, ilow, range_m1,
                         index, stream)
                return
            _warn_fallback()
    from . import _torch_fallback
    _torch_fallback.fill(out, op, k0, k1, id, position, elem_size, affine, a, b, c, ilow, range_m1)


def fold_ids(index, parent: int):
    """Stream ids (int64 two's complement tensor on index's device) of (parent path, index[i]);
    ``index`` a contiguous int64 tensor of non-negative values."""
    import torch
    dev = index.device
    out = torch.empty(index.shape, dtype=torch.int64, device=dev)
    if index.numel() == 0 or no_data(index):
        return out
    if not forced():
        if dev.type == "cpu":
            _core.fold_ids(index.data_ptr(), out.data_ptr(), index.numel(), parent)
            return out
        if dev.type == "cuda":
            mod = cuda_module()
            if mod is not None:
                mod.fold_ids(index.data_ptr(), out.data_ptr(), index.numel(), parent, *_cuda_target(dev))
                return out
            _warn_fallback()
    from . import _torch_fallback
    return _torch_fallback.fold_ids(index, parent)


def perm_indices(words, n: int, start: int, step: int, count: int, dev):
    """int64 tensor on the torch device ``dev`` (CPU only when the fallback is forced): element ``start + step*j`` (j < count)
    of the permutation of [0, n) keyed by ``words`` (docs/FORMAT.md 6); the caller checked the range."""
    import torch
    if not forced() and dev.type == "cuda":
        mod = cuda_module()
        if mod is not None:
            index, stream = _cuda_target(dev)
            out = torch.empty(count, dtype=torch.int64, device=torch.device("cuda", index))
            if count:
                mod.perm_fill([int(w) for w in words], n, start, step, out.data_ptr(), count, index, stream)
            return out
        _warn_fallback()
    from ._permute_torch import perm_indices_torch
    return perm_indices_torch(words, n, start, step, count, dev)
