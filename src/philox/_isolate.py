"""``isolate``: a persistent, private state of the global RNGs for code that calls them directly.

Legacy code calls ``random.random()``, ``np.random.rand()`` or ``torch.rand()`` on the
global generators, so its values depend on everything else that drew from them before.
``with philox.isolate("augment"):`` (or ``@philox.isolate("augment")``) swaps in the
path's own states of those generators on entry and swaps them out on exit:

- entry: save the current (outer) global states; install the path's states, seeded the
  first time from the generator's philox streams for that path (``Stream(seed,
  "isolate", L, *path)`` for library ``L``, docs/FORMAT.md);
- exit (also on an exception): keep the path's states for its next entry and restore the
  outer ones.

So each isolated function sees one sequence of its own, whatever ran before it and in
which order. The states live in a registry owned by a ``philox.Generator`` (the default
generator for ``philox.isolate``): they restart from the seed on ``manual_seed`` and are
saved by ``Generator.state_dict()``.

Global generators covered: Python's ``random`` module, numpy's legacy global
``RandomState`` (``np.random.*``; ``np.random.default_rng()`` generators are not global
and need no isolation), torch's CPU generator and, once CUDA is initialized, every CUDA
device's generator. torch is imported on first use if it is installed.

Not thread-safe: the global generators are process-wide, so a block swaps them for every
thread. Entering a block while another thread has one open raises ``RuntimeError`` (the
check and the entry are one step, under a lock).

This module holds the blocks and their stack; ``_globals_state`` reads and writes the
global generators' states, ``_isolate_state`` turns them into the checkpoint entry and back.
"""
from __future__ import annotations

import functools
import inspect
import threading
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from ._globals_state import cuda_ready, fresh_states, get_globals, set_globals, torch_cached
from ._isolate_state import ISOLATE_STATE_VERSION, parse_state_entry, state_entry
from ._keys import normalize_path, path_id

__all__ = ["Isolate", "IsolateRegistry", "ISOLATE_STATE_VERSION", "make_isolate", "parse_state_entry"]

F = TypeVar("F", bound=Callable[..., Any])


class _Frame:
    __slots__ = ("registry", "path", "outer", "cuda_at_entry", "noop")

    def __init__(self, registry, path, outer, cuda_at_entry, noop=False):
        self.registry, self.path, self.outer = registry, path, outer
        self.cuda_at_entry, self.noop = cuda_at_entry, noop


# One stack for the whole process: the global generators are process-wide, and blocks of
# different philox Generators may nest inside each other.
_frames: List[_Frame] = []
_owner: List[Optional[int]] = [None]  # thread that has blocks open
# Held while a block is entered or exited: checking for another thread's open block and
# opening one must be one step, or two threads could both get in (and each restore the
# other's states on exit). Reentrant: code run by an entry (an import, a finalizer) may
# touch isolate blocks of its own thread.
_lock = threading.RLock()


class IsolateRegistry:
    """The isolated states of one ``philox.Generator``: path -> the libraries' states."""

    def __init__(self, owner) -> None:
        self._gen = owner
        self.states: Dict[tuple, Dict[str, Any]] = {}

    # ------------------------------------------------------------------ entry / exit
    def active(self) -> bool:
        """True while a block of this registry is open."""
        with _lock:
            return any(f.registry is self for f in _frames)

    def enter(self, path: tuple) -> None:
        with _lock:
            self._enter(path, threading.get_ident())

    def _enter(self, path: tuple, me: int) -> None:
        if _frames and _owner[0] != me:
            raise RuntimeError("philox.isolate is not thread-safe: another thread has an isolate block open "
                               "(the global generators are process-wide)")
        top = _frames[-1] if _frames else None
        if top is not None and top.registry is self and top.path == path:
            # Re-entry of the innermost path (e.g. recursion): its states are already live.
            _frames.append(_Frame(self, path, None, False, noop=True))
            return
        if any(f.registry is self and f.path == path for f in _frames):
            raise RuntimeError(f"philox.isolate{path!r} is already open further out; a path can only be "
                               f"re-entered directly inside itself")
        torch = torch_cached()
        cuda = cuda_ready(torch)
        outer = get_globals(torch, cuda)
        st = self.states.get(path)
        if st is None or ("torch" not in st and torch is not None) or (cuda and "cuda" not in st):
            fresh = fresh_states(self._gen.initial_seed(), path, torch, cuda)
            if st is not None:
                fresh.update(st)
            st = fresh
        try:
            set_globals(st, torch)
        except BaseException:
            set_globals(outer, torch)  # leave the globals as they were
            raise
        if _owner[0] is None or not _frames:
            _owner[0] = me
        _frames.append(_Frame(self, path, outer, cuda))

    def exit(self, path: tuple) -> None:
        with _lock:
            if _frames and _owner[0] != threading.get_ident():
                raise RuntimeError(f"philox.isolate{path!r} exited by a thread that did not enter it")
            self._exit(path)

    def _exit(self, path: tuple) -> None:
        if not _frames or _frames[-1].registry is not self or _frames[-1].path != path:
            raise RuntimeError(f"philox.isolate{path!r} exited out of order")
        f = _frames.pop()
        try:
            if f.noop:
                return
            torch = torch_cached()
            cuda = cuda_ready(torch)
            try:
                old = self.states.get(path)
                new = get_globals(torch, cuda)
                if old is not None and "cuda" in old and "cuda" not in new:
                    new["cuda"] = old["cuda"]  # CUDA not initialized in this process (yet): keep them
                self.states[path] = new
            finally:
                set_globals(f.outer, torch)
            if cuda and not f.cuda_at_entry:
                warnings.warn(
                    f"CUDA was initialized inside philox.isolate{path!r}: its CUDA draws this time came from the "
                    f"global CUDA generator. Initialize CUDA first (e.g. torch.cuda.init()) for isolated GPU draws.",
                    RuntimeWarning, stacklevel=4)
        finally:
            if not _frames:
                _owner[0] = None

    # ------------------------------------------------------------------ checkpoints
    def current(self) -> Dict[tuple, Dict[str, Any]]:
        """Every path's current states, including those of open blocks."""
        with _lock:
            return self._current()

    def _current(self) -> Dict[tuple, Dict[str, Any]]:
        out = dict(self.states)
        real = [f for f in _frames if not f.noop]
        torch = None
        for i, f in enumerate(real):
            if f.registry is not self:
                continue
            if i + 1 < len(real):
                out[f.path] = real[i + 1].outer
            else:
                torch = torch_cached()
                out[f.path] = get_globals(torch, cuda_ready(torch))
        return out

    def state_entry(self) -> dict:
        """The ``"isolate"`` entry of ``Generator.state_dict()`` (plain ints, floats, lists)."""
        return state_entry(self.current())

    def reset(self, states: Optional[Dict[tuple, Dict[str, Any]]] = None) -> None:
        """Drop every path's states (they restart from the seed), or replace them by ``states``."""
        self.states = {} if states is None else states



class Isolate:
    """A context manager and decorator: the global RNGs get ``path``'s own state inside.

    Made by ``philox.isolate(*path)`` (default generator) or ``Generator.isolate(*path)``.
    The same object may be entered any number of times, also recursively (re-entering
    the innermost open path keeps its live state).
    """

    __slots__ = ("_registry", "_path")

    def __init__(self, registry: IsolateRegistry, path: tuple) -> None:
        self._registry = registry
        self._path = path

    @property
    def path(self) -> tuple:
        """The path whose states this block installs."""
        return self._path

    def __enter__(self) -> "Isolate":
        self._registry.enter(self._path)
        return self

    def __exit__(self, *exc) -> None:
        self._registry.exit(self._path)

    def __call__(self, fn: F) -> F:
        """Decorate ``fn``: every call runs inside this block."""
        if not callable(fn):
            raise TypeError(f"isolate(...) decorates a function, got {fn!r}")
        if inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(f"isolate cannot decorate the generator/async function {fn.__qualname__}: its body "
                            f"runs after the call returns; use 'with philox.isolate(...)' inside it")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"philox.isolate{self._path!r}"


def make_isolate(registry: IsolateRegistry, path: Tuple) -> Isolate:
    """Check ``path`` (non-empty, str / non-negative int components) and make the block."""
    if len(path) == 1 and callable(path[0]) and not isinstance(path[0], (str, int)):
        raise TypeError("isolate needs a path: write @philox.isolate('name'), not @philox.isolate")
    if not path:
        raise ValueError("isolate needs a non-empty path, e.g. philox.isolate('augment')")
    p = normalize_path(path)
    path_id(p)  # its streams' ids: a str that UTF-8 cannot encode is refused here, not on entry
    return Isolate(registry, p)
