"""Permutations: the keyed bijection on [0, n) (docs/FORMAT.md 6), ``permutation`` and ``shuffle``.

A permutation of ``n`` elements is keyed by ``PERM_WORDS`` (12) words of the stream at its position:
each call consumes exactly those words, whatever ``n`` is, and element ``i`` of the permutation is a
pure function of the key and ``i`` (O(1) time and memory). The C++ path (``csrc/cpu/permute*``)
serves numpy arrays and CPU tensors; CUDA tensors use the CUDA kernel (``philox._cuda.perm_fill``)
when it is built, and tensors on other devices the torch mirror (``_permute_torch``): the same bits.
"""
from __future__ import annotations

from collections.abc import MutableSequence

import numpy as np

from . import _backend, _core
from . import _dtypes as D
from ._keys import _is_int
from ._output import _overlapping

__all__ = ["PERM_WORDS", "MAX_N", "perm_key_words", "alloc_indices", "perm_indices", "permutation", "shuffle"]

PERM_WORDS = int(_core.PERM_WORDS)
MAX_N = (1 << 63) - 1


def perm_key_words(stream) -> np.ndarray:
    """Draw the key of one permutation: ``PERM_WORDS`` raw words (the position moves by that many)."""
    return stream.random_raw(PERM_WORDS)


def _is_cpu(device) -> bool:
    if device is None:
        return True
    torch = D.torch_module()
    return torch.device(device).type == "cpu"


def alloc_indices(count: int, what, device=None):
    """An int64 buffer of ``count`` indices, allocated *before* a draw takes its key (so a size that
    does not fit in memory leaves the position alone): a numpy array for the CPU, else a tensor on
    ``device`` (allocated to check that it fits; the device backends then make their own).
    MemoryError / ValueError name the call: ``what()`` (formatted only on an error)."""
    try:
        if device is not None and (not _is_cpu(device) or _backend.forced()):
            torch = D.torch_module()
            try:
                return torch.empty(count, dtype=torch.int64, device=device)
            except RuntimeError as e:
                raise MemoryError(str(e)) from None
        return np.empty(count, np.int64)
    except MemoryError as e:
        raise MemoryError(f"{what()}: cannot allocate {count} int64 indices ({8 * count} bytes): {e}") from None
    except ValueError as e:  # numpy: "array is too big"
        raise ValueError(f"{what()}: {count} int64 indices do not fit in an array ({e})") from None


def perm_indices(words: np.ndarray, n: int, start: int = 0, step: int = 1, count=None, device=None, out=None):
    """Elements ``start + step*j`` (j < count) of the permutation of [0, n) keyed by ``words``.

    numpy int64 when ``device`` is None, else an int64 tensor on ``device``. ``out``: the numpy
    int64 array of ``count`` elements to fill (CPU only), from ``alloc_indices``.
    """
    if count is None:
        count = n
    if device is not None and (not _is_cpu(device) or _backend.forced()):  # CUDA kernel or torch mirror
        return _backend.perm_indices(words, n, start, step, count, D.torch_module().device(device))
    if out is None:
        out = np.empty(count, np.int64)
    if count:
        _core.perm_fill(words, n, start, step, out, False)
    if device is not None:
        return D.torch_module().from_numpy(out)
    return out


def _torch_device(device):
    torch = D.torch_module()
    if torch is None:
        raise TypeError("device= needs torch, which is not installed (pip install torch)")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"device={device!r} is not a torch device: {e}") from None
    if dev.type != "cpu":  # usable here? (checked before any word is drawn)
        try:
            torch.empty(0, device=dev)
        except (RuntimeError, AssertionError, NotImplementedError) as e:
            raise ValueError(f"device={dev} cannot be used: {e}") from None
    return dev


def permutation(stream, x, device=None, dtype=None):
    """See ``Stream.permutation``."""
    if _is_int(x):
        n = int(x)
        if n < 0 or n > MAX_N:
            raise ValueError(f"x must be in [0, 2**63 - 1] when it is an int, got {n}")
        dev = None if device is None else _torch_device(device)
        if dev is None and D.is_torch_dtype(dtype):  # a torch dtype means a tensor (on the CPU)
            dev = _torch_device("cpu")
        code = _int_code(dtype, dev is not None)
        if code is not None:
            lo, hi = D.int_bounds(code)
            if n - 1 > hi:
                raise ValueError(f"dtype={dtype!r} cannot hold the values 0 .. {n - 1}")
        # allocate, then take the key: a failed allocation leaves the position alone
        buf = alloc_indices(n, lambda: f"permutation(x={n})", dev)
        final = None
        if code is not None and code != "i64":
            final = (np.empty(n, D.CODE_NP[code]) if dev is None
                     else D.torch_module().empty(n, dtype=D.code_torch(code), device=dev))
        words = perm_key_words(stream)
        if n == 0:
            idx = buf if dev is None else D.torch_module().from_numpy(buf).to(dev)
        elif isinstance(buf, np.ndarray):
            idx = perm_indices(words, n, device=dev, out=buf)
        else:
            del buf  # the device backend allocates its own (it fitted)
            idx = perm_indices(words, n, device=dev)
        if final is not None:
            if isinstance(final, np.ndarray):
                np.copyto(final, idx, casting="unsafe")
            else:
                final.copy_(idx)
            idx = final
        return idx
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("x must be an int, an array or a tensor, got a bool")
    if device is not None or dtype is not None:
        raise TypeError("device= and dtype= apply to permutation(n) with an int n only; "
                        "an array or tensor keeps its own dtype and device")
    if D.is_tensor(x):
        if x.dim() == 0:
            raise ValueError("x must have at least one dimension, got a 0-d tensor")
        n = int(x.shape[0])
        buf = alloc_indices(n, lambda: "permutation(x)", x.device)
        # the result too, where autograd and tracing allow (x[idx] records a gather for them)
        res = None if x.requires_grad or _backend.no_data(x) else _empty_like(x, "permutation(x)")
        words = perm_key_words(stream)
        if n == 0:
            return x.clone()
        idx = _tensor_indices(words, n, buf, x.device)
        return x[idx] if res is None else D.torch_module().index_select(x, 0, idx, out=res)
    a = np.asarray(x)
    if a.ndim == 0:
        raise ValueError(f"x must be an int or have at least one dimension, got {x!r}")
    n = a.shape[0]
    idx = alloc_indices(n, lambda: "permutation(x)")
    res = np.empty_like(a, order="C")  # allocated before the key is taken
    words = perm_key_words(stream)
    if n == 0:
        return res
    return np.take(a, perm_indices(words, n, out=idx), axis=0, out=res, mode="wrap")  # indices are valid


def _empty_like(x, what: str):
    """An uninitialized contiguous tensor like ``x``; a failed allocation is a MemoryError naming ``what``."""
    torch = D.torch_module()
    try:
        return torch.empty_like(x, memory_format=torch.contiguous_format)
    except RuntimeError as e:  # torch's allocators raise RuntimeError (OutOfMemoryError is one)
        raise MemoryError(f"{what}: cannot allocate a tensor like x ({tuple(x.shape)}, {x.dtype}): {e}") from None


def _tensor_indices(words, n: int, buf, device):
    """The permutation of [0, n) as an int64 tensor on ``device``: filled into ``buf`` (from
    ``alloc_indices``) where that is a numpy array, else computed by the device backend."""
    if isinstance(buf, np.ndarray):
        return D.torch_module().from_numpy(perm_indices(words, n, out=buf))
    return perm_indices(words, n, device=device)


def _int_code(dtype, torch_out: bool):
    """Element code of an integer output dtype (None: int64 default)."""
    if dtype is None:
        return None
    if D.is_torch_dtype(dtype):
        code = D.torch_code(dtype)
    else:
        code = D.numpy_code(dtype)
    if code not in D.INT_CODES:
        raise TypeError(f"dtype={dtype!r} must be an integer dtype")
    return code


def shuffle(stream, x) -> None:
    """See ``Stream.shuffle``."""
    if D.is_tensor(x):
        if x.dim() == 0:
            raise ValueError("x must have at least one dimension, got a 0-d tensor")
        import torch
        if x.layout != torch.strided:
            raise TypeError(f"x must be a dense (strided) tensor, got layout {x.layout}")
        overlap = torch._debug_has_internal_overlap(x)  # 0 no, 1 yes, 2 too hard to tell
        if overlap == 1 or (overlap == 2 and _overlapping(x.shape, x.stride(), 1)):
            raise ValueError(f"x (shape {tuple(x.shape)}, strides {x.stride()}) has elements that share memory "
                             "(an expanded or overlapping view?); shuffle works in place")
        n = int(x.shape[0])
        buf = alloc_indices(n, lambda: "shuffle(x)", x.device)  # allocated before the key is taken
        tmp = None if _backend.no_data(x) else _empty_like(x, "shuffle(x)")
        words = perm_key_words(stream)
        if n:
            idx = _tensor_indices(words, n, buf, x.device)
            with (torch.inference_mode() if x.is_inference() else torch.no_grad()):
                x.copy_(x[idx] if tmp is None else torch.index_select(x, 0, idx, out=tmp))
        return None
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            raise ValueError("x must have at least one dimension, got a 0-d array")
        if not x.flags.writeable:
            raise ValueError("x is read-only; shuffle works in place")
        if not x.flags.c_contiguous and _overlapping(x.shape, x.strides, x.itemsize):
            raise ValueError(f"x (shape {x.shape}, strides {x.strides}) has elements that share memory; "
                             "shuffle works in place")
        n = x.shape[0]
        idx = alloc_indices(n, lambda: "shuffle(x)")  # before the key is taken
        tmp = np.empty_like(x, order="C")
        words = perm_key_words(stream)
        if n:
            x[...] = np.take(x, perm_indices(words, n, out=idx), axis=0, out=tmp, mode="wrap")
        return None
    if isinstance(x, list):
        n = len(x)
        words = perm_key_words(stream)
        if n:
            x[:] = [x[i] for i in perm_indices(words, n).tolist()]
        return None
    if isinstance(x, MutableSequence):  # numpy's shuffle takes any mutable sequence too
        n = len(x)
        words = perm_key_words(stream)
        if n:
            vals = [x[i] for i in perm_indices(words, n).tolist()]
            for k, v in enumerate(vals):
                x[k] = v
        return None
    raise TypeError(f"shuffle works in place on a numpy array, a torch tensor or a mutable sequence (a list), "
                    f"got {type(x).__name__} (use permutation() for a shuffled copy)")
