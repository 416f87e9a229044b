"""Per-sample randomness: ``SampleKey`` and ``sample_stream``.

A sample's randomness (its augmentation, dropout mask, crop...) must be a pure function of
(seed, epoch, index), whatever loads it: the worker, the number of workers, whether they persist,
the world size, a resume. The registered streams of ``philox.stream`` cannot give that (each
process has its own copy of their positions), so per-sample values come from a fresh,
unregistered ``Stream`` named by the sample (docs/FORMAT.md section 8)::

    Stream(seed, *sampler_stream, "sample", epoch, index, *path)

``PhiloxSampler(..., keys=True)`` yields ``SampleKey`` objects: ints (the index) that also carry
the epoch, the sampler's seed and stream path, so the epoch travels with the index into the
DataLoader workers. ``key.stream(*path)`` is the stream above at position 0; ``key.seeded(*path)``
seeds the global generators of ``random``, numpy and torch from it for code that draws from them
(third-party transforms). ``philox.sample_stream(seed, epoch, index, *path)`` and
``SampleKey(index, epoch=..., seed=...)`` give the same without a sampler (iterable datasets,
other samplers).
"""
from __future__ import annotations

import random
import warnings
from functools import lru_cache
from typing import Tuple

import numpy as np

from ._globals_state import cuda_ready, get_globals, set_globals, torch_cached
from . import _core
from ._keys import (_STR_IDS, Component, check_u64, checked_path_id, fold_component, normalize_path,
                    normalize_seed, path_id)
from ._derive import library_seeds
from ._stream import Stream, trusted_stream

__all__ = ["SampleKey", "sample_stream", "SEEDED"]

#: The component ``key.seeded(*path)`` appends to ``key.stream(*path)``'s path for the stream its
#: seeds come from (docs/FORMAT.md section 8.1): user paths should not use it there.
SEEDED = "seeded"

_DEFAULT_STREAM = ("sampler",)
_key_stream = _core.key_stream
checked_path_id(_DEFAULT_STREAM + ("sample",))  # their strs, known to _key_stream's fold from the start
# key.seeded reads one stream: words 0-3 seed random, 4-7 numpy, 8-9 torch (docs/FORMAT.md 8.1)
_SEED_OFFSET = {"random": 0, "numpy": 4, "torch": 8}
_SEED_WORDS = 10


def _sampler_path(stream) -> Tuple[Component, ...]:
    if isinstance(stream, (str, int, np.integer)) and not isinstance(stream, (bool, np.bool_)):
        stream = (stream,)
    if not isinstance(stream, (tuple, list)):
        raise TypeError(f"stream must be a str or a tuple of str/int components, got {stream!r}")
    return normalize_path(stream, "stream")


@lru_cache(maxsize=256)
def _epoch_id(path: tuple, epoch: int) -> int:
    """Stream id of ``(*path, "sample", epoch)``: shared by every key of a sampler's epoch."""
    return path_id(path + ("sample", epoch))


def _make(cls, index: int, epoch: int, seed: int, path: tuple) -> "SampleKey":
    """A key from checked values (the sampler's fast path, and unpickling)."""
    k = int.__new__(cls, index)
    d = k.__dict__
    d["_epoch"], d["_seed"], d["_path"] = epoch, seed, path
    return k


def _rebuild(index, epoch, seed, path):
    return _make(SampleKey, index, epoch, seed, tuple(path))


class SampleKey(int):
    """The index of a sample (an ``int``), carrying its epoch and the sampler's seed and stream path.

    ``PhiloxSampler(..., keys=True)`` yields these; ``dataset[key]``, ``list[key]``, numpy and
    torch indexing, ``int(key)``, ``str(key)`` and arithmetic see the plain index. A key pickles to
    DataLoader workers; torch's default collate turns a batch of keys into an int64 tensor of the
    indices.

    ``SampleKey(index, *, epoch, seed, stream=("sampler",))`` makes one without a sampler (for
    iterable datasets or other samplers): equal, as to its streams, to the key that
    ``PhiloxSampler(..., seed=seed, stream=stream, keys=True)`` yields for ``index`` in ``epoch``.

    * ``key.stream(*path)``: a fresh, unregistered ``Stream`` at position 0,
      ``Stream(seed, *stream, "sample", epoch, index, *path)`` (docs/FORMAT.md section 8).
    * ``key.seeded(*path)``: a context manager that seeds ``random``, numpy's global
      ``RandomState`` and torch's CPU generator (and every CUDA device's, once CUDA is
      initialized) from that stream, and restores their outer states on exit.

    Raises (constructor):
        TypeError / ValueError: ``index`` or ``epoch`` not an int in ``[0, 2**64)``, ``seed`` not
            an int in ``[-2**63, 2**64)``, or a bad ``stream`` path.
    """

    _philox_sample_key = True  # refused as a component of a registered stream's path (_generator)

    def __new__(cls, index, *, epoch, seed, stream=_DEFAULT_STREAM):
        i = check_u64(index, "index")
        e = check_u64(epoch, "epoch")
        s = normalize_seed(seed)
        return _make(cls, i, e, s, _sampler_path(stream))

    def __setattr__(self, name, value):
        raise AttributeError(f"SampleKey is immutable (cannot set {name!r})")

    def __delattr__(self, name):
        raise AttributeError(f"SampleKey is immutable (cannot delete {name!r})")

    @property
    def index(self) -> int:
        """The sample's index, a plain ``int``."""
        return int(self)

    @property
    def epoch(self) -> int:
        """The epoch the key was yielded in."""
        return self._epoch

    @property
    def seed(self) -> int:
        """The sampler's seed (normalized to ``[0, 2**64)``)."""
        return self._seed

    @property
    def sampler_stream(self) -> Tuple[Component, ...]:
        """The sampler's stream path (its ``stream=``), e.g. ``("sampler",)``."""
        return self._path

    def stream(self, *path: Component) -> Stream:
        """A fresh stream at position 0 for this sample: ``Stream(seed, *sampler_stream, "sample",
        epoch, index, *path)``. The same in every process, worker and run. (Built from its id, so
        its ``.path`` is None; ``.stream(*more)`` gives children as usual.)

        Raises TypeError / ValueError for a component that is not a ``str`` or an int in ``[0, 2**64)``.
        """
        st = _key_stream(Stream, self._seed, self._path, self._epoch, self, path, _STR_IDS)  # one C++ call
        return st if st is not None else trusted_stream(self._seed, self._id(path))

    def _id(self, path: tuple) -> int:
        """Id of ``(*sampler_stream, "sample", epoch, index, *path)``; checks ``path``."""
        parent = _epoch_id(self._path, self._epoch)
        # one C++ fold of (index, *path) onto the epoch's cached id for exact ints and known strs
        pid = _core.path_id(parent, (int(self),) + path, _STR_IDS)
        if pid is not None:
            return pid
        _, pid = checked_path_id(path, fold_component(parent, int(self)))  # checks path, learns its strs
        checked_path_id(self._path + ("sample",))  # learns the sampler path's strs for _key_stream
        return pid

    def seeded(self, *path: Component) -> "Seeded":
        """``with key.seeded("aug"): y = transform(x)``: code inside draws from ``random``,
        ``np.random`` and torch's global generators seeded from this sample's stream, so
        third-party augmentations become a pure function of (seed, epoch, index, path).

        The seeds are words 0-3 (``random``), 4-7 (numpy) and 8-9 (torch) of
        ``key.stream(*path, "seeded")``, made into seeds as docs/FORMAT.md section 9's table says
        (docs/FORMAT.md section 8.1; ``random.seed``, ``np.random.seed``,
        ``torch.manual_seed`` on the CPU generator and, once CUDA is initialized, on every CUDA
        device). On exit, also after an exception, the outer states are restored: code after
        the block draws as if it had not run. A block that initializes CUDA itself warns (its
        CUDA draws were not seeded): initialize CUDA before the first block. Not thread-safe (the global generators are
        process-wide); blocks nest.

        Raises TypeError / ValueError (at the call) for a bad path component.
        """
        full = normalize_path(path)
        return Seeded(self, full)

    def __reduce__(self):
        return _rebuild, (int(self), self._epoch, self._seed, self._path)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return (f"SampleKey(index={int(self)}, epoch={self._epoch}, seed={self._seed}, "
                f"stream={self._path!r})")

    __str__ = int.__repr__  # str(key), f"{key}" and "%d" give the index, as for an int


def seed_globals(stream: Stream, torch, cuda: bool) -> None:
    """Seed ``random``, numpy's global ``RandomState`` and torch's CPU generator (and every CUDA
    device's when ``cuda``) from the first words of ``stream`` (docs/FORMAT.md 8.1: words 0-3
    ``random``, 4-7 numpy, 8-9 torch). ``torch`` is the module or None."""
    w = stream.random_raw(_SEED_WORDS)
    seeds = library_seeds(lambda lib, n: w[_SEED_OFFSET[lib]:_SEED_OFFSET[lib] + n])
    random.seed(seeds.random)
    np.random.seed(np.array(seeds.numpy, dtype=np.uint32))
    if torch is not None:
        torch.default_generator.manual_seed(seeds.torch)
        if cuda:  # never before CUDA is initialized: torch would queue it past the block
            torch.cuda.manual_seed_all(seeds.torch)


class Seeded:
    """``key.seeded(*path)``: a reusable context manager (each entry seeds afresh)."""

    __slots__ = ("_key", "_path", "_outer")

    def __init__(self, key: SampleKey, path: tuple) -> None:
        self._key, self._path, self._outer = key, path, []

    def __enter__(self) -> "Seeded":
        torch = torch_cached()
        cuda = cuda_ready(torch)
        k = self._key
        outer = get_globals(torch, cuda)
        try:
            seed_globals(Stream(k._seed, id=k._id(self._path + (SEEDED,))), torch, cuda)
        except BaseException:
            set_globals(outer, torch)
            raise
        self._outer.append((outer, torch, cuda))
        return self

    def __exit__(self, *exc) -> None:
        outer, torch, cuda = self._outer.pop()
        set_globals(outer, torch)
        if not cuda and cuda_ready(torch):
            warnings.warn(
                f"CUDA was initialized inside {self!r}: its CUDA draws came from the global CUDA generator, not "
                "the sample's seed. Initialize CUDA first (e.g. torch.cuda.init()) for seeded GPU draws.",
                RuntimeWarning, stacklevel=2)

    def __repr__(self) -> str:
        return f"{self._key!r}.seeded{self._path!r}"


def sample_stream(seed, epoch, index, *path: Component, stream=_DEFAULT_STREAM) -> Stream:
    """The per-sample stream without a sampler: ``Stream(seed, *stream, "sample", epoch, index, *path)``.

    Equal to ``key.stream(*path)`` of the key that ``PhiloxSampler(..., seed=seed, stream=stream,
    keys=True)`` yields for ``index`` in ``epoch``, and to ``SampleKey(index, epoch=epoch,
    seed=seed, stream=stream).stream(*path)``. For iterable datasets and other samplers: number
    the samples (``index``) and the passes (``epoch``) yourself.

    Raises:
        TypeError / ValueError: ``seed`` not an int in ``[-2**63, 2**64)``, ``epoch`` or ``index``
            not an int in ``[0, 2**64)``, or a bad path component.
    """
    e = check_u64(epoch, "epoch")
    i = check_u64(index, "index")
    s = normalize_seed(seed)
    return _make(SampleKey, i, e, s, _sampler_path(stream)).stream(*path)
