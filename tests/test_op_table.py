"""The op table (csrc/ops.h, exported as ``_core.OPS``) is the one source of every op's facts, and
every op in it is complete: a pure-torch fallback implementation, a reference implementation
(tests/reference.py), golden values (tests/data/golden_v1.json) and a statistical test
(tests/test_statistics.py or tests/test_distributions.py). A new line in the table fails here
until all four exist.
"""
import ast
import json
from pathlib import Path

import numpy as np
import pytest

import philox
import reference as R
from philox import _core

HERE = Path(__file__).parent
NAMES = [name for _code, name, *_ in _core.OPS]
WORDS = {name: words for _code, name, words, *_ in _core.OPS}
DTYPE_CODE = {"float64": "f64", "float32": "f32", "float16": "f16", "bfloat16": "bf16", "int8": "i8",
              "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32",
              "uint64": "u64", "bool": "b8"}


def test_table_is_well_formed():
    codes = [code for code, *_ in _core.OPS]
    assert codes == list(range(len(codes))) and len(codes) >= 12
    assert len(set(NAMES)) == len(NAMES)
    for code, name, words, nbytes, dtypes in _core.OPS:
        assert _core.words_per_value(code) == words >= 1, name
        assert nbytes in (0, 1, 2, 4, 8), name
        assert dtypes and set(dtypes) <= set(DTYPE_CODE), name
        if nbytes:  # a fixed-size value: every output dtype has that size
            assert {np.dtype(d).itemsize if d != "bfloat16" else 2 for d in dtypes} == {nbytes}, name
    with pytest.raises(ValueError, match="unknown op"):
        _core.words_per_value(len(codes))
    with pytest.raises(ValueError, match="unknown op"):
        _core.words_per_value(-1)


def test_python_op_codes_derive_from_the_table():
    from philox import _stream
    by_name = {name: code for code, name, *_ in _core.OPS}
    assert _stream._RAW32 == by_name["raw32"] and _stream._RAW64 == by_name["raw64"]
    assert {by_name[f"uniform_{k}"] for k in ("f32", "f64", "f16", "bf16")} == set(_stream._UNIFORM.values())
    assert {by_name[f"normal_{k}"] for k in ("f32", "f64", "f16", "bf16")} == set(_stream._NORMAL.values())
    assert (_stream._INT_SMALL, _stream._INT_LARGE) == (by_name["int_small"], by_name["int_large"])


def test_unknown_op_codes_are_refused_before_any_state_changes():
    s = philox.Stream(1, "op")
    cur = s._cursor
    out = np.empty(4, np.uint32)
    for bad in (len(NAMES), -1, 1 << 20):
        with pytest.raises(ValueError, match="unknown op"):
            _core.fill_array(cur, bad, 1, 2, 3, out, True, 4, False, 0.0, 0.0, 0.0, 0, 0)
        with pytest.raises(ValueError, match="unknown op"):
            _core.fill_rows(bad, 1, 2, 3, 0, 1, 0, 0, out.ctypes.data, 4, False, 4, False, 0.0, 0.0, 0.0, 0, 0)
    assert s.position == 0


# ---------------------------------------------------------------------------------------------
# Which op a draw used: spy on the _core entry points that take an op code.
# Small draws call _core.draw_small / fill_small through philox._stream's module globals.
_ENTRY_POINTS = ("fill_array", "fill_ptr", "fill_rows", "_stream._draw_small", "_stream._fill_small")


@pytest.fixture
def ops_used(monkeypatch):
    from philox import _stream
    seen = []
    for fn_name in _ENTRY_POINTS:
        owner, attr = (_stream, fn_name.split(".")[1]) if "." in fn_name else (_core, fn_name)
        real = getattr(owner, attr)

        def spy(*args, _real=real, _name=fn_name):
            seen.append(args[0] if _name == "fill_rows" else args[1])
            return _real(*args)
        monkeypatch.setattr(owner, attr, spy)
    return seen


def _draw(stream, method, args, dtype, n):
    # Stream's C small-draw paths (_core.StreamCore.rand/randn/randint) reach the kernels with no
    # spyable call: take the generic draw (tests/test_small_draws.py checks the two are equal)
    stream._small_ok = False
    if dtype == "bfloat16":
        torch = pytest.importorskip("torch")
        dt = torch.bfloat16
    else:
        dt = np.dtype(dtype)
    if method in ("rand", "randn"):
        out = getattr(stream, method)(n, dtype=dt)
    else:
        out = getattr(stream, method)(*args, size=n, dtype=dt)
    if dtype == "bfloat16":
        import torch
        return out.view(torch.int16).numpy().view(np.uint16)
    return out


def _one_op(seen, what):
    assert seen, (f"{what}: no op code reached {_ENTRY_POINTS}; if draws now enter _core elsewhere, "
                  "add that entry point to this test's spy")
    assert len(set(seen)) == 1, (what, seen)
    return NAMES[seen[0]]


# The golden draws (tests/data/make_golden.py's DRAWS): each uses one op, and together they use
# every op of the table; for each, philox equals the reference's OP_VALUES of that op.
GOLDEN = json.loads((HERE / "data" / "golden_v1.json").read_text())


@pytest.mark.parametrize("key", list(GOLDEN["draws"]))
def test_every_op_has_a_reference_implementation(key, ops_used):
    """The golden draw `key` uses one op, and philox's values equal reference.OP_VALUES[op] applied
    to the same words (so a new op's reference implementation is checked as soon as it has golden
    values)."""
    d = GOLDEN["draws"][key]
    n, pos = 37, 5
    s = philox.Stream(2024, "op-table", key, position=pos)
    got = _draw(s, d["method"], d["args"], d["dtype"], n)
    name = _one_op(ops_used, key)
    assert s.position == pos + n * WORDS[name]
    w = R.words(R.normalize_seed(2024), R.stream_id("op-table", key), pos, n * WORDS[name])
    if name in R.RETRY_OPS:  # rejection samplers also read their values' retry streams (FORMAT 13.1)
        want = np.asarray(R.OP_VALUES[name](w, n, tuple(d["args"]), DTYPE_CODE[d["dtype"]],
                                            (R.normalize_seed(2024), R.stream_id("op-table", key), pos,
                                             d["method"])))
    else:
        want = np.asarray(R.OP_VALUES[name](w, n, tuple(d["args"]), DTYPE_CODE[d["dtype"]]))
    got = np.asarray(got)
    if d["dtype"] in ("float16", "bfloat16"):  # the reference gives 16-bit floats as their bits
        got = got.view(np.uint16)
    assert got.dtype == want.dtype and np.array_equal(got.view(np.uint8), want.view(np.uint8)), key


def test_every_op_has_golden_values(ops_used):
    """Some golden draw uses each op (bfloat16 draws need torch)."""
    pytest.importorskip("torch")
    covered = set()
    for key, d in GOLDEN["draws"].items():
        ops_used.clear()
        _draw(philox.Stream(1, "golden-ops"), d["method"], d["args"], d["dtype"], 4)
        covered.add(_one_op(ops_used, key))
    assert covered == set(NAMES), f"ops without golden values: {sorted(set(NAMES) - covered)}"
    assert set(R.OP_VALUES) == set(NAMES)


def test_every_op_has_a_fallback_implementation():
    pytest.importorskip("torch")
    from philox import _torch_fallback as F
    assert set(F.VALUES) == set(NAMES)
    assert F._OP_WORDS == {code: words for code, _n, words, *_ in _core.OPS}


def test_every_op_has_backend_cases():
    """tests/backend_cases.py (the fallback, GPU-emulation and CUDA tests) covers every op."""
    pytest.importorskip("torch")
    from backend_cases import CASES
    assert {c.op for c in CASES} == set(range(len(NAMES)))


def test_every_op_has_a_statistical_test():
    """OPS_TESTED of tests/test_statistics.py and tests/test_distributions.py names, for every op,
    tests that exist in that module (read without importing them: they need scipy)."""
    covered = {}
    for module in ("test_statistics.py", "test_distributions.py"):
        tree = ast.parse((HERE / module).read_text())
        table = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                     and any(getattr(t, "id", None) == "OPS_TESTED" for t in node.targets))
        tests = {node.name for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
        for name, fns in table.items():
            assert name not in covered, f"{name} in two OPS_TESTED tables"
            assert fns and set(fns) <= tests, (module, name, sorted(set(fns) - tests))
            covered[name] = fns
    assert set(covered) == set(NAMES), f"ops without a statistical test: {sorted(set(NAMES) - set(covered))}"
