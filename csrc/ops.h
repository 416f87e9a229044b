// ops.h -- the op table: every distribution the kernels draw, once.
//
// One line of PHILOX_OPS per op gives its code, its name, the words each value
// takes, the type its value function returns, the bytes it stores per value, the
// output dtypes it may write, and that value function (below, from philox.h's
// conversions). Everything else is derived from the table:
//
//   * the CPU loops (csrc/cpu/kernels_impl.h: one generic loop per op, chosen
//     by a switch generated here) and their words per value (dispatch.cpp);
//   * the CUDA kernels and their CPU emulator (csrc/cuda/fill_kernels.cuh, .cu:
//     the value each thread writes, words per value, bytes per value);
//   * the Python bindings (_core.OPS: code, name, words, bytes, dtypes), from
//     which _stream.py's op codes, _ops.py's dtype checks and the pure-torch
//     fallback's words per value derive.
//
// A switch over ops is generated from the table (no `default:`), so an op
// without a value function or with a wrong type is a compile error, and
// tests/test_op_table.py fails for an op without a fallback, a reference,
// golden values or a statistical test.
//
// Adding an op: write its value function here from philox.h's pieces, add its
// line to PHILOX_OPS with the next code; docs/DESIGN.md lists the other files.
#pragma once

#include <stdint.h>

#include <type_traits>

#include "dists.h"
#include "philox.h"

namespace philox {

// A draw's parameters (the same for every value of the draw).
struct OpArgs {
  int elem_size;      // integer ops: bytes per output element (1, 2, 4, 8)
  bool affine;        // float ops: apply low/high (uniform), mean/std (normal) or scale (exponential);
                      // gamma: shape < 1 (a compile-time constant in the CPU loops, OpArgsFixed)
  double a, b, c;     // uniform: low, high, the largest output value below high (bits,
                      // for 16-bit outputs); normal: mean, std; exponential: scale;
                      // gumbel, logistic, laplace: loc, scale
  uint64_t ilow;      // integer ops: low, as two's complement bits
  uint64_t range_m1;  // integer ops: r - 1 (int_small: r <= 2^32; int_large: 2^32 < r <= 2^64)
};

inline OpArgs make_op_args(int elem_size, bool affine, double a, double b, double c, uint64_t ilow,
                           uint64_t range_m1) {
  OpArgs p{};
  p.elem_size = elem_size; p.affine = affine; p.a = a; p.b = b; p.c = c; p.ilow = ilow; p.range_m1 = range_m1;
  return p;
}

// The same parameters with `affine` a compile-time constant: the CPU loops instantiate
// each value function for both (loop unswitching by hand), so each variant vectorizes.
template <bool AFFINE>
struct OpArgsFixed : OpArgs {
  static constexpr bool affine = AFFINE;
  explicit OpArgsFixed(const OpArgs& p) : OpArgs(p) {}
};

// Array parameters (docs/FORMAT.md 23): value e of a draw (e counts the whole output in order,
// row by row for a batch, run by run for a region) takes a, b, c, ilow and affine from these
// arrays at index e * stride (stride 0: one value for every element; a null array: the draw's
// OpArgs field), elem_size and range_m1 from the draw's OpArgs. Its value is the table's value
// function of that OpArgs, so an element equals the scalar draw of its parameters.
struct OpParams {
  const double* a;
  const double* b;
  const double* c;
  const uint64_t* ilow;
  const uint8_t* affine;  // 0 or 1
  uint64_t sa, sb, sc, si, sf;  // strides, in elements (0 or 1)
};

// The OpArgs of value e of a draw with array parameters q (base: the draw's own OpArgs).
PHILOX_HD OpArgs op_args_at(const OpArgs& base, const OpParams& q, uint64_t e) {
  OpArgs p = base;
  if (q.a) p.a = q.a[e * q.sa];
  if (q.b) p.b = q.b[e * q.sb];
  if (q.c) p.c = q.c[e * q.sc];
  if (q.ilow) p.ilow = q.ilow[e * q.si];
  if (q.affine) p.affine = q.affine[e * q.sf] != 0;
  return p;
}

// ---------------------------------------------------------------- value functions
// value = f(args, w): w points at the value's K words (first word first); A is OpArgs
// or OpArgsFixed<bool>.
template <class A>
PHILOX_HD uint32_t op_raw32(const A&, const uint32_t* w) { return w[0]; }
template <class A>
PHILOX_HD uint64_t op_raw64(const A&, const uint32_t* w) { return u64_of(w[0], w[1]); }

template <class A>
PHILOX_HD float op_uniform_f32(const A& p, const uint32_t* w) {
  return p.affine ? uniform_f32(w[0], (float)p.a, (float)p.b, (float)p.c) : u01_f32(w[0]);
}
template <class A>
PHILOX_HD double op_uniform_f64(const A& p, const uint32_t* w) {
  return p.affine ? uniform_f64(w[0], w[1], p.a, p.b, p.c) : u01_f64(w[0], w[1]);
}
template <class A>
PHILOX_HD uint16_t op_uniform_f16(const A& p, const uint32_t* w) {
  return p.affine ? uniform_f16_bits(w[0], (float)p.a, (float)p.b, (uint16_t)p.c) : u01_f16_bits(w[0]);
}
template <class A>
PHILOX_HD uint16_t op_uniform_bf16(const A& p, const uint32_t* w) {
  return p.affine ? uniform_bf16_bits(w[0], (float)p.a, (float)p.b, (uint16_t)p.c) : u01_bf16_bits(w[0]);
}

// normal(mean, std): the standard normal, then mean + std * z (16-bit outputs: in
// float32, rounded to the output type afterwards).
template <class A>
PHILOX_HD float op_normal_f32(const A& p, const uint32_t* w) {
  const float z = normal_f32(w[0]);
  return p.affine ? normal_affine(z, (float)p.a, (float)p.b) : z;
}
template <class A>
PHILOX_HD double op_normal_f64(const A& p, const uint32_t* w) {
  const double z = normal_f64(w[0], w[1]);
  return p.affine ? normal_affine(z, p.a, p.b) : z;
}
template <class A>
PHILOX_HD uint16_t op_normal_f16(const A& p, const uint32_t* w) { return f32_to_f16_bits(op_normal_f32(p, w)); }
template <class A>
PHILOX_HD uint16_t op_normal_bf16(const A& p, const uint32_t* w) { return f32_to_bf16_bits(op_normal_f32(p, w)); }

// exponential(scale): scale * the standard exponential, in float32 (float32 and 16-bit
// outputs, rounded to the output type afterwards) or float64.
template <class A>
PHILOX_HD float op_exponential_f32(const A& p, const uint32_t* w) {
  const float e = std_exponential_f32(w[0]);
  return p.affine ? (float)p.a * e : e;
}
template <class A>
PHILOX_HD double op_exponential_f64(const A& p, const uint32_t* w) {
  const double e = std_exponential_f64(w[0], w[1]);
  return p.affine ? p.a * e : e;
}
template <class A>
PHILOX_HD uint16_t op_exponential_f16(const A& p, const uint32_t* w) {
  return f32_to_f16_bits(op_exponential_f32(p, w));
}
template <class A>
PHILOX_HD uint16_t op_exponential_bf16(const A& p, const uint32_t* w) {
  return f32_to_bf16_bits(op_exponential_f32(p, w));
}

// gumbel(loc, scale), logistic(loc, scale), laplace(loc, scale): loc + scale * the standard
// form, in float32 (float32 and 16-bit outputs, rounded afterwards) or float64. Always with
// loc and scale (numpy has no standard forms of these): a = loc, b = scale.
#define PHILOX_LOC_SCALE_OPS(dist)                                                     \
  template <class A>                                                                  \
  PHILOX_HD float op_##dist##_f32(const A& p, const uint32_t* w) {                    \
    return loc_scale(dist##_f32(w[0]), (float)p.a, (float)p.b);                       \
  }                                                                                   \
  template <class A>                                                                  \
  PHILOX_HD double op_##dist##_f64(const A& p, const uint32_t* w) {                   \
    return loc_scale(dist##_f64(w[0], w[1]), p.a, p.b);                               \
  }                                                                                   \
  template <class A>                                                                  \
  PHILOX_HD uint16_t op_##dist##_f16(const A& p, const uint32_t* w) {                 \
    return f32_to_f16_bits(op_##dist##_f32(p, w));                                    \
  }                                                                                   \
  template <class A>                                                                  \
  PHILOX_HD uint16_t op_##dist##_bf16(const A& p, const uint32_t* w) {                \
    return f32_to_bf16_bits(op_##dist##_f32(p, w));                                   \
  }
PHILOX_LOC_SCALE_OPS(gumbel)
PHILOX_LOC_SCALE_OPS(logistic)
PHILOX_LOC_SCALE_OPS(laplace)
#undef PHILOX_LOC_SCALE_OPS

// randint: low + offset, as 64-bit two's complement; stored truncated to the element
// width, which is right for signed and unsigned outputs alike.
template <class A>
PHILOX_HD uint64_t op_int_small(const A& p, const uint32_t* w) {
  return p.ilow + bounded_small(w[0], w[1], (uint32_t)p.range_m1);
}
template <class A>
PHILOX_HD uint64_t op_int_large(const A& p, const uint32_t* w) {
  return p.ilow + bounded_large(w[0], w[1], w[2], w[3], p.range_m1);
}

// Distributions (csrc/dists.h, docs/FORMAT.md 19). Rejection samplers return their first
// attempt from the value's words, or the rejected mark (NaN); OpRetry below finishes it.
// gamma(shape, scale): affine = shape < 1 (the boost), a = shape, b = scale, c = 1 / sqrt(9 d).
template <class A>
PHILOX_HD double op_gamma_f64(const A& p, const uint32_t* w) { return gamma_first(p.affine, p.a, p.b, p.c, w); }

// poisson(lam): a = lam (int64 values).
template <class A>
PHILOX_HD int64_t op_poisson_i64(const A& p, const uint32_t* w) { return poisson_first(p.a, w); }

// binomial(n, p): ilow = n, a = p (int64 values).
template <class A>
PHILOX_HD int64_t op_binomial_i64(const A& p, const uint32_t* w) { return binomial_first((int64_t)p.ilow, p.a, w); }

// FORMAT 20 (csrc/dists.h). lognormal(mean, sigma): a = mean, b = sigma, computed in float64 (float32
// outputs: the float32 normal widened, the float64 value rounded; 16-bit: the float32 value rounded).
template <class A>
PHILOX_HD double op_lognormal_f64(const A& p, const uint32_t* w) {
  return lognormal_f64(p.a, p.b, normal_f64(w[0], w[1]));
}
template <class A>
PHILOX_HD float op_lognormal_f32(const A& p, const uint32_t* w) {
  return f64_to_f32_pos(lognormal_f64(p.a, p.b, (double)normal_f32(w[0])));
}
template <class A>
PHILOX_HD uint16_t op_lognormal_f16(const A& p, const uint32_t* w) { return f32_to_f16_bits(op_lognormal_f32(p, w)); }
template <class A>
PHILOX_HD uint16_t op_lognormal_bf16(const A& p, const uint32_t* w) { return f32_to_bf16_bits(op_lognormal_f32(p, w)); }

// standard_cauchy: no parameters.
template <class A>
PHILOX_HD double op_standard_cauchy_f64(const A&, const uint32_t* w) {
  return standard_cauchy_f64(w[0], w[1], w[2], w[3]);
}
template <class A>
PHILOX_HD float op_standard_cauchy_f32(const A&, const uint32_t* w) { return standard_cauchy_f32(w[0], w[1]); }
template <class A>
PHILOX_HD uint16_t op_standard_cauchy_f16(const A& p, const uint32_t* w) {
  return f32_to_f16_bits(op_standard_cauchy_f32(p, w));
}
template <class A>
PHILOX_HD uint16_t op_standard_cauchy_bf16(const A& p, const uint32_t* w) {
  return f32_to_bf16_bits(op_standard_cauchy_f32(p, w));
}

// geometric(p): a = p (int64 values).
template <class A>
PHILOX_HD int64_t op_geometric_i64(const A& p, const uint32_t* w) { return geometric_i64(p.a, w[0], w[1]); }

// bernoulli(p): ilow = floor(p * 2^32) (bool values, stored as one byte 0 or 1).
template <class A>
PHILOX_HD uint8_t op_bernoulli_b8(const A& p, const uint32_t* w) { return bernoulli_b8(w[0], p.ilow); }

// truncated_normal(mean, std, low, high) before the draw's clamp to [low, high] (FORMAT 22.1):
// a = Phi(a'), b = Phi(b') - Phi(a'), c = mean, ilow = the float64 bits of +-std (dists.h).
template <class A>
PHILOX_HD double op_trunc_normal_f64(const A& p, const uint32_t* w) {
  return trunc_normal_f64(p.a, p.b, p.c, bits_f64(p.ilow), u01_f64(w[0], w[1]));
}
template <class A>
PHILOX_HD float op_trunc_normal_f32(const A& p, const uint32_t* w) {
  return (float)trunc_normal_f64(p.a, p.b, p.c, bits_f64(p.ilow), (double)w[0] * 2.3283064365386962890625e-10);
}
// FORMAT 21. gamma_f32: gamma_f64's value rounded to float32 (the same words, parameter block and
// retries). beta(a, b): a, b = the shapes, c = c of a, ilow = the float64 bits of c of b, affine =
// a < 1 or b < 1. standard_t(df): a = df / 2, c = c of that shape, affine = df / 2 < 1.
template <class A>
PHILOX_HD float op_gamma_f32(const A& p, const uint32_t* w) { return (float)op_gamma_f64(p, w); }
template <class A>
PHILOX_HD double op_beta_f64(const A& p, const uint32_t* w) {
  return beta_first(p.affine, p.a, p.b, p.c, bits_f64(p.ilow), w);
}
template <class A>
PHILOX_HD double op_standard_t_f64(const A& p, const uint32_t* w) { return student_t_first(p.affine, p.a, p.c, w); }

// ---------------------------------------------------------------- the table
// X(code, Name, "name", words per value, value type, bytes per value, "output dtypes", value function,
//   rounds)
// Bytes 0: the call's integer element size (elem_size); the value is stored truncated to it.
// Rounds: for a 16-bit op whose value is a float32 op's value rounded to float16/bfloat16, that op's
// code (the CPU then computes the float32 values and rounds them in a second pass, which
// vectorizes better than one fused loop; the bits are the value function's); else -1.
// Codes are 0, 1, 2, ... in order (checked below); they travel through the Python API
// (_core.OPS), so an op keeps its code once released.
#define PHILOX_OPS(X)                                                                                                 \
  X(0, Raw32, "raw32", 1, uint32_t, 4, "int32 uint32", op_raw32, -1)                                                  \
  X(1, Raw64, "raw64", 2, uint64_t, 8, "int64 uint64", op_raw64, -1)                                                  \
  X(2, UniformF32, "uniform_f32", 1, float, 4, "float32", op_uniform_f32, -1)                                         \
  X(3, UniformF64, "uniform_f64", 2, double, 8, "float64", op_uniform_f64, -1)                                        \
  X(4, UniformF16, "uniform_f16", 1, uint16_t, 2, "float16", op_uniform_f16, -1)                                      \
  X(5, UniformBF16, "uniform_bf16", 1, uint16_t, 2, "bfloat16", op_uniform_bf16, -1)                                  \
  X(6, NormalF32, "normal_f32", 1, float, 4, "float32", op_normal_f32, -1)                                            \
  X(7, NormalF64, "normal_f64", 2, double, 8, "float64", op_normal_f64, -1)                                           \
  X(8, NormalF16, "normal_f16", 1, uint16_t, 2, "float16", op_normal_f16, 6)                                          \
  X(9, NormalBF16, "normal_bf16", 1, uint16_t, 2, "bfloat16", op_normal_bf16, 6)                                      \
  X(10, IntSmall, "int_small", 2, uint64_t, 0, "int8 int16 int32 int64 uint8 uint16 uint32 uint64", op_int_small, -1) \
  X(11, IntLarge, "int_large", 4, uint64_t, 0, "int64 uint64", op_int_large, -1)                                      \
  X(12, ExponentialF32, "exponential_f32", 1, float, 4, "float32", op_exponential_f32, -1)                            \
  X(13, ExponentialF64, "exponential_f64", 2, double, 8, "float64", op_exponential_f64, -1)                           \
  X(14, ExponentialF16, "exponential_f16", 1, uint16_t, 2, "float16", op_exponential_f16, 12)                         \
  X(15, ExponentialBF16, "exponential_bf16", 1, uint16_t, 2, "bfloat16", op_exponential_bf16, 12)                     \
  X(16, GumbelF32, "gumbel_f32", 1, float, 4, "float32", op_gumbel_f32, -1)                                           \
  X(17, GumbelF64, "gumbel_f64", 2, double, 8, "float64", op_gumbel_f64, -1)                                          \
  X(18, GumbelF16, "gumbel_f16", 1, uint16_t, 2, "float16", op_gumbel_f16, 16)                                        \
  X(19, GumbelBF16, "gumbel_bf16", 1, uint16_t, 2, "bfloat16", op_gumbel_bf16, 16)                                    \
  X(20, LogisticF32, "logistic_f32", 1, float, 4, "float32", op_logistic_f32, -1)                                     \
  X(21, LogisticF64, "logistic_f64", 2, double, 8, "float64", op_logistic_f64, -1)                                    \
  X(22, LogisticF16, "logistic_f16", 1, uint16_t, 2, "float16", op_logistic_f16, 20)                                  \
  X(23, LogisticBF16, "logistic_bf16", 1, uint16_t, 2, "bfloat16", op_logistic_bf16, 20)                              \
  X(24, LaplaceF32, "laplace_f32", 1, float, 4, "float32", op_laplace_f32, -1)                                        \
  X(25, LaplaceF64, "laplace_f64", 2, double, 8, "float64", op_laplace_f64, -1)                                       \
  X(26, LaplaceF16, "laplace_f16", 1, uint16_t, 2, "float16", op_laplace_f16, 24)                                     \
  X(27, LaplaceBF16, "laplace_bf16", 1, uint16_t, 2, "bfloat16", op_laplace_bf16, 24)                                 \
  X(28, GammaF64, "gamma_f64", 4, double, 8, "float64", op_gamma_f64, -1)                                             \
  X(29, PoissonI64, "poisson_i64", 4, int64_t, 8, "int64", op_poisson_i64, -1)                                        \
  X(30, BinomialI64, "binomial_i64", 4, int64_t, 8, "int64", op_binomial_i64, -1)                                     \
  X(31, LognormalF32, "lognormal_f32", 1, float, 4, "float32", op_lognormal_f32, -1)                                  \
  X(32, LognormalF64, "lognormal_f64", 2, double, 8, "float64", op_lognormal_f64, -1)                                 \
  X(33, LognormalF16, "lognormal_f16", 1, uint16_t, 2, "float16", op_lognormal_f16, 31)                               \
  X(34, LognormalBF16, "lognormal_bf16", 1, uint16_t, 2, "bfloat16", op_lognormal_bf16, 31)                           \
  X(35, StandardCauchyF32, "standard_cauchy_f32", 2, float, 4, "float32", op_standard_cauchy_f32, -1)                 \
  X(36, StandardCauchyF64, "standard_cauchy_f64", 4, double, 8, "float64", op_standard_cauchy_f64, -1)                \
  X(37, StandardCauchyF16, "standard_cauchy_f16", 2, uint16_t, 2, "float16", op_standard_cauchy_f16, 35)              \
  X(38, StandardCauchyBF16, "standard_cauchy_bf16", 2, uint16_t, 2, "bfloat16", op_standard_cauchy_bf16, 35)          \
  X(39, GeometricI64, "geometric_i64", 2, int64_t, 8, "int64", op_geometric_i64, -1)                                  \
  X(40, BernoulliB8, "bernoulli_b8", 1, uint8_t, 1, "bool", op_bernoulli_b8, -1)                                      \
  X(41, TruncNormalF32, "trunc_normal_f32", 1, float, 4, "float32", op_trunc_normal_f32, -1)                          \
  X(42, TruncNormalF64, "trunc_normal_f64", 2, double, 8, "float64", op_trunc_normal_f64, -1)                         \
  X(43, GammaF32, "gamma_f32", 4, float, 4, "float32", op_gamma_f32, -1)                                              \
  X(44, BetaF64, "beta_f64", 8, double, 8, "float64", op_beta_f64, -1)                                                \
  X(45, StandardTF64, "standard_t_f64", 6, double, 8, "float64", op_standard_t_f64, -1)

enum class Op : int {
#define PHILOX_OP_ENUM(code, Name, name, K, T, B, D, F, R) Name = code,
  PHILOX_OPS(PHILOX_OP_ENUM)
#undef PHILOX_OP_ENUM
};

// Ops whose value function may reject (FORMAT 19.1): OpRetry<OP>::value(args, w, at) is the
// value when value(args, w) is the rejected mark (op_rejected); `at` names the value's retry
// stream (retry_at: key, id, position of the value's first word div 4). Every loop over an op
// finishes rejected values through op_value_at below, so no backend can forget it.
template <int OP>
struct OpRetry {
  static constexpr bool has = false;
};
template <>
struct OpRetry<(int)Op::GammaF64> {
  static constexpr bool has = true;
  template <class A>
  PHILOX_HD static double value(const A& p, const uint32_t* w, const RetryAt& at) {
    return gamma_retry(p.affine, p.a, p.b, p.c, w, at);
  }
};
template <>
struct OpRetry<(int)Op::PoissonI64> {
  static constexpr bool has = true;
  template <class A>
  PHILOX_HD static int64_t value(const A& p, const uint32_t*, const RetryAt& at) { return poisson_retry(p.a, at); }
};
template <>
struct OpRetry<(int)Op::BinomialI64> {
  static constexpr bool has = true;
  template <class A>
  PHILOX_HD static int64_t value(const A& p, const uint32_t*, const RetryAt& at) {
    return binomial_retry((int64_t)p.ilow, p.a, at);
  }
};
template <>
struct OpRetry<(int)Op::GammaF32> {
  static constexpr bool has = true;
  template <class A>
  PHILOX_HD static float value(const A& p, const uint32_t* w, const RetryAt& at) {
    return (float)OpRetry<(int)Op::GammaF64>::value(p, w, at);
  }
};
template <>
struct OpRetry<(int)Op::BetaF64> {
  static constexpr bool has = true;
  template <class A>
  PHILOX_HD static double value(const A& p, const uint32_t* w, const RetryAt& at) {
    return beta_retry(p.affine, p.a, p.b, p.c, bits_f64(p.ilow), w, at);
  }
};
template <>
struct OpRetry<(int)Op::StandardTF64> {
  static constexpr bool has = true;
  template <class A>
  PHILOX_HD static double value(const A& p, const uint32_t* w, const RetryAt& at) {
    return student_t_retry(p.affine, p.a, p.c, w, at);
  }
};
PHILOX_HD bool op_rejected(double v) { return v != v; }
PHILOX_HD bool op_rejected(float v) { return v != v; }
PHILOX_HD bool op_rejected(int64_t v) { return v < 0; }

// Compile-time facts of op OP: OpTraits<OP>::K, ::T, ::bytes, ::value(args, w).
template <int OP>
struct OpTraits;
#define PHILOX_OP_TRAITS(code, Name, name_, K_, T_, B_, D_, F_, R_)                           \
  template <>                                                                             \
  struct OpTraits<code> {                                                                 \
    static constexpr int K = K_;                                                          \
    using T = T_;                                                                         \
    static constexpr int bytes = B_;                                                      \
    static constexpr int rounds = R_;                                                     \
    template <class A>                                                                    \
    PHILOX_HD static T value(const A& p, const uint32_t* w) { return F_(p, w); }           \
  };                                                                                      \
  static_assert(B_ == 0 ? std::is_integral<T_>::value && sizeof(T_) == 8 : sizeof(T_) == B_, \
                "op " name_ ": bytes per value must be the value type's size (0: 64-bit integers)");
PHILOX_OPS(PHILOX_OP_TRAITS)
#undef PHILOX_OP_TRAITS

// The value of op OP whose words are w (its first word at position 4 * p_div_4 + (0..3) of
// stream id): the table's value function, finished from the retry stream when it rejected.
template <int OP, class A>
PHILOX_HD typename OpTraits<OP>::T op_value_at(const A& p, const uint32_t* w, uint32_t k0, uint32_t k1,
                                               uint64_t id, uint64_t p_div_4) {
  const typename OpTraits<OP>::T v = OpTraits<OP>::value(p, w);
  if constexpr (OpRetry<OP>::has) {
    static_assert(OpTraits<OP>::K >= 4, "ops with retries take at least 4 words per value (FORMAT 19.1)");
    if (op_rejected(v)) return OpRetry<OP>::value(p, w, retry_at(k0, k1, id, p_div_4));
  }
  return v;
}

// Run-time facts, one row per op, in code order.
struct OpInfo {
  int code;
  const char* name;
  int words;
  int bytes;           // 0: the call's integer element size
  const char* dtypes;  // output dtypes (torch/numpy names), space-separated
};
constexpr OpInfo kOps[] = {
#define PHILOX_OP_INFO(code, Name, name, K, T, B, D, F, R) {code, name, K, B, D},
    PHILOX_OPS(PHILOX_OP_INFO)
#undef PHILOX_OP_INFO
};
constexpr int kNumOps = (int)(sizeof(kOps) / sizeof(kOps[0]));

constexpr bool op_codes_in_order() {
  for (int i = 0; i < kNumOps; ++i)
    if (kOps[i].code != i) return false;
  return true;
}
static_assert(op_codes_in_order(), "PHILOX_OPS: codes must be 0, 1, 2, ... in order");

// A 16-bit op that rounds a float32 op's value (the last column) must name an earlier float32 op
// with the same words per value.
#define PHILOX_OP_ROUNDS_CHECK(code, Name, name, K, T, B, D, F, R)                                      \
  static_assert(R < 0 || (R < code && kOps[R < 0 ? 0 : R].words == K && kOps[R < 0 ? 0 : R].bytes == 4 && \
                          B == 2),                                                                      \
                "op " name ": the op it rounds must be an earlier float32 op with the same words");
PHILOX_OPS(PHILOX_OP_ROUNDS_CHECK)
#undef PHILOX_OP_ROUNDS_CHECK

PHILOX_HD bool op_known(int op) { return op >= 0 && op < kNumOps; }

// Words per value of op (a known op; 0 otherwise).
PHILOX_HD int op_words(int op) {
  switch ((Op)op) {
#define PHILOX_OP_WORDS(code, Name, name, K, T, B, D, F, R) case Op::Name: return K;
    PHILOX_OPS(PHILOX_OP_WORDS)
#undef PHILOX_OP_WORDS
  }
  return 0;
}

// Bytes per stored value of op (integer ops: elem_size).
PHILOX_HD int op_value_bytes(int op, int elem_size) {
  switch ((Op)op) {
#define PHILOX_OP_BYTES(code, Name, name, K, T, B, D, F, R) case Op::Name: return B ? B : elem_size;
    PHILOX_OPS(PHILOX_OP_BYTES)
#undef PHILOX_OP_BYTES
  }
  return 0;
}

// Calls f(std::integral_constant<int, OP>{}) for a run-time op code; false for an
// unknown code (callers check codes first; every op of the table has its case).
template <class F>
bool with_op(int op, F&& f) {
  switch ((Op)op) {
#define PHILOX_OP_CASE(code, Name, name, K, T, B, D, F_, R) \
  case Op::Name: f(std::integral_constant<int, code>{}); return true;
    PHILOX_OPS(PHILOX_OP_CASE)
#undef PHILOX_OP_CASE
  }
  return false;
}

// Calls f(S{}) with S the type stored per value: OpTraits<OP>::T, or for integer ops
// (bytes 0) the unsigned type of elem_size bytes.
template <int OP, class F>
PHILOX_HD void with_store_type(int elem_size, F&& f) {
  using T = typename OpTraits<OP>::T;
  if constexpr (OpTraits<OP>::bytes != 0) {
    f(T{});
  } else {
    switch (elem_size) {
      case 1: f(uint8_t{}); break;
      case 2: f(uint16_t{}); break;
      case 4: f(uint32_t{}); break;
      default: f(uint64_t{}); break;  // 8 (callers check elem_size)
    }
  }
}

}  // namespace philox
