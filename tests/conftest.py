"""Shared fixtures: instruction-set forcing and thread-count restoring.

Test modules import ``reference`` (the independent implementation of the format) and ``helpers``
from this folder; pytest's default ``prepend`` import mode puts it on ``sys.path``.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import philox  # noqa: E402
from philox import _core  # noqa: E402

ISAS = ("baseline", "avx2", "avx512")


def _have_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` are skipped where torch sees no CUDA GPU (``pytest -m cuda`` selects them)."""
    if any("cuda" in item.keywords for item in items) and not _have_cuda():
        skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(params=ISAS)
def isa(request):
    """Run the test once per instruction set of the CPU backend (skipped where unsupported);
    the automatic choice is restored afterwards, whatever happens."""
    name = request.param
    try:
        if not _core.force_isa(name):
            pytest.skip(f"this CPU (or build) has no {name}")
        assert _core.isa() == name
        yield name
    finally:
        _core.force_isa("auto")


@pytest.fixture
def num_threads():
    """Restores philox's thread count after the test."""
    saved = philox.get_num_threads()
    try:
        yield saved
    finally:
        philox.set_num_threads(saved)
