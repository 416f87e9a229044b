// permute_impl.h -- the bijection's batched CPU loop, compiled once per
// instruction set (permute_<isa>.cpp sets PHILOX_ISA; flags in CMakeLists.txt).
//
// A chunk of indices is split into its two Feistel halves, stored as two uint32
// arrays; each round is then one loop over the chunk that calls philox.h's
// perm_round and that the compiler vectorizes (8 lanes with AVX2). Cycle
// walking runs the rounds again over the indices still >= n, gathered into a
// dense list (about half of them at worst, then a quarter, ...).
#include "../philox.h"
#include "permute.h"

namespace philox {
namespace cpu {
namespace PHILOX_ISA {

constexpr size_t kPermChunk = 1024;

// Feistel rounds over m lanes: hi/lo hold the halves (widths wl/wr) and are
// updated in place; on return the high half is in *hi_out and has width *w_hi.
static inline void feistel_soa(const PermKey& key, uint32_t* __restrict a, uint32_t* __restrict b, size_t m,
                               uint32_t** hi_out, uint32_t** lo_out, uint32_t* wlo_out) {
  uint32_t wa = key.wl, wb = key.wr;  // a: high half, b: low half
  for (int j = 0; j < PHILOX_PERM_ROUNDS; ++j) {
    const uint32_t k = key.k[j];
    for (size_t i = 0; i < m; ++i) a[i] = perm_round(a[i], b[i], k, wa);
    uint32_t* t = a; a = b; b = t;   // the old low half becomes the high half
    const uint32_t tw = wa; wa = wb; wb = tw;
  }
  *hi_out = a; *lo_out = b; *wlo_out = wb;
}

static void perm_range(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, size_t j0, size_t j1) {
  if (key.n <= PHILOX_PERM_SMALL_MAX) {
    for (size_t j = j0; j < j1; ++j) out[j] = (int64_t)perm_small_at(key.lehmer, key.n, start + step * j);
    return;
  }
  alignas(64) uint32_t h0[kPermChunk], l0[kPermChunk];
  uint32_t pend[kPermChunk];
  const uint32_t wr = key.wr;
  const uint64_t lo_mask = ((uint64_t)1 << wr) - 1, n = key.n;
  for (size_t c0 = j0; c0 < j1; c0 += kPermChunk) {
    const size_t m = (j1 - c0 < kPermChunk) ? (j1 - c0) : kPermChunk;
    for (size_t i = 0; i < m; ++i) {
      const uint64_t x = start + step * (c0 + i);
      h0[i] = (uint32_t)(x >> wr);
      l0[i] = (uint32_t)(x & lo_mask);
    }
    uint32_t *hi, *lo, wlo;
    feistel_soa(key, h0, l0, m, &hi, &lo, &wlo);
    int64_t* o = out + c0;
    size_t np = 0;
    for (size_t i = 0; i < m; ++i) {  // branch-free: every lane is written, the pending ones again later
      const uint64_t y = ((uint64_t)hi[i] << wlo) | lo[i];
      o[i] = (int64_t)y;
      pend[np] = (uint32_t)i;
      np += y >= n;
    }
    // cycle walking: the lanes still out of range, densely packed (their values in o[])
    alignas(64) uint32_t ph[kPermChunk], pl[kPermChunk];
    while (np) {
      for (size_t t = 0; t < np; ++t) {
        const uint64_t x = (uint64_t)o[pend[t]];
        ph[t] = (uint32_t)(x >> wr);
        pl[t] = (uint32_t)(x & lo_mask);
      }
      feistel_soa(key, ph, pl, np, &hi, &lo, &wlo);
      size_t np2 = 0;
      for (size_t t = 0; t < np; ++t) {
        const uint64_t y = ((uint64_t)hi[t] << wlo) | lo[t];
        o[pend[t]] = (int64_t)y;
        pend[np2] = pend[t];
        np2 += y >= n;
      }
      np = np2;
    }
  }
}

}  // namespace PHILOX_ISA
}  // namespace cpu
}  // namespace philox
