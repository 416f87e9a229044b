"""The README's "Data loading" recipes run as written (each code block is self-checking)."""
import os
import re

import pytest

pytest.importorskip("torch", reason="the Data loading recipes use torch's DataLoader")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## Data loading\n")
    end = text.index("\n### Checkpoints\n", start)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def test_there_are_three_recipes():
    assert len(_blocks()) == 3


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no registry warning from a recipe
@pytest.mark.parametrize("i", range(3))
def test_recipe_runs(i, keep_globals):
    code = _blocks()[i]
    ns = {"__name__": f"readme_data_loading_{i}"}
    exec(compile(code, f"README Data loading block {i}", "exec"), ns)
