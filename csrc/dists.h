// dists.h -- distributions beyond uniform and normal (docs/FORMAT.md section 19).
//
// Every function here is a pure function of its words and parameters and uses only
// +, -, *, / and sqrt (correctly rounded; no FMA: -ffp-contract=off, nvcc --fmad=false),
// integer ops and philox.h's own log, so the CPU, the CUDA kernels and the pure-torch
// fallback (src/philox/_torch_fallback.py, mirroring this file) give the same bits.
//
// Rejection samplers make their first attempt from the value's own words (a fixed number
// per value, so the main stream never advances by a data-dependent count). A rejected
// first attempt is reported as NaN; the value is then finished from its *retry stream*
// (FORMAT 19.1): stream (S, fold(id, P div 4, 2)) of the same seed, P the position of the
// value's first word, attempt t reading that stream's block t. Every value is computable
// alone, whatever the split of the draw.
#pragma once

#include <stdint.h>

#include "philox.h"

namespace philox {

// ---------------------------------------------------------------- helpers
// Uniform in (0, 1) from two words: ((u64 >> 12) * 2 + 1) * 2^-53, exact (53 bits).
PHILOX_HD double u01_open_f64(uint32_t first, uint32_t second) {
  const int32_t hi = (int32_t)(second >> 11);                                       // u64 >> 43 (21 bits)
  const int32_t lo = (int32_t)(((second << 20) | (first >> 12)) & 0x7FFFFFFFu);      // (u64 >> 12) mod 2^31
  return (((double)hi * 2147483648.0 + (double)lo) * 2.0 + 1.0) * PHILOX_2M53;
}

// Uniform in (0, 1) from one word: (w + 1/2) * 2^-32, exact.
PHILOX_HD double u01_open32_f64(uint32_t w) {
  return ((double)w + 0.5) * 2.3283064365386963e-10;
}

// exp(x) for finite x: x = k ln2 + r (k = x / ln2 rounded to nearest, ties to even, by
// the 1.5 * 2^52 trick; r by a two-part ln2, k * LN2_HI exact for |k| < 2^11), exp(r) by
// its Taylor polynomial to degree 13 (|r| <= 0.3466: error below 2^-53 relative), then
// scaled by 2^k from the exponent bits (2p * 2^1023 for k = 1024; in two steps, 2^(k+600)
// then 2^-600, when the result is subnormal).
// x < -745.2 gives 0, x > 709.78 gives +inf.
PHILOX_HD double exp_f64(double x) {
  const double xc = x < -745.2 ? -745.2 : (x > 709.78 ? 709.78 : x);  // NaN-free, in range
  const double kd = (xc * 1.44269504088896338700 + 6755399441055744.0) - 6755399441055744.0;
  const double r = (xc - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10;
  double p = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0;  // 1/13!, 1/12!
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const int32_t k = (int32_t)kd;  // -1075 .. 1024
  // branch-free (the CPU loops vectorize it): every candidate, then a select
  const int32_t kn = k < -1021 ? -1021 : (k > 1023 ? 1023 : k);
  const double normal = p * bits_f64((uint64_t)(int64_t)(kn + 1023) << 52);
  const double top = (p * 2.0) * bits_f64((uint64_t)(1023 + 1023) << 52);                            // k = 1024
  const int32_t ks = k < -1021 ? k : -1021;
  const double sub = (p * bits_f64((uint64_t)(int64_t)(ks + 1623) << 52)) * bits_f64((uint64_t)(1023 - 600) << 52);
  const double y = k > 1023 ? top : (k >= -1021 ? normal : sub);
  return x < -745.2 ? 0.0 : (x > 709.78 ? bits_f64(0x7FF0000000000000ull) : y);
}

// The retry stream of the value whose first word is at position P of stream id:
// fold(id, P div 4, 2) (kind 2 is used by no path component). Ops with retries take at
// least 4 words per value, so distinct values have distinct P div 4.
PHILOX_HD uint64_t retry_id(uint64_t id, uint64_t p_div_4) { return fold(id, p_div_4, 2u); }

// Where a value's retries come from: the key, the retry stream's id, attempts in order.
struct RetryAt {
  uint32_t k0, k1;
  uint64_t rid;
};
PHILOX_HD RetryAt retry_at(uint32_t k0, uint32_t k1, uint64_t id, uint64_t p_div_4) {
  RetryAt r;
  r.k0 = k0; r.k1 = k1; r.rid = retry_id(id, p_div_4);
  return r;
}

// ---------------------------------------------------------------- gamma (FORMAT 19.2)
// Marsaglia and Tsang (2000) for shape b >= 1, d = b - 1/3, c = 1/sqrt(9 d) (passed in,
// computed once per draw). One attempt from a normal x (two words) and a uniform u (one
// word): t = 1 + c x; accept when t > 0 and (u < 1 - 0.0331 x^4 or
// log u < x^2/2 + d (1 - v + log v)), v = t^3; the value is d v. NaN: rejected.
PHILOX_HD double gamma_mt_from_normal(double d, double c, double x, uint32_t uw) {
  const double t = 1.0 + c * x;
  const double v = t * t * t;
  const double u = u01_open32_f64(uw);
  const double x2 = x * x;
  // & and |, not && and ||: no branch, both logs always computed (the loop vectorizes)
  const bool ok = (t > 0.0) & ((u < 1.0 - 0.0331 * (x2 * x2)) |
                               (log_f64(u) < 0.5 * x2 + d * ((1.0 - v) + log_f64(v))));
  return ok ? d * v : bits_f64(0x7FF8000000000000ull);
}
// One attempt from its words: the normal x = normal_f64(n0, n1), the uniform from uw.
PHILOX_HD double gamma_mt_attempt(double d, double c, uint32_t n0, uint32_t n1, uint32_t uw) {
  return gamma_mt_from_normal(d, c, normal_f64(n0, n1), uw);
}

// The CPU's shortcut for gamma_mt_from_normal: its value when the squeeze u < 1 - 0.0331 x^4 accepts
// (no log), else NaN (the CPU then runs gamma_mt_from_normal for that value; t <= 0 is NaN in both).
PHILOX_HD double gamma_mt_squeeze_or_nan(double d, double c, double x, uint32_t uw) {
  const double t = 1.0 + c * x;
  const double v = t * t * t;
  const double u = u01_open32_f64(uw);
  const double x2 = x * x;
  const bool ok = (t > 0.0) & (u < 1.0 - 0.0331 * (x2 * x2));
  return ok ? d * v : bits_f64(0x7FF8000000000000ull);
}

// d of the Marsaglia-Tsang step for shape a > 0: (a < 1 ? a + 1 : a) - 1/3.
PHILOX_HD double gamma_d(double a) { return (a < 1.0 ? a + 1.0 : a) - 0.333333333333333333333; }
// c of the Marsaglia-Tsang step: 1 / sqrt(9 d), each step correctly rounded (the host's per-draw and
// per-element constant: _dists.gamma_params, _core.gamma_c_array).
PHILOX_HD double gamma_c(double a) { return 1.0 / sqrt(9.0 * gamma_d(a)); }

// The factor U^(1/a) that turns gamma(a + 1) into gamma(a) for a < 1 (U from the value's
// fourth word): exp(log(U) / a) (a = 0: exp(-inf) = 0, so shape 0 gives 0). `boost` is
// a < 1, passed as the draw's switch (OpArgs::affine: a compile-time constant in the CPU loops).
PHILOX_HD double gamma_boost(bool boost, double a, uint32_t w3) {
  return boost ? exp_f64(log_f64(u01_open32_f64(w3)) / a) : 1.0;
}

// standard_gamma(a) * scale from the Marsaglia-Tsang value g (NaN stays NaN), w3 the value's fourth word.
PHILOX_HD double gamma_value(bool boost, double a, double scale, double g, uint32_t w3) {
  return (g * gamma_boost(boost, a, w3)) * scale;
}

// standard_gamma(a) * scale, first attempt: words w[0..3]; NaN when rejected.
PHILOX_HD double gamma_first(bool boost, double a, double scale, double c, const uint32_t* w) {
  return gamma_value(boost, a, scale, gamma_mt_attempt(gamma_d(a), c, w[0], w[1], w[2]), w[3]);
}

// The value after a rejected first attempt: attempts t = 0, 1, ... from block t of the
// retry stream (normal from its words 0, 1, uniform from word 2).
PHILOX_HD double gamma_retry(bool boost, double a, double scale, double c, const uint32_t* w, const RetryAt& at) {
  const double d = gamma_d(a);
  double g = bits_f64(0x7FF8000000000000ull);
  for (uint64_t t = 0; g != g; ++t) {
    uint32_t r[4];
    stream_block(r, t, at.rid, at.k0, at.k1);
    g = gamma_mt_attempt(d, c, r[0], r[1], r[2]);
  }
  return gamma_value(boost, a, scale, g, w[3]);
}

// ---------------------------------------------------------------- poisson (FORMAT 19.3)
// floor(y) as an integer for |y| <= 2^62 (callers clamp): truncation, then one step down for
// negative non-integers.
PHILOX_HD int64_t floor_i64(double y) {
  const int64_t t = (int64_t)y;
  return t - (int64_t)((double)t > y);  // arithmetic, not a select: GCC vectorizes it after a clamp
}
// (double)k for any int64 k, the same value. The AVX2 build has no vector int64 -> double
// conversion, so there it adds the two int32-convertible halves: hi 2^32 (exact) plus the low 32
// bits (their double is exact: (int32)(lo ^ 2^31) + 2^31), one rounding of the exact sum k, as
// the conversion rounds. Elsewhere the conversion itself.
PHILOX_HD double i64_to_f64(int64_t k) {
#if defined(__AVX2__) && !defined(__AVX512DQ__) && !defined(__CUDA_ARCH__)
  const double lo = (double)(int32_t)((uint32_t)(uint64_t)k ^ 0x80000000u) + 2147483648.0;
  return (double)(int32_t)(k >> 32) * 4294967296.0 + lo;
#else
  return (double)k;
#endif
}
// floor_i64(y) for finite |y| <= 2^62 (the TRS candidates' clamp), the same value. The AVX2 build
// has no vector double -> int64 conversion, so there it goes through int32 halves, exactly: f =
// floor(y) (an integer, |f| <= 2^62); h = floor(f 2^-32) in [-2^30, 2^30] (exact scaling); l = f -
// h 2^32 in [0, 2^32) (a multiple of ulp(f) below 2^32: exact), taken as an int32 after - 2^31
// (exact); k = h 2^32 + l, in int64. Elsewhere (AVX-512DQ converts; scalar code) floor_i64 itself.
PHILOX_HD int64_t floor_i64_clamped(double y) {
#if defined(__AVX2__) && !defined(__AVX512DQ__) && !defined(__CUDA_ARCH__)
  const double f = floor(y);
  const double h = floor(f * 2.3283064365386963e-10);
  const double l = (f - h * 4294967296.0) - 2147483648.0;
  return (int64_t)(int32_t)h * 4294967296LL + ((int64_t)(int32_t)l + 2147483648LL);
#else
  return floor_i64(y);
#endif
}

// Stirling's series of log Gamma(x) beyond its leading terms: 1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7).
PHILOX_HD double stirling_series(double x) {
  const double r = 1.0 / x, r2 = r * r;
  return r * (0.083333333333333333333 -
              r2 * (0.0027777777777777777778 - r2 * (0.00079365079365079365079 - r2 * 0.00059523809523809523810)));
}
// log(k!) for k >= 0: the sum of log_f64(i), i = 2 .. k, for k < 10; above, Stirling's series
// for log Gamma(x), x = k + 1: (x - 1/2) log x - x + log(2 pi)/2 + 1/(12x) - 1/(360x^3)
// + 1/(1260x^5) - 1/(1680x^7) (truncation error below 1e-13 for x >= 11).
PHILOX_HD double log_factorial_stirling(int64_t k) {  // the formula for k >= 10 (branch-free)
  const double x = i64_to_f64(k) + 1.0;
  return (((x - 0.5) * log_f64(x) - x) + 0.91893853320467274178) + stirling_series(x);
}
PHILOX_HD double log_factorial(int64_t k) {
  if (k < 10) {
    double s = 0.0;
    for (int64_t i = 2; i <= k; ++i) s = s + log_f64((double)i);
    return s;
  }
  return log_factorial_stirling(k);
}

// Inversion for lam < 10, from u = u01_open(w0, w1): the least k with u <= p_0 + ... + p_k,
// p_0 = exp_f64(-lam), p_j = (p_{j-1} * lam) / j, summed in order; k stops at 255.
PHILOX_HD int64_t poisson_inversion(double lam, uint32_t w0, uint32_t w1) {
  const double u = u01_open_f64(w0, w1);
  double p = exp_f64(-lam), s = p;
  int64_t k = 0;
  while (u > s && k < 255) {
    k = k + 1;
    p = (p * lam) / (double)k;
    s = s + p;
  }
  return k;
}

// The CPU's shortcut for a whole draw with lam < 10 (the same bits): the running sums s_0 ..
// s_254 of poisson_inversion, computed once by the same recurrence (s[255] = +inf), then per
// value the least k with u <= s_k by a branch-free binary search (8 steps).
inline void poisson_sums(double lam, double* s) {
  double p = exp_f64(-lam), acc = p;
  s[0] = acc;
  for (int k = 1; k < 255; ++k) {
    p = (p * lam) / (double)k;
    acc = acc + p;
    s[k] = acc;
  }
  s[255] = bits_f64(0x7FF0000000000000ull);
}
PHILOX_HD int64_t poisson_search(const double* s, uint32_t w0, uint32_t w1) {
  const double u = u01_open_f64(w0, w1);
  int64_t base = 0;  // invariant: the answer is in [base, base + n]
  // arithmetic, not a select: compilers turned the last step of a select into a branch that
  // mispredicts half the time
  for (int64_t half = 128; half > 0; half >>= 1) base += half & -(int64_t)(s[base + half - 1] < u);
  return base;  // s[base - 1] < u <= s[base] (s[255] = inf)
}

// One PTRS attempt (Hoermann 1993, "The transformed rejection method for generating Poisson
// random variables"), lam >= 10, from U = u01_open(u0, u1) - 1/2, V = u01_open(v0, v1): k, or
// -1 when rejected. In pieces, so the CPU can run the common case in a vectorized pass (the same
// bits): the draw's constants (PtrsConsts, once per draw), the candidate k with its us and V
// (TrsCandidate), the quick acceptance (us >= 0.07 and V <= vr, most candidates), and the full
// test for the others (poisson_ptrs_decide, given log(k!)).
struct PtrsConsts {
  double lam, loglam, b, a, invalpha, vr, log_invalpha;
};
PHILOX_HD PtrsConsts poisson_ptrs_consts(double lam) {
  PtrsConsts c;
  const double slam = sqrt(lam);
  c.lam = lam;
  c.loglam = log_f64(lam);
  c.b = 0.931 + 2.53 * slam;
  c.a = -0.059 + 0.02483 * c.b;
  c.invalpha = 1.1239 + 1.1328 / (c.b - 3.4);
  c.vr = 0.9277 - 3.6224 / (c.b - 2.0);
  c.log_invalpha = log_f64(c.invalpha);
  return c;
}
// A transformed-rejection candidate (PTRS and BTRS): k = floor(y), us = 1/2 - |U|, V.
struct TrsCandidate {
  int64_t k;
  double us, V;
};
// y = (((2a) / us + b) U + s1) + s2, clamped to [-2^62, 2^62], k = floor(y) (PTRS: s1 = lam,
// s2 = 0.43; BTRS: s1 = n q + 1/2, s2 = 0, which changes no sum: it is never -0).
PHILOX_HD TrsCandidate trs_candidate(double a, double b, double s1, double s2, uint32_t u0, uint32_t u1,
                                     uint32_t v0, uint32_t v1) {
  TrsCandidate t;
  const double U = u01_open_f64(u0, u1) - 0.5;
  t.V = u01_open_f64(v0, v1);
  t.us = 0.5 - (U < 0.0 ? -U : U);
  double y = (((2.0 * a) / t.us + b) * U + s1) + s2;
  y = y < -4611686018427387904.0 ? -4611686018427387904.0 : (y > 4611686018427387904.0 ? 4611686018427387904.0 : y);
  t.k = floor_i64_clamped(y);  // y is finite (us > 0), |y| <= 2^62
  return t;
}
PHILOX_HD TrsCandidate poisson_ptrs_candidate(const PtrsConsts& c, uint32_t u0, uint32_t u1, uint32_t v0,
                                              uint32_t v1) {
  return trs_candidate(c.a, c.b, c.lam, 0.43, u0, u1, v0, v1);
}
PHILOX_HD bool poisson_ptrs_quick(const PtrsConsts& c, const TrsCandidate& t) { return (t.us >= 0.07) & (t.V <= c.vr); }
// The full test of a candidate the quick test did not accept, logfact = log(k!) (any value when
// k < 0): k, or -1. Branch-free (both logs always computed).
PHILOX_HD int64_t poisson_ptrs_decide(const PtrsConsts& c, const TrsCandidate& t, double logfact) {
  const double lhs = (log_f64(t.V) + c.log_invalpha) - log_f64(c.a / (t.us * t.us) + c.b);
  const double rhs = (i64_to_f64(t.k) * c.loglam - c.lam) - logfact;
  // -1 where rejected: all-ones masks, not a select of a bool (GCC's AVX2 loops vectorize masks)
  const int64_t reject = -(int64_t)(t.k < 0) | -(int64_t)((t.us < 0.013) & (t.V > t.us)) | -(int64_t)!(lhs <= rhs);
  return (t.k & ~reject) | reject;
}
PHILOX_HD int64_t poisson_ptrs_attempt_c(const PtrsConsts& c, uint32_t u0, uint32_t u1, uint32_t v0, uint32_t v1) {
  const TrsCandidate t = poisson_ptrs_candidate(c, u0, u1, v0, v1);
  if (poisson_ptrs_quick(c, t)) return t.k;
  return poisson_ptrs_decide(c, t, t.k < 0 ? 0.0 : log_factorial(t.k));
}
PHILOX_HD int64_t poisson_ptrs_attempt(double lam, uint32_t u0, uint32_t u1, uint32_t v0, uint32_t v1) {
  return poisson_ptrs_attempt_c(poisson_ptrs_consts(lam), u0, u1, v0, v1);
}

// poisson(lam), 4 words: inversion (words 0, 1) below 10, else a PTRS attempt (U from words 0,
// 1, V from words 2, 3); -1 when that attempt is rejected (poisson_retry finishes it).
PHILOX_HD int64_t poisson_first(double lam, const uint32_t* w) {
  return lam < 10.0 ? poisson_inversion(lam, w[0], w[1]) : poisson_ptrs_attempt(lam, w[0], w[1], w[2], w[3]);
}

PHILOX_HD int64_t poisson_retry(double lam, const RetryAt& at) {
  const PtrsConsts c = poisson_ptrs_consts(lam);
  int64_t k = -1;
  for (uint64_t t = 0; k < 0; ++t) {
    uint32_t r[4];
    stream_block(r, t, at.rid, at.k0, at.k1);
    k = poisson_ptrs_attempt_c(c, r[0], r[1], r[2], r[3]);
  }
  return k;
}

// ---------------------------------------------------------------- binomial (FORMAT 19.4)
// log(1 + x) for -1 < x < 1 with full relative accuracy near 0: u = 1 + x; x where u == 1, else
// log_f64(u) * (x / (u - 1)) (Goldberg's trick: u - 1 is exact, the quotient corrects the rounding of u).
PHILOX_HD double log1p_f64(double x) {
  const double u = 1.0 + x;
  const double d = u - 1.0;
  return d == 0.0 ? x : log_f64(u) * (x / (d == 0.0 ? 1.0 : d));
}

// log(N!) - log((N - d)!) for integers 0 <= N - d, N (d may be negative), accurate even for
// N near 2^62 where N! itself is far beyond float64's integer resolution: with x1 = N + 1,
// x2 = N - d + 1 (both >= 11), L = log1p(-d / x1) = log(x2 / x1),
//   d log x1 - (x2 - 1/2) L - d + (S(x1) - S(x2)),   S = stirling_series;
// below that, the plain difference of log_factorial.
PHILOX_HD double log_factorial_ratio_stirling(int64_t N, int64_t d) {  // the formula for N, N - d >= 10
  const double x1 = i64_to_f64(N) + 1.0, x2 = i64_to_f64(N - d) + 1.0, dd = i64_to_f64(d);
  const double L = log1p_f64(-(dd / x1));
  return ((dd * log_f64(x1) - (x2 - 0.5) * L) - dd) + (stirling_series(x1) - stirling_series(x2));
}
PHILOX_HD double log_factorial_ratio(int64_t N, int64_t d) {
  const int64_t lo = N < N - d ? N : N - d;
  if (lo < 10) return log_factorial(N) - log_factorial(N - d);
  return log_factorial_ratio_stirling(N, d);
}

// Inversion for n q < 10 (q <= 1/2): u = u01_open(w0, w1); p_0 = exp_f64(n log1p(-q)),
// p_k = ((p_{k-1} * r) * (n - k + 1)) / k with r = q / (1 - q); the least k with u <= s_k,
// capped at min(n, 255).
PHILOX_HD int64_t binomial_inversion(int64_t n, double q, uint32_t w0, uint32_t w1) {
  const double u = u01_open_f64(w0, w1);
  const double r = q / (1.0 - q);
  double p = exp_f64((double)n * log1p_f64(-q)), s = p;
  const int64_t cap = n < 255 ? n : 255;
  int64_t k = 0;
  while (u > s && k < cap) {
    k = k + 1;
    p = ((p * r) * (double)(n - k + 1)) / (double)k;
    s = s + p;
  }
  return k;
}

// The CPU's shortcut for a whole draw with n q < 10 (the same bits, as poisson_sums): the running
// sums s_0 .. s_{cap-1} of binomial_inversion by the same recurrence, +inf from s_cap on, then
// poisson_search per value.
inline void binomial_sums(int64_t n, double q, double* s) {
  const double r = q / (1.0 - q);
  double p = exp_f64((double)n * log1p_f64(-q)), acc = p;
  const int64_t cap = n < 255 ? n : 255;
  for (int64_t k = 0; k < 256; ++k) s[k] = bits_f64(0x7FF0000000000000ull);
  if (cap > 0) s[0] = acc;
  for (int64_t k = 1; k < cap; ++k) {
    p = ((p * r) * (double)(n - k + 1)) / (double)k;
    acc = acc + p;
    s[k] = acc;
  }
}

// One BTRS attempt (Hoermann 1993, "The generation of binomial random variates"), n q >= 10,
// q <= 1/2: U = u01_open(u0, u1) - 1/2, V = u01_open(v0, v1); k, or -1 when rejected. In pieces
// as PTRS: the draw's constants (BtrsConsts), the candidate (trs_candidate), the quick acceptance
// (0 <= k <= n, us >= 0.07, V <= vr), and the full test (binomial_btrs_decide, given the two
// log-factorial ratios).
struct BtrsConsts {
  int64_t n, m;
  double spq, b, a, c, vr, alpha, lpq;
};
PHILOX_HD BtrsConsts binomial_btrs_consts(int64_t n, double q) {
  BtrsConsts c;
  const double nd = (double)n;
  c.n = n;
  c.spq = sqrt((nd * q) * (1.0 - q));
  c.b = 1.15 + 2.53 * c.spq;
  c.a = (-0.0873 + 0.0248 * c.b) + 0.01 * q;
  c.c = nd * q + 0.5;
  c.vr = 0.92 - 4.2 / c.b;
  c.alpha = (2.83 + 5.1 / c.b) * c.spq;
  c.lpq = log_f64(q / (1.0 - q));
  c.m = floor_i64((nd + 1.0) * q);
  return c;
}
PHILOX_HD TrsCandidate binomial_btrs_candidate(const BtrsConsts& c, uint32_t u0, uint32_t u1, uint32_t v0,
                                               uint32_t v1) {
  return trs_candidate(c.a, c.b, c.c, 0.0, u0, u1, v0, v1);
}
PHILOX_HD bool binomial_btrs_in_range(const BtrsConsts& c, const TrsCandidate& t) { return (t.k >= 0) & (t.k <= c.n); }
PHILOX_HD bool binomial_btrs_quick(const BtrsConsts& c, const TrsCandidate& t) {
  return binomial_btrs_in_range(c, t) && t.us >= 0.07 && t.V <= c.vr;
}
// The full test of an in-range candidate, r1 - r2 = log(m! (n-m)! / (k! (n-k)!)) as two ratios
// (log_factorial_ratio(n - m, k - m), log_factorial_ratio(k, k - m)): k, or -1. Branch-free.
PHILOX_HD int64_t binomial_btrs_decide(const BtrsConsts& c, const TrsCandidate& t, double r1, double r2) {
  const double lv = log_f64((t.V * c.alpha) / (c.a / (t.us * t.us) + c.b));
  const double rhs = (r1 - r2) + i64_to_f64(t.k - c.m) * c.lpq;
  return lv <= rhs ? t.k : -1;
}
PHILOX_HD int64_t binomial_btrs_attempt_c(const BtrsConsts& c, uint32_t u0, uint32_t u1, uint32_t v0, uint32_t v1) {
  const TrsCandidate t = binomial_btrs_candidate(c, u0, u1, v0, v1);
  if (!binomial_btrs_in_range(c, t)) return -1;
  if (t.us >= 0.07 && t.V <= c.vr) return t.k;
  return binomial_btrs_decide(c, t, log_factorial_ratio(c.n - c.m, t.k - c.m), log_factorial_ratio(t.k, t.k - c.m));
}
PHILOX_HD int64_t binomial_btrs_attempt(int64_t n, double q, uint32_t u0, uint32_t u1, uint32_t v0, uint32_t v1) {
  return binomial_btrs_attempt_c(binomial_btrs_consts(n, q), u0, u1, v0, v1);
}

// binomial(n, p), 4 words: q = min(p, 1 - p) (1 - p is exact for p >= 1/2); X from inversion
// (n q < 10) or a BTRS attempt; the value is X, or n - X when p > 1/2; -1 when rejected.
PHILOX_HD double binomial_q(double p) { return p > 0.5 ? 1.0 - p : p; }
PHILOX_HD int64_t binomial_flip(int64_t n, double p, int64_t x) { return x < 0 ? x : (p > 0.5 ? n - x : x); }

PHILOX_HD int64_t binomial_first(int64_t n, double p, const uint32_t* w) {
  const double q = binomial_q(p);
  const int64_t x = (double)n * q < 10.0 ? binomial_inversion(n, q, w[0], w[1])
                                         : binomial_btrs_attempt(n, q, w[0], w[1], w[2], w[3]);
  return binomial_flip(n, p, x);
}

PHILOX_HD int64_t binomial_retry(int64_t n, double p, const RetryAt& at) {
  const BtrsConsts c = binomial_btrs_consts(n, binomial_q(p));
  int64_t x = -1;
  for (uint64_t t = 0; x < 0; ++t) {
    uint32_t r[4];
    stream_block(r, t, at.rid, at.k0, at.k1);
    x = binomial_btrs_attempt_c(c, r[0], r[1], r[2], r[3]);
  }
  return binomial_flip(n, p, x);
}

// ---------------------------------------------------------------- FORMAT 20: bernoulli, geometric,
// standard_cauchy, lognormal (no retries: a fixed number of words, one formula each)

// bernoulli(p): true iff the word is below the threshold t = floor(p * 2^32) in [0, 2^32] (64-bit,
// so p = 1 is every word): the rule of philox.functional.bernoulli (FORMAT 17).
PHILOX_HD uint8_t bernoulli_b8(uint32_t w, uint64_t t) { return (uint8_t)((uint64_t)w < t); }

// geometric(p), 0 < p <= 1, in {1, 2, ...}: 1 for p = 1; else x = e / -log1p(-p), e the float64
// standard exponential of FORMAT 12 (two words), and the value ceil(x), or INT64_MAX where x >= 2^63
// (tiny p). x > 0, so the value is at least 1. Without a double -> int64 conversion (none in AVX2,
// so the loop vectorizes): ceil(x) in float64 (x + 2^52 - 2^52 rounds x < 2^52 to an integer, exact;
// larger x are integers), then its integer from the bits: below 2^52 the low bits of c + 2^52,
// above it the mantissa shifted by the exponent.
PHILOX_HD int64_t geometric_i64(double p, uint32_t first, uint32_t second) {
  const double x = std_exponential_f64(first, second) / -log1p_f64(-p);
  const double two52 = 4503599627370496.0;
  const double r = x < two52 ? (x + two52) - two52 : x;
  const double c = r < x ? r + 1.0 : r;  // ceil(x), exact
  const uint64_t small = f64_bits(c + two52) - 0x4330000000000000ull;                    // c < 2^52
  const uint64_t b = f64_bits(c);
  const int64_t sh = (int64_t)(b >> 52) - 1075;                                           // 0 .. 10 when used
  const uint64_t large = ((b & 0x000FFFFFFFFFFFFFull) | 0x0010000000000000ull) << (sh < 0 ? 0 : (sh > 11 ? 11 : sh));
  const uint64_t v = c >= 9223372036854775808.0 ? 0x7FFFFFFFFFFFFFFFull : (c < two52 ? small : large);
  return p == 1.0 ? (int64_t)1 : (int64_t)v;
}

// standard_cauchy: the ratio of two standard normals of FORMAT 3 (numpy's construction): float64
// from four words (normal_f64 of words 0, 1 over normal_f64 of words 2, 3), float32 from two. A
// normal is never 0 (|q| >= 2^-33 before the transform), so the ratio is finite.
PHILOX_HD double standard_cauchy_f64(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3) {
  return normal_f64(w0, w1) / normal_f64(w2, w3);
}
PHILOX_HD float standard_cauchy_f32(uint32_t w0, uint32_t w1) { return normal_f32(w0) / normal_f32(w1); }

// lognormal(mean, sigma): exp_f64(mean + sigma * z) in float64, z the float64 normal (two words) or
// the float32 normal (one word) widened exactly to float64; float32 outputs round the float64 value.
PHILOX_HD double lognormal_f64(double mean, double sigma, double z) { return exp_f64(mean + sigma * z); }
// float64 -> float32, round to nearest even, +inf from 2^128 - 2^103 up (the rounding's own overflow,
// spelled out: a C++ conversion of a value beyond float's range is undefined). x >= 0 here.
PHILOX_HD float f64_to_f32_pos(double x) {
  return x >= 3.4028235677973366e+38 ? bits_f32(0x7F800000u)
                                     : (float)(x > 3.4028234663852886e+38 ? 3.4028234663852886e+38 : x);
}

// ---------------------------------------------------------------- truncated normal (FORMAT 22.1)
// Phi(x), the standard normal CDF, for any x (infinities included; never NaN for a non-NaN x),
// relative accuracy a few ulp. The host computes each draw's Phi(a), Phi(b) with it (exported
// as _core.ndtr); no value function calls it. For x < 0, t = -x:
//   t < 0.6: 1/2 - phi(t) S(t),   S(t) = t + t^3/3 + t^5/(3*5) + ... (60 terms, all positive);
//   t >= 0.6: phi(t) / (t + 1/(t + 2/(t + 3/(t + ...)))), Laplace's continued fraction for the
//            Mills ratio, evaluated from its 1000th level up;
//   t > 39:  0 (Phi(-39) is below the smallest subnormal).
// phi(t) = exp(-t^2/2) / sqrt(2 pi), with t^2/2 split exactly: th = t with its low 27 mantissa
// bits cleared (th^2 exact), tl = t - th, exp_f64(-th^2/2) * exp_f64(-(tl (t + th))/2).
// x >= 0: 1 - Phi(-x).
PHILOX_HD double normal_pdf_f64(double t) {
  const double th = bits_f64(f64_bits(t) & ~((1ull << 27) - 1ull));
  const double tl = t - th;
  return (exp_f64(-(th * th) * 0.5) * exp_f64(-(tl * (t + th)) * 0.5)) * 0.398942280401432677940;
}
// One level of the Mills ratio's continued fraction: t + n / f (ndtr_lower, mills_cf_fast).
PHILOX_HD double mills_level(double t, int n, double f) { return t + (double)n / f; }
PHILOX_HD double ndtr_lower(double t) {  // Phi(-t), t >= 0
  if (t > 39.0) return 0.0;
  const double ph = normal_pdf_f64(t);
  if (t < 0.6) {
    const double t2 = t * t;
    double s = 0.0;
    for (int n = 59; n >= 0; --n) s = t2 * s / (double)(2 * n + 3) + 1.0;  // 1 + t^2/3 (1 + t^2/5 (...))
    return 0.5 - ph * (t * s);
  }
  double f = t;
  for (int n = 1000; n >= 1; --n) f = mills_level(t, n, f);
  return ph / f;
}
PHILOX_HD double ndtr_f64(double x) { return x < 0.0 ? ndtr_lower(-x) : 1.0 - ndtr_lower(x); }

// ndtr_f64 bit for bit, fast (what _core.ndtr / ndtr_array run; tests/test_ndtr_fast.py compares
// the two on a dense grid with the edge inputs). Only the continued fraction is shortened, exactly:
// mills_level(t, n, f) = t + n / f, each operation correctly rounded, is nonincreasing in f > 0 and
// never below t. So the value entering level N < 1000 (the output of level N + 1, whose input is
// >= t) lies in [t, mills_level(t, N + 1, t)], and levels N..1 (a monotone composition) map every
// value of that interval between their images of its two ends: where those agree, they are the
// 1000-level value. N starts at 560 / t^2 + 8 (where the fraction has settled to the last bit:
// measured 420-530 / t^2 for t in 1..4, fewer levels beyond), once more at 4N, else all 1000 levels.
PHILOX_HD double mills_cf_fast(double t) {
  const double est = 560.0 / (t * t) + 8.0;  // t >= 0.6: at most 1563.6
  for (int levels = (int)est; levels < 1000; levels *= 4) {
    double lo = t, hi = mills_level(t, levels + 1, t);
    for (int n = levels; n >= 1; --n) {
      lo = mills_level(t, n, lo);
      hi = mills_level(t, n, hi);
    }
    if (lo == hi) return lo;
  }
  double f = t;
  for (int n = 1000; n >= 1; --n) f = mills_level(t, n, f);
  return f;
}
PHILOX_HD double ndtr_lower_fast(double t) {  // ndtr_lower(t), the same bits
  if (t > 39.0 || t < 0.6 || t != t) return ndtr_lower(t);
  return normal_pdf_f64(t) / mills_cf_fast(t);
}
PHILOX_HD double ndtr_f64_fast(double x) { return x < 0.0 ? ndtr_lower_fast(-x) : 1.0 - ndtr_lower_fast(x); }

// Phi^-1(p) for 0 <= p <= 1 by AS241 (philox.h's pieces: the centre piece for |p - 1/2| <= 0.425,
// else the tail piece at min(p, 1 - p), negated above 1/2; 1 - p is exact there). min(p, 1 - p)
// below the smallest normal double (2^-1022: Phi^-1 beyond -37.5) gives -+40: the draw's clamp
// to [low, high] then returns the bound.
PHILOX_HD double ndtri_f64(double p) {
  const double q = p - 0.5;
  const double r = p < 0.5 ? p : 1.0 - p;
  const double rs = r < 2.2250738585072014e-308 ? 0.5 : r;  // keeps log's argument normal
  const double tail = r < 2.2250738585072014e-308 ? -40.0 : normal_f64_tail_piece(rs);
  const double z = (q >= -0.425 && q <= 0.425) ? normal_f64_centre_piece(q) : (p < 0.5 ? tail : -tail);
  return z;
}

// truncated_normal(mean, std, low, high) before its clamp: mean + sstd * Phi^-1(pl + d u), u from
// the value's words (float64: u01_f64, two words; float32: w 2^-32, one word, computed in float64 and
// rounded once at the end). The host passes pl = Phi(a'), d = Phi(b') - Phi(a') for the standardized
// interval [a', b'] = [a, b], or [-b, -a] with sstd = -std when a > 0 (an interval above the
// mean is mirrored below it, where Phi is small and accurate), mean, and sstd; the draw then clamps
// every value to [low, high] (FORMAT 22.1).
PHILOX_HD double trunc_normal_f64(double pl, double d, double mean, double sstd, double u) {
  return mean + sstd * ndtri_f64(pl + d * u);
}

// ---------------------------------------------------------------- beta, standard_t, float32 gamma (FORMAT 21)
// The Marsaglia-Tsang value g (before any boost) from the retry stream `at`: attempt t = 0, 1, ...
// reads block b0 + t * step (gamma, standard_t: b0 = 0, step = 1, as 19.2; beta: X's attempts
// from the even blocks, Y's from the odd ones).
PHILOX_HD double gamma_mt_retry(double d, double c, const RetryAt& at, uint64_t b0, uint64_t step) {
  double g = bits_f64(0x7FF8000000000000ull);
  for (uint64_t t = b0; g != g; t += step) {
    uint32_t r[4];
    stream_block(r, t, at.rid, at.k0, at.k1);
    g = gamma_mt_attempt(d, c, r[0], r[1], r[2]);
  }
  return g;
}

// beta(a, b) from the Marsaglia-Tsang values gx (shape a, words w0 .. w3) and gy (shape b, words
// w4 .. w7). Both shapes >= 1 (logspace false): gx / (gx + gy). Else in logs, so that values whose
// gammas underflow stay exact: lx = log gx + log(U_x) / a (the boost, a < 1 only; U_x from w3),
// ly likewise (b, w7), each clamped below at -1e308 (no -inf - -inf), value 1 / (1 + exp(ly - lx)).
// Values in [0, 1]; NaN (rejected) when gx or gy is.
PHILOX_HD double beta_combine(bool logspace, double a, double b, double gx, double gy, uint32_t w3, uint32_t w7) {
  const double sum = gx + gy;  // NaN when either is (then the logs below are of NaN: discarded)
  if (!logspace) return gx / sum;
  const double lxu = log_f64(u01_open32_f64(w3)) / a, lyu = log_f64(u01_open32_f64(w7)) / b;
  double lx = log_f64(gx) + (a < 1.0 ? lxu : 0.0);
  double ly = log_f64(gy) + (b < 1.0 ? lyu : 0.0);
  lx = lx < -1e308 ? -1e308 : lx;
  ly = ly < -1e308 ? -1e308 : ly;
  const double v = 1.0 / (1.0 + exp_f64(ly - lx));
  return sum != sum ? sum : v;  // one comparison (no mask logic: the CPU loop vectorizes)
}

// beta, 8 words: gx from w0 .. w2 (shape a, ca = its c of 19.2), gy from w4 .. w6 (shape b, cb);
// NaN when either first attempt is rejected (beta_retry finishes it).
PHILOX_HD double beta_first(bool logspace, double a, double b, double ca, double cb, const uint32_t* w) {
  const double gx = gamma_mt_attempt(gamma_d(a), ca, w[0], w[1], w[2]);
  const double gy = gamma_mt_attempt(gamma_d(b), cb, w[4], w[5], w[6]);
  return beta_combine(logspace, a, b, gx, gy, w[3], w[7]);
}

PHILOX_HD double beta_retry(bool logspace, double a, double b, double ca, double cb, const uint32_t* w,
                            const RetryAt& at) {
  double gx = gamma_mt_attempt(gamma_d(a), ca, w[0], w[1], w[2]);
  double gy = gamma_mt_attempt(gamma_d(b), cb, w[4], w[5], w[6]);
  if (gx != gx) gx = gamma_mt_retry(gamma_d(a), ca, at, 0, 2);
  if (gy != gy) gy = gamma_mt_retry(gamma_d(b), cb, at, 1, 2);
  return beta_combine(logspace, a, b, gx, gy, w[3], w[7]);
}

// standard_t(df), h = df / 2, 6 words: g the Marsaglia-Tsang value of shape h (words w0 .. w3,
// retries as 19.2), Z = normal_f64(w4, w5); s = Z * sqrt(h / g). h >= 1 (boost false): the value is
// s (= Z / sqrt(chisq(df) / df)). h < 1: G = g * U^(1/h) may underflow, so the boost enters in
// logs: e = -(log U / h) / 2, E = exp(min(e, 1418) / 2), value (s * E) * E saturated to
// [-DBL_MAX, DBL_MAX] (past e = 1418 it overflows anyway). NaN when g is.
PHILOX_HD double student_t_combine_z(bool boost, double h, double g, uint32_t w3, double z) {
  const double s = z * sqrt(h / g);
  if (!boost) return s;
  const double e = -0.5 * (log_f64(u01_open32_f64(w3)) / h);
  const double E = exp_f64(0.5 * (e < 1418.0 ? e : 1418.0));
  const double v = (s * E) * E;
  const double big = 1.7976931348623157e308;
  return v < -big ? -big : (v > big ? big : v);
}
// The same from Z's words z0, z1 (Z = normal_f64(z0, z1)).
PHILOX_HD double student_t_combine(bool boost, double h, double g, uint32_t w3, uint32_t z0, uint32_t z1) {
  return student_t_combine_z(boost, h, g, w3, normal_f64(z0, z1));
}

PHILOX_HD double student_t_first(bool boost, double h, double c, const uint32_t* w) {
  const double g = gamma_mt_attempt(gamma_d(h), c, w[0], w[1], w[2]);
  const double v = student_t_combine(boost, h, g != g ? 1.0 : g, w[3], w[4], w[5]);
  return g != g ? g : v;
}

PHILOX_HD double student_t_retry(bool boost, double h, double c, const uint32_t* w, const RetryAt& at) {
  return student_t_combine(boost, h, gamma_mt_retry(gamma_d(h), c, at, 0, 1), w[3], w[4], w[5]);
}

}  // namespace philox
