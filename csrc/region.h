// region.h -- which values of a logical tensor a region draw computes, host+device.
//
// A draw of a tensor of n values reads words P .. P + n*K - 1 (value v: words
// P + v*K .. P + v*K + K - 1, row-major order). A region draw computes a block of
// that tensor: its values are the full draw's, so no value depends on the block
// (docs/FORMAT.md, "Regions"). Python (src/philox/_region.py) reduces the block to
// runs of consecutive value indices:
//
//   output element e = r * run_len + i  (i < run_len, r < runs)  is value
//   base + sum_d idx_d(r) * stride[d] + i,
//
// where idx(r) is r written in the mixed radix count[0..ndim-1] (row-major, the
// last dimension fastest). Every backend (the CPU runs, the CUDA kernel and its
// emulator) maps elements to value indices through these functions only.
#pragma once

#include <stdint.h>

#include "philox.h"

namespace philox {

constexpr int kRegionMaxDims = 8;  // outer dimensions after merging (Python splits the rest)

struct Region {
  uint64_t base;     // value index of the block's first element
  uint64_t run_len;  // values per run (> 0)
  uint64_t runs;     // product of count[0 .. ndim-1]
  int ndim;          // outer dimensions, 0 .. kRegionMaxDims
  uint64_t count[kRegionMaxDims];
  uint64_t stride[kRegionMaxDims];  // in values
};

// Value index of run r's first element.
PHILOX_HD uint64_t region_run_start(const Region& g, uint64_t r) {
  uint64_t v = g.base;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const uint64_t c = g.count[d];
    v += (r % c) * g.stride[d];
    r /= c;
  }
  return v;
}

// Value index of output element e.
PHILOX_HD uint64_t region_value_index(const Region& g, uint64_t e) {
  const uint64_t r = e / g.run_len;
  return region_run_start(g, r) + (e - r * g.run_len);
}

// The value indices of consecutive output elements, from element e on, without a division per
// element: region_value_index(g, e), region_value_index(g, e + 1), ... (the run's odometer in the
// mixed radix count[], carried as the last dimension wraps). The CPU's gathered path walks a chunk
// of short runs with it; tests hold it equal to region_value_index through the region draws.
struct RegionCursor {
  uint64_t idx[kRegionMaxDims];  // run r's digits
  uint64_t start;                // region_run_start(g, r)
  uint64_t i;                    // position in the run

  PHILOX_HD RegionCursor(const Region& g, uint64_t e) {
    uint64_t r = e / g.run_len;
    i = e - r * g.run_len;
    start = region_run_start(g, r);
    for (int d = g.ndim - 1; d >= 0; --d) {
      idx[d] = r % g.count[d];
      r /= g.count[d];
    }
  }
  PHILOX_HD uint64_t value() const { return start + i; }
  PHILOX_HD void next(const Region& g) {
    if (++i < g.run_len) return;
    i = 0;
    for (int d = g.ndim - 1; d >= 0; --d) {  // the next run: add one in the mixed radix
      start += g.stride[d];
      if (++idx[d] < g.count[d]) return;
      start -= g.count[d] * g.stride[d];
      idx[d] = 0;
    }
  }
};

// Word position of value v's first word, as (block, lane), for a draw that starts at word
// 4 * block0 + lane0 and takes k words per value (v * k + lane0 < 2^64: the draw's words fit a stream).
PHILOX_HD void region_value_position(uint64_t block0, uint32_t lane0, uint64_t v, int k, uint64_t& block,
                                     uint32_t& lane) {
  const uint64_t rel = (uint64_t)lane0 + v * (uint64_t)k;
  block = block0 + (rel >> 2);
  lane = (uint32_t)(rel & 3);
}

// Host: the region of a draw of n_full values from counts/strides (ndim <= kRegionMaxDims),
// checked to lie inside the draw; returns an error message or "".
inline const char* make_region(uint64_t n_full, uint64_t base, uint64_t run_len, const uint64_t* count,
                               const uint64_t* stride, int ndim, Region& g) {
  if (ndim < 0 || ndim > kRegionMaxDims) return "region: too many dimensions";
  if (!run_len) return "region: run_len must be positive";
  g = Region{};
  g.base = base; g.run_len = run_len; g.ndim = ndim; g.runs = 1;
  unsigned __int128 last = (unsigned __int128)base + run_len - 1, runs = 1;
  for (int d = 0; d < ndim; ++d) {
    g.count[d] = count[d]; g.stride[d] = stride[d];
    runs *= count[d];
    if (count[d]) last += (unsigned __int128)(count[d] - 1) * stride[d];
  }
  if (runs >> 62) return "region: too many values";
  g.runs = (uint64_t)runs;
  if (g.runs && last >= n_full) return "region: values past the end of the draw";
  return "";
}

}  // namespace philox
