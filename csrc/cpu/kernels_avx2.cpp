// The CPU loops built for the avx2 instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA avx2
#include "kernels_impl.h"

namespace philox { namespace cpu {
RangeFn range_fn_avx2() { return &avx2::run_range; }
}}  // namespace philox::cpu
