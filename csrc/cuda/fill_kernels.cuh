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
// The kernel (fill_kernels.cu) is a grid-stride loop over chunks of items, each
// staged in shared memory (stage_item) and written out coalesced (flush_chunk);
// the CPU module compiles this same header into an emulator
// (_core._emulate_gpu_fill) that runs that loop for a given grid and block size
// (or the plain per-item loop, fill_item), so CI without a GPU checks this exact
// code against the CPU kernels.
// The word loop below is unrolled with compile-time indexes: the tile's words
// stay in registers on the device (no local memory).
#pragma once

#include <stdint.h>

#include <type_traits>

#include "../ops.h"

namespace philox {
namespace gpu {

constexpr int kTileBlocks = 4;                 // G: Philox blocks per work item
constexpr int kTileWords = 4 * kTileBlocks;

// One draw: `rows` rows of `n` values, row r from stream ids[r] (or `id` when ids
// is null), every row from word position 4*block + lane; row r's values go to
// out[r*n .. r*n + n - 1]. Ops and their parameters: csrc/ops.h's table.
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
  OpArgs args;
};

// Items per row: tiles up to the one holding the first word of the last value.
PHILOX_HD uint64_t tiles_per_row(uint32_t lane, uint64_t n, int k) {
  return n ? (lane + (n - 1) * (uint64_t)k) / kTileWords + 1 : 0;
}

// Byte offset of element e (of `bytes` bytes) in a staging buffer: after every 128
// bytes comes a pad of max(4, bytes) bytes, so that threads writing their tiles
// (64 bytes apart) hit different shared-memory banks, and 8-byte values stay aligned.
PHILOX_HD uint64_t stage_offset(uint64_t e, uint64_t bytes) {
  const uint64_t b = e * bytes;
  return b + (b >> 7) * (bytes > 4 ? bytes : 4);
}

// Element o of dst (the output, or with staged a staging buffer) = v.
template <class T>
PHILOX_HD void put(void* dst, uint64_t o, bool staged, T v) {
  if (staged)
    *reinterpret_cast<T*>(static_cast<unsigned char*>(dst) + stage_offset(o, sizeof(T))) = v;
  else
    static_cast<T*>(dst)[o] = v;
}

// Value o of `dst` (the output, or a block's staging buffer) from the words w[0 .. K-1]:
// the table's value function, stored as the op's store type (csrc/ops.h).
// Value i of the row of stream `id` (its first word at 4 * j.block + j.lane + i * K), so
// rejection samplers can finish from their retry streams (op_value_at, FORMAT 13.1).
template <int OP>
PHILOX_HD void put_value(const FillJob& j, void* dst, uint64_t o, bool staged, const uint32_t* w, uint64_t id,
                         uint64_t i) {
  const auto v = op_value_at<OP>(j.args, w, j.k0, j.k1, id,
                                 j.block + (((uint64_t)j.lane + i * (uint64_t)OpTraits<OP>::K) >> 2));
  with_store_type<OP>(j.args.elem_size, [&](auto store) { put<decltype(store)>(dst, o, staged, (decltype(store))v); });
}

// Row and tile of a work item, and its values: i in [i0, i1) of that row (i0 >= i1: none).
struct ItemSpan {
  uint64_t row, tile, i0, i1;
};

template <int K>
PHILOX_HD ItemSpan item_span(const FillJob& j, uint64_t item) {
  ItemSpan s;
  s.row = 0;
  s.tile = item;
  if (j.rows > 1) {
    s.row = item / j.tiles;
    s.tile = item - s.row * j.tiles;
  }
  const uint64_t rel0 = s.tile * kTileWords;  // first word of the tile, counted from 4 * j.block
  s.i0 = rel0 <= j.lane ? 0 : (rel0 - j.lane + K - 1) / K;
  s.i1 = (rel0 + kTileWords - j.lane + K - 1) / K;
  if (s.i1 > j.n) s.i1 = j.n;
  return s;
}

// Index in the whole output (row * n + i) of the first value of `item`; rows * n for item = all items.
template <int K>
PHILOX_HD uint64_t item_first_value(const FillJob& j, uint64_t item) {
  if (item >= j.rows * j.tiles) return j.rows * j.n;
  const ItemSpan s = item_span<K>(j, item);
  return s.row * j.n + s.i0;
}

// Work item `item` (< rows * tiles): computes its tile's blocks and writes its values to
// dst[row * n + i - dst_base] (dst_base 0 and dst = out: straight to the output).
template <int OP>
PHILOX_HD void fill_item_to(const FillJob& j, uint64_t item, void* dst, uint64_t dst_base, bool staged) {
  constexpr int K = OpTraits<OP>::K;
  const ItemSpan sp = item_span<K>(j, item);
  if (sp.i0 >= sp.i1) return;
  const uint64_t id = j.ids ? j.ids[sp.row] : j.id;
  const uint64_t rel0 = sp.tile * kTileWords;
  const uint64_t last = j.lane + sp.i1 * K - 1 - rel0;  // last word needed, relative to the tile
  uint32_t w[kTileWords + 4];
  const uint64_t b = j.block + sp.tile * kTileBlocks;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int g = 0; g <= kTileBlocks; ++g)
    if (4 * (uint64_t)g <= last) stream_block(w + 4 * g, b + g, id, j.k0, j.k1);
  const uint64_t base = sp.row * j.n - dst_base;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int q = 0; q < kTileWords; ++q) {
    const uint64_t rw = rel0 + q;
    if (rw < j.lane || (rw - j.lane) % K) continue;
    const uint64_t i = (rw - j.lane) / K;
    if (i < sp.i0 || i >= sp.i1) continue;
    put_value<OP>(j, dst, base + i, staged, w + q, id, i);
  }
}

template <int OP>
PHILOX_HD void fill_item(const FillJob& j, uint64_t item) {
  fill_item_to<OP>(j, item, j.out, 0, false);
}

// Staged writes, for coalesced stores. A thread block takes the items
// [chunk, chunk + nthreads): their values are one contiguous run of the output
// (items and output are both row-major), so each thread first writes its
// tile's values into the block's staging buffer (stage_item), and after a
// barrier the threads copy the run out with consecutive threads on consecutive
// elements (flush_chunk). A tile holds 16 / K values of at most 4 (K = 1) or
// 8 bytes (K >= 2): 64 bytes per thread at most, plus the bank padding
// (stage_offset: 8 bytes per 128).
constexpr int kStageBytesPerThread = 64 + 4;

template <int OP>
PHILOX_HD void stage_item(const FillJob& j, uint64_t chunk, uint32_t tx, void* stage) {
  const uint64_t items = j.rows * j.tiles;
  if (chunk + tx < items) fill_item_to<OP>(j, chunk + tx, stage, item_first_value<OpTraits<OP>::K>(j, chunk), true);
}

template <class T>
PHILOX_HD void copy_run(void* out, const void* stage, uint64_t first, uint64_t count, uint32_t tx, uint32_t nthreads) {
  T* o = static_cast<T*>(out) + first;
  const unsigned char* st = static_cast<const unsigned char*>(stage);
  for (uint64_t e = tx; e < count; e += nthreads) o[e] = *reinterpret_cast<const T*>(st + stage_offset(e, sizeof(T)));
}

template <int OP>
PHILOX_HD void flush_chunk(const FillJob& j, uint64_t chunk, uint32_t tx, uint32_t nthreads, const void* stage) {
  constexpr int K = OpTraits<OP>::K;
  const uint64_t first = item_first_value<K>(j, chunk);
  const uint64_t count = item_first_value<K>(j, chunk + nthreads) - first;
  switch (op_value_bytes(j.op, j.args.elem_size)) {
    case 1: copy_run<uint8_t>(j.out, stage, first, count, tx, nthreads); break;
    case 2: copy_run<uint16_t>(j.out, stage, first, count, tx, nthreads); break;
    case 4: copy_run<uint32_t>(j.out, stage, first, count, tx, nthreads); break;
    default: copy_run<uint64_t>(j.out, stage, first, count, tx, nthreads); break;
  }
}

// The job for a draw from word position pos_hi * 2^64 + pos_lo (callers check
// that the op is known and that the draw ends at or before 2^66).
inline FillJob make_fill_job(int op, uint32_t k0, uint32_t k1, uint64_t id, const uint64_t* ids, uint64_t rows,
                             uint64_t pos_hi, uint64_t pos_lo, void* out, uint64_t n, const OpArgs& args) {
  FillJob j{};
  j.op = op; j.k0 = k0; j.k1 = k1; j.id = id; j.ids = ids;
  j.block = (pos_hi << 62) | (pos_lo >> 2);
  j.lane = (uint32_t)(pos_lo & 3);
  j.out = out; j.n = n; j.rows = rows;
  j.tiles = tiles_per_row(j.lane, n, op_words(op));
  j.args = args;
  return j;
}

// Stream ids of (parent path, index[i]) for an int64 index (SPEC 3, kind 0).
PHILOX_HD void fold_item(const int64_t* index, uint64_t* out, uint64_t parent, uint64_t i) {
  out[i] = fold(parent, (uint64_t)index[i], 0);
}

}  // namespace gpu
}  // namespace philox
