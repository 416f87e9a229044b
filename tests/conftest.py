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


@pytest.fixture
def keep_globals():
    """Put back everything that seeding philox and the global generators changes: ``random``,
    numpy's global state, philox's default generator (with its isolated states), torch's CPU
    generator, the cuDNN / deterministic-algorithm flags and ``CUBLAS_WORKSPACE_CONFIG``."""
    import random

    import numpy as np
    torch = sys.modules.get("torch")
    saved = (random.getstate(), np.random.get_state(), philox.default_generator.state_dict(),
             os.environ.get("CUBLAS_WORKSPACE_CONFIG"))
    if torch is not None:
        flags = (torch.get_rng_state(), torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
                 torch.are_deterministic_algorithms_enabled())
    yield
    random.setstate(saved[0])
    np.random.set_state(saved[1])
    philox.default_generator.load_state_dict(saved[2])
    if saved[3] is None:
        os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
    else:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = saved[3]
    if torch is not None:
        torch.set_rng_state(flags[0])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = flags[1:3]
        torch.use_deterministic_algorithms(flags[3])


@pytest.fixture
def torch_backend():
    """Every tensor output goes through the pure-torch fallback during the test (then 'auto')."""
    from philox import _backend
    _backend.set_backend("torch")
    try:
        yield
    finally:
        _backend.set_backend("auto")
