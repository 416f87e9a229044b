"""torch.library registration: philox's kernels as torch custom ops, in one place.

Registered on request (``register()``, called by ``philox.torch_ops()``), never as a side
effect of a draw, so ``import philox`` and plain draws stay fast and work without torch.

- ``philox::fill_(Tensor(a!) out, Tensor? ids, int op, ...) -> ()`` fills ``out``
  in place (every row from one id, or row r from ``ids[r]``) from a word position.
- ``philox::draw(SymInt[] size, ScalarType dtype, Device device, Tensor? ids, ...) -> Tensor``:
  the functional form, a new tensor.
- ``philox::fold_ids(Tensor index, int parent) -> Tensor``: stream ids of (parent, index[i]).
- ``philox::dropout(Tensor x, Tensor key, float p) -> Tensor``: keyed dropout (docs/FORMAT.md 18); its
  backward is the same op on the gradient, so autograd saves the key, never a mask.
- ``philox::dropout_region(Tensor x, Tensor key, float p, int[] shape, int[] bounds) -> Tensor``: keyed
  dropout of the block ``bounds`` (start, stop per dimension) of a logical tensor of ``shape``, each
  element keyed by its index in that tensor (a DTensor's shard); its backward is itself.
- ``philox::dropout_id(Tensor(a!) calls, Tensor step, int parent) -> Tensor``: the stream id
  ``fold(fold(parent, calls, 0), step, 0)`` of a ``philox.nn.Dropout`` call, and ``calls += 1``, on
  the device (a module's call counter advances inside a compiled graph or a captured CUDA graph).
- ``philox::draw_keyed(Tensor key, SymInt[] size, ScalarType dtype, int op, ...) -> Tensor``: a draw
  whose seed, stream id and word position are the three int64 words of ``key`` (two's complement),
  read where the key lives (on a GPU, by the kernel: no host sync), on key's device
  (``philox.functional``, ``philox.nn.functional.dropout``).

Every op dispatches per device through ``philox._backend`` (C++ CPU kernels, the CUDA
launcher on torch's current stream, or the torch fallback), never synchronizes, and
has a fake (meta) implementation, so ``torch.compile(fullgraph=True)`` traces calls
to them without graph breaks. The 64-bit unsigned arguments (stream id, position's
low word, integer low, range - 1) travel as int64 two's complement (torch's ``int``).
Wrappers are a line each; arguments are as csrc/cpu/kernels.h's ``Job``.
"""
# (no `from __future__ import annotations`: custom_op reads the annotations as types)
from typing import List, Optional

from . import _core

_U64 = 1 << 64
_registered = False


def s64(v: int) -> int:
    """uint64 -> int64 two's complement (torch's int)."""
    return v - _U64 if v >= 1 << 63 else v


# From the op table (csrc/ops.h, _core.OPS): the element types each op writes (a tensor of
# another dtype would be written past its end or misread, so the ops refuse it), its words
# per value, and whether it writes integers of the call's ``elem_size`` (bytes 0), which must
# be the tensor's element size.
_OP_DTYPES = {code: dtypes for code, _name, _words, _bytes, dtypes in _core.OPS}
_OP_WORDS = {code: words for code, _name, words, _bytes, _dtypes in _core.OPS}
_INT_OPS = frozenset(code for code, _name, _words, nbytes, _dtypes in _core.OPS if nbytes == 0)
_INT_SMALL = next(code for code, name, *_ in _core.OPS if name == "int_small")


def _check_out(out, op: int, elem_size: int) -> None:
    """``out``'s dtype must be one that op ``op`` writes, with ``elem_size`` its element size (int ops)."""
    import torch
    names = _OP_DTYPES[op]
    if not any(getattr(torch, nm, None) == out.dtype for nm in names):
        raise TypeError(f"op {op} writes {'/'.join(names)} values, got out.dtype={out.dtype}")
    if op in _INT_OPS and elem_size != out.element_size():
        raise ValueError(f"elem_size={elem_size} must be out's element size ({out.element_size()} for {out.dtype})")


def register():
    """Define the ops once; returns ``torch.ops.philox``."""
    global _registered
    import torch
    if _registered:
        return torch.ops.philox
    from torch import Tensor

    from . import _backend
    from ._recompute import replayed_id

    def _fill(out, ids, op, k0, k1, id, pos_hi, pos_lo, elem_size, affine, a, b, c, ilow, range_m1, fresh=False):
        if ids is not None and ids.dtype == getattr(torch, "uint64", None):
            ids = ids.view(torch.int64)
        if ids is not None and ids.dtype != torch.int64:
            raise ValueError(f"ids must be an int64 (or uint64) tensor of stream ids, got {ids.dtype}")
        if ids is not None and (ids.device != out.device or out.numel() % max(ids.numel(), 1)
                                or (ids.numel() == 0 and out.numel())):
            raise ValueError(f"ids ({ids.numel()} on {ids.device}) must be on out's device ({out.device}) "
                             f"and divide out.numel() ({out.numel()}) into rows")
        if op not in _OP_DTYPES:
            raise ValueError(f"op must be a code of the op table (0 to {len(_OP_DTYPES) - 1}), got {op}")
        _check_out(out, op, elem_size)
        for v, nm in ((k0, "k0"), (k1, "k1")):
            if not 0 <= v <= 0xFFFFFFFF:
                raise ValueError(f"{nm} must be a 32-bit key word in [0, 2**32), got {v}")
        if op == _INT_SMALL and range_m1 % _U64 > 0xFFFFFFFF:
            raise ValueError(f"op {op} (int_small) takes ranges up to 2**32 (range_m1 < 2**32), "
                             f"got range_m1={range_m1}; use int_large")
        pos = (pos_hi << 64) | (pos_lo % _U64)
        per_row = out.numel() // max(ids.numel(), 1) if ids is not None else out.numel()
        words = per_row * _OP_WORDS[op]
        if pos_hi < 0 or pos + words > 1 << 66:
            raise ValueError(f"a draw of {words} words from position {pos} runs past the end of the stream (2**66)")
        dst = out if out.is_contiguous() else torch.empty_like(out, memory_format=torch.contiguous_format)
        _backend.fill(dst, op, k0, k1, id % _U64 if ids is None else ids.contiguous(), pos, elem_size, affine,
                      a, b, c, ilow % _U64, range_m1 % _U64, fresh or dst is not out)
        if dst is not out:
            out.copy_(dst)

    @torch.library.custom_op("philox::fill_", mutates_args=("out",))
    def fill_(out: Tensor, ids: Optional[Tensor], op: int, k0: int, k1: int, id: int, pos_hi: int, pos_lo: int,
              elem_size: int, affine: bool, a: float, b: float, c: float, ilow: int, range_m1: int) -> None:
        _fill(out, ids, op, k0, k1, id, pos_hi, pos_lo, elem_size, affine, a, b, c, ilow, range_m1)

    @fill_.register_fake
    def _(out, ids, op, k0, k1, id, pos_hi, pos_lo, elem_size, affine, a, b, c, ilow, range_m1):
        if op in _OP_DTYPES:  # the real op reports a bad op code
            _check_out(out, op, elem_size)
        return None

    @torch.library.custom_op("philox::draw", mutates_args=())
    def draw(size: List[int], dtype: torch.dtype, device: torch.device, ids: Optional[Tensor], op: int, k0: int,
             k1: int, id: int, pos_hi: int, pos_lo: int, elem_size: int, affine: bool, a: float, b: float, c: float,
             ilow: int, range_m1: int) -> Tensor:
        out = torch.empty(size, dtype=dtype, device=device)
        _fill(out, ids, op, k0, k1, id, pos_hi, pos_lo, elem_size, affine, a, b, c, ilow, range_m1, True)
        return out

    @draw.register_fake
    def _(size, dtype, device, ids, op, k0, k1, id, pos_hi, pos_lo, elem_size, *args):
        out = torch.empty(size, dtype=dtype, device=device)
        if op in _OP_DTYPES:
            _check_out(out, op, elem_size)
        return out

    def _check_key(key):
        if key.dtype != torch.int64 or key.shape != (3,):
            raise ValueError(f"key must be an int64 tensor of 3 words (seed, id, position), got {key.dtype} "
                             f"of shape {tuple(key.shape)}")

    @torch.library.custom_op("philox::draw_keyed", mutates_args=())
    def draw_keyed(key: Tensor, size: List[int], dtype: torch.dtype, op: int, elem_size: int, affine: bool,
                   a: float, b: float, c: float, ilow: int, range_m1: int) -> Tensor:
        _check_key(key)
        if op not in _OP_DTYPES:
            raise ValueError(f"op must be a code of the op table (0 to {len(_OP_DTYPES) - 1}), got {op}")
        out = torch.empty(size, dtype=dtype, device=key.device)
        _check_out(out, op, elem_size)
        _backend.fill_keyed(out, key.contiguous(), op, elem_size, affine, a, b, c, ilow % _U64, range_m1 % _U64)
        return out

    @draw_keyed.register_fake
    def _(key, size, dtype, op, elem_size, *args):
        _check_key(key)
        out = torch.empty(size, dtype=dtype, device=key.device)
        if op in _OP_DTYPES:
            _check_out(out, op, elem_size)
        return out

    @torch.library.custom_op("philox::dropout", mutates_args=())
    def dropout(x: Tensor, key: Tensor, p: float) -> Tensor:
        _check_key(key)
        if key.device != x.device:
            raise ValueError(f"key is on {key.device}, input on {x.device}: the key must be on the input's device")
        return _backend.dropout(x.contiguous(), key.contiguous(), p)

    @dropout.register_fake
    def _(x, key, p):
        _check_key(key)
        return torch.empty(x.shape, dtype=x.dtype, device=x.device)

    def _dropout_setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[1])  # the key only: 3 words, never a mask
        ctx.p = inputs[2]

    def _dropout_backward(ctx, grad):
        key, = ctx.saved_tensors
        return torch.ops.philox.dropout(grad, key, ctx.p), None, None

    dropout.register_autograd(_dropout_backward, setup_context=_dropout_setup)

    @torch.library.custom_op("philox::dropout_region", mutates_args=())
    def dropout_region(x: Tensor, key: Tensor, p: float, shape: List[int], bounds: List[int]) -> Tensor:
        _check_key(key)
        blocks = _check_region(x, shape, bounds)
        if key.device != x.device:
            raise ValueError(f"key is on {key.device}, input on {x.device}: the key must be on the input's device")
        return _backend.dropout_region(x.contiguous(), key.contiguous(), p, shape, blocks)

    @dropout_region.register_fake
    def _(x, key, p, shape, bounds):
        _check_key(key)
        _check_region(x, shape, bounds)
        return torch.empty(x.shape, dtype=x.dtype, device=x.device)

    def _check_region(x, shape, bounds):
        blocks = tuple(zip(bounds[0::2], bounds[1::2]))
        if (len(bounds) != 2 * len(shape) or x.dim() != len(shape)
                or any(not 0 <= a <= b <= n for (a, b), n in zip(blocks, shape))
                or tuple(b - a for a, b in blocks) != tuple(x.shape)):
            raise ValueError(f"bounds {list(bounds)} must be (start, stop) pairs of a block of shape {tuple(x.shape)} "
                             f"inside a tensor of shape {tuple(shape)}")
        return blocks

    def _dropout_region_setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[1])  # the key only
        ctx.p, ctx.shape, ctx.bounds = inputs[2], inputs[3], inputs[4]

    def _dropout_region_backward(ctx, grad):
        key, = ctx.saved_tensors
        return torch.ops.philox.dropout_region(grad, key, ctx.p, ctx.shape, ctx.bounds), None, None, None, None

    dropout_region.register_autograd(_dropout_region_backward, setup_context=_dropout_region_setup)

    @torch.library.custom_op("philox::fold_ids", mutates_args=())
    def fold_ids(index: Tensor, parent: int) -> Tensor:
        _check_index(index)
        if index.dtype == getattr(torch, "uint64", None):
            index = index.view(torch.int64)
        return _backend.fold_ids(index.to(torch.int64).contiguous(), parent % _U64)

    @fold_ids.register_fake
    def _(index, parent):
        _check_index(index)
        return torch.empty(index.shape, dtype=torch.int64, device=index.device)

    @torch.library.custom_op("philox::dropout_id", mutates_args=("calls",))
    def dropout_id(calls: Tensor, step: Tensor, parent: int) -> Tensor:
        _check_counter(calls, step)
        # in a recomputation of an eager checkpoint around compiled code: the recorded id, calls unchanged
        sid = replayed_id(parent, lambda: _backend.dropout_id(calls, step, parent), f"the dropout of path id {parent}")
        return sid.clone()

    @dropout_id.register_fake
    def _(calls, step, parent):
        _check_counter(calls, step)
        return torch.empty((), dtype=torch.int64, device=calls.device)

    def _check_counter(calls, step):
        for t, nm in ((calls, "calls"), (step, "step")):
            if t.dtype != torch.int64 or t.numel() != 1:
                raise ValueError(f"{nm} must be a one-element int64 tensor, got {t.dtype} of shape {tuple(t.shape)}")
        if step.device != calls.device:
            raise ValueError(f"step is on {step.device}, calls on {calls.device}: they must be on one device")

    def _check_index(index):
        if index.dtype == torch.bool or index.is_floating_point() or index.is_complex():
            raise TypeError(f"index must be an integer tensor, got dtype {index.dtype}")

    _registered = True
    return torch.ops.philox
