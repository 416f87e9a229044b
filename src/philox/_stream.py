"""Stream: one infinite sequence of 32-bit words, and the draws that read it.

A stream is ``(seed, id)`` plus a position in words (SPEC 4). Every draw of
``n`` values that take ``k`` words each reads words ``position .. position +
n*k - 1`` and moves the position past them; the values are a pure function of
``(seed, id, position)``. Each draw checks its arguments and allocates its
output first; the backend then reserves the word range atomically on the
stream's cursor (so threads sharing a stream get disjoint ranges) and fills the
output with no lock and no GIL held.
"""
from __future__ import annotations

import math
import struct
from typing import Optional, Tuple

import numpy as np

from . import _backend, _core
from . import _dtypes as D
from ._keys import _is_int, check_u64, fold_component, normalize_path, normalize_seed, path_id, seed_key
from ._output import parse_size, parse_star_size, prepare

from . import _choice, _dists, _permutation  # noqa: E402  (they call back into Stream's draws only)

__all__ = ["Stream", "MAX_POSITION", "FORMAT_VERSION"]

FORMAT_VERSION = 1
MAX_POSITION = 1 << 66  # words per stream: 2**64 blocks of 4

# Backend op codes, from the op table (csrc/ops.h, exported as _core.OPS), which also
# gives each op's words per value.
_OP = {name: code for code, name, _words, _bytes, _dtypes in _core.OPS}
_RAW32, _RAW64 = _OP["raw32"], _OP["raw64"]
_UNIFORM = {k: _OP["uniform_" + k] for k in ("f32", "f64", "f16", "bf16")}
_NORMAL = {k: _OP["normal_" + k] for k in ("f32", "f64", "f16", "bf16")}
_EXPONENTIAL = {k: _OP["exponential_" + k] for k in ("f32", "f64", "f16", "bf16")}
_GUMBEL, _LOGISTIC, _LAPLACE = ({k: _OP[f"{d}_{k}"] for k in ("f32", "f64", "f16", "bf16")}
                                for d in ("gumbel", "logistic", "laplace"))
_INT_SMALL, _INT_LARGE = _OP["int_small"], _OP["int_large"]
_PERM_WORDS = int(_core.PERM_WORDS)


def _real(x, name: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {x!r} of type {type(x).__name__}")
    try:
        v = float(x)
    except OverflowError:  # an int beyond float64's range
        raise ValueError(f"{name} must be finite, got {x!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return v


_F32 = struct.Struct("<f")


def _f32(x: float) -> float:
    """The float32 nearest x (ties to even; +-inf past the range), as numpy's float32(x)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]  # a C (float) cast: IEEE round to nearest even
    except OverflowError:  # finite x that rounds past float32's range
        return math.copysign(math.inf, x)


def _f32_below(b: float) -> float:
    """The largest float32 below the float32 value b (b finite; an infinite b is refused later)."""
    if not math.isfinite(b):
        return b
    if b == 0:
        return -1.401298464324817e-45  # -(smallest subnormal)
    bits = struct.unpack("<I", _F32.pack(b))[0]
    return _F32.unpack(struct.pack("<I", bits - 1 if b > 0 else bits + 1))[0]


def _sub_f32(b: float, a: float) -> float:
    """b - a in float32 arithmetic (a, b float32 values): the exact difference rounded once."""
    d = b - a  # exact in float64 unless the exponents are far apart, where one rounding to
    # float64 then to float32 cannot land on a float32 midpoint; only finiteness is used
    return _f32(d)


def _bf16_bits(x32: float) -> int:
    """float32 value -> bfloat16 bits, round to nearest even (as philox.h does)."""
    b = int(np.array(x32, np.float32).view(np.uint32))
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF


def _bf16_value(bits: int) -> float:
    return float(np.array(bits << 16, np.uint32).view(np.float32))


def _f16_bits(x32: float) -> int:
    with np.errstate(over="ignore"):
        return int(np.array(x32, np.float32).astype(np.float16).view(np.uint16))


def _f16_value(bits: int) -> float:
    return float(np.array(bits, np.uint16).view(np.float16))


def _below_bits(bits: int) -> int:
    """Bits of the next 16-bit float below the one with ``bits`` (sign-magnitude)."""
    if bits & 0x7FFF == 0:
        return 0x8001
    return bits + 1 if bits & 0x8000 else bits - 1


def check_format(fmt) -> None:
    """A state dict's ``format`` must be this library's stream format (an int, not a bool)."""
    if not _is_int(fmt) or fmt != FORMAT_VERSION:
        raise ValueError(f"state dict has format {fmt!r}; this philox reads format {FORMAT_VERSION}")


class _Draws:
    """The draws of a stream (and of a batch of streams, ``philox.StreamBatch``).

    Subclasses provide ``_prepare(shape, dtype, device, out, kind, default_np)`` (the
    output ``Target``) and ``_fill(op, target, ...)`` (reserve the words, fill, finish).
    """

    _prepare = staticmethod(prepare)

    @staticmethod
    def _check_position(position) -> int:
        if not _is_int(position):
            raise TypeError(f"position must be an int in [0, 2**66], got {position!r} of type "
                            f"{type(position).__name__}")
        p = int(position)
        if not 0 <= p <= MAX_POSITION:
            raise ValueError(f"position must be in [0, 2**66], got {p}")
        return p

    @property
    def position(self) -> int:
        """Words consumed so far (by every row of a batch); settable: an O(1) jump anywhere in
        ``[0, 2**66]``."""
        hi, lo = self._cursor.get()
        return (hi << 64) | lo

    @position.setter
    def position(self, value) -> None:
        p = self._check_position(value)
        self._cursor.set(p >> 64, p & 0xFFFFFFFFFFFFFFFF)

    # ------------------------------------------------------------------ raw words
    def random_raw(self, size=None, dtype=None, device=None, out=None):
        """Raw words: uint32 (one word each, the default) or uint64 (``first + 2**32 * second``).

        int32/int64 dtypes (e.g. torch's) hold the same bits in two's complement.
        """
        t = self._prepare(parse_size(size), dtype, device, out, "raw", "u32")
        return self._fill(_RAW64 if t.code in ("u64", "i64") else _RAW32, t)

    # ------------------------------------------------------------------ uniform
    def rand(self, *size, dtype=None, device=None, out=None):
        """Uniform floats in [0, 1); float64 numpy by default (SPEC 5 conversions).

        ``rand(3, 4)`` or ``rand((3, 4))``; ``rand()`` is one scalar. A torch dtype,
        ``device=`` or a tensor ``out=`` gives a torch tensor (torch's default dtype).
        """
        t = self._prepare(parse_star_size(size), dtype, device, out, "float", "f64")
        return self._fill(_UNIFORM[t.code], t)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=None, device=None, out=None):
        """Uniform floats in [low, high): ``low + (high - low) * rand()`` in the dtype's precision."""
        lo, hi = _real(low, "low"), _real(high, "high")
        t = self._prepare(parse_size(size), dtype, device, out, "float", "f64")
        code = t.code
        if code == "f64":
            a, b = lo, hi
            below = math.nextafter(b, -math.inf)
            span = b - a
        elif code == "f32":
            a, b = _f32(lo), _f32(hi)
            below = _f32_below(b)
            span = _sub_f32(b, a)
        else:
            with np.errstate(all="ignore"):  # out-of-range bounds are reported below, not warned about
                to_bits, value = (_f16_bits, _f16_value) if code == "f16" else (_bf16_bits, _bf16_value)
                hb = to_bits(_f32(hi))
                a, b = value(to_bits(_f32(lo))), value(hb)
                below = float(_below_bits(hb))
                span = float(np.float32(b) - np.float32(a))
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"low={low!r} and high={high!r} must be finite in the output dtype {code}")
        if not a < b:
            raise ValueError(f"low must be less than high in the output dtype, got low={low!r}, high={high!r}")
        if not math.isfinite(span):
            raise ValueError(f"high - low overflows the output dtype (low={low!r}, high={high!r})")
        return self._fill(_UNIFORM[code], t, 0, True, a, b, below)

    # ------------------------------------------------------------------ normal
    def randn(self, *size, dtype=None, device=None, out=None):
        """Standard normal floats (inverse-CDF transform, docs/FORMAT.md); float64 numpy by default."""
        t = self._prepare(parse_star_size(size), dtype, device, out, "float", "f64")
        return self._fill(_NORMAL[t.code], t)

    def normal(self, mean=0.0, std=1.0, size=None, dtype=None, device=None, out=None):
        """Normal floats ``mean + std * randn()`` in the dtype's precision (float32 for 16-bit dtypes)."""
        m, s = _real(mean, "mean"), _real(std, "std")
        if s < 0:
            raise ValueError(f"std must be non-negative, got {std!r}")
        t = self._prepare(parse_size(size), dtype, device, out, "float", "f64")
        if t.code != "f64":  # computed in float32
            for v, nm in ((m, "mean"), (s, "std")):
                if not math.isfinite(_f32(v)):
                    raise ValueError(f"{nm}={v!r} overflows float32, the precision {t.code} output is computed in")
        return self._fill(_NORMAL[t.code], t, 0, True, m, s)

    # ------------------------------------------------------------------ distributions (_dists, FORMAT 13)
    def standard_gamma(self, shape, size=None, dtype=None, device=None, out=None):
        """Gamma(shape, 1) floats (numpy's ``standard_gamma``; ``shape >= 0``, 0 gives 0). float64
        only (numpy or torch). Four words per value; the rare rejected first attempt is finished
        from the value's own retry stream (docs/FORMAT.md 13.1), so any element is computable alone."""
        return _dists.standard_gamma(self, shape, size, dtype, device, out)

    def gamma(self, shape, scale=1.0, size=None, dtype=None, device=None, out=None):
        """Gamma(shape, scale) floats: ``standard_gamma(shape) * scale`` (numpy's ``gamma``)."""
        return _dists.gamma(self, shape, scale, size, dtype, device, out)

    def chisquare(self, df, size=None, dtype=None, device=None, out=None):
        """Chi-square(df) floats, ``df > 0``: exactly ``gamma(df / 2, 2)`` (numpy's definition)."""
        return _dists.chisquare(self, df, size, dtype, device, out)

    def poisson(self, lam=1.0, size=None, dtype=None, device=None, out=None):
        """Poisson(lam) counts, int64 (numpy's ``poisson``; ``0 <= lam <= 1e15``). Four words per
        value: inversion below lam 10, else Hoermann's PTRS, whose rare rejected first attempt is
        finished from the value's own retry stream (docs/FORMAT.md 13.3)."""
        return _dists.poisson(self, lam, size, dtype, device, out)

    def binomial(self, n, p, size=None, dtype=None, device=None, out=None):
        """Binomial(n, p) counts, int64 (numpy's ``binomial``; ``0 <= n <= 2**62``, ``0 <= p <= 1``).
        Four words per value: inversion when ``n * min(p, 1 - p) < 10``, else Hoermann's BTRS with
        retries from the value's own retry stream (docs/FORMAT.md 13.4)."""
        return _dists.binomial(self, n, p, size, dtype, device, out)
    # ------------------------------------------------------------------ exponential
    def standard_exponential(self, size=None, dtype=None, device=None, out=None):
        """Standard exponential floats, ``-log(u)`` with ``u`` uniform in (0, 1) (docs/FORMAT.md 11):
        one word per value (two for float64), never 0; float64 numpy by default."""
        t = self._prepare(parse_size(size), dtype, device, out, "float", "f64")
        return self._fill(_EXPONENTIAL[t.code], t)

    def exponential(self, scale=1.0, size=None, dtype=None, device=None, out=None):
        """Exponential floats with mean ``scale``: ``scale * standard_exponential()`` in the dtype's
        precision (float32 for 16-bit dtypes), numpy's parameterization."""
        sc = _real(scale, "scale")
        if not sc >= 0:
            raise ValueError(f"scale must be non-negative, got {scale!r}")
        t = self._prepare(parse_size(size), dtype, device, out, "float", "f64")
        if not math.isfinite(sc if t.code == "f64" else _f32(sc)):
            raise ValueError(f"scale={scale!r} must be finite in {'float64' if t.code == 'f64' else 'float32'}, "
                             f"the precision {t.code} output is computed in")
        return self._fill(_EXPONENTIAL[t.code], t, 0, True, sc)

    # ------------------------------------------------------------------ loc-scale families
    def _loc_scale(self, ops, loc, scale, size, dtype, device, out):
        m, sc = _real(loc, "loc"), _real(scale, "scale")
        if not sc >= 0:
            raise ValueError(f"scale must be non-negative, got {scale!r}")
        t = self._prepare(parse_size(size), dtype, device, out, "float", "f64")
        if t.code != "f64":  # computed in float32
            for v, nm in ((m, "loc"), (sc, "scale")):
                if not math.isfinite(_f32(v)):
                    raise ValueError(f"{nm}={v!r} overflows float32, the precision {t.code} output is computed in")
        return self._fill(ops[t.code], t, 0, True, m, sc)

    def gumbel(self, loc=0.0, scale=1.0, size=None, dtype=None, device=None, out=None):
        """Gumbel (maximum) floats ``loc - scale * log(standard_exponential())`` (docs/FORMAT.md 12),
        numpy's parameterization; float64 numpy by default."""
        return self._loc_scale(_GUMBEL, loc, scale, size, dtype, device, out)

    def logistic(self, loc=0.0, scale=1.0, size=None, dtype=None, device=None, out=None):
        """Logistic floats ``loc + scale * log(u / (1 - u))``, u uniform in (0, 1) (docs/FORMAT.md 12)."""
        return self._loc_scale(_LOGISTIC, loc, scale, size, dtype, device, out)

    def laplace(self, loc=0.0, scale=1.0, size=None, dtype=None, device=None, out=None):
        """Laplace (double exponential) floats with location ``loc`` and scale ``scale`` (docs/FORMAT.md 12)."""
        return self._loc_scale(_LAPLACE, loc, scale, size, dtype, device, out)

    # ------------------------------------------------------------------ integers
    def randint(self, low, high=None, size=None, dtype=None, device=None, out=None):
        """Integers in [low, high) (or [0, low) when high is None), numpy's convention.

        Bounds must be ints (floats are refused, never truncated); the range may be
        up to 2**64. Two words per value for ranges up to 2**32, four above (SPEC 5).
        """
        if high is None:
            low, high = 0, low
            names = ("high", "high")
        else:
            names = ("low", "high")
        for v, nm in ((low, names[0]), (high, names[1])):
            if not _is_int(v):
                raise TypeError(f"{nm} must be an int, got {v!r} of type {type(v).__name__}")
        lo, hi = int(low), int(high)
        if lo >= hi:
            raise ValueError(f"low must be less than high, got low={lo}, high={hi}")
        r = hi - lo
        if r > 1 << 64:
            raise ValueError(f"high - low must be at most 2**64, got {r}")
        t = self._prepare(parse_size(size), dtype, device, out, "int", "i64")
        dmin, dmax = D.int_bounds(t.code)
        if lo < dmin or hi - 1 > dmax:
            raise ValueError(f"[{lo}, {hi}) does not fit the output dtype (range [{dmin}, {dmax}])")
        op = _INT_SMALL if r <= 1 << 32 else _INT_LARGE
        return self._fill(op, t, D.ITEMSIZE[t.code], False, 0.0, 0.0, 0.0, lo % (1 << 64), r - 1)


class Stream(_Draws):
    """A reproducible stream of random values: ``(seed, path or id, position)``.

    ``Stream(seed, *path)`` names the stream by a path of str / non-negative int
    components (``Stream(0, "aug", 3)``); ``Stream(seed, id=...)`` takes a raw
    64-bit id. ``position`` counts 32-bit words from 0 and may be set to any
    value in ``[0, 2**66]`` in O(1). Two streams with the same seed, id and
    position give the same values, whatever was drawn elsewhere.

    Every draw checks all of its arguments first and raises ``TypeError`` or
    ``ValueError`` without moving the position.
    """

    def __init__(self, seed, *path, id=None, position=0):
        s = normalize_seed(seed)
        if id is not None:
            if path:
                raise ValueError(f"give a path or id=, not both (got path {path!r} and id={id!r})")
            self._path = None
            self._id = check_u64(id, "id")
        else:
            self._path = normalize_path(path)
            self._id = path_id(self._path)
        self._set_seed(s)
        self._cursor = _core.Cursor()
        self.position = position

    def _set_seed(self, s: int) -> None:
        self._seed = s
        self._k0, self._k1 = seed_key(s)

    # ------------------------------------------------------------------ identity and position
    @property
    def seed(self) -> int:
        """The normalized 64-bit seed."""
        return self._seed

    @property
    def id(self) -> int:
        """The 64-bit stream id (SPEC 3)."""
        return self._id

    @property
    def path(self) -> Optional[Tuple]:
        """The path this stream was named by, or None if it was given a raw id."""
        return self._path

    def stream(self, *more) -> "Stream":
        """A child stream at position 0 whose path is this one's extended by ``more``."""
        more = normalize_path(more)
        if self._path is not None:
            return Stream(self._seed, *(self._path + more))
        cid = self._id
        for c in more:
            cid = fold_component(cid, c)
        return Stream(self._seed, id=cid)

    def fold(self, index, *, check: bool = True):
        """A batch of child streams, one per index value: row ``b`` is ``self.stream(index[b])``.

        ``index``: an integer torch tensor (any device; ids are computed there, SPEC 3
        fold), a numpy integer array or a list of ints (CPU). Returns a
        ``philox.StreamBatch`` at position 0 whose draws are ``(*index.shape, *size)``
        tensors on the index's device. This stream's position does not move.
        Values must lie in ``[0, 2**64)``: a signed tensor is checked for negatives
        with one host sync (``check=False`` skips it; negatives then count as their
        two's complement, ``v + 2**64``). Unsigned tensors (uint8 .. uint64) need no check.
        """
        from ._batch import fold
        return fold(self, index, check)

    def _fill(self, op: int, t, elem_size=0, affine=False, a=0.0, b=0.0, c=0.0, ilow=0, range_m1=0):
        """Reserve the draw's words (atomically, in the backend) and fill the target."""
        if t.tensor is not None:  # a device backend (CUDA, the torch fallback): reserve here, then launch
            start = self._cursor.reserve(t.n * _core.words_per_value(op))
            _backend.fill(t.tensor, op, self._k0, self._k1, self._id, start, elem_size, affine, a, b, c, ilow,
                          range_m1, t.fresh)
        elif t.arr is not None:
            _core.fill_array(self._cursor, op, self._k0, self._k1, self._id, t.arr, t.fresh,
                             elem_size, affine, a, b, c, ilow, range_m1)
        else:
            _core.fill_ptr(self._cursor, op, self._k0, self._k1, self._id, t.ptr, t.n, t.fresh,
                           elem_size, affine, a, b, c, ilow, range_m1)
        return t.finish()

    # ------------------------------------------------------------------ permutations and choice
    def permutation(self, x, device=None, dtype=None):
        """A random permutation: ``permutation(n)`` is a shuffled ``arange(n)`` (int64 numpy, or a
        tensor when ``device=`` or a torch ``dtype=`` is given; ``dtype`` may be any integer dtype
        that holds ``n - 1``); an array or tensor ``x`` gives a shuffled copy along axis 0.

        Every call consumes exactly 12 words (the key of the bijection, docs/FORMAT.md 6), whatever
        ``n`` is; element ``i`` is computable alone in O(1), and ``device="cuda"`` gives the same
        values as the CPU.
        """
        if type(x) is int and device is None and dtype is None and 0 < x <= 1 << 24:  # the common case, fast
            words = np.empty(_PERM_WORDS, np.uint32)
            _core.fill_array(self._cursor, _RAW32, self._k0, self._k1, self._id, words, True, 0, False,
                             0.0, 0.0, 0.0, 0, 0)
            out = np.empty(x, np.int64)
            _core.perm_fill(words, x, 0, 1, out, False)
            return out
        return _permutation.permutation(self, x, device, dtype)

    def shuffle(self, x) -> None:
        """Shuffle ``x`` in place along axis 0: a numpy array, a torch tensor, a list or another
        mutable sequence (``bytearray``, ``collections.UserList``, ...).

        The order is ``permutation(len(x))``'s (12 words per call).
        """
        return _permutation.shuffle(self, x)

    def choice(self, a, size=None, replace=True, p=None, device=None):
        """A random sample of ``a`` (an int n means ``arange(n)``; an array or tensor: along axis 0).

        ``replace=False`` costs O(size) (the first ``size`` elements of one permutation, 12 words);
        with replacement each value takes ``randint``'s words. With probabilities ``p``: an alias
        table (4 words per value) with replacement, exponential keys (2 words per population
        element) without. numpy's semantics otherwise; ``size=None`` gives one value. ``device=``
        returns a tensor there (the permutation path runs on the device; the others are computed
        on the CPU and copied, same values). Arguments are checked before any word is drawn.
        """
        return _choice.choice(self, a, size, replace, p, device)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Everything that defines this stream: restore with ``Stream.from_state_dict``."""
        return {"format": FORMAT_VERSION, "seed": self._seed, "id": self._id,
                "path": None if self._path is None else list(self._path), "position": self.position}

    @classmethod
    def from_state_dict(cls, d) -> "Stream":
        """The stream saved by ``state_dict()``; raises ValueError/TypeError on a malformed dict."""
        if not isinstance(d, dict):
            raise TypeError(f"state dict must be a dict, got {type(d).__name__}")
        missing = {"format", "seed", "id", "path", "position"} - set(d)
        if missing:
            raise ValueError(f"state dict is missing {sorted(missing)}")
        check_format(d["format"])
        path = d["path"]
        if path is None:
            if d["id"] is None:
                raise ValueError("state dict needs a path or an id, got neither")
            s = cls(d["seed"], id=d["id"], position=d["position"])
        else:
            if not isinstance(path, (list, tuple)):
                raise TypeError(f"state dict path must be a list or None, got {path!r}")
            s = cls(d["seed"], *path, position=d["position"])
            if s.id != check_u64(d["id"], "id"):
                raise ValueError(f"state dict id {d['id']} does not match its path {path!r}")
        return s

    def __getstate__(self):
        return self.state_dict()

    def __setstate__(self, d):
        self.__dict__.update(Stream.from_state_dict(d).__dict__)

    def __eq__(self, other):
        if not isinstance(other, Stream):
            return NotImplemented
        return (self._seed, self._id, self._path, self.position) == (
            other._seed, other._id, other._path, other.position)

    __hash__ = None  # mutable (position)

    def __repr__(self):
        name = f"path={self._path!r}" if self._path is not None else f"id={self._id:#018x}"
        return f"philox.Stream(seed={self._seed}, {name}, position={self.position})"
