"""Tensor ``out=`` and ``device=`` edge cases: every refusal happens before the position moves,
and the accepted odd cases (grad-requiring or inference tensors, meta and fake tensors) work."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
from philox import _output  # noqa: E402


def _stream():
    return philox.Stream(41, "edges", position=5)


@pytest.mark.parametrize("make,exc,match", [
    (lambda: torch.empty(1).expand(4), ValueError, "share memory"),              # copy_ refused it after the draw
    (lambda: torch.empty(1, 3).expand(2, 3), ValueError, "share memory"),
    (lambda: torch.zeros(4).to_sparse(), TypeError, "strided"),
])
def test_unwritable_out_is_refused_before_the_draw(make, exc, match):
    s = _stream()
    with pytest.raises(exc, match=match):
        s.rand(out=make())
    assert s.position == 5



def test_batch_out_sharing_memory_is_refused_before_the_draw():
    b = _stream().fold(torch.arange(3))
    with pytest.raises(ValueError, match="share memory"):
        b.rand(4, out=torch.empty(1, 4).expand(3, 4))
    with pytest.raises(TypeError, match="strided"):
        b.rand(4, out=torch.zeros(3, 4).to_sparse())
    assert b.position == 0


def test_out_with_a_bad_device_string_is_a_value_error():
    s = _stream()
    with pytest.raises(ValueError, match="device"):
        s.rand(out=torch.empty(3), device="not-a-device")
    assert s.position == 5


def test_numpy_dtype_naming_out_dtype_is_accepted():
    got = _stream().rand(out=torch.empty(4), dtype=np.float32)
    assert torch.equal(got, _stream().rand(4, dtype=torch.float32))
    assert torch.equal(_stream().randint(9, out=torch.empty(4, dtype=torch.int16), dtype="int16"),
                       _stream().randint(9, size=4, dtype=torch.int16))
    s = _stream()
    with pytest.raises(TypeError, match="dtype"):
        s.rand(out=torch.empty(4), dtype=np.float64)
    assert s.position == 5


@pytest.mark.parametrize("kw", [{"dtype": torch.float64}, {"device": "cpu"}])
def test_numpy_out_with_torch_options_is_a_type_error(kw):
    s = _stream()
    with pytest.raises(TypeError, match="numpy"):
        s.rand(out=np.empty(4), **kw)
    assert s.position == 5


def test_non_contiguous_out_requiring_grad_or_inference():
    # a view of a parameter (requires grad) and an inference tensor: the copy from the contiguous
    # buffer used to raise after the position had moved; now they are filled like contiguous ones
    expected = _stream().rand(4, 3, dtype=torch.float32)
    p = torch.zeros(4, 6, requires_grad=True)
    s = _stream()
    assert torch.equal(s.rand(out=p[:, ::2]).detach(), expected)
    assert s.position == 5 + 12 and torch.equal(p[:, ::2].detach(), expected)
    with torch.inference_mode():
        inf = torch.zeros(4, 6)
    s = _stream()
    s.rand(out=inf[:, ::2])
    assert torch.equal(inf[:, ::2], expected) and s.position == 17


def test_allocation_errors_are_classified(monkeypatch):
    s = _stream()

    def fail(msg):
        def empty(*a, **k):
            raise RuntimeError(msg)
        return empty
    # "memory_format" in torch's message for an unsupported device is not an out-of-memory error
    monkeypatch.setattr(torch, "empty", fail("Could not run 'aten::empty.memory_format' with arguments from the "
                                             "'MPS' backend."))
    with pytest.raises(ValueError, match="cannot be used"):
        s.rand(3, device="cpu")
    monkeypatch.setattr(torch, "empty", fail("DefaultCPUAllocator: can't allocate memory: you tried to allocate"))
    with pytest.raises(MemoryError):
        s.rand(3, device="cpu")
    monkeypatch.setattr(torch, "empty", fail("CUDA out of memory. Tried to allocate 2.00 GiB"))
    with pytest.raises(MemoryError):
        s.rand(3, device="cpu")
    assert s.position == 5


def test_same_device_rule(monkeypatch):
    d = torch.device
    assert _output.same_device(d("cpu"), d("cpu")) and _output.same_device(d("cpu:0"), d("cpu"))
    assert not _output.same_device(d("meta"), d("cpu"))
    # "cuda" means the current CUDA device (torch's rule): it used to be compared with == and never
    # matched a tensor's "cuda:0"
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    assert _output.same_device(d("cuda"), d("cuda", 1))
    assert not _output.same_device(d("cuda"), d("cuda", 0))
    assert _output.same_device(d("cuda:0"), d("cuda", 0)) and not _output.same_device(d("cuda:1"), d("cuda", 0))


def test_meta_and_fake_tensors_are_shapes_only():
    s = _stream()
    m = s.randn(3, 4, device="meta", dtype=torch.float64)
    assert m.device.type == "meta" and m.shape == (3, 4) and s.position == 5 + 24  # words as a real draw
    b = s.fold(torch.empty(2, 3, dtype=torch.int64, device="meta"))  # no negativity check on meta
    assert b.rand(5).shape == (2, 3, 5) and b.position == 5
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode():
        f = s.randint(0, 10, size=(2, 2), device="cpu")
        assert f.shape == (2, 2) and f.dtype == torch.int64
    assert s.position == 5 + 24 + 8


def test_shuffle_refuses_unwritable_tensors_before_drawing():
    s = _stream()
    with pytest.raises(ValueError, match="share memory"):
        s.shuffle(torch.zeros(1).expand(5))
    with pytest.raises(TypeError, match="strided"):
        s.shuffle(torch.zeros(5).to_sparse())
    assert s.position == 5
    with torch.inference_mode():
        x = torch.arange(6)
    s.shuffle(x)  # an inference tensor outside inference mode is shuffled too
    assert s.position == 5 + 12
    assert torch.equal(x, torch.as_tensor(_stream().permutation(6)))


@pytest.mark.parametrize("call", [
    lambda s, d: s.permutation(5, device=d),
    lambda s, d: s.permutation(50, device=d),
    lambda s, d: s.choice(5, 2, device=d),
    lambda s, d: s.choice(5, 2, replace=False, device=d),
    lambda s, d: s.choice(3, 2, p=[0.2, 0.3, 0.5], device=d),
])
def test_permutation_and_choice_check_the_device_before_drawing(call):
    # a device torch cannot use here raised AssertionError/RuntimeError after the words were drawn
    unusable = "cuda" if not torch.cuda.is_available() else "mps"
    if unusable == "mps" and torch.backends.mps.is_available():
        pytest.skip("every device is usable here")
    s = _stream()
    with pytest.raises(ValueError, match="cannot be used"):
        call(s, unusable)
    assert s.position == 5


def test_choice_device_names_the_tensor_device():
    got = _stream().choice(torch.arange(10) * 3, 4, device="cpu:0")
    assert torch.equal(got, torch.as_tensor(_stream().choice(np.arange(10) * 3, 4)))


@pytest.mark.parametrize("call", [lambda s: s.uniform(0, 10 ** 400), lambda s: s.normal(-10 ** 400),
                                  lambda s: s.normal(0, 10 ** 400, size=2, device="cpu")])
def test_huge_int_bounds_are_value_errors(call):
    s = _stream()  # float(10**400) raised OverflowError
    with pytest.raises(ValueError, match="finite"):
        call(s)
    assert s.position == 5


def test_permutations_on_meta_tensors_are_shapes_only():
    # cycle walking read values back (.item() on meta) after the 12 words were drawn
    s = _stream()
    assert s.permutation(50, device="meta").shape == (50,)
    assert s.permutation(torch.empty(50, 2, device="meta")).shape == (50, 2)
    s.shuffle(torch.empty(30, device="meta"))
    assert s.choice(50, 3, replace=False, device="meta").device.type == "meta"
    assert s.position == 5 + 4 * 12


@pytest.mark.parametrize("contiguous", [True, False])
def test_out_write_is_seen_by_autograd(contiguous):
    # the kernels write out= through its pointer; without a version bump, backward used the
    # overwritten values of a saved tensor silently
    a = torch.ones(4, 2, requires_grad=True)
    y = a * 1
    z = (y * y).sum()
    target = y.detach() if contiguous else y.detach()[:, 0]
    v = y._version
    _stream().rand(out=target)
    assert y._version > v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    with torch.inference_mode():
        inf = torch.zeros(4)
    _stream().rand(out=inf)  # no version counter: still filled
    assert torch.equal(inf, _stream().rand(4, dtype=torch.float32))


def test_misaligned_contiguous_out_goes_through_a_buffer_for_device_backends():
    # a float32 tensor at an odd address (torch.frombuffer, offset 1): device kernels store whole
    # elements, so anything but the CPU kernels fills an aligned buffer and copies it over
    from philox import _backend
    x = torch.frombuffer(bytearray(4 * 10 + 1), dtype=torch.float32, offset=1, count=10)
    assert x.is_contiguous() and x.data_ptr() % 4 == 1
    want = _stream().rand(10, dtype=torch.float32)
    _backend.set_backend("torch")
    try:
        t = _output.prepare((10,), None, None, x, "float", "f64")
        assert t.tensor is not None and t.tensor.data_ptr() != x.data_ptr()
        s = _stream()
        assert s.rand(out=x) is x
    finally:
        _backend.set_backend("auto")
    assert torch.equal(x, want) and s.position == 15
    y = torch.frombuffer(bytearray(4 * 10 + 1), dtype=torch.float32, offset=1, count=10)
    assert _stream().rand(out=y) is y and torch.equal(y, want)  # the CPU kernels write it in place
