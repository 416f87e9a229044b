// fill_kernels.cuh -- the per-thread work of the CUDA backend, host+device.
//
// A draw is split into work items: item (row r, tile t) computes the Philox
// blocks [block + t*G, block + (t+1)*G) of row r's stream (G = kTileBlocks) and
// writes every value whose *first* word lies in them (plus one more block when
// the last such value straddles into the next tile, which happens only for
// 2- and 4-word values at positions that are not a multiple of their size).
// Which item a thread runs never changes a value: values depend on (key, id,
// position) only (SPEC 6.3), so any grid or block size gives the same bits.
//
// The kernel (fill_kernels.cu) is a grid-stride loop over items calling
// fill_item(); the CPU module compiles this same header into an emulator
// (_core._emulate_gpu_fill) that runs the loop for a given grid and block size,
// so CI without a GPU checks this exact code against the CPU kernels.
// The word loop below is unrolled with compile-time indexes: the tile's words
// stay in registers on the device (no local memory).
#pragma once

#include <stdint.h>

#include <type_traits>

#include "../philox.h"

namespace philox {
namespace gpu {

constexpr int kTileBlocks = 4;                 // G: Philox blocks per work item
constexpr int kTileWords = 4 * kTileBlocks;

// One draw: `rows` rows of `n` values, row r from stream ids[r] (or `id` when ids
// is null), every row from word position 4*block + lane; row r's values go to
// out[r*n .. r*n + n - 1]. Op codes and parameters as csrc/cpu/kernels.h's Job.
struct FillJob {
  int op;
  uint32_t k0, k1;
  uint64_t id;
  const uint64_t* ids;
  uint64_t block;
  uint32_t lane;
  void* out;
  uint64_t n, rows;
  uint64_t tiles;  // work items per row (tiles_per_row)
  int elem_size;
  bool affine;
  double a, b, c;
  uint64_t ilow, range_m1;
};

PHILOX_HD int op_words(int op) {
  return (op == 1 || op == 3 || op == 7 || op == 10) ? 2 : op == 11 ? 4 : 1;
}

// Items per row: tiles up to the one holding the first word of the last value.
PHILOX_HD uint64_t tiles_per_row(uint32_t lane, uint64_t n, int k) {
  return n ? (lane + (n - 1) * (uint64_t)k) / kTileWords + 1 : 0;
}

// Value o of the output from the words w[0 .. K-1].
template <int OP>
PHILOX_HD void put_value(const FillJob& j, uint64_t o, const uint32_t* w) {
  if constexpr (OP == 0) {
    static_cast<uint32_t*>(j.out)[o] = w[0];
  } else if constexpr (OP == 1) {
    static_cast<uint64_t*>(j.out)[o] = (uint64_t)w[0] | ((uint64_t)w[1] << 32);
  } else if constexpr (OP == 2) {
    static_cast<float*>(j.out)[o] = j.affine ? uniform_f32(w[0], (float)j.a, (float)j.b, (float)j.c) : u01_f32(w[0]);
  } else if constexpr (OP == 3) {
    static_cast<double*>(j.out)[o] = j.affine ? uniform_f64(w[0], w[1], j.a, j.b, j.c) : u01_f64(w[0], w[1]);
  } else if constexpr (OP == 4) {
    static_cast<uint16_t*>(j.out)[o] =
        j.affine ? uniform_f16_bits(w[0], (float)j.a, (float)j.b, (uint16_t)j.c) : u01_f16_bits(w[0]);
  } else if constexpr (OP == 5) {
    static_cast<uint16_t*>(j.out)[o] =
        j.affine ? uniform_bf16_bits(w[0], (float)j.a, (float)j.b, (uint16_t)j.c) : u01_bf16_bits(w[0]);
  } else if constexpr (OP == 6) {
    const float z = normal_f32(w[0]);
    static_cast<float*>(j.out)[o] = j.affine ? normal_affine(z, (float)j.a, (float)j.b) : z;
  } else if constexpr (OP == 7) {
    const double z = normal_f64(w[0], w[1]);
    static_cast<double*>(j.out)[o] = j.affine ? normal_affine(z, j.a, j.b) : z;
  } else if constexpr (OP == 8 || OP == 9) {
    float z = normal_f32(w[0]);
    z = j.affine ? normal_affine(z, (float)j.a, (float)j.b) : z;
    static_cast<uint16_t*>(j.out)[o] = OP == 8 ? f32_to_f16_bits(z) : f32_to_bf16_bits(z);
  } else {
    // integers: low + offset, truncated to the element width (two's complement
    // makes this right for signed and unsigned outputs alike)
    uint64_t v;
    if constexpr (OP == 10)
      v = j.ilow + (j.range_m1 == 0xFFFFFFFFull ? (uint64_t)w[1] : bounded_small(w[0], w[1], (uint32_t)(j.range_m1 + 1)));
    else
      v = j.ilow + bounded_large(w[0], w[1], w[2], w[3], j.range_m1);
    switch (j.elem_size) {
      case 1: static_cast<uint8_t*>(j.out)[o] = (uint8_t)v; break;
      case 2: static_cast<uint16_t*>(j.out)[o] = (uint16_t)v; break;
      case 4: static_cast<uint32_t*>(j.out)[o] = (uint32_t)v; break;
      default: static_cast<uint64_t*>(j.out)[o] = v; break;
    }
  }
}

PHILOX_HD void block_words(uint32_t* w, uint64_t b, uint64_t id, uint32_t k0, uint32_t k1) {
  uint32_t x0 = (uint32_t)b, x1 = (uint32_t)(b >> 32), x2 = (uint32_t)id, x3 = (uint32_t)(id >> 32);
  philox4x32_10(x0, x1, x2, x3, k0, k1);
  w[0] = x0; w[1] = x1; w[2] = x2; w[3] = x3;
}

// Work item `item` (< rows * tiles) of a job whose op is OP (K words per value).
template <int OP>
PHILOX_HD void fill_item(const FillJob& j, uint64_t item) {
  constexpr int K = (OP == 1 || OP == 3 || OP == 7 || OP == 10) ? 2 : OP == 11 ? 4 : 1;
  uint64_t row = 0, t = item;
  if (j.rows > 1) {
    row = item / j.tiles;
    t = item - row * j.tiles;
  }
  const uint64_t id = j.ids ? j.ids[row] : j.id;
  const uint64_t rel0 = t * kTileWords;  // first word of the tile, counted from 4 * j.block
  // values with their first word in this tile: i in [i0, i1)
  const uint64_t i0 = rel0 <= j.lane ? 0 : (rel0 - j.lane + K - 1) / K;
  uint64_t i1 = (rel0 + kTileWords - j.lane + K - 1) / K;
  if (i1 > j.n) i1 = j.n;
  if (i0 >= i1) return;
  const uint64_t last = j.lane + i1 * K - 1 - rel0;  // last word needed, relative to the tile
  uint32_t w[kTileWords + 4];
  const uint64_t b = j.block + t * kTileBlocks;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int g = 0; g <= kTileBlocks; ++g)
    if (4 * (uint64_t)g <= last) block_words(w + 4 * g, b + g, id, j.k0, j.k1);
  const uint64_t base = row * j.n;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int q = 0; q < kTileWords; ++q) {
    const uint64_t rw = rel0 + q;
    if (rw < j.lane || (rw - j.lane) % K) continue;
    const uint64_t i = (rw - j.lane) / K;
    if (i < i0 || i >= i1) continue;
    put_value<OP>(j, base + i, w + q);
  }
}

// The job for a draw from word position pos_hi * 2^64 + pos_lo (callers check
// that the draw ends at or before 2^66).
inline FillJob make_fill_job(int op, uint32_t k0, uint32_t k1, uint64_t id, const uint64_t* ids, uint64_t rows,
                             uint64_t pos_hi, uint64_t pos_lo, void* out, uint64_t n, int elem_size, bool affine,
                             double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  FillJob j{};
  j.op = op; j.k0 = k0; j.k1 = k1; j.id = id; j.ids = ids;
  j.block = (pos_hi << 62) | (pos_lo >> 2);
  j.lane = (uint32_t)(pos_lo & 3);
  j.out = out; j.n = n; j.rows = rows;
  j.tiles = tiles_per_row(j.lane, n, op_words(op));
  j.elem_size = elem_size; j.affine = affine; j.a = a; j.b = b; j.c = c; j.ilow = ilow; j.range_m1 = range_m1;
  return j;
}

// Calls f(std::integral_constant<int, OP>) for a run-time op code; false if unknown.
template <class F>
bool with_op(int op, F&& f) {
  switch (op) {
#define PHILOX_OP_CASE(N) case N: f(std::integral_constant<int, N>{}); return true;
    PHILOX_OP_CASE(0) PHILOX_OP_CASE(1) PHILOX_OP_CASE(2) PHILOX_OP_CASE(3) PHILOX_OP_CASE(4)
    PHILOX_OP_CASE(5) PHILOX_OP_CASE(6) PHILOX_OP_CASE(7) PHILOX_OP_CASE(8) PHILOX_OP_CASE(9)
    PHILOX_OP_CASE(10) PHILOX_OP_CASE(11)
#undef PHILOX_OP_CASE
    default: return false;
  }
}

// Stream ids of (parent path, index[i]) for an int64 index (SPEC 3, kind 0).
PHILOX_HD void fold_item(const int64_t* index, uint64_t* out, uint64_t parent, uint64_t i) {
  out[i] = fold(parent, (uint64_t)index[i], 0);
}

}  // namespace gpu
}  // namespace philox
