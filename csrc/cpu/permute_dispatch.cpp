// permute_dispatch.cpp -- runs the bijection's loop of the instruction set that
// kernels' dispatcher chose (so force_isa applies to both) and splits big
// batches across threads in contiguous ranges.
#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "permute.h"

namespace philox {
namespace cpu {

PermRangeFn perm_range_fn_baseline();
#if defined(PHILOX_HAVE_X86_ISAS)
PermRangeFn perm_range_fn_avx2();
PermRangeFn perm_range_fn_avx512();
#endif

namespace {

PermRangeFn current_perm_fn() {
  const char* isa = isa_name();
#if defined(PHILOX_HAVE_X86_ISAS)
  if (!std::strcmp(isa, "avx512")) return perm_range_fn_avx512();
  if (!std::strcmp(isa, "avx2")) return perm_range_fn_avx2();
#endif
  (void)isa;
  return perm_range_fn_baseline();
}

// Below this many indices one thread does it all (a thread start costs about
// as much as evaluating this many indices).
constexpr size_t kParallelIndices = 1u << 16;

}  // namespace

void perm_fill_1(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, size_t count) {
  current_perm_fn()(key, start, step, out, 0, count);
}

void perm_fill(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, size_t count) {
  const PermRangeFn fn = current_perm_fn();
  int t = get_num_threads();
  if (t <= 1 || count < kParallelIndices || key.n <= PHILOX_PERM_SMALL_MAX) {
    fn(key, start, step, out, 0, count);
    return;
  }
  t = (int)std::min<size_t>((size_t)t, count / (kParallelIndices / 2));
  parallel_ranges(count, (count + t - 1) / t,
                  [&](size_t i0, size_t i1) { fn(key, start, step, out, i0, i1); });
}

}  // namespace cpu
}  // namespace philox
