"""Seeds, keys and stream ids (SPEC sections 2 and 3).

A seed is normalized to 64 bits and split into the Philox key; a stream path
(a tuple of ``str`` / non-negative ``int`` components) is folded into a 64-bit
stream id, one Philox block per component. These are pure functions: the id of
``("aug", 3)`` is the same in every process, on every machine.
"""
from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from typing import List, Tuple, Union

import numpy as np

from . import _core

__all__ = ["normalize_seed", "seed_key", "stream_id", "normalize_path", "fold_component"]

Component = Union[str, int]
U64 = 1 << 64
_FOLD_INT, _FOLD_STR = int(_core.FOLD_INT), int(_core.FOLD_STR)
# str -> _blake8(str) for the strings met in paths (at most _STR_IDS_MAX of them): _core.path_id
# folds a path of exact ints and these strings in one call.
_STR_IDS: dict = {}
_STR_IDS_MAX = 4096


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def normalize_seed(seed: Union[int, np.integer], name: str = "seed") -> int:
    """The 64-bit seed ``S`` for ``seed`` (SPEC 2): an int in [-2**63, 2**64); negatives wrap.

    Raises:
        TypeError: ``seed`` is not an int or numpy integer (``bool`` is refused).
        ValueError: ``seed`` is outside ``[-2**63, 2**64)``.
    """
    if not _is_int(seed):
        raise TypeError(
            f"{name} must be an int in [-2**63, 2**64), got {seed!r} of type {type(seed).__name__}")
    s = int(seed)
    if not -(1 << 63) <= s < U64:
        raise ValueError(f"{name} must be in [-2**63, 2**64), got {s}")
    return s + U64 if s < 0 else s


def seed_key(seed: int) -> Tuple[int, int]:
    """Philox key ``(k0, k1) = (S mod 2**32, S >> 32)`` of a normalized seed."""
    return seed & 0xFFFFFFFF, seed >> 32


def check_u64(value: Union[int, np.integer], name: str) -> int:
    """``value`` as an int in ``[0, 2**64)``; TypeError (not an int) / ValueError (out of range)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int in [0, 2**64), got {value!r} of type {type(value).__name__}")
    v = int(value)
    if not 0 <= v < U64:
        raise ValueError(f"{name} must be in [0, 2**64), got {v}")
    return v


def check_real(x, name: str) -> float:
    """``x`` as a finite float; TypeError (bool or not a real number) / ValueError (not finite,
    or an int beyond float64's range), naming ``name``."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {x!r} of type {type(x).__name__}")
    try:
        v = float(x)
    except OverflowError:  # an int beyond float64's range
        raise ValueError(f"{name} must be finite, got {x!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return v


def normalize_path(path, name: str = "path") -> Tuple[Component, ...]:
    """Check each component (a ``str``, or an int in [0, 2**64)) and return the path as a tuple.

    Raises:
        TypeError: a component is neither a ``str`` nor an int (``bool`` is refused).
        ValueError: an int component is outside ``[0, 2**64)``.
    """
    out: List[Component] = []
    for i, c in enumerate(path):
        if isinstance(c, str):
            out.append(c)
        elif _is_int(c):
            out.append(check_u64(c, f"{name}[{i}]"))
        else:
            raise TypeError(
                f"{name}[{i}] must be a str or a non-negative int, got {c!r} of type {type(c).__name__}")
    return tuple(out)


@lru_cache(maxsize=4096)
def _blake8(s: str) -> int:
    try:
        b = s.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate ("\ud800"): the component has no id
        raise ValueError(f"path component {s!r} is not valid text (UTF-8 cannot encode it: {e.reason})") from None
    return int.from_bytes(hashlib.blake2b(b, digest_size=8).digest(), "little")


def fold_component(parent: int, c: Component) -> int:
    """Id of ``parent``'s path extended by one (already checked) component."""
    if isinstance(c, str):
        return _core.fold(parent, _blake8(c), _FOLD_STR)
    return _core.fold(parent, int(c), _FOLD_INT)


def path_id(path: Tuple[Component, ...], parent: int = 0) -> int:
    """Id of ``parent``'s path extended by every (already checked) component of ``path``."""
    for c in path:
        parent = fold_component(parent, c)
    return parent


def checked_path_id(path: Tuple, parent: int = 0, name: str = "path") -> Tuple[Tuple[Component, ...], int]:
    """``(normalize_path(path), path_id(that, parent))``, in one C++ call in the common case (exact
    ints and strs seen before); TypeError / ValueError as ``normalize_path`` for a bad component."""
    if type(path) is tuple:
        pid = _core.path_id(parent, path, _STR_IDS)
        if pid is not None:
            return path, pid
    path = normalize_path(path, name)
    for c in path:
        if type(c) is str and len(_STR_IDS) < _STR_IDS_MAX:
            _STR_IDS[c] = _blake8(c)
    return path, path_id(path, parent)


def stream_id(*path: Component) -> int:
    """The 64-bit id of a stream path (SPEC 3); ``stream_id()`` is 0.

    Raises TypeError / ValueError for a component that is not a ``str`` or an int in ``[0, 2**64)``.

    >>> stream_id("a") == stream_id("a")
    True
    """
    return checked_path_id(path)[1]
