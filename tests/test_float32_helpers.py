"""The float32 roundings uniform()/normal() apply to their bounds (struct-based, no numpy scalars
on the per-call path) equal numpy's float32 arithmetic, edges included."""
import math

import numpy as np
from hypothesis import given, strategies as st

from philox._stream import _f32, _f32_below, _sub_f32

EDGES = [0.0, -0.0, 1.0, -1.0, 65504.0, 1e-45, 7e-46, -7e-46, 2.0 ** -149 * 1.5, 2.0 ** -149 * 2.5,
         3.4028234663852886e38, 3.4028235677973366e38, 3.402823567797337e38, -3.5e38, 1e300, -1e300]


def _np32(x):
    with np.errstate(all="ignore"):
        return float(np.float32(x))


def _same(a, b):
    return a == b and math.copysign(1, a) == math.copysign(1, b) or (math.isnan(a) and math.isnan(b))


@given(st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=False, allow_infinity=False)))
def test_f32_and_below_match_numpy(x):
    a = _np32(x)
    assert _same(_f32(x), a)
    if math.isfinite(a):
        assert _f32_below(a) == float(np.nextafter(np.float32(a), np.float32(-np.inf)))


@given(st.floats(width=32, allow_nan=False, allow_infinity=False),
       st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float32_difference_matches_numpy(a, b):
    with np.errstate(all="ignore"):
        assert _same(_sub_f32(b, a), float(np.float32(b) - np.float32(a)))
