"""The global generators' live states: reading, writing and seeding them fast.

The states that ``philox.isolate`` (``_isolate``) swaps: Python's ``random`` module,
numpy's legacy global ``RandomState``, torch's CPU generator and, once CUDA is
initialized, every CUDA device's generator. Plain copies of them are ``_isolate_state``'s.
"""
from __future__ import annotations

import random
import sys
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _dtypes as D
from ._derive import derived_seeds

__all__ = ["torch_cached", "cuda_ready", "get_globals", "set_globals", "fresh_states", "NP_KEY_LEN"]

NP_KEY_LEN = _NP_KEY_LEN = 624

_torch_cache: List[Any] = []


def torch_cached():
    """torch if installed (imported once), else None; the answer is cached for the process."""
    if not _torch_cache:
        _torch_cache.append(D.torch_module())
    return _torch_cache[0]


def cuda_ready(torch) -> bool:
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
def get_globals(torch, cuda: bool) -> Dict[str, Any]:
    st = {"random": _rnd_get(), "numpy": _np_get()}
    if torch is not None:
        st["torch"] = torch.get_rng_state()
        if cuda:
            st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def set_globals(st: Dict[str, Any], torch) -> None:
    _rnd_set(st["random"])
    _np_set(st["numpy"])
    if torch is not None and "torch" in st:
        torch.set_rng_state(st["torch"])
        if "cuda" in st and cuda_ready(torch):
            torch.cuda.set_rng_state_all(st["cuda"])


def fresh_states(seed: int, path: tuple, torch, cuda: bool) -> Dict[str, Any]:
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
