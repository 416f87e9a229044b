"""philox.nn: model helpers whose values depend on names, never on order, devices or sharding.

* ``philox.nn.init``: ``uniform_``, ``normal_``, ``trunc_normal_``, ``xavier_uniform_``,
  ``xavier_normal_``, ``kaiming_uniform_``, ``kaiming_normal_`` -- torch.nn.init's random
  initializers drawing from a philox ``Stream`` (``stream=``), for plain, ``meta``-materialized
  and DTensor parameters.
* ``philox.nn.reset_parameters(module, seed=None, path=("init",))``: every parameter of a
  module tree from the stream ``(*path, qualified_name)``, with torch's default distributions.

Needs torch.
"""
from . import init
from ._reset import reset_parameters

__all__ = ["init", "reset_parameters"]
