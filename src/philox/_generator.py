"""Generator: a seed plus a registry of named streams, and the default generator.

``Generator.stream(*path)`` always returns the same Stream object for a path, so
its position carries on between calls; the values of each named stream depend
on (seed, path, position) only, never on what other streams drew or in which
order. ``state_dict()`` holds every named stream's position (and the states
of ``isolate`` blocks), so a checkpoint restores all of them exactly.

The registry rule: registered streams are for a program's long-lived named streams (a few
dozen: "init", "dropout", "noise"...), whose positions belong in a checkpoint. They are kept
for the generator's life (``manual_seed`` restarts them, nothing drops them), and each process
has its own copy of their positions, so they are wrong for per-sample randomness: in DataLoader
workers the values would depend on the worker and on what it loaded before, and one stream per
sample grows memory and checkpoints without bound. Per-sample randomness comes from fresh,
unregistered streams (``SampleKey.stream``, ``philox.sample_stream``, ``Stream(seed, ...)``).
Guards, so that the wrong recipe does not go wrong silently:

- a ``SampleKey`` as a component of a new registered path is a ``TypeError`` (use ``key.stream``);
- the first use of a registered stream inside a DataLoader worker warns (``RuntimeWarning``,
  once per process);
- registering more than ``STREAM_REGISTRY_WARN_AT`` streams in one generator warns
  (``RuntimeWarning``, once per generator).
"""
from __future__ import annotations

import secrets
import sys
import threading
import warnings
from typing import Any, Dict, Optional

from ._isolate import Isolate, IsolateRegistry, make_isolate, parse_state_entry
from ._keys import Component, normalize_path, normalize_seed, path_id
from ._stream import FORMAT_VERSION, Stream, check_format

__all__ = ["Generator", "DEFAULT_SEED", "STREAM_REGISTRY_WARN_AT", "default_generator", "manual_seed", "initial_seed",
           "seed", "stream", "isolate"]

#: Seed of the default generator until ``manual_seed``/``seed`` is called: fixed,
#: so a program that never seeds gets the same values on every run and rank
#: (as torch's default generator does). The first 64 bits of pi's fraction.
DEFAULT_SEED = 0x243F6A8885A308D3

#: A generator warns once when it registers more named streams than this (the registry rule in
#: the module docs): a program's named streams are a few dozen, per-sample streams are unbounded.
STREAM_REGISTRY_WARN_AT = 4096

_worker_warned = [False]  # per process (a forked worker starts with the parent's False)


def _in_dataloader_worker() -> bool:
    """True inside a torch DataLoader worker process (without importing torch)."""
    w = sys.modules.get("torch.utils.data._utils.worker")
    return w is not None and getattr(w, "_worker_info", None) is not None


def _warn_worker(path) -> None:
    _worker_warned[0] = True
    warnings.warn(
        f"philox.stream{path!r} (a registered stream) is used inside a DataLoader worker: each worker has "
        "its own copy of its position, so its values depend on the worker and on what it loaded before, "
        "not on the sample. For per-sample randomness use PhiloxSampler(..., keys=True) and "
        "key.stream(...) / key.seeded(...), or philox.sample_stream(seed, epoch, index, ...). "
        "(Warned once per process.)", RuntimeWarning, stacklevel=3)


def _fresh_seed() -> int:
    return secrets.randbits(64)


class Generator:
    """A seed, its named streams and its ``isolate`` states.

    ``Generator(seed)`` is reproducible; ``Generator()`` takes fresh OS entropy
    (as ``numpy.random.default_rng()`` does) and reports it by ``initial_seed()``.

    Raises:
        TypeError / ValueError: ``seed`` is not an int in ``[-2**63, 2**64)`` (SPEC 2).
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self._seed = _fresh_seed() if seed is None else normalize_seed(seed)
        self._streams: Dict[tuple, Stream] = {}
        self._lock = threading.Lock()
        self._isolated = IsolateRegistry(self)

    def stream(self, *path: Component) -> Stream:
        """The registered stream for ``path`` (created at position 0 on first use).

        For a program's long-lived named streams, not per-sample randomness (the registry rule
        in the module docs: use ``SampleKey.stream`` / ``philox.sample_stream`` there).

        Raises:
            TypeError / ValueError: a component is not a ``str`` or an int in ``[0, 2**64)``;
                TypeError for a ``SampleKey`` component in a path not registered yet.

        Warns (``RuntimeWarning``): on the first use inside a DataLoader worker (once per process);
            past ``STREAM_REGISTRY_WARN_AT`` registered streams (once per generator).
        """
        p = normalize_path(path)
        s = self._streams.get(p)
        if s is None:
            s = self._register(p, path)
        if not _worker_warned[0] and _in_dataloader_worker():
            _warn_worker(p)
        return s

    def _register(self, p: tuple, raw: tuple) -> Stream:
        for c in raw:
            if getattr(c, "_philox_sample_key", False):
                raise TypeError(
                    f"path component {c!r} is a SampleKey: registered streams are for long-lived named streams, "
                    "not samples (one per sample grows without bound, and DataLoader workers each keep their own "
                    f"position). Use key.stream{tuple(x for x in raw if x is not c)!r} for the sample's stream")
        with self._lock:
            s = self._streams.get(p)
            if s is None:
                s = self._streams[p] = Stream(self._seed, *p)
                if len(self._streams) == STREAM_REGISTRY_WARN_AT + 1:
                    warnings.warn(
                        f"this philox Generator now has {len(self._streams)} registered streams (more than "
                        f"STREAM_REGISTRY_WARN_AT = {STREAM_REGISTRY_WARN_AT}); they are never dropped and all go into "
                        f"state_dict(). Per-sample or per-step paths (latest: {p!r}) belong in fresh streams: "
                        "SampleKey.stream(...), philox.sample_stream(...) or philox.Stream(seed, ...).",
                        RuntimeWarning, stacklevel=4)
        return s

    def isolate(self, *path: Component) -> Isolate:
        """A context manager and decorator that gives code calling the global RNGs directly
        (``random.*``, ``np.random.*``, ``torch.rand*``) this path's own persistent state.

        On entry the current global states are saved and the path's states installed
        (seeded the first time from ``Stream(seed, "isolate", L, *path)`` for each library
        ``L``, docs/FORMAT.md); on exit, also by an exception, the path's states are kept for
        next time and the outer ones restored. Blocks nest; re-entering the innermost open
        path (recursion) keeps its live state. The states restart from the seed on
        ``manual_seed`` and are part of ``state_dict()``.

        Cost: about 30 us per entry + exit with torch, 24 us without, on a 2-vCPU Zen 3 VM
        (copying the states of ``random``, numpy and torch; ``python -m philox bench``
        measures it). Not thread-safe: the global generators are process-wide.

        Raises:
            TypeError / ValueError: an empty path, or a component that is not a ``str`` or
                an int in ``[0, 2**64)``; TypeError for a generator or async function
                given to the decorator.
            RuntimeError (on entry): another thread has a block open, or the path is
                already open further out (not innermost).
        """
        return make_isolate(self._isolated, path)

    def _check_not_isolating(self, what: str) -> None:
        if self._isolated.active():
            raise RuntimeError(f"{what} cannot run inside a philox.isolate block of this generator "
                               f"(it resets the isolated states); call it outside the block")

    def manual_seed(self, seed: int) -> "Generator":
        """Set the seed; every named stream restarts at position 0 (the same objects) and every
        ``isolate`` path restarts from the new seed. Returns the generator.

        Raises:
            TypeError / ValueError: ``seed`` is not an int in ``[-2**63, 2**64)``.
            RuntimeError: called inside an ``isolate`` block of this generator.
        """
        s = normalize_seed(seed)
        self._check_not_isolating("manual_seed")
        self._isolated.reset()
        with self._lock:
            self._seed = s
            for st in self._streams.values():
                st._set_seed(s)
                st.position = 0
        return self

    def seed(self) -> int:
        """Seed from fresh OS entropy (as ``manual_seed``); returns the new seed."""
        s = _fresh_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed in use (normalized to [0, 2**64))."""
        return self._seed

    def state_dict(self) -> Dict[str, Any]:
        """Seed, every named stream's position and every ``isolate`` path's states.

        Plain ints, floats, strs and lists (``torch.save``, ``pickle`` and JSON all work)::

            {"format": 1, "seed": S, "streams": [{"path": [...], "position": p}, ...],
             "isolate": {"version": 1, "paths": [{"path": [...], "random": ..., "numpy": ...,
                                                  "torch": ..., "cuda": ...}, ...]}}

        ``"isolate"`` is left out when no path was ever isolated (such dicts are what
        philox before ``isolate`` wrote). Inside an open block the live states count.
        """
        with self._lock:
            streams = [{"path": list(p), "position": s.position} for p, s in self._streams.items()]
        d: Dict[str, Any] = {"format": FORMAT_VERSION, "seed": self._seed, "streams": streams}
        iso = self._isolated.state_entry()
        if iso["paths"]:
            d["isolate"] = iso
        return d

    def load_state_dict(self, d: Dict[str, Any]) -> None:
        """Restore ``state_dict()``: the seed, every stream's position (streams it does not list
        restart at 0) and the isolated states (paths it does not list restart from the seed).

        Raises:
            TypeError / ValueError: a malformed dict, naming the bad entry. The whole dict is
                checked before anything changes.
            RuntimeError: called inside an ``isolate`` block of this generator.
        """
        if not isinstance(d, dict):
            raise TypeError(f"state dict must be a dict, got {type(d).__name__}")
        missing = {"format", "seed", "streams"} - set(d)
        if missing:
            raise ValueError(f"state dict is missing {sorted(missing)}")
        extra = set(d) - {"format", "seed", "streams", "isolate"}
        if extra:
            raise ValueError(f"state dict has unknown keys {sorted(map(str, extra))}")
        check_format(d["format"])
        seed = normalize_seed(d["seed"], "state dict seed")
        if not isinstance(d["streams"], (list, tuple)):
            raise TypeError(f"state dict streams must be a list, got {type(d['streams']).__name__}")
        positions = {}
        for i, e in enumerate(d["streams"]):
            if not isinstance(e, dict) or set(e) != {"path", "position"}:
                raise ValueError(f"state dict streams[{i}] must be a dict with keys 'path' and 'position', got {e!r}")
            if not isinstance(e["path"], (list, tuple)):
                raise TypeError(f"state dict streams[{i}]['path'] must be a list, got {e['path']!r}")
            p = normalize_path(e["path"], f"streams[{i}].path")
            path_id(p)  # the stream's id: refused now (a str UTF-8 cannot encode), not after the seed changed
            pos = Stream._check_position(e["position"])
            if p in positions:
                raise ValueError(f"state dict lists path {p!r} twice")
            positions[p] = pos
        isolated = parse_state_entry(d["isolate"]) if "isolate" in d else {}
        self._check_not_isolating("load_state_dict")
        self.manual_seed(seed)
        for p, pos in positions.items():
            self.stream(*p).position = pos
        self._isolated.reset(isolated)

    def __getstate__(self) -> Dict[str, Any]:
        return self.state_dict()

    def __setstate__(self, d: Dict[str, Any]) -> None:
        self.__init__(0)
        self.load_state_dict(d)

    def __repr__(self) -> str:
        return f"philox.Generator(seed={self._seed}, streams={len(self._streams)})"


#: The generator behind ``philox.stream``, ``manual_seed``, ``isolate`` and ``seed_everything``.
default_generator = Generator(DEFAULT_SEED)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (its named streams restart at 0, its ``isolate`` paths
    restart from the seed); returns it. Raises as ``Generator.manual_seed``."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def seed() -> int:
    """Seed the default generator from OS entropy; returns the seed."""
    return default_generator.seed()


def stream(*path: Component) -> Stream:
    """The default generator's named stream for ``path``: ``philox.stream("a").rand(10)``.

    Raises TypeError / ValueError for a component that is not a ``str`` or an int in ``[0, 2**64)``.
    """
    return default_generator.stream(*path)


def isolate(*path: Component) -> Isolate:
    """``Generator.isolate`` on the default generator::

        @philox.isolate("augment")          # a decorator ...
        def augment(x):
            return x + np.random.rand(*x.shape)

        with philox.isolate("init"):        # ... or a context manager
            w = torch.randn(3, 3)

    Code inside gets the path's own persistent states of ``random``, ``np.random`` and
    torch (CPU, and CUDA once initialized); see ``Generator.isolate``.
    """
    return default_generator.isolate(*path)
