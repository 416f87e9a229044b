"""The README's "Distributions" and "Randomness inside models" examples run as written."""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _blocks(title):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index(f"\n## {title}\n")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def test_the_numpy_example_runs(capsys):
    (block,) = _blocks("Distributions")
    exec(compile(block, "README distributions example", "exec"), {"__name__": "readme_dists"})
    assert int(capsys.readouterr().out) > 0  # the printed position: numpy consumed words


def test_the_dropout_example_runs():
    pytest.importorskip("torch", reason="the example trains a torch model")
    import philox.nn
    (block,) = _blocks("Randomness inside models")
    try:
        exec(compile(block, "README dropout example", "exec"), {"__name__": "readme_dropout"})
    finally:
        philox.nn.set_seed(0)
