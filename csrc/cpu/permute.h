// permute.h -- the CPU backend of the keyed bijection (philox.h, perm_*):
// batched evaluation over arithmetic progressions of indices, vectorized per
// instruction set (permute_impl.h compiled as permute_<isa>.cpp) and split across
// threads. Values depend on the key and the index only, never on the split.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../philox.h"

namespace philox {
namespace cpu {

// out[j] = perm_at(key, start + step * j) for j in [j0, j1); every index is < key.n.
using PermRangeFn = void (*)(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, size_t j0,
                             size_t j1);

// out[j] for j in [0, count), threaded for big counts.
void perm_fill(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, size_t count);

// Single-threaded, on the ISA chosen at run time (for benchmarks of one core).
void perm_fill_1(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, size_t count);

}  // namespace cpu
}  // namespace philox
