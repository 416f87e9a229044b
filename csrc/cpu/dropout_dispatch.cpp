// dropout_dispatch.cpp -- runs the fused dropout loop of the instruction set that the
// kernels' dispatcher chose (force_isa applies) and splits big jobs across threads in
// contiguous ranges (values never depend on the split).
#include <algorithm>
#include <cstring>

#include "dropout.h"
#include "parallel.h"

namespace philox {
namespace cpu {

DropRangeFn drop_range_fn_baseline();
#if defined(PHILOX_HAVE_X86_ISAS)
DropRangeFn drop_range_fn_avx2();
DropRangeFn drop_range_fn_avx512();
#endif

namespace {

DropRangeFn current_drop_fn() {
  const char* isa = isa_name();
#if defined(PHILOX_HAVE_X86_ISAS)
  if (!std::strcmp(isa, "avx512")) return drop_range_fn_avx512();
  if (!std::strcmp(isa, "avx2")) return drop_range_fn_avx2();
#endif
  (void)isa;
  return drop_range_fn_baseline();
}

constexpr size_t kParallelElems = 1u << 18;  // as the fill kernels' threshold in words
constexpr size_t kAlign = 1024;

}  // namespace

void dropout_fill(const DropJob& j) {
  const DropRangeFn fn = current_drop_fn();
  const RangeFn words = range_fn();
  int t = get_num_threads();
  if (t <= 1 || j.n < kParallelElems) {
    fn(j, words, 0, j.n);
    return;
  }
  t = (int)std::min<size_t>((size_t)t, j.n / (kParallelElems / 2));
  size_t per = (j.n + t - 1) / t;
  per = (per + kAlign - 1) / kAlign * kAlign;
  parallel_ranges(j.n, per, [&](size_t i0, size_t i1) { fn(j, words, i0, i1); });
}

}  // namespace cpu
}  // namespace philox
