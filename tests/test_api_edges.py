"""Edge cases of the public surface of issues 4 and 5 (permutation, shuffle, choice, the samplers,
isolate, the command line), found by probing it against numpy's and torch's semantics and the
FORMAT text. Each test pins one fixed bug or one contract the probing confirmed."""
import numpy as np
import pytest

import philox


# ------------------------------------------------------------------------------------- permutation
def test_permutation_with_a_torch_dtype_gives_a_tensor():
    torch = pytest.importorskip("torch")
    s = philox.Stream(3, "perm-dtype")
    t = s.permutation(50, dtype=torch.int32)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.int32 and t.device.type == "cpu"
    assert t.tolist() == philox.Stream(3, "perm-dtype").permutation(50).tolist()
    assert s.position == 12
    e = s.permutation(0, dtype=torch.int16)
    assert isinstance(e, torch.Tensor) and e.dtype == torch.int16 and e.numel() == 0
    assert s.position == 24


def test_shuffle_of_an_expanded_tensor_is_refused_before_any_word():
    torch = pytest.importorskip("torch")
    s = philox.Stream(0, "shuf", position=5)
    x = torch.arange(3).expand(4, 3)  # stride 0 along axis 0: an in-place shuffle cannot be written
    with pytest.raises(ValueError, match="share memory"):
        s.shuffle(x)
    assert s.position == 5
    y = x.clone()
    s.shuffle(y)
    assert s.position == 17 and y.tolist() == x.tolist()


def test_shuffle_views_and_mutable_sequences_follow_the_permutation():
    import array
    import collections
    order = philox.Stream(2, "seq").permutation(6).tolist()
    base = np.arange(24).reshape(6, 4)
    col = base.copy()
    philox.Stream(2, "seq").shuffle(col[:, 1])  # a strided view: only that column moves
    assert col[:, 1].tolist() == [base[i, 1] for i in order] and np.array_equal(np.delete(col, 1, 1),
                                                                                  np.delete(base, 1, 1))
    t = base.T.copy().T  # Fortran order, 2-D, shuffled along axis 0
    philox.Stream(2, "seq").shuffle(t)
    assert np.array_equal(t, base[order])
    for seq in (bytearray(b"abcdef"), collections.UserList("abcdef"), array.array("i", range(6))):
        ref = list(seq)
        s = philox.Stream(2, "seq")
        s.shuffle(seq)
        assert list(seq) == [ref[i] for i in order] and s.position == 12
    with pytest.raises(TypeError, match="mutable sequence"):
        philox.Stream(2).shuffle("abcdef")


# ------------------------------------------------------------------------------------- choice
def test_choice_device_with_a_population_torch_cannot_hold_leaves_the_position():
    pytest.importorskip("torch")
    s = philox.Stream(0, "ch", position=3)
    with pytest.raises(TypeError, match="dtype"):
        s.choice(["a", "b", "c"], 2, device="cpu")
    assert s.position == 3
    assert s.choice([1.5, 2.5], 2, device="cpu").tolist() == philox.Stream(0, "ch", position=3).choice(
        [1.5, 2.5], 2).tolist()


def test_weighted_without_replacement_never_takes_a_zero_probability():
    # 1e-320's key -log(u) / 1e-320 overflows to +inf, like a zero p's key: the index tie-break
    # used to let index 0 (p = 0) in ahead of index 1 in every draw
    for seed in range(20):
        assert 0 not in philox.Stream(seed).choice(3, 2, replace=False, p=[0, 1e-320, 1 - 1e-320]).tolist()
    s = philox.PhiloxSampler(3, seed=1, weights=[0, 1e-320, 1.0], num_samples=2)
    assert sorted(s) == [1, 2]
    # the ordinary case is unchanged: the same words give the same order as before
    p = np.array([0.1, 0.0, 0.2, 0.3, 0.4])
    w = philox.Stream(4, "es").random_raw(10)
    keys = philox._core.exp_keys(w, p)
    ref = sorted((i for i in range(5) if p[i] > 0), key=lambda i: (keys[i], i))[:3]
    assert philox.Stream(4, "es").choice(5, 3, replace=False, p=p).tolist() == ref


# ------------------------------------------------------------------------------------- samplers
def test_sampler_weights_that_overflow_are_a_value_error():
    for w in ([1e308, 1e308, 1e308], [1e307] * 2 + [0.0] * 98):
        with pytest.raises(ValueError, match="rescale"):
            philox.PhiloxSampler(len(w), weights=w, replacement=True)
    s = philox.PhiloxSampler(3, seed=2, weights=[1e300, 2e300, 3e300], replacement=True)
    assert list(s) == list(philox.PhiloxSampler(3, seed=2, weights=[1, 2, 3], replacement=True))


def test_consumed_counts_in_the_pass_a_prefetching_loader_exhausted():
    # A DataLoader with workers prefetches: the sampler runs to its end (and moves to epoch 1)
    # while the loop still trains on epoch 0's last batches. A checkpoint then must say epoch 0.
    n, W = 100, 2
    for drop_last in (False, True):
        s = philox.PhiloxSampler(n, seed=5, num_replicas=W, rank=0, drop_last=drop_last)
        s.set_epoch(0)
        handed = list(s)  # the prefetcher took everything
        assert s.epoch == 1
        st = s.state_dict(consumed=30)  # the loop finished 30 of this rank's indices
        assert (st["epoch"], st["position"]) == (0, 60)
        # handed out: all of epoch 0, recorded as its end (the loop is still in epoch 0)
        assert (s.state_dict()["epoch"], s.state_dict()["position"]) == (0, 100)
        r = philox.PhiloxSampler(n, seed=5, num_replicas=1, rank=0)
        r.load_state_dict(st)
        r.set_epoch(0)  # the resumed loop sets the epoch again: the position stays
        rest = list(r)
        assert len(rest) == 40 and rest == philox.PhiloxSampler(n, seed=5).indices_at(range(60, 100)).tolist()
        assert handed[:30] == philox.PhiloxSampler(n, seed=5).indices_at(range(0, 60, 2)).tolist()
        # the next epoch's own state once the loop moves on
        s.set_epoch(1)
        assert (s.state_dict(consumed=0)["epoch"], s.state_dict(consumed=0)["position"]) == (1, 0)
        with pytest.raises(ValueError, match="exceeds"):
            s.state_dict(consumed=51)
    b = philox.PhiloxBatchSampler(philox.PhiloxSampler(95, seed=1), 10)
    batches = list(b)
    assert len(batches) == 10 and b.sampler.epoch == 1
    assert (b.state_dict(consumed_batches=3)["epoch"], b.state_dict(consumed_batches=3)["position"]) == (0, 30)
    assert b.state_dict(consumed_batches=10)["position"] == 95
    it = iter(b)
    next(it)  # a new iteration: counts are in epoch 1 again
    assert b.state_dict(consumed_batches=1)["epoch"] == 1


def test_indices_at_checks_its_positions():
    s = philox.PhiloxSampler(10, seed=1)
    ref = s.indices_at(np.arange(10))
    assert s.indices_at(3).tolist() == [ref[3]] and s.indices_at(range(2, 5)).tolist() == ref[2:5].tolist()
    assert s.indices_at(np.array([1, 2], np.uint8)).tolist() == ref[1:3].tolist()
    with pytest.raises(TypeError, match="floats"):
        s.indices_at([1.5])  # used to be truncated to 1
    with pytest.raises(ValueError, match=r"num_samples=10"):
        s.indices_at([2 ** 64])  # used to be an OverflowError
    with pytest.raises(ValueError, match=r"num_samples=10"):
        s.indices_at([-1])


# ------------------------------------------------------------------------------------- isolate
def test_isolate_raw_copies_only_where_they_can_be_safe(monkeypatch):
    import random
    import sys
    import types
    from philox import _globals_state as _isolate
    for name in ("_np_fast", "_rnd_fast"):
        monkeypatch.setattr(_isolate, name, [])
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)  # a free-threaded build
    assert _isolate._probe() is None and _isolate._probe_random() is None
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    impl = types.SimpleNamespace(**vars(sys.implementation))
    impl.name = "pypy"  # id() is not an address there
    monkeypatch.setattr(sys, "implementation", impl)
    assert _isolate._probe() is None and _isolate._probe_random() is None
    monkeypatch.undo()
    # the public-API path gives the same values as the raw one
    random.seed(1)
    np.random.seed(1)
    with philox.Generator(7).isolate("x"):
        a = (random.random(), np.random.rand())
    for name in ("_np_fast", "_rnd_fast"):
        monkeypatch.setattr(_isolate, name, [None])
    with philox.Generator(7).isolate("x"):
        b = (random.random(), np.random.rand())
    assert a == b


def test_isolate_raw_copies_refuse_a_state_of_the_wrong_size():
    import random
    from philox import _globals_state as _isolate
    f, r = _isolate._probe(), _isolate._probe_random()  # not the caches: other tests replace the globals
    if f is None or r is None:
        pytest.skip("the raw copies are not used with this numpy / Python")
    before = (np.random.get_state()[1].copy(), random.getstate())
    with pytest.raises(ValueError):
        _isolate._np_fast_set(f, (b"\0" * 100, 0, 0, 0.0))  # memmove would read past the bytes
    with pytest.raises(ValueError):
        _isolate._rnd_fast_set(r, (b"\0" * 100, 0, None))
    with pytest.raises(ValueError):
        _isolate._rnd_fast_set(r, (b"\0" * 2496, 625, None))  # index past the key
    assert np.array_equal(np.random.get_state()[1], before[0]) and random.getstate() == before[1]
    # the scans stay inside the objects: their extent is the type's basic size, not sys.getsizeof
    import sys
    for obj in (np.random.mtrand._rand, random._inst):
        head, size = _isolate._object_extent(obj)
        assert head == object.__basicsize__ and size == type(obj).__basicsize__ <= sys.getsizeof(obj)


# ------------------------------------------------------------------------------------- command line
@pytest.mark.parametrize("args, msg", [
    (["--n", "-5"], "positive count"),
    (["--n", "1.5"], "positive count"),  # was truncated to 1
    (["--n", "1e30"], "at most 2**32"),  # was a traceback from numpy
    (["--n", "10**100"], "at most 2**32"),
    (["--n", "nan"], "positive count"),
])
def test_bench_bad_counts_are_argparse_errors(args, msg, capsys):
    from philox.__main__ import main
    with pytest.raises(SystemExit) as e:
        main(["bench", "--quiet"] + args)
    assert e.value.code == 2 and msg in capsys.readouterr().err


def test_bench_json_into_a_missing_folder_fails_before_the_run(tmp_path, capsys):
    from philox.__main__ import main
    assert main(["bench", "--quiet", "--n", "1000", "--json", str(tmp_path / "no" / "x.json")]) == 2
    err = capsys.readouterr()
    assert "does not exist" in err.err and "benchmark" not in err.out


@pytest.mark.parametrize("weights", [None, [1.0, 2.0, 3.0]])
def test_draws_with_replacement_do_not_span_from_the_padding_to_the_end(weights):
    # The last chunk of a padded pass holds positions near the end and padding that wraps to the
    # pass's start: they were drawn as one run over the whole epoch (10**12 values here).
    n = 3 if weights else 10 ** 12 + 1
    T = 10 ** 12 + 1
    s = philox.PhiloxSampler(n, seed=4, replacement=True, weights=weights, num_samples=T)
    far = s.indices_at([T - 1, 0, T - 2, 1])
    near = np.concatenate([s.indices_at([T - 1]), s.indices_at([0]), s.indices_at([T - 2]), s.indices_at([1])])
    assert np.array_equal(far, near)
    # an epoch's padding (rank 1 of 2 over an odd count) repeats position 0's index
    s = philox.PhiloxSampler(5, seed=4, replacement=True, weights=weights and [1.0] * 5, num_replicas=2, rank=1)
    assert list(s) == s.indices_at([1, 3, 0], epoch=0).tolist()


def test_float32_probabilities_get_numpy_s_float32_tolerance():
    torch = pytest.importorskip("torch")
    p = torch.softmax(torch.linspace(-3, 3, 1000), 0)  # float32: sums to 1 within ~1e-7, not 1.5e-8
    assert abs(float(p.double().sum()) - 1) > 1.5e-8
    v = philox.Stream(0).choice(1000, 5, p=p)
    assert np.array_equal(v, philox.Stream(0).choice(1000, 5, p=p.double() / p.double().sum()))
    philox.Stream(0).choice(1000, 5, p=p.numpy())
    philox.Stream(0).choice(1000, 5, p=p.to(torch.bfloat16))
    p32 = np.full(3, 1 / 3, np.float32) * np.float32(1.0001)  # numpy's Generator.choice accepts it
    np.random.default_rng(0).choice(3, 2, p=p32)
    philox.Stream(0).choice(3, 2, p=p32)
    with pytest.raises(ValueError, match="sum to 1"):  # float64 keeps float64's tolerance
        philox.Stream(0).choice(3, 2, p=p32.astype(np.float64))
    with pytest.raises(ValueError, match="sum to 1"):
        philox.Stream(0).choice(3, 2, p=np.array([0.3, 0.3, 0.3], np.float32))


def test_sampler_exposes_distributed_sampler_attributes():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler
    for n, W, dl in ((10, 3, False), (10, 3, True), (2, 4, False)):
        d = DistributedSampler(range(n), num_replicas=W, rank=1, shuffle=True, drop_last=dl)
        p = philox.PhiloxSampler(n, num_replicas=W, rank=1, drop_last=dl)
        assert (len(p), p.total_size, p.num_replicas, p.rank, p.shuffle, p.drop_last, p.epoch) == (
            d.num_samples, d.total_size, d.num_replicas, d.rank, d.shuffle, d.drop_last, d.epoch)


def test_shuffle_of_an_inference_tensor_inside_and_outside_inference_mode():
    torch = pytest.importorskip("torch")
    with torch.inference_mode():
        t = torch.arange(6)
    s = philox.Stream(0, "inf", position=2)
    s.shuffle(t)  # philox writes it under inference_mode itself (as for a non-contiguous out=)
    assert s.position == 14 and t.tolist() == philox.Stream(0, "inf", position=2).permutation(6).tolist()
    with torch.inference_mode():
        s.shuffle(t)
    assert s.position == 26


def test_sampler_of_a_0d_array_names_the_argument():
    with pytest.raises(TypeError, match="data_source_or_len"):
        philox.PhiloxSampler(np.array(5))


def test_choice_from_an_empty_population_says_so_even_with_p():
    s = philox.Stream(0, position=1)
    with pytest.raises(ValueError, match="a is empty"):
        s.choice(0, p=[])  # said "p must not be all zero"
    with pytest.raises(ValueError, match="a is empty"):
        s.choice([], 2, p=[])
    assert s.position == 1


# ------------------------------------------------------------------------------------- FORMAT 6, read afresh
def _format6_pi(w, n):
    """docs/FORMAT.md 6 transcribed line by line (independently of tests/reference.py)."""
    import math
    w = [int(v) for v in w]
    m32 = 0xFFFFFFFF
    if n <= 20:
        L = ((w[0] + (w[1] << 32) + (w[2] << 64) + (w[3] << 96)) * math.factorial(n)) >> 128
        left, out = list(range(n)), []
        for k in range(n):
            d, L = L % (n - k), L // (n - k)
            out.append(left.pop(d))
        return out.__getitem__

    def mix32(x):
        x ^= x >> 16
        x = (x * 0x7FEB352D) & m32
        x ^= x >> 15
        x = (x * 0x846CA68B) & m32
        return x ^ (x >> 16)

    b = (n - 1).bit_length()

    def E(x):
        wl, wr = b // 2, b - b // 2
        hi, lo = x >> wr, x & ((1 << wr) - 1)
        for j in range(12):
            f = mix32(lo ^ w[j]) >> (32 - wl)
            hi, lo = lo, (hi + f) % (1 << wl)
            wl, wr = wr, wl
        return (hi << wr) | lo

    def pi(i):
        x = E(i)
        while x >= n:
            x = E(x)
        return x
    return pi


@pytest.mark.parametrize("n", list(range(1, 42)) + [64, 65, 1000, 2 ** 32 + 1, 10 ** 12, 2 ** 63 - 1])
def test_permutation_and_choice_follow_format_6_as_written(n):
    for seed in (0, 1):
        s = philox.Stream(seed, "format6", n, position=seed * 3)  # positions not a multiple of 4 too
        pi = _format6_pi(philox.Stream(seed, "format6", n, position=seed * 3).random_raw(12), n)
        k = min(n, 50)
        if n <= 1000:
            assert s.permutation(n).tolist() == [pi(i) for i in range(n)]
        else:
            assert s.choice(n, k, replace=False).tolist() == [pi(i) for i in range(k)]
        assert s.position == seed * 3 + 12


def test_padding_near_the_largest_n_does_not_overflow():
    T = 2 ** 63 - 1
    last = philox.PhiloxSampler(T, seed=0).indices_at([T - 1], epoch=0).tolist()
    for W in (3, 5):
        s = philox.PhiloxSampler(T, seed=0, num_replicas=W, rank=W - 1)
        st = s.state_dict()
        st["position"] = T - 1  # one sample left: rank W-1's position T + W - 2 is padding
        s.load_state_dict(st)
        assert len(s) == 1 and list(s) == last  # was an OverflowError (int64)


def test_checkpoint_in_the_last_steps_of_a_prefetching_dataloader():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader
    n, bs = 40, 4
    s = philox.PhiloxSampler(n, seed=3)
    loader = DataLoader(list(range(n)), sampler=s, batch_size=bs, num_workers=2, prefetch_factor=2)
    s.set_epoch(0)
    seen = []
    for step, b in enumerate(loader):
        seen += b.tolist()
        if step == 7:  # 2 batches left; the workers have taken every index already
            st = s.state_dict(consumed=(step + 1) * bs)
            break
    assert (st["epoch"], st["position"]) == (0, 32)
    r = philox.PhiloxSampler(n, seed=3)
    r.load_state_dict(st)
    r.set_epoch(0)
    assert sorted(seen + list(r)) == list(range(n))


def test_resume_across_world_sizes_in_every_mode():
    """Ranks in lockstep consume k indices each; a resume with another world size sees exactly the
    rest of the global order (shuffle, no shuffle, replacement, weights, num_samples > n)."""
    rng = np.random.default_rng(1)
    for _ in range(60):
        n = int(rng.integers(1, 30))
        T = int(rng.integers(1, 3 * n + 2))
        mode = int(rng.integers(0, 4))
        kw = dict(seed=int(rng.integers(0, 5)), num_samples=T)
        if mode == 1:
            kw["replacement"] = True
        elif mode == 2:
            kw["shuffle"] = False
        elif mode == 3:
            kw.update(weights=(rng.random(n) + 0.01).tolist(), replacement=True)
        W1, W2, e = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(0, 3))
        order = philox.PhiloxSampler(n, **kw).indices_at(np.arange(T), epoch=e).tolist()
        ranks = [philox.PhiloxSampler(n, num_replicas=W1, rank=r, **kw) for r in range(W1)]
        k = int(rng.integers(0, len(ranks[0]) + 1))
        for r, s in enumerate(ranks):
            s.set_epoch(e)
            it = iter(s)
            got = [next(it) for _ in range(k)]
            assert got == [order[(r + W1 * j) % T] for j in range(k)]  # padding repeats the first ones
        st = ranks[0].state_dict(consumed=k)
        pos = st["position"]
        assert (st["epoch"], pos) == (e, min(T, W1 * k))
        rest = {}
        for r in range(W2):
            s = philox.PhiloxSampler(n, num_replicas=W2, rank=r, **kw)
            s.load_state_dict(st)
            s.set_epoch(e)
            assert len(s) == -(-(T - pos) // W2)
            rest.update(zip(range(pos + r, T, W2), list(s)))
        assert [rest[g] for g in range(pos, T)] == order[pos:]


def test_randint_above_2_63_needs_uint64_and_says_so():
    """The README's ``randint(0, 2**64, size=3)``: the default int64 cannot hold it; the error names
    the dtype to pass (the dtype never depends on the bounds), and the position does not move."""
    s = philox.Stream(4, "ri", position=3)
    with pytest.raises(ValueError, match=r"pass dtype=np\.uint64"):
        s.randint(0, 2 ** 64, size=3)
    with pytest.raises(ValueError, match="does not fit") as e:
        s.randint(0, 300, size=3, dtype=np.int8)
    assert "uint64" not in str(e.value)  # the hint is only for values beyond int64
    assert s.position == 3
    x = s.randint(0, 2 ** 64, size=3, dtype=np.uint64)
    assert x.dtype == np.uint64 and s.position == 3 + 3 * 4
    assert (s.randint(0, 2 ** 64, size=64, dtype=np.uint64) >= 2 ** 63).any()
    y = s.randint(-2 ** 63, 2 ** 63, size=3)  # a range of 2**64 in the default int64
    assert y.dtype == np.int64


def test_sampler_help_says_what_counts_as_consumed():
    """help(philox.PhiloxSampler) explains consumption itself (it pointed to a private module's docstring)."""
    import pydoc
    text = pydoc.render_doc(philox.PhiloxSampler, renderer=pydoc.plaintext)
    assert "module doc" not in text
    doc = philox.PhiloxSampler.__doc__
    assert "What counts as consumed" in doc and "prefetch" in doc
    assert "state_dict(consumed=steps_done * batch_size)" in doc and "consumed_batches=steps_done" in doc
