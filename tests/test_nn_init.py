"""philox.nn.init: torch.nn.init's random initializers drawing from a philox Stream."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import philox  # noqa: E402
from philox.nn import init  # noqa: E402


def S(*path):
    return philox.Stream(2024, "t", *path)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
def test_uniform_and_normal_are_the_stream_draws(dtype):
    t = torch.empty(5, 7, dtype=dtype)
    s = S("u")
    assert init.uniform_(t, -0.5, 2.0, stream=s) is t
    r = S("u")
    assert torch.equal(t, r.uniform(-0.5, 2.0, size=(5, 7), dtype=dtype))
    assert s.position == r.position
    t2 = torch.empty(5, 7, dtype=dtype)
    s = S("n")
    init.normal_(t2, 1.0, 0.25, stream=s)
    r = S("n")
    assert torch.equal(t2, r.normal(1.0, 0.25, size=(5, 7), dtype=dtype))
    assert s.position == r.position


def _fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("shape", [(8, 3), (16, 4, 3, 3), (6, 2, 5)])
def test_xavier_and_kaiming_use_torchs_rules(shape):
    fi, fo = _fans(shape)
    t = torch.empty(shape)
    init.xavier_uniform_(t, gain=2.0, stream=S("xu"))
    a = 2.0 * math.sqrt(6.0 / (fi + fo))
    assert torch.equal(t, S("xu").uniform(-a, a, size=shape, dtype=torch.float32))
    init.xavier_normal_(t, stream=S("xn"))
    assert torch.equal(t, S("xn").normal(0.0, math.sqrt(2.0 / (fi + fo)), size=shape, dtype=torch.float32))
    init.kaiming_uniform_(t, a=math.sqrt(5), stream=S("ku"))
    b = math.sqrt(2.0 / 6.0) * math.sqrt(3.0 / fi)  # leaky_relu gain with slope sqrt(5)
    assert torch.allclose(t, S("ku").uniform(-b, b, size=shape, dtype=torch.float32), atol=0, rtol=1e-6)
    assert float(t.abs().max()) <= b
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu", stream=S("kn"))
    assert torch.equal(t, S("kn").normal(0.0, math.sqrt(2.0) / math.sqrt(fo), size=shape, dtype=torch.float32))


def test_non_contiguous_tensor_gets_the_logical_values():
    base = torch.empty(7, 5)
    init.normal_(base.t(), stream=S("nc"))
    assert torch.equal(base.t(), S("nc").normal(size=(5, 7), dtype=torch.float32))


def test_meta_moves_the_position_and_to_empty_then_init_equals_plain():
    s = S("m")
    m = torch.empty(4, 6, device="meta")
    assert init.kaiming_uniform_(m, stream=s) is m
    r = S("m")
    r.uniform(size=(4, 6), dtype=torch.float32)
    assert s.position == r.position == 24
    s = S("m")
    init.trunc_normal_(torch.empty(3, device="meta", dtype=torch.float16), stream=s)
    assert s.position == 6  # two words per value whatever the dtype
    lin = torch.nn.Linear(6, 4, device="meta").to_empty(device="cpu")
    init.kaiming_uniform_(lin.weight, stream=S("w"))
    assert torch.equal(lin.weight, init.kaiming_uniform_(torch.empty(4, 6), stream=S("w")))


def test_trunc_normal_golden_values():
    # docs/FORMAT.md "Truncated normal": fixed bits (float64, float32, and an interval above the mean)
    t64 = init.trunc_normal_(torch.empty(4, dtype=torch.float64), mean=0.5, std=2.0, a=-1.0, b=3.0,
                             stream=philox.Stream(7, "trunc"))
    t32 = init.trunc_normal_(torch.empty(4), stream=philox.Stream(7, "trunc"))
    tf = init.trunc_normal_(torch.empty(4, dtype=torch.float64), a=1.0, b=3.0, stream=philox.Stream(7, "trunc"))
    assert [x.hex() for x in t64.tolist()] == [
        "0x1.e8247eccf0f5ap+0", "0x1.ec48ab62e4283p+0", "0x1.bbf56a3d04e35p+0", "0x1.5899bd9eb5fd1p+1"]
    assert [x.hex() for x in t32.tolist()] == [
        "0x1.9228100000000p-1", "0x1.9876420000000p-1", "0x1.5046280000000p-1", "0x1.7fdd040000000p+0"]
    assert [x.hex() for x in tf.tolist()] == [
        "0x1.2445abfa6a3b2p+0", "0x1.238b65d57e076p+0", "0x1.2c73446140df0p+0", "0x1.07d0223c377dfp+0"]


def test_trunc_normal_is_the_documented_transform():
    special = pytest.importorskip("scipy.special")
    u = philox.Stream(7, "trunc").rand(4)  # float64, two words each
    for (m, s, a, b), flip in (((0.5, 2.0, -1.0, 3.0), False), ((0.0, 1.0, 1.0, 3.0), True)):
        al, be = (a - m) / s, (b - m) / s
        if flip:
            al, be = -be, -al
        lo, hi = special.ndtr(al), special.ndtr(be)
        z = special.ndtri(lo + (hi - lo) * u) * (-1 if flip else 1)
        got = init.trunc_normal_(torch.empty(4, dtype=torch.float64), m, s, a, b, stream=philox.Stream(7, "trunc"))
        np.testing.assert_allclose(got.numpy(), np.clip(m + s * z, a, b), rtol=1e-13)


def test_trunc_normal_is_a_pure_transform_of_rand():
    s = S("tn")
    t = init.trunc_normal_(torch.empty(1000, dtype=torch.float64), mean=1.0, std=0.5, a=0.0, b=1.2, stream=s)
    assert s.position == 2000
    assert float(t.min()) >= 0.0 and float(t.max()) <= 1.2
    u = S("tn").rand(1000, dtype=torch.float64)
    order = torch.argsort(u)
    assert bool((t[order].diff() >= 0).all())  # monotone in u: an inverse CDF


@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 1.0, 3.0, 4.0),
                                          (0.0, 1.0, -9.0, -6.0), (0.0, 1.0, 0.5, 100.0)])
def test_trunc_normal_distribution(mean, std, a, b):
    stats = pytest.importorskip("scipy.stats")
    t = init.trunc_normal_(torch.empty(20000, dtype=torch.float64), mean, std, a, b, stream=S("tnd", repr((a, b))))
    al, be = (a - mean) / std, (b - mean) / std
    p = stats.kstest(t.numpy(), stats.truncnorm(al, be, loc=mean, scale=std).cdf).pvalue
    assert p > 1e-4
    assert float(t.min()) >= a and float(t.max()) <= b


def test_uniform_equal_bounds_fills_the_constant_and_moves():
    s = S("c")
    t = init.uniform_(torch.empty(3), 0.0, 0.0, stream=s)
    assert t.tolist() == [0.0, 0.0, 0.0] and s.position == 3


def test_kaiming_zero_element_warns_and_keeps_position():
    s = S("z")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(torch.empty(0, 3), stream=s)
    assert s.position == 0


def test_works_on_parameters_that_require_grad():
    p = torch.nn.Parameter(torch.empty(3, 4))
    init.xavier_uniform_(p, stream=S("p"))
    assert p.requires_grad and p.grad_fn is None
    assert torch.equal(p.detach(), init.xavier_uniform_(torch.empty(3, 4), stream=S("p")))


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: init.uniform_(np.zeros(3), stream=s), TypeError, "tensor"),
    (lambda s: init.uniform_(torch.zeros(3, dtype=torch.int64), stream=s), TypeError, "floating"),
    (lambda s: init.uniform_(torch.zeros(3), stream=np.random.default_rng()), TypeError, "stream"),
    (lambda s: init.uniform_(torch.zeros(3), 2.0, 1.0, stream=s), ValueError, "a must not exceed b"),
    (lambda s: init.uniform_(torch.zeros(3), "0", 1.0, stream=s), TypeError, "a must be"),
    (lambda s: init.normal_(torch.zeros(3), 0.0, -1.0, stream=s), ValueError, "std"),
    (lambda s: init.normal_(torch.zeros(3), math.nan, stream=s), ValueError, "mean"),
    (lambda s: init.xavier_uniform_(torch.zeros(3), stream=s), ValueError, "2 dimensions"),
    (lambda s: init.xavier_normal_(torch.zeros(0, 0), stream=s), ValueError, "fan_in"),
    (lambda s: init.kaiming_uniform_(torch.zeros(3, 3), mode="fan", stream=s), ValueError, "mode"),
    (lambda s: init.kaiming_normal_(torch.zeros(3, 3), nonlinearity="swish", stream=s), ValueError, "nonlinearity"),
    (lambda s: init.trunc_normal_(torch.zeros(3), std=0.0, stream=s), ValueError, "std"),
    (lambda s: init.trunc_normal_(torch.zeros(3), a=1.0, b=1.0, stream=s), ValueError, "a must be less than b"),
])
def test_errors_name_the_argument_and_move_nothing(call, exc, match):
    s = S("e")
    with pytest.raises(exc, match=match):
        call(s)
    assert s.position == 0


def test_stream_is_keyword_only():
    with pytest.raises(TypeError):
        init.uniform_(torch.zeros(3), 0.0, 1.0, S("k"))  # torch's 4th positional is generator=


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=4), data=st.data(),
           which=st.sampled_from(["xavier_uniform_", "kaiming_normal_", "trunc_normal_", "normal_"]))
def test_any_memory_layout_gets_the_logical_values(shape, data, which):
    """Law: a tensor's values are the draw of its logical shape whatever its strides."""
    perm = data.draw(st.permutations(range(len(shape))))
    inv = [perm.index(i) for i in range(len(shape))]
    strided = torch.empty([shape[p] for p in perm]).permute(inv)  # logical shape `shape`, other strides
    assert tuple(strided.shape) == tuple(shape)
    f = getattr(init, which)
    s1, s2 = S("law", which), S("law", which)
    f(strided, stream=s1)
    assert torch.equal(strided, f(torch.empty(shape), stream=s2))
    assert s1.position == s2.position


@pytest.mark.parametrize("call", [
    lambda s: init.trunc_normal_(torch.empty(4, dtype=torch.float16), a=-1e6, b=1e6, stream=s),
    lambda s: init.trunc_normal_(torch.empty(4), std=1e300, a=-1e308, b=1e308, stream=s),
    lambda s: init.normal_(torch.zeros(1, 4).expand(3, 4), stream=s),
    lambda s: init.uniform_(torch.zeros(2, 1).expand(2, 3), stream=s),
    lambda s: init.uniform_(torch.empty(3, dtype=torch.float16, device="meta"), 0, 1e6, stream=s),
    lambda s: init.trunc_normal_(torch.empty(3, dtype=torch.float16, device="meta"), a=-1e6, b=1e6, stream=s),
], ids=["trunc-bounds-f16", "trunc-bounds-f32", "expanded-normal", "expanded-uniform", "meta-uniform-f16",
        "meta-trunc-f16"])
def test_bad_calls_fail_before_the_position_moves(call):
    """Bounds outside the dtype and overlapping tensors are refused up front, on meta tensors too
    (whose draw computes nothing but runs the same argument checks)."""
    s = philox.Stream(5, "w")
    with pytest.raises(ValueError):
        call(s)
    assert s.position == 0
