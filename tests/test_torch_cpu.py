"""torch CPU tensors: torch dtypes, device='cpu' and tensor out= give the same bits as numpy (and
as the reference for bfloat16, which numpy lacks)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
import reference as R  # noqa: E402
from helpers import assert_bits_equal, bits, tbits  # noqa: E402

FLOATS = [(torch.float64, np.float64), (torch.float32, np.float32), (torch.float16, np.float16)]
INTS = [(torch.int8, np.int8, -100, 100), (torch.int16, np.int16, -30000, 30000),
        (torch.int32, np.int32, -2 ** 31, 2 ** 31), (torch.int64, np.int64, -5, 2 ** 40),
        (torch.int64, np.int64, -2 ** 63, 2 ** 63), (torch.uint8, np.uint8, 0, 256)]
for name, npdt, lo, hi in (("uint16", np.uint16, 0, 65536), ("uint32", np.uint32, 0, 2 ** 32),
                           ("uint64", np.uint64, 0, 2 ** 64)):
    if hasattr(torch, name):
        INTS.append((getattr(torch, name), npdt, lo, hi))


@pytest.fixture
def default_dtype():
    saved = torch.get_default_dtype()
    try:
        yield
    finally:
        torch.set_default_dtype(saved)


def _draws(tdt_or_np, **kw):
    """The same draws from the same position, with a torch or numpy dtype."""
    s = philox.Stream(21, "torch", position=3)
    return [s.rand(37, dtype=tdt_or_np, **kw), s.randn(5, 7, dtype=tdt_or_np, **kw),
            s.uniform(-3, 5, size=40, dtype=tdt_or_np, **kw), s.normal(2, 0.5, size=(3, 3), dtype=tdt_or_np, **kw),
            s.rand(dtype=tdt_or_np, **kw)], s.position


@pytest.mark.parametrize("tdt,npdt", FLOATS, ids=str)
def test_float_dtypes_match_numpy(tdt, npdt):
    tt, tpos = _draws(tdt)
    nn, npos = _draws(npdt)
    assert tpos == npos
    for t, n in zip(tt, nn):
        assert isinstance(t, torch.Tensor) and t.dtype == tdt and t.device.type == "cpu"
        assert tuple(t.shape) == np.shape(n)
        assert_bits_equal(tbits(t), bits(n))


@pytest.mark.parametrize("tdt,npdt", FLOATS, ids=str)
def test_device_cpu_with_numpy_dtype(tdt, npdt):
    tt, _ = _draws(npdt, device="cpu")
    nn, _ = _draws(npdt)
    for t, n in zip(tt, nn):
        assert isinstance(t, torch.Tensor) and t.dtype == tdt
        assert_bits_equal(tbits(t), bits(n))
    t2, _ = _draws(tdt, device=torch.device("cpu"))
    for t, n in zip(t2, nn):
        assert_bits_equal(tbits(t), bits(n))


@pytest.mark.parametrize("case", ["rand", "uniform", "uniform_1_2", "uniform_narrow", "uniform_subnormal", "randn", "normal",
                                  "normal_tiny", "normal_huge"])
@pytest.mark.parametrize("pos", [0, 1, 3, 4 * 2 ** 32 - 9])
def test_bfloat16_matches_reference(case, pos):
    n = 300
    s, r = philox.Stream(22, "bf", position=pos), R.RefStream(22, "bf", position=pos)
    call, ref = {
        "rand": (lambda: s.rand(n, dtype=torch.bfloat16), lambda: r.rand(n, "bf16")),
        "uniform": (lambda: s.uniform(-3, 5, size=n, dtype=torch.bfloat16), lambda: r.uniform(-3, 5, n, "bf16")),
        "uniform_1_2": (lambda: s.uniform(1, 2, size=n, dtype=torch.bfloat16), lambda: r.uniform(1, 2, n, "bf16")),
        "uniform_narrow": (lambda: s.uniform(1, 1 + 3 * 2 ** -7, size=n, dtype=torch.bfloat16),
                           lambda: r.uniform(1, 1 + 3 * 2 ** -7, n, "bf16")),
        "uniform_subnormal": (lambda: s.uniform(-3 * 2.0 ** -133, 0, size=n, dtype=torch.bfloat16),
                              lambda: r.uniform(-3 * 2.0 ** -133, 0, n, "bf16")),
        "randn": (lambda: s.randn(n, dtype=torch.bfloat16), lambda: r.randn(n, "bf16")),
        "normal": (lambda: s.normal(2, 0.5, size=n, dtype=torch.bfloat16), lambda: r.normal(2, 0.5, n, "bf16")),
        "normal_tiny": (lambda: s.normal(0, 1e-39, size=n, dtype=torch.bfloat16),
                        lambda: r.normal(0, 1e-39, n, "bf16")),
        "normal_huge": (lambda: s.normal(0, 1e38, size=n, dtype=torch.bfloat16),
                        lambda: r.normal(0, 1e38, n, "bf16")),
    }[case]
    got = call()
    assert got.dtype == torch.bfloat16 and got.shape == (n,)
    assert_bits_equal(tbits(got), ref(), case)
    assert s.position == r.position == pos + n


def test_bfloat16_uniform_clamps_below_high():
    x = philox.Stream(23).uniform(1, 1 + 3 * 2 ** -7, size=3000, dtype=torch.bfloat16)
    hi = torch.tensor(1 + 3 * 2 ** -7, dtype=torch.bfloat16)
    assert (x < hi).all() and (x >= 1).all()
    assert (x == torch.tensor(1 + 2 * 2 ** -7, dtype=torch.bfloat16)).sum() > 200


def test_bfloat16_uniform_overflowing_range_is_refused():
    s = philox.Stream(24, position=5)
    with pytest.raises(ValueError, match="overflow"):
        s.uniform(-3e38, 3e38, size=8, dtype=torch.bfloat16)
    assert s.position == 5


@pytest.mark.parametrize("tdt,npdt,lo,hi", INTS, ids=str)
def test_int_dtypes_match_numpy(tdt, npdt, lo, hi):
    t = philox.Stream(25, position=1).randint(lo, hi, size=(4, 50), dtype=tdt)
    n = philox.Stream(25, position=1).randint(lo, hi, size=(4, 50), dtype=npdt)
    assert isinstance(t, torch.Tensor) and t.dtype == tdt
    assert_bits_equal(tbits(t), n)
    t2 = philox.Stream(25, position=1).randint(lo, hi, size=(4, 50), dtype=npdt, device="cpu")
    assert t2.dtype == tdt
    assert_bits_equal(tbits(t2), n)


def test_random_raw_torch():
    for tdt, npdt in ((torch.int32, np.int32), (torch.int64, np.int64)):
        t = philox.Stream(26).random_raw(33, dtype=tdt)
        assert t.dtype == tdt
        assert_bits_equal(tbits(t), philox.Stream(26).random_raw(33, dtype=npdt))
    if hasattr(torch, "uint32"):
        t = philox.Stream(26).random_raw(33, device="cpu")
        assert t.dtype == torch.uint32
        assert_bits_equal(t.view(torch.int32).numpy().view(np.uint32), philox.Stream(26).random_raw(33))


def test_default_dtype_follows_torch(default_dtype):
    for dd in (torch.float32, torch.float64):
        torch.set_default_dtype(dd)
        for call in (lambda s: s.rand(4, device="cpu"), lambda s: s.randn(4, device="cpu"),
                     lambda s: s.uniform(0, 1, size=4, device="cpu"), lambda s: s.normal(size=4, device="cpu")):
            assert call(philox.Stream(27)).dtype == dd
        x = philox.Stream(27).rand(4, device="cpu")
        assert_bits_equal(tbits(x), philox.Stream(27).rand(4, dtype=np.float32 if dd == torch.float32 else np.float64))
    assert philox.Stream(27).randint(0, 5, size=3, device="cpu").dtype == torch.int64


def test_scalar_tensor():
    x = philox.Stream(28).rand(device="cpu", dtype=torch.float64)
    assert isinstance(x, torch.Tensor) and x.shape == ()
    assert x.item() == philox.Stream(28).rand()


@pytest.mark.parametrize("tdt,npdt", FLOATS + [(torch.bfloat16, None)], ids=str)
def test_tensor_out(tdt, npdt):
    out = torch.empty(6, 5, dtype=tdt)
    s = philox.Stream(29, position=2)
    res = s.randn(out=out)
    assert res is out
    expected = philox.Stream(29, position=2).randn(6, 5, dtype=tdt)
    assert_bits_equal(tbits(out), tbits(expected))
    assert s.position == 2 + 30 * (2 if tdt == torch.float64 else 1)


@pytest.mark.parametrize("view", ["step", "transposed", "column"])
@pytest.mark.parametrize("tdt", [torch.float32, torch.float64, torch.bfloat16, torch.int16], ids=str)
def test_tensor_out_non_contiguous(view, tdt):
    base = torch.full((6, 8), -1, dtype=tdt)
    out = {"step": lambda: base[::2, ::3], "transposed": lambda: base.t(), "column": lambda: base[:, 2]}[view]()
    assert not out.is_contiguous()
    s = philox.Stream(30, "nc", position=1)
    if tdt.is_floating_point:
        res = s.uniform(-2, 2, out=out)
        expected = philox.Stream(30, "nc", position=1).uniform(-2, 2, size=tuple(out.shape), dtype=tdt)
    else:
        res = s.randint(-99, 99, out=out)
        expected = philox.Stream(30, "nc", position=1).randint(-99, 99, size=tuple(out.shape), dtype=tdt)
    assert res is out
    assert_bits_equal(tbits(out), tbits(expected))
    untouched = base.clone()
    mask = torch.ones(6, 8, dtype=torch.bool)
    if view == "step":
        mask[::2, ::3] = False
    elif view == "column":
        mask[:, 2] = False
    else:
        mask[:] = False
    assert (untouched[mask] == -1).all()


@pytest.mark.parametrize("call,exc,match", [
    (lambda s: s.rand(out=torch.empty(3), dtype=torch.float64), TypeError, "dtype"),
    (lambda s: s.rand(out=torch.empty(3, dtype=torch.int32)), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, out=torch.empty(3)), TypeError, "dtype"),
    (lambda s: s.randint(0, 5, dtype=torch.bool), TypeError, "dtype"),
    (lambda s: s.rand(3, dtype=torch.complex64), TypeError, "dtype"),
    (lambda s: s.rand(4, out=torch.empty(3)), ValueError, "out"),
    (lambda s: s.rand(3, device="not-a-device"), ValueError, "device"),
    (lambda s: s.rand(out=torch.empty(3), device="meta"), ValueError, "device"),
    (lambda s: s.randint(0, 300, dtype=torch.uint8), ValueError, "fit"),
])
def test_torch_errors(call, exc, match):
    s = philox.Stream(31, position=4)
    with pytest.raises(exc, match=match) as info:
        call(s)
    assert type(info.value) is exc
    assert s.position == 4


def test_torch_allocation_failure_leaves_position():
    # torch reports a failed CPU allocation as RuntimeError (numpy: MemoryError); either way the
    # stream's position must not move
    s = philox.Stream(32, position=4)
    with pytest.raises((MemoryError, ValueError, RuntimeError)):
        s.rand(2 ** 59, dtype=torch.float64)
    assert s.position == 4
