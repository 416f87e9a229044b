"""TrackedLoader: a loader wrapper whose ``state_dict()`` (no argument) is the sampler's state after
exactly the batches the training loop received, for frameworks that checkpoint objects by calling
``state_dict()`` on them.

A ``DataLoader`` draws indices from its sampler ahead of the training loop (its workers prefetch up
to ``num_workers * prefetch_factor`` batches; accelerate's prepared loader reads one batch ahead),
so a ``PhiloxSampler``'s default ``state_dict()`` counts samples that were loaded but not trained
on, and a resume skips them. Code that calls ``state_dict()`` itself can pass
``consumed=steps * batch_size``; a framework that calls it with no argument
(``accelerator.register_for_checkpointing(obj)``, a Lightning checkpoint of a stateful loader)
cannot. Wrap the loader the training loop iterates and give the framework the wrapper::

    loader = philox.TrackedLoader(DataLoader(ds, sampler=sampler, batch_size=32, num_workers=4))
    accelerator.register_for_checkpointing(loader)

It counts the batches handed to the loop (a batch counts as consumed once it is handed out: a
checkpoint taken while training on it resumes after it), and its ``state_dict()`` is
``sampler.state_dict(consumed=batches * batch_size)`` (capped at the pass's length, so a last
partial batch counts whole), the next epoch from its start once the loop has received the whole
pass, and the sampler's own ``state_dict()`` before an iteration.
The sampler itself is left as it is (a ``StatefulDataLoader`` inside the wrapper still snapshots
the sampler's own state, which is exact for it).

The count is exact when whoever iterates the wrapper trains on each batch before asking for the
next: a plain loop, accelerate (wrap the prepared loader, which is what the loop iterates), and
Lightning for a loader with a length (Lightning prefetches only unsized iterables; it saves and
restores a loader that has ``state_dict``/``load_state_dict`` with the trainer's checkpoint).
Not under accelerate's ``use_stateful_dataloader=True``: that loader restores its own position
too, and a resume would skip twice (the README's recipe for it needs no wrapper).
Every other attribute (``set_epoch``, ``dataset``, ``batch_size``...) is the wrapped loader's.
"""
from __future__ import annotations

import copy
from typing import Any, Iterator

from ._keys import _is_int
from ._sampler import PhiloxBatchSampler, PhiloxSampler

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
    """Wrap the loader a training loop iterates; ``state_dict()`` with no argument is the
    sampler's state after what the loop received (module docs).

    ``TrackedLoader(loader, sampler=None, *, batch_size=None)``

    * ``loader``: any iterable of batches drawn in order from ``sampler`` (a ``DataLoader``,
      torchdata's ``StatefulDataLoader``, accelerate's prepared loader). Workers, persistence and
      prefetching do not matter: the sampler runs in the main process and batches come in order.
    * ``sampler``: the ``PhiloxSampler`` or ``PhiloxBatchSampler`` it draws from; default: found
      on ``loader.batch_sampler`` / ``loader.sampler``.
    * ``batch_size``: samples per batch; default: the ``PhiloxBatchSampler``'s, else
      ``loader.batch_size``, else ``loader.batch_sampler.batch_size``, else 1 (no automatic
      batching).

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
            else:  # a loader made with batch_sampler= (accelerate's prepared one) has batch_size None
                batch_size = getattr(loader, "batch_size", None)
                if batch_size is None:
                    batch_size = getattr(getattr(loader, "batch_sampler", None), "batch_size", None)
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
        self._pass = None  # (epoch, start) of the sampler pass the current (or last) iteration walks
        self._pending = None  # a loaded state, applied to the sampler when the next iteration starts

    @property
    def loader(self):
        """The wrapped loader."""
        return self._loader

    @property
    def sampler(self):
        """The ``PhiloxSampler`` or ``PhiloxBatchSampler`` the loader draws from."""
        return self._sampler

    @property
    def epoch(self) -> int:
        """The epoch of ``state_dict()``: the one the loop is training on (after a pass, the one it
        finished). Start an epoch loop from it: the sampler's own ``epoch`` runs ahead as soon as
        workers have drawn a pass's last indices (a ``StatefulDataLoader`` starts them when asked
        for its state, as accelerate does on ``prepare``)."""
        return self.state_dict()["epoch"]

    @property
    def consumed_batches(self) -> int:
        """Batches the current (or last) iteration has handed to the loop."""
        return self._batches

    def _counted(self):
        """(samples the loop received, samples in the pass) of the sampler pass this wrapper's
        iteration walks; None before an iteration, or when the sampler has moved to another pass
        since (set_epoch, load_state_dict)."""
        base = self._base
        if self._pass is None or base._consumed_pass() != self._pass:
            return None
        per = base._pass(self._pass[1])[1]
        return min(per, self._batches * self._batch_size), per

    def __iter__(self) -> Iterator[Any]:
        if self._pending is not None:
            self._base.load_state_dict(self._pending)
            self._pending = None
        it = iter(self._loader)
        self._batches, self._pass = 0, None
        for batch in it:
            if self._pass is None:  # the sampler has started the pass these batches come from
                self._pass = self._base._consumed_pass()
            self._batches += 1
            yield batch

    def __len__(self) -> int:
        return len(self._loader)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_loader", "_sampler", "_base"):
            raise AttributeError(name)
        return getattr(self._loader, name)

    def state_dict(self) -> dict:
        """The sampler's state after the batches the loop received: ``sampler.state_dict(consumed=...)``,
        and once the loop has received the whole pass, the next epoch from its start (a loader
        whose own state says it is finished, as accelerate's does at the last batch, starts the
        next pass on resume: the loop's epoch must be that one). Before an iteration, or after
        ``set_epoch`` / ``load_state_dict`` moved the sampler to another pass:
        ``sampler.state_dict()``. Loads with either's ``load_state_dict``."""
        if self._pending is not None:
            return dict(self._pending)
        counted = self._counted()
        if counted is None:
            return self._base.state_dict()
        k, per = counted
        st = self._base.state_dict(consumed=k)
        if k == per and st["epoch"] < 2 ** 64 - 1:
            st["epoch"], st["position"] = st["epoch"] + 1, 0
        return st

    def load_state_dict(self, state) -> None:
        """Resume from ``state_dict()`` (or the sampler's): checked now (TypeError / ValueError as
        ``sampler.load_state_dict``, and nothing changes), applied to the sampler when the next
        iteration starts, as ``StatefulDataLoader`` does, so that ``len()`` until then is the
        epoch's (Lightning takes an epoch's length before resuming in it); ``state_dict()`` and
        ``epoch`` report it meanwhile."""
        probe = copy.copy(self._base)
        probe.load_state_dict(state)
        self._pending = probe.state_dict()
        self._batches, self._pass = 0, None

    def __repr__(self):
        return (f"philox.TrackedLoader({self._loader!r}, batch_size={self._batch_size}, "
                f"consumed_batches={self._batches})")
