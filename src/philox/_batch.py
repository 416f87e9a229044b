"""StreamBatch: a batch of streams drawn together, one row per stream.

``Stream.fold(index)`` makes one: row ``b`` is the stream ``(path..., index[b])``
(SPEC 3 fold of the parent's id with the int ``index[b]``), its ids computed on
the index's device. All rows share one position, starting at 0; a draw of
``size`` returns a ``(*index.shape, *size)`` tensor on that device whose row
``b`` holds exactly what ``Stream(seed, *path, index[b])`` would draw from the
same position (tests hold them equal). The parent stream's position never moves.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from . import _backend, _core
from . import _dtypes as D
from ._output import _prepare_torch
from ._keys import normalize_seed
from ._stream import Stream, _Draws

if TYPE_CHECKING:
    import torch

    from ._typing import Device, DTypeArg, IndexLike, IntLike, SizeArg, Tensor

__all__ = ["StreamBatch"]

_U64 = 1 << 64


def index_tensor(index, check: bool = True, name: str = "index"):
    """``index`` as a contiguous int64 tensor of uint64 values in two's complement, on its device.

    Accepts an integer torch tensor (any device), a numpy integer array or a (nested) list of ints
    (both made CPU tensors). ``check``: refuse negative values in a signed tensor (one host sync).
    """
    torch = D.torch_module()
    if torch is None:
        raise TypeError("Stream.fold(index) needs torch, which is not installed (pip install torch)")
    if isinstance(index, torch.Tensor):
        if index.dtype == torch.bool or index.is_floating_point() or index.is_complex():
            raise TypeError(f"{name} must be an integer tensor, got dtype {index.dtype}")
        if index.dtype == getattr(torch, "uint64", None):
            return index.contiguous().view(torch.int64)
        t = index.to(torch.int64).contiguous()
        # the one host sync of fold(): a device cannot raise, so the check reads one bool back
        # (unsigned tensors cannot hold negatives and skip it)
        if check and index.is_signed() and t.numel() and not _backend.no_data(t) and bool((t < 0).any()):
            bad = int(t[t < 0].reshape(-1)[0])
            raise ValueError(f"index values must be in [0, 2**64), got {bad}")
        return t
    import numpy as np
    from ._keys import check_u64
    if isinstance(index, np.ndarray):  # vectorized (a Python loop took ~1.3 s per 10**6 values)
        if index.dtype.kind not in "iu":
            raise TypeError(f"{name} must be an integer array, got dtype {index.dtype}")
        if index.dtype.kind == "i" and index.size and index.min() < 0:
            check_u64(int(index[index < 0].reshape(-1)[0]), f"{name} value")  # raises, naming the value
        u = index.astype(np.uint64)  # a copy: the ids never alias the caller's array
        return torch.from_numpy(u.view(np.int64)).reshape(index.shape)
    if isinstance(index, (list, tuple)):
        arr = np.asarray(index, dtype=object)
        values = arr.reshape(-1).tolist()
        shape = arr.shape
        if all(type(v) is int for v in values) and (not values or (min(values) >= 0 and max(values) < _U64)):
            return torch.from_numpy(np.array(values, dtype=np.uint64).view(np.int64)).reshape(shape)
    else:
        raise TypeError(f"{name} must be an integer tensor, numpy array or list of ints, got "
                        f"{type(index).__name__}")
    for v in values:  # the slow path names the first bad value
        check_u64(v, f"{name} value")
    flat = [v - _U64 if v >= 1 << 63 else v for v in map(int, values)]
    return torch.tensor(flat, dtype=torch.int64).reshape(shape)


class StreamBatch(_Draws):
    """Streams ``ids[b]`` of one seed, drawn together: each draw returns a tensor of shape
    ``(*batch_shape, *size)`` on the ids' device whose row ``b`` is stream ``ids[b]``'s values.

    Made by ``Stream.fold(index)``. All rows share one position (words, from 0); the
    draws are those of ``Stream`` with the same argument checks (a failed call moves
    nothing). A draw is made on ``device=`` if given, else on ``out``'s device, else on the
    batch's device (the index's); the ids are copied to the draw's device for the call (B int64
    values), so ``stream.fold(cpu_index).randn(d, device="cuda")`` is a CUDA tensor whose rows
    equal the CPU draw's. Without a torch ``dtype=``, floats are ``torch.get_default_dtype()``
    (float32) and integers int64 tensors, not numpy arrays.
    """

    def __init__(self, seed: IntLike, ids: IndexLike, position: IntLike = 0) -> None:
        """``seed`` as for ``Stream``; ``ids``: stream ids, an integer tensor (int64 values are
        read as two's complement, unsigned dtypes as they are; any device), numpy array or list
        of ints in ``[0, 2**64)``."""
        seed = normalize_seed(seed)
        # the kernels read 64-bit ids: a narrower or float tensor would be misread (or overrun)
        t = index_tensor(ids, check=False, name="ids")
        self._seed = seed
        self._k0, self._k1 = seed & 0xFFFFFFFF, seed >> 32
        self._ids = t
        self._flat = t.reshape(-1)
        self._cursor = _core.Cursor()
        self.position = position

    @property
    def seed(self) -> int:
        """The normalized 64-bit seed."""
        return self._seed

    @property
    def ids(self) -> Tensor:
        """Stream ids, an int64 tensor (uint64 values in two's complement) of the batch shape."""
        return self._ids

    @property
    def batch_shape(self) -> Tuple[int, ...]:
        """Leading shape of every draw (the index's shape)."""
        return tuple(self._ids.shape)

    @property
    def device(self) -> torch.device:
        """The device draws are made on (the index's)."""
        return self._ids.device

    def __len__(self) -> int:
        """The batch's first dimension (a 0-d batch, folded from a 0-d index, has no length, as a
        0-d tensor has none)."""
        if not self._ids.dim():
            raise TypeError("len() of a 0-d StreamBatch (folded from a 0-d index): use batch_shape")
        return self._ids.shape[0]

    def row(self, b: int) -> Stream:
        """Row ``b`` (an index into the flattened batch) as a ``Stream`` at the batch's position
        (reads one id back from the device)."""
        return Stream(self._seed, id=int(self._flat[b]) % _U64, position=self.position)

    def fold(self, index: IndexLike, *, check: bool = True) -> StreamBatch:
        """A nested batch: row ``(b, j)`` is row ``b``'s stream extended by ``index[j]`` (SPEC 3 fold).

        Returns a ``StreamBatch`` of batch shape ``batch_shape + index.shape`` at position 0, so
        ``Stream(seed, *path).fold(i).fold(j)`` rows are ``Stream(seed, *path, i[b], j[k])``.
        ``index`` as for ``Stream.fold``; a list or numpy array is moved to the batch's device, a
        tensor must be on it. This batch's position does not move.
        """
        torch = D.torch_module()
        given_tensor = isinstance(index, torch.Tensor)
        idx = index_tensor(index, check)
        if idx.device != self.device:
            if given_tensor:
                raise ValueError(f"index is on {idx.device}, the batch on {self.device}")
            idx = idx.to(self.device)
        from . import _torch_fallback  # the int64 tensor fold, bit-equal to the kernels (tested)
        parents = self._ids.reshape(self.batch_shape + (1,) * idx.dim())
        if _backend.no_data(parents) or _backend.no_data(idx):
            ids = torch.empty(self.batch_shape + tuple(idx.shape), dtype=torch.int64, device=self.device)
        else:
            ids = _torch_fallback.fold(parents, idx, 0).contiguous()
        return StreamBatch(self._seed, ids)

    if TYPE_CHECKING:  # every draw of a batch is a tensor of shape (*batch_shape, *size)
        def random_raw(self, size: Optional[SizeArg] = ..., dtype: Optional[DTypeArg] = ...,  # type: ignore[override]
                       device: Optional[Device] = ..., out: Optional[Tensor] = ...) -> Tensor: ...
        def rand(self, *size: SizeArg, dtype: Optional[DTypeArg] = ...,  # type: ignore[override]
                 device: Optional[Device] = ..., out: Optional[Tensor] = ...) -> Tensor: ...
        def randn(self, *size: SizeArg, dtype: Optional[DTypeArg] = ...,  # type: ignore[override]
                  device: Optional[Device] = ..., out: Optional[Tensor] = ...) -> Tensor: ...
        def uniform(self, low: float = ..., high: float = ..., size: Optional[SizeArg] = ...,  # type: ignore[override]
                    dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ...,
                    out: Optional[Tensor] = ...) -> Tensor: ...
        def normal(self, mean: float = ..., std: float = ..., size: Optional[SizeArg] = ...,  # type: ignore[override]
                   dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ...,
                   out: Optional[Tensor] = ...) -> Tensor: ...
        def randint(self, low: IntLike, high: Optional[IntLike] = ...,  # type: ignore[override]
                    size: Optional[SizeArg] = ..., dtype: Optional[DTypeArg] = ..., device: Optional[Device] = ...,
                    out: Optional[Tensor] = ...) -> Tensor: ...

    def _prepare(self, shape, dtype, device, out, kind, default_np):
        torch = D.torch_module()
        if out is not None and not isinstance(out, torch.Tensor):
            raise TypeError(f"out must be a torch tensor for a StreamBatch, got {type(out).__name__}")
        full = self.batch_shape + (() if shape is None else shape)
        if out is not None and tuple(out.shape) != full:
            raise ValueError(f"out.shape {tuple(out.shape)} must be the batch shape + size, {full}")
        if math.prod(full) >= 1 << 62:
            raise ValueError(f"a draw of shape {full} is too large")
        # the draw's device: device=, else out's, else the batch's; the ids are copied there in _fill
        target = self.device if device is None and out is None else device
        return _prepare_torch(full, dtype, target, out, kind, default_np, tensor_target=True)

    def _fill(self, op: int, t, elem_size=0, affine=False, a=0.0, b=0.0, c=0.0, ilow=0, range_m1=0):
        rows = self._flat.numel()
        per_row = t.n // rows if rows else math.prod(tuple(t.tensor.shape[self._ids.dim():]))
        ids = self._flat
        if rows and t.tensor.device != ids.device:  # a draw on another device: the ids go there (B words)
            if _backend.no_data(ids) and not _backend.no_data(t.tensor):
                raise ValueError(f"the batch's ids are on {ids.device} (no data): draws can only be made on "
                                 f"that device, not {t.tensor.device}")
            # to a device: asynchronous on its stream (a pageable source is staged at once, no device
            # sync); to the CPU the values must be there before the CPU kernels read them
            ids = ids.to(t.tensor.device, non_blocking=t.tensor.device.type != "cpu")
        start = self._cursor.reserve(per_row * _core.words_per_value(op))
        if rows:
            _backend.fill(t.tensor, op, self._k0, self._k1, ids, start, elem_size, affine, a, b, c, ilow,
                          range_m1, t.fresh)
        return t.finish()

    def _fill_params(self, op: int, t, elem_size, affine, params):
        """``_fill`` with array parameters (docs/FORMAT.md 23): element e of the whole output (row by row)
        takes element e of each column."""
        rows = self._flat.numel()
        per_row = t.n // rows if rows else math.prod(tuple(t.tensor.shape[self._ids.dim():]))
        ids = self._flat
        if rows and t.tensor.device != ids.device:
            if _backend.no_data(ids) and not _backend.no_data(t.tensor):
                raise ValueError(f"the batch's ids are on {ids.device} (no data): draws can only be made on "
                                 f"that device, not {t.tensor.device}")
            ids = ids.to(t.tensor.device, non_blocking=t.tensor.device.type != "cpu")
        start = self._cursor.reserve(per_row * _core.words_per_value(op))
        if rows:
            _backend.fill_params(t.tensor, op, self._k0, self._k1, ids, start, elem_size, affine, params, t.fresh)
        return t.finish()

    def __getstate__(self) -> Dict[str, Any]:
        # pickle / copy / DataLoader workers: (seed, ids, position); the C++ cursor is rebuilt
        return {"seed": self._seed, "ids": self._ids, "position": self.position}

    def __setstate__(self, d):
        self.__init__(d["seed"], d["ids"], d["position"])

    def __repr__(self) -> str:
        return (f"philox.StreamBatch(seed={self._seed}, batch_shape={self.batch_shape}, device={self.device}, "
                f"position={self.position})")


def fold(stream: Stream, index, check: bool = True) -> StreamBatch:
    """``stream.fold(index)``: see ``Stream.fold``."""
    idx = index_tensor(index, check)
    ids = _backend.fold_ids(idx, stream.id)
    return StreamBatch(stream.seed, ids)
