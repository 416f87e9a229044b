"""Generator: a seed plus a registry of named streams, and the default generator.

``Generator.stream(*path)`` always returns the same Stream object for a path, so
its position carries on between calls; the values of each named stream depend
on (seed, path, position) only, never on what other streams drew or in which
order. ``state_dict()`` holds every named stream's position, so a checkpoint
restores all of them exactly.
"""
from __future__ import annotations

import secrets
import threading

from ._keys import normalize_path, normalize_seed
from ._stream import FORMAT_VERSION, Stream, check_format

__all__ = ["Generator", "DEFAULT_SEED", "default_generator", "manual_seed", "initial_seed", "seed", "stream"]

#: Seed of the default generator until ``manual_seed``/``seed`` is called: fixed,
#: so a program that never seeds gets the same values on every run and rank
#: (as torch's default generator does). The first 64 bits of pi's fraction.
DEFAULT_SEED = 0x243F6A8885A308D3


def _fresh_seed() -> int:
    return secrets.randbits(64)


class Generator:
    """A seed and its named streams.

    ``Generator(seed)`` is reproducible; ``Generator()`` takes fresh OS entropy
    (as ``numpy.random.default_rng()`` does) and reports it by ``initial_seed()``.
    """

    def __init__(self, seed=None):
        self._seed = _fresh_seed() if seed is None else normalize_seed(seed)
        self._streams = {}
        self._lock = threading.Lock()

    def stream(self, *path) -> Stream:
        """The registered stream for ``path`` (created at position 0 on first use)."""
        p = normalize_path(path)
        s = self._streams.get(p)
        if s is None:
            with self._lock:
                s = self._streams.get(p)
                if s is None:
                    s = self._streams[p] = Stream(self._seed, *p)
        return s

    def manual_seed(self, seed) -> "Generator":
        """Set the seed; every named stream restarts at position 0 (the same objects)."""
        s = normalize_seed(seed)
        with self._lock:
            self._seed = s
            for st in self._streams.values():
                st._set_seed(s)
                st.position = 0
        return self

    def seed(self) -> int:
        """Seed from fresh OS entropy; returns the new seed."""
        s = _fresh_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed in use (normalized to [0, 2**64))."""
        return self._seed

    def state_dict(self) -> dict:
        """Seed and every named stream's position (plain ints, strs and lists)."""
        with self._lock:
            streams = [{"path": list(p), "position": s.position} for p, s in self._streams.items()]
        return {"format": FORMAT_VERSION, "seed": self._seed, "streams": streams}

    def load_state_dict(self, d) -> None:
        """Restore ``state_dict()``: the seed, and every stream's position (streams it does not list
        restart at 0). The whole dict is checked before anything changes."""
        if not isinstance(d, dict):
            raise TypeError(f"state dict must be a dict, got {type(d).__name__}")
        missing = {"format", "seed", "streams"} - set(d)
        if missing:
            raise ValueError(f"state dict is missing {sorted(missing)}")
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
            pos = Stream._check_position(e["position"])
            if p in positions:
                raise ValueError(f"state dict lists path {p!r} twice")
            positions[p] = pos
        self.manual_seed(seed)
        for p, pos in positions.items():
            self.stream(*p).position = pos

    def __getstate__(self):
        return self.state_dict()

    def __setstate__(self, d):
        self.__init__(0)
        self.load_state_dict(d)

    def __repr__(self):
        return f"philox.Generator(seed={self._seed}, streams={len(self._streams)})"


default_generator = Generator(DEFAULT_SEED)


def manual_seed(seed) -> Generator:
    """Seed the default generator (its named streams restart at 0); returns it."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def seed() -> int:
    """Seed the default generator from OS entropy; returns the seed."""
    return default_generator.seed()


def stream(*path) -> Stream:
    """The default generator's named stream for ``path``: ``philox.stream("a").rand(10)``."""
    return default_generator.stream(*path)
