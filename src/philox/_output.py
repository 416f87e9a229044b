"""Output buffers: a numpy array, or a torch tensor, that the C++ kernels fill in place.

A draw first resolves *where* its values go (numpy or torch, dtype, shape,
``out=``), allocating before the stream's position moves; the kernels then
write straight into the buffer (numpy arrays and CPU tensors alike, no copy).
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from . import _backend
from . import _dtypes as D
from ._keys import _is_int

MAX_ELEMENTS = 1 << 62


def parse_size(size, name: str = "size"):
    """None (a scalar draw), or a shape tuple of non-negative ints."""
    if size is None:
        return None
    if type(size) is int and 0 <= size < MAX_ELEMENTS:  # the common case, fast
        return (size,)
    if _is_int(size):
        dims = (size,)
    elif isinstance(size, (tuple, list)):
        dims = tuple(size)
    else:
        raise TypeError(f"{name} must be None, an int or a tuple of ints, got {size!r}")
    for d in dims:
        if not _is_int(d):
            raise TypeError(f"{name} must contain only ints, got {size!r}")
        if d < 0:
            raise ValueError(f"{name} must not be negative, got {size!r}")
    shape = tuple(int(d) for d in dims)
    if math.prod(shape) >= MAX_ELEMENTS:
        raise ValueError(f"{name}={size!r} is too large")
    return shape


def parse_star_size(args, name: str = "size"):
    """``rand(2, 3)``, ``rand((2, 3))`` and ``rand()`` (scalar) forms."""
    if not args:
        return None
    if len(args) == 1:
        a = args[0]
        if type(a) is int and 0 <= a < MAX_ELEMENTS:  # rand(n): the common case, fast
            return args
        if isinstance(a, (tuple, list)):
            return parse_size(a, name)
    return parse_size(tuple(args), name)


_KIND_CODES = {"float": D.FLOAT_CODES, "int": D.INT_CODES, "raw": ("u32", "u64", "i32", "i64"), "bool": ("b8",)}


class Target:
    """A resolved output of element type ``code``: a numpy array ``arr`` to fill, or else
    ``n`` elements at address ``ptr`` (a torch tensor); ``finish()`` returns the result.
    ``fresh``: the buffer was allocated here (not the caller's ``out=``). ``tensor``: a
    contiguous tensor that a device backend fills (``_backend.fill``), instead of ``ptr``.
    ``region``: None, or the ``_region.Plan`` of a region draw (the output holds the block)."""

    __slots__ = ("code", "arr", "n", "ptr", "finish", "fresh", "tensor", "region", "bounds")

    def __init__(self, code, arr, n, ptr, finish, fresh=True, tensor=None):
        self.code, self.arr, self.n, self.ptr, self.finish, self.fresh = code, arr, n, ptr, finish, fresh
        self.tensor = tensor
        self.region = None
        self.bounds = None  # a region draw's block, ((start, stop) per dimension): for array parameters


def _np_code_fast(dtype):
    """Element code of a numpy dtype given as a class, np.dtype or str; None if not cached."""
    try:
        return _NP_FAST.get(dtype)
    except TypeError:  # unhashable
        return None


_NP_FAST: Dict[Any, str] = {}
for _code, _dt in D.CODE_NP.items():
    for _key in (_dt, _dt.type, _dt.name, _dt.str, _dt.char):
        _NP_FAST[_key] = _code
_NP_FAST[float] = "f64"
_NP_FAST[int] = "i64"


def _check_code(code, kind, dtype):
    if code not in _KIND_CODES[kind]:
        what = {"float": "a floating", "int": "an integer", "raw": "a 32- or 64-bit unsigned integer",
                "bool": "a bool"}[kind]
        raise TypeError(f"dtype={dtype!r} is not supported here: this draw needs {what} dtype")


def prepare(shape, dtype, device, out, kind: str, default_np: str) -> Target:
    """Resolve and allocate the output of a draw of ``shape`` (None: one scalar).

    ``default_np`` is the element code used when no dtype is given (numpy output).
    """
    if out is None and device is None:  # numpy output: the common case, fast
        code = default_np if dtype is None else _np_code_fast(dtype)
        if code is not None:
            _check_code(code, kind, dtype)
            return _new_numpy(code, shape)
    if out is not None:
        if D.is_tensor(out) or isinstance(out, np.ndarray):
            out_shape = tuple(out.shape)
            if shape is not None and shape != out_shape:
                raise ValueError(f"size {shape} does not match out.shape {out_shape}")
            shape = out_shape
        else:
            raise TypeError(f"out must be a numpy array or a torch tensor, got {type(out).__name__}")
    if isinstance(out, np.ndarray) and (D.is_torch_dtype(dtype) or device is not None):
        raise TypeError(f"out is a numpy array, so dtype={dtype!r} must be a numpy dtype and device= must be None "
                        f"(got device={device!r}); pass a torch tensor out= for a torch output")
    use_torch = D.is_tensor(out) or D.is_torch_dtype(dtype) or device is not None
    if use_torch:
        return _prepare_torch(shape, dtype, device, out, kind, default_np)
    return _prepare_numpy(shape, dtype, out, kind, default_np)


def _prepare_numpy(shape, dtype, out, kind, default_np):
    if out is not None:
        code = D.numpy_code(out.dtype, "out.dtype")
        if dtype is not None and D.numpy_code(dtype) != code:
            raise TypeError(f"dtype={dtype!r} does not match out.dtype {out.dtype}")
        _check_code(code, kind, out.dtype)
        if not out.flags.writeable:
            raise ValueError("out is read-only")
        if out.flags.c_contiguous:
            return Target(code, out, 0, 0, lambda: out, False)
        _check_no_overlap(out.shape, out.strides, out.itemsize)
        buf = np.empty(out.shape, out.dtype)

        def finish():
            out[...] = buf
            return out
        return Target(code, buf, 0, 0, finish)
    code = default_np if dtype is None else D.numpy_code(dtype)
    _check_code(code, kind, dtype)
    return _new_numpy(code, shape)


def _overlapping(shape, strides, itemsize) -> bool:
    """Do two elements of this strided layout share memory? Exact: a fast test on the strides
    sorted by size, and where that cannot decide (interleaved strides), the sorted offsets."""
    dims = sorted((abs(st), n) for n, st in zip(shape, strides) if n > 1)
    if not dims or 0 in shape:
        return False
    extent = itemsize
    for st, n in dims:
        if st < extent:
            break
        extent += st * (n - 1)
    else:
        return False
    if dims[0][0] == 0:
        return True
    offs = np.zeros(1, np.int64)
    for st, n in dims:
        offs = (offs[:, None] + np.arange(n, dtype=np.int64) * st).reshape(-1)
    offs.sort()
    return bool(np.any(np.diff(offs) < itemsize))


def _check_no_overlap(shape, strides, itemsize, force=False, name="out") -> None:
    """ValueError naming ``name`` if its elements share memory (a draw needs one place per value)."""
    if force or _overlapping(shape, strides, itemsize):
        raise ValueError(f"{name} (shape {tuple(shape)}, strides {tuple(strides)}) has elements that share memory "
                         "(an expanded or overlapping strided view?); pass an output whose elements are distinct")


def check_writable_tensor(torch, t, name="out") -> None:
    """ValueError naming ``name`` unless every element of tensor ``t`` can take its own value:
    lazily conjugated or negated views read back changed, and elements that share memory cannot
    hold distinct values."""
    if t.is_conj() or t.is_neg():
        raise ValueError(f"{name} is a lazily {'conjugated' if t.is_conj() else 'negated'} view "
                         "(is_conj()/is_neg()); pass a plain tensor, e.g. out.resolve_conj().resolve_neg()")
    if not t.is_contiguous():
        overlap = torch._debug_has_internal_overlap(t)  # 0 no, 1 yes, 2 too hard to tell
        if overlap == 1 or (overlap == 2 and _overlapping(t.shape, t.stride(), 1)):
            _check_no_overlap(t.shape, t.stride(), 1, force=True, name=name)


def _new_numpy(code, shape):
    """A fresh numpy output; shape None is one value, returned as a numpy scalar."""
    arr = np.empty(() if shape is None else shape, D.CODE_NP[code])
    return Target(code, arr, 0, 0, (lambda: arr[()]) if shape is None else (lambda: arr))


def _np_code(dtype):
    """Element code of a numpy dtype, None if it is not one."""
    try:
        return D.numpy_code(dtype)
    except TypeError:
        return None


def _torch_device(torch, device):
    """``torch.device(device)``, or ValueError naming it."""
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError) as e:
        raise ValueError(f"device={device!r} is not a torch device: {e}") from None


_CPU = []


def _cpu_device(torch):
    if not _CPU:
        _CPU.append(torch.device("cpu"))
    return _CPU[0]


def same_device(dev, actual) -> bool:
    """Does the requested device ``dev`` name the tensor device ``actual``? ``"cuda"`` without an
    index means the current CUDA device (torch's rule); other devices without an index match any."""
    if dev.type != actual.type:
        return False
    if dev.index is None:
        if dev.type == "cuda":
            import torch
            return actual.index == torch.cuda.current_device()
        return True
    return actual.index is None or dev.index == actual.index


def _written(torch, out):
    """The kernels wrote ``out`` through its data pointer: bump its version counter, as any torch
    in-place op does, so autograd refuses a backward pass that saved the old values (it would
    otherwise compute gradients from overwritten data without a word)."""
    if not out.is_inference():  # inference tensors have no version counter
        torch.autograd.graph.increment_version(out)
    return out


def _prepare_torch(shape, dtype, device, out, kind, default_np, tensor_target=False):
    """A torch output; ``tensor_target``: always a Target with ``tensor`` (for ``_backend.fill``)."""
    torch = D.torch_module()
    if torch is None:
        raise TypeError("device= and torch dtypes need torch, which is not installed (pip install torch)")
    if out is not None:
        if out.layout != torch.strided:
            raise TypeError(f"out must be a dense (strided) tensor, got layout {out.layout}")
        code = D.torch_code(out.dtype, "out.dtype")
        if dtype is not None and dtype != out.dtype and (D.is_torch_dtype(dtype) or _np_code(dtype) != code):
            raise TypeError(f"dtype={dtype} does not match out.dtype {out.dtype}")
        if device is not None and not same_device(_torch_device(torch, device), out.device):
            raise ValueError(f"device={device!r} does not match out.device {out.device}")
        check_writable_tensor(torch, out)  # lazy views read back changed; shared elements
        tdtype = out.dtype
        dev = out.device
    else:
        if dtype is None:
            tdtype = torch.get_default_dtype() if kind == "float" else D.code_torch(default_np)
        elif D.is_torch_dtype(dtype):
            tdtype = dtype
        else:  # a numpy dtype with device=: the matching torch dtype
            tdtype = D.code_torch(D.numpy_code(dtype))
        code = D.torch_code(tdtype)
        dev = _cpu_device(torch) if device is None else _torch_device(torch, device)
    _check_code(code, kind, tdtype)
    size = () if shape is None else shape
    host = dev.type == "cpu" and not _backend.forced() and not tensor_target and not _backend.no_data(out)
    # A device kernel stores whole elements, so a contiguous out= whose address is not a multiple
    # of its element size (possible through DLPack or storage offsets in bytes) goes through a
    # buffer like a non-contiguous one; the CPU kernels handle any address.
    if out is not None and out.is_contiguous() and (
            host or _backend.no_data(out) or out.data_ptr() % out.element_size() == 0):
        if host:
            return Target(code, None, out.numel(), out.data_ptr(), lambda: _written(torch, out), False)
        return Target(code, None, out.numel(), 0, lambda: _written(torch, out), False, out)
    try:
        buf = torch.empty(size, dtype=tdtype, device=dev)
    except (RuntimeError, AssertionError) as e:  # a failed allocation, or a device this torch cannot use
        msg = str(e).lower()
        if isinstance(e, getattr(torch, "OutOfMemoryError", ())) or "out of memory" in msg or "can't allocate" in msg:
            raise MemoryError(f"cannot allocate a tensor of shape {size} and dtype {tdtype}: {e}") from None
        raise ValueError(f"device={dev} cannot be used: {e}") from None
    if out is None:
        finish = lambda: buf  # noqa: E731
    else:  # a non-contiguous out=: fill a contiguous buffer on its device, then copy
        def finish():
            # out may require grad (filling a parameter) or be an inference tensor: the fill is
            # not differentiable, and a contiguous out is written in place either way
            with (torch.inference_mode() if out.is_inference() else torch.no_grad()):
                out.copy_(buf)
            return out
    if host and not _backend.no_data(buf):
        return Target(code, None, buf.numel(), buf.data_ptr(), finish)
    return Target(code, None, buf.numel(), 0, finish, True, buf)
