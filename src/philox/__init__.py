"""philox: random numbers that stay reproducible when the order of calls changes.

Every value is a pure function of (seed, stream path, position), computed by
Philox4x32-10 (stream format v1, docs/FORMAT.md)::

    import philox
    philox.manual_seed(888)
    a = philox.stream("a").rand(10)          # the same whatever else draws first
    b = philox.stream("init", 3).randint(0, 10, size=5)

For code that uses the global generators (``random``, ``np.random``, ``torch``):
``philox.seed_everything(seed)`` seeds them all, and ``philox.isolate(*path)`` gives a
function its own persistent state of them, so call order stops mattering there too.

Per-sample randomness in data loading: ``PhiloxSampler(..., keys=True)`` yields
``SampleKey``s, and ``key.stream("aug")`` / ``key.seeded("aug")`` depend on (seed, epoch,
index) only; ``philox.sample_stream(seed, epoch, index, ...)`` without a sampler.
"""
from typing import TYPE_CHECKING

from ._bits import philox4x32
from ._generator import (DEFAULT_SEED, STREAM_REGISTRY_WARN_AT, Generator, default_generator, initial_seed, isolate,
                         manual_seed, seed, stream)
from ._isolate import Isolate
from ._keys import stream_id
from ._sample_key import SampleKey, sample_stream
from ._seeding import seed_everything, worker_init_fn
from ._stream import FORMAT_VERSION, MAX_POSITION, Stream
from ._batch import StreamBatch
from ._threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

if TYPE_CHECKING:  # loaded lazily at run time (see __getattr__); type checkers see the classes
    from ._sampler import PhiloxBatchSampler, PhiloxSampler


def torch_ops():
    """Register philox's torch custom ops (once) and return ``torch.ops.philox``
    (``fill_``, ``draw``, ``fold_ids``; see ``philox._ops``). Needs torch."""
    from ._ops import register
    return register()


def __getattr__(name: str):
    if name == "TrackedLoader":  # with the samplers (below), which it imports
        from ._tracking import TrackedLoader
        return TrackedLoader
    # The samplers load on first use: they subclass torch's Sampler when torch is importable,
    # and `import philox` must stay fast (and work) without torch.
    if name in ("PhiloxSampler", "PhiloxBatchSampler"):
        from . import _sampler
        return getattr(_sampler, name)
    if name == "StreamBitGenerator":
        from ._numpy_bitgen import StreamBitGenerator
        return StreamBitGenerator
    if name == "distributed":  # DTensor draws: needs torch.distributed, so loaded on first use
        import importlib
        return importlib.import_module(".distributed", __name__)
    raise AttributeError(f"module 'philox' has no attribute {name!r}")

__all__ = [
    "Generator", "Stream", "StreamBitGenerator", "StreamBatch", "stream", "manual_seed", "initial_seed", "seed",
    "default_generator", "stream_id", "philox4x32", "set_num_threads", "get_num_threads", "DEFAULT_SEED",
    "FORMAT_VERSION", "MAX_POSITION", "__version__", "seed_everything", "worker_init_fn", "isolate", "Isolate",
    "PhiloxSampler", "PhiloxBatchSampler", "TrackedLoader", "torch_ops", "SampleKey", "sample_stream",
    "STREAM_REGISTRY_WARN_AT",
]
