"""Threads the CPU backend may use for big draws (results never depend on it)."""
from . import _core
from ._keys import _is_int


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads (>= 1) for big draws; values are the same for every ``n``."""
    if not _is_int(n):
        raise TypeError(f"n must be an int >= 1, got {n!r} of type {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _core.set_num_threads(int(min(n, 1024)))


def get_num_threads() -> int:
    """Threads used for big draws."""
    return _core.get_num_threads()
