"""Crafted state dicts and pickles: every loader refuses a malformed state with a clean
TypeError / ValueError and changes nothing (issue 10, "crafted state dicts and pickles")."""
import copy
import copyreg
import json
import math
import pickle
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import philox

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-(1 << 70), 1 << 70), st.floats(), st.text(max_size=5),
                 st.sampled_from(["\ud800", b"x", 1j, math.nan, 1 << 66, -1, [], {}, [None], ["a", -1], {"a": 1},
                                  10 ** 400]))


def _mutations(d, draw):
    """A copy of the (JSON-like) state ``d`` with one entry, somewhere inside it, replaced, removed
    or added; returns (new dict, description)."""
    d = copy.deepcopy(d)
    node, path = d, []
    while True:  # walk down a random path
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys or draw(st.integers(0, 3)) == 0:
            break
        k = draw(st.sampled_from(keys))
        if not isinstance(node[k], (dict, list)) or not node[k]:
            break
        node, path = node[k], path + [k]
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    op = draw(st.sampled_from(["replace", "delete", "add"] if keys else ["add"]))
    if op == "add":
        if isinstance(node, dict):
            node[draw(st.sampled_from(["extra", "format", "zz", 3]))] = draw(JUNK)
        else:
            node.append(draw(JUNK))
    else:
        k = draw(st.sampled_from(keys))
        if op == "delete":
            del node[k]
        else:
            node[k] = draw(JUNK)
    return d, f"{op} at {path}"


def _generator():
    g = philox.Generator(77)
    g.stream("a").random_raw(5)
    g.stream("b", 3).rand(2)
    with g.isolate("iso"):
        random.random()
        np.random.rand()
    return g


def _still_loads(d):
    """Is ``d`` (a mutation) still a valid state? Then loading it is no error; try a fresh generator."""
    try:
        philox.Generator(1).load_state_dict(copy.deepcopy(d))
        return True
    except (TypeError, ValueError):
        return False


@SETTINGS
@given(data=st.data())
def test_generator_load_state_dict_refuses_crafted_dicts(data, checked, keep_globals):
    g = _generator()
    good = g.state_dict()
    bad, where = _mutations(good, data.draw)
    if _still_loads(bad):  # e.g. a position replaced by another valid position
        return
    with pytest.raises((TypeError, ValueError)):
        g.load_state_dict(bad)
    assert g.state_dict() == good, where
    checked()


@SETTINGS
@given(data=st.data())
def test_stream_from_state_dict_refuses_crafted_dicts(data, checked):
    s = philox.Stream(5, "s", 2, position=99)
    good = s.state_dict()
    bad, where = _mutations(good, data.draw)
    try:
        t = philox.Stream.from_state_dict(bad)
    except (TypeError, ValueError):
        checked()
        return
    # accepted: then it is a consistent stream (its id matches its path)
    assert isinstance(t, philox.Stream) and t.state_dict()["id"] == t.id
    assert t.path is None or philox.stream_id(*t.path) == t.id


class _Crafted:
    """Pickles as ``cls`` with the state ``state``: what a tampered or truncated checkpoint holds."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    def __reduce__(self):
        return copyreg._reconstructor, (self.cls, object, None), self.state


@SETTINGS
@given(data=st.data())
def test_crafted_pickles_are_refused(data, checked, keep_globals):
    cls = data.draw(st.sampled_from([philox.Stream, philox.Generator]))
    good = philox.Stream(5, "p", position=4).state_dict() if cls is philox.Stream else _generator().state_dict()
    bad, where = _mutations(good, data.draw)
    if cls is philox.Generator and _still_loads(bad):
        return
    blob = pickle.dumps(_Crafted(cls, bad))
    try:
        obj = pickle.loads(blob)
    except (TypeError, ValueError):
        checked()
        return
    assert cls is philox.Stream, f"a Generator loaded a state that a fresh Generator refuses ({where})"
    assert obj.path is None or philox.stream_id(*obj.path) == obj.id, where


def test_pickles_and_json_round_trip(keep_globals):
    g = _generator()
    for d in (pickle.loads(pickle.dumps(g)).state_dict(), json.loads(json.dumps(g.state_dict()))):
        assert d == g.state_dict()
    s = philox.Stream(1, "x", position=3)
    assert pickle.loads(pickle.dumps(s)) == s


def test_truncated_pickles_raise_unpickling_errors():
    blob = pickle.dumps(philox.Stream(1, "t", position=5))
    for n in range(1, len(blob), max(1, len(blob) // 25)):
        with pytest.raises(Exception) as e:  # pickle's own errors; never a crash or a half-made stream
            pickle.loads(blob[:n])
        assert isinstance(e.value, (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                                    IndexError, KeyError))
