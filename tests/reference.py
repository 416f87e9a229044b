"""An independent reference implementation of stream format v1.

Written from ``docs/FORMAT.md`` only (its part A is the base spec, "SPEC n"): it never calls philox's compiled
code (nor imports ``philox`` at all), so the tests that compare the two catch a mistake in either.

* The block function exists twice: on Python ints (``philox4x32_10``, used for stream ids and the
  known-answer vectors) and vectorized with numpy ``uint64`` arithmetic (``philox4x32_10_np``,
  used for words; products of two 32-bit values fit in 64 bits).
* Floating point uses numpy float32/float64 arrays and scalars only: each numpy ufunc is one
  IEEE-754 operation, correctly rounded to nearest even and never fused, which is exactly the
  model FORMAT.md section 5 prescribes.
* Bounded integers use Python big ints (``(u64 * r) >> 64`` and ``(u128 * r) >> 128`` verbatim).
* 16-bit outputs are returned as their bit patterns (``uint16``), since numpy has no bfloat16.

Dtype codes: ``u32 u64`` (raw), ``f64 f32 f16 bf16`` (floats), ``i8 .. i64, u8 .. u64`` (randint).
"""
from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import numpy as np

__all__ = [
    "philox4x32_10", "philox4x32_10_np", "blake8", "fold", "stream_id", "normalize_seed", "seed_key",
    "words", "RefStream", "WORDS_PER_VALUE", "f32_to_f16_bits", "f32_to_bf16_bits", "f16_bits_to_f32",
    "bf16_bits_to_f32", "log_f32", "log_f64", "normal_f32", "normal_f64", "f32_literal", "INT_DTYPES",
    "OP_VALUES", "RETRY_OPS", "exp_f64", "u01_open32", "ref_gamma", "u01_open", "ref_poisson", "ref_binomial",
]

MASK32 = 0xFFFFFFFF
U64 = 1 << 64
MAX_POSITION = 1 << 66

# ------------------------------------------------------------------------------------------------
# SPEC 1: Philox4x32-10
M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85


def philox4x32_10(ctr, key, rounds: int = 10):
    """Philox4x32-R on Python ints: counter (x0, x1, x2, x3), key (k0, k1) -> 4 ints."""
    x0, x1, x2, x3 = (int(v) for v in ctr)
    k0, k1 = (int(v) for v in key)
    for r in range(rounds):
        if r:
            k0 = (k0 + W0) & MASK32
            k1 = (k1 + W1) & MASK32
        p0 = M0 * x0
        p1 = M1 * x2
        hi0, lo0 = p0 >> 32, p0 & MASK32
        hi1, lo1 = p1 >> 32, p1 & MASK32
        x0, x1, x2, x3 = hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0
    return x0, x1, x2, x3


_M0, _M1 = np.uint64(M0), np.uint64(M1)
_W0, _W1 = np.uint64(W0), np.uint64(W1)
_MASK = np.uint64(MASK32)
_S32 = np.uint64(32)


def philox4x32_10_np(x0, x1, x2, x3, k0, k1, rounds: int = 10):
    """Philox4x32-R vectorized: arrays (or scalars) of 32-bit values, broadcast together.

    Returns four uint32 arrays. Arithmetic in uint64: a 32x32-bit product fits exactly.
    """
    x0, x1, x2, x3, k0, k1 = np.broadcast_arrays(*(np.asarray(v, dtype=np.uint64) for v in
                                                   (x0, x1, x2, x3, k0, k1)))
    for r in range(rounds):
        if r:
            k0 = (k0 + _W0) & _MASK
            k1 = (k1 + _W1) & _MASK
        p0 = _M0 * x0
        p1 = _M1 * x2
        hi0, lo0 = p0 >> _S32, p0 & _MASK
        hi1, lo1 = p1 >> _S32, p1 & _MASK
        x0, x1, x2, x3 = hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0
    return tuple(np.asarray(v, dtype=np.uint32) for v in (x0, x1, x2, x3))


# ------------------------------------------------------------------------------------------------
# SPEC 2: seeds
def normalize_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(seed)
    s = int(seed)
    if not -(1 << 63) <= s < U64:
        raise ValueError(seed)
    return s + U64 if s < 0 else s


def seed_key(seed):
    s = normalize_seed(seed)
    return s & MASK32, s >> 32


# ------------------------------------------------------------------------------------------------
# SPEC 3: stream ids
FOLD_K0, FOLD_K1 = 0x243F6A88, 0x85A308D3


def blake8(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")


def fold(p: int, v: int, t: int) -> int:
    y = philox4x32_10((v & MASK32, v >> 32, p & MASK32, p >> 32), (FOLD_K0 + t, FOLD_K1))
    return y[0] + (y[1] << 32)


def stream_id(*path, parent: int = 0) -> int:
    p = parent
    for c in path:
        if isinstance(c, str):
            p = fold(p, blake8(c), 1)
        else:
            c = int(c)
            assert 0 <= c < U64
            p = fold(p, c, 0)
    return p


# ------------------------------------------------------------------------------------------------
# SPEC 4: words
def words(seed, sid: int, pos: int, n: int) -> np.ndarray:
    """Words pos .. pos + n - 1 of stream (seed, sid), as uint32."""
    if n == 0:
        return np.zeros(0, np.uint32)
    assert 0 <= pos and pos + n <= MAX_POSITION
    k0, k1 = seed_key(seed)
    b_first, b_last = pos >> 2, (pos + n - 1) >> 2
    nb = b_last - b_first + 1
    b = np.uint64(b_first) + np.arange(nb, dtype=np.uint64)
    y = philox4x32_10_np(b & _MASK, b >> _S32, sid & MASK32, sid >> 32, k0, k1)
    w = np.stack(y, axis=1).reshape(-1)
    off = pos & 3
    return w[off:off + n].copy()


def word_scalar(seed, sid: int, w: int) -> int:
    """Word w computed alone on Python ints (a second, independent path)."""
    k0, k1 = seed_key(seed)
    b = w >> 2
    return philox4x32_10((b & MASK32, b >> 32, sid & MASK32, sid >> 32), (k0, k1))[w & 3]


# ------------------------------------------------------------------------------------------------
# Literals and 16-bit rounding (FORMAT.md section 4)
def f32_of_fraction(fr: Fraction) -> np.float32:
    """The float32 nearest to the rational ``fr`` (ties to even): rounded straight from the exact
    value, never through a double (so no double rounding)."""
    c = np.float32(float(fr))
    cands = [c, np.nextafter(c, np.float32(np.inf)), np.nextafter(c, np.float32(-np.inf))]
    return min(cands, key=lambda v: (abs(Fraction(float(v)) - fr), int(np.array(v).view(np.uint32)) & 1))


def f32_literal(s: str) -> np.float32:
    """The float32 a C compiler makes of the literal ``<s>f``."""
    return f32_of_fraction(Fraction(s))


def f32_to_bf16_bits(x) -> np.ndarray:
    """FORMAT 4: (bits + 0x7fff + ((bits >> 16) & 1)) >> 16."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((b + np.uint64(0x7FFF) + ((b >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)).astype(np.uint16)


def bf16_bits_to_f32(h) -> np.ndarray:
    return (np.asarray(h, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def f32_to_f16_bits(x) -> np.ndarray:
    """float32 -> float16 bits, round to nearest even, overflow (|x| rounds to >= 65520) -> inf.

    numpy's float32 -> float16 cast is IEEE round-to-nearest-even (tests/test_reference.py checks
    it against exact rational rounding on the hard cases).
    """
    with np.errstate(over="ignore"):
        return np.asarray(x, dtype=np.float32).astype(np.float16).view(np.uint16)


def f16_bits_to_f32(h) -> np.ndarray:
    return np.asarray(h, dtype=np.uint16).view(np.float16).astype(np.float32)


def f16_exact_round_bits(x: float) -> int:
    """float16 bits of a finite value by exact rational arithmetic (slow; for checking the above)."""
    v = Fraction(x)
    sign = 0x8000 if (v < 0 or (v == 0 and math.copysign(1.0, x) < 0)) else 0
    a = abs(v)
    if a >= 65520:
        return sign | 0x7C00
    # exponent of the 2^e scale with 10 fraction bits; subnormals share e = -14
    e = -14
    while a >= Fraction(2) ** (e + 1):
        e += 1
    unit = Fraction(2) ** (e - 10)
    q, rem = divmod(a, unit)
    q = int(q)
    if rem * 2 > unit or (rem * 2 == unit and q & 1):
        q += 1
    # q in [0, 2048]; value = q * 2^(e-10)
    if e == -14 and q < 1024:
        return sign | q  # subnormal (or rounds up to the smallest normal 0x400 when q == 1024)
    if q == 2048:
        q, e = 1024, e + 1
    return sign | ((e + 15) << 10) | (q - 1024)


def _nextdown16(bits: int) -> int:
    """Bits of the largest 16-bit float (f16 or bf16 layout alike) below the one with ``bits``."""
    if bits & 0x7FFF == 0:  # +0 or -0: the smallest negative subnormal
        return 0x8001
    return bits + 1 if bits & 0x8000 else bits - 1


# ------------------------------------------------------------------------------------------------
# Logarithms (FORMAT 3), by bit manipulation exactly as written
_F = np.float32


# The float32 literals 1/3 .. 1/9: the nearest float32 of each exact fraction.
_T3, _T5, _T7, _T9 = (f32_of_fraction(Fraction(1, k)) for k in (3, 5, 7, 9))
_LN2_HI_F = f32_literal("0.693145751953125")
_LN2_LO_F = f32_literal("1.428606765330187e-06")


def log_f32(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.int64)
    e = (bits >> 23) - 127
    mb = (bits & 0x7FFFFF) | 0x3F800000
    big = mb > 0x3FB504F3
    mb = np.where(big, mb - 0x800000, mb)
    e = np.where(big, e + 1, e)
    f = mb.astype(np.uint32).view(np.float32) - _F(1)
    s = f / (f + _F(2))
    z = s * s
    P = z * (_T3 + z * (_T5 + z * (_T7 + z * _T9)))
    t = s + s
    logm = t + t * P
    ef = e.astype(np.float32)
    return ef * _LN2_HI_F + (ef * _LN2_LO_F + logm)


_LN2_HI_D = float("6.93147180369123816490e-01")
_LN2_LO_D = float("1.90821492927058770002e-10")
_SERIES_D = [1.0 / k for k in range(3, 23, 2)]  # 1/3 .. 1/21, each correctly rounded


def log_f64(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    bits = x.view(np.uint64)
    e = (bits >> np.uint64(52)).astype(np.int64) - 1023
    mb = (bits & np.uint64(0x000FFFFFFFFFFFFF)) | np.uint64(0x3FF0000000000000)
    big = mb > np.uint64(0x3FF6A09E667F3BCC)
    mb = np.where(big, mb - np.uint64(0x0010000000000000), mb)
    e = np.where(big, e + 1, e)
    f = mb.view(np.float64) - 1.0
    s = f / (f + 2.0)
    z = s * s
    acc = np.float64(_SERIES_D[-1])
    for c in reversed(_SERIES_D[:-1]):  # z * (1/3 + z * (1/5 + ... + z * (1/21)))
        acc = c + z * acc
    P = z * acc
    t = s + s
    logm = t + t * P
    ef = e.astype(np.float64)
    return ef * _LN2_HI_D + (ef * _LN2_LO_D + logm)


# ------------------------------------------------------------------------------------------------
# Normal (FORMAT 3)
_A = [f32_literal(s) for s in ("3.3871327179", "50.434271938", "159.29113202", "59.109374720")]
_B = [None] + [f32_literal(s) for s in ("17.895169469", "78.757757664", "67.187563600")]
_C = [f32_literal(s) for s in ("1.4234372777", "2.7568153900", "1.3067284816", "0.17023821103")]
_D = [None] + [f32_literal(s) for s in ("0.73700164250", "0.12021132975")]
_R0_F = f32_literal("0.180625")
_SPLIT_F = f32_literal("-0.425")
_ONE6_F = f32_literal("1.6")
_HALF_F = _F(0.5)
_2M32_F = _F(2.0 ** -32)


def normal_f32(w) -> np.ndarray:
    """float32 standard normal from one word (array of uint32)."""
    w = np.asarray(w, dtype=np.uint32)
    sign = w & np.uint32(0x80000000)
    p = ((w & np.uint32(0x7FFFFFFF)).astype(np.int32).astype(np.float32) + _HALF_F) * _2M32_F
    q = ((w | np.uint32(0x80000000)).view(np.int32).astype(np.float32) + _HALF_F) * _2M32_F
    r = _R0_F - q * q
    nc = q * (((_A[3] * r + _A[2]) * r + _A[1]) * r + _A[0])
    dc = ((_B[3] * r + _B[2]) * r + _B[1]) * r + _F(1)
    s = np.sqrt(-log_f32(p)) - _ONE6_F
    nt = -(((_C[3] * s + _C[2]) * s + _C[1]) * s + _C[0])
    dt = (_D[2] * s + _D[1]) * s + _F(1)
    centre = q >= _SPLIT_F
    z = np.where(centre, nc, nt) / np.where(centre, dc, dt)
    z = np.asarray(z, dtype=np.float32)
    return (z.view(np.uint32) ^ sign).view(np.float32)


# AS241 PPND16, highest coefficient first (as in CPython's statistics.NormalDist.inv_cdf).
_PA = [2.50908_09287_30122_6727e+3, 3.34305_75583_58812_8105e+4, 6.72657_70927_00870_0853e+4,
       4.59219_53931_54987_1457e+4, 1.37316_93765_50946_1125e+4, 1.97159_09503_06551_4427e+3,
       1.33141_66789_17843_7745e+2, 3.38713_28727_96366_6080e+0]
_PB = [5.22649_52788_52854_5610e+3, 2.87290_85735_72194_2674e+4, 3.93078_95800_09271_0610e+4,
       2.12137_94301_58659_5867e+4, 5.39419_60214_24751_1077e+3, 6.87187_00749_20579_0830e+2,
       4.23133_30701_60091_1252e+1, 1.0]
_PC = [7.74545_01427_83414_07640e-4, 2.27238_44989_26918_45833e-2, 2.41780_72517_74506_11770e-1,
       1.27045_82524_52368_38258e+0, 3.64784_83247_63204_60504e+0, 5.76949_72214_60691_40550e+0,
       4.63033_78461_56545_29590e+0, 1.42343_71107_49683_57734e+0]
_PD = [1.05075_00716_44416_84324e-9, 5.47593_80849_95344_94600e-4, 1.51986_66563_61645_71966e-2,
       1.48103_97642_74800_74590e-1, 6.89767_33498_51000_04550e-1, 1.67638_48301_83803_84940e+0,
       2.05319_16266_37758_82187e+0, 1.0]
_PE = [2.01033_43992_92288_13265e-7, 2.71155_55687_43487_57815e-5, 1.24266_09473_88078_43860e-3,
       2.65321_89526_57612_30930e-2, 2.96560_57182_85048_91230e-1, 1.78482_65399_17291_33580e+0,
       5.46378_49111_64114_36990e+0, 6.65790_46435_01103_77720e+0]
_PF = [2.04426_31033_89939_78564e-15, 1.42151_17583_16445_88870e-7, 1.84631_83175_10054_68180e-5,
       7.86869_13114_56132_59100e-4, 1.48753_61290_85061_48525e-2, 1.36929_88092_27358_05310e-1,
       5.99832_20655_58879_37690e-1, 1.0]


def _horner(coeffs, x):
    acc = np.float64(coeffs[0])
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


def normal_f64(first, second) -> np.ndarray:
    """float64 standard normal from two words (arrays of uint32)."""
    first = np.asarray(first, dtype=np.uint32)
    second = np.asarray(second, dtype=np.uint32)
    sign = second & np.uint32(0x80000000)
    lo = first.astype(np.float64)
    two32, two_m64 = 2.0 ** 32, 2.0 ** -64
    p = ((second & np.uint32(0x7FFFFFFF)).astype(np.int32).astype(np.float64) * two32 + lo + 0.5) * two_m64
    q = ((second | np.uint32(0x80000000)).view(np.int32).astype(np.float64) * two32 + lo + 0.5) * two_m64
    r = 0.180625 - q * q
    nc = q * _horner(_PA, r)
    dc = _horner(_PB, r)
    s = np.sqrt(-log_f64(p))
    s1 = s - 1.6
    s2 = s - 5.0
    n1 = -_horner(_PC, s1)
    d1 = _horner(_PD, s1)
    n2 = -_horner(_PE, s2)
    d2 = _horner(_PF, s2)
    centre = q >= -0.425
    near = s <= 5.0
    z = np.where(centre, nc, np.where(near, n1, n2)) / np.where(centre, dc, np.where(near, d1, d2))
    z = np.asarray(z, dtype=np.float64)
    return (z.view(np.uint64) ^ (sign.astype(np.uint64) << np.uint64(32))).view(np.float64)


# ------------------------------------------------------------------------------------------------
# Draws
INT_DTYPES = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
              "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64}
FLOAT_WORDS = {"f64": 2, "f32": 1, "f16": 1, "bf16": 1}
WORDS_PER_VALUE = {
    ("raw", "u32"): 1, ("raw", "u64"): 2,
    ("rand", "f64"): 2, ("rand", "f32"): 1, ("rand", "f16"): 1, ("rand", "bf16"): 1,
    ("randn", "f64"): 2, ("randn", "f32"): 1, ("randn", "f16"): 1, ("randn", "bf16"): 1,
}


def int_bounds(code):
    info = np.iinfo(INT_DTYPES[code])
    return int(info.min), int(info.max)


def _u64(first, second) -> np.ndarray:
    return first.astype(np.uint64) | (second.astype(np.uint64) << _S32)


def _u01(code, w):
    """[0, 1) values (SPEC 5): float64/float32 arrays, or uint16 bits for 16-bit dtypes."""
    if code == "f64":
        u = _u64(w[0::2], w[1::2])
        return (u >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    if code == "f32":
        return (w >> np.uint32(8)).astype(np.float32) * _F(2.0 ** -24)
    if code == "f16":
        return f32_to_f16_bits((w >> np.uint32(21)).astype(np.float32) * _F(2.0 ** -11))
    if code == "bf16":
        return f32_to_bf16_bits((w >> np.uint32(24)).astype(np.float32) * _F(2.0 ** -8))
    raise KeyError(code)


def round16(code, x32) -> np.ndarray:
    return f32_to_f16_bits(x32) if code == "f16" else f32_to_bf16_bits(x32)


def bits16_to_f32(code, h) -> np.ndarray:
    return f16_bits_to_f32(h) if code == "f16" else bf16_bits_to_f32(h)


class RefStream:
    """A stream (seed, id, position) whose draws follow SPEC/FORMAT; mirrors philox.Stream's calls.

    ``n`` is always a count (flat output). Float16/bfloat16 results are uint16 bit patterns.
    """

    def __init__(self, seed, *path, id=None, position=0):
        self.seed = normalize_seed(seed)
        self.id = stream_id(*path) if id is None else int(id)
        self.position = position

    def _take(self, nwords):
        w = words(self.seed, self.id, self.position, nwords)
        self.position += nwords
        return w

    def words(self, n):
        return self._take(n)

    def random_raw(self, n, code="u32"):
        if code == "u32":
            return self._take(n)
        w = self._take(2 * n)
        return _u64(w[0::2], w[1::2])

    def rand(self, n, code="f64"):
        return _u01(code, self._take(n * FLOAT_WORDS[code]))

    def uniform(self, low, high, n, code="f64"):
        u = _u01(code, self._take(n * FLOAT_WORDS[code]))
        low, high = float(low), float(high)
        if code == "f64":
            lo, hi = np.float64(low), np.float64(high)
            assert lo < hi
            x = lo + (hi - lo) * u
            below = np.nextafter(hi, -np.inf)
            return np.where(x >= hi, below, x).astype(np.float64)
        if code == "f32":
            lo, hi = np.float32(low), np.float32(high)
            assert lo < hi
            x = lo + (hi - lo) * u
            below = np.nextafter(hi, np.float32(-np.inf))
            return np.where(x >= hi, below, x).astype(np.float32)
        lo16 = round16(code, np.float32(low))
        hi16 = round16(code, np.float32(high))
        lo, hi = bits16_to_f32(code, lo16), bits16_to_f32(code, hi16)
        assert lo < hi
        x = lo + (hi - lo) * bits16_to_f32(code, u)
        xb = round16(code, x)
        below = np.uint16(_nextdown16(int(hi16)))
        return np.where(bits16_to_f32(code, xb) >= hi, below, xb).astype(np.uint16)

    def _z(self, code, n):
        if code == "f64":
            w = self._take(2 * n)
            return normal_f64(w[0::2], w[1::2])
        return normal_f32(self._take(n))

    def randn(self, n, code="f64"):
        z = self._z(code, n)
        return round16(code, z) if code in ("f16", "bf16") else z

    def normal(self, mean, std, n, code="f64"):
        z = self._z(code, n)
        with np.errstate(over="ignore"):  # huge mean/std may overflow to inf, as in any IEEE code
            if code == "f64":
                return np.float64(mean) + np.float64(std) * z
            x = np.float32(mean) + np.float32(std) * z
        return round16(code, x) if code in ("f16", "bf16") else x

    def _u_open(self, code, n):
        """Uniforms in the open interval (0, 1) (FORMAT 12): float64, or float32 for the other codes."""
        if code == "f64":
            w = self._take(2 * n)
            u = ((_u64(w[0::2], w[1::2]) >> np.uint64(12)) * np.uint64(2) + np.uint64(1)).astype(np.float64)
            return u * 2.0 ** -53
        w = self._take(n)
        u = ((w >> np.uint32(9)).astype(np.uint32) * np.uint32(2) + np.uint32(1)).astype(np.float32)
        return u * _F(2.0 ** -24)

    @staticmethod
    def _log(x):
        return log_f64(x) if x.dtype == np.float64 else log_f32(x)

    def _e(self, code, n):
        """Standard exponentials, -log(u) of the open-interval u (FORMAT 12)."""
        return -self._log(self._u_open(code, n))

    def _loc_scale(self, x, loc, scale, code):
        """loc + scale * x in float64 or float32, 16-bit codes rounded (FORMAT 13)."""
        with np.errstate(over="ignore"):
            y = np.float64(loc) + np.float64(scale) * x if code == "f64" else np.float32(loc) + np.float32(scale) * x
        return round16(code, y) if code in ("f16", "bf16") else y

    def gumbel(self, loc, scale, n, code="f64"):
        return self._loc_scale(-self._log(self._e(code, n)), loc, scale, code)

    def logistic(self, loc, scale, n, code="f64"):
        u = self._u_open(code, n)
        one = np.float64(1) if code == "f64" else _F(1)
        return self._loc_scale(self._log(u / (one - u)), loc, scale, code)

    def laplace(self, loc, scale, n, code="f64"):
        u = self._u_open(code, n)
        two = np.float64(2) if code == "f64" else _F(2)
        x = np.where(u < 0.5, self._log(u + u), -self._log(two - (u + u)))  # both positive: u in (0, 1)
        return self._loc_scale(x.astype(u.dtype), loc, scale, code)

    def standard_exponential(self, n, code="f64"):
        e = self._e(code, n)
        return round16(code, e) if code in ("f16", "bf16") else e

    def exponential(self, scale, n, code="f64"):
        e = self._e(code, n)
        with np.errstate(over="ignore"):
            x = np.float64(scale) * e if code == "f64" else np.float32(scale) * e
        return round16(code, x) if code in ("f16", "bf16") else x

    def randint(self, low, high, n, code="i64"):
        low, high = int(low), int(high)
        r = high - low
        assert 1 <= r <= U64
        dmin, dmax = int_bounds(code)
        assert dmin <= low and high - 1 <= dmax
        if r <= 1 << 32:
            w = [int(v) for v in self._take(2 * n)]
            vals = [low + (((w[2 * i] + (w[2 * i + 1] << 32)) * r) >> 64) for i in range(n)]
        else:
            w = [int(v) for v in self._take(4 * n)]
            vals = [low + (((w[4 * i] + (w[4 * i + 1] << 32) + (w[4 * i + 2] << 64) + (w[4 * i + 3] << 96))
                            * r) >> 128) for i in range(n)]
        return np.array(vals, dtype=INT_DTYPES[code]) if n else np.zeros(0, INT_DTYPES[code])


# ------------------------------------------------------------------------------------------------
# Distributions (FORMAT 19), written from docs/FORMAT.md, numpy float64 (IEEE, one rounding per op)
def u01_open32(w) -> np.ndarray:
    return (np.asarray(w, dtype=np.uint32).astype(np.float64) + 0.5) * 2.0 ** -32


_INV_FACT = [1.0 / math.factorial(n) for n in range(13, 1, -1)] + [1.0, 1.0]  # 1/13! .. 1/2!, 1, 1


def exp_f64(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    xc = np.minimum(np.maximum(x, -745.2), 709.78)
    kd = (xc * 1.44269504088896338700 + 6755399441055744.0) - 6755399441055744.0
    r = (xc - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10
    p = _horner(_INV_FACT, r)
    k = kd.astype(np.int64)

    def pow2(e):  # 2**e for -1022 <= e <= 1023, from the exponent bits
        return ((np.asarray(e, np.int64) + 1023).astype(np.uint64) << np.uint64(52)).view(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.where(k > 1023, (p * 2.0) * pow2(1023),
                     np.where(k >= -1021, p * pow2(np.clip(k, -1021, 1023)),
                              (p * pow2(np.clip(k + 600, -1022, 1023))) * pow2(-600)))
    return np.where(x < -745.2, 0.0, np.where(x > 709.78, np.inf, y))


def gamma_attempt(d: float, c: float, n0, n1, uw):
    """Marsaglia-Tsang attempts (FORMAT 19.2): d * v where accepted, NaN where rejected."""
    x = normal_f64(n0, n1)
    t = 1.0 + c * x
    v = (t * t) * t
    u = u01_open32(uw)
    x2 = x * x
    with np.errstate(invalid="ignore", divide="ignore"):
        lv = log_f64(np.where(v > 0, v, 1.0))
        ok = (t > 0) & ((u < 1.0 - 0.0331 * (x2 * x2)) | (log_f64(u) < 0.5 * x2 + d * ((1.0 - v) + lv)))
    return np.where(ok, d * v, np.nan)


def retry_words(seed, sid: int, p_first: int, t: int) -> np.ndarray:
    """Block t (words 4t .. 4t+3) of the retry stream of the value whose first word is at
    position p_first of stream sid (FORMAT 19.1)."""
    return words(seed, fold(sid, p_first >> 2, 2), 4 * t, 4)


def ref_gamma(seed, sid: int, pos: int, w, shape: float, scale: float) -> np.ndarray:
    """gamma(shape, scale) values of the words w (4 per value) read from position pos of stream sid."""
    w = np.asarray(w, dtype=np.uint32).reshape(-1, 4)
    d = (shape + 1.0 if shape < 1.0 else shape) - 0.333333333333333333333
    c = 1.0 / math.sqrt(9.0 * d)
    g = gamma_attempt(d, c, w[:, 0], w[:, 1], w[:, 2])
    for i in np.flatnonzero(np.isnan(g)):
        t = 0
        while np.isnan(g[i]):
            r = retry_words(seed, sid, pos + 4 * int(i), t)
            g[i] = gamma_attempt(d, c, r[0:1], r[1:2], r[2:3])[0]
            t += 1
    if shape < 1.0:
        with np.errstate(divide="ignore"):
            boost = exp_f64(log_f64(u01_open32(w[:, 3])) / shape)
    else:
        boost = 1.0
    return (g * boost) * scale


def _as_code(v, code):
    """float32 gamma (FORMAT 21.1): the float64 value rounded to nearest float32."""
    return v.astype(np.float32) if code == "f32" else v


def _ref_gamma_draw(self, shape, scale, n):
    pos = self.position
    return ref_gamma(self.seed, self.id, pos, self._take(4 * n), float(shape), float(scale))


RefStream.standard_gamma = lambda self, shape, n, code="f64": _as_code(_ref_gamma_draw(self, shape, 1.0, n), code)
RefStream.gamma = lambda self, shape, scale, n, code="f64": _as_code(_ref_gamma_draw(self, shape, scale, n), code)
RefStream.chisquare = lambda self, df, n, code="f64": _as_code(_ref_gamma_draw(self, float(df) * 0.5, 2.0, n),
                                                              code)


def u01_open(first, second) -> np.ndarray:
    """((u64 >> 12) * 2 + 1) * 2^-53, u64 = first + 2^32 second (FORMAT 19)."""
    u = _u64(first, second)
    return ((u >> np.uint64(12)).astype(np.float64) * 2.0 + 1.0) * 2.0 ** -53


def log_factorial(k: int) -> float:
    """FORMAT 19.3: sum of log_f64(i), i = 2..k, below 10; Stirling's series above."""
    if k < 10:
        acc = 0.0
        for i in range(2, k + 1):
            acc = acc + float(log_f64(float(i)))
        return acc
    x = float(k) + 1.0
    r = 1.0 / x
    r2 = r * r
    series = r * (0.083333333333333333333 - r2 * (0.0027777777777777777778 - r2 * (
        0.00079365079365079365079 - r2 * 0.00059523809523809523810)))
    return (((x - 0.5) * float(log_f64(x)) - x) + 0.91893853320467274178) + series


def poisson_ptrs(lam: float, u0, u1, v0, v1):
    """One PTRS attempt (FORMAT 19.3): k, or None when rejected. Scalar words."""
    slam, loglam = math.sqrt(lam), float(log_f64(lam))
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    U = float(u01_open(u0, u1)) - 0.5
    V = float(u01_open(v0, v1))
    us = 0.5 - abs(U)
    y = min(max((((2.0 * a) / us + b) * U + lam) + 0.43, -2.0 ** 62), 2.0 ** 62)
    k = math.floor(y)
    if us >= 0.07 and V <= vr:
        return k
    if k < 0 or (us < 0.013 and V > us):
        return None
    lhs = (float(log_f64(V)) + float(log_f64(invalpha))) - float(log_f64(a / (us * us) + b))
    rhs = (float(k) * loglam - lam) - log_factorial(k)
    return k if lhs <= rhs else None


def ref_poisson(seed, sid: int, pos: int, w, lam: float) -> np.ndarray:
    w = np.asarray(w, dtype=np.uint32).reshape(-1, 4)
    out = np.empty(w.shape[0], np.int64)
    if lam < 10.0:
        p0 = float(exp_f64(-lam))
        for i in range(w.shape[0]):
            u = float(u01_open(w[i, 0], w[i, 1]))
            p, s, k = p0, p0, 0
            while u > s and k < 255:
                k += 1
                p = (p * lam) / float(k)
                s = s + p
            out[i] = k
        return out
    for i in range(w.shape[0]):
        k = poisson_ptrs(lam, *w[i])
        t = 0
        while k is None:
            k = poisson_ptrs(lam, *retry_words(seed, sid, pos + 4 * i, t))
            t += 1
        out[i] = k
    return out


RefStream.poisson = lambda self, lam, n, code="i64": ref_poisson(self.seed, self.id, self.position,
                                                                  self._take(4 * n), float(lam))


def log1p(x: float) -> float:
    """FORMAT 19.4's log1p: x where 1 + x rounds to 1, else log_f64(1 + x) * (x / ((1 + x) - 1))."""
    u = 1.0 + x
    return x if u - 1.0 == 0.0 else float(log_f64(u)) * (x / (u - 1.0))


def _series(x: float) -> float:
    r = 1.0 / x
    r2 = r * r
    return r * (0.083333333333333333333 - r2 * (0.0027777777777777777778 - r2 * (
        0.00079365079365079365079 - r2 * 0.00059523809523809523810)))


def log_factorial_ratio(N: int, d: int) -> float:
    """FORMAT 19.4: log(N!) - log((N - d)!)."""
    if min(N, N - d) < 10:
        return log_factorial(N) - log_factorial(N - d)
    x1, x2, dd = float(N) + 1.0, float(N - d) + 1.0, float(d)
    L = log1p(-(dd / x1))
    return ((dd * float(log_f64(x1)) - (x2 - 0.5) * L) - dd) + (_series(x1) - _series(x2))


def binomial_btrs(n: int, q: float, u0, u1, v0, v1):
    """One BTRS attempt (FORMAT 19.4), q <= 1/2: k or None."""
    nd = float(n)
    spq = math.sqrt((nd * q) * (1.0 - q))
    b = 1.15 + 2.53 * spq
    a = (-0.0873 + 0.0248 * b) + 0.01 * q
    c = nd * q + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = float(log_f64(q / (1.0 - q)))
    m = math.floor((nd + 1.0) * q)
    U = float(u01_open(u0, u1)) - 0.5
    V = float(u01_open(v0, v1))
    us = 0.5 - abs(U)
    k = math.floor(min(max(((2.0 * a) / us + b) * U + c, -2.0 ** 62), 2.0 ** 62))
    if k < 0 or k > n:
        return None
    if us >= 0.07 and V <= vr:
        return k
    lv = float(log_f64((V * alpha) / (a / (us * us) + b)))
    rhs = (log_factorial_ratio(n - m, k - m) - log_factorial_ratio(k, k - m)) + float(k - m) * lpq
    return k if lv <= rhs else None


def ref_binomial(seed, sid: int, pos: int, w, n: int, p: float) -> np.ndarray:
    w = np.asarray(w, dtype=np.uint32).reshape(-1, 4)
    q = 1.0 - p if p > 0.5 else p
    out = np.empty(w.shape[0], np.int64)
    for i in range(w.shape[0]):
        if float(n) * q < 10.0:
            u = float(u01_open(w[i, 0], w[i, 1]))
            r = q / (1.0 - q)
            pk = float(exp_f64(float(n) * log1p(-q)))
            s, k = pk, 0
            while u > s and k < min(n, 255):
                k += 1
                pk = ((pk * r) * float(n - k + 1)) / float(k)
                s = s + pk
        else:
            k = binomial_btrs(n, q, *w[i])
            t = 0
            while k is None:
                k = binomial_btrs(n, q, *retry_words(seed, sid, pos + 4 * i, t))
                t += 1
        out[i] = n - k if p > 0.5 else k
    return out


RefStream.binomial = lambda self, n, p, count, code="i64": ref_binomial(self.seed, self.id, self.position,
                                                                         self._take(4 * count), int(n), float(p))


# ------------------------------------------------------------------------------------------------
# The op table (csrc/ops.h), op by op: values of op `name` from given words, through the
# draws above. OP_VALUES[name](w, n, args, code) -> n values (16-bit floats as bits); w holds
# exactly the words the n values take; args are the draw's (low, high) or (mean, std), or ()
# for the [0, 1) / standard forms and raw words. tests/test_op_table.py checks every op has one.
class _GivenWords(RefStream):
    """A RefStream whose words are the given ones, in order (all of them must be used)."""

    def __init__(self, w):
        self._w = np.asarray(w, dtype=np.uint32)
        self.position = 0

    def _take(self, nwords):
        out = self._w[self.position:self.position + nwords]
        assert out.size == nwords, "fewer words than the values take"
        self.position += nwords
        return out


def _float_op(method_std, method_affine):
    def values(w, n, args, code):
        s = _GivenWords(w)
        out = getattr(s, method_affine)(*args, n, code) if args else getattr(s, method_std)(n, code)
        assert s.position == s._w.size, "more words than the values take"
        return out
    return values


def _int_op(w, n, args, code):
    s = _GivenWords(w)
    out = s.randint(args[0], args[1], n, code)
    assert s.position == s._w.size
    return out


def _gamma_args(method, args):
    """(shape, scale) of a gamma-family draw: standard_gamma(shape), gamma(shape, scale), chisquare(df)."""
    if method == "chisquare":
        return float(args[0]) * 0.5, 2.0
    return float(args[0]), float(args[1]) if len(args) > 1 else 1.0


OP_VALUES = {
    "raw32": lambda w, n, args, code: _GivenWords(w).random_raw(n, "u32"),
    "raw64": lambda w, n, args, code: _GivenWords(w).random_raw(n, "u64"),
    "uniform_f32": _float_op("rand", "uniform"), "uniform_f64": _float_op("rand", "uniform"),
    "uniform_f16": _float_op("rand", "uniform"), "uniform_bf16": _float_op("rand", "uniform"),
    "normal_f32": _float_op("randn", "normal"), "normal_f64": _float_op("randn", "normal"),
    "normal_f16": _float_op("randn", "normal"), "normal_bf16": _float_op("randn", "normal"),
    "exponential_f32": _float_op("standard_exponential", "exponential"),
    "exponential_f64": _float_op("standard_exponential", "exponential"),
    "exponential_f16": _float_op("standard_exponential", "exponential"),
    "exponential_bf16": _float_op("standard_exponential", "exponential"),
    **{f"{d}_{c}": (lambda d: lambda w, n, args, code: _float_op(None, d)(w, n, args or (0.0, 1.0), code))(d)
       for d in ("gumbel", "logistic", "laplace") for c in ("f32", "f64", "f16", "bf16")},
    "int_small": _int_op, "int_large": _int_op,
    # rejection samplers: ctx = (seed, stream id, position of the first word) for the retry streams
    "gamma_f64": lambda w, n, args, code, ctx: ref_gamma(*ctx[:3], w, *_gamma_args(ctx[3], args)),
    "poisson_i64": lambda w, n, args, code, ctx: ref_poisson(*ctx[:3], w, float(args[0])),
    "binomial_i64": lambda w, n, args, code, ctx: ref_binomial(*ctx[:3], w, int(args[0]), float(args[1])),
}
# ops whose OP_VALUES take a ctx argument (seed, stream id, position, the draw's method name)
RETRY_OPS = {"gamma_f64", "poisson_i64", "binomial_i64"}


# ------------------------------------------------------------------------------------------------
# FORMAT 20: bernoulli, geometric, standard_cauchy, lognormal, written from the format's text.
def ref_bernoulli(w, p: float) -> np.ndarray:
    """20.1: True iff the word is below floor(p * 2**32) (as an exact rational)."""
    t = math.floor(Fraction(p) * 2 ** 32)
    return np.asarray(w, dtype=np.uint32).astype(np.uint64) < np.uint64(t) if t < 2 ** 32 else \
        np.ones(np.asarray(w).shape, bool)


def ref_geometric(w, p: float) -> np.ndarray:
    """20.2: 1 for p = 1; else ceil(e / -log1p(-p)), e = -log_f64(u01_open(first, second)),
    INT64_MAX from 2**63 up."""
    w = np.asarray(w, dtype=np.uint32)
    n = w.size // 2
    if p == 1.0:
        return np.ones(n, np.int64)
    e = -log_f64(u01_open(w[0::2], w[1::2]))
    x = e / -log1p(-p)
    big = x >= 2.0 ** 63
    with np.errstate(invalid="ignore"):
        c = np.ceil(np.where(big, 0.0, x)).astype(np.int64)
    return np.where(big, np.int64(2 ** 63 - 1), c)


def ref_standard_cauchy(w, code: str) -> np.ndarray:
    """20.3: normal over normal, float64 from words (0, 1) / (2, 3), float32 from 0 / 1."""
    w = np.asarray(w, dtype=np.uint32)
    if code == "f64":
        return normal_f64(w[0::4], w[1::4]) / normal_f64(w[2::4], w[3::4])
    x = normal_f32(w[0::2]) / normal_f32(w[1::2])
    return round16(code, x) if code in ("f16", "bf16") else x


def ref_lognormal(w, mean: float, sigma: float, code: str) -> np.ndarray:
    """20.4: exp_f64(mean + sigma * z) in float64; float32 and 16-bit outputs from the float32 normal,
    the float64 result rounded to float32 (then to 16 bits)."""
    w = np.asarray(w, dtype=np.uint32)
    if code == "f64":
        return exp_f64(np.float64(mean) + np.float64(sigma) * normal_f64(w[0::2], w[1::2]))
    with np.errstate(over="ignore"):
        x = exp_f64(np.float64(mean) + np.float64(sigma) * normal_f32(w).astype(np.float64)).astype(np.float32)
    return round16(code, x) if code in ("f16", "bf16") else x


_CAUCHY_WORDS = {"f64": 4, "f32": 2, "f16": 2, "bf16": 2}
RefStream.bernoulli = lambda self, p, n, code="b8": ref_bernoulli(self._take(n), float(p))
RefStream.geometric = lambda self, p, n, code="i64": ref_geometric(self._take(2 * n), float(p))
RefStream.standard_cauchy = lambda self, n, code="f64": ref_standard_cauchy(self._take(_CAUCHY_WORDS[code] * n),
                                                                             code)
RefStream.lognormal = lambda self, mean, sigma, n, code="f64": ref_lognormal(
    self._take((2 if code == "f64" else 1) * n), float(mean), float(sigma), code)
OP_VALUES.update({
    **{f"lognormal_{c}": (lambda w, n, args, code: ref_lognormal(w, *(args or (0.0, 1.0)), code))
       for c in ("f32", "f64", "f16", "bf16")},
    **{f"standard_cauchy_{c}": (lambda w, n, args, code: ref_standard_cauchy(w, code))
       for c in ("f32", "f64", "f16", "bf16")},
    "geometric_i64": lambda w, n, args, code: ref_geometric(w, float(args[0])),
    "bernoulli_b8": lambda w, n, args, code: ref_bernoulli(w, float(args[0])),
})
# FORMAT 21: float32 gamma, beta, standard_t (written from docs/FORMAT.md 21)
def _mt_d_c(shape: float):
    d = (shape + 1.0 if shape < 1.0 else shape) - 0.333333333333333333333
    return d, 1.0 / math.sqrt(9.0 * d)


def _mt_retried(seed, sid, p_first, shape, first_words, b0, step):
    """The Marsaglia-Tsang value g (no boost): the first attempt from first_words (n0, n1, uw), else
    attempt t from block b0 + t * step of the value's retry stream."""
    d, c = _mt_d_c(shape)
    g = gamma_attempt(d, c, *[np.array([v], dtype=np.uint32) for v in first_words])[0]
    t = b0
    while np.isnan(g):
        r = retry_words(seed, sid, p_first, t)
        g = gamma_attempt(d, c, r[0:1], r[1:2], r[2:3])[0]
        t += step
    return float(g)


def ref_beta(seed, sid: int, pos: int, w, a: float, b: float) -> np.ndarray:
    """beta(a, b) of the words w (8 per value) read from position pos of stream sid (FORMAT 21.2)."""
    w = np.asarray(w, dtype=np.uint32).reshape(-1, 8)
    out = np.empty(len(w))
    for i, v in enumerate(w):
        p_first = pos + 8 * i
        gx = _mt_retried(seed, sid, p_first, a, v[0:3], 0, 2)
        gy = _mt_retried(seed, sid, p_first, b, v[4:7], 1, 2)
        if a >= 1.0 and b >= 1.0:
            out[i] = gx / (gx + gy)
            continue
        lx = float(log_f64(gx))
        ly = float(log_f64(gy))
        with np.errstate(over="ignore", divide="ignore"):
            if a < 1.0:
                lx = lx + float(log_f64(u01_open32(v[3]))) / a
            if b < 1.0:
                ly = ly + float(log_f64(u01_open32(v[7]))) / b
        lx, ly = max(lx, -1e308), max(ly, -1e308)
        with np.errstate(over="ignore"):
            out[i] = 1.0 / (1.0 + float(exp_f64(np.float64(ly) - np.float64(lx))))
    return out


def ref_standard_t(seed, sid: int, pos: int, w, df: float) -> np.ndarray:
    """standard_t(df) of the words w (6 per value) read from position pos of stream sid (FORMAT 21.3)."""
    w = np.asarray(w, dtype=np.uint32).reshape(-1, 6)
    h = df * 0.5
    out = np.empty(len(w))
    for i, v in enumerate(w):
        g = _mt_retried(seed, sid, pos + 6 * i, h, v[0:3], 0, 1)
        z = float(normal_f64(v[4:5], v[5:6])[0])
        s = z * math.sqrt(h / g)
        if h >= 1.0:
            out[i] = s
            continue
        e = -0.5 * (float(log_f64(u01_open32(v[3]))) / h)
        with np.errstate(over="ignore"):
            big_e = exp_f64(0.5 * min(e, 1418.0))
            val = (np.float64(s) * big_e) * big_e
        out[i] = min(max(float(val), -1.7976931348623157e308), 1.7976931348623157e308)
    return out


RefStream.beta = lambda self, a, b, n, code="f64": ref_beta(self.seed, self.id, self.position,
                                                            self._take(8 * n), float(a), float(b))
RefStream.standard_t = lambda self, df, n, code="f64": ref_standard_t(self.seed, self.id, self.position,
                                                                      self._take(6 * n), float(df))
OP_VALUES["gamma_f32"] = lambda w, n, args, code, ctx: ref_gamma(*ctx[:3], w, *_gamma_args(ctx[3], args)).astype(
    np.float32)
OP_VALUES["beta_f64"] = lambda w, n, args, code, ctx: ref_beta(*ctx[:3], w, float(args[0]), float(args[1]))
OP_VALUES["standard_t_f64"] = lambda w, n, args, code, ctx: ref_standard_t(*ctx[:3], w, float(args[0]))
RETRY_OPS |= {"gamma_f32", "beta_f64", "standard_t_f64"}
__all__ += ["ref_beta", "ref_standard_t"]


def ref_dirichlet(seed, sid: int, pos: int, alpha, rows: int) -> np.ndarray:
    """dirichlet(alpha) of `rows` rows drawn from position pos of stream sid (FORMAT 21.4), (rows, K)."""
    alpha = [float(a) for a in alpha]
    k = len(alpha)
    if k == 1:
        return np.ones((rows, 1))
    w = words(seed, sid, pos, 8 * rows * (k - 1)).reshape(rows, k - 1, 8)
    x = np.empty((rows, k))
    for j in range(k - 1):
        b = alpha[k - 1]
        for i in range(k - 2, j, -1):
            b = alpha[i] + b
        for r in range(rows):
            idx = r * (k - 1) + j
            x[r, j] = ref_beta(seed, sid, pos + 8 * idx, w[r, j], alpha[j], b)[0]
    out = np.empty((rows, k))
    for r in range(rows):
        rem = None
        for j in range(k - 1):
            v = x[r, j]
            out[r, j] = v if rem is None else v * rem
            rem = (1.0 - v) if rem is None else rem * (1.0 - v)
        out[r, k - 1] = rem
    return out


RefStream.dirichlet = lambda self, alpha, rows: _take_dirichlet(self, alpha, rows)


def _take_dirichlet(self, alpha, rows):
    out = ref_dirichlet(self.seed, self.id, self.position, alpha, rows)
    self.position += 8 * rows * (len(alpha) - 1)
    return out


__all__ += ["ref_dirichlet"]


def randint_words(low, high) -> int:
    return 2 if high - low <= 1 << 32 else 4


# ------------------------------------------------------------------------------------------------
# FORMAT 6: the keyed bijection on [0, n), on Python ints
PERM_WORDS = 12
PERM_SMALL_MAX = 20


def _mix32(x: int) -> int:
    x ^= x >> 16
    x = (x * 0x7FEB352D) & MASK32
    x ^= x >> 15
    x = (x * 0x846CA68B) & MASK32
    x ^= x >> 16
    return x


class RefPerm:
    """pi of FORMAT 6 for the 12 key words ``w`` (ints) and size ``n``."""

    def __init__(self, w, n: int):
        w = [int(v) for v in w]
        assert len(w) == PERM_WORDS and 1 <= n <= 2 ** 63 - 1
        self.w, self.n = w, n
        if n <= PERM_SMALL_MAX:
            u128 = w[0] + (w[1] << 32) + (w[2] << 64) + (w[3] << 96)
            L = (u128 * math.factorial(n)) >> 128
            left = list(range(n))
            self.table = []
            for k in range(n):
                L, d = divmod(L, n - k)
                self.table.append(left.pop(d))
        else:
            self.b = (n - 1).bit_length()

    def E(self, x: int) -> int:
        wl = self.b // 2
        wr = self.b - wl
        hi, lo = x >> wr, x & ((1 << wr) - 1)
        for j in range(12):
            f = _mix32(lo ^ self.w[j]) >> (32 - wl)
            hi, lo = lo, (hi + f) & ((1 << wl) - 1)
            wl, wr = wr, wl
        return (hi << wr) | lo

    def __call__(self, i: int) -> int:
        assert 0 <= i < self.n
        if self.n <= PERM_SMALL_MAX:
            return self.table[i]
        x = self.E(i)
        while x >= self.n:
            x = self.E(x)
        return x


def ref_permutation(w, n: int, start: int = 0, step: int = 1, count=None) -> np.ndarray:
    pi = RefPerm(w, n)
    count = n if count is None else count
    return np.array([pi(start + step * j) for j in range(count)], dtype=np.int64)


# ------------------------------------------------------------------------------------------------
# FORMAT 7: weighted choice
def ref_alias_table(p):
    p = [float(v) for v in p]
    m = len(p)
    s = math.fsum(p)
    q = [(v * float(m)) / s for v in p]
    prob, alias = [0.0] * m, [0] * m
    small = [i for i in range(m) if q[i] < 1.0]
    large = [i for i in range(m) if q[i] >= 1.0]
    while small and large:
        l, g = small.pop(), large.pop()
        prob[l], alias[l] = q[l], g
        q[g] = (q[g] + q[l]) - 1.0
        (small if q[g] < 1.0 else large).append(g)
    for i in large + small:
        prob[i], alias[i] = 1.0, i
    return prob, alias


def ref_alias_draws(words, prob, alias) -> np.ndarray:
    w = [int(v) for v in words]
    m = len(prob)
    out = []
    for i in range(len(w) // 4):
        u64 = w[4 * i] + (w[4 * i + 1] << 32)
        j = (u64 * m) >> 64
        u = ((w[4 * i + 2] + (w[4 * i + 3] << 32)) >> 11) * 2.0 ** -53
        out.append(j if u < prob[j] else alias[j])
    return np.array(out, dtype=np.int64)


def ref_exp_keys(words, p) -> np.ndarray:
    w = np.asarray(words, dtype=np.uint32).astype(np.uint64)
    u64 = w[0::2] | (w[1::2] << np.uint64(32))
    u = ((u64 >> np.uint64(12)) * np.uint64(2) + np.uint64(1)).astype(np.float64) * 2.0 ** -53
    e = -log_f64(u)
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(p > 0, e / np.where(p > 0, p, 1.0), np.inf)


def ref_weighted_order(words, p, count) -> np.ndarray:
    keys = ref_exp_keys(words, p)
    order = sorted((i for i in range(len(keys)) if p[i] > 0), key=lambda i: (keys[i], i))
    return np.array(order[:count], dtype=np.int64)


# ------------------------------------------------------------------------------------------------
# FORMAT 8: the sampler's global order (unweighted cases and weights)
def ref_sampler_index(seed, path, n, epoch, g, shuffle=True, replacement=False, weights=None) -> int:
    sid = stream_id(*path, "order", epoch)
    if weights is not None:
        if replacement:
            prob, alias = ref_alias_table(weights)
            return int(ref_alias_draws(words(seed, sid, 4 * g, 4), prob, alias)[0])
        return int(ref_weighted_order(words(seed, sid, 0, 2 * n), weights, g + 1)[g])
    if replacement:
        k = 2 if n <= 1 << 32 else 4
        return int(RefStream(seed, id=sid, position=k * g).randint(0, n, 1)[0])
    if not shuffle:
        return g % n
    c, i = divmod(g, n)
    return RefPerm(words(seed, sid, 12 * c, 12), n)(i)


# ------------------------------------------------------------------------------------------------
# FORMAT 22.1: truncated_normal, written from the FORMAT text (scalar Python floats are IEEE
# doubles, each operation correctly rounded, as the header's)
def ref_phi_lower(t: float) -> float:
    """Phi(-t) for t >= 0 (FORMAT 22.1)."""
    if t > 39.0:
        return 0.0
    th = float((np.float64(t).view(np.uint64) & ~np.uint64((1 << 27) - 1)).view(np.float64))
    tl = t - th
    pdf = (float(exp_f64(-(th * th) * 0.5)) * float(exp_f64(-(tl * (t + th)) * 0.5))) * 0.398942280401432677940
    if t < 0.6:
        t2, s = t * t, 0.0
        for n in range(59, -1, -1):
            s = t2 * s / float(2 * n + 3) + 1.0
        return 0.5 - pdf * (t * s)
    f = t
    for n in range(1000, 0, -1):
        f = t + float(n) / f
    return pdf / f


def ref_ndtr(x: float) -> float:
    return ref_phi_lower(-x) if x < 0.0 else 1.0 - ref_phi_lower(x)


def ref_ndtri(p) -> np.ndarray:
    """AS241 at p in [0, 1] (FORMAT 22.1), numpy float64 arrays."""
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    r = np.where(p < 0.5, p, 1.0 - p)
    tiny = r < 2.2250738585072014e-308
    rs = np.where(tiny, 0.5, r)
    s = np.sqrt(-log_f64(rs))
    near = s <= 5.0
    tail = np.where(near, -_horner(_PC, s - 1.6), -_horner(_PE, s - 5.0)) / np.where(
        near, _horner(_PD, s - 1.6), _horner(_PF, s - 5.0))
    tail = np.where(tiny, -40.0, tail)
    rr = 0.180625 - q * q
    centre = (q * _horner(_PA, rr)) / _horner(_PB, rr)
    return np.where((q >= -0.425) & (q <= 0.425), centre, np.where(p < 0.5, tail, -tail))


def ref_truncated_normal(w, mean, std, low, high, code):
    """Values of truncated_normal(mean, std, low, high) from their words (1 per float32 value, 2 per
    float64 value)."""
    mean, std, low, high = float(mean), float(std), float(low), float(high)
    a, b = (low - mean) / std, (high - mean) / std
    if a > 0.0:
        a, b, std = -b, -a, -std
    pl = ref_ndtr(a)
    d = ref_ndtr(b) - pl
    w = np.asarray(w, dtype=np.uint32)
    if code == "f64":
        u = (_u64(w[0::2], w[1::2]) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
        x = mean + std * ref_ndtri(pl + d * u)
        return np.minimum(np.maximum(x, low), high)
    assert code == "f32"
    u = w.astype(np.float64) * 2.0 ** -32
    x = (mean + std * ref_ndtri(pl + d * u)).astype(np.float32)
    return np.minimum(np.maximum(x, np.float32(low)), np.float32(high))


RefStream.truncated_normal = lambda self, mean, std, low, high, n, code="f64": ref_truncated_normal(
    self._take(n * FLOAT_WORDS[code]), mean, std, low, high, code)
OP_VALUES["trunc_normal_f32"] = lambda w, n, args, code: ref_truncated_normal(w, *args, code)
OP_VALUES["trunc_normal_f64"] = lambda w, n, args, code: ref_truncated_normal(w, *args, code)


def ref_multinomial(seed, sid: int, pos: int, n: int, pvals, rows: int) -> np.ndarray:
    """multinomial(n, pvals) of `rows` rows drawn from position pos of stream sid (FORMAT 22.2), (rows, K):
    element (r, j), j < K - 1, is value r (K - 1) + j of a binomial draw (4 words each) with the row's
    remaining count and the column's conditional probability; the last category takes the rest."""
    pvals = [float(v) for v in pvals]
    k = len(pvals)
    probs, mass = [], 1.0
    for j in range(k - 1):
        if mass <= 0.0:
            probs.append(1.0)
        else:
            probs.append(min(max(pvals[j] / mass, 0.0), 1.0))
        mass = mass - pvals[j]
    w = words(seed, sid, pos, 4 * rows * (k - 1)).reshape(rows, max(k - 1, 0), 4)
    out = np.empty((rows, k), np.int64)
    for r in range(rows):
        left = int(n)
        for j in range(k - 1):
            idx = r * (k - 1) + j
            x = int(ref_binomial(seed, sid, pos + 4 * idx, w[r, j], left, probs[j])[0])
            out[r, j] = x
            left -= x
        out[r, k - 1] = left
    return out


def _take_multinomial(self, n, pvals, rows):
    out = ref_multinomial(self.seed, self.id, self.position, n, pvals, rows)
    self.position += 4 * rows * (len(pvals) - 1)
    return out


RefStream.multinomial = _take_multinomial
__all__ += ["ref_multinomial"]
