"""The ``"isolate"`` entry of ``Generator.state_dict()``: plain forms of the isolated states,
and the checks that turn a loaded entry back into live states (``_globals_state``'s forms)."""
from __future__ import annotations

import math
import random
from typing import Any, Dict

import numpy as np

from ._globals_state import NP_KEY_LEN as _NP_KEY_LEN
from ._globals_state import torch_cached as _torch
from ._keys import _is_int, normalize_path, path_id

__all__ = ["ISOLATE_STATE_VERSION", "state_entry", "parse_state_entry"]

#: Version of the ``"isolate"`` entry of ``Generator.state_dict()``.
ISOLATE_STATE_VERSION = 1

_U32 = 1 << 32
_RANDOM_STATE_LEN = 625  # MT19937 key + index, as random.getstate() gives them
# A torch CUDA generator's state: its seed and its Philox offset, 8 bytes each
# (torch.cuda.get_rng_state(); the same layout since torch 2.0).
_CUDA_STATE_BYTES = 16


def state_entry(states: Dict[tuple, Dict[str, Any]]) -> dict:
    """The ``"isolate"`` entry for every path's states (plain ints, floats, lists)."""
    paths = []
    for p, st in states.items():
        paths.append({"path": list(p), "random": _random_to_plain(st.get("random")),
                      "numpy": _numpy_to_plain(st.get("numpy")),
                      "torch": _bytes_to_plain(st.get("torch")),
                      "cuda": None if st.get("cuda") is None else [_bytes_to_plain(t) for t in st["cuda"]]})
    return {"version": ISOLATE_STATE_VERSION, "paths": paths}


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
    """A finite float (a generator's cached normal); an int past float's range is a ValueError."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a float, got {v!r}")
    try:
        f = float(v)
    except OverflowError:
        raise ValueError(f"{what} must be a finite float, got {v!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{what} must be a finite float, got {v!r}")
    return f


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
        path_id(p)  # its streams' ids: a str that UTF-8 cannot encode is refused here, not on entry
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
            st["cuda"] = [torch.tensor(_check_int_list(x, _CUDA_STATE_BYTES, 256, f"{w}['cuda'][{j}]"),
                                       dtype=torch.uint8) for j, x in enumerate(c)]
        out[p] = st
    return out
