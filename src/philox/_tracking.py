"""TrackedLoader: a loader wrapper after which ``sampler.state_dict()`` records exactly what the
training loop received, for frameworks that call it with no argument.

A ``DataLoader`` draws indices from its sampler ahead of the training loop (its workers prefetch up
to ``num_workers * prefetch_factor`` batches; accelerate's prepared loader reads one batch ahead),
so a ``PhiloxSampler``'s default ``state_dict()`` counts samples that were loaded but not trained
on, and a resume skips them. Code that calls ``state_dict()`` itself can pass
``consumed=steps * batch_size``; a framework that calls it with no argument
(``accelerator.register_for_checkpointing(sampler)``, a Lightning checkpoint of a stateful loader)
cannot. Wrapping the loader the training loop iterates::

    loader = philox.TrackedLoader(DataLoader(ds, sampler=sampler, batch_size=32, num_workers=4))

counts the batches handed to the loop (a batch counts as consumed once it is handed out: a
checkpoint taken while training on it resumes after it), and while that iteration runs
``sampler.state_dict()`` with no argument records ``consumed = batches * batch_size`` (capped at
the pass's length, so a last partial batch counts whole). Once the iteration has run to its end,
or before it starts, the sampler's own default applies (at the end of an epoch: the next epoch,
from its start).

The count is exact when whoever iterates the wrapper trains on each batch before asking for the
next: a plain loop, accelerate (wrap the prepared loader, which is what the loop iterates), and
Lightning for a loader with a length (Lightning prefetches only unsized iterables). The
wrapper also is a checkpointable object itself (``state_dict``/``load_state_dict`` are the
sampler's), so Lightning saves and restores it with the trainer's checkpoint. Every other
attribute (``set_epoch``, ``dataset``, ``batch_size``...) is the wrapped loader's.
"""
from __future__ import annotations

import weakref
from typing import Any, Iterator, Optional

from ._keys import _is_int
from ._sampler import PhiloxBatchSampler, PhiloxSampler, _trackers

__all__ = ["TrackedLoader"]


def _find_sampler(loader):
    """The PhiloxBatchSampler or PhiloxSampler that ``loader`` draws from, looked up through
    ``batch_sampler``, ``batch_sampler.sampler`` and ``sampler`` (also through one level of
    ``batch_sampler.batch_sampler``, as accelerate nests them)."""
    seen = []
    bs = getattr(loader, "batch_sampler", None)
    for obj in (bs, getattr(bs, "batch_sampler", None), getattr(bs, "sampler", None),
                getattr(getattr(bs, "batch_sampler", None), "sampler", None), getattr(loader, "sampler", None)):
        if isinstance(obj, (PhiloxBatchSampler, PhiloxSampler)):
            return obj
        seen.append(type(obj).__name__)
    raise ValueError(f"loader draws from no philox.PhiloxSampler or PhiloxBatchSampler (its batch_sampler and "
                     f"sampler are {', '.join(dict.fromkeys(seen))}); pass sampler=")


class TrackedLoader:
    """Wrap the loader a training loop iterates so that ``sampler.state_dict()`` with no argument
    records what the loop received (module docs).

    ``TrackedLoader(loader, sampler=None, *, batch_size=None)``

    * ``loader``: any iterable of batches drawn in order from ``sampler`` (a ``DataLoader``,
      torchdata's ``StatefulDataLoader``, accelerate's prepared loader). Workers, persistence and
      prefetching do not matter: the sampler runs in the main process and batches come in order.
    * ``sampler``: the ``PhiloxSampler`` or ``PhiloxBatchSampler`` it draws from; default: found
      on ``loader.batch_sampler`` / ``loader.sampler``.
    * ``batch_size``: samples per batch; default: the ``PhiloxBatchSampler``'s, else
      ``loader.batch_size`` (1 when that is None, i.e. no automatic batching).

    The latest ``TrackedLoader`` made over a sampler is the one its ``state_dict()`` follows.
    ``consumed_batches`` is the number of batches the current (or last) iteration handed out.
    """

    def __init__(self, loader, sampler=None, *, batch_size=None):
        if not hasattr(loader, "__iter__"):
            raise TypeError(f"loader must be an iterable of batches, got {type(loader).__name__}")
        if sampler is None:
            sampler = _find_sampler(loader)
        elif not isinstance(sampler, (PhiloxSampler, PhiloxBatchSampler)):
            raise TypeError(f"sampler must be a philox.PhiloxSampler or PhiloxBatchSampler, got "
                            f"{type(sampler).__name__}")
        if batch_size is None:
            if isinstance(sampler, PhiloxBatchSampler):
                batch_size = sampler.batch_size
            else:
                batch_size = getattr(loader, "batch_size", None)
                batch_size = 1 if batch_size is None else batch_size
        if not _is_int(batch_size):
            raise TypeError(f"batch_size must be an int, got {batch_size!r}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._loader = loader
        self._sampler = sampler
        self._base = sampler.sampler if isinstance(sampler, PhiloxBatchSampler) else sampler
        self._batch_size = int(batch_size)
        self._batches = 0
        self._running = False  # an iteration has started and not run to its end
        _trackers[self._base] = weakref.ref(self)

    @property
    def loader(self):
        """The wrapped loader."""
        return self._loader

    @property
    def sampler(self):
        """The ``PhiloxSampler`` or ``PhiloxBatchSampler`` whose ``state_dict()`` this wrapper informs."""
        return self._sampler

    @property
    def consumed_batches(self) -> int:
        """Batches the current (or last) iteration has handed to the loop."""
        return self._batches

    def _consumed(self, base) -> Optional[int]:
        """Samples of the sampler's current pass the loop received; None when no iteration is running."""
        if not self._running or base is not self._base:
            return None
        per = base._pass(base._consumed_pass()[1])[1]
        return min(per, self._batches * self._batch_size)

    def __iter__(self) -> Iterator[Any]:
        it = iter(self._loader)
        self._batches, self._running = 0, True
        for batch in it:
            self._batches += 1
            yield batch
        # ran to its end (a loop that stops early keeps the count for a later state_dict())
        self._running = False

    def __len__(self) -> int:
        return len(self._loader)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_loader", "_sampler", "_base"):
            raise AttributeError(name)
        return getattr(self._loader, name)

    def state_dict(self) -> dict:
        """``sampler.state_dict()``: the position after the batches the loop received."""
        return self._sampler.state_dict()

    def load_state_dict(self, state) -> None:
        """``sampler.load_state_dict(state)``."""
        self._sampler.load_state_dict(state)

    def __repr__(self):
        return (f"philox.TrackedLoader({self._loader!r}, batch_size={self._batch_size}, "
                f"consumed_batches={self._batches})")
