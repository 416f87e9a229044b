// philox.h -- the single source of truth for stream format v1.
//
// Everything that decides a bit of output lives here, once: the Philox4x32-10
// block function, the counter layout of a stream, the stream-id fold, and every
// conversion from raw 32-bit words to values (docs/FORMAT.md: part A, "SPEC n",
// and part B). Which conversion each op uses, and its words per value, is the op
// table of csrc/ops.h. The CPU kernels (csrc/cpu/) and the CUDA kernels
// (csrc/cuda/) only loop over elements and call these functions; the
// pure-torch fallback (src/philox/_torch_fallback.py) mirrors them line by line and
// tests hold all of them equal.
//
// The contract, in types (cf. numpy's bitgen.h, JAX's PRNGImpl):
//
//   key     = (k0, k1)            2 x uint32, from the 64-bit seed S: (S mod 2^32, S >> 32)
//   counter = (c0, c1, c2, c3)    4 x uint32: (block mod 2^32, block >> 32, id mod 2^32, id >> 32)
//   philox4x32_10(counter, key) -> 4 x uint32     the block function
//   fold(parent_id, value, kind) -> uint64        stream id of a child path
//   word w of stream (S, id)    = lane w mod 4 of philox4x32_10((w div 4, id), key(S))
//                                 (stream_counter / stream_block below: every backend calls them)
//
// Floating point: every function below uses only +, -, *, / and sqrt, all
// correctly rounded in IEEE-754, in a fixed order. Built without FMA
// contraction (-ffp-contract=off on the host, --fmad=false in nvcc) and without
// fast-math, the host and device give the same bits. No libm call is made:
// libm's last bit differs between platforms.
#pragma once

#include <stdint.h>
#include <string.h>
#include <math.h>  // sqrt/sqrtf only: correctly rounded on every IEEE platform

#if defined(__CUDACC__)
#define PHILOX_HD __host__ __device__ __forceinline__
#elif defined(_MSC_VER)
#define PHILOX_HD __forceinline
#else
#define PHILOX_HD inline __attribute__((always_inline))
#endif

namespace philox {

// ---------------------------------------------------------------- block function
constexpr uint32_t PHILOX_M0 = 0xD2511F53u;  // multiplier applied to x0
constexpr uint32_t PHILOX_M1 = 0xCD9E8D57u;  // multiplier applied to x2
constexpr uint32_t PHILOX_W0 = 0x9E3779B9u;  // golden ratio, bumps k0
constexpr uint32_t PHILOX_W1 = 0xBB67AE85u;  // sqrt(3) - 1, bumps k1
constexpr int PHILOX_ROUNDS = 10;

PHILOX_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = (uint64_t)a * (uint64_t)b;
  hi = (uint32_t)(p >> 32);
  lo = (uint32_t)p;
}

// One Philox S-box round: x = (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0).
PHILOX_HD void philox4x32_round(uint32_t& x0, uint32_t& x1, uint32_t& x2, uint32_t& x3,
                                uint32_t k0, uint32_t k1) {
  uint32_t hi0, lo0, hi1, lo1;
  mulhilo32(PHILOX_M0, x0, hi0, lo0);
  mulhilo32(PHILOX_M1, x2, hi1, lo1);
  x0 = hi1 ^ x1 ^ k0;
  x1 = lo1;
  x2 = hi0 ^ x3 ^ k1;
  x3 = lo0;
}

// Philox4x32-10 on counter (x0..x3), key (k0, k1); the result replaces the counter.
PHILOX_HD void philox4x32_10(uint32_t& x0, uint32_t& x1, uint32_t& x2, uint32_t& x3,
                             uint32_t k0, uint32_t k1) {
#if defined(__CUDACC__)
#pragma unroll
#endif
  for (int r = 0; r < PHILOX_ROUNDS; ++r) {
    if (r) {  // the key is bumped between two rounds, never before the first
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    philox4x32_round(x0, x1, x2, x3, k0, k1);
  }
}

// ---------------------------------------------------------------- word -> counter (FORMAT 2)
// Word w of stream (S, id) is lane w mod 4 of block b = w div 4, and block b's counter is
// (b mod 2^32, b >> 32, id mod 2^32, id >> 32). Every backend maps words to counters
// through these two functions (the CPU's SIMD path takes c1, c2, c3 from stream_counter
// of its first block and counts c0 up within a run that does not wrap).
PHILOX_HD void stream_counter(uint64_t block, uint64_t id, uint32_t& c0, uint32_t& c1, uint32_t& c2,
                              uint32_t& c3) {
  c0 = (uint32_t)block;
  c1 = (uint32_t)(block >> 32);
  c2 = (uint32_t)id;
  c3 = (uint32_t)(id >> 32);
}

// The four words of block `block` of stream id under key (k0, k1): words 4*block .. 4*block + 3.
PHILOX_HD void stream_block(uint32_t* w, uint64_t block, uint64_t id, uint32_t k0, uint32_t k1) {
  uint32_t x0, x1, x2, x3;
  stream_counter(block, id, x0, x1, x2, x3);
  philox4x32_10(x0, x1, x2, x3, k0, k1);
  w[0] = x0; w[1] = x1; w[2] = x2; w[3] = x3;
}

// The 64-bit value first + 2^32 second of two consecutive words.
PHILOX_HD uint64_t u64_of(uint32_t first, uint32_t second) { return (uint64_t)first | ((uint64_t)second << 32); }

// ---------------------------------------------------------------- stream ids (SPEC 3)
constexpr uint32_t PHILOX_FOLD_K0 = 0x243F6A88u;  // pi digits; + kind (0 int, 1 str)
constexpr uint32_t PHILOX_FOLD_K1 = 0x85A308D3u;

// Id of the path `parent` + one component with 64-bit value v of kind t.
PHILOX_HD uint64_t fold(uint64_t parent, uint64_t v, uint32_t t) {
  uint32_t x0 = (uint32_t)v, x1 = (uint32_t)(v >> 32);
  uint32_t x2 = (uint32_t)parent, x3 = (uint32_t)(parent >> 32);
  philox4x32_10(x0, x1, x2, x3, PHILOX_FOLD_K0 + t, PHILOX_FOLD_K1);
  return (uint64_t)x0 | ((uint64_t)x1 << 32);
}

// ---------------------------------------------------------------- bit casts
PHILOX_HD uint32_t f32_bits(float f) {
#if defined(__CUDA_ARCH__)
  return (uint32_t)__float_as_uint(f);
#else
  uint32_t u; memcpy(&u, &f, 4); return u;
#endif
}
PHILOX_HD float bits_f32(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f; memcpy(&f, &u, 4); return f;
#endif
}
PHILOX_HD uint64_t f64_bits(double d) {
#if defined(__CUDA_ARCH__)
  return (uint64_t)__double_as_longlong(d);
#else
  uint64_t u; memcpy(&u, &d, 8); return u;
#endif
}
PHILOX_HD double bits_f64(uint64_t u) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double((long long)u);
#else
  double d; memcpy(&d, &u, 8); return d;
#endif
}

// float32 -> float16 / bfloat16 bits, round to nearest even (as torch's .to() does).
// NaN is never an input here; infinities and overflow saturate to inf.
PHILOX_HD uint16_t f32_to_f16_bits(float f) {
  const uint32_t x = f32_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);  // rounds to >= 65520: inf
  if (ax < 0x38800000u) {                                       // below 2^-14: subnormal half
    // value = ax as float; half subnormal unit is 2^-24: q = round(value * 2^24)
    const float v = bits_f32(ax) * 16777216.0f;  // exact (power-of-two scale, no overflow)
    // round-to-nearest-even of a float in [0, 1024) to an integer, without libm:
    // adding 2^23 pushes the fraction out of the mantissa with the FPU's RNE.
    const float r = (v + 8388608.0f) - 8388608.0f;
    return (uint16_t)(sign | (uint32_t)r);
  }
  // normal half: rebias exponent (127 -> 15) and round 13 dropped mantissa bits to nearest even
  const uint32_t lsb = (ax >> 13) & 1u;
  const uint32_t rounded = ax + 0xFFFu + lsb;
  return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

// float16 / bfloat16 bits -> float32 (exact; finite inputs).
PHILOX_HD float f16_bits_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  const uint32_t mag = h & 0x7FFFu;
  // subnormal halves are integer multiples of 2^-24; normal ones rebias the exponent
  const float sub = (float)(int32_t)mag * 5.9604644775390625e-08f;
  const uint32_t norm = (mag << 13) + 0x38000000u;
  const uint32_t bits = mag < 0x0400u ? f32_bits(sub) : norm;
  return bits_f32(bits | sign);
}
PHILOX_HD float bf16_bits_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

PHILOX_HD uint16_t f32_to_bf16_bits(float f) {
  const uint32_t x = f32_bits(f);
  const uint32_t lsb = (x >> 16) & 1u;
  return (uint16_t)((x + 0x7FFFu + lsb) >> 16);
}

// As above for any value, infinities and NaN included (a product of an input): float16 bits
// with exponent 31 map to float32's infinities and NaNs (payload shifted), and a float32 NaN
// becomes the quiet NaN of its sign (float16 sign | 0x7E00, bfloat16 sign | 0x7FC0); selects,
// no branches (the loops vectorize).
PHILOX_HD float f16_bits_to_f32_any(uint16_t h) {
  const uint32_t mag = h & 0x7FFFu;
  const uint32_t special = ((uint32_t)(h & 0x8000u) << 16) | 0x7F800000u | ((mag & 0x3FFu) << 13);
  return mag >= 0x7C00u ? bits_f32(special) : f16_bits_to_f32(h);
}
PHILOX_HD uint16_t f32_to_f16_bits_any(float f) {
  const uint32_t x = f32_bits(f);
  const uint16_t nan = (uint16_t)(((x >> 16) & 0x8000u) | 0x7E00u);
  return (x & 0x7FFFFFFFu) > 0x7F800000u ? nan : f32_to_f16_bits(f);
}
PHILOX_HD uint16_t f32_to_bf16_bits_any(float f) {
  const uint32_t x = f32_bits(f);
  const uint16_t nan = (uint16_t)(((x >> 16) & 0x8000u) | 0x7FC0u);
  return (x & 0x7FFFFFFFu) > 0x7F800000u ? nan : f32_to_bf16_bits(f);
}

// ---------------------------------------------------------------- uniforms (SPEC 5)
constexpr float PHILOX_2M24F = 5.9604644775390625e-08f;          // 2^-24
constexpr double PHILOX_2M53 = 1.1102230246251565404236316680908203125e-16;  // 2^-53

// float32 in [0, 1): (w >> 8) * 2^-24, one word.
PHILOX_HD float u01_f32(uint32_t w) { return (float)(int32_t)(w >> 8) * PHILOX_2M24F; }

// float64 in [0, 1): (u64 >> 11) * 2^-53, u64 = first + 2^32 second, two words.
// u53 = u64 >> 11 is split into its top 22 and low 31 bits so both halves
// convert from *signed* 32-bit ints (one SIMD instruction; unsigned and 64-bit
// conversions are not in AVX2): u53 = hi * 2^31 + lo, each term and the sum exact.
PHILOX_HD double u01_f64(uint32_t first, uint32_t second) {
  const int32_t hi = (int32_t)(second >> 10);                                // u64 >> 42
  const int32_t lo = (int32_t)(((second << 21) | (first >> 11)) & 0x7FFFFFFFu);  // (u64 >> 11) mod 2^31
  return ((double)hi * 2147483648.0 + (double)lo) * PHILOX_2M53;
}

// float16 in [0, 1): (w >> 21) * 2^-11, returned as IEEE half bits. Exact: k = w >> 21
// is 0 or k * 2^-11 >= 2^-11 is a normal half, whose bits are the float32's with
// the exponent rebiased (127 -> 15) and 13 zero mantissa bits dropped.
PHILOX_HD uint16_t u01_f16_bits(uint32_t w) {
  const uint32_t k = w >> 21;
  const uint32_t fb = f32_bits((float)(int32_t)k * 4.8828125e-04f);
  return (uint16_t)(k ? (fb - 0x38000000u) >> 13 : 0u);
}

// bfloat16 in [0, 1): (w >> 24) * 2^-8, returned as bfloat16 bits. Exact.
PHILOX_HD uint16_t u01_bf16_bits(uint32_t w) {
  return (uint16_t)(f32_bits((float)(int32_t)(w >> 24) * 3.90625e-03f) >> 16);
}

// ---------------------------------------------------------------- uniform(low, high) (docs/FORMAT.md)
// low + (high - low) * u, u the [0, 1) value of the output dtype above, computed in
// float64 for float64 and in float32 otherwise (then rounded to nearest even for
// the 16-bit types). A result that rounds up to high is replaced by `below`, the
// largest value of the output dtype under high, so the interval stays half-open.
// With low = 0, high = 1 every result equals the plain [0, 1) value.
PHILOX_HD float uniform_f32(uint32_t w, float low, float high, float below) {
  const float x = low + (high - low) * u01_f32(w);
  return x < high ? x : below;
}
PHILOX_HD double uniform_f64(uint32_t first, uint32_t second, double low, double high, double below) {
  const double x = low + (high - low) * u01_f64(first, second);
  return x < high ? x : below;
}
PHILOX_HD uint16_t uniform_f16_bits(uint32_t w, float low, float high, uint16_t below) {
  const uint16_t h = f32_to_f16_bits(low + (high - low) * f16_bits_to_f32(u01_f16_bits(w)));
  return f16_bits_to_f32(h) < high ? h : below;
}
PHILOX_HD uint16_t uniform_bf16_bits(uint32_t w, float low, float high, uint16_t below) {
  const uint16_t h = f32_to_bf16_bits(low + (high - low) * bf16_bits_to_f32(u01_bf16_bits(w)));
  return bf16_bits_to_f32(h) < high ? h : below;
}

// ---------------------------------------------------------------- bounded integers (SPEC 5)
// Offset in [0, r) for 1 <= r <= 2^32, two words: (u64 * r) >> 64, u64 = first + 2^32 second.
// r is passed as r - 1 (so r = 2^32 fits, and gives `second`: the one place that range is
// handled). With 32x32->64 products only, which vectorize:
//   u64 * r = A + 2^32 B,  A = first * (r-1) + first < 2^64,  B = second * (r-1) + second < 2^64,
//   (u64 * r) >> 64 = (B + (A >> 32)) >> 32, and that inner sum is < 2^64 too.
PHILOX_HD uint64_t bounded_small(uint32_t first, uint32_t second, uint32_t r_minus_1) {
  const uint64_t a = (uint64_t)first * r_minus_1 + first;
  const uint64_t b = (uint64_t)second * r_minus_1 + second;
  return (b + (a >> 32)) >> 32;
}

// Offset in [0, r) for 2^32 < r <= 2^64, four words: (u128 * r) >> 128, with
// u128 = w0 + 2^32 w1 + 2^64 w2 + 2^96 w3. r is passed as r - 1 (so 2^64 fits).
PHILOX_HD uint64_t bounded_large(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
                                 uint64_t r_minus_1) {
  const uint64_t a = (uint64_t)w0 | ((uint64_t)w1 << 32);  // low 64 bits of u128
  const uint64_t b = (uint64_t)w2 | ((uint64_t)w3 << 32);  // high 64 bits of u128
  if (r_minus_1 == ~(uint64_t)0) return b;                  // r = 2^64: u128 >> 64
  const uint64_t r = r_minus_1 + 1;
  // u128 * r = a*r + 2^64 * b*r; the result is floor((floor(a*r / 2^64) + b*r) / 2^64).
#if defined(__CUDA_ARCH__)
  const uint64_t t = __umul64hi(a, r);
  const uint64_t br_lo = b * r, br_hi = __umul64hi(b, r);
#else
  const unsigned __int128 ar = (unsigned __int128)a * r;
  const uint64_t t = (uint64_t)(ar >> 64);
  const unsigned __int128 br = (unsigned __int128)b * r;
  const uint64_t br_lo = (uint64_t)br, br_hi = (uint64_t)(br >> 64);
#endif
  return br_hi + (uint64_t)(br_lo + t < br_lo);  // carry of the low half into the high half
}

// ---------------------------------------------------------------- logarithm (own, no libm)
// log(x) for a positive normal x: x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// s = (m - 1) / (m + 1), log(m) = 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + ...).
// |s| <= 0.1716, so the Taylor series converges fast: 4 terms reach float32's
// precision, 10 terms double's. Bits are read with integer ops, never frexp().
PHILOX_HD float log_f32(float x) {
  const uint32_t bx = f32_bits(x);
  int32_t e = (int32_t)(bx >> 23) - 127;
  uint32_t mb = (bx & 0x007FFFFFu) | 0x3F800000u;  // mantissa as a float in [1, 2)
  const bool big = mb > 0x3FB504F3u;               // m > sqrt(2): use m/2, e + 1
  mb = big ? mb - 0x00800000u : mb;
  e = big ? e + 1 : e;
  const float f = bits_f32(mb) - 1.0f;
  const float s = f / (f + 2.0f);
  const float z = s * s;
  const float p = z * (0.33333333333333333f + z * (0.2f + z * (0.14285714285714285f + z * 0.11111111111111111f)));
  const float two_s = s + s;
  const float logm = two_s + two_s * p;
  return (float)e * 0.693145751953125f + ((float)e * 1.428606765330187e-06f + logm);
}

// In three pieces (the CPU's float64 exponential runs each over a chunk in a loop of its own: one
// loop holds too long a dependency chain per value to keep the vector units busy; the same bits):
// the reduction to s = (m - 1) / (m + 1) and e, the series p(s^2), and the sum.
PHILOX_HD double log_f64_s(double x, int32_t& e_out) {
  const uint64_t bx = f64_bits(x);
  int32_t e = (int32_t)(bx >> 52) - 1023;
  uint64_t mb = (bx & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  const bool big = mb > 0x3FF6A09E667F3BCCull;  // m > sqrt(2)
  mb = big ? mb - 0x0010000000000000ull : mb;
  e_out = big ? e + 1 : e;
  const double f = bits_f64(mb) - 1.0;
  return f / (f + 2.0);
}
PHILOX_HD double log_f64_series(double s) {
  const double z = s * s;
  return z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0 + z * (1.0 / 11.0 +
         z * (1.0 / 13.0 + z * (1.0 / 15.0 + z * (1.0 / 17.0 + z * (1.0 / 19.0 + z * (1.0 / 21.0))))))))));
}
PHILOX_HD double log_f64_sum(double s, double p, int32_t e) {
  const double two_s = s + s;
  const double logm = two_s + two_s * p;
  // ln 2 split in two (fdlibm's split): e * LN2_HI is exact for |e| < 2^11.
  return (double)e * 6.93147180369123816490e-01 + ((double)e * 1.90821492927058770002e-10 + logm);
}
PHILOX_HD double log_f64(double x) {
  int32_t e;
  const double s = log_f64_s(x, e);
  return log_f64_sum(s, log_f64_series(s), e);
}

// ---------------------------------------------------------------- exponential (docs/FORMAT.md 12)
// Uniforms in the open interval (0, 1), for transforms that take a logarithm: odd multiples
// of half a step, exact in the type, so never 0 or 1.
//   float32: (2 (w >> 9) + 1) 2^-24,            one word:  [2^-24, 1 - 2^-24]
//   float64: (2 (u64 >> 12) + 1) 2^-53,         two words: [2^-53, 1 - 2^-53]
PHILOX_HD float u_open_f32(uint32_t w) { return (float)(int32_t)((w >> 9) * 2u + 1u) * PHILOX_2M24F; }
// float64, computed without an int64 -> double conversion (AVX2 and SSE2 have none, so a loop with
// one does not vectorize there), exactly: with m = u64 >> 12 < 2^52, the double of bits
// 0x3FF0000000000000 | m is 1 + m 2^-52; minus 1 is exact (Sterbenz), m 2^-52; plus 2^-53 gives
// (2m + 1) 2^-53, a 53-bit odd multiple of 2^-53 in (0, 1): representable, so exact too. The same
// value as (double)(2m + 1) * 2^-53 (exact conversion, exact scaling) for every input.
PHILOX_HD double u_open_f64(uint32_t first, uint32_t second) {
  return (bits_f64((u64_of(first, second) >> 12) | 0x3FF0000000000000ull) - 1.0) + 1.1102230246251565e-16;
}

// Standard exponential by inversion: -log(u), u open-interval uniform above; values in
// (0, 16.64] (float32) and (0, 36.74] (float64), never 0.
PHILOX_HD float std_exponential_f32(uint32_t w) { return -log_f32(u_open_f32(w)); }
PHILOX_HD double std_exponential_f64(uint32_t first, uint32_t second) { return -log_f64(u_open_f64(first, second)); }

// ---------------------------------------------------------------- gumbel, logistic, laplace (docs/FORMAT.md 13)
// Standard forms from the open-interval uniforms above (one word, two for float64), then
// loc + scale * x (loc_scale). None of them can be infinite or NaN: every log argument is a
// positive normal number.
//   gumbel:   -log(e), e the standard exponential (-log(u))
//   logistic: log(u / (1 - u))                    (1 - u is exact: u is a multiple of the step)
//   laplace:  log(2u) if u < 1/2, else -log(2 - 2u)   (u is never 1/2; 2u and 2 - 2u are exact)
PHILOX_HD float gumbel_f32(uint32_t w) { return -log_f32(std_exponential_f32(w)); }
PHILOX_HD double gumbel_f64(uint32_t first, uint32_t second) { return -log_f64(std_exponential_f64(first, second)); }
PHILOX_HD float logistic_f32(uint32_t w) {
  const float u = u_open_f32(w);
  return log_f32(u / (1.0f - u));
}
PHILOX_HD double logistic_f64(uint32_t first, uint32_t second) {
  const double u = u_open_f64(first, second);
  return log_f64(u / (1.0 - u));
}
PHILOX_HD float laplace_f32(uint32_t w) {
  const float u = u_open_f32(w);
  const bool lo = u < 0.5f;  // one log of the side's argument (negation is exact): half the work of both
  const float l = log_f32(lo ? u + u : 2.0f - (u + u));
  return lo ? l : -l;
}
PHILOX_HD double laplace_f64(uint32_t first, uint32_t second) {
  const double u = u_open_f64(first, second);
  const bool lo = u < 0.5;  // one log of the side's argument (negation is exact): half the work of both
  const double l = log_f64(lo ? u + u : 2.0 - (u + u));
  return lo ? l : -l;
}
PHILOX_HD float loc_scale(float x, float loc, float scale) { return loc + scale * x; }
PHILOX_HD double loc_scale(double x, double loc, double scale) { return loc + scale * x; }

// ---------------------------------------------------------------- normal (docs/FORMAT.md)
// Inverse-CDF transform (Wichura's AS241), one value from a fixed number of
// words, so element i is computable on its own and draws split freely.
// The top bit of the word(s) gives the sign; the other bits give p in (0, 1/2):
//   float32: m = w & (2^31 - 1),   p = (m + 1/2) * 2^-32     (one word)
//   float64: m = u64 & (2^63 - 1), p = (m + 1/2) * 2^-64     (two words)
// z = -Phi^-1(p) > 0, negated when the top bit is set. Tails reach 6.34 (f32)
// and 9.16 (f64) sigma. q = p - 1/2 is computed from the integer directly so it
// keeps full precision near the centre.

// float32, one word: AS241 PPND7 (relative accuracy about 1e-7). As for float64
// below, the pieces are separate functions that divide once each.
PHILOX_HD float normal_f32_q(uint32_t w) {  // q = p - 1/2 < 0, from the integer: exact near 0
  return ((float)(int32_t)(w | 0x80000000u) + 0.5f) * 2.3283064365386963e-10f;  // 2^-32
}
PHILOX_HD float normal_f32_p(uint32_t w) {  // p = (m + 1/2) 2^-32 in (0, 1/2)
  return ((float)(int32_t)(w & 0x7FFFFFFFu) + 0.5f) * 2.3283064365386963e-10f;
}
PHILOX_HD float normal_f32_sign(float z, uint32_t w) { return bits_f32(f32_bits(z) ^ (w & 0x80000000u)); }
// Centre piece, |q| <= 0.425: z = q A(r) / B(r), r = 0.180625 - q^2.
PHILOX_HD float normal_f32_centre_piece(float q) {
  const float r = 0.180625f - q * q;
  const float nc = q * (((5.9109374720e+01f * r + 1.5929113202e+02f) * r + 5.0434271938e+01f) * r + 3.3871327179e+00f);
  const float dc = ((6.7187563600e+01f * r + 7.8757757664e+01f) * r + 1.7895169469e+01f) * r + 1.0f;
  return nc / dc;
}
// Tail piece, |q| > 0.425: z = -C(s) / D(s), s = sqrt(-log p) - 1.6. p >= 2^-33 keeps
// sqrt(-log p) below 4.8, so AS241's far-tail piece (above 5) is never needed.
PHILOX_HD float normal_f32_tail_piece(float p) {
  const float s = sqrtf(-log_f32(p)) - 1.6f;
  const float nt = -(((1.7023821103e-01f * s + 1.3067284816e+00f) * s + 2.7568153900e+00f) * s + 1.4234372777e+00f);
  const float dt = (1.2021132975e-01f * s + 7.3700164250e-01f) * s + 1.0f;
  return nt / dt;
}

PHILOX_HD float normal_f32(uint32_t w) {
  const float q = normal_f32_q(w);
  const float z = q >= -0.425f ? normal_f32_centre_piece(q) : normal_f32_tail_piece(normal_f32_p(w));
  return normal_f32_sign(z, w);  // z < 0 before the sign bit is applied
}

// float64, two words (u64 = first + 2^32 second): AS241 PPND16 (about 1e-16).
// The three pieces live in separate functions so the CPU can run the centre (85%
// of values) vectorized and only the tail lanes through the full function; each
// piece divides once, so selecting a piece's quotient equals any other order.
PHILOX_HD double normal_f64_q(uint32_t first, uint32_t second) {  // q = p - 1/2 < 0
  return ((double)(int32_t)(second | 0x80000000u) * 4294967296.0 + (double)first + 0.5) * 5.42101086242752217e-20;
}
PHILOX_HD double normal_f64_p(uint32_t first, uint32_t second) {  // p in (0, 1/2)
  return ((double)(int32_t)(second & 0x7FFFFFFFu) * 4294967296.0 + (double)first + 0.5) * 5.42101086242752217e-20;
}
PHILOX_HD double normal_f64_sign(double z, uint32_t second) {     // z < 0; the top bit flips it
  return bits_f64(f64_bits(z) ^ ((uint64_t)(second & 0x80000000u) << 32));
}
// Centre piece, |q| <= 0.425.
PHILOX_HD double normal_f64_centre_piece(double q) {
  const double r = 0.180625 - q * q;
  const double nc = q * (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                              6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r +
                            1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
                          1.3314166789178437745e+2) * r + 3.3871328727963666080e+0);
  const double dc = ((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                         3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r +
                       5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
                     4.2313330701600911252e+1) * r + 1.0;
  return nc / dc;
}
// Tail pieces, |q| > 0.425: s = sqrt(-log p), near for s <= 5, far beyond.
PHILOX_HD double normal_f64_tail_piece(double p) {
  const double s = sqrt(-log_f64(p));
  const double s1 = s - 1.6;
  const double n1 = -(((((((7.7454501427834140764e-4 * s1 + 2.2723844989269184583e-2) * s1 +
                           2.4178072517745061177e-1) * s1 + 1.2704582524523683826e+0) * s1 +
                         3.6478483247632045960e+0) * s1 + 5.7694972214606914055e+0) * s1 +
                       4.6303378461565452959e+0) * s1 + 1.4234371107496835773e+0);
  const double d1 = ((((((1.0507500716444168432e-9 * s1 + 5.4759380849953449460e-4) * s1 +
                         1.5198666563616457197e-2) * s1 + 1.4810397642748007459e-1) * s1 +
                       6.8976733498510000455e-1) * s1 + 1.6763848301838038494e+0) * s1 +
                     2.0531916266377588219e+0) * s1 + 1.0;
  const double s2 = s - 5.0;
  const double n2 = -(((((((2.0103343992922881327e-7 * s2 + 2.7115555687434875782e-5) * s2 +
                           1.2426609473880784386e-3) * s2 + 2.6532189526576123093e-2) * s2 +
                         2.9656057182850489123e-1) * s2 + 1.7848265399172913358e+0) * s2 +
                       5.4637849111641143699e+0) * s2 + 6.6579046435011037772e+0);
  const double d2 = ((((((2.0442631033899397856e-15 * s2 + 1.4215117583164458887e-7) * s2 +
                         1.8463183175100546818e-5) * s2 + 7.8686913114561325910e-4) * s2 +
                       1.4875361290850614853e-2) * s2 + 1.3692988092273580531e-1) * s2 +
                     5.9983220655588793769e-1) * s2 + 1.0;
  const bool near = s <= 5.0;
  return (near ? n1 : n2) / (near ? d1 : d2);
}

PHILOX_HD double normal_f64(uint32_t first, uint32_t second) {
  const double q = normal_f64_q(first, second);
  const double z = q >= -0.425 ? normal_f64_centre_piece(q) : normal_f64_tail_piece(normal_f64_p(first, second));
  return normal_f64_sign(z, second);
}

// The centre value when the input falls in the centre piece, else NaN (the CPU
// kernels then call normal_f64 for that element): normal_f64 == this wherever
// this is not NaN.
PHILOX_HD double normal_f64_centre_or_nan(uint32_t first, uint32_t second) {
  const double q = normal_f64_q(first, second);
  const double z = normal_f64_sign(normal_f64_centre_piece(q), second);
  return q >= -0.425 ? z : bits_f64(0x7FF8000000000000ull);
}

// normal(mean, std) = mean + std * z, in float32 (float32 and 16-bit outputs) or float64,
// z the standard normal above (16-bit outputs round the float32 result afterwards).
PHILOX_HD float normal_affine(float z, float mean, float std) { return mean + std * z; }
PHILOX_HD double normal_affine(double z, double mean, double std) { return mean + std * z; }


// ---------------------------------------------------------------- keyed bijection on [0, n) (docs/FORMAT.md 6)
// One permutation of [0, n), 1 <= n <= 2^63 - 1, keyed by PHILOX_PERM_WORDS words
// of a stream, computable at any index in O(1) time and memory, so that
// permutation, shuffle, choice(replace=False) and the sampler can evaluate any
// element alone (one GPU thread per element, or a few SIMD lanes on the CPU).
//
// * n <= PHILOX_PERM_SMALL_MAX: exact. A Lehmer index L in [0, n!) comes from
//   words 0..3 by SPEC 5's 4-word rule, L = (u128 * n!) >> 128; its mixed-radix
//   digits d_k = (L div (n (n-1) .. (n-k+1))) mod (n - k) pick, at position k,
//   the d_k-th smallest element not placed yet (Fisher-Yates order). Bias < 2^-66.
// * n > PHILOX_PERM_SMALL_MAX: a Feistel network on b = bit_length(n - 1) bits
//   (2^(b-1) < n <= 2^b, so the domain is < 2n), halves of floor(b/2) (high)
//   and ceil(b/2) (low) bits, PHILOX_PERM_ROUNDS rounds, one key word each:
//     (L, R) -> (R, (L + F(R ^ k_j) >> (32 - |L|)) mod 2^|L|)   (the widths swap)
//   with F = perm_mix32 below; modular addition, not xor, so both parities of
//   permutation occur. Cycle walking (apply again while the value is >= n)
//   restricts it to [0, n); expected < 2 passes per index.
constexpr int PHILOX_PERM_ROUNDS = 12;
constexpr int PHILOX_PERM_WORDS = 12;             // words consumed by one key (= rounds)
constexpr uint64_t PHILOX_PERM_SMALL_MAX = 20;    // 20! < 2^63: the Lehmer index fits 64 bits

struct PermKey {
  uint64_t n;
  uint64_t lehmer;                  // n <= PHILOX_PERM_SMALL_MAX: index in [0, n!)
  uint32_t k[PHILOX_PERM_ROUNDS];   // round keys (the key words, in order)
  uint32_t wl, wr;                  // widths of the high and low halves before round 0
};

// Round function: a 32-bit integer hash with full avalanche (two multiply-xorshift
// steps, constants of C. Wellons' "lowbias32"). The top bits of its output are used.
PHILOX_HD uint32_t perm_mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  return x;
}

// The key of the permutation of [0, n) from words w[0 .. PHILOX_PERM_WORDS - 1].
PHILOX_HD PermKey perm_key(uint64_t n, const uint32_t* w) {
  PermKey key;
  key.n = n;
  for (int j = 0; j < PHILOX_PERM_ROUNDS; ++j) key.k[j] = w[j];
  key.lehmer = 0;
  key.wl = key.wr = 0;
  if (n <= PHILOX_PERM_SMALL_MAX) {
    uint64_t f = 1;  // n!
    for (uint64_t m = 2; m <= n; ++m) f *= m;
    key.lehmer = bounded_large(w[0], w[1], w[2], w[3], f - 1);
  } else {
    uint32_t b = 0;
    while (b < 64 && ((n - 1) >> b)) ++b;  // bit_length(n - 1), in [5, 63]
    key.wl = b / 2;
    key.wr = b - b / 2;
  }
  return key;
}

// One Feistel half-round on split state: a = (a + F(bb ^ k) >> (32 - wa)) mod 2^wa.
// wa in [2, 32]; the caller swaps the roles of a and bb afterwards.
PHILOX_HD uint32_t perm_round(uint32_t a, uint32_t bb, uint32_t k, uint32_t wa) {
  const uint32_t f = perm_mix32(bb ^ k) >> (32u - wa);
  const uint32_t mask = wa == 32u ? 0xFFFFFFFFu : ((1u << wa) - 1u);
  return (a + f) & mask;
}

// The Feistel permutation of [0, 2^b) (one pass, no cycle walking).
PHILOX_HD uint64_t perm_feistel(const PermKey& key, uint64_t x) {
  uint32_t wl = key.wl, wr = key.wr;
  uint32_t l = (uint32_t)(x >> wr);
  uint32_t r = (uint32_t)(x & (((uint64_t)1 << wr) - 1));
  for (int j = 0; j < PHILOX_PERM_ROUNDS; ++j) {
    const uint32_t nr = perm_round(l, r, key.k[j], wl);
    l = r;
    r = nr;
    const uint32_t t = wl; wl = wr; wr = t;
  }
  return ((uint64_t)l << wr) | r;
}

PHILOX_HD uint32_t perm_ctz32(uint32_t m) {  // m != 0
#if defined(__CUDA_ARCH__)
  return (uint32_t)(__ffs((int)m) - 1);
#elif defined(__GNUC__) || defined(__clang__)
  return (uint32_t)__builtin_ctz(m);
#else
  uint32_t c = 0; while (!(m & 1u)) { m >>= 1; ++c; } return c;
#endif
}

// Element at position i (< n <= PHILOX_PERM_SMALL_MAX) of the exact small permutation.
PHILOX_HD uint64_t perm_small_at(uint64_t lehmer, uint64_t n, uint64_t i) {
  uint32_t left = (uint32_t)((1u << n) - 1u);  // elements not placed yet, as bits
  uint64_t l = lehmer;
  for (uint64_t k = 0;; ++k) {
    const uint64_t radix = n - k;
    uint64_t d = l % radix;
    l /= radix;
    uint32_t m = left;
    for (; d; --d) m &= m - 1u;  // drop the d lowest remaining elements
    const uint32_t pick = perm_ctz32(m);
    if (k == i) return pick;
    left &= ~(1u << pick);
  }
}

// The bijection: element at position i in [0, n).
PHILOX_HD uint64_t perm_at(const PermKey& key, uint64_t i) {
  if (key.n <= PHILOX_PERM_SMALL_MAX) return perm_small_at(key.lehmer, key.n, i);
  uint64_t x = i;
  do {
    x = perm_feistel(key, x);
  } while (x >= key.n);
  return x;
}

// ---------------------------------------------------------------- weighted choice (docs/FORMAT.md 7)
// With replacement, an alias table (prob[], alias[]) of m entries, 4 words per draw:
// column j = bounded_small(w0, w1, m) (SPEC 5), u = u01_f64(w2, w3); j if u < prob[j], else alias[j].
PHILOX_HD uint64_t alias_pick(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3, const double* prob,
                              const int64_t* alias, uint32_t m_minus_1) {
  const uint64_t j = bounded_small(w0, w1, m_minus_1);
  return u01_f64(w2, w3) < prob[j] ? j : (uint64_t)alias[j];
}

// Without replacement (Efraimidis-Spirakis), 2 words per population element: the
// exponential key -log(u) / p with u = (2 (u64 >> 12) + 1) 2^-53 in (0, 1)
// (exact), u64 = first + 2^32 second; p = 0 gives +inf. The sample is the
// elements of the smallest keys, in increasing (key, index) order.
PHILOX_HD double exp_key(uint32_t first, uint32_t second, double p) {
  const double e = std_exponential_f64(first, second);  // -log(u), u = u_open_f64(first, second)
  return p > 0.0 ? e / p : bits_f64(0x7FF0000000000000ull);
}

}  // namespace philox
