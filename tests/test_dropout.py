"""philox.nn dropout: the mask is a pure function of (seed, path, step, call, element index), the backward
saves no mask, and checkpointing / torch.compile recompute the same masks (docs/FORMAT.md 18)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
import philox.nn as pnn  # noqa: E402
from philox.nn.functional import dropout  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402
from torch.utils.checkpoint import checkpoint  # noqa: E402

# opcheck's own internals use torch.jit.script_method, deprecated in this torch
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script_method.*:DeprecationWarning")


def _expected(shape, p, seed, id=0, offset=0):
    n = int(np.prod(shape))
    w = philox.Stream(seed, id=id, position=offset).random_raw(n).astype(np.int64)
    t = int(np.floor(p * 2**32))
    scale = float(np.float32(1.0 / (1.0 - p))) if p < 1 else 0.0
    return torch.from_numpy(np.where(w >= t, scale, 0.0).astype(np.float32)).reshape(shape)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_mask_words_threshold_scale(p):
    x = torch.ones(6, 7)
    got = dropout(x, p, seed=11, id=5, offset=3)
    assert torch.equal(got, _expected((6, 7), p, 11, 5, 3))


def test_golden_values():
    got = dropout(torch.ones(8), 0.5, seed=0)
    # words of Stream(0, id=0): 1713891541 3781805453 3159862348 2600524760 ...; t = 2**31
    assert got[:4].tolist() == [0.0, 2.0, 2.0, 2.0]
    assert dropout(torch.full((3,), 3.0), 1 / 3, seed=0).tolist() == [3.0 * np.float32(1.5)] * 2 + [4.5]


def test_mask_independent_of_dtype_and_layout():
    x = torch.arange(1, 61, dtype=torch.float64).reshape(6, 10)
    ref = dropout(x, 0.3, seed=4, id=9) != 0
    for dt in (torch.float32, torch.float16, torch.bfloat16):
        assert torch.equal(dropout(x.to(dt), 0.3, seed=4, id=9) != 0, ref)
    xt = x.t().contiguous().t()  # same logical tensor, another layout
    assert torch.equal(dropout(xt, 0.3, seed=4, id=9) != 0, ref)
    h = dropout(x.to(torch.float16), 0.3, seed=4, id=9)
    assert torch.equal(h, (x.float() * np.float32(1 / 0.7)).to(torch.float16) * ref)


def _model(p=0.4):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), pnn.Dropout(p), torch.nn.Linear(16, 16),
                            pnn.Dropout(p), torch.nn.Linear(16, 4))
    pnn.name_modules(m)
    return m


def test_keyed_by_path_step_call():
    a, b = _model(), _model()
    x = torch.ones(5, 16)
    pnn.set_step(3)
    ma, mb = a[2](x), b[2](x)
    assert torch.equal(ma, mb)                 # two instances, same path: same mask
    assert not torch.equal(a[4](x), ma)        # another layer: another mask
    assert not torch.equal(a[2](x), ma)        # second call in the step: another mask
    pnn.set_step(3)
    assert torch.equal(a[2](x), ma)            # the call index restarts per step
    pnn.set_step(4)
    assert not torch.equal(a[2](x), ma)
    pnn.set_step(torch.tensor(3))
    assert torch.equal(a[2](x), ma)


def test_unnamed_module_and_eval():
    d = pnn.Dropout(0.5)
    with pytest.raises(ValueError, match="name_modules"):
        d(torch.ones(3))
    d.eval()
    x = torch.ones(3)
    assert d(x) is x


def test_backward_is_mask_times_scale_and_saves_no_mask():
    x = torch.randn(64, 32, requires_grad=True)
    sizes = []

    def pack(t):
        sizes.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = dropout(x, 0.3, seed=2, id=7)
    assert sizes == [3]  # the key: seed, id, offset
    g = torch.randn(64, 32)
    y.backward(g)
    assert torch.equal(x.grad, dropout(g, 0.3, seed=2, id=7))
    assert torch.equal(y, dropout(x.detach(), 0.3, seed=2, id=7))


def _grads(m, x, wrap):
    m.zero_grad()
    pnn.set_step(1)
    wrap(m, x).sum().backward()
    return [p.grad.clone() for p in m.parameters()]


@pytest.mark.parametrize("mode", ["reentrant", "nonreentrant", "nonreentrant_no_preserve", "reentrant_no_preserve",
                                  "sac"])
def test_checkpoint_recomputes_same_masks(mode):
    m = _model()
    x = torch.randn(10, 8)

    def plain(m, x):
        return m(x)

    def ckpt(m, x):
        h = x
        if mode == "sac":
            from functools import partial

            from torch.utils.checkpoint import CheckpointPolicy, create_selective_checkpoint_contexts

            def policy(ctx, op, *args, **kwargs):
                return CheckpointPolicy.PREFER_RECOMPUTE
            ctx = partial(create_selective_checkpoint_contexts, policy)
            return checkpoint(m, h, use_reentrant=False, context_fn=ctx)
        kw = dict(use_reentrant=mode.startswith("reentrant"), preserve_rng_state=not mode.endswith("no_preserve"))
        h = checkpoint(m[:3], h, **kw)   # two segments, one dropout each
        return checkpoint(m[3:], h, **kw)

    want = _grads(m, x.requires_grad_(mode.startswith("reentrant")), plain)
    got = _grads(m, x, ckpt)
    for a, b in zip(want, got):
        assert torch.equal(a, b)


def _wrapper(mode):
    """checkpoint(fn, h) for a checkpoint mode; "plain" runs fn itself."""
    from functools import partial

    from torch.utils.checkpoint import CheckpointPolicy, create_selective_checkpoint_contexts
    if mode == "plain":
        return lambda fn, h: fn(h)
    if mode.startswith("sac"):
        def policy(ctx, op, *args, **kwargs):
            save = mode == "sac_save" and op in (torch.ops.aten.mm.default, torch.ops.aten.addmm.default)
            return CheckpointPolicy.MUST_SAVE if save else CheckpointPolicy.PREFER_RECOMPUTE
        ctx = partial(create_selective_checkpoint_contexts, policy)
        return lambda fn, h: checkpoint(fn, h, use_reentrant=False, context_fn=ctx)
    kw = dict(use_reentrant=mode.startswith("reentrant"), preserve_rng_state=not mode.endswith("no_preserve"))
    return lambda fn, h: checkpoint(fn, h, **kw)


def _mixed_grads(mode, backwards=1):
    """Grads of a net whose one Dropout is called outside every checkpoint, in two checkpointed
    segments (recomputed in reverse order), twice in one segment, and in nested checkpoints."""
    torch.manual_seed(0)
    lin = torch.nn.ModuleList(torch.nn.Linear(16, 16) for _ in range(5))
    d = pnn.Dropout(0.4, path="shared")
    other = pnn.Dropout(0.3, path="other")
    ck = _wrapper(mode)
    x = torch.randn(6, 16)
    pnn.set_step(5)
    h = d(lin[0](x))                                           # call 0, outside
    h = ck(lambda h: d(lin[1](h)).relu(), h)                   # call 1, segment A
    h = ck(lambda h: lin[2](d(h)) + other(d(h)), h)            # calls 2, 3, segment B
    h = other(h)                                               # outside, after segments
    h = ck(lambda h: ck(lambda g: lin[3](d(g)).tanh(), h) * lin[4](d(h)), h)  # calls 4 (nested), 5
    y = (h * h).sum()
    out = []
    for i in range(backwards):
        lin.zero_grad()
        y.backward(retain_graph=i + 1 < backwards)
        out.append([p.grad.clone() for p in lin.parameters()])
    return out


@pytest.mark.parametrize("mode", ["reentrant", "nonreentrant", "nonreentrant_no_preserve", "reentrant_no_preserve",
                                  "sac", "sac_save"])
def test_checkpoint_replays_each_calls_own_index(mode):
    n = 1 if mode.startswith("sac") else 2      # SAC allows one backward per forward
    want = _mixed_grads("plain", n)
    got = _mixed_grads(mode, n)                 # two backward passes (retain_graph): two recomputations
    for pass_want, pass_got in zip(want, got):
        for a, b in zip(pass_want, pass_got):
            assert torch.equal(a, b)


def test_checkpoint_recomputation_calling_more_raises():
    d = pnn.Dropout(0.5, path="d")
    lin = torch.nn.Linear(4, 4)
    runs = []

    def fn(h):
        runs.append(1)
        h = d(lin(h))
        return d(h) if len(runs) > 1 else h     # the recomputation calls d once more
    pnn.set_step(0)
    y = checkpoint(fn, torch.randn(3, 4), use_reentrant=False, early_stop=False)
    with pytest.raises(RuntimeError, match=r"Dropout\(path='d'\): this recomputation .* more often"):
        y.sum().backward()


def test_batch_offset_makes_ranks_independent():
    d = pnn.Dropout(0.5, path="drop")
    x = torch.ones(8, 5)
    pnn.set_step(0)
    pnn.set_batch_offset(None)
    full = d(x)
    parts = []
    for r in range(2):
        pnn.set_step(0)
        pnn.set_batch_offset(4 * r)
        parts.append(d(x[4 * r:4 * r + 4]))
    pnn.set_batch_offset(None)
    assert torch.equal(torch.cat(parts), full)


@pytest.mark.parametrize("p,exc", [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError),
                                   (torch.tensor(0.5), TypeError), ("0.5", TypeError), (True, TypeError)])
def test_bad_p(p, exc):
    with pytest.raises(exc, match="p must"):
        dropout(torch.ones(3), p, seed=0)
    with pytest.raises(exc, match="p must"):
        pnn.Dropout(p)


def test_training_numpy_bool():
    # numpy's bool is a bool here, as for torch's own dropout (a flag read from a numpy config)
    x = torch.ones(64)
    assert torch.equal(dropout(x, 0.5, seed=3, training=np.False_), x)
    assert torch.equal(dropout(x, 0.5, seed=3, training=np.True_), dropout(x, 0.5, seed=3, training=True))


def test_bad_training_key_input():
    with pytest.raises(TypeError, match="training must be a bool"):
        dropout(torch.ones(3), 0.5, seed=0, training=1)
    with pytest.raises(TypeError, match="seed"):
        dropout(torch.ones(3), 0.5, seed=0.5)
    with pytest.raises(ValueError, match="device"):
        dropout(torch.ones(3), 0.5, seed=torch.tensor(1, device="meta"))
    with pytest.raises(TypeError, match="floating"):
        dropout(torch.ones(3, dtype=torch.int64), 0.5, seed=0)
    with pytest.raises(TypeError, match="step"):
        pnn.set_step(1.0)


def test_compile_model_forward_backward_equals_eager():
    m = _model()
    x = torch.randn(6, 8)
    cm = torch.compile(m, fullgraph=True, backend="aot_eager")
    for step in (0, 1):
        out = []
        for f in (m, cm):
            m.zero_grad()
            pnn.set_step(step)
            y = f(x)
            y.sum().backward()
            out.append((y.detach(), [p.grad.clone() for p in m.parameters()]))
        assert torch.equal(out[0][0], out[1][0])
        for a, b in zip(out[0][1], out[1][1]):
            assert torch.equal(a, b)


def test_compiled_model_compiles_once_across_steps():
    n = [0]

    def backend(gm, example_inputs):
        n[0] += 1
        return gm.forward

    m = torch.nn.Sequential(torch.nn.Linear(4, 4), pnn.Dropout(0.5), pnn.Dropout(0.5))
    pnn.name_modules(m)
    cm = torch.compile(m, fullgraph=True, backend=backend)
    x = torch.randn(3, 4)
    outs = []
    for step in range(3):
        pnn.set_step(step)
        outs.append(cm(x))
    assert n[0] == 1
    for step in range(3):
        pnn.set_step(step)
        assert torch.equal(m(x), outs[step])
    assert not torch.equal(outs[0], outs[1])


class _Twice(torch.nn.Module):
    """One Dropout applied twice in one forward (two masks)."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(8, 8)
        self.drop = pnn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.lin(self.drop(x)))


@pytest.mark.parametrize("backend", ["aot_eager", "inductor"])
def test_compiled_calls_take_new_indices_like_eager(backend):
    """Micro-batches without set_step in between, and a module applied twice in a graph called twice:
    compiled == eager bit for bit, forward and backward, one compilation for every step."""
    n = [0]

    def counting(gm, example_inputs):
        n[0] += 1
        from torch._dynamo.backends.registry import lookup_backend
        return lookup_backend(backend)(gm, example_inputs)

    torch.manual_seed(0)
    m = _Twice()
    pnn.name_modules(m)
    cm = torch.compile(m, fullgraph=True, backend=counting)
    xs = [torch.randn(4, 8) for _ in range(3)]
    for step in (0, 1, torch.tensor(2)):
        res = []
        for f in (m, cm):
            m.zero_grad()
            pnn.set_step(step)
            ys = []
            for x in xs:                       # three micro-batches, one step
                y = f(x)
                y.pow(2).sum().backward()      # grads accumulate
                ys.append(y.detach())
            res.append((ys, [p.grad.clone() for p in m.parameters()]))
        for a, b in zip(res[0][0], res[1][0]):
            assert torch.equal(a, b)
        for a, b in zip(res[0][1], res[1][1]):
            assert torch.equal(a, b)
        assert not torch.equal(res[0][0][0] != 0, res[0][0][1] != 0)   # each call its own mask
    assert n[0] == 1


def test_compiled_checkpoint_equals_eager():
    """A compiled model with a checkpointed segment (the recomputation is in the compiled graph) and a
    module called outside and inside it: compiled == eager, forward and backward."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2, self.d = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8), pnn.Dropout(0.4)

        def forward(self, x):
            h = self.d(self.l1(x))
            h = checkpoint(lambda h: self.l2(self.d(h)).relu(), h, use_reentrant=False)
            return self.d(h)
    torch.manual_seed(0)
    m = M()
    pnn.name_modules(m)
    x = torch.randn(4, 8)
    res = []
    for f in (m, torch.compile(m, fullgraph=True, backend="aot_eager")):
        m.zero_grad()
        pnn.set_step(2)
        y = f(x)
        y.pow(2).sum().backward()
        res.append((y.detach(), [p.grad.clone() for p in m.parameters()]))
    assert torch.equal(res[0][0], res[1][0])
    for a, b in zip(res[0][1], res[1][1]):
        assert torch.equal(a, b)


def test_copies_moves_and_meta_models_count_from_zero():
    """A deepcopy is reset by set_step too; a model built on meta and materialized by to_empty (its counter
    memory uninitialized) drops like a plain one; the counter is not in the state dict."""
    import copy
    a = _model()
    b = copy.deepcopy(a)
    with torch.device("meta"):
        c = _model()
    c.to_empty(device="cpu")
    c.load_state_dict(a.state_dict())
    assert not any("_calls" in k for k in a.state_dict())
    x = torch.randn(5, 8)
    pnn.set_step(1)
    a(x)
    want = a(x)          # call 1
    for m in (b, c):
        pnn.set_step(1)
        m(x)
        assert torch.equal(m(x), want)


@pytest.mark.parametrize("reentrant", [False, True])
def test_eager_checkpoint_of_a_compiled_block_replays(reentrant):
    """checkpoint(torch.compile(block), h), the block's Dropout also called outside: the compiled graph's
    philox::dropout_id takes the recorded ids in the recomputation (gradients == no checkpoint)."""
    torch.manual_seed(0)
    d = pnn.Dropout(0.4, path="shared")
    blocks = [torch.nn.Sequential(torch.nn.Linear(8, 8), d) for _ in range(3)]  # one use of each Linear
    cblocks = [torch.compile(b, fullgraph=True, backend="aot_eager") for b in blocks]
    x = torch.randn(4, 8, requires_grad=reentrant)
    res = []
    for mode in ("plain", "ckpt"):
        for b in blocks:
            b.zero_grad()
        pnn.set_step(1)
        h = cblocks[0](x)                                                  # call 0, outside
        h = cblocks[1](h) if mode == "plain" else checkpoint(cblocks[1], h, use_reentrant=reentrant)  # call 1
        y = cblocks[2](h)                                                  # call 2, outside, after
        y.pow(2).sum().backward()
        res.append([p.grad.clone() for b in blocks for p in b.parameters()])
    for a, b in zip(*res):
        assert torch.equal(a, b)


def test_call_index_is_in_the_stream_id():
    """FORMAT 18: call c of a module at step s has id fold(path_id(("dropout", path, c)), s), the
    call counter folded on the device (philox::dropout_id) gives those same bits."""
    d = pnn.Dropout(0.5, path="enc.drop")
    x = torch.ones(64)
    pnn.set_seed(0)
    pnn.set_step(9)
    got = [d(x) for _ in range(3)]
    for c, y in enumerate(got):
        sid = philox.Stream(0, "dropout", "enc.drop", c).stream(9).id
        assert torch.equal(y, dropout(x, 0.5, seed=0, id=sid))


def _same(a, b):
    """Equal bits, except that NaNs only need to be NaNs at the same places."""
    na, nb = torch.isnan(a), torch.isnan(b)
    return torch.equal(na, nb) and torch.equal(a.masked_fill(na, 0), b.masked_fill(nb, 0))


_SPECIAL = [float("inf"), -float("inf"), float("nan"), -float("nan"), 65504.0, 60000.0, -65000.0, 3e38, 1e-7,
            -6e-8, 1e-40, 0.0, -0.0, 1.0009765625, 2.0 ** -14]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("n,offset", [(1, 0), (1029, 3), (300_001, 2**64 - 5)])
def test_fused_cpu_kernel_equals_fallback_on_every_isa(dtype, n, offset):
    """float16 / bfloat16 too (one fused pass: float32(x) * s rounded once), with infinities, NaNs,
    overflow to inf and subnormals among the values."""
    from philox import _backend, _core
    x = torch.randn(n).to(dtype)
    x[:len(_SPECIAL)] = torch.tensor(_SPECIAL[:n], dtype=torch.float64).to(dtype)
    kw = dict(seed=2**64 - 3, id=2**63 + 1, offset=offset)
    _backend.set_backend("torch")
    try:
        want = dropout(x, 0.37, **kw)
    finally:
        _backend.set_backend("auto")
    if dtype in (torch.float16, torch.bfloat16):  # FORMAT 18: the product in float32, rounded once
        kept = torch.from_numpy(philox.Stream(2**64 - 3, id=2**63 + 1, position=offset).random_raw(n)
                                .astype(np.int64) >= int(0.37 * 2**32))
        assert _same(want, torch.where(kept, x.float() * np.float32(1 / 0.63), 0.0).to(dtype))
    w = philox.Stream(2**64 - 3, id=2**63 + 1, position=offset).random_raw(min(n, 64)).astype(np.int64)
    assert torch.equal(want[:64] != 0, torch.from_numpy(w >= int(0.37 * 2**32)) & (x[:64] != 0))
    isa, threads = _core.isa(), philox.get_num_threads()
    try:
        for name in ("baseline", "avx2", "avx512"):
            for t in (1, 3):
                if _core.force_isa(name):
                    philox.set_num_threads(t)
                    assert _same(dropout(x, 0.37, **kw), want), (name, t)
    finally:
        _core.force_isa(isa)
        philox.set_num_threads(threads)


@pytest.mark.parametrize("dtype,code", [(torch.float32, 0), (torch.float64, 1), (torch.float16, 2),
                                        (torch.bfloat16, 3)])
@pytest.mark.parametrize("n,offset", [(1, 0), (7, 1), (1000, 3), (513, 2**64 - 2)])
def test_emulated_gpu_dropout_kernel(dtype, code, n, offset):
    """The CUDA kernel's per-item code (key read from memory, worst-lane item count) equals the CPU path."""
    from philox import _backend, _core
    import philox.functional as F
    x = torch.randn(n).to(dtype)
    x[:len(_SPECIAL)] = torch.tensor(_SPECIAL[:n], dtype=torch.float64).to(dtype)
    k = F.key(5, 77, offset)
    want = dropout(x, 0.2, seed=5, id=77, offset=offset)
    for reverse in (False, True):
        y = torch.full_like(x, 42.0)
        _core._emulate_gpu_dropout(k.data_ptr(), F.threshold(0.2), _backend.dropout_scale(0.2), code, x.data_ptr(),
                                   y.data_ptr(), n, reverse)
        assert _same(y, want)


def test_opcheck_keyed_ops():
    import philox.functional as F
    k = F.key(3, 4, 5)
    torch.library.opcheck(torch.ops.philox.draw_keyed.default, (k, [3, 5], torch.float32, 2, 0, False, 0.0, 0.0, 0.0,
                                                                0, 0))
    torch.library.opcheck(torch.ops.philox.dropout.default, (torch.randn(4, 6, requires_grad=True), k, 0.3))
    torch.library.opcheck(torch.ops.philox.dropout.default, (torch.randn(9, dtype=torch.float16), k, 0.5))
    torch.library.opcheck(torch.ops.philox.dropout_region.default,
                          (torch.randn(2, 3, requires_grad=True), k, 0.3, [5, 7], [1, 3, 2, 5]))
    torch.library.opcheck(torch.ops.philox.dropout_id.default, (torch.tensor(3), torch.tensor(8), -5))


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 6), min_size=1, max_size=4), data=st.data(), off=st.integers(0, 2**64 - 2000),
       p=st.floats(0.0, 1.0), dt=st.sampled_from([torch.float32, torch.bfloat16, torch.float64]))
def test_region_dropout_is_the_block_of_the_full_dropout(shape, data, off, p, dt):
    """Law (a DTensor shard's dropout): dropout_region of a block == that block of the full tensor's dropout,
    forward and backward."""
    import philox.functional as F
    bounds = []
    for n in shape:
        a = data.draw(st.integers(0, n))
        bounds.append((a, data.draw(st.integers(a, n))))
    idx = tuple(slice(a, b) for a, b in bounds)
    x = (torch.arange(int(np.prod(shape)), dtype=torch.float64).reshape(shape) + 1).to(dt)
    k = F.key(7, 2**64 - 9, off)
    full = torch.ops.philox.dropout(x, k, p)
    xb = x[idx].clone().requires_grad_(True)
    y = torch.ops.philox.dropout_region(xb, k, p, list(shape), [v for ab in bounds for v in ab])
    assert torch.equal(y, full[idx])
    y.backward(torch.ones_like(y))
    assert torch.equal(xb.grad, torch.ops.philox.dropout(torch.ones_like(x), k, p)[idx])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3000), a=st.integers(0, 3000), b=st.integers(0, 3000), off=st.integers(0, 2**64 - 6001),
       p=st.floats(0.0, 1.0))
def test_slices_are_offset_keys(n, a, b, off, p):
    """Law: the mask of a slice x[a:b] at offset + a is the slice of the mask (elements are keyed alone)."""
    a, b = sorted((a % (n + 1), b % (n + 1)))
    x = torch.ones(n)
    full = dropout(x, p, seed=1, id=2, offset=off)
    assert torch.equal(dropout(x[a:b], p, seed=1, id=2, offset=off + a), full[a:b])


def test_inductor_dropout_forward_backward_bits():
    """With the default (inductor) backend: the dropout's output and input gradient equal eager's bit for bit.
    (Whole-model gradients are not compared here: inductor reorders the Linear layers' bias-gradient sums,
    with or without dropout.)"""
    d = pnn.Dropout(0.3, path="d")

    def f(x):
        return d(x * 2.0) + 1.0

    cf = torch.compile(f, fullgraph=True)
    res = []
    for g in (f, cf):
        x = torch.randn(64, 32, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
        pnn.set_step(5)
        y = g(x)
        y.backward(torch.arange(64 * 32, dtype=torch.float32).reshape(64, 32))
        res.append((y.detach(), x.grad))
    assert torch.equal(res[0][0], res[1][0]) and torch.equal(res[0][1], res[1][1])


def test_failed_module_call_moves_no_call_index():
    d = pnn.Dropout(0.5, path="d")
    pnn.set_step(0)
    with pytest.raises(TypeError, match="floating"):
        d(torch.ones(4, dtype=torch.int64))
    first = d(torch.ones(64))
    pnn.set_step(0)
    assert torch.equal(first, d(torch.ones(64)))  # the failed call took no index: this is call 0 again
    with pytest.raises(TypeError, match="seed"):
        pnn.Dropout(0.5, seed=1.5)
    with pytest.raises(TypeError, match="path"):
        pnn.Dropout(0.5, path=3)
