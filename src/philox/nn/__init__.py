"""philox.nn: model helpers whose randomness depends on names and steps, never on order, devices or
sharding.

* ``philox.nn.init``: ``uniform_``, ``normal_``, ``trunc_normal_``, ``xavier_uniform_``,
  ``xavier_normal_``, ``kaiming_uniform_``, ``kaiming_normal_`` -- torch.nn.init's random
  initializers drawing from a philox ``Stream`` (``stream=``), for plain, ``meta``-materialized
  and DTensor parameters.
* ``philox.nn.reset_parameters(module, seed=None, path=("init",))``: every parameter of a
  module tree from the stream ``(*path, qualified_name)``, with torch's default distributions.
* ``philox.nn.functional.dropout`` and ``philox.nn.Dropout``: keyed dropout that recomputes exactly
  (activation checkpointing, torch.compile) and saves no mask (docs/FORMAT.md 18).

Needs torch.
"""
from . import functional, init
from ._dropout import Dropout, name_modules, set_batch_offset, set_seed, set_step
from ._reset import reset_parameters

__all__ = ["init", "reset_parameters", "functional", "Dropout", "name_modules", "set_batch_offset", "set_seed",
           "set_step"]
