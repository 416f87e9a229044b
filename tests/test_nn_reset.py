"""philox.nn.reset_parameters: values by name, torch's default distributions."""
import math
import os
import sys

import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
import philox.nn  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_models import make_model, state  # noqa: E402


def _reset(m, **kw):
    return state(philox.nn.reset_parameters(m, **kw))


def test_same_values_whatever_the_construction_order_extra_modules_or_global_seed():
    torch.manual_seed(0)
    a = _reset(make_model(order=0), seed=3)
    torch.manual_seed(1)
    b = _reset(make_model(order=1, extra=True), seed=3)
    assert set(a) < set(b)
    for n in a:
        assert torch.equal(a[n], b[n]), n
    c = _reset(make_model(), seed=4)
    assert not torch.equal(a["block.proj.weight"], c["block.proj.weight"])
    d = _reset(make_model(), seed=3, path=("init", "other"))
    assert not torch.equal(a["block.proj.weight"], d["block.proj.weight"])


def test_a_parameter_is_its_named_stream():
    m = philox.nn.reset_parameters(nn.Sequential(nn.Linear(6, 4)), seed=9, path="w")
    b = 1 / math.sqrt(6)
    want = philox.Stream(9, "w", "0.weight").uniform(-b, b, size=(4, 6), dtype=torch.float32)
    assert torch.equal(m[0].weight.detach(), want)
    assert torch.equal(m[0].bias.detach(), philox.Stream(9, "w", "0.bias").uniform(-b, b, size=(4,),
                                                                                  dtype=torch.float32))


def test_meta_then_to_empty_equals_plain():
    plain = _reset(make_model(), seed=5)
    m = make_model(device="meta")
    philox.nn.reset_parameters(m, seed=5)  # on meta: nothing to write, nothing fails
    m.to_empty(device="cpu")
    meta = _reset(m, seed=5)
    for n in plain:
        assert torch.equal(plain[n], meta[n]), n


def test_seed_none_is_the_default_generators_seed():
    philox.manual_seed(123)
    try:
        a = _reset(make_model())
    finally:
        philox.manual_seed(philox.DEFAULT_SEED)
    b = _reset(make_model(), seed=123)
    for n in a:
        assert torch.equal(a[n], b[n]), n


def test_zeros_ones_and_buffers_as_torch_sets_them():
    m = make_model()
    with torch.no_grad():
        for p in m.parameters():
            p.fill_(7.0)
        m.block.bn.running_mean.fill_(3.0)
        m.block.bn.running_var.fill_(3.0)
        m.block.bn.num_batches_tracked.fill_(9)
    s = _reset(m, seed=1)
    assert bool((s["block.emb.weight"][3] == 0).all()) and bool((s["block.emb.weight"][2] != 0).all())
    for n in ("block.attn.in_proj_bias", "block.attn.out_proj.bias", "block.ln.bias", "block.bn.bias",
              "block.bn.running_mean", "block.bn.num_batches_tracked", "enc.self_attn.in_proj_bias"):
        assert bool((s[n] == 0).all()), n
    for n in ("block.ln.weight", "block.bn.weight", "block.bn.running_var", "enc.norm1.weight"):
        assert bool((s[n] == 1).all()), n
    for n, t in s.items():
        assert not bool((t == 7.0).any()), n  # every parameter rewritten


def test_transformer_uses_xavier_on_matrices():
    t = nn.Transformer(16, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=24, batch_first=True)
    s = _reset(t, seed=2)
    w = "encoder.layers.0.linear1.weight"
    a = math.sqrt(6.0 / (24 + 16))
    assert torch.equal(s[w], philox.Stream(2, "init", w).uniform(-a, a, size=(24, 16), dtype=torch.float32)
                       .to(torch.float64))
    b = 1 / math.sqrt(16)  # biases keep Linear's rule
    assert float(s["encoder.layers.0.linear1.bias"].abs().max()) <= b


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(5, 5))
        self.lin = nn.Linear(5, 5)
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.orthogonal_(self.w)


def test_other_modules_run_their_own_reset_under_seeded_globals():
    torch.manual_seed(0)
    a = _reset(nn.ModuleDict({"c": Custom()}), seed=8)
    torch.manual_seed(1)
    m = nn.ModuleDict({"x": nn.Linear(2, 2), "c": Custom()})
    before = torch.get_rng_state()
    b = _reset(m, seed=8)
    assert torch.equal(torch.get_rng_state(), before)  # the outer state is restored
    for n in ("c.w", "c.lin.weight", "c.lin.bias"):
        assert torch.equal(a[n], b[n]), n
    assert torch.allclose(a["c.w"] @ a["c.w"].T, torch.eye(5, dtype=torch.float64), atol=1e-5)
    c = _reset(nn.ModuleDict({"d": Custom()}), seed=8)  # another name, another seed
    assert not torch.equal(a["c.w"], c["d.w"])


def _kinds():
    # (module factory, parameter name): each of torch's default rules
    return [
        (lambda: nn.Linear(64, 96), "weight"), (lambda: nn.Linear(64, 96), "bias"),
        (lambda: nn.Conv2d(8, 32, 3), "weight"), (lambda: nn.Conv1d(8, 64, 5), "bias"),
        (lambda: nn.ConvTranspose2d(16, 8, 3), "weight"), (lambda: nn.Embedding(200, 16), "weight"),
        (lambda: nn.LSTM(24, 32), "weight_hh_l0"), (lambda: nn.GRUCell(24, 32), "weight_ih"),
        (lambda: nn.Bilinear(8, 9, 10), "weight"),
        (lambda: nn.MultiheadAttention(32, 4), "in_proj_weight"),
        (lambda: nn.MultiheadAttention(32, 4, add_bias_kv=True), "bias_k"),
        (lambda: nn.MultiheadAttention(32, 4, kdim=8, vdim=8), "k_proj_weight"),
        (lambda: nn.Transformer(32, 2, 1, 1, 48, batch_first=True), "encoder.layers.0.linear2.weight"),
    ]


@pytest.mark.parametrize("factory,name", _kinds())
def test_distributions_match_torchs_defaults(factory, name):
    stats = pytest.importorskip("scipy.stats")
    ours, theirs = [], []
    for i in range(40 if name == "bias_k" else 4):
        torch.manual_seed(i)
        theirs.append(dict(factory().named_parameters())[name].detach().flatten())
        ours.append(dict(philox.nn.reset_parameters(factory(), seed=i).named_parameters())[name].detach().flatten())
    ours, theirs = torch.cat(ours).numpy(), torch.cat(theirs).numpy()
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-4


@pytest.mark.parametrize("kw,exc,match", [
    (dict(seed=1.5), TypeError, "seed"),
    (dict(seed=2**64), ValueError, "seed"),
    (dict(path=3.5), TypeError, "path"),
    (dict(path=("a", -1)), ValueError, r"path\[1\]"),
    (dict(path=("a", None)), TypeError, r"path\[1\]"),
])
def test_errors_name_the_argument_and_change_nothing(kw, exc, match):
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    before = state(m)
    with pytest.raises(exc, match=match):
        philox.nn.reset_parameters(m, **kw)
    after = state(m)
    assert all(torch.equal(before[n], after[n]) for n in before)


def test_module_must_be_a_module():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        philox.nn.reset_parameters(torch.zeros(3))


class Draws(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(3, dtype=torch.float64))

    def reset_parameters(self):
        with torch.no_grad():
            self.w.copy_(torch.rand(3, dtype=torch.float64))


def test_seeded_reset_uses_the_documented_words():
    # docs/FORMAT.md section 16: words 8-9 of Stream(seed, *path, module_name, "seeded") seed torch
    m = philox.nn.reset_parameters(nn.ModuleDict({"c": Draws()}), seed=8, path=("init", 2))
    w = philox.Stream(8, "init", 2, "c", "seeded").random_raw(10)
    g = torch.Generator().manual_seed(int(w[8]) | (int(w[9]) << 32))
    assert torch.equal(m.c.w.detach(), torch.rand(3, dtype=torch.float64, generator=g))
    root = philox.nn.reset_parameters(Draws(), seed=8)  # the root module's name is ""
    w = philox.Stream(8, "init", "", "seeded").random_raw(10)
    g = torch.Generator().manual_seed(int(w[8]) | (int(w[9]) << 32))
    assert torch.equal(root.w.detach(), torch.rand(3, dtype=torch.float64, generator=g))
