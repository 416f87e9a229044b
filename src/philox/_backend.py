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

__all__ = ["set_backend", "get_backend", "backend_for", "cuda_module", "fill", "fill_region", "fill_keyed",
           "fold_ids", "perm_indices"]

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


def backend_for(device_type: str) -> str:
    """Which implementation fills a tensor on a device of this type, as ``fill`` chooses it:
    ``"cpu"`` (the C++ kernels), ``"cuda"`` (philox._cuda) or ``"torch"`` (the pure-torch fallback)."""
    if not forced():
        if device_type == "cpu":
            return "cpu"
        if device_type == "cuda" and cuda_module() is not None:
            return "cuda"
    return "torch"


def _warn_fallback():
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "philox: the compiled CUDA module is not available, so CUDA tensors are filled by the pure-torch "
            "fallback (same bits, much slower). For the fast path, reinstall philox where nvcc is on PATH "
            "(pip install . from a checkout) and check with `python -m philox info`.",
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


def fill_region(out, op: int, k0: int, k1: int, id: int, position: int, plan, elem_size: int = 0,
                affine: bool = False, a: float = 0.0, b: float = 0.0, c: float = 0.0, ilow: int = 0,
                range_m1: int = 0, fresh: bool = False) -> None:
    """Fill the contiguous tensor ``out`` with the region ``plan`` (``_region.Plan``, at most
    REGION_MAX_DIMS outer dimensions) of a draw of ``plan.n_full`` values from word ``position``
    (csrc/region.h). The caller has reserved the whole draw's words."""
    if out.numel() == 0 or no_data(out):
        return
    dev = out.device
    hi, lo = position >> 64, position & (_U64 - 1)
    if not forced():
        if dev.type == "cpu":
            _core.fill_region(op, k0, k1, id, hi, lo, plan.n_full, plan.base, plan.run_len, plan.counts,
                              plan.strides, out.data_ptr(), fresh, elem_size, affine, a, b, c, ilow, range_m1)
            return
        if dev.type == "cuda":
            mod = cuda_module()
            if mod is not None:
                index, stream = _cuda_target(dev)
                mod.fill_region(op, k0, k1, id, hi, lo, plan.n_full, plan.base, plan.run_len, plan.counts,
                                plan.strides, out.data_ptr(), elem_size, affine, a, b, c, ilow, range_m1, index,
                                stream)
                return
            _warn_fallback()
    from . import _torch_fallback
    _torch_fallback.fill_region(out, op, k0, k1, id, position, plan, elem_size, affine, a, b, c, ilow, range_m1)


def fill_keyed(out, key, op: int, elem_size: int = 0, affine: bool = False, a: float = 0.0, b: float = 0.0,
               c: float = 0.0, ilow: int = 0, range_m1: int = 0) -> None:
    """Fill the fresh contiguous tensor ``out`` from the key tensor ``key`` (3 int64 words on
    out's device: seed, stream id, word position, two's complement).

    On a GPU with the CUDA module the kernel reads the key from device memory (no host sync,
    so a captured CUDA graph replays with the key's current value); on the CPU the key is read
    in place; the torch fallback on a GPU reads it with one host sync.
    """
    if out.numel() == 0 or no_data(out):
        return
    dev = out.device
    if not forced() and dev.type == "cuda":
        mod = cuda_module()
        if mod is not None:
            index, stream = _cuda_target(dev)
            mod.fill_keyed(op, key.data_ptr(), out.data_ptr(), out.numel(), elem_size, affine, a, b, c, ilow,
                           range_m1, index, stream)
            return
    seed, id, pos = (v % _U64 for v in key.tolist())
    fill(out, op, seed & 0xFFFFFFFF, seed >> 32, id, pos, elem_size, affine, a, b, c, ilow, range_m1, True)


def _raw32_code() -> int:
    return next(code for code, name, *_ in _core.OPS if name == "raw32")


def dropout_scale(p: float) -> float:
    """The float32 scale 1/(1-p) (docs/FORMAT.md 18), as a Python float; 0 for p = 1."""
    import struct
    return 0.0 if p >= 1.0 else struct.unpack("<f", struct.pack("<f", 1.0 / (1.0 - p)))[0]


class _DropDtypes(dict):
    """torch dtype -> the dropout kernels' dtype code (CPU and CUDA) (built on first use: torch is optional)."""

    def _fill(self):
        if not self:
            import torch
            self.update({torch.float32: 0, torch.float64: 1, torch.float16: 2, torch.bfloat16: 3})

    def __contains__(self, k):
        self._fill()
        return dict.__contains__(self, k)

    def __getitem__(self, k):
        self._fill()
        return dict.__getitem__(self, k)


_DROP_DTYPES = _DropDtypes()


def dropout(x, key, p: float):
    """``x`` (contiguous) with element e zeroed when word ``key.offset + e`` of stream (key.seed, key.id)
    is below floor(p * 2**32), the others times the float32 scale 1/(1-p) (docs/FORMAT.md 18)."""
    import torch
    from .functional import threshold
    t = threshold(p)
    if t == 0:
        return x.clone()
    if t >= 1 << 32:
        return torch.zeros_like(x)
    scale = dropout_scale(p)
    if not forced() and x.device.type == "cpu" and x.dtype in _DROP_DTYPES and not no_data(x) and x.numel():
        # the fused C++ kernel: words, compare and scale in one pass (csrc/cpu/dropout.h)
        seed, id, pos = (v % _U64 for v in key.tolist())
        y = torch.empty_like(x, memory_format=torch.contiguous_format)
        _core.dropout_fill(seed & 0xFFFFFFFF, seed >> 32, id, pos, t, scale, _DROP_DTYPES[x.dtype],
                           x.data_ptr(), y.data_ptr(), x.numel())
        return y
    if not forced() and x.device.type == "cuda" and x.dtype in _DROP_DTYPES and not no_data(x) and x.numel():
        mod = cuda_module()
        if mod is not None:  # the fused kernel; it reads the key from device memory (no sync)
            index, stream = _cuda_target(x.device)
            y = torch.empty_like(x, memory_format=torch.contiguous_format)
            mod.dropout(key.data_ptr(), t, scale, _DROP_DTYPES[x.dtype], x.data_ptr(), y.data_ptr(), x.numel(),
                        index, stream)
            return y
    w = torch.empty(x.shape, dtype=torch.int32, device=x.device)
    fill_keyed(w, key, _raw32_code())
    return _drop_by_words(x, w, t, scale)


def _drop_by_words(x, w, t: int, scale: float):
    """``x`` with element e zeroed where the word ``w[e]`` (int32 bits of a uint32) is below t, the
    others times ``scale`` (16-bit inputs: the product in float32, rounded once)."""
    import torch
    # unsigned w >= t as a signed compare: flipping the top bit keeps the order
    keep = torch.bitwise_xor(w, -(1 << 31), out=w) >= t - (1 << 31)
    if x.dtype in (torch.float16, torch.bfloat16):
        return torch.where(keep, x.float() * scale, 0.0).to(x.dtype)
    return torch.where(keep, x * scale, torch.zeros((), dtype=x.dtype, device=x.device))


def dropout_region(x, key, p: float, shape, bounds):
    """Keyed dropout of ``x`` (contiguous), the block ``bounds`` (``((start, stop), ...)``) of a logical
    tensor of ``shape``: element e of the block takes the word of its index in the logical tensor
    (docs/FORMAT.md 18; a DTensor's local shard). The words come from a region fill (one host read
    of the key)."""
    import torch
    from ._region import plan
    from .functional import threshold
    t = threshold(p)
    if t == 0:
        return x.clone()
    if t >= 1 << 32 or x.numel() == 0:
        return torch.zeros_like(x)
    scale = dropout_scale(p)
    seed, id, pos = (v % _U64 for v in key.tolist())
    w = torch.empty(x.shape, dtype=torch.int32, device=x.device)
    flat = w.view(-1)
    for first, sub in plan(shape, bounds).split():
        fill_region(flat[first:first + sub.size], _raw32_code(), seed & 0xFFFFFFFF, seed >> 32, id, pos, sub,
                    fresh=True)
    return _drop_by_words(x, w, t, scale)


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


def dropout_id(calls, step, parent: int):
    """The stream id ``fold(fold(parent, calls, 0), step, 0)`` (int64 two's complement, 0-d, on calls'
    device) of a keyed dropout call (docs/FORMAT.md 18), and ``calls += 1``; ``calls`` and ``step``
    one-element int64 tensors on one device, never read by the host off the CPU (no sync)."""
    import torch
    if calls.device.type == "cpu" and not forced():
        c, s = int(calls.reshape(())), int(step.reshape(()))
        calls.add_(1)
        v = _core.fold(_core.fold(parent % _U64, c % _U64, 0), s % _U64, 0)
        return torch.tensor(v - _U64 if v >> 63 else v, dtype=torch.int64)
    from . import _torch_fallback
    cid = fold_ids(calls.reshape(1), parent % _U64)  # the device's fold kernel (host parent)
    out = _torch_fallback.fold(cid, step.reshape(1), 0).reshape(())  # a device parent: torch ops, no sync
    calls.add_(1)
    return out


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


# ---------------------------------------------------------------- array parameters (docs/FORMAT.md 23)
def fill_params(out, op: int, k0: int, k1: int, id, position: int, elem_size: int, affine: bool, params,
                fresh: bool = False) -> None:
    """``fill`` with array parameters: ``params`` maps OpArgs fields (``_params.FIELDS``) to (numpy
    array, stride 0 or 1); value e of the output (rows included, in order) takes element e * stride."""
    from . import _params
    dev = out.device
    one = isinstance(id, int)
    rows = 1 if one else id.numel()
    n = out.numel() // rows if rows else 0
    if n == 0 or no_data(out):
        return
    if not forced():
        if dev.type == "cpu":
            _core.fill_rows_params(op, k0, k1, id if one else 0, 0 if one else id.data_ptr(), rows, position >> 64,
                                   position & (_U64 - 1), out.data_ptr(), n, fresh, elem_size, affine, 0.0, 0.0, 0.0,
                                   0, 0, _params.pointers(params))
            return
        if dev.type == "cuda":
            mod = cuda_module()
            if mod is not None:
                index, stream = _cuda_target(dev)
                cols = _params.to_tensors(params, dev)  # on torch's current stream, before the kernel
                mod.fill_params(op, k0, k1, id if one else 0, 0 if one else id.data_ptr(), rows, position >> 64,
                                position & (_U64 - 1), out.data_ptr(), n, elem_size, affine, 0.0, 0.0, 0.0, 0, 0,
                                index, stream, _params.pointers(cols))
                return
            _warn_fallback()
    from . import _torch_fallback
    _torch_fallback.fill_params(out, op, k0, k1, id, position, elem_size, affine,
                                _params.to_tensors(params, dev))


def fill_region_params(out, op: int, k0: int, k1: int, id: int, position: int, plan, elem_size: int, affine: bool,
                       params, fresh: bool = False) -> None:
    """``fill_region`` with array parameters (as ``fill_params``; element e of ``out``, the block in
    order, takes element e * stride)."""
    from . import _params
    if out.numel() == 0 or no_data(out):
        return
    dev = out.device
    hi, lo = position >> 64, position & (_U64 - 1)
    if not forced():
        if dev.type == "cpu":
            _core.fill_region_params(op, k0, k1, id, hi, lo, plan.n_full, plan.base, plan.run_len, plan.counts,
                                     plan.strides, out.data_ptr(), fresh, elem_size, affine, 0.0, 0.0, 0.0, 0, 0,
                                     _params.pointers(params))
            return
        if dev.type == "cuda":
            mod = cuda_module()
            if mod is not None:
                index, stream = _cuda_target(dev)
                cols = _params.to_tensors(params, dev)
                mod.fill_region_params(op, k0, k1, id, hi, lo, plan.n_full, plan.base, plan.run_len, plan.counts,
                                       plan.strides, out.data_ptr(), elem_size, affine, 0.0, 0.0, 0.0, 0, 0, index,
                                       stream, _params.pointers(cols))
                return
            _warn_fallback()
    from . import _torch_fallback
    _torch_fallback.fill_params(out, op, k0, k1, id, position, elem_size, affine, _params.to_tensors(params, dev),
                                plan)
