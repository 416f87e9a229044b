"""PhiloxSampler and PhiloxBatchSampler: O(1)-memory shuffles for torch DataLoaders that resume anywhere.

Each epoch's global order is a pure function of (seed, stream path, epoch, global position)
(docs/FORMAT.md 8): the epoch enters through the stream path, ``(*stream, "order", epoch)``, so no
(seed, epoch) pair aliases another. Element ``g`` of the order is computed on its own (the keyed
bijection of FORMAT 6), so the sampler holds no index list, starts yielding at once for any ``n``,
and a checkpoint is a handful of integers.

*Consumed* positions. ``state_dict()`` records the global position ``R + W * k`` where ``R`` is the
position this pass started from, ``W`` the number of replicas and ``k`` the number of indices this
rank counts as consumed. By default ``k`` is the number of indices the iterator has handed out. A
``DataLoader`` iterates the sampler in the main process (whatever ``num_workers``) and runs ahead of
the training loop by its prefetch (up to ``num_workers * prefetch_factor`` batches), so the default
counts samples that were loaded but not trained on: they would be skipped after a resume. To
record exactly what the loop finished, pass it: ``sampler.state_dict(consumed=steps_done *
batch_size)`` plus ``batch_size=batch_size`` (the pass's last batch may be partial: the count after
it is then the pass's end) (``PhiloxBatchSampler.state_dict(consumed_batches=steps_done)``).

torch is optional: the classes subclass ``torch.utils.data.Sampler`` when torch is importable and
work as plain iterables otherwise.
"""
from __future__ import annotations

import hashlib
import math
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np

from . import _core
from ._choice import alias_table, weight_vector, weighted_order
from ._generator import initial_seed
from ._keys import _is_int, normalize_seed
from ._permutation import MAX_N, PERM_WORDS
from ._sample_key import SampleKey, _make as _make_key, _sampler_path
from ._stream import FORMAT_VERSION, Stream, check_format

try:  # torch is optional
    from torch.utils.data import Sampler as _SamplerBase
except Exception:  # pragma: no cover - exercised only without torch
    _SamplerBase = object

if TYPE_CHECKING:
    from ._typing import Component, IntLike

__all__ = ["PhiloxSampler", "PhiloxBatchSampler"]

_KIND = "PhiloxSampler"


def _check_int(v, name, low, high=MAX_N):
    if not _is_int(v):
        raise TypeError(f"{name} must be an int, got {v!r} of type {type(v).__name__}")
    v = int(v)
    if not low <= v <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {v}")
    return v


def _check_bool(v, name):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {v!r}")
    return bool(v)


def _world(num_replicas, rank):
    """(W, r): explicit values, else torch.distributed's when initialized, else (1, 0)."""
    dist = None
    try:
        import torch.distributed as dist  # noqa: F811
        if not (dist.is_available() and dist.is_initialized()):
            dist = None
    except Exception:
        dist = None
    if num_replicas is None:
        if dist is not None:
            num_replicas = dist.get_world_size()
        else:
            env = os.environ.get("WORLD_SIZE")
            if env is not None and env.strip().isdigit() and int(env) > 1:
                raise ValueError(
                    f"WORLD_SIZE={env} but torch.distributed has no process group: every rank would "
                    "see the whole dataset. Call torch.distributed.init_process_group() before making "
                    "the sampler, or pass num_replicas= and rank=")
            num_replicas = 1
    W = _check_int(num_replicas, "num_replicas", 1, 2 ** 31)
    if rank is None:
        if dist is not None:
            rank = dist.get_rank()
        elif W == 1:
            rank = 0
        else:
            raise ValueError(f"rank must be given with num_replicas={W} when torch.distributed is not initialized")
    r = _check_int(rank, "rank", 0, 2 ** 31)
    if r >= W:
        raise ValueError(f"rank must be in [0, num_replicas={W}), got {r}")
    return W, r


def _check_weights(weights, n):
    w, _ = weight_vector(weights, n, "weights", "one entry per sample:")
    try:  # the alias table computes w_i * n / sum(w) in float64
        ok = math.isfinite(math.fsum(w.tolist())) and math.isfinite(float(w.max()) * n)
    except OverflowError:
        ok = False
    if not ok:
        raise ValueError(f"weights are too large for float64 arithmetic (maximum {w.max()!r}, n = {n}); "
                         "rescale them (only their ratios matter)")
    return w


class PhiloxSampler(_SamplerBase):
    """Shuffled (or weighted) indices of ``[0, n)`` for ``DataLoader``, sharded over replicas.

    ``PhiloxSampler(data_source_or_len, *, seed=None, stream=("sampler",), shuffle=True,
    replacement=False, num_samples=None, weights=None, num_replicas=None, rank=None, drop_last=False,
    keys=False)``

    * ``data_source_or_len``: a dataset (``len()`` is taken) or the number of samples ``n >= 1``.
    * ``seed``: None means ``philox.initial_seed()`` (fixed unless the program seeds philox, so
      every rank agrees). ``stream``: a str or a path tuple naming the sampler's streams.
    * ``shuffle=False``: ``0, 1, ..., n-1`` (repeated when ``num_samples > n``).
    * ``replacement=True``: independent uniform draws; ``weights``: draws proportional to weights
      (with replacement by an alias table; without, by exponential keys, O(n) per epoch).
    * ``num_samples``: samples per epoch (default ``n``; without replacement and weights, more than
      ``n`` chains fresh permutations).
    * ``num_replicas``/``rank``: default to torch.distributed's when it is initialized, else 1/0
      (a ``WORLD_SIZE`` above 1 without a process group is an error). Rank ``r`` takes global
      positions ``r, r + W, ...``; the tail is padded with the pass's first positions (``padded``
      tells how many) unless ``drop_last=True`` drops it.
    * ``keys=True``: yield ``philox.SampleKey`` objects instead of ints: each is the index (an
      ``int`` subclass, so ``dataset[key]`` works as before) and carries its epoch and this
      sampler's seed and stream, so ``key.stream("aug")`` / ``key.seeded("aug")`` inside
      ``Dataset.__getitem__`` give the sample's own randomness, the same for any number of workers,
      persistent or not, world size or resume. This is the recipe for per-sample randomness.

    Epochs: ``set_epoch(e)``; an iteration that runs to the end moves to the next epoch by itself.
    ``state_dict()``/``load_state_dict()`` checkpoint mid-epoch in O(1) and resume with any world
    size, number of workers or batch size.

    What counts as consumed: ``state_dict()`` records the global position ``R + W * k``, where ``R``
    is the position this pass started from, ``W`` the number of replicas and ``k`` the number of
    indices this rank counts as consumed; a resume starts right after them. By default ``k`` is the
    number of indices the iterator has handed out. A ``DataLoader`` iterates the sampler in the main
    process (whatever ``num_workers``) and runs ahead of the training loop by its prefetch (up to
    ``num_workers * prefetch_factor`` batches), so the default also counts samples that were loaded
    but not trained on, and a resume skips them. To record exactly what the loop finished, pass it:
    ``sampler.state_dict(consumed=steps_done * batch_size)`` with ``batch_size=batch_size`` (so
    that the count after a pass's last, partial batch records the pass's end; with
    ``PhiloxBatchSampler``: ``state_dict(consumed_batches=steps_done)``).
    ``sample_stream(k)`` is the stream of sample ``k`` (``key.stream()`` of its key); with
    ``keys=True`` the sampler yields ``philox.SampleKey`` objects that carry it into workers.
    """

    def __init__(self, data_source_or_len: Any, *, seed: Optional[IntLike] = None,
                 stream: Union[Component, Sequence[Component]] = ("sampler",), shuffle: bool = True,
                 replacement: bool = False, num_samples: Optional[int] = None, weights: Any = None,
                 num_replicas: Optional[int] = None, rank: Optional[int] = None, drop_last: bool = False,
                 keys: bool = False) -> None:
        if _is_int(data_source_or_len):
            n = _check_int(data_source_or_len, "data_source_or_len", 1)
        elif hasattr(data_source_or_len, "__len__") and not isinstance(data_source_or_len, (str, bytes, bool)):
            try:
                n = len(data_source_or_len)
            except TypeError as e:  # e.g. a 0-d tensor or array
                raise TypeError(f"data_source_or_len must be a dataset with len() or an int, got a "
                                f"{type(data_source_or_len).__name__} without a length ({e})") from None
            if n < 1:
                raise ValueError("data_source_or_len is empty: a sampler needs at least one sample")
        else:
            raise TypeError(f"data_source_or_len must be a dataset with len() or an int, got "
                            f"{type(data_source_or_len).__name__}")
        self._seed = initial_seed() if seed is None else normalize_seed(seed)
        self._path = _sampler_path(stream)
        self._shuffle = _check_bool(shuffle, "shuffle")
        self._replacement = _check_bool(replacement, "replacement")
        self._drop_last = _check_bool(drop_last, "drop_last")
        self._keys = _check_bool(keys, "keys")
        self._n = n
        self._weights = None if weights is None else _check_weights(weights, n)
        if (self._replacement or self._weights is not None) and not self._shuffle:
            raise ValueError("shuffle=False cannot be combined with replacement=True or weights")
        T = n if num_samples is None else _check_int(num_samples, "num_samples", 1)
        if self._weights is not None and not self._replacement:
            nz = int(np.count_nonzero(self._weights))
            if T > nz:
                raise ValueError(f"num_samples={T} exceeds the {nz} samples with non-zero weight "
                                 "(without replacement)")
        if self._shuffle and not self._replacement and self._weights is None and \
                PERM_WORDS * ((T - 1) // n + 1) > 1 << 66:
            raise ValueError(f"num_samples={T} chains more permutations of {n} than one stream holds keys for")
        self._T = T
        self._W, self._rank = _world(num_replicas, rank)
        self._digest = None if self._weights is None else hashlib.blake2b(
            self._weights.astype("<f8").tobytes(), digest_size=8).hexdigest()
        self._epoch = 0
        self._start = 0      # global position this pass starts from (R)
        self._yielded = 0    # indices handed out by the current pass on this rank
        self._finished = None  # (epoch, start) of a pass whose iterator ran to its end (see state_dict)
        self._cache = {}     # per-epoch order stream / weighted order / alias table

    # ------------------------------------------------------------------ properties
    @property
    def seed(self) -> int:
        """The sampler's 64-bit seed."""
        return self._seed

    @property
    def epoch(self) -> int:
        """The current epoch."""
        return self._epoch

    @property
    def num_replicas(self) -> int:
        """The number of replicas the epoch is sharded over."""
        return self._W

    @property
    def rank(self) -> int:
        """This replica's rank in ``[0, num_replicas)``."""
        return self._rank

    @property
    def num_samples(self) -> int:
        """Samples per epoch over all replicas (before padding or dropping), as ``RandomSampler``'s
        ``num_samples``. (``DistributedSampler.num_samples`` is per replica: that is ``len(self)``.)"""
        return self._T

    @property
    def total_size(self) -> int:
        """Positions of the current pass over all replicas, padding included (``len(self) * num_replicas``),
        as ``DistributedSampler.total_size``."""
        return len(self) * self._W

    @property
    def shuffle(self) -> bool:
        """Whether the order is shuffled (``shuffle=``)."""
        return self._shuffle

    @property
    def replacement(self) -> bool:
        """Whether samples are drawn with replacement (``replacement=``)."""
        return self._replacement

    @property
    def drop_last(self) -> bool:
        """Whether the tail that does not fill every replica is dropped (``drop_last=``)."""
        return self._drop_last

    @property
    def keys(self) -> bool:
        """Whether the sampler yields ``philox.SampleKey`` objects (``keys=``) rather than ints."""
        return self._keys

    @property
    def position(self) -> int:
        """Global position the current pass started from (0 at an epoch's start)."""
        return self._start

    def _pass(self, start=None):
        """(remaining, per_rank, padded) of a pass from global position ``start``."""
        start = self._start if start is None else start
        rem = self._T - start
        per = rem // self._W if self._drop_last else -(-rem // self._W)
        return rem, per, per * self._W - rem

    @property
    def padded(self) -> int:
        """Padded positions (over all ranks) in the current pass: repeats of its first samples."""
        return max(0, self._pass()[2])

    @property
    def local_padded(self) -> int:
        """How many of this rank's indices in the current pass are padding (they come last)."""
        rem, per, _ = self._pass()
        real = max(0, -(-(rem - self._rank) // self._W)) if rem > self._rank else 0
        return max(0, per - real)

    def __len__(self) -> int:
        return self._pass()[1]

    # ------------------------------------------------------------------ epochs
    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch`` from its start; the current epoch again keeps a restored position."""
        e = _check_int(epoch, "epoch", 0, 2 ** 64 - 1)
        self._finished = None
        if e != self._epoch:
            self._epoch, self._start, self._yielded = e, 0, 0

    def _order_stream(self, epoch) -> Stream:
        key = ("stream", epoch)
        s = self._cache.get(key)
        if s is None:
            self._cache = {k: v for k, v in self._cache.items() if k[1] == epoch}
            s = self._cache[key] = Stream(self._seed, *self._path, "order", epoch)
        return s

    def sample_stream(self, k: int, epoch: Optional[int] = None) -> Stream:
        """The stream of sample ``k``: ``Stream(seed, *stream, "sample", epoch, k)``, at position 0.

        ``k`` may be a ``SampleKey`` of this sampler: its own epoch is used (``key.stream()``);
        that is the reliable form. For a plain int ``k``, ``epoch`` defaults to the epoch of the
        pass being loaded: in the main process, the pass the sampler's last iterator walked (an
        exhausted iterator moves the sampler to the next epoch before a DataLoader fetches the
        epoch's last batch; this default still names the epoch that batch belongs to, until
        ``set_epoch`` or a new iteration); inside a DataLoader worker, the epoch of the worker's
        copy of the sampler, which is the loading epoch for non-persistent workers but stays the
        first one with ``persistent_workers=True``. Prefer ``keys=True``.

        Raises:
            TypeError / ValueError: ``k`` or ``epoch`` not an int in ``[0, 2**64)``; a ``SampleKey``
                of another sampler (seed or stream differ), or with ``epoch`` given and different.
        """
        if isinstance(k, SampleKey):
            self.check_key(k, "k")
            if epoch is not None and _check_int(epoch, "epoch", 0, 2 ** 64 - 1) != k.epoch:
                raise ValueError(f"epoch={epoch} contradicts the key's epoch {k.epoch} ({k!r})")
            return k.stream()
        kk = _check_int(k, "k", 0, 2 ** 64 - 1)
        e = self._loading_epoch() if epoch is None else _check_int(epoch, "epoch", 0, 2 ** 64 - 1)
        return Stream(self._seed, *self._path, "sample", e, kk)

    def _loading_epoch(self) -> int:
        w = sys.modules.get("torch.utils.data._utils.worker")
        if w is not None and getattr(w, "_worker_info", None) is not None:
            return self._epoch
        return self._consumed_pass()[0]

    def key(self, index, epoch=None) -> SampleKey:
        """The ``SampleKey`` this sampler (with ``keys=True``) yields for ``index`` in ``epoch``
        (default: the current epoch, as ``epoch``). Raises TypeError / ValueError for an ``index``
        outside ``[0, n)`` or an ``epoch`` outside ``[0, 2**64)``."""
        i = _check_int(index, "index", 0, self._n - 1)
        e = self._epoch if epoch is None else _check_int(epoch, "epoch", 0, 2 ** 64 - 1)
        return _make_key(SampleKey, i, e, self._seed, self._path)

    def check_key(self, key, name="key") -> SampleKey:
        """``key`` if it is a ``SampleKey`` of this sampler (same seed and stream, index in ``[0, n)``);
        else TypeError (not a SampleKey) or ValueError naming what differs."""
        if not isinstance(key, SampleKey):
            raise TypeError(f"{name} must be a philox.SampleKey, got {key!r} of type {type(key).__name__}")
        if key.seed != self._seed or key.sampler_stream != self._path:
            raise ValueError(f"{name} {key!r} belongs to another sampler: this sampler has seed={self._seed}, "
                             f"stream={self._path!r}")
        if int(key) >= self._n:
            raise ValueError(f"{name} {key!r} is not an index of this sampler's {self._n} samples")
        return key

    # ------------------------------------------------------------------ the order
    def indices_at(self, positions: Any, epoch: Optional[int] = None) -> np.ndarray:
        """Sample indices at global positions (each in ``[0, num_samples)``) of an epoch's order."""
        e = self._epoch if epoch is None else _check_int(epoch, "epoch", 0, 2 ** 64 - 1)
        if _is_int(positions):
            positions = [positions]
        try:
            a = np.asarray(positions)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"positions must be an int or a 1-D sequence of ints, got {positions!r:.100}") from None
        if a.size and (a.dtype.kind not in "iuO" or (a.dtype.kind == "O" and not all(map(_is_int, a.flat)))):
            raise TypeError(f"positions must be ints (floats are not truncated), got dtype {a.dtype}")
        lo, hi = (int(min(a.flat)), int(max(a.flat))) if a.dtype.kind == "O" else (
            (int(a.min()), int(a.max())) if a.size else (0, 0))
        if a.size and (lo < 0 or hi >= self._T):
            raise ValueError(f"positions must be in [0, num_samples={self._T}), got values from {lo} to {hi}")
        return self._order(e, a.astype(np.int64).reshape(-1))

    def _order(self, epoch, g: np.ndarray) -> np.ndarray:
        n = self._n
        if g.size == 0:
            return np.empty(0, np.int64)
        if self._weights is not None and not self._replacement:
            key = ("worder", epoch)
            order = self._cache.get(key)
            if order is None:
                s = self._order_stream(epoch)
                s.position = 0
                order = self._cache[key] = weighted_order(s.random_raw(2 * n), self._weights, self._T)
            return order[g]
        if self._replacement:
            # Draw each cluster of positions as one contiguous run: a chunk's padding wraps to the
            # pass's start, so one run over min(g) .. max(g) would draw the whole epoch.
            s = self._order_stream(epoch)
            tab = None
            if self._weights is not None:
                tab = self._cache.get(("alias", 0))
                if tab is None:
                    tab = self._cache[("alias", 0)] = alias_table(self._weights)
            srt = np.argsort(g, kind="stable")
            gs = g[srt]
            out = np.empty(g.size, np.int64)
            cuts = [0] + (np.flatnonzero(np.diff(gs) > 4096) + 1).tolist() + [g.size]
            for a, b in zip(cuts[:-1], cuts[1:]):
                lo, hi = int(gs[a]), int(gs[b - 1])
                if tab is not None:
                    s.position = 4 * lo
                    words = s.random_raw(4 * (hi - lo + 1))
                    vals = np.empty(hi - lo + 1, np.int64)
                    _core.alias_draw(words, tab[0], tab[1], vals)
                else:
                    s.position = (2 if n <= 1 << 32 else 4) * lo
                    vals = s.randint(0, n, size=hi - lo + 1)
                out[srt[a:b]] = vals[gs[a:b] - lo]
            return out
        if not self._shuffle:
            return g % n
        s = self._order_stream(epoch)
        out = np.empty(g.size, np.int64)
        blocks = g // n
        for c in np.unique(blocks).tolist():
            sel = blocks == c
            s.position = PERM_WORDS * c
            w = s.random_raw(PERM_WORDS)
            i = g[sel] - c * n
            if i.size > 1 and np.all(np.diff(i) == i[1] - i[0]) and i[1] > i[0]:  # an arithmetic run
                tmp = np.empty(i.size, np.int64)
                _core.perm_fill(w, n, int(i[0]), int(i[1] - i[0]), tmp, False)
            else:
                tmp = np.array([self._perm_one(w, n, int(v)) for v in i], np.int64)
            out[sel] = tmp
        return out

    @staticmethod
    def _perm_one(w, n, i):
        t = np.empty(1, np.int64)
        _core.perm_fill(w, n, i, 1, t, False)
        return t[0]

    def __iter__(self) -> Iterator[int]:  # Iterator[SampleKey] with keys=True
        epoch, start = self._epoch, self._start
        W, r = self._W, self._rank
        rem, per, _ = self._pass(start)
        self._yielded = 0
        self._finished = None
        j, chunk = 0, 64
        while j < per:
            m = min(chunk, per - j)
            # offsets from the pass's start in uint64: a padded one may pass 2**63 - 1 when n is near it
            o = np.uint64(r) + np.uint64(W) * (np.uint64(j) + np.arange(m, dtype=np.uint64))
            pad = o >= np.uint64(rem)
            if pad.any():
                o = np.where(pad, (o - np.uint64(rem)) % np.uint64(rem), o)
            g = (o + np.uint64(start)).astype(np.int64)  # < num_samples <= 2**63 - 1
            vals = self._order(epoch, g).tolist()
            if self._keys:
                seed, path = self._seed, self._path
                vals = [_make_key(SampleKey, v, epoch, seed, path) for v in vals]
            for v in vals:
                self._yielded += 1
                yield v
            j += m
            # chunks grow (the first index comes at once) up to 8192 indices of this rank, and
            # span at most ~2**16 global positions (draws with replacement compute the whole span)
            chunk = min(chunk * 4, max(64, min(8192, (1 << 16) // W)))
        if (self._epoch, self._start) == (epoch, start):  # ran to the end: the next epoch, from its start
            self._epoch, self._start, self._yielded = epoch + 1, 0, 0
            self._finished = (epoch, start)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self, consumed: Optional[int] = None, *, batch_size: Optional[int] = None) -> Dict[str, Any]:
        """Epoch and global position, plus what identifies this sampler (checked on load).

        ``consumed``: indices of the current pass this rank's training loop has finished (e.g.
        ``steps * batch_size``); default: the indices handed out so far, which a prefetching
        ``DataLoader`` runs ahead of (see the class docstring; ``philox.TrackedLoader.state_dict()``
        counts for you). The position saved is ``position + num_replicas * consumed``; once the
        whole pass is consumed it is the pass's end, ``num_samples`` (the epoch is finished: a
        resume yields nothing more of it and the next iteration starts the next epoch from its
        start), also when ``drop_last=True`` left a tail no rank takes.

        ``batch_size``: the loop's batch size, when ``consumed`` counts whole batches
        (``steps * batch_size``): the pass's last batch may be partial, so ``consumed`` may then
        reach ``ceil(len(self) / batch_size) * batch_size``, which records the pass's end. Without
        it ``consumed`` may not exceed ``len(self)`` (a count past the pass is a ValueError, not
        silently the end: a step counter that was not reset at an epoch's start would skip an
        epoch).

        A prefetching ``DataLoader`` exhausts the sampler (which then moves to the next epoch)
        while the loop still trains on the epoch's last batches: until ``set_epoch`` is called or
        a new iteration starts, ``consumed`` counts in the pass that was exhausted, and the
        default records that pass's end (the same position as the next epoch's start, in the
        epoch the loop is still training on).

        Raises:
            TypeError / ValueError: ``consumed`` or ``batch_size`` not an int (bools are refused),
                ``consumed`` negative or past the pass (as above), ``batch_size < 1``, or
                ``batch_size`` without ``consumed``. The sampler is left as it was.
        """
        bs = None if batch_size is None else _check_int(batch_size, "batch_size", 1)
        if bs is not None and consumed is None:
            raise ValueError(f"batch_size={bs} needs consumed= (the samples the loop finished, e.g. "
                             "steps * batch_size)")
        if consumed is None and self._finished is not None:
            # an exhausted pass is recorded as its end, (epoch, end), not as (epoch + 1, 0): a loader
            # that snapshots this state while handing out the epoch's last batch (torchdata's
            # StatefulDataLoader) then resumes in the same epoch as the loop's own epoch counter
            consumed = self._pass(self._finished[1])[1]
        epoch, start = self._consumed_pass() if consumed is not None else (self._epoch, self._start)
        per = self._pass(start)[1]
        if consumed is None:
            k = self._yielded
        else:
            k = _check_int(consumed, "consumed", 0)
            limit = per if bs is None else -(-per // bs) * bs
            if k > limit:
                raise ValueError(
                    f"consumed={k} exceeds the {per} indices of this rank's pass"
                    + (f" (with batch_size={bs}: at most {limit}, its {-(-per // bs)} batches)" if bs is not None
                       else "; if it counts batches (steps * batch_size) and the last one was partial, "
                            "pass batch_size="))
            k = min(k, per)
        pos = self._T if k == per else start + self._W * k
        return {"format": FORMAT_VERSION, "type": _KIND, "seed": self._seed, "stream": list(self._path),
                "n": self._n, "num_samples": self._T, "shuffle": self._shuffle,
                "replacement": self._replacement, "weights_digest": self._digest,
                "epoch": epoch, "position": pos}

    def _consumed_pass(self):
        """(epoch, start) of the pass that an explicit ``consumed`` counts in."""
        return self._finished if self._finished is not None else (self._epoch, self._start)

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Resume from ``state_dict()``: O(1), nothing replayed. Refuses a state of another sampler
        (seed, stream, n, num_samples, shuffle, replacement or weights differ); the world size,
        ``drop_last``, workers and batch size may differ."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, got {type(state).__name__}")
        need = {"format", "type", "seed", "stream", "n", "num_samples", "shuffle", "replacement", "weights_digest",
                "epoch", "position"}
        missing = need - set(state)
        if missing:
            raise ValueError(f"state dict is missing {sorted(missing)}")
        check_format(state["format"])
        if state["type"] != _KIND:
            raise ValueError(f"state dict is of a {state['type']!r}, not a {_KIND}")
        mine = self.state_dict(consumed=0)
        for f in ("seed", "stream", "n", "num_samples", "shuffle", "replacement", "weights_digest"):
            theirs = state[f]
            if f == "stream" and isinstance(theirs, (list, tuple)):
                theirs = list(theirs)
            if theirs != mine[f]:
                raise ValueError(f"state dict belongs to another sampler: its {f} is {state[f]!r}, "
                                 f"this sampler's is {mine[f]!r}")
        e = _check_int(state["epoch"], "state dict epoch", 0, 2 ** 64 - 1)
        p = _check_int(state["position"], "state dict position", 0, self._T)
        self._epoch, self._start, self._yielded, self._finished = e, p, 0, None

    def __repr__(self) -> str:
        return (f"philox.PhiloxSampler(n={self._n}, seed={self._seed}, stream={self._path!r}, epoch={self._epoch}, "
                f"position={self._start}, num_replicas={self._W}, rank={self._rank}"
                + (", keys=True)" if self._keys else ")"))


class PhiloxBatchSampler(_SamplerBase):
    """Batches of a ``PhiloxSampler``'s indices, for ``DataLoader(batch_sampler=...)``.

    ``state_dict(consumed_batches=None)`` records the batches the loop finished (default: the
    batches handed out); ``set_epoch``, ``load_state_dict`` and ``sample_stream`` go to the sampler.
    Over a ``keys=True`` sampler the batches are lists of ``SampleKey``s. A torchdata
    ``StatefulDataLoader`` (also under accelerate's ``use_stateful_dataloader=True``) given it as
    ``batch_sampler=`` saves and restores its state with each batch, exactly; an iteration restored
    at a pass's end yields nothing and leaves the sampler as it is (``_BatchIteration``).
    """

    def __init__(self, sampler: PhiloxSampler, batch_size: int, drop_last: bool = False) -> None:
        if not isinstance(sampler, PhiloxSampler):
            raise TypeError(f"sampler must be a philox.PhiloxSampler, got {type(sampler).__name__}")
        self.sampler = sampler
        self.batch_size = _check_int(batch_size, "batch_size", 1)
        self.drop_last = _check_bool(drop_last, "drop_last")

    def __iter__(self) -> Iterator[List[int]]:
        return _BatchIteration(self)

    def _batches(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        m = len(self.sampler)
        return m // self.batch_size if self.drop_last else -(-m // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """``sampler.set_epoch(epoch)``."""
        self.sampler.set_epoch(epoch)

    def sample_stream(self, k: int, epoch: Optional[int] = None) -> Stream:
        """``sampler.sample_stream(k, epoch)``."""
        return self.sampler.sample_stream(k, epoch)

    def state_dict(self, consumed_batches: Optional[int] = None) -> Dict[str, Any]:
        """The sampler's state; ``consumed_batches`` = batches of the current pass this rank's loop
        has finished, at most ``len(self)`` (the pass's last batch may be partial; with
        ``drop_last=True`` its dropped tail counts as consumed once every batch is). Raises
        TypeError / ValueError naming ``consumed_batches`` for a non-int, a negative count or one
        past the pass's batches."""
        if consumed_batches is None:
            return self.sampler.state_dict()
        b = _check_int(consumed_batches, "consumed_batches", 0)
        per = self.sampler._pass(self.sampler._consumed_pass()[1])[1]
        nb = per // self.batch_size if self.drop_last else -(-per // self.batch_size)
        if b > nb:
            raise ValueError(f"consumed_batches={b} exceeds the {nb} batches of this rank's pass "
                             f"({per} indices, batch_size={self.batch_size}, drop_last={self.drop_last})")
        return self.sampler.state_dict(consumed=per if b == nb else b * self.batch_size)

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """``sampler.load_state_dict(state)``."""
        self.sampler.load_state_dict(state)


class _BatchIteration:
    """One iteration of a ``PhiloxBatchSampler``: its batches, plus the ``state_dict`` /
    ``load_state_dict`` pair that makes torchdata's ``StatefulDataLoader`` save and restore it with
    the batch sampler's state.

    Why: a ``StatefulDataLoader`` restored from a state marked finished (accelerate marks the state
    taken at an epoch's last batch so) first restores the batch sampler (this pass's end: an empty
    pass), then, with workers, pre-fetches from the restored iteration, and then starts a new one.
    A plain iteration of the empty pass would move the sampler to the next epoch, so the new
    iteration would walk that epoch while the loop is still in the saved one (and without workers,
    where nothing pre-fetches, it would not): a loaded iteration over an empty pass yields nothing
    and leaves the sampler where it is, so the next iteration is the one that moves to the next
    epoch, with or without workers. Its state is empty: the batch sampler's state says it all.
    """

    __slots__ = ("_owner", "_gen")

    def __init__(self, owner):
        self._owner = owner
        self._gen = owner._batches()

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._gen)

    def state_dict(self) -> Dict[str, Any]:
        return {}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, got {type(state).__name__}")
        if len(self._owner.sampler) == 0:  # the restored position is its pass's end
            self._gen.close()  # not started: the sampler is left as it is
