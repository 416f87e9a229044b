"""choice: uniform or weighted samples of a population, with or without replacement.

Words used (docs/FORMAT.md 7), so every call's word count is known in advance:

* ``replace=True, p=None``: ``randint(0, n)`` per value (2 words each for n <= 2**32, else 4);
* ``replace=False, p=None``: the first ``size`` elements of one permutation of [0, n):
  ``PERM_WORDS`` (12) words per call, O(size) time and memory;
* ``replace=True`` with ``p``: an alias table built in float64 on the CPU, 4 words per value;
* ``replace=False`` with ``p``: Efraimidis-Spirakis exponential keys, 2 words per population
  element (O(n)), the sample is the ``size`` smallest keys in increasing order.
"""
from __future__ import annotations

import math

import numpy as np

from . import _core
from . import _dtypes as D
from ._keys import _is_int
from ._output import parse_size, same_device
from ._permutation import MAX_N, _torch_device, alloc_indices, perm_indices, perm_key_words

__all__ = ["choice", "check_p", "alias_table", "weighted_order"]

_ATOL = math.sqrt(np.finfo(np.float64).eps)


def weight_vector(w, n: int, name: str, length: str):
    """``(float64 copy, float tolerance)`` of non-negative weights ``w`` for a population of ``n``:
    1-D, ``n`` entries (``length`` says what they are), finite, non-negative, not all zero. The
    tolerance is sqrt(eps) of float64, or of ``w``'s own dtype when it is a lower-precision float
    array or tensor (a float32 softmax), as numpy's ``choice`` allows."""
    atol = _ATOL
    if D.is_tensor(w):
        if w.dtype.is_floating_point:
            atol = max(atol, math.sqrt(D.torch_module().finfo(w.dtype).eps))
        w = w.detach().cpu().float().numpy() if w.dtype == D.torch_module().bfloat16 else w.detach().cpu().numpy()
    elif isinstance(w, np.ndarray) and np.issubdtype(w.dtype, np.floating):
        atol = max(atol, math.sqrt(float(np.finfo(w.dtype).eps)))
    try:
        a = np.array(w, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D sequence of numbers, got {w!r}") from None
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.size != n:
        raise ValueError(f"{name} must have {length} {n}, got length {a.size}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {w!r}")
    if np.any(a < 0):
        raise ValueError(f"{name} must be non-negative, got a minimum of {a.min()!r}")
    if not np.any(a > 0):
        raise ValueError(f"{name} must not be all zero")
    return a, atol


def check_p(p, n: int, name: str = "p") -> np.ndarray:
    """float64 copy of probabilities ``p`` for a population of ``n``: the checks of
    ``weight_vector``, and a sum of 1 within its tolerance (as numpy checks)."""
    a, atol = weight_vector(p, n, name, "the population's length")
    s = math.fsum(a.tolist())
    if abs(s - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (within {atol:.2g}), got a sum of {s!r}")
    return a


def alias_table(p: np.ndarray):
    """Vose alias table (prob float64, alias int64) of weights ``p`` (docs/FORMAT.md 7)."""
    m = p.size
    q = (p * float(m)) / math.fsum(p.tolist())
    return _core.alias_build(q)


def weighted_order(words: np.ndarray, p: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest exponential keys among the non-zero ``p_i``, in increasing
    (key, index) order (docs/FORMAT.md 7). ``count`` must not exceed the number of non-zero ``p_i``.

    Zero weights are left out rather than ranked by their +inf key: a tiny non-zero weight's key
    can overflow to +inf too, and the index tie-break would then let a zero weight in.
    """
    keys = _core.exp_keys(words, p)
    cand = np.flatnonzero(p > 0)
    if count == 0:
        return np.empty(0, np.int64)
    k = keys[cand]
    if count < cand.size // 8:  # partial selection; every tie at the boundary is kept, then sorted exactly
        kth = np.partition(k, count - 1)[count - 1]
        sel = k <= kth
        cand, k = cand[sel], k[sel]
    order = cand[np.lexsort((cand, k))]
    return order[:count].astype(np.int64)


def _population(a):
    """(n, values or None, is_tensor)."""
    if _is_int(a):
        n = int(a)
        if n < 0 or n > MAX_N:
            raise ValueError(f"a must be in [0, 2**63 - 1] when it is an int, got {n}")
        return n, None
    if isinstance(a, (bool, np.bool_)):
        raise TypeError("a must be an int or an array-like, got a bool")
    if D.is_tensor(a):
        if a.dim() == 0:
            raise ValueError("a must be an int or have at least one dimension, got a 0-d tensor")
        return int(a.shape[0]), a
    arr = np.asarray(a)
    if arr.ndim == 0:
        raise ValueError(f"a must be an int or have at least one dimension, got {a!r}")
    return arr.shape[0], arr


def choice(stream, a, size=None, replace=True, p=None, device=None):
    """See ``Stream.choice``."""
    n, values = _population(a)
    shape = parse_size(size)
    count = 1 if shape is None else math.prod(shape)
    if not isinstance(replace, (bool, np.bool_)):
        raise TypeError(f"replace must be a bool, got {replace!r}")
    replace = bool(replace)
    dev = None if device is None else _torch_device(device)
    if dev is not None and values is not None and D.is_tensor(values) and not same_device(dev, values.device):
        raise ValueError(f"device={device!r} does not match the device of a ({values.device})")
    if dev is not None and values is not None and not D.is_tensor(values):
        try:  # the sample becomes a tensor: check now that torch can hold a's dtype
            D.torch_module().from_numpy(np.empty(0, values.dtype))
        except TypeError:
            raise TypeError(f"device={device!r} needs a population torch can hold; a has dtype "
                            f"{values.dtype} (pass device=None for a numpy sample)") from None
    if count > 0 and n == 0:
        raise ValueError("a is empty: cannot take a sample from an empty population")
    pa = None if p is None else check_p(p, n)
    if not replace:
        avail = n if pa is None else int(np.count_nonzero(pa))
        if count > avail:
            what = "the population" if pa is None else "the number of non-zero probabilities"
            raise ValueError(f"cannot take a sample of size {count} larger than {what} ({avail}) "
                             "without replacement (replace=False)")
    if pa is not None and replace and n > 1 << 32:
        raise ValueError(f"p with replace=True supports populations up to 2**32, got {n}")
    if shape is not None and any(d > MAX_N for d in shape):
        raise ValueError(f"size={size!r} has a dimension past 2**63 - 1, more than an array can have")
    # ---- every argument is checked; the indices are allocated, then the words are drawn
    on_device = pa is None and not replace and dev is not None and dev.type != "cpu" and values is None
    # a numpy population's sample is gathered into memory taken now (the common case; a tensor's
    # is indexed after the draw, which autograd can follow)
    sample = None
    if values is not None and dev is None and not D.is_tensor(values):
        try:
            sample = np.empty((count,) + values.shape[1:], values.dtype)
        except MemoryError as e:
            raise MemoryError(f"choice(size={size!r}): cannot allocate the sample: {e}") from None
    if pa is None and replace:  # randint allocates its output before it reserves the words
        idx = stream.randint(0, n, size=count) if count else np.empty(0, np.int64)  # no words when empty
        return _finish(idx, shape, values, dev, sample)
    idx = alloc_indices(count, lambda: f"choice(size={size!r})", dev if on_device else None)
    if pa is None:
        words = perm_key_words(stream)
        if on_device:
            del idx  # the device backend allocates its own (it fitted)
            idx = perm_indices(words, n, 0, 1, count, device=dev)
        elif count:
            perm_indices(words, n, 0, 1, count, out=idx)
    elif replace:
        prob, alias = alias_table(pa)
        words = stream.random_raw(4 * count)
        if count:
            _core.alias_draw(words, prob, alias, idx)
    else:
        words = stream.random_raw(2 * n)
        idx = weighted_order(words, pa, count) if count else np.empty(0, np.int64)
    return _finish(idx, shape, values, dev, sample)


def _finish(idx, shape, values, dev, sample=None):
    torch = D.torch_module() if (dev is not None or D.is_tensor(values)) else None
    if torch is not None and not isinstance(idx, torch.Tensor):
        idx = torch.from_numpy(np.ascontiguousarray(idx))
    if values is None:
        if shape is None:  # one value: a numpy scalar, or a 0-d tensor on the device
            return idx[0].to(dev) if torch is not None else idx[0]
        out = idx.reshape(shape)
        return out.to(dev) if torch is not None else out
    if D.is_tensor(values):
        sel = values[idx.to(values.device)]
        return sel[0] if shape is None else sel.reshape(shape + tuple(values.shape[1:]))
    if sample is not None:  # a numpy population, a numpy sample: take into the buffer allocated first
        sel = np.take(values, idx, axis=0, out=sample, mode="wrap")  # (indices are valid)
    else:
        sel = values[np.asarray(idx)] if torch is None else values[idx.cpu().numpy()]
    if shape is None:
        sel = sel[0]
        return torch.as_tensor(sel).to(dev) if torch is not None else sel
    sel = sel.reshape(shape + values.shape[1:])
    return torch.as_tensor(sel).to(dev) if torch is not None else sel
