"""Seeds for other libraries' generators, read from philox streams (docs/FORMAT.md,
"Seeds for other libraries"): ``derived_seeds`` serves ``seed_everything``,
``worker_init_fn`` (``_seeding``) and the first states of ``isolate`` paths
(``_globals_state``). It needs streams only, so the modules above it import it
without a cycle: keys -> stream -> _derive -> isolate -> generator -> seeding.
"""
from __future__ import annotations

from typing import NamedTuple, Tuple

from ._stream import Stream

__all__ = ["LIBRARIES", "DerivedSeeds", "derived_seeds", "library_seeds"]

#: The libraries ``derived_seeds`` gives a seed for, in the order of their stream names.
LIBRARIES = ("random", "numpy", "torch")


class DerivedSeeds(NamedTuple):
    """The seeds given to each global generator (docs/FORMAT.md, "Seeds for other libraries").

    ``random``: a 128-bit int for ``random.seed``; ``numpy``: four uint32 words for
    ``np.random.seed`` (numpy's legacy seeding takes 32-bit words only); ``torch``: a
    64-bit int for ``torch.manual_seed`` (CPU and every CUDA device).
    """

    random: int
    numpy: Tuple[int, int, int, int]
    torch: int


def derived_seeds(seed: int, *prefix) -> DerivedSeeds:
    """The seeds that ``prefix`` gives each library: library ``L`` reads the first words of
    stream ``Stream(seed, *prefix[:1], L, *prefix[1:])`` (the library name second, so paths
    of any length never collide).

    ``seed`` must already be normalized (an int in [0, 2**64)).
    """
    head, rest = prefix[:1], prefix[1:]

    return library_seeds(lambda lib, n: Stream(seed, *head, lib, *rest).random_raw(n))


def library_seeds(words) -> DerivedSeeds:
    """The seeds of docs/FORMAT.md section 9's table from ``words(lib, n)``: the first ``n``
    words (uint32) of library ``lib``'s stream."""
    w = [int(x) for x in words("random", 4)]
    r = w[0] | (w[1] << 32) | (w[2] << 64) | (w[3] << 96)
    npw = tuple(int(x) for x in words("numpy", 4))
    t = words("torch", 2)
    return DerivedSeeds(r, npw, int(t[0]) | (int(t[1]) << 32))
