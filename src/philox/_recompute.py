"""Keys that survive activation checkpointing: a recomputed forward takes the ids of the calls it recomputes.

``torch.utils.checkpoint`` re-runs a segment's forward during the backward pass. A keyed draw
whose id comes from a counter (``philox.nn.Dropout``'s call index) would count on; instead a call
made in a checkpoint's first run records its id on the checkpoint frame, and a recomputation of
that frame takes the recorded ids again, in order, per key (docs/FORMAT.md 18):

* frames are found on the Python stack: the reentrant ``CheckpointFunction`` (its ``ctx``;
  ``forward`` is the first run, ``backward`` a recomputation, one per graph task) and the
  non-reentrant ``_CheckpointFrame`` (the first run: the generator suspended in ``checkpoint()``;
  a recomputation: the ``_checkpoint_hook`` unpack hook that runs it, with its graph-task id);
* a first-run call appends its id to every enclosing frame's list for its key; a recomputation
  takes the next id of the innermost recomputed frame's list (a cursor per frame, run and key)
  and records it in the frames nested inside the recomputation (nested checkpoints);
* a recomputation with more calls than the first run raises RuntimeError (no invented mask).

``replayed_id`` runs where the id is made: in eager code (``Dropout.forward``) and inside the
``philox::dropout_id`` op's implementation, so a compiled module checkpointed by eager code
(``checkpoint(torch.compile(block), x)``) replays too. A checkpoint inside compiled code is part
of the compiled graph (its recomputation reuses the forward's ids by itself) and never gets here.
"""
from __future__ import annotations

import sys

__all__ = ["replayed_id"]

_CODES = None


def _code_of(fn):
    return getattr(fn, "__wrapped__", fn).__code__


def _checkpoint_codes():
    from torch.utils import checkpoint as ck
    unpack = next(c for c in _code_of(ck._checkpoint_hook.__init__).co_consts
                  if getattr(c, "co_name", None) == "unpack_hook")
    return (_code_of(ck.checkpoint), _code_of(ck.CheckpointFunction.forward),
            _code_of(ck.CheckpointFunction.backward), unpack)


def _checkpoint_contexts():
    """The checkpoint runs around this call, innermost first: ``(frame, None)`` for a first run,
    ``(frame, run)`` for a recomputation (``run`` tells two recomputations of one frame apart)."""
    global _CODES
    if _CODES is None:
        _CODES = _checkpoint_codes()
    ck_fn, re_fwd, re_bwd, unpack = _CODES
    out = []
    f = sys._getframe(2)
    while f is not None:
        code = f.f_code
        if code is ck_fn:
            gen = f.f_locals.get("gen")
            frame = gen.gi_frame.f_locals.get("new_frame") if gen is not None and gen.gi_frame is not None else None
            if frame is not None:
                out.append((frame, None))
        elif code is re_fwd:
            out.append((f.f_locals["ctx"], None))
        elif code is re_bwd:
            import torch
            out.append((f.f_locals["ctx"], ("reentrant", torch._C._current_graph_task_id())))
        elif code is unpack:
            out.append((f.f_locals["frame"], ("nonreentrant", f.f_locals["gid"])))
        f = f.f_back
    return out


def _attr(frame, name):
    d = getattr(frame, name, None)
    if d is None:
        d = {}
        setattr(frame, name, d)
    return d


def replayed_id(key, fresh, what: str):
    """The id of a call keyed by ``key`` (a hashable: the draw's parent id): in a recomputation of a
    checkpointed segment, the id its first run took for the same call; else ``fresh()`` (recorded
    in every enclosing checkpoint frame). ``what`` names the caller in the error."""
    ctxs = _checkpoint_contexts()
    if not ctxs:
        return fresh()
    rec = next((i for i, (_, run) in enumerate(ctxs) if run is not None), None)
    if rec is None:
        sid = fresh()
    else:
        frame, run = ctxs[rec]
        ids = getattr(frame, "_philox_ids", {}).get(key)
        cursors = _attr(frame, "_philox_cursors")
        k = cursors.get((run, key), 0)
        if ids is None or k >= len(ids):
            raise RuntimeError(
                f"{what}: this recomputation of a checkpointed segment calls it more often ({k + 1}) than the "
                f"segment's forward did ({0 if ids is None else len(ids)}), so its mask cannot be the original "
                "one; a checkpointed function must make the same calls when it is recomputed")
        cursors[(run, key)] = k + 1
        sid = ids[k]
    for frame, _ in ctxs[:rec]:  # first runs inside the recomputation (nested checkpoints)
        _attr(frame, "_philox_ids").setdefault(key, []).append(sid)
    return sid
