"""The README's "Reproducible initialization across parallelism layouts" example runs as written."""
import os
import re

import pytest

pytest.importorskip("torch", reason="the example initializes torch modules")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## Reproducible initialization across parallelism layouts\n")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def test_the_example_runs():
    blocks = _blocks()
    assert len(blocks) == 1
    exec(compile(blocks[0], "README initialization example", "exec"), {"__name__": "readme_nn_init"})
