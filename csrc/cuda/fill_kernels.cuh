// fill_kernels.cuh -- the per-thread work of the CUDA backend, host+device.
//
// A draw is split into work items: item (row r, tile t) computes the Philox
// blocks [block + t*G, block + (t+1)*G) of row r's stream (G = kTileBlocks) and
// writes every value whose *first* word lies in them (plus the blocks that the
// last such value straddles into: one for values of 2 to 5 words, two for 6 to 9).
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
#include "../region.h"

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
  // Keyed draws (philox.functional): when set, a pointer (device memory on the GPU) to three
  // words {seed, stream id, word position} that replace k0/k1, id and block/lane at run
  // time (keyed_job), so a captured launch reads a key advanced on the device. The
  // launcher then sizes the grid for the worst lane (tiles_per_row(3, ...)).
  const uint64_t* key;
  // Array parameters (ops.h OpParams, device memory on the GPU; docs/FORMAT.md 23) when
  // per_elem: value i of row r takes its OpArgs from element r * n + i.
  bool per_elem;
  OpParams params;
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
// rejection samplers can finish from their retry streams (op_value_at, FORMAT 19.1).
// e: the value's index in the whole output (row * n + i), for array parameters.
template <int OP>
PHILOX_HD void put_value(const FillJob& j, void* dst, uint64_t o, bool staged, const uint32_t* w, uint64_t id,
                         uint64_t i, uint64_t e) {
  const auto v = op_value_at<OP>(j.per_elem ? op_args_at(j.args, j.params, e) : j.args, w, j.k0, j.k1, id,
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
  // the tile's blocks, and those that the words of its last value run into (K - 1 words past the tile
  // at most: one block for K <= 5, two for K <= 9)
  constexpr int kTail = (K + 2) / 4 > 0 ? (K + 2) / 4 : 1;
  uint32_t w[kTileWords + 4 * kTail];
  const uint64_t b = j.block + sp.tile * kTileBlocks;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int g = 0; g < kTileBlocks + kTail; ++g)
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
    put_value<OP>(j, dst, base + i, staged, w + q, id, i, sp.row * j.n + i);
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

// ---------------------------------------------------------------- regions
// A region draw (csrc/region.h): output element r * run_len + j is value
// region_run_start(r) + j of the full draw that starts at word 4 * block + lane. Work item
// (run r, tile t) computes Philox block t of run r (counted from the block holding the run's
// first word) and writes the run's values whose first word lies in it: up to 4 / K values
// (plus the blocks the last one straddles into: one for K = 2 .. 5, two for K = 6 .. 9). Items per run:
// region_tiles (the most any run's lane needs; a run whose lane needs fewer has an empty last
// item). Which thread runs which item never changes a value.
struct RegionJob {
  int op;
  uint32_t k0, k1;
  uint64_t id;
  uint64_t block;
  uint32_t lane;
  void* out;
  Region region;
  uint64_t tiles;  // work items per run (region_tiles)
  OpArgs args;
  // Array parameters, as FillJob's: output element r * run_len + i takes element r * run_len + i.
  bool per_elem;
  OpParams params;
};

// A fill or region job with array parameters q.
template <class J>
PHILOX_HD void set_params(J& j, const OpParams& q) {
  j.per_elem = true;
  j.params = q;
}

// Items per run of run_len values of k words: blocks up to the one holding the first word of
// the last value when the run starts at lane 3.
PHILOX_HD uint64_t region_tiles(uint64_t run_len, int k) {
  return run_len ? ((3 + (run_len - 1) * (uint64_t)k) >> 2) + 1 : 0;
}

// Work items of a region job.
PHILOX_HD uint64_t region_items(const RegionJob& j) { return j.region.runs * j.tiles; }

template <int OP>
PHILOX_HD void region_item(const RegionJob& j, uint64_t item) {
  constexpr int K = OpTraits<OP>::K;
  const uint64_t r = item / j.tiles, t = item - r * j.tiles;
  uint64_t b;
  uint32_t lane;
  region_value_position(j.block, j.lane, region_run_start(j.region, r), K, b, lane);
  const uint64_t w0 = 4 * t;  // the tile's first word, counted from the run's block
  const uint64_t i0 = w0 <= lane ? 0 : (w0 - lane + K - 1) / K;
  uint64_t i1 = (w0 + 4 - lane + K - 1) / K;
  if (i1 > j.region.run_len) i1 = j.region.run_len;
  if (i0 >= i1) return;
  // the block, and those the last value's words run into (from word lane <= 3: (K + 2) / 4 more)
  constexpr int kBlocks = (K + 2) / 4 + 1 > 2 ? (K + 2) / 4 + 1 : 2;
  uint32_t w[4 * kBlocks];
  stream_block(w, b + t, j.id, j.k0, j.k1);
  for (int g = 1; g < kBlocks; ++g)
    if (lane + i1 * K > w0 + 4 * (uint64_t)g) stream_block(w + 4 * g, b + t + g, j.id, j.k0, j.k1);  // it straddles
  const uint64_t base = r * j.region.run_len;
  for (uint64_t i = i0; i < i1; ++i) {
    // rejection samplers finish from the retry stream of the value's own first word (FORMAT 19.1)
    const auto v = op_value_at<OP>(j.per_elem ? op_args_at(j.args, j.params, base + i) : j.args,
                                   w + (lane + i * K - w0), j.k0, j.k1, j.id, b + ((lane + i * K) >> 2));
    with_store_type<OP>(j.args.elem_size,
                        [&](auto store) { put<decltype(store)>(j.out, base + i, false, (decltype(store))v); });
  }
}

// The job for a region of a draw from word position pos_hi * 2^64 + pos_lo (callers check the
// op, the span and the region: make_region).
inline RegionJob make_region_job(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo,
                                 void* out, const Region& g, const OpArgs& args) {
  RegionJob j{};
  j.op = op; j.k0 = k0; j.k1 = k1; j.id = id;
  j.block = (pos_hi << 62) | (pos_lo >> 2);
  j.lane = (uint32_t)(pos_lo & 3);
  j.out = out; j.region = g;
  j.tiles = region_tiles(g.run_len, op_words(op));
  j.args = args;
  return j;
}

// The job with its device-side key applied (keyed draws; a no-op without one): the key's
// seed S gives (k0, k1) = (S mod 2^32, S >> 32), its position p (< 2^64) gives block p / 4
// and lane p mod 4, and `tiles` shrinks to the true count for that lane (<= the launch's).
PHILOX_HD FillJob keyed_job(const FillJob& in) {
  if (!in.key) return in;
  FillJob j = in;
  const uint64_t seed = in.key[0], pos = in.key[2];
  j.k0 = (uint32_t)seed; j.k1 = (uint32_t)(seed >> 32);
  j.id = in.key[1];
  j.block = pos >> 2;
  j.lane = (uint32_t)(pos & 3);
  j.tiles = tiles_per_row(j.lane, j.n, op_words(j.op));
  return j;
}

// ------------------------------------------------------------------ fused dropout
// Keyed dropout (docs/FORMAT.md 18) of n contiguous values x -> y: element e is 0 when
// word position + e of stream (seed, id) is below `threshold`, else x[e] * scale (float32
// scale; 16-bit values computed in float32). The key {seed, id, position} is read from
// `key` (device memory on the GPU), so nothing about it is known when launching. Work
// item k computes one Philox block, block (position / 4) + k, and writes the elements
// whose words it holds.
struct DropJob {
  const uint64_t* key;
  uint64_t threshold;  // in (0, 2^32)
  float scale;
  int dtype;           // 0 float32, 1 float64, 2 float16, 3 bfloat16
  const void* x;
  void* y;
  uint64_t n;
};

// Items covering n elements from any lane (the lane is known on the device only).
PHILOX_HD uint64_t drop_items(uint64_t n) { return n ? (n + 2) / 4 + 1 : 0; }

PHILOX_HD void drop_item(const DropJob& j, uint64_t k) {
  const uint64_t seed = j.key[0], id = j.key[1], pos = j.key[2];
  const uint64_t lane = pos & 3;
  if (4 * k >= j.n + lane) return;  // no element of this block
  uint32_t w[4];
  stream_block(w, (pos >> 2) + k, id, (uint32_t)seed, (uint32_t)(seed >> 32));
  for (int q = 0; q < 4; ++q) {
    if (4 * k + q < lane) continue;
    const uint64_t e = 4 * k + q - lane;
    if (e >= j.n) break;
    const bool drop = w[q] < j.threshold;
    switch (j.dtype) {
      case 0: static_cast<float*>(j.y)[e] = drop ? 0.0f : static_cast<const float*>(j.x)[e] * j.scale; break;
      case 1:
        static_cast<double*>(j.y)[e] = drop ? 0.0 : static_cast<const double*>(j.x)[e] * (double)j.scale;
        break;
      case 2:
        static_cast<uint16_t*>(j.y)[e] = drop ? (uint16_t)0
            : f32_to_f16_bits_any(f16_bits_to_f32_any(static_cast<const uint16_t*>(j.x)[e]) * j.scale);
        break;
      default:
        static_cast<uint16_t*>(j.y)[e] = drop ? (uint16_t)0
            : f32_to_bf16_bits_any(bf16_bits_to_f32(static_cast<const uint16_t*>(j.x)[e]) * j.scale);
        break;
    }
  }
}

// Stream ids of (parent path, index[i]) for an int64 index (SPEC 3, kind 0).
PHILOX_HD void fold_item(const int64_t* index, uint64_t* out, uint64_t parent, uint64_t i) {
  out[i] = fold(parent, (uint64_t)index[i], 0);
}

}  // namespace gpu
}  // namespace philox
