"""Seeding the global generators of other libraries from philox streams.

``seed_everything(seed)`` replaces the usual ``setup_seed`` recipe (``random.seed``,
``np.random.seed``, ``torch.manual_seed``, cuDNN flags); ``worker_init_fn`` does the
same inside DataLoader workers. Each library gets its own number, read from its own
named philox stream (docs/FORMAT.md, section "Seeds for other libraries"), so the
numbers are unrelated although they come from one seed.

torch is optional: without it (not installed) the torch steps are skipped.
"""
from __future__ import annotations

import os
import random
from typing import Optional

import numpy as np

from . import _dtypes as D
from . import _generator as _gen
from ._derive import LIBRARIES, DerivedSeeds, derived_seeds, library_seeds  # noqa: F401  (re-exported)
from ._keys import _is_int, normalize_seed

__all__ = ["seed_everything", "worker_init_fn", "derived_seeds", "library_seeds", "DerivedSeeds"]


def _torch():
    """torch if importable (imported here if needed), else None."""
    return D.torch_module()


def _apply(seeds: DerivedSeeds, torch) -> None:
    random.seed(seeds.random)
    np.random.seed(np.array(seeds.numpy, dtype=np.uint32))
    if torch is not None:
        torch.manual_seed(seeds.torch)  # seeds every CUDA device too (lazily, if not initialized)


def seed_everything(seed: Optional[int] = None, *, deterministic: bool = False) -> int:
    """Seed ``random``, numpy's global state, torch (CPU and all CUDA devices) and philox's
    default generator from one seed; returns the seed.

    Replaces the usual recipe::

        torch.manual_seed(seed); torch.cuda.manual_seed_all(seed)
        np.random.seed(seed); random.seed(seed)
        torch.backends.cudnn.deterministic = True

    Each library gets a different number, read from its own named philox stream
    (``("seed_everything", "random")``, ``("seed_everything", "numpy")``,
    ``("seed_everything", "torch")``; docs/FORMAT.md fixes how), so the seeds are
    unrelated and stable across philox versions within format v1. philox's default
    generator gets the seed itself: after ``seed_everything(s)``, ``philox.stream(...)``
    gives exactly what it gives after ``philox.manual_seed(s)`` (named streams restart
    at position 0, and every ``philox.isolate`` path restarts from its seed).

    Args:
        seed: an int in ``[-2**63, 2**64)`` (SPEC 2); None draws a fresh seed from OS
            entropy (returned, so it can be logged and replayed).
        deterministic: also make torch deterministic: ``cudnn.deterministic = True``,
            ``cudnn.benchmark = False``, ``torch.use_deterministic_algorithms(True)`` and
            the environment variable ``CUBLAS_WORKSPACE_CONFIG=":4096:8"`` unless it is
            already set (cuBLAS reads it when it starts, so call this before any GPU
            work). With ``False`` (the default) these settings are left as they are.

    Returns:
        The seed in use, normalized to ``[0, 2**64)`` (a negative seed ``s`` becomes
        ``s + 2**64``, as everywhere in philox); equal to ``philox.initial_seed()``.

    Raises:
        TypeError: ``seed`` is not an int (``bool`` and floats are refused) or
            ``deterministic`` is not a bool.
        ValueError: ``seed`` is outside ``[-2**63, 2**64)``.
        RuntimeError: called inside a ``philox.isolate`` block of the default generator.

    Nothing is changed when an error is raised. Without torch installed the torch steps
    are skipped (``deterministic=True`` then only sets ``CUBLAS_WORKSPACE_CONFIG``).
    torch is imported here if it is installed and not imported yet, so that its generator
    is seeded before the program's first torch draw.
    """
    if not isinstance(deterministic, (bool, np.bool_)):
        raise TypeError(f"deterministic must be a bool, got {deterministic!r} of type "
                        f"{type(deterministic).__name__}")
    s = _gen._fresh_seed() if seed is None else normalize_seed(seed)
    _gen.default_generator._check_not_isolating("seed_everything")
    torch = _torch()
    seeds = derived_seeds(s, "seed_everything")
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        if torch is not None:
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
            torch.use_deterministic_algorithms(True)
    _apply(seeds, torch)
    _gen.default_generator.manual_seed(s)
    return s


def worker_init_fn(worker_id: int) -> None:
    """``DataLoader(..., worker_init_fn=philox.worker_init_fn)``: seed a worker's ``random``,
    ``np.random`` and torch from philox streams, for legacy code that draws from them.

    Inside a DataLoader worker the key is torch's worker seed
    (``torch.utils.data.get_worker_info().seed`` = the loader's per-epoch base seed +
    worker id): the base seed is drawn from the main process's torch generator (or the
    loader's ``generator=``) when each epoch's iterator starts, so the worker seeds are
    reproducible once torch is seeded (``seed_everything`` does it), differ between
    workers, and differ from epoch to epoch (a fixed key would replay the same
    augmentations every epoch). Library ``L`` gets the words of
    ``Stream(worker_seed mod 2**64, "worker_init_fn", L)`` (docs/FORMAT.md).

    Called outside a worker (torch missing, or no worker running), the key is the default
    generator's seed and ``worker_id``: ``Stream(philox.initial_seed(), "worker_init_fn",
    L, worker_id)``.

    philox's own default generator is not touched. For new code, draw per-sample values from
    the sample's own stream (``PhiloxSampler(..., keys=True)`` and ``key.stream("aug")`` or
    ``with key.seeded("aug"):``), which do not depend on which worker loads a sample, nor on
    the number of workers (registered streams such as ``philox.stream("aug", index)`` do).

    Raises:
        TypeError / ValueError: ``worker_id`` is not an int in ``[0, 2**64)``.
    """
    if not _is_int(worker_id):
        raise TypeError(f"worker_id must be a non-negative int, got {worker_id!r} of type "
                        f"{type(worker_id).__name__}")
    wid = int(worker_id)
    if not 0 <= wid < 1 << 64:
        raise ValueError(f"worker_id must be in [0, 2**64), got {wid}")
    torch = _torch()
    info = None
    if torch is not None:
        from torch.utils.data import get_worker_info
        info = get_worker_info()
    if info is not None:
        seeds = derived_seeds(int(info.seed) % (1 << 64), "worker_init_fn")
    else:
        seeds = derived_seeds(_gen.default_generator.initial_seed(), "worker_init_fn", wid)
    _apply(seeds, torch)
