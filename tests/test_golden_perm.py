"""Golden values of the keyed bijection, choice with p and sampler orders (tests/data/golden_perm_v1.json).

Made by tests/data/make_golden.py from the independent reference; philox must reproduce them bit for
bit (numpy, CPU tensors through the torch mirror) and the file must match the reference.
"""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import philox
from philox import _core

DATA = Path(__file__).parent / "data"
GOLDEN = json.loads((DATA / "golden_perm_v1.json").read_text())


def _make_golden():
    spec = importlib.util.spec_from_file_location("make_golden", DATA / "make_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _stream(c):
    return philox.Stream(c["seed"], *c["path"], position=c["position"])


@pytest.mark.parametrize("c", GOLDEN["permutations"], ids=lambda c: f"n{c['n']}")
def test_permutations(c):
    s = _stream(c)
    n = c["n"]
    if n <= 64:
        assert s.permutation(n).tolist() == c["values"]
    else:
        w = s.random_raw(12)
        out = np.empty(1, np.int64)
        got = []
        for i in c["indices"]:
            _core.perm_fill(w, n, i, 1, out, False)
            got.append(int(out[0]))
        assert got == c["values"]
    assert s.position == c["end_position"]


@pytest.mark.parametrize("c", GOLDEN["permutations"][:14], ids=lambda c: f"n{c['n']}")
def test_permutations_torch_mirror(c):
    pytest.importorskip("torch")
    from philox._permute_torch import perm_indices_torch
    w = _stream(c).random_raw(12)
    got = [int(perm_indices_torch(w, c["n"], i, 1, 1, "cpu")[0]) for i in c["indices"]]
    assert got == c["values"]


@pytest.mark.parametrize("c", GOLDEN["choices"], ids=lambda c: f"replace{c['replace']}")
def test_choices(c):
    s = _stream(c)
    got = s.choice(len(GOLDEN["weights"]), size=c["size"], replace=c["replace"], p=GOLDEN["weights"])
    assert got.tolist() == c["values"] and s.position == c["end_position"]


@pytest.mark.parametrize("c", GOLDEN["samplers"], ids=lambda c: c["mode"])
def test_samplers(c):
    pytest.importorskip("torch")
    mode = c["mode"]
    kw = dict(seed=c["seed"], stream=tuple(c["stream"]), shuffle=mode != "sequential",
              replacement=mode in ("replacement", "weights_replacement"))
    if mode.startswith("weights"):
        kw["weights"] = GOLDEN["weights"]
    kw["num_samples"] = len(c["values"])  # the order of a position does not depend on num_samples
    s = philox.PhiloxSampler(c["n"], **kw)
    s.set_epoch(c["epoch"])
    it = iter(s)
    assert [next(it) for _ in c["values"]] == c["values"]


def test_file_is_made_by_the_script():
    mg = _make_golden()
    assert mg.dumps(mg.build_perm()) == (DATA / "golden_perm_v1.json").read_text()


def test_spot_values():
    # written out, so a regenerated file cannot silently replace the frozen one
    c = GOLDEN["permutations"][3]
    assert (c["seed"], c["n"]) == (0, 4)
    assert c["values"] == philox.Stream(0).permutation(4).tolist()
