"""Format v1 in plain torch tensor arithmetic: the backend for any torch device.

This mirrors ``csrc/philox.h`` function by function (same names, same order of
floating-point operations). It runs wherever torch runs (CPU, CUDA without the
compiled module, MPS, ...) because it uses only basic int64 and float32 ops
(float64 only for float64 outputs), and it is the second, independent
implementation the tests hold equal to the C++ kernels.

Rules that keep the bits identical:

- uint32 words are held in int64 tensors (values in ``[0, 2**32)``); uint64
  values in int64 two's complement. The 32x32->64 products of Philox and of the
  bounded integers are built from 16-bit halves, so no int64 op ever overflows.
- One torch op per IEEE operation, so each rounds exactly once; float constants
  are Python floats whose float32 rounding equals the C literal (tested); scalars
  meant as float32 are rounded to float32 before they reach an op.
- The entry points are wrapped in ``torch.compiler.disable``: inductor must not
  fuse them into code that could contract a multiply and an add into an FMA.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from . import _core

__all__ = ["fill", "fill_region", "fold_ids", "philox4x32_10", "stream_counter", "VALUES"]

M32 = 0xFFFFFFFF
PHILOX_M0, PHILOX_M1 = 0xD2511F53, 0xCD9E8D57
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
FOLD_K0, FOLD_K1 = 0x243F6A88, 0x85A308D3

# the op table (csrc/ops.h): each op's name and words per value, by code
_OP_NAME = {code: name for code, name, _words, _bytes, _dtypes in _core.OPS}
_OP_WORDS = {code: words for code, _name, words, _bytes, _dtypes in _core.OPS}
# most words one chunk of a draw holds (int64 temporaries: about 100 bytes each)
_CHUNK_WORDS = 1 << 21


# ---------------------------------------------------------------- integer helpers
def mulhilo32(a, b):
    """(hi, lo) of the 64-bit product of uint32 values a and b (tensors or ints), via 16-bit halves."""
    al, ah = a & 0xFFFF, a >> 16
    bl, bh = b & 0xFFFF, b >> 16
    t0 = al * bl
    mid = ah * bl + al * bh + (t0 >> 16)  # < 2**33 + 2**16
    lo = ((mid & 0xFFFF) << 16) | (t0 & 0xFFFF)
    hi = ah * bh + (mid >> 16)
    return hi, lo


def _signed64(hi, lo):
    """int64 two's complement of hi * 2**32 + lo (hi, lo uint32 in int64), with no overflow."""
    return (hi - ((hi >> 31) & 1) * (1 << 32)) * (1 << 32) + lo


def _signed32(x):
    """int32 value of uint32 x (in int64)."""
    return x - ((x >> 31) & 1) * (1 << 32)


def _u32(t):
    """uint32 bits of a float32 tensor, in int64."""
    return t.view(torch.int32).to(torch.int64) & M32


def _f32(x):
    """float32 with the uint32 bits x (int64 tensor)."""
    return _signed32(x).to(torch.int32).view(torch.float32)


def _sub32(a: float, b: float) -> float:
    """a - b in float32 arithmetic (one IEEE float32 rounding), a and b float32 values."""
    with np.errstate(all="ignore"):
        return float(np.float32(a) - np.float32(b))


def _u64(t):
    return t.view(torch.int64)


def _f64(x):
    return x.view(torch.float64)


def _c32(x: float) -> float:
    """A constant or scalar rounded to float32 (as a C float literal or (float) cast)."""
    return float(np.float32(x))


# ---------------------------------------------------------------- block function
def philox4x32_round(x0, x1, x2, x3, k0, k1):
    hi0, lo0 = mulhilo32(x0, PHILOX_M0)
    hi1, lo1 = mulhilo32(x2, PHILOX_M1)
    return hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0


def philox4x32_10(x0, x1, x2, x3, k0: int, k1: int):
    """Philox4x32-10 on int64 tensors holding uint32 counter words; key as ints."""
    for r in range(10):
        if r:
            k0 = (k0 + PHILOX_W0) & M32
            k1 = (k1 + PHILOX_W1) & M32
        x0, x1, x2, x3 = philox4x32_round(x0, x1, x2, x3, k0, k1)
    return x0, x1, x2, x3


def fold(parent, v, t: int):
    """Stream id (int64 two's complement) of parent + a component of value v and kind t (tensors)."""
    y0, y1, _, _ = philox4x32_10(v & M32, (v >> 32) & M32, parent & M32, (parent >> 32) & M32,
                                 FOLD_K0 + t, FOLD_K1)
    return _signed64(y1, y0)


# ---------------------------------------------------------------- 16-bit floats
def f32_to_f16_bits(f):
    x = _u32(f)
    sign = (x >> 16) & 0x8000
    ax = x & 0x7FFFFFFF
    v = _f32(ax) * 16777216.0                 # exact
    r = (v + 8388608.0) - 8388608.0            # round to an integer, nearest even
    sub = sign | r.to(torch.int64)
    lsb = (ax >> 13) & 1
    rounded = ax + 0xFFF + lsb
    norm = sign | ((rounded - 0x38000000) >> 13)
    out = torch.where(ax < 0x38800000, sub, norm)
    return torch.where(ax >= 0x477FF000, sign | 0x7C00, out)


def f16_bits_to_f32(h):
    sign = (h & 0x8000) << 16
    mag = h & 0x7FFF
    sub = mag.to(torch.float32) * 5.9604644775390625e-08
    norm = (mag << 13) + 0x38000000
    bits = torch.where(mag < 0x0400, _u32(sub), norm)
    return _f32(bits | sign)


def bf16_bits_to_f32(h):
    return _f32(h << 16)


def f32_to_bf16_bits(f):
    x = _u32(f)
    return ((x + 0x7FFF + ((x >> 16) & 1)) >> 16) & 0xFFFF


# ---------------------------------------------------------------- uniforms
def u01_f32(w):
    return (w >> 8).to(torch.float32) * 5.9604644775390625e-08


def u01_f64(first, second):
    hi = (second >> 10).to(torch.float64)
    lo = ((((second << 21) & M32) | (first >> 11)) & 0x7FFFFFFF).to(torch.float64)
    return (hi * 2147483648.0 + lo) * 1.1102230246251565404236316680908203125e-16


def u01_f16_bits(w):
    k = w >> 21
    fb = _u32(k.to(torch.float32) * 4.8828125e-04)
    return torch.where(k != 0, (fb - 0x38000000) >> 13, torch.zeros_like(k))


def u01_bf16_bits(w):
    return _u32((w >> 24).to(torch.float32) * 3.90625e-03) >> 16


def uniform_f32(w, low, high, below):
    x = low + (_sub32(high, low) * u01_f32(w))
    return torch.where(x < high, x, torch.full_like(x, below))


def uniform_f64(first, second, low, high, below):
    x = low + ((high - low) * u01_f64(first, second))
    return torch.where(x < high, x, torch.full_like(x, below))


def uniform_f16_bits(w, low, high, below):
    h = f32_to_f16_bits(low + (_sub32(high, low) * f16_bits_to_f32(u01_f16_bits(w))))
    return torch.where(f16_bits_to_f32(h) < high, h, torch.full_like(h, below))


def uniform_bf16_bits(w, low, high, below):
    h = f32_to_bf16_bits(low + (_sub32(high, low) * bf16_bits_to_f32(u01_bf16_bits(w))))
    return torch.where(bf16_bits_to_f32(h) < high, h, torch.full_like(h, below))


# ---------------------------------------------------------------- bounded integers
def _mul_high(words, r: int):
    """floor(u * r / 2**(32*len(words))) as (low limb, high limb), u = sum words[i] 2**(32 i).

    Schoolbook product in 32-bit limbs; every column sum stays below 2**36.
    This is bounded_small (two words) and bounded_large (four words) of philox.h.
    """
    r_limbs = [r & M32, (r >> 32) & M32, r >> 64]
    nw = len(words)
    cols = [0] * (nw + len(r_limbs) + 1)
    for i, w in enumerate(words):
        for j, rj in enumerate(r_limbs):
            if rj == 0:
                continue
            hi, lo = mulhilo32(w, rj)
            cols[i + j] = cols[i + j] + lo
            cols[i + j + 1] = cols[i + j + 1] + hi
    carry = 0
    limbs = []
    for k in range(nw + 2):
        s = cols[k] + carry
        if k >= nw:
            limbs.append(s & M32)
        carry = s >> 32
    return limbs[0], limbs[1]


def bounded_small(first, second, r_minus_1: int):
    return _mul_high([first, second], r_minus_1 + 1)  # r = 2**32 included (gives `second`)


def bounded_large(w0, w1, w2, w3, r_minus_1: int):
    return _mul_high([w0, w1, w2, w3], r_minus_1 + 1)


# ---------------------------------------------------------------- square root
# torch.sqrt is not correctly rounded on every device (on the CPU it goes
# through MKL/Sleef: measured 1.2% of float64 and 17% of float32 results one ulp
# off), while philox.h's sqrt is IEEE's. So the fallback takes torch.sqrt's
# value as a guess and corrects it exactly: y is the correctly rounded root iff
# (lower midpoint)^2 < x < (upper midpoint)^2 (a midpoint's square is never x).
# The squares are compared in integers: mantissas as int64 (float32) or as two
# 56-bit limbs (float64), so no rounding enters the test.
def _cmp_sq(m_hi, m_lo, msq_shift, x_mant, d, limb_bits):
    """sign(M^2 - X * 2^d) with M = m_hi * 2^(limb_bits/2) + m_lo (limb_bits/2-bit halves), X < 2^limb_bits."""
    h = limb_bits // 2
    mask = (1 << limb_bits) - 1
    t = m_lo * m_lo
    c = 2 * m_hi * m_lo
    lo = t + ((c & ((1 << h) - 1)) << h)
    hi = m_hi * m_hi + (c >> h) + (lo >> limb_bits)
    lo = lo & mask
    d = d.clamp(0, 2 * limb_bits - 2)
    small = d <= limb_bits
    sh_r = torch.where(small, limb_bits - d, torch.zeros_like(d))
    sh_l = torch.where(small, torch.zeros_like(d), d - limb_bits)
    b_hi = torch.where(small, x_mant >> sh_r, x_mant << sh_l)
    low_bits = x_mant & ((torch.ones_like(d) << sh_r) - 1)
    b_lo = torch.where(small, low_bits << d.clamp(max=limb_bits), torch.zeros_like(d))
    return torch.where(hi != b_hi, torch.sign(hi - b_hi), torch.sign(lo - b_lo))


def _fix_sqrt(x_bits, y_bits, mant_bits, exp_bias, limb_bits):
    """One correction step of y ~ sqrt(x) (positive normal floats, bits in int64)."""
    one = 1 << mant_bits
    X = (x_bits & (one - 1)) | one
    ex = (x_bits >> mant_bits) - (exp_bias + mant_bits)
    Y = (y_bits & (one - 1)) | one
    ey = (y_bits >> mant_bits) - (exp_bias + mant_bits)
    h = limb_bits // 2

    def cmp(M, e_m):  # sign(M^2 * 2^(2 e_m) - x)
        return _cmp_sq(M >> h, M & ((1 << h) - 1), None, X, ex - 2 * e_m, limb_bits)

    up = cmp(2 * Y + 1, ey - 1) < 0                      # upper midpoint below sqrt(x): round up
    pow2 = Y == one
    down = torch.where(pow2, cmp(4 * Y - 1, ey - 2), cmp(2 * Y - 1, ey - 1)) > 0
    return torch.where(up, y_bits + 1, torch.where(down, y_bits - 1, y_bits))


def sqrt_f32(x):
    """Correctly rounded float32 sqrt of positive normal x (as sqrtf)."""
    xb, yb = _u32(x), _u32(torch.sqrt(x))
    for _ in range(2):
        yb = _fix_sqrt(xb, yb, 23, 127, 26)
    return _f32(yb)


def sqrt_f64(x):
    """Correctly rounded float64 sqrt of positive normal x (as sqrt)."""
    xb, yb = _u64(x), _u64(torch.sqrt(x))
    for _ in range(2):
        yb = _fix_sqrt(xb, yb, 52, 1023, 56)
    return _f64(yb)


# ---------------------------------------------------------------- logarithm
def log_f32(x):
    bx = _u32(x)
    e = (bx >> 23) - 127
    mb = (bx & 0x007FFFFF) | 0x3F800000
    big = mb > 0x3FB504F3
    mb = torch.where(big, mb - 0x00800000, mb)
    e = torch.where(big, e + 1, e).to(torch.float32)
    f = _f32(mb) - 1.0
    s = f / (f + 2.0)
    z = s * s
    p = z * _C_LOG32[3]
    p = p + _C_LOG32[2]
    p = z * p
    p = p + _C_LOG32[1]
    p = z * p
    p = p + _C_LOG32[0]
    p = z * p
    two_s = s + s
    logm = two_s + (two_s * p)
    return (e * 0.693145751953125) + ((e * _c32(1.428606765330187e-06)) + logm)


_C_LOG32 = [_c32(0.33333333333333333), _c32(0.2), _c32(0.14285714285714285), _c32(0.11111111111111111)]


def log_f64(x):
    bx = _u64(x)
    e = (bx >> 52) - 1023
    mb = (bx & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000
    big = mb > 0x3FF6A09E667F3BCC
    mb = torch.where(big, mb - 0x0010000000000000, mb)
    e = torch.where(big, e + 1, e).to(torch.float64)
    f = _f64(mb) - 1.0
    s = f / (f + 2.0)
    z = s * s
    p = z * (1.0 / 21.0)
    for k in (19, 17, 15, 13, 11, 9, 7, 5, 3):
        p = p + (1.0 / k)
        p = z * p
    two_s = s + s
    logm = two_s + (two_s * p)
    return (e * 6.93147180369123816490e-01) + ((e * 1.90821492927058770002e-10) + logm)


# ---------------------------------------------------------------- normal
def _horner(x, coeffs):
    """((c[0] * x + c[1]) * x + ...) + c[-1], one rounding per op."""
    acc = x * coeffs[0]
    acc = acc + coeffs[1]
    for c in coeffs[2:]:
        acc = acc * x
        acc = acc + c
    return acc


_A32 = [_c32(v) for v in (5.9109374720e+01, 1.5929113202e+02, 5.0434271938e+01, 3.3871327179e+00)]
_B32 = [_c32(v) for v in (6.7187563600e+01, 7.8757757664e+01, 1.7895169469e+01)] + [1.0]
_C32 = [_c32(v) for v in (1.7023821103e-01, 1.3067284816e+00, 2.7568153900e+00, 1.4234372777e+00)]
_D32 = [_c32(v) for v in (1.2021132975e-01, 7.3700164250e-01)] + [1.0]
_C32_CENTRE_R, _C32_TAIL_S, _C32_SPLIT = _c32(0.180625), _c32(1.6), _c32(-0.425)
_2M32 = 2.3283064365386963e-10


def normal_f32_q(w):
    return (_signed32(w | 0x80000000).to(torch.float32) + 0.5) * _2M32


def normal_f32_p(w):
    return ((w & 0x7FFFFFFF).to(torch.float32) + 0.5) * _2M32


def normal_f32_sign(z, w):
    return _f32(_u32(z) ^ (w & 0x80000000))


def normal_f32_centre_piece(q):
    r = _C32_CENTRE_R - (q * q)
    nc = q * _horner(r, _A32)
    dc = _horner(r, _B32)
    return nc / dc


def normal_f32_tail_piece(p):
    s = sqrt_f32(-log_f32(p)) - _C32_TAIL_S
    nt = -_horner(s, _C32)
    dt = _horner(s, _D32)
    return nt / dt


def normal_f32(w):
    q = normal_f32_q(w)
    z = torch.where(q >= _C32_SPLIT, normal_f32_centre_piece(q), normal_f32_tail_piece(normal_f32_p(w)))
    return normal_f32_sign(z, w)


_A64 = (2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4, 4.5921953931549871457e+4,
        1.3731693765509461125e+4, 1.9715909503065514427e+3, 1.3314166789178437745e+2, 3.3871328727963666080e+0)
_B64 = (5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4, 2.1213794301586595867e+4,
        5.3941960214247511077e+3, 6.8718700749205790830e+2, 4.2313330701600911252e+1, 1.0)
_C64 = (7.7454501427834140764e-4, 2.2723844989269184583e-2, 2.4178072517745061177e-1, 1.2704582524523683826e+0,
        3.6478483247632045960e+0, 5.7694972214606914055e+0, 4.6303378461565452959e+0, 1.4234371107496835773e+0)
_D64 = (1.0507500716444168432e-9, 5.4759380849953449460e-4, 1.5198666563616457197e-2, 1.4810397642748007459e-1,
        6.8976733498510000455e-1, 1.6763848301838038494e+0, 2.0531916266377588219e+0, 1.0)
_E64 = (2.0103343992922881327e-7, 2.7115555687434875782e-5, 1.2426609473880784386e-3, 2.6532189526576123093e-2,
        2.9656057182850489123e-1, 1.7848265399172913358e+0, 5.4637849111641143699e+0, 6.6579046435011037772e+0)
_F64 = (2.0442631033899397856e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5, 7.8686913114561325910e-4,
        1.4875361290850614853e-2, 1.3692988092273580531e-1, 5.9983220655588793769e-1, 1.0)
_2M64 = 5.42101086242752217e-20


def normal_f64_q(first, second):
    hi = _signed32(second | 0x80000000).to(torch.float64) * 4294967296.0
    return ((hi + first.to(torch.float64)) + 0.5) * _2M64


def normal_f64_p(first, second):
    hi = (second & 0x7FFFFFFF).to(torch.float64) * 4294967296.0
    return ((hi + first.to(torch.float64)) + 0.5) * _2M64


def normal_f64_sign(z, second):
    # xor of the sign bit: negation flips exactly that bit (z is never NaN)
    return torch.where((second & 0x80000000) != 0, -z, z)


def normal_f64_centre_piece(q):
    r = 0.180625 - (q * q)
    return (q * _horner(r, _A64)) / _horner(r, _B64)


def normal_f64_tail_piece(p):
    s = sqrt_f64(-log_f64(p))
    s1 = s - 1.6
    n1, d1 = -_horner(s1, _C64), _horner(s1, _D64)
    s2 = s - 5.0
    n2, d2 = -_horner(s2, _E64), _horner(s2, _F64)
    near = s <= 5.0
    return torch.where(near, n1, n2) / torch.where(near, d1, d2)


def normal_f64(first, second):
    q = normal_f64_q(first, second)
    z = torch.where(q >= -0.425, normal_f64_centre_piece(q), normal_f64_tail_piece(normal_f64_p(first, second)))
    return normal_f64_sign(z, second)


def normal_affine(z, mean: float, std: float):
    return mean + (std * z)


# ---------------------------------------------------------------- exponential
def u_open_f32(w):
    return ((w >> 9) * 2 + 1).to(torch.float32) * 5.9604644775390625e-08


def u_open_f64(first, second):
    return ((((second << 20) | (first >> 12)) * 2 + 1).to(torch.float64)
            * 1.1102230246251565404236316680908203125e-16)


def std_exponential_f32(w):
    return -log_f32(u_open_f32(w))


def std_exponential_f64(first, second):
    return -log_f64(u_open_f64(first, second))


def gumbel_f32(w):
    return -log_f32(std_exponential_f32(w))


def gumbel_f64(first, second):
    return -log_f64(std_exponential_f64(first, second))


def logistic_f32(w):
    u = u_open_f32(w)
    return log_f32(u / (1.0 - u))


def logistic_f64(first, second):
    u = u_open_f64(first, second)
    return log_f64(u / (1.0 - u))


def laplace_f32(w):
    u = u_open_f32(w)
    return torch.where(u < 0.5, log_f32(u + u), -log_f32(2.0 - (u + u)))


def laplace_f64(first, second):
    u = u_open_f64(first, second)
    return torch.where(u < 0.5, log_f64(u + u), -log_f64(2.0 - (u + u)))


def loc_scale(x, loc: float, scale: float):
    return loc + (scale * x)


def _loc_scale_values(f32, f64):
    """VALUES entries (f32, f64, f16, bf16) of a distribution loc + scale * x."""
    def v32(w, p):
        return loc_scale(f32(w[..., 0]), _c32(p.a), _c32(p.b))
    return (lambda w, p: (v32(w, p), "f"),
            lambda w, p: (loc_scale(f64(w[..., 0], w[..., 1]), p.a, p.b), "f"),
            lambda w, p: (f32_to_f16_bits(v32(w, p)), "bits16"),
            lambda w, p: (f32_to_bf16_bits(v32(w, p)), "bits16"))


def _exponential_f32_value(w, p):
    e = std_exponential_f32(w[..., 0])
    return _c32(p.a) * e if p.affine else e


# ---------------------------------------------------------------- draws
# One value function per op of the table (csrc/ops.h), keyed by the op's name: values of
# the op from words w (..., K) as (tensor, kind): kind "f" (float tensor), "bits16" (int64
# 16-bit patterns) or "int" (int64 two's complement, narrowed later). tests/test_op_table.py
# checks that every op of the table has one.
def _int_value(off_lo, off_hi, ilow):
    lo = (ilow & M32) + off_lo  # low + offset mod 2**64, in 32-bit halves
    hi = ((ilow >> 32) + off_hi + (lo >> 32)) & M32
    return _signed64(hi, lo & M32), "int"


def _normal_f32_value(w, p):
    z = normal_f32(w[..., 0])
    return normal_affine(z, _c32(p.a), _c32(p.b)) if p.affine else z


VALUES = {
    "raw32": lambda w, p: (w[..., 0], "int"),
    "raw64": lambda w, p: (_signed64(w[..., 1], w[..., 0]), "int"),
    "uniform_f32": lambda w, p: (uniform_f32(w[..., 0], _c32(p.a), _c32(p.b), _c32(p.c)) if p.affine
                                 else u01_f32(w[..., 0]), "f"),
    "uniform_f64": lambda w, p: (uniform_f64(w[..., 0], w[..., 1], p.a, p.b, p.c) if p.affine
                                 else u01_f64(w[..., 0], w[..., 1]), "f"),
    "uniform_f16": lambda w, p: (uniform_f16_bits(w[..., 0], _c32(p.a), _c32(p.b), int(p.c)) if p.affine
                                 else u01_f16_bits(w[..., 0]), "bits16"),
    "uniform_bf16": lambda w, p: (uniform_bf16_bits(w[..., 0], _c32(p.a), _c32(p.b), int(p.c)) if p.affine
                                  else u01_bf16_bits(w[..., 0]), "bits16"),
    "normal_f32": lambda w, p: (_normal_f32_value(w, p), "f"),
    "normal_f64": lambda w, p: ((normal_affine(normal_f64(w[..., 0], w[..., 1]), p.a, p.b) if p.affine
                                 else normal_f64(w[..., 0], w[..., 1])), "f"),
    "normal_f16": lambda w, p: (f32_to_f16_bits(_normal_f32_value(w, p)), "bits16"),
    "normal_bf16": lambda w, p: (f32_to_bf16_bits(_normal_f32_value(w, p)), "bits16"),
    "exponential_f32": lambda w, p: (_exponential_f32_value(w, p), "f"),
    "exponential_f64": lambda w, p: ((p.a * std_exponential_f64(w[..., 0], w[..., 1]) if p.affine
                                      else std_exponential_f64(w[..., 0], w[..., 1])), "f"),
    "exponential_f16": lambda w, p: (f32_to_f16_bits(_exponential_f32_value(w, p)), "bits16"),
    "exponential_bf16": lambda w, p: (f32_to_bf16_bits(_exponential_f32_value(w, p)), "bits16"),
    **{f"{dist}_{c}": fn for dist, f32, f64 in (("gumbel", gumbel_f32, gumbel_f64),
                                                 ("logistic", logistic_f32, logistic_f64),
                                                 ("laplace", laplace_f32, laplace_f64))
       for c, fn in zip(("f32", "f64", "f16", "bf16"), _loc_scale_values(f32, f64))},
    "int_small": lambda w, p: _int_value(*bounded_small(w[..., 0], w[..., 1], p.range_m1), p.ilow),
    "int_large": lambda w, p: _int_value(*bounded_large(w[..., 0], w[..., 1], w[..., 2], w[..., 3], p.range_m1),
                                         p.ilow),
}


# ---------------------------------------------------------------- distributions (csrc/dists.h)
_NAN = float("nan")


def u01_open_f64(first, second):
    hi = (second >> 11).to(torch.float64)
    lo = ((((second << 20) & M32) | (first >> 12)) & 0x7FFFFFFF).to(torch.float64)
    return ((hi * 2147483648.0 + lo) * 2.0 + 1.0) * 1.1102230246251565404236316680908203125e-16


def u01_open32_f64(w):
    return (w.to(torch.float64) + 0.5) * 2.3283064365386963e-10


_EXP_COEFFS = (1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
               1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0)


def exp_f64(x):
    xc = x.clamp(-745.2, 709.78)
    kd = (xc * 1.44269504088896338700 + 6755399441055744.0) - 6755399441055744.0
    r = (xc - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10
    p = _horner(r, _EXP_COEFFS)
    k = kd.to(torch.int64)
    big = p * _f64(((k + 1023).clamp(1, 2046)) << 52)
    top = (p * 2.0) * _f64(torch.full_like(k, 2046 << 52))
    small = (p * _f64(((k + 1623).clamp(min=1)) << 52)) * _f64(torch.full_like(k, (1023 - 600) << 52))
    y = torch.where(k >= -1021, torch.where(k > 1023, top, big), small)
    y = torch.where(x < -745.2, torch.zeros_like(y), y)
    return torch.where(x > 709.78, torch.full_like(y, float("inf")), y)


def gamma_d(a: float) -> float:
    return (a + 1.0 if a < 1.0 else a) - 0.333333333333333333333


def gamma_mt_attempt(d: float, c: float, n0, n1, uw):
    """One Marsaglia-Tsang attempt: d * v, or NaN when rejected."""
    x = normal_f64(n0, n1)
    t = 1.0 + c * x
    v = (t * t) * t
    u = u01_open32_f64(uw)
    x2 = x * x
    ok = (t > 0.0) & ((u < 1.0 - 0.0331 * (x2 * x2)) | (log_f64(u) < 0.5 * x2 + d * ((1.0 - v) + log_f64(v))))
    return torch.where(ok, d * v, torch.full_like(v, _NAN))


def gamma_boost(p, w3):
    """U^(1/a) for a < 1 (p.affine), from the fourth word; 1 otherwise."""
    if p.affine:
        return exp_f64(log_f64(u01_open32_f64(w3)) / p.a)
    return torch.ones(w3.shape, dtype=torch.float64, device=w3.device)


def gamma_first(p, w):
    g = gamma_mt_attempt(gamma_d(p.a), p.c, w[..., 0], w[..., 1], w[..., 2])
    return (g * gamma_boost(p, w[..., 3])) * p.b


def gamma_retry(p, w, k0, k1, rid):
    """Values of rejected first attempts (w: (m, 4) words, rid: (m,) retry stream ids): attempts
    t = 0, 1, ... from block t of each retry stream, all pending values at once."""
    d = gamma_d(p.a)
    g = torch.full(rid.shape, _NAN, dtype=torch.float64, device=rid.device)
    r2, r3 = rid & M32, (rid >> 32) & M32
    t = 0
    pending = torch.ones_like(g, dtype=torch.bool)
    while True:
        idx = pending.nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            break
        c0 = torch.full_like(idx, t & M32)
        c1 = torch.full_like(idx, t >> 32)
        y = philox4x32_10(c0, c1, r2[idx], r3[idx], k0, k1)
        gi = gamma_mt_attempt(d, p.c, y[0], y[1], y[2])
        g[idx] = gi
        pending[idx] = gi != gi
        t += 1
    return (g * gamma_boost(p, w[..., 3])) * p.b


def floor_i64(y):
    t = y.to(torch.int64)  # truncation toward zero (|y| <= 2**62)
    return t - (t.to(torch.float64) > y).to(torch.int64)


_LN_2PI_HALF = 0.91893853320467274178


def _scalar_log_f64(x: float) -> float:
    return float(log_f64(torch.tensor([x], dtype=torch.float64))[0])


def _log_factorial_small():
    """log(k!) for k < 10 as csrc/dists.h sums them: log_f64(2) + log_f64(3) + ... in order."""
    out, acc = [0.0, 0.0], 0.0
    for i in range(2, 10):
        acc = acc + _scalar_log_f64(float(i))
        out.append(acc)
    return out


_LOG_FACT_SMALL = []


def log_factorial(k):
    if not _LOG_FACT_SMALL:
        _LOG_FACT_SMALL.extend(_log_factorial_small())
    table = torch.tensor(_LOG_FACT_SMALL, dtype=torch.float64, device=k.device)
    x = k.to(torch.float64) + 1.0
    big = (((x - 0.5) * log_f64(x) - x) + _LN_2PI_HALF) + stirling_series(x)
    return torch.where(k < 10, table[k.clamp(0, 9)], big)


def poisson_inversion(lam: float, w0, w1):
    """The least k <= 255 with u <= s_k, s_k = p_0 + ... + p_k (csrc/dists.h's running sums; the
    same for every value, so computed once and searched)."""
    u = u01_open_f64(w0, w1)
    p = float(exp_f64(torch.tensor([-lam], dtype=torch.float64))[0])
    sums = [p]
    acc = p
    for k in range(1, 255):
        p = (p * lam) / float(k)
        acc = acc + p
        sums.append(acc)
    s = torch.tensor(sums, dtype=torch.float64, device=u.device)
    return torch.searchsorted(s, u.contiguous(), right=False).clamp(max=255)


_TWO62 = 4611686018427387904.0


def poisson_ptrs_attempt(lam: float, u0, u1, v0, v1):
    slam, loglam = math.sqrt(lam), _scalar_log_f64(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    U = u01_open_f64(u0, u1) - 0.5
    V = u01_open_f64(v0, v1)
    us = 0.5 - U.abs()
    y = (((2.0 * a) / us + b) * U + lam) + 0.43
    k = floor_i64(y.clamp(-_TWO62, _TWO62))
    quick = (us >= 0.07) & (V <= vr)
    out = (k < 0) | ((us < 0.013) & (V > us))
    lhs = (log_f64(V) + _scalar_log_f64(invalpha)) - log_f64(a / (us * us) + b)
    rhs = (k.to(torch.float64) * loglam - lam) - log_factorial(k.clamp(min=0))
    ok = quick | (~out & (lhs <= rhs))
    return torch.where(ok, k, torch.full_like(k, -1))


def poisson_first(p, w):
    if p.a < 10.0:
        return poisson_inversion(p.a, w[..., 0], w[..., 1])
    return poisson_ptrs_attempt(p.a, w[..., 0], w[..., 1], w[..., 2], w[..., 3])


def poisson_retry(p, w, k0, k1, rid):
    k = torch.full(rid.shape, -1, dtype=torch.int64, device=rid.device)
    r2, r3 = rid & M32, (rid >> 32) & M32
    t = 0
    while True:
        idx = (k < 0).nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            return k
        y = philox4x32_10(torch.full_like(idx, t & M32), torch.full_like(idx, t >> 32), r2[idx], r3[idx], k0, k1)
        k[idx] = poisson_ptrs_attempt(p.a, *y)
        t += 1


def log1p_f64(x: float) -> float:
    u = 1.0 + x
    d = u - 1.0
    return x if d == 0.0 else _scalar_log_f64(u) * (x / d)


def _log1p_t(x):
    """log1p_f64 on a tensor."""
    u = 1.0 + x
    d = u - 1.0
    return torch.where(d == 0.0, x, log_f64(u) * (x / torch.where(d == 0.0, torch.ones_like(d), d)))


def stirling_series(x):
    r = 1.0 / x
    r2 = r * r
    return r * (0.083333333333333333333 - r2 * (0.0027777777777777777778 - r2 * (
        0.00079365079365079365079 - r2 * 0.00059523809523809523810)))


def log_factorial_ratio(N, d):
    """log(N!) - log((N - d)!) on int64 tensors (csrc/dists.h)."""
    lo = torch.minimum(N, N - d)
    direct = log_factorial(N.clamp(min=0)) - log_factorial((N - d).clamp(min=0))
    x1 = N.to(torch.float64) + 1.0
    x2 = (N - d).to(torch.float64) + 1.0
    dd = d.to(torch.float64)
    L = _log1p_t(-(dd / x1))
    big = ((dd * log_f64(x1) - (x2 - 0.5) * L) - dd) + (stirling_series(x1) - stirling_series(x2))
    return torch.where(lo < 10, direct, big)


def binomial_q(p: float) -> float:
    return 1.0 - p if p > 0.5 else p


def binomial_inversion(n: int, q: float, w0, w1):
    u = u01_open_f64(w0, w1)
    r = q / (1.0 - q)
    p = float(exp_f64(torch.tensor([float(n) * log1p_f64(-q)], dtype=torch.float64))[0])
    cap = min(n, 255)
    sums, acc = [p], p
    for k in range(1, cap):
        p = ((p * r) * float(n - k + 1)) / float(k)
        acc = acc + p
        sums.append(acc)
    s = torch.tensor(sums, dtype=torch.float64, device=u.device)
    return torch.searchsorted(s, u.contiguous(), right=False).clamp(max=cap)


def binomial_btrs_attempt(n: int, q: float, u0, u1, v0, v1):
    nd = float(n)
    spq = math.sqrt((nd * q) * (1.0 - q))
    b = 1.15 + 2.53 * spq
    a = (-0.0873 + 0.0248 * b) + 0.01 * q
    c = nd * q + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = _scalar_log_f64(q / (1.0 - q))
    m = math.floor((nd + 1.0) * q)
    U = u01_open_f64(u0, u1) - 0.5
    V = u01_open_f64(v0, v1)
    us = 0.5 - U.abs()
    y = ((2.0 * a) / us + b) * U + c
    k = floor_i64(y.clamp(-_TWO62, _TWO62))
    bad = (k < 0) | (k > n)
    quick = (us >= 0.07) & (V <= vr)
    kc = k.clamp(0, n)
    lv = log_f64((V * alpha) / (a / (us * us) + b))
    big_n = torch.full_like(kc, n - m)
    rhs = (log_factorial_ratio(big_n, kc - m) - log_factorial_ratio(kc, kc - m)) + (k - m).to(torch.float64) * lpq
    ok = ~bad & (quick | (lv <= rhs))
    return torch.where(ok, k, torch.full_like(k, -1))


def binomial_flip(n: int, p: float, x):
    return torch.where(x < 0, x, n - x) if p > 0.5 else x


def binomial_first(args, w):
    n, p = int(args.ilow), args.a
    q = binomial_q(p)
    if float(n) * q < 10.0:
        x = binomial_inversion(n, q, w[..., 0], w[..., 1])
    else:
        x = binomial_btrs_attempt(n, q, w[..., 0], w[..., 1], w[..., 2], w[..., 3])
    return binomial_flip(n, p, x)


def binomial_retry(args, w, k0, k1, rid):
    n, p = int(args.ilow), args.a
    q = binomial_q(p)
    x = torch.full(rid.shape, -1, dtype=torch.int64, device=rid.device)
    r2, r3 = rid & M32, (rid >> 32) & M32
    t = 0
    while True:
        idx = (x < 0).nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            return binomial_flip(n, p, x)
        y = philox4x32_10(torch.full_like(idx, t & M32), torch.full_like(idx, t >> 32), r2[idx], r3[idx], k0, k1)
        x[idx] = binomial_btrs_attempt(n, q, *y)
        t += 1


# Ops whose value function may reject (csrc/ops.h's OpRetry): name -> retry(args, w, k0, k1, rid),
# the values of the rejected first attempts from their retry streams; _rejected marks them
# (op_rejected: NaN for float values, negative for integers).
RETRIES = {"gamma_f64": gamma_retry, "poisson_i64": poisson_retry, "binomial_i64": binomial_retry}


def _rejected(vals):
    return vals != vals if vals.is_floating_point() else vals < 0


VALUES["gamma_f64"] = lambda w, p: (gamma_first(p, w), "f")
VALUES["poisson_i64"] = lambda w, p: (poisson_first(p, w), "int")
VALUES["binomial_i64"] = lambda w, p: (binomial_first(p, w), "int")


# ---------------------------------------------------------------- FORMAT 20 (csrc/dists.h's section 20)
def bernoulli_b8(w, t: int):
    """True iff the uint32 word w (in int64) is below the threshold t in [0, 2**32]."""
    return w < t


_INT64_MAX = (1 << 63) - 1


def geometric_i64(p: float, first, second):
    if p == 1.0:
        return torch.ones_like(first)
    e = std_exponential_f64(first, second)
    x = e / torch.full_like(e, -log1p_f64(-p))  # log1p_f64 (scalar) runs the tensor log_f64: the same bits
    big = ~(x < 9223372036854775808.0)
    t = torch.where(big, torch.zeros_like(x), x).to(torch.int64)  # truncation toward zero
    c = t + (t.to(torch.float64) < x).to(torch.int64)
    return torch.where(big, torch.full_like(c, _INT64_MAX), c)


def standard_cauchy_f64(w0, w1, w2, w3):
    return normal_f64(w0, w1) / normal_f64(w2, w3)


def standard_cauchy_f32(w0, w1):
    return normal_f32(w0) / normal_f32(w1)


def lognormal_f64(mean: float, sigma: float, z):
    return exp_f64(mean + (sigma * z))


def _lognormal_f32_value(w, p):
    return lognormal_f64(p.a, p.b, normal_f32(w[..., 0]).to(torch.float64)).to(torch.float32)


def _standard_cauchy_f32_value(w, p):
    return standard_cauchy_f32(w[..., 0], w[..., 1])


VALUES.update({
    "lognormal_f32": lambda w, p: (_lognormal_f32_value(w, p), "f"),
    "lognormal_f64": lambda w, p: (lognormal_f64(p.a, p.b, normal_f64(w[..., 0], w[..., 1])), "f"),
    "lognormal_f16": lambda w, p: (f32_to_f16_bits(_lognormal_f32_value(w, p)), "bits16"),
    "lognormal_bf16": lambda w, p: (f32_to_bf16_bits(_lognormal_f32_value(w, p)), "bits16"),
    "standard_cauchy_f32": lambda w, p: (_standard_cauchy_f32_value(w, p), "f"),
    "standard_cauchy_f64": lambda w, p: (standard_cauchy_f64(w[..., 0], w[..., 1], w[..., 2], w[..., 3]), "f"),
    "standard_cauchy_f16": lambda w, p: (f32_to_f16_bits(_standard_cauchy_f32_value(w, p)), "bits16"),
    "standard_cauchy_bf16": lambda w, p: (f32_to_bf16_bits(_standard_cauchy_f32_value(w, p)), "bits16"),
    "geometric_i64": lambda w, p: (geometric_i64(p.a, w[..., 0], w[..., 1]), "int"),
    "bernoulli_b8": lambda w, p: (bernoulli_b8(w[..., 0], p.ilow), "f"),  # a bool tensor, copied as is
})
# ---------------------------------------------------------------- FORMAT 21: float32 gamma, beta, standard_t
def gamma_mt_retry(d: float, c: float, k0, k1, rid, b0: int, step: int):
    """The Marsaglia-Tsang values (before any boost) from the retry streams rid (m,): attempt t reads
    block b0 + t * step, all pending values at once."""
    g = torch.full(rid.shape, _NAN, dtype=torch.float64, device=rid.device)
    r2, r3 = rid & M32, (rid >> 32) & M32
    pending = torch.ones_like(g, dtype=torch.bool)
    t = b0
    while True:
        idx = pending.nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            break
        y = philox4x32_10(torch.full_like(idx, t & M32), torch.full_like(idx, t >> 32), r2[idx], r3[idx], k0, k1)
        gi = gamma_mt_attempt(d, c, y[0], y[1], y[2])
        g[idx] = gi
        pending[idx] = gi != gi
        t += step
    return g


def beta_combine(p, gx, gy, w3, w7):
    """beta from the two Marsaglia-Tsang values (dists.h beta_combine); NaN where either is."""
    if not p.affine:
        return gx / (gx + gy)
    rejected = (gx != gx) | (gy != gy)
    lx = log_f64(torch.where(rejected, 1.0, gx))
    ly = log_f64(torch.where(rejected, 1.0, gy))
    if p.a < 1.0:
        lx = lx + log_f64(u01_open32_f64(w3)) / p.a
    if p.b < 1.0:
        ly = ly + log_f64(u01_open32_f64(w7)) / p.b
    den = 1.0 + exp_f64(ly.clamp(min=-1e308) - lx.clamp(min=-1e308))
    v = torch.ones_like(den) / den
    return torch.where(rejected, _NAN, v)


def _bits_to_f64(bits: int) -> float:
    """The float64 whose bits are ``bits`` (beta's c of b travels in ilow)."""
    return float(np.array(bits & ((1 << 64) - 1), dtype=np.uint64).view(np.float64))


def beta_first(p, w):
    cb = _bits_to_f64(p.ilow)
    gx = gamma_mt_attempt(gamma_d(p.a), p.c, w[..., 0], w[..., 1], w[..., 2])
    gy = gamma_mt_attempt(gamma_d(p.b), cb, w[..., 4], w[..., 5], w[..., 6])
    return beta_combine(p, gx, gy, w[..., 3], w[..., 7])


def beta_retry(p, w, k0, k1, rid):
    """X's attempts from the even blocks of the retry stream, Y's from the odd ones (FORMAT 21.2)."""
    cb = _bits_to_f64(p.ilow)
    gx = gamma_mt_attempt(gamma_d(p.a), p.c, w[..., 0], w[..., 1], w[..., 2])
    gy = gamma_mt_attempt(gamma_d(p.b), cb, w[..., 4], w[..., 5], w[..., 6])
    bx, by = gx != gx, gy != gy
    if bool(bx.any()):
        gx = gx.clone()
        gx[bx] = gamma_mt_retry(gamma_d(p.a), p.c, k0, k1, rid[bx], 0, 2)
    if bool(by.any()):
        gy = gy.clone()
        gy[by] = gamma_mt_retry(gamma_d(p.b), cb, k0, k1, rid[by], 1, 2)
    return beta_combine(p, gx, gy, w[..., 3], w[..., 7])


_F64_MAX = 1.7976931348623157e308


def student_t_combine(p, g, w3, z0, z1):
    """Z * sqrt(h / g), with the boost U^(1/h) in logs for h < 1 (dists.h student_t_combine)."""
    # (a tensor quotient: a Python float over a tensor is reciprocal-then-multiply in torch, two roundings)
    s = normal_f64(z0, z1) * sqrt_f64(torch.full_like(g, p.a) / g)
    if not p.affine:
        return s
    e = -0.5 * (log_f64(u01_open32_f64(w3)) / p.a)
    big_e = exp_f64(0.5 * e.clamp(max=1418.0))
    return ((s * big_e) * big_e).clamp(-_F64_MAX, _F64_MAX)


def student_t_first(p, w):
    g = gamma_mt_attempt(gamma_d(p.a), p.c, w[..., 0], w[..., 1], w[..., 2])
    v = student_t_combine(p, torch.where(g != g, 1.0, g), w[..., 3], w[..., 4], w[..., 5])
    return torch.where(g != g, g, v)


def student_t_retry(p, w, k0, k1, rid):
    g = gamma_mt_retry(gamma_d(p.a), p.c, k0, k1, rid, 0, 1)
    return student_t_combine(p, g, w[..., 3], w[..., 4], w[..., 5])


VALUES["gamma_f32"] = lambda w, p: (gamma_first(p, w), "f")  # stored rounded to float32
VALUES["beta_f64"] = lambda w, p: (beta_first(p, w), "f")
VALUES["standard_t_f64"] = lambda w, p: (student_t_first(p, w), "f")
RETRIES["gamma_f32"] = gamma_retry
RETRIES["beta_f64"] = beta_retry
RETRIES["standard_t_f64"] = student_t_retry


def _finish_rejected(name, vals, w, args, k0, k1, ids, position: int, i0: int, k: int):
    """Replace the rejected first attempts (_rejected) of vals (R, nv) by their retried values: value
    i0 + j of row r has its first word at position + (i0 + j) * k, its retry stream is
    fold(ids[r], that position div 4, 2) (FORMAT 19.1)."""
    bad = _rejected(vals)
    if not bool(bad.any()):
        return vals
    rr, jj = bad.nonzero(as_tuple=True)
    return _retry_at(name, vals, (rr, jj), w[rr, jj], args, k0, k1, ids[rr], position, i0 + jj, k)


def _retry_at(name, vals, where, w, args, k0, k1, ids, position: int, v, k: int):
    """vals with vals[where] (rejected first attempts) replaced by their retried values: value
    index v (a tensor, one per rejected value) of stream ids of a draw from word ``position``
    has its first word at position + v * k; its retry stream is fold(id, that position div 4, 2)."""
    base = (position >> 2) % (1 << 64)
    base = base - (1 << 64) if base >= 1 << 63 else base
    off = ((position & 3) + v * k) >> 2  # int64 adds wrap: the position div 4 mod 2**64
    rid = fold(ids, off + base, 2)
    vals = vals.clone()
    vals[where] = RETRIES[name](args, w, k0, k1, rid)
    return vals


class _Args:
    """A draw's parameters, as csrc/ops.h's OpArgs."""
    __slots__ = ("elem_size", "affine", "a", "b", "c", "ilow", "range_m1")

    def __init__(self, elem_size, affine, a, b, c, ilow, range_m1):
        self.elem_size, self.affine, self.a, self.b, self.c = elem_size, affine, a, b, c
        self.ilow, self.range_m1 = ilow, range_m1


def _store(dst, vals, kind, elem_size):
    """Write values into dst (a tensor of the output dtype, same shape)."""
    if kind == "f":
        dst.copy_(vals)
        return
    if kind == "bits16":
        dst.view(torch.int16).copy_((vals - ((vals >> 15) & 1) * 65536).to(torch.int16))
        return
    elem_size = dst.element_size()
    if elem_size == 8:
        dst.view(torch.int64).copy_(vals)
        return
    bits = 8 * elem_size
    half = 1 << (bits - 1)
    mask = (1 << bits) - 1
    narrow = (((vals & mask) + half) & mask) - half  # two's complement of the low bits
    dst.view({1: torch.int8, 2: torch.int16, 4: torch.int32}[elem_size]).copy_(narrow.to(
        {1: torch.int8, 2: torch.int16, 4: torch.int32}[elem_size]))


def stream_counter(b0: int, nb: int, ids):
    """Counters of blocks b0 .. b0 + nb - 1 of the streams ``ids`` (an int64 tensor (R,), two's
    complement), as philox.h's stream_counter: (b mod 2**32, b >> 32, id mod 2**32, id >> 32),
    four int64 tensors (R, nb) of uint32 values."""
    t = torch.arange(nb, dtype=torch.int64, device=ids.device) + (b0 & M32)
    rows = ids.shape[0]
    x0 = (t & M32).unsqueeze(0).expand(rows, nb)
    x1 = (((b0 >> 32) + (t >> 32)) & M32).unsqueeze(0).expand(rows, nb)
    x2 = (ids & M32).unsqueeze(1).expand(rows, nb)
    x3 = ((ids >> 32) & M32).unsqueeze(1).expand(rows, nb)
    return x0, x1, x2, x3


def _words(k0, k1, ids, position: int, count: int):
    """Words position .. position + count - 1 of the streams ``ids`` (int64 tensor (R,)): an int64
    tensor (R, count). Word w is lane w mod 4 of block w div 4."""
    b0, lane = position >> 2, position & 3
    nb = (lane + count + 3) // 4
    y = philox4x32_10(*stream_counter(b0, nb, ids), k0, k1)
    return torch.stack(y, dim=-1).reshape(ids.shape[0], 4 * nb)[:, lane:lane + count]


@torch.compiler.disable
def fill(out, op: int, k0: int, k1: int, id, position: int, elem_size: int = 0, affine: bool = False,
         a: float = 0.0, b: float = 0.0, c: float = 0.0, ilow: int = 0, range_m1: int = 0) -> None:
    """Fill the contiguous tensor ``out`` with a draw from word ``position``.

    ``id`` is an int (one stream: all of ``out``) or an int64 tensor of R stream ids
    (two's complement) on out's device: row r (``out.view(R, -1)[r]``) is stream id[r].
    Same arguments as the C++ backend (csrc/cpu/kernels.h ``Job``).
    """
    k = _OP_WORDS[op]
    name = _OP_NAME[op]
    value = VALUES[name]
    args = _Args(elem_size, affine, a, b, c, ilow, range_m1)
    dev = out.device
    if isinstance(id, int):  # torch.full, not torch.tensor: no host-to-device copy
        ids = torch.full((1,), id - (1 << 64) if id >= 1 << 63 else id, dtype=torch.int64, device=dev)
    else:
        ids = id.to(device=dev, dtype=torch.int64).reshape(-1)
    rows = ids.shape[0]
    n = out.numel() // rows if rows else 0
    if n == 0:
        return
    dst = out.view(rows, n)
    # chunks of at most _CHUNK_WORDS words: blocks of rows (many short rows, e.g. a big batch,
    # would otherwise make one chunk of rows * k words), each in runs of values
    row_block = max(1, _CHUNK_WORDS // k)
    for r0 in range(0, rows, row_block):
        r1 = min(rows, r0 + row_block)
        per = max(1, _CHUNK_WORDS // (k * (r1 - r0)))
        for i0 in range(0, n, per):
            nv = min(per, n - i0)
            w = _words(k0, k1, ids[r0:r1], position + i0 * k, nv * k).reshape(r1 - r0, nv, k)
            vals, kind = value(w, args)
            if name in RETRIES:
                vals = _finish_rejected(name, vals, w, args, k0, k1, ids[r0:r1], position, i0, k)
            _store(dst[r0:r1, i0:i0 + nv], vals, kind, elem_size)


def _words_of_values(k0, k1, id: int, position: int, v, k: int):
    """The k words of each value index in ``v`` (an int64 tensor (m,)) of a draw from word
    ``position``: an int64 tensor (m, k). Value v starts at word position + v*k, which may
    straddle two blocks when k > 1."""
    b0, lane = position >> 2, position & 3
    rel = v * k + lane
    fb, off = rel >> 2, rel & 3
    idw = id - (1 << 64) if id >= 1 << 63 else id
    ids = torch.full((1,), idw, dtype=torch.int64, device=v.device)
    blocks = []
    for extra in range((k + 2) // 4 + 1 if k > 1 else 1):  # from lane <= 3, k words reach (k + 2) // 4 blocks on
        t = fb + ((b0 & M32) + extra)  # as stream_counter: low word counts up, carries into the high word
        x0 = t & M32
        x1 = ((b0 >> 32) + (t >> 32)) & M32
        x2 = (ids & M32).expand_as(x0)
        x3 = ((ids >> 32) & M32).expand_as(x0)
        blocks.append(torch.stack(philox4x32_10(x0, x1, x2, x3, k0, k1), dim=-1))
    w = torch.cat(blocks, dim=-1)  # (m, 4 * blocks)
    return torch.gather(w, 1, off.unsqueeze(1) + torch.arange(k, device=v.device))


@torch.compiler.disable
def fill_region(out, op: int, k0: int, k1: int, id: int, position: int, plan, elem_size: int = 0,
                affine: bool = False, a: float = 0.0, b: float = 0.0, c: float = 0.0, ilow: int = 0,
                range_m1: int = 0) -> None:
    """Fill the contiguous tensor ``out`` with the region ``plan`` (``_region.Plan``) of a draw of
    ``plan.n_full`` values from word ``position``: element e is value
    base + sum(idx_d(e // run_len) * strides[d]) + e % run_len (csrc/region.h), in chunks."""
    k = _OP_WORDS[op]
    name = _OP_NAME[op]
    value = VALUES[name]
    args = _Args(elem_size, affine, a, b, c, ilow, range_m1)
    dev = out.device
    dst = out.view(-1)
    n = dst.numel()
    per = max(1, _CHUNK_WORDS // (2 * k))
    for e0 in range(0, n, per):
        e = torch.arange(e0, min(n, e0 + per), dtype=torch.int64, device=dev)
        r = e // plan.run_len
        v = e - r * plan.run_len + plan.base
        for cnt, st in zip(reversed(plan.counts), reversed(plan.strides)):
            v = v + (r % cnt) * st
            r = r // cnt
        w = _words_of_values(k0, k1, id, position, v, k)
        vals, kind = value(w, args)
        if name in RETRIES:
            bad = _rejected(vals)
            if bool(bad.any()):
                (jj,) = bad.nonzero(as_tuple=True)
                idw = torch.full_like(jj, id - (1 << 64) if id >= 1 << 63 else id)
                vals = _retry_at(name, vals, jj, w[jj], args, k0, k1, idw, position, v[jj], k)
        _store(dst[e0:e0 + e.numel()], vals, kind, elem_size)


@torch.compiler.disable
def fold_ids(index, parent: int):
    """Stream ids (int64 two's complement) of (parent path, index[i]) for an int64 tensor, on its device."""
    p = torch.full((), parent - (1 << 64) if parent >= 1 << 63 else parent, dtype=torch.int64, device=index.device)
    v = index.to(torch.int64)
    if v.numel() <= _CHUNK_WORDS:
        return fold(p, v, 0)
    out = torch.empty(v.shape, dtype=torch.int64, device=v.device)  # in chunks: bounded temporaries
    flat_in, flat_out = v.reshape(-1), out.view(-1)
    for i0 in range(0, flat_in.numel(), _CHUNK_WORDS):
        flat_out[i0:i0 + _CHUNK_WORDS] = fold(p, flat_in[i0:i0 + _CHUNK_WORDS], 0)
    return out


# ---------------------------------------------------------------- array parameters (docs/FORMAT.md 23)
def _words_at(k0, k1, ids, position: int, v, k: int):
    """The k words of value index v (int64 tensor (m,)) of stream ids (int64 tensor (m,), one per
    value) of a draw from word ``position``: an int64 tensor (m, k) (as _words_of_values)."""
    b0, lane = position >> 2, position & 3
    rel = v * k + lane
    fb, off = rel >> 2, rel & 3
    blocks = []
    for extra in range((k + 6) // 4):  # words off .. off + k - 1 with off <= 3: ceil((k + 3) / 4) blocks
        t = fb + ((b0 & M32) + extra)
        x0 = t & M32
        x1 = ((b0 >> 32) + (t >> 32)) & M32
        blocks.append(torch.stack(philox4x32_10(x0, x1, ids & M32, (ids >> 32) & M32, k0, k1), dim=-1))
    w = torch.cat(blocks, dim=-1)
    return torch.gather(w, 1, off.unsqueeze(1) + torch.arange(k, device=v.device))


def _param_values(name, w, base: _Args, cols, e, k0, k1, ids, position: int, v, k: int):
    """Values of op ``name`` for words w (m, k) whose OpArgs come from the columns ``cols`` (field ->
    (flat tensor, stride)) at output elements e (m,): one pass of the op's own value function per
    distinct parameter block (so each value is the scalar draw's), retries from each value's retry
    stream (stream ids (m,), value indices v (m,))."""
    value = VALUES[name]
    per = {f: (t[e] if s else t.expand(e.shape[0])) for f, (t, s) in cols.items()}
    keys = torch.stack([(p.view(torch.int64) if p.dtype == torch.float64 else p.to(torch.int64))
                        for p in per.values()], dim=1)
    uniq, inv = torch.unique(keys, dim=0, return_inverse=True)
    out, kind = None, None
    for g in range(uniq.shape[0]):
        sel = (inv == g).nonzero(as_tuple=True)[0]
        j = sel[:1]
        f = {name_: p[j] for name_, p in per.items()}
        args = _Args(base.elem_size, bool(f["affine"].item()) if "affine" in f else base.affine,
                     float(f["a"].item()) if "a" in f else base.a, float(f["b"].item()) if "b" in f else base.b,
                     float(f["c"].item()) if "c" in f else base.c,
                     int(f["ilow"].item()) % (1 << 64) if "ilow" in f else base.ilow, base.range_m1)
        wg = w[sel]
        vals, kind = value(wg, args)
        if name in RETRIES:
            bad = _rejected(vals)
            if bool(bad.any()):
                (jj,) = bad.nonzero(as_tuple=True)
                vals = _retry_at(name, vals, jj, wg[jj], args, k0, k1, ids[sel][jj], position, v[sel][jj], k)
        if out is None:
            out = torch.empty(w.shape[0], dtype=vals.dtype, device=w.device)
        out[sel] = vals
    return out, kind


@torch.compiler.disable
def fill_params(out, op: int, k0: int, k1: int, id, position: int, elem_size: int, affine: bool, cols,
                plan=None) -> None:
    """``fill`` (``plan``: ``fill_region``) with array parameters: ``cols`` maps OpArgs fields to (flat
    tensor on out's device, stride 0 or 1); output element e takes element e * stride."""
    k = _OP_WORDS[op]
    name = _OP_NAME[op]
    base = _Args(elem_size, affine, 0.0, 0.0, 0.0, 0, 0)
    dev = out.device
    dst = out.view(-1)
    total = dst.numel()
    if total == 0:
        return
    if plan is None:
        if isinstance(id, int):
            ids_all = torch.full((1,), id - (1 << 64) if id >= 1 << 63 else id, dtype=torch.int64, device=dev)
        else:
            ids_all = id.to(device=dev, dtype=torch.int64).reshape(-1)
        n = total // ids_all.shape[0]
    per = max(1, _CHUNK_WORDS // (2 * k))
    for e0 in range(0, total, per):
        e = torch.arange(e0, min(total, e0 + per), dtype=torch.int64, device=dev)
        if plan is None:
            r = e // n
            v = e - r * n
            ids = ids_all[r]
        else:  # the block's element e is value v of the full draw (csrc/region.h), as fill_region
            r = e // plan.run_len
            v = e - r * plan.run_len + plan.base
            for cnt, st in zip(reversed(plan.counts), reversed(plan.strides)):
                v = v + (r % cnt) * st
                r = r // cnt
            ids = torch.full_like(e, id - (1 << 64) if id >= 1 << 63 else id)
        w = _words_at(k0, k1, ids, position, v, k)
        vals, kind = _param_values(name, w, base, cols, e, k0, k1, ids, position, v, k)
        _store(dst[e0:e0 + e.numel()], vals, kind, elem_size)
# ---------------------------------------------------------------- truncated normal (csrc/dists.h, FORMAT 22.1)
def ndtri_f64(p):
    q = p - 0.5
    r = torch.where(p < 0.5, p, 1.0 - p)
    tiny = r < 2.2250738585072014e-308
    tail = torch.where(tiny, -40.0, normal_f64_tail_piece(torch.where(tiny, 0.5, r)))
    centre = (q >= -0.425) & (q <= 0.425)
    return torch.where(centre, normal_f64_centre_piece(q), torch.where(p < 0.5, tail, -tail))


def trunc_normal_f64(p, u):
    sstd = float(np.uint64(p.ilow).view(np.float64))
    return p.c + sstd * ndtri_f64(p.a + p.b * u)


VALUES["trunc_normal_f64"] = lambda w, p: (trunc_normal_f64(p, u01_f64(w[..., 0], w[..., 1])), "f")
VALUES["trunc_normal_f32"] = lambda w, p: (
    trunc_normal_f64(p, w[..., 0].to(torch.float64) * 2.3283064365386962890625e-10).to(torch.float32), "f")
