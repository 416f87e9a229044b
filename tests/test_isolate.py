"""philox.isolate: per-path persistent states of the global RNGs, order independence, restore, checkpoints."""
import copy
import json
import pickle
import random
import threading

import numpy as np
import pytest

import philox
from philox import _globals_state as _isolate  # the state copies moved out of _isolate

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture(autouse=True)
def restore_globals(keep_globals):
    """Every test here changes the global generators: put them back afterwards (conftest)."""
    yield


@pytest.fixture(params=["fast", "slow"])
def numpy_path(request, monkeypatch):
    """Run with the raw-memory state copies (numpy and random) and with the libraries' own
    get_state/set_state and getstate/setstate."""
    if request.param == "fast":
        if _isolate._np_current() is None or _isolate._rnd_current() is None:
            pytest.skip("this numpy's or Python's generator layout is not recognized (slow path only)")
    else:
        monkeypatch.setattr(_isolate, "_np_fast", [None])
        monkeypatch.setattr(_isolate, "_probe", lambda: None)
        monkeypatch.setattr(_isolate, "_rnd_fast", [None])
        monkeypatch.setattr(_isolate, "_probe_random", lambda: None)
    return request.param


def _globals():
    """Snapshot of every global generator's state, comparable with ==."""
    _, key, pos, hg, g = np.random.get_state()
    t = torch.get_rng_state().tolist() if torch is not None else None
    return random.getstate(), key.tolist(), pos, hg, g, t


# Legacy functions: each draws from the global generators directly. They share numpy's
# global state, and normals leave numpy's legacy cached value behind (odd counts).
def f_init():
    return np.random.randn(3).tolist() + [random.gauss(0, 1)]


def f_drop():
    return np.random.rand(2).tolist() + [random.random()] + (torch.rand(2).tolist() if torch is not None else [])


def f_aug():
    return [np.random.randint(0, 1000), random.randint(0, 9)] + (torch.randn(1).tolist() if torch is not None else [])


FUNCS = {"init": f_init, "drop": f_drop, "aug": f_aug}


def _project(order, seed=888, isolated=True):
    philox.seed_everything(seed)
    fns = {k: philox.isolate(k)(f) if isolated else f for k, f in FUNCS.items()}
    out = {k: [] for k in FUNCS}
    for name in order:
        out[name].append(fns[name]())
    return out


def test_order_swapped_workflows_equal(numpy_path):
    a = _project(["init", "drop", "aug", "init", "aug", "drop", "init"])
    b = _project(["aug", "aug", "drop", "init", "init", "drop", "init"])
    assert a == b
    # the same workflow without isolate does depend on the order
    assert _project(["init", "drop", "aug"], isolated=False) != _project(["aug", "drop", "init"], isolated=False)


def test_isolated_values_are_the_paths_own_streams():
    """A path starts from the states seeded by Stream(seed, "isolate", L, *path) (docs/FORMAT.md)."""
    from philox._seeding import derived_seeds
    philox.manual_seed(99)
    with philox.isolate("p", 1):
        got = random.random(), np.random.rand(), (torch.rand(1).item() if torch is not None else None)
    d = derived_seeds(99, "isolate", "p", 1)
    assert got[0] == random.Random(d.random).random()
    assert got[1] == np.random.RandomState(np.array(d.numpy, np.uint32)).rand()
    if torch is not None:
        assert got[2] == torch.rand(1, generator=torch.Generator().manual_seed(d.torch)).item()


def test_paths_and_generators_are_independent():
    philox.manual_seed(1)
    with philox.isolate("a"):
        a = np.random.rand(3)
    with philox.isolate("b"):
        b = np.random.rand(3)
    g = philox.Generator(2)
    with g.isolate("a"):
        ga = np.random.rand(3)
    assert not np.array_equal(a, b) and not np.array_equal(a, ga)


def test_outer_states_restored(numpy_path):
    np.random.randn(1)  # leave a cached gaussian in numpy's global state
    before = _globals()
    with philox.isolate("x"):
        f_init(), f_drop(), f_aug()
        assert _globals() != before
    assert _globals() == before


def test_outer_draws_unaffected_by_isolated_calls(numpy_path):
    philox.seed_everything(3)
    plain = [f_init(), f_drop()]
    philox.seed_everything(3)
    iso = philox.isolate("x")(f_aug)
    mixed = [(iso(), f_init())[1], (iso(), f_drop())[1]]
    assert mixed == plain


def test_exception_restores_and_keeps_path_state(numpy_path):
    philox.manual_seed(4)
    before = _globals()
    with pytest.raises(KeyError):
        with philox.isolate("x"):
            first = np.random.rand(2)
            raise KeyError("boom")
    assert _globals() == before
    with philox.isolate("x"):
        second = np.random.rand(2)
    philox.manual_seed(4)
    with philox.isolate("x"):
        ref = np.random.rand(4)
    assert np.array_equal(np.concatenate([first, second]), ref)  # the draws before the error count


def test_decorator_exception_restores():
    before = _globals()

    @philox.isolate("bad")
    def bad():
        random.random()
        raise ValueError("x")
    with pytest.raises(ValueError):
        bad()
    assert _globals() == before


def test_nesting(numpy_path):
    philox.manual_seed(5)
    before = _globals()
    with philox.isolate("outer"):
        o1 = np.random.rand(2)
        with philox.isolate("inner"):
            i1 = np.random.rand(2), random.random()
        o2 = np.random.rand(2)
    assert _globals() == before
    philox.manual_seed(5)
    with philox.isolate("inner"):
        i_ref = np.random.rand(2), random.random()
    with philox.isolate("outer"):
        o_ref = np.random.rand(4)
    assert np.array_equal(i1[0], i_ref[0]) and i1[1] == i_ref[1]
    assert np.array_equal(np.concatenate([o1, o2]), o_ref)


def test_recursion_reenters_innermost_path():
    @philox.isolate("rec")
    def rec(k):
        v = [np.random.rand()]
        return v + rec(k - 1) if k else v

    philox.manual_seed(6)
    before = _globals()
    got = rec(3)
    assert _globals() == before
    philox.manual_seed(6)
    with philox.isolate("rec"):
        assert np.array_equal(np.random.rand(4), got)


def test_reentering_an_outer_path_refused():
    before = _globals()
    with philox.isolate("a"):
        with philox.isolate("b"):
            with pytest.raises(RuntimeError, match="already open"):
                with philox.isolate("a"):
                    pass
    assert _globals() == before


def test_other_thread_refused():
    errors = []

    def other():
        try:
            with philox.isolate("t"):
                pass
        except RuntimeError as e:
            errors.append(e)
    with philox.isolate("main"):
        th = threading.Thread(target=other)
        th.start()
        th.join()
    assert errors and "thread" in str(errors[0])
    th = threading.Thread(target=other)  # no block open: fine from any thread
    th.start()
    th.join()
    assert len(errors) == 1


def test_manual_seed_restarts_paths():
    philox.manual_seed(7)
    with philox.isolate("x"):
        a = np.random.rand(3)
    with philox.isolate("x"):
        assert not np.array_equal(np.random.rand(3), a)
    philox.manual_seed(7)
    with philox.isolate("x"):
        assert np.array_equal(np.random.rand(3), a)


def test_manual_seed_and_load_refused_inside_block():
    philox.manual_seed(7)
    sd = philox.default_generator.state_dict()
    with philox.isolate("x"):
        with pytest.raises(RuntimeError, match="isolate"):
            philox.manual_seed(8)
        with pytest.raises(RuntimeError, match="isolate"):
            philox.default_generator.load_state_dict(sd)
    assert philox.initial_seed() == 7


# ---------------------------------------------------------------- checkpoints
def _run_and_checkpoint(g):
    with g.isolate("a"):
        np.random.randn(3)  # odd count: a cached gaussian is part of the state
        random.random()
        if torch is not None:
            torch.rand(2)
    with g.isolate("b", 2):
        np.random.rand(1)
    return g.state_dict()


def _next_values(g):
    out = []
    for p in (("a",), ("b", 2)):
        with g.isolate(*p):
            out.append((np.random.randn(3).tolist(), random.random(),
                        torch.rand(2).tolist() if torch is not None else None))
    return out


@pytest.mark.parametrize("how", ["same", "new", "pickle", "json", "deepcopy"])
def test_checkpoint_round_trip(how, numpy_path):
    g = philox.Generator(10)
    sd = _run_and_checkpoint(g)
    expected = _next_values(g)
    if how == "same":
        g.load_state_dict(sd)
        g2 = g
    elif how == "new":
        g2 = philox.Generator(0)
        g2.load_state_dict(sd)
    elif how == "json":
        g2 = philox.Generator(0)
        g2.load_state_dict(json.loads(json.dumps(sd)))
    elif how == "deepcopy":
        g2 = philox.Generator(0)
        g2.load_state_dict(copy.deepcopy(sd))
    else:
        g.load_state_dict(sd)
        g2 = pickle.loads(pickle.dumps(g))
    assert _next_values(g2) == expected


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_checkpoint_with_torch_save(tmp_path):
    g = philox.Generator(10)
    sd = _run_and_checkpoint(g)
    expected = _next_values(g)
    torch.save(sd, tmp_path / "ck.pt")
    g2 = philox.Generator(0)
    g2.load_state_dict(torch.load(tmp_path / "ck.pt", weights_only=True))
    assert _next_values(g2) == expected


def test_checkpoint_inside_open_blocks():
    g = philox.Generator(11)
    with g.isolate("a"):
        np.random.rand(2)
        with g.isolate("b"):
            np.random.rand(1)
            sd = g.state_dict()
            b_next = np.random.rand(2)
        a_next = np.random.rand(2)
    g2 = philox.Generator(0)
    g2.load_state_dict(sd)
    with g2.isolate("b"):
        assert np.array_equal(np.random.rand(2), b_next)
    with g2.isolate("a"):
        assert np.array_equal(np.random.rand(2), a_next)


def test_state_dict_without_isolate_entry():
    g = philox.Generator(12)
    g.stream("s").rand(3)
    assert "isolate" not in g.state_dict()  # what philox wrote before isolate existed
    with g.isolate("x"):
        a = np.random.rand(2)
    old = philox.Generator(12)
    old.stream("s").rand(3)
    g.load_state_dict(old.state_dict())  # old dicts load; isolated paths restart from the seed
    with g.isolate("x"):
        assert np.array_equal(np.random.rand(2), a)


def _good_state():
    g = philox.Generator(13)
    with g.isolate("a"):
        np.random.rand(1)
        random.random()
        if torch is not None:
            torch.rand(1)
    return g.state_dict()


def _mutations():
    def at(f):
        def m(d):
            f(d)
            return d
        return m

    def entry(d):
        return d["isolate"]["paths"][0]
    muts = [
        ("version 2", at(lambda d: d["isolate"].__setitem__("version", 2)), ValueError),
        ("version True", at(lambda d: d["isolate"].__setitem__("version", True)), ValueError),
        ("isolate not a dict", at(lambda d: d.__setitem__("isolate", [])), TypeError),
        ("isolate extra key", at(lambda d: d["isolate"].__setitem__("x", 1)), ValueError),
        ("paths not a list", at(lambda d: d["isolate"].__setitem__("paths", "a")), TypeError),
        ("entry missing key", at(lambda d: entry(d).pop("numpy")), ValueError),
        ("entry not a dict", at(lambda d: d["isolate"]["paths"].append(3)), ValueError),
        ("empty path", at(lambda d: entry(d).__setitem__("path", [])), TypeError),
        ("bad path component", at(lambda d: entry(d).__setitem__("path", [1.5])), TypeError),
        ("negative path component", at(lambda d: entry(d).__setitem__("path", [-1])), ValueError),
        ("duplicate path", at(lambda d: d["isolate"]["paths"].append(copy.deepcopy(entry(d)))), ValueError),
        ("random not a list", at(lambda d: entry(d).__setitem__("random", 3)), ValueError),
        ("random short", at(lambda d: entry(d)["random"][1].pop()), ValueError),
        ("random word out of range", at(lambda d: entry(d)["random"][1].__setitem__(0, 2**32)), ValueError),
        ("random index too big", at(lambda d: entry(d)["random"][1].__setitem__(624, 625)), ValueError),
        ("random bad version", at(lambda d: entry(d)["random"].__setitem__(0, 99)), ValueError),
        ("random gauss str", at(lambda d: entry(d)["random"].__setitem__(2, "x")), TypeError),
        ("numpy not a dict", at(lambda d: entry(d).__setitem__("numpy", [1])), ValueError),
        ("numpy key short", at(lambda d: entry(d)["numpy"]["key"].pop()), ValueError),
        ("numpy key negative", at(lambda d: entry(d)["numpy"]["key"].__setitem__(3, -1)), ValueError),
        ("numpy pos 625", at(lambda d: entry(d)["numpy"].__setitem__("pos", 625)), ValueError),
        ("numpy has_gauss 2", at(lambda d: entry(d)["numpy"].__setitem__("has_gauss", 2)), ValueError),
        ("numpy gauss str", at(lambda d: entry(d)["numpy"].__setitem__("gauss", "x")), TypeError),
        ("unknown top-level key", at(lambda d: d.__setitem__("extra", 1)), ValueError),
    ]
    if torch is not None:
        muts += [
            ("torch byte 256", at(lambda d: entry(d)["torch"].__setitem__(0, 256)), ValueError),
            ("torch wrong length", at(lambda d: entry(d)["torch"].pop()), ValueError),
            ("torch not a list", at(lambda d: entry(d).__setitem__("torch", "abc")), TypeError),
            ("cuda not a list", at(lambda d: entry(d).__setitem__("cuda", 5)), TypeError),
            ("cuda byte bad", at(lambda d: entry(d).__setitem__("cuda", [[300]])), ValueError),
        ]
    return muts


@pytest.mark.parametrize("name,mutate,exc", _mutations(), ids=[m[0] for m in _mutations()])
def test_bad_state_dict_rejected_without_change(name, mutate, exc):
    bad = mutate(copy.deepcopy(_good_state()))
    g = philox.Generator(20)
    g.stream("s").rand(2)
    with g.isolate("a"):
        np.random.rand(3)
    before = g.state_dict()
    glob = _globals()
    with pytest.raises(exc):
        g.load_state_dict(bad)
    assert g.state_dict() == before
    assert _globals() == glob


# ---------------------------------------------------------------- the API's own errors
def test_decorator_keeps_metadata_and_args():
    @philox.isolate("m")
    def f(a, *, b=2):
        """doc"""
        return a + b
    assert f.__name__ == "f" and f.__doc__ == "doc" and f(1, b=3) == 4


@pytest.mark.parametrize("path,exc,match", [((), ValueError, "non-empty"), ((1.5,), TypeError, "path"),
                                            ((-1,), ValueError, "path"), ((True,), TypeError, "path"),
                                            ((print,), TypeError, "isolate\\('name'\\)")])
def test_bad_paths(path, exc, match):
    with pytest.raises(exc, match=match):
        philox.isolate(*path)


def test_generator_functions_refused():
    def gen():
        yield np.random.rand()

    async def co():
        return 1
    for f in (gen, co):
        with pytest.raises(TypeError, match="generator/async"):
            philox.isolate("g")(f)
    with pytest.raises(TypeError, match="decorates a function"):
        philox.isolate("g")(3)


def test_repr_and_path():
    b = philox.isolate("a", 2)
    assert b.path == ("a", 2) and repr(b) == "philox.isolate('a', 2)"


def test_numpy_fast_path_matches_numpy_api():
    f = _isolate._np_current()
    if f is None:
        pytest.skip("numpy layout not recognized: slow path in use")
    np.random.seed(3)
    np.random.randn(1)
    st = _isolate._np_get()
    _, key, pos, hg, g = np.random.get_state()
    assert st == (key.tobytes(), pos, hg, g) and hg == 1
    np.random.seed(4)
    _isolate._np_set(st)
    _, key2, pos2, hg2, g2 = np.random.get_state()
    assert (key2.tobytes(), pos2, hg2, g2) == st


def test_random_fast_path_matches_random_api():
    f = _isolate._rnd_current()
    if f is None:
        pytest.skip("Python's Random layout not recognized: slow path in use")
    random.seed(3)
    random.gauss(0, 1)  # leaves gauss_next set
    st = _isolate._rnd_get()
    v, internal, g = random.getstate()
    assert st == (np.array(internal[:624], np.uint32).tobytes(), internal[624], g) and g is not None
    random.seed(4)
    _isolate._rnd_set(st)
    assert random.getstate() == (v, internal, g)


def test_random_global_replaced_falls_back(monkeypatch):
    if _isolate._rnd_current() is None:
        pytest.skip("slow path in use")
    r = random.Random(5)
    monkeypatch.setattr(random, "_inst", r)
    f = _isolate._rnd_current()
    assert f is None or f.obj is r


def test_numpy_global_replaced_falls_back(monkeypatch):
    """A replaced global RandomState is noticed (re-probed), never written through stale addresses."""
    if _isolate._np_current() is None:
        pytest.skip("slow path in use")
    rs = np.random.RandomState(5)
    monkeypatch.setattr(np.random.mtrand, "_rand", rs)
    f = _isolate._np_current()
    assert f is None or f.rs is rs


@pytest.mark.cuda
def test_cuda_states_isolated():
    if torch is None or not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    torch.cuda.init()

    def gpu_fn():
        return torch.rand(4, device="cuda").tolist()

    def project(order):
        philox.seed_everything(1)
        fns = {"a": philox.isolate("a")(gpu_fn), "b": philox.isolate("b")(gpu_fn)}
        return {k: fns[k]() for k in order}
    assert project("ab") == project("ba")
    before = torch.cuda.get_rng_state_all()
    with philox.isolate("a"):
        torch.rand(3, device="cuda")
    assert all(torch.equal(x, y) for x, y in zip(before, torch.cuda.get_rng_state_all()))
    g = philox.Generator(3)
    with g.isolate("c"):
        torch.rand(3, device="cuda")
    sd = g.state_dict()
    assert sd["isolate"]["paths"][0]["cuda"] is not None
    with g.isolate("c"):
        nxt = gpu_fn()
    g2 = philox.Generator(0)
    g2.load_state_dict(sd)
    with g2.isolate("c"):
        assert gpu_fn() == nxt


def test_interleavings_property():
    """Any interleaving of isolated calls gives each function the values it gets when run alone."""
    from hypothesis import given, settings, strategies as st

    def alone(name, k):
        philox.manual_seed(21)
        f = philox.isolate(name)(FUNCS[name])
        return [f() for _ in range(k)]

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.sampled_from(sorted(FUNCS)), max_size=8))
    def check(order):
        philox.manual_seed(21)
        fns = {k: philox.isolate(k)(f) for k, f in FUNCS.items()}
        got = {k: [] for k in FUNCS}
        for name in order:
            got[name].append(fns[name]())
            np.random.rand()  # the caller's own draws in between change nothing
        for name, values in got.items():
            assert values == alone(name, len(values))
    check()


def test_checkpoint_inside_blocks_of_two_generators():
    g1, g2 = philox.Generator(31), philox.Generator(32)
    with g1.isolate("a"):
        np.random.rand(2)
        with g2.isolate("a"):
            np.random.rand(1)
            sd1, sd2 = g1.state_dict(), g2.state_dict()
            n2 = np.random.rand(2)
        n1 = np.random.rand(2)
    h1, h2 = philox.Generator(0), philox.Generator(0)
    h1.load_state_dict(sd1)
    h2.load_state_dict(sd2)
    with h1.isolate("a"):
        assert np.array_equal(np.random.rand(2), n1)
    with h2.isolate("a"):
        assert np.array_equal(np.random.rand(2), n2)
