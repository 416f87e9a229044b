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
thread. Entering a block while another thread has one open raises ``RuntimeError``.
"""
from __future__ import annotations

import functools
import inspect
import sys
import random
import threading
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

import numpy as np

from . import _dtypes as D
from ._keys import _is_int, normalize_path
from ._seeding import derived_seeds

__all__ = ["Isolate", "IsolateRegistry", "ISOLATE_STATE_VERSION"]

#: Version of the ``"isolate"`` entry of ``Generator.state_dict()``.
ISOLATE_STATE_VERSION = 1

F = TypeVar("F", bound=Callable[..., Any])
_U32 = 1 << 32
_NP_KEY_LEN = 624
_RANDOM_STATE_LEN = 625  # MT19937 key + index, as random.getstate() gives them

_torch_cache: List[Any] = []


def _torch():
    """torch if installed (imported once), else None; the answer is cached for the process."""
    if not _torch_cache:
        _torch_cache.append(D.torch_module())
    return _torch_cache[0]


def _cuda_ready(torch) -> bool:
    return torch is not None and torch.cuda.is_initialized()


# ----------------------------------------------------------------------------- numpy's global state
# A numpy state here is ``(key, pos, has_gauss, gauss)``: the 624 MT19937 words as native
# uint32 bytes, the index, and the legacy normal cache of the global RandomState.
#
# numpy's own get_state/set_state copy the key one element at a time (about 50 us each,
# 80% of an isolate round trip). The fast path copies the MT19937 state struct with
# memmove through the bit generator's documented ctypes address, and the gauss cache at
# the offsets of the RandomState object found and verified once by _probe(); anything
# unexpected (another numpy layout, a replaced global RandomState) falls back to
# get_state/set_state.
#
# Memory safety of the raw copies (every doubt means the public API):
# - only on CPython with the GIL enabled (``id()`` is an address there; a free-threaded
#   build would let other threads' draws race the copies, which hold no per-object lock);
# - the scans read only inside the object (``type(obj).__basicsize__`` past ``id(obj)``, never
#   ``sys.getsizeof``, which also counts the GC header in front of the object);
# - an address is used only after round trips through the public API agree with it, and the
#   objects are kept alive by the cache (so the addresses cannot be reused);
# - every copy has a fixed length, checked, and holds the GIL (``_memmove``); numpy's copies
#   also hold the bit generator's lock, as its own draws do (they may run without the GIL).
_KEY_BYTES = 4 * _NP_KEY_LEN
try:  # some embedded Pythons have no ctypes: the public API then does it all
    import ctypes
    _memmove = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)(
        ctypes.cast(ctypes.memmove, ctypes.c_void_p).value)  # ctypes.memmove, but the GIL stays held
except Exception:  # pragma: no cover
    ctypes = _memmove = None


def _raw_copies_allowed() -> bool:
    """True where copying generator states through raw addresses can be safe at all."""
    if _memmove is None or sys.implementation.name != "cpython" or ctypes.sizeof(ctypes.c_void_p) != 8:
        return False  # the numpy offsets below assume 64-bit pointers
    gil = getattr(sys, "_is_gil_enabled", None)
    return gil is None or bool(gil())


def _object_extent(obj) -> Optional[Tuple[int, int]]:
    """(first byte after the object header, bytes of the object) of a fixed-size object, or None."""
    t = type(obj)
    if t.__itemsize__ != 0:
        return None
    return object.__basicsize__, t.__basicsize__


class _NumpyFast:
    __slots__ = ("rs", "bg", "addr", "hg", "g")

    def __init__(self, rs, bg, addr, hg, g):
        self.rs, self.bg, self.addr, self.hg, self.g = rs, bg, addr, hg, g


_np_fast: List[Optional[_NumpyFast]] = []  # [] = not probed, [None] = slow path


def _np_slow_get():
    _, key, pos, hg, g = np.random.get_state()
    return (key.astype(np.uint32).tobytes(), int(pos), int(hg), float(g))


def _np_slow_set(st) -> None:
    key, pos, hg, g = st
    np.random.set_state(("MT19937", np.frombuffer(key, dtype=np.uint32), pos, hg, g))


def _probe() -> Optional[_NumpyFast]:
    """Find and verify the raw addresses of the global RandomState's state; None if unsure."""
    try:
        if not _raw_copies_allowed():
            return None
        rs = np.random.mtrand._rand
        bg = rs._bit_generator
        if type(bg) is not np.random.MT19937 or not hasattr(bg, "lock"):
            return None
        addr = int(bg.ctypes.state_address)
        ext = _object_extent(rs)
        if ext is None or not addr:
            return None
        base, (head, size) = id(rs), ext
        u64 = ctypes.c_uint64
        off = None
        # bitgen_t _bitgen {state, 4 fns}; then aug_bitgen_t {&_bitgen, int has_gauss, double gauss}:
        # 64 bytes from o, all inside the object
        for o in range(head, size - 64 + 1, 8):
            if u64.from_address(base + o).value == addr and u64.from_address(base + o + 40).value == base + o:
                off = o
                break
        if off is None:
            return None
        fast = _NumpyFast(rs, bg, addr, base + off + 48, base + off + 56)
        saved = _np_slow_get()
        try:
            key = np.arange(_NP_KEY_LEN, dtype=np.uint32).tobytes()
            for st in ((key, 5, 1, 0.123456789), (key[::-1], 623, 0, 0.0)):
                _np_slow_set(st)
                if _np_fast_get(fast) != st:
                    return None
            _np_fast_set(fast, (key, 17, 1, -2.5))
            if _np_slow_get() != (key, 17, 1, -2.5):
                return None
        finally:
            _np_slow_set(saved)
        return fast
    except Exception:  # any surprise: use numpy's own API
        return None


def _np_fast_get(f: _NumpyFast):
    with f.bg.lock:
        return (ctypes.string_at(f.addr, _KEY_BYTES), ctypes.c_int.from_address(f.addr + _KEY_BYTES).value,
                ctypes.c_int.from_address(f.hg).value, ctypes.c_double.from_address(f.g).value)


def _np_fast_set(f: _NumpyFast, st) -> None:
    key, pos, hg, g = st
    if type(key) is not bytes or len(key) != _KEY_BYTES or not 0 <= pos <= _NP_KEY_LEN or hg not in (0, 1):
        raise ValueError(f"not a numpy MT19937 state: key of {len(key)} bytes, pos {pos!r}, has_gauss {hg!r}")
    with f.bg.lock:
        _memmove(f.addr, key, _KEY_BYTES)
        ctypes.c_int.from_address(f.addr + _KEY_BYTES).value = pos
        ctypes.c_int.from_address(f.hg).value = hg
        ctypes.c_double.from_address(f.g).value = g


def _np_current() -> Optional[_NumpyFast]:
    if not _np_fast:
        _np_fast.append(_probe())
    f = _np_fast[0]
    if f is not None and (np.random.mtrand._rand is not f.rs or f.rs._bit_generator is not f.bg):
        _np_fast[0] = f = _probe()  # numpy's global RandomState was replaced
    return f


def _np_get():
    f = _np_current()
    return _np_slow_get() if f is None else _np_fast_get(f)


def _np_set(st) -> None:
    f = _np_current()
    if f is None:
        _np_slow_set(st)
    else:
        _np_fast_set(f, st)


# ----------------------------------------------------------------------------- random's global state
# A random-module state here is ``(key, index, gauss_next)``: the 624 MT19937 words as
# native uint32 bytes, the index, and the cached gaussian of ``random.gauss``.
#
# random.getstate() builds a tuple of 625 ints (about 15 us, the biggest cost left once
# numpy's is cut). CPython's Random object is ``{PyObject_HEAD; int index; uint32_t
# state[624]}``; the fast path finds the state in the object by comparing with getstate()
# and verifies it with round trips through getstate/setstate, as for numpy; any surprise
# (another Python implementation or layout) keeps getstate/setstate.
class _RandomFast:
    __slots__ = ("obj", "addr", "idx")

    def __init__(self, obj, addr, idx):
        self.obj, self.addr, self.idx = obj, addr, idx


_rnd_fast: List[Optional[_RandomFast]] = []


def _rnd_state_of(obj) -> tuple:
    version, internal, gauss = obj.getstate()
    return (np.array(internal[:_NP_KEY_LEN], dtype=np.uint32).tobytes(), int(internal[_NP_KEY_LEN]), gauss)


def _rnd_slow_set(obj, st) -> None:
    key, index, gauss = st
    obj.setstate((obj.VERSION, tuple(np.frombuffer(key, dtype=np.uint32).tolist()) + (index,), gauss))


def _probe_random() -> Optional[_RandomFast]:
    try:
        if not _raw_copies_allowed():
            return None
        obj = random._inst
        if type(obj) is not random.Random:
            return None
        ext = _object_extent(obj)
        if ext is None:
            return None
        head, size = ext
        saved = _rnd_state_of(obj)
        try:
            key = np.arange(7, 7 + _NP_KEY_LEN, dtype=np.uint32).tobytes()
            _rnd_slow_set(obj, (key, 311, None))
            base = id(obj)
            fast = None
            # {PyObject_HEAD; int index; uint32_t state[624]}: the index and the key inside the object
            for o in range(head + 4, min(size - _KEY_BYTES, 128) + 1, 4):
                if ctypes.string_at(base + o, _KEY_BYTES) == key and ctypes.c_int.from_address(base + o - 4).value == 311:
                    fast = _RandomFast(obj, base + o, base + o - 4)
                    break
            if fast is None:
                return None
            for st in ((key[::-1], 624, 0.5), (key, 0, None)):
                _rnd_slow_set(obj, st)
                if _rnd_fast_get(fast) != st:
                    return None
            _rnd_fast_set(fast, (key[::-1], 17, -1.25))
            if _rnd_state_of(obj) != (key[::-1], 17, -1.25):
                return None
        finally:
            _rnd_slow_set(obj, saved)
        return fast
    except Exception:
        return None


def _rnd_fast_get(f: _RandomFast) -> tuple:
    return (ctypes.string_at(f.addr, _KEY_BYTES), ctypes.c_int.from_address(f.idx).value, f.obj.gauss_next)


def _rnd_fast_set(f: _RandomFast, st) -> None:
    key, index, gauss = st
    if type(key) is not bytes or len(key) != _KEY_BYTES or not 0 <= index <= _NP_KEY_LEN:
        raise ValueError(f"not a random-module state: key of {len(key)} bytes, index {index!r}")
    _memmove(f.addr, key, _KEY_BYTES)
    ctypes.c_int.from_address(f.idx).value = index
    f.obj.gauss_next = gauss


def _rnd_current() -> Optional[_RandomFast]:
    if not _rnd_fast:
        _rnd_fast.append(_probe_random())
    f = _rnd_fast[0]
    if f is not None and random._inst is not f.obj:
        _rnd_fast[0] = f = _probe_random()
    return f


def _rnd_get() -> tuple:
    f = _rnd_current()
    return _rnd_state_of(random._inst) if f is None else _rnd_fast_get(f)


def _rnd_set(st) -> None:
    f = _rnd_current()
    if f is None:
        _rnd_slow_set(random._inst, st)
    else:
        _rnd_fast_set(f, st)


# ----------------------------------------------------------------------------- live globals
def _get_globals(torch, cuda: bool) -> Dict[str, Any]:
    st = {"random": _rnd_get(), "numpy": _np_get()}
    if torch is not None:
        st["torch"] = torch.get_rng_state()
        if cuda:
            st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def _set_globals(st: Dict[str, Any], torch) -> None:
    _rnd_set(st["random"])
    _np_set(st["numpy"])
    if torch is not None and "torch" in st:
        torch.set_rng_state(st["torch"])
        if "cuda" in st and _cuda_ready(torch):
            torch.cuda.set_rng_state_all(st["cuda"])


def _fresh_states(seed: int, path: tuple, torch, cuda: bool) -> Dict[str, Any]:
    """The states a path starts from: each library seeded from its own philox stream."""
    seeds = derived_seeds(seed, "isolate", *path)
    st = {"random": _rnd_state_of(random.Random(seeds.random)),
          "numpy": _np_state_of(np.random.RandomState(np.array(seeds.numpy, dtype=np.uint32)))}
    if torch is not None:
        st["torch"] = torch.Generator().manual_seed(seeds.torch).get_state()
        if cuda:
            st["cuda"] = _fresh_cuda(torch, seeds.torch)
    return st


def _np_state_of(rs) -> tuple:
    _, key, pos, hg, g = rs.get_state()
    return (key.astype(np.uint32).tobytes(), int(pos), int(hg), float(g))


def _fresh_cuda(torch, seed: int) -> list:
    """Per-device CUDA states seeded with ``seed`` (as torch.manual_seed seeds every device)."""
    saved = torch.cuda.get_rng_state_all()
    try:
        torch.cuda.manual_seed_all(seed)
        return torch.cuda.get_rng_state_all()
    finally:
        torch.cuda.set_rng_state_all(saved)


class _Frame:
    __slots__ = ("registry", "path", "outer", "cuda_at_entry", "noop")

    def __init__(self, registry, path, outer, cuda_at_entry, noop=False):
        self.registry, self.path, self.outer = registry, path, outer
        self.cuda_at_entry, self.noop = cuda_at_entry, noop


# One stack for the whole process: the global generators are process-wide, and blocks of
# different philox Generators may nest inside each other.
_frames: List[_Frame] = []
_owner: List[Optional[int]] = [None]  # thread that has blocks open


class IsolateRegistry:
    """The isolated states of one ``philox.Generator``: path -> the libraries' states."""

    def __init__(self, owner) -> None:
        self._gen = owner
        self.states: Dict[tuple, Dict[str, Any]] = {}

    # ------------------------------------------------------------------ entry / exit
    def active(self) -> bool:
        """True while a block of this registry is open."""
        return any(f.registry is self for f in _frames)

    def enter(self, path: tuple) -> None:
        me = threading.get_ident()
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
        torch = _torch()
        cuda = _cuda_ready(torch)
        outer = _get_globals(torch, cuda)
        st = self.states.get(path)
        if st is None or ("torch" not in st and torch is not None) or (cuda and "cuda" not in st):
            fresh = _fresh_states(self._gen.initial_seed(), path, torch, cuda)
            if st is not None:
                fresh.update(st)
            st = fresh
        try:
            _set_globals(st, torch)
        except BaseException:
            _set_globals(outer, torch)  # leave the globals as they were
            raise
        if _owner[0] is None or not _frames:
            _owner[0] = me
        _frames.append(_Frame(self, path, outer, cuda))

    def exit(self, path: tuple) -> None:
        if not _frames or _frames[-1].registry is not self or _frames[-1].path != path:
            raise RuntimeError(f"philox.isolate{path!r} exited out of order")
        f = _frames.pop()
        try:
            if f.noop:
                return
            torch = _torch()
            cuda = _cuda_ready(torch)
            try:
                old = self.states.get(path)
                new = _get_globals(torch, cuda)
                if old is not None and "cuda" in old and "cuda" not in new:
                    new["cuda"] = old["cuda"]  # CUDA not initialized in this process (yet): keep them
                self.states[path] = new
            finally:
                _set_globals(f.outer, torch)
            if cuda and not f.cuda_at_entry:
                warnings.warn(
                    f"CUDA was initialized inside philox.isolate{path!r}: its CUDA draws this time came from the "
                    f"global CUDA generator. Initialize CUDA first (e.g. torch.cuda.init()) for isolated GPU draws.",
                    RuntimeWarning, stacklevel=3)
        finally:
            if not _frames:
                _owner[0] = None

    # ------------------------------------------------------------------ checkpoints
    def current(self) -> Dict[tuple, Dict[str, Any]]:
        """Every path's current states, including those of open blocks."""
        out = dict(self.states)
        real = [f for f in _frames if not f.noop]
        torch = None
        for i, f in enumerate(real):
            if f.registry is not self:
                continue
            if i + 1 < len(real):
                out[f.path] = real[i + 1].outer
            else:
                torch = _torch()
                out[f.path] = _get_globals(torch, _cuda_ready(torch))
        return out

    def state_entry(self) -> dict:
        """The ``"isolate"`` entry of ``Generator.state_dict()`` (plain ints, floats, lists)."""
        paths = []
        for p, st in self.current().items():
            paths.append({"path": list(p), "random": _random_to_plain(st.get("random")),
                          "numpy": _numpy_to_plain(st.get("numpy")),
                          "torch": _bytes_to_plain(st.get("torch")),
                          "cuda": None if st.get("cuda") is None else [_bytes_to_plain(t) for t in st["cuda"]]})
        return {"version": ISOLATE_STATE_VERSION, "paths": paths}

    def reset(self, states: Optional[Dict[tuple, Dict[str, Any]]] = None) -> None:
        """Drop every path's states (they restart from the seed), or replace them by ``states``."""
        self.states = {} if states is None else states


# ----------------------------------------------------------------------------- plain forms
def _random_to_plain(st):
    if st is None:
        return None
    key, index, gauss = st
    return [random.Random.VERSION, np.frombuffer(key, dtype=np.uint32).tolist() + [index], gauss]


def _numpy_to_plain(st):
    if st is None:
        return None
    key, pos, has_gauss, gauss = st
    return {"key": np.frombuffer(key, dtype=np.uint32).tolist(), "pos": pos, "has_gauss": has_gauss,
            "gauss": gauss}


def _bytes_to_plain(t):
    return None if t is None else t.tolist()


def _check_int_list(v, n, hi, what):
    if not isinstance(v, (list, tuple)):
        raise TypeError(f"{what} must be a list of ints, got {type(v).__name__}")
    if n is not None and len(v) != n:
        raise ValueError(f"{what} must have {n} entries, got {len(v)}")
    for i, x in enumerate(v):
        if not _is_int(x) or not 0 <= x < hi:
            raise ValueError(f"{what}[{i}] must be an int in [0, {hi}), got {x!r}")
    return [int(x) for x in v]


def _float(v, what):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a float, got {v!r}")
    return float(v)


def parse_state_entry(d) -> Dict[tuple, Dict[str, Any]]:
    """Check an ``"isolate"`` state-dict entry and return the states in their native forms.

    Raises TypeError / ValueError naming the bad field; nothing is changed.
    """
    if not isinstance(d, dict):
        raise TypeError(f"state dict 'isolate' must be a dict, got {type(d).__name__}")
    if set(d) != {"version", "paths"}:
        raise ValueError(f"state dict 'isolate' must have the keys 'version' and 'paths', got {sorted(map(str, d))}")
    if not _is_int(d["version"]) or d["version"] != ISOLATE_STATE_VERSION:
        raise ValueError(f"state dict 'isolate' has version {d['version']!r}; this philox reads version "
                         f"{ISOLATE_STATE_VERSION}")
    if not isinstance(d["paths"], (list, tuple)):
        raise TypeError(f"state dict 'isolate'['paths'] must be a list, got {type(d['paths']).__name__}")
    torch = None
    out: Dict[tuple, Dict[str, Any]] = {}
    keys = {"path", "random", "numpy", "torch", "cuda"}
    for i, e in enumerate(d["paths"]):
        w = f"state dict 'isolate' paths[{i}]"
        if not isinstance(e, dict) or set(e) != keys:
            raise ValueError(f"{w} must be a dict with keys {sorted(keys)}, got {e!r:.200}")
        if not isinstance(e["path"], (list, tuple)) or not e["path"]:
            raise TypeError(f"{w}['path'] must be a non-empty list, got {e['path']!r}")
        p = normalize_path(e["path"], f"{w}['path']")
        if p in out:
            raise ValueError(f"state dict 'isolate' lists path {p!r} twice")
        st: Dict[str, Any] = {}
        r = e["random"]
        if r is not None:
            if not isinstance(r, (list, tuple)) or len(r) != 3:
                raise ValueError(f"{w}['random'] must be [version, [625 ints], gauss_next], got {r!r:.200}")
            internal = _check_int_list(r[1], _RANDOM_STATE_LEN, _U32, f"{w}['random'][1]")
            if internal[-1] > _NP_KEY_LEN:
                raise ValueError(f"{w}['random'][1][624] (the index) must be at most 624, got {internal[-1]}")
            gauss = None if r[2] is None else _float(r[2], f"{w}['random'][2]")
            state = (r[0], tuple(internal), gauss)
            try:
                random.Random().setstate(state)
            except (TypeError, ValueError) as ex:
                raise ValueError(f"{w}['random'] is not a random-module state: {ex}") from None
            st["random"] = (np.array(internal[:_NP_KEY_LEN], dtype=np.uint32).tobytes(), internal[_NP_KEY_LEN], gauss)
        n = e["numpy"]
        if n is not None:
            if not isinstance(n, dict) or set(n) != {"key", "pos", "has_gauss", "gauss"}:
                raise ValueError(f"{w}['numpy'] must be a dict with keys 'key', 'pos', 'has_gauss', 'gauss', "
                                 f"got {n!r:.200}")
            key = _check_int_list(n["key"], _NP_KEY_LEN, _U32, f"{w}['numpy']['key']")
            pos = n["pos"]
            if not _is_int(pos) or not 0 <= pos <= _NP_KEY_LEN:
                raise ValueError(f"{w}['numpy']['pos'] must be an int in [0, 624], got {pos!r}")
            hg = n["has_gauss"]
            if not _is_int(hg) or hg not in (0, 1):
                raise ValueError(f"{w}['numpy']['has_gauss'] must be 0 or 1, got {hg!r}")
            st["numpy"] = (np.array(key, dtype=np.uint32).tobytes(), int(pos), int(hg),
                           _float(n["gauss"], f"{w}['numpy']['gauss']"))
        t = e["torch"]
        if t is not None:
            torch = torch or _torch()
            b = _check_int_list(t, None, 256, f"{w}['torch']")
            if torch is None:
                raise ValueError(f"{w}['torch'] holds a torch state, but torch is not installed")
            ts = torch.tensor(b, dtype=torch.uint8)
            try:
                torch.Generator().set_state(ts)
            except (RuntimeError, TypeError, ValueError) as ex:
                raise ValueError(f"{w}['torch'] is not a torch CPU generator state: {ex}") from None
            st["torch"] = ts
        c = e["cuda"]
        if c is not None:
            torch = torch or _torch()
            if not isinstance(c, (list, tuple)):
                raise TypeError(f"{w}['cuda'] must be a list of per-device states, got {type(c).__name__}")
            if torch is None:
                raise ValueError(f"{w}['cuda'] holds CUDA states, but torch is not installed")
            if "torch" not in st:
                raise ValueError(f"{w} has CUDA states but no torch CPU state")
            st["cuda"] = [torch.tensor(_check_int_list(x, None, 256, f"{w}['cuda'][{j}]"), dtype=torch.uint8)
                          for j, x in enumerate(c)]
        out[p] = st
    return out


# ----------------------------------------------------------------------------- the public object
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
    return Isolate(registry, normalize_path(path))
