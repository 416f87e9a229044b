"""Golden values (tests/data/golden_v1.json) freeze stream format v1.

The file was made by tests/data/make_golden.py from the independent reference; philox must
reproduce every value bit for bit, and so must the reference (so neither can drift silently).
bfloat16 values are checked through torch when it is installed (numpy has no bfloat16).
"""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import philox
import reference as R

DATA = Path(__file__).parent / "data"
GOLDEN = json.loads((DATA / "golden_v1.json").read_text())


def _make_golden():
    spec = importlib.util.spec_from_file_location("make_golden", DATA / "make_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MG = _make_golden()
CASE_IDS = [f"case{i}" for i in range(len(GOLDEN["cases"]))]


def _stream(case):
    if case["path"] is not None:
        return philox.Stream(case["seed"], *case["path"], position=case["position"])
    return philox.Stream(case["seed"], id=case["id"], position=case["position"])


def _dtype(name):
    if name == "bfloat16":
        torch = pytest.importorskip("torch")
        return torch.bfloat16
    return np.dtype(name)


def _philox_draw(stream, method, args, dtype, n):
    dt = _dtype(dtype)
    if method in ("rand", "randn"):
        out = getattr(stream, method)(n, dtype=dt)
    else:
        out = getattr(stream, method)(*args, size=n, dtype=dt)
    if dtype == "bfloat16":
        import torch
        assert isinstance(out, torch.Tensor) and out.dtype == torch.bfloat16
        return out.view(torch.int16).numpy().view(np.uint16)
    assert isinstance(out, np.ndarray) and out.dtype == np.dtype(dtype) and out.shape == (n,)
    return out


def test_file_header():
    assert GOLDEN["format"] == philox.FORMAT_VERSION == 1
    assert GOLDEN["n"] == 8
    assert len(GOLDEN["cases"]) >= 5
    # unaligned positions are covered
    assert any(c["position"] % 4 for c in GOLDEN["cases"])
    assert set(GOLDEN["draws"]) == set(MG.DRAWS)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=CASE_IDS)
@pytest.mark.parametrize("name", list(GOLDEN["draws"]))
def test_philox_matches_golden(case, name):
    d = GOLDEN["draws"][name]
    s = _stream(case)
    assert s.id == case["id"]
    if name not in case["values"]:  # more words than the stream has left (make_golden.py): refused
        with pytest.raises(ValueError):
            _philox_draw(s, d["method"], d["args"], d["dtype"], GOLDEN["n"])
        assert s.position == case["position"]
        return
    got = MG.encode(_philox_draw(s, d["method"], d["args"], d["dtype"], GOLDEN["n"]), MG.CODE[d["dtype"]])
    assert got == case["values"][name]
    assert s.position == case["end_position"][name]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=CASE_IDS)
def test_reference_matches_golden(case):
    for name, d in GOLDEN["draws"].items():
        if name not in case["values"]:  # past the end of the stream
            continue
        if case["path"] is not None:
            r = R.RefStream(case["seed"], *case["path"], position=case["position"])
        else:
            r = R.RefStream(case["seed"], id=case["id"], position=case["position"])
        assert MG.reference_draw(r, d["method"], d["args"], d["dtype"]) == case["values"][name], name
        assert r.position == case["end_position"][name]


def test_make_golden_reproduces_the_file():
    assert MG.dumps(MG.build()) == (DATA / "golden_v1.json").read_text()


def test_golden_spot_values():
    # a few values written out, so that a regenerated file cannot silently replace the frozen one
    c0 = GOLDEN["cases"][0]
    # seed 0, stream id 0, word 0..3 is Philox4x32-10 of counter 0 under key 0 (Random123's first KAT)
    assert c0["values"]["random_raw_uint32"][:4] == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    assert c0["values"]["random_raw_uint64"][0] == 0xE169C58D6627E8D5
    # float32 uniform of word 0: (0x6627e8d5 >> 8) * 2**-24
    assert c0["values"]["rand_float32"][0] == format(int(np.float32((0x6627E8D5 >> 8) * 2.0 ** -24)
                                                        .view(np.uint32)), "08x")
    assert c0["values"]["randint_0_10_int64"][0] == (0xE169C58D6627E8D5 * 10) >> 64
