"""The public API's annotations (issue 10 item 5): mypy checks tests/typing/usage*.py, whose
``assert_type`` calls say what each call returns (numpy arrays and scalars without torch
arguments, ``torch.Tensor`` with them); each file also runs, so every call in it is a real one.
Skipped where mypy is not installed (it is in the ``[test]`` extra)."""
import os
import runpy
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "typing")


def _mypy(name):
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    pytest.importorskip("typing_extensions", reason="the usage files import assert_type from typing_extensions")
    # philox's overloads name torch types (under TYPE_CHECKING): without torch's stubs mypy reads
    # them as Any, and every overload with a torch argument would match
    pytest.importorskip("torch", reason="the annotations are checked against torch's stubs")
    cache = os.path.join(tempfile.gettempdir(), f"philox-mypy-cache-{os.getuid() if hasattr(os, 'getuid') else 0}")
    # --follow-imports=silent: philox, numpy and torch are read for their types, but only the
    # usage file's own errors count (the package's internals are not what this checks)
    r = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-color-output",
                        "--cache-dir", cache, os.path.join(HERE, name)],
                       capture_output=True, text=True, timeout=600, cwd=HERE)
    assert r.returncode == 0, r.stdout + r.stderr


def test_usage_without_torch_type_checks():
    _mypy("usage.py")


def test_usage_with_torch_type_checks():
    _mypy("usage_torch.py")


@pytest.mark.parametrize("name", ["usage.py", "usage_torch.py"])
def test_usage_files_run(name):
    if name == "usage_torch.py":
        pytest.importorskip("torch")
    pytest.importorskip("typing_extensions", reason="the usage files import assert_type from typing_extensions")
    runpy.run_path(os.path.join(HERE, name), run_name="usage")


def test_annotations_need_no_torch_at_run_time():
    # every annotation is a string (``from __future__ import annotations``) and torch is imported
    # only under TYPE_CHECKING: importing philox and drawing must not import torch (Stream.rand is
    # _core.StreamCore's C method; its annotated overloads are _Draws.rand's)
    code = ("import sys, philox; s = philox.Stream(1, 'a'); s.rand(3); s.randint(5); "
            "philox.Stream.uniform.__annotations__; philox._stream._Draws.rand.__annotations__; assert 'torch' not in sys.modules, 'torch imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
