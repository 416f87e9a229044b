"""``philox.nn.reset_parameters``: a module tree's initialization as a function of names, not order.

Parameter ``name`` (its qualified name in the tree, e.g. ``"encoder.layers.0.linear1.weight"``)
is drawn from ``Stream(seed, *path, name)`` at position 0, with the distribution torch's own
default initialization gives it. So a parameter's values depend on (seed, path, its name,
shape, dtype) only: not on the order modules were built or reset in, not on what else the
tree holds, and not on the device or the sharding (``philox.nn.init`` writes DTensor shards
and ``meta`` tensors as the plain draw would).

Modules are visited children first (as construction runs: a parent's ``__init__`` finishes
after its children's). Standard modules (whose ``reset_parameters`` is torch's own, not an
override) get the rules below; any other module with a ``reset_parameters()`` (or
``_reset_parameters()``) runs it with ``random``, numpy and torch's global generators seeded
from stream ``(*path, module_name, "seeded")`` (the layout of ``key.seeded``, docs/FORMAT.md),
and the outer generator states are restored afterwards. Parameters of modules with neither are
left as they are.
"""
from __future__ import annotations

import math

from .. import _generator as _gen
from .._globals_state import cuda_ready, get_globals, set_globals
from .._keys import normalize_path, normalize_seed
from .._sample_key import SEEDED, seed_globals
from .._stream import Stream
from . import init

__all__ = ["reset_parameters"]


def _own(m, cls, name="reset_parameters"):
    """``m`` is a ``cls`` whose method ``name`` is ``cls``'s (not overridden by a subclass)."""
    return isinstance(m, cls) and getattr(type(m), name, None) is getattr(cls, name)


def _const(t, v):
    import torch
    with torch.no_grad():
        if not t.is_meta:
            t.fill_(v)


class _Ctx:
    """What the rules need: ``stream(name)`` for a parameter's local name in the module."""

    def __init__(self, seed, path, prefix):
        self.seed, self.path, self.prefix = seed, path, prefix

    def qual(self, local):
        return f"{self.prefix}.{local}" if self.prefix else local

    def stream(self, local):
        return Stream(self.seed, *self.path, self.qual(local))


def _linear_like(m, c):
    """Linear and _ConvNd: kaiming_uniform_(a=sqrt(5)); bias U(+-1/sqrt(fan_in))."""
    init.kaiming_uniform_(m.weight, a=math.sqrt(5), stream=c.stream("weight"))
    if m.bias is not None:
        fan_in, _ = init._fan(m.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(m.bias, -bound, bound, stream=c.stream("bias"))


def _bilinear(m, c):
    bound = 1 / math.sqrt(m.weight.size(1))
    init.uniform_(m.weight, -bound, bound, stream=c.stream("weight"))
    if m.bias is not None:
        init.uniform_(m.bias, -bound, bound, stream=c.stream("bias"))


def _embedding(m, c):
    """N(0, 1), the ``padding_idx`` row zero (in the logical tensor, so DTensor shards agree)."""
    s, pad = c.stream("weight"), m.padding_idx

    def draw(out, shape, region):
        s.normal(0.0, 1.0, size=shape, out=out, **init._region_kw(region))
        row = pad if region is None else pad - region[0].start if pad is not None else None
        if row is not None and 0 <= row < out.shape[0]:
            out[row].fill_(0)
    init._check_tensor(m.weight)
    init._fill(m.weight, s, draw, "normal")


def _affine_norm(m, c, flag="elementwise_affine"):
    if getattr(m, flag):
        _const(m.weight, 1.0)
        if getattr(m, "bias", None) is not None:
            _const(m.bias, 0.0)


def _batchnorm(m, c):
    import torch
    if m.track_running_stats:
        with torch.no_grad():
            for b, v in ((m.running_mean, 0), (m.running_var, 1), (m.num_batches_tracked, 0)):
                if b is not None and not b.is_meta:
                    b.fill_(v)
    _affine_norm(m, c, "affine")


def _rnn(m, c):
    stdv = 1.0 / math.sqrt(m.hidden_size) if m.hidden_size > 0 else 0
    for local, p in m.named_parameters(recurse=False):
        init.uniform_(p, -stdv, stdv, stream=c.stream(local))


def _mha(m, c):
    if m._qkv_same_embed_dim:
        init.xavier_uniform_(m.in_proj_weight, stream=c.stream("in_proj_weight"))
    else:
        for local in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
            init.xavier_uniform_(getattr(m, local), stream=c.stream(local))
    if m.in_proj_bias is not None:
        _const(m.in_proj_bias, 0.0)
        _const(m.out_proj.bias, 0.0)
    for local in ("bias_k", "bias_v"):
        if getattr(m, local) is not None:
            init.xavier_normal_(getattr(m, local), stream=c.stream(local))


def _transformer(m, c):
    for local, p in m.named_parameters():
        if p.dim() > 1:
            init.xavier_uniform_(p, stream=c.stream(local))


def _rules():
    """(class, method name, rule) for the standard modules, most specific first."""
    from torch import nn
    from torch.nn.modules.batchnorm import _NormBase
    from torch.nn.modules.conv import _ConvNd
    from torch.nn.modules.rnn import RNNBase, RNNCellBase
    rules = [
        (nn.Linear, "reset_parameters", _linear_like),
        (_ConvNd, "reset_parameters", _linear_like),
        (nn.Bilinear, "reset_parameters", _bilinear),
        (nn.Embedding, "reset_parameters", _embedding),
        (nn.EmbeddingBag, "reset_parameters", _embedding),
        (nn.LayerNorm, "reset_parameters", _affine_norm),
        (nn.GroupNorm, "reset_parameters", lambda m, c: _affine_norm(m, c, "affine")),
        (_NormBase, "reset_parameters", _batchnorm),
        (RNNBase, "reset_parameters", _rnn),
        (RNNCellBase, "reset_parameters", _rnn),
        (nn.MultiheadAttention, "_reset_parameters", _mha),
        (nn.Transformer, "_reset_parameters", _transformer),
    ]
    if hasattr(nn, "RMSNorm"):
        rules.append((nn.RMSNorm, "reset_parameters", _affine_norm))
    return rules


def _seeded_reset(m, fn, seed, path, qual):
    """Run ``fn()`` (the module's own reset) with the global generators seeded from the module's
    stream ``(*path, qual, "seeded")``, restoring the outer states afterwards."""
    torch = _gen_torch()
    cuda = cuda_ready(torch)
    outer = get_globals(torch, cuda)
    try:
        seed_globals(Stream(seed, *path, qual, SEEDED), torch, cuda)
        fn()
    finally:
        set_globals(outer, torch)


def _gen_torch():
    import torch
    return torch


def reset_parameters(module, seed=None, path=("init",)):
    """Re-initialize every parameter of ``module``'s tree, each from its own named stream.

    Parameter ``name`` (qualified, as in ``module.named_parameters()``) is drawn from
    ``philox.Stream(seed, *path, name)`` with torch's default distribution for its module:
    Linear / Conv*d / ConvTranspose*d (kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in))),
    Bilinear, Embedding / EmbeddingBag (N(0, 1), ``padding_idx`` row zero), LayerNorm,
    GroupNorm, RMSNorm, BatchNorm / InstanceNorm (ones and zeros; running statistics reset as
    torch does), RNN / LSTM / GRU and their cells (U(+-1/sqrt(hidden_size))),
    MultiheadAttention (xavier_uniform_ projections, zero biases, xavier_normal_ bias_k/v),
    nn.Transformer (xavier_uniform_ on every parameter with 2+ dims), Transformer encoder and
    decoder layers through their parts. Other modules' own ``reset_parameters()`` run with
    the global generators seeded from ``(*path, module_name, "seeded")``.

    The values are the same whatever order modules were built in, whatever other modules the
    tree holds, and whether parameters are plain tensors, ``meta`` tensors materialized with
    ``to_empty`` (call this after materializing), or DTensors (FSDP2 ``fully_shard``,
    ``distribute_tensor``...). Returns ``module``.

    Args:
        module: a ``torch.nn.Module``.
        seed: an int (SPEC 2), or None for the default generator's seed (``philox.initial_seed()``).
        path: the stream path prefix: a str, an int or a tuple of str/int components.

    Raises:
        TypeError / ValueError: a bad ``module``, ``seed`` or ``path``, before anything is written.
    """
    import torch
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {module!r} of type {type(module).__name__}")
    s = _gen.initial_seed() if seed is None else normalize_seed(seed)
    if isinstance(path, (str, int)) and not isinstance(path, bool):
        path = (path,)
    if not isinstance(path, (tuple, list)):
        raise TypeError(f"path must be a str, an int or a tuple of str/int components, got {path!r}")
    path = normalize_path(tuple(path), "path")
    rules = _rules()
    # children before parents (reversed pre-order), as construction runs
    for qual, m in reversed(list(module.named_modules(remove_duplicate=True))):
        for cls, meth, rule in rules:
            if _own(m, cls, meth):
                rule(m, _Ctx(s, path, qual))
                break
        else:
            fn = getattr(m, "reset_parameters", None) or getattr(m, "_reset_parameters", None)
            if callable(fn):
                _seeded_reset(m, fn, s, path, qual)
    return module
