"""philox.nn: model helpers whose randomness depends on names and steps, never on order, devices or sharding.

* ``philox.nn.functional.dropout`` and ``philox.nn.Dropout``: keyed dropout that recomputes exactly
  (activation checkpointing, torch.compile) and saves no mask (docs/FORMAT.md 16).

Needs torch.
"""
from . import functional
from ._dropout import Dropout, name_modules, set_batch_offset, set_seed, set_step

__all__ = ["functional", "Dropout", "name_modules", "set_batch_offset", "set_seed", "set_step"]
