"""numpy's bit generator interface on a stream: every ``numpy.random.Generator`` method on a named stream.

``Stream.bit_generator()`` returns a ``StreamBitGenerator``; ``Stream.numpy()`` wraps it in a
``numpy.random.Generator``. The words numpy reads are the stream's words from its current
position, and the stream's position moves by exactly the words numpy consumed (docs/FORMAT.md
section 14): ``next_uint32`` takes one word, ``next_uint64``/``next_raw`` two (low word first),
``next_double`` two, giving ``rand()``'s float64 for the same position. There is no buffered
state, so mixing 32- and 64-bit draws never makes the position lie.

The functions numpy calls are C++ (``_core.BitGenSource``, csrc/bindings_bitgen.cpp): numpy's
``BitGenerator.__init__`` makes the ``capsule`` around a struct inside this object, and the
source fills that struct with its function pointers, so ``Generator``, ``random_raw``,
``ctypes`` and ``cffi`` all read the stream. numpy holds ``lock`` around every draw; re-pointing
(``state = ...``) takes it too.
"""
from __future__ import annotations

import operator

import numpy as np
from numpy.random import BitGenerator
from numpy.random.bit_generator import SeedlessSeedSequence

from . import _core
from ._stream import Stream

__all__ = ["StreamBitGenerator"]

NAME = "philox.StreamBitGenerator"  # the state dict's "bit_generator" entry, as numpy's bit generators have
_STATE_KEYS = ("seed", "id", "position")


def _stream_from_state(state) -> Stream:
    """The stream a state dict names; TypeError/ValueError (naming the entry) on a malformed dict."""
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict with keys {list(_STATE_KEYS)}, got {state!r} of type "
                        f"{type(state).__name__}")
    missing = [k for k in _STATE_KEYS if k not in state]
    if missing:
        raise ValueError(f"state dict is missing {missing}: got keys {sorted(map(str, state))}")
    name = state.get("bit_generator", NAME)
    if name != NAME:
        raise ValueError(f"state['bit_generator'] must be {NAME!r}, got {name!r}")
    return Stream(state["seed"], id=state["id"], position=state["position"])


class StreamBitGenerator(BitGenerator):
    """A ``numpy.random.BitGenerator`` reading a ``philox.Stream``: ``np.random.Generator(bg)`` draws
    every numpy distribution from the stream's words, from its current position.

    ``bg.stream`` is the stream read; its ``position`` moves by exactly the 32-bit words numpy
    consumed (one per ``next_uint32``, two per 64-bit value or double). ``bg.state`` is
    ``{"bit_generator": "philox.StreamBitGenerator", "seed", "id", "position"}``; setting it
    re-points the generator: to the same stream (its position set) when seed and id match,
    else to a new ``Stream(seed, id=id, position=position)``. A ``numpy.random.Generator`` over
    it pickles and copies (the copy reads a new stream object at the same seed, id and position).
    ``spawn(n)`` gives bit generators of the child streams ``stream.stream("spawn", k)``,
    ``k = 0, 1, ...`` counted across calls, as numpy's seed sequences count their children.

    A numpy draw cannot raise from inside, so a draw that runs past the end of the stream
    (position ``2**66``) wraps: word ``p + 2**66`` is word ``p``.
    """

    def __init__(self, stream):
        if not isinstance(stream, Stream):
            raise TypeError(f"stream must be a philox.Stream, got {stream!r} of type {type(stream).__name__}")
        # A seedless sequence: no OS entropy is read, and the numpy seed sequence plays no part.
        super().__init__(SeedlessSeedSequence())
        self._spawned = 0
        self._source = _core.BitGenSource()
        self._point(stream)
        self._source.attach(self.capsule)
        # numpy's Generator takes `bit_generator.lock` around every draw: this one also lets the
        # source own the stream's cursor meanwhile (plain arithmetic per call, no atomics).
        self._lock = _core.StreamLock(self._source)

    @property
    def lock(self):
        """The lock numpy's Generator holds around every draw (re-entrant). Holding it owns the
        stream's position: the capsule's functions then take their words with plain arithmetic, and
        other threads' draws from the stream wait meanwhile. Hold it when calling the capsule's
        functions directly (``ctypes``, ``cffi``), as numpy requires of every bit generator."""
        return self._lock

    def random_raw(self, size=None, output=True):
        """numpy's ``BitGenerator.random_raw`` (64-bit values, two words each, low word first),
        under this bit generator's ``lock``."""
        with self._lock:
            return super().random_raw(size, output)

    def _benchmark(self, cnt, method="uint64"):
        with self._lock:
            return super()._benchmark(cnt, method)

    def _point(self, stream: Stream) -> None:
        """Read ``stream`` from now on (callers hold ``self.lock``, except in ``__init__``)."""
        self._source.point(stream._cursor, stream._k0, stream._k1, stream.id)
        self._stream = stream

    @property
    def stream(self) -> Stream:
        """The ``philox.Stream`` this bit generator reads (and moves)."""
        return self._stream

    @property
    def state(self) -> dict:
        """``{"bit_generator": "philox.StreamBitGenerator", "seed": ..., "id": ..., "position": ...}``;
        setting it re-points the generator (see the class docstring)."""
        s = self._stream
        return {"bit_generator": NAME, "seed": s.seed, "id": s.id, "position": s.position}

    @state.setter
    def state(self, value) -> None:
        new = _stream_from_state(value)  # every check first: a failed set changes nothing
        with self.lock:
            cur = self._stream
            if (new.seed, new.id) == (cur.seed, cur.id):
                cur.position = new.position
            else:
                self._point(new)

    def spawn(self, n_children):
        """``n_children`` bit generators of the child streams ``stream.stream("spawn", k)``, ``k``
        continuing from the children spawned before (as ``numpy.random.SeedSequence.spawn``)."""
        try:
            n = operator.index(n_children)
        except TypeError:
            raise TypeError(f"n_children must be an int, got {n_children!r} of type "
                            f"{type(n_children).__name__}") from None
        if n < 0:
            raise ValueError(f"n_children must be non-negative, got {n}")
        with self.lock:
            k0 = self._spawned
            self._spawned += n
        return [StreamBitGenerator(self._stream.stream("spawn", k)) for k in range(k0, k0 + n)]

    def __reduce__(self):
        # Three items, one argument: numpy 1.24-1.26 pickle a Generator as ctor(args[0]) from this.
        return _restore, ({**self.state, "spawned": self._spawned},), None

    def __repr__(self):
        return f"StreamBitGenerator({self._stream!r})"


def _restore(state=None) -> StreamBitGenerator:
    """Unpickling: the bit generator of a state dict. numpy 1.24 to 1.26 unpickle a Generator by
    calling this with the first argument of ``__reduce__`` (the state dict); numpy 1.22 and 1.23
    call it with no argument (through ``BitGenerators``) and then set the state: a placeholder."""
    if not isinstance(state, dict):
        return StreamBitGenerator(Stream(0, id=0))
    bg = StreamBitGenerator(_stream_from_state(state))
    bg._spawned = int(state.get("spawned", 0))
    return bg


def _register_with_old_numpy() -> None:
    """numpy < 1.24 unpickles a Generator by looking its bit generator's name up in
    ``numpy.random._pickle.BitGenerators`` (later versions pickle the bit generator itself):
    register the restore function there, as third-party bit generators did for those versions."""
    if np.lib.NumpyVersion(np.__version__) >= "1.24.0":
        return
    try:
        from numpy.random import _pickle
    except ImportError:  # pragma: no cover
        return
    _pickle.BitGenerators.setdefault(NAME, _restore)


_register_with_old_numpy()
