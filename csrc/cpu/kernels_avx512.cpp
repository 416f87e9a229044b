// The CPU loops built for the avx512 instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA avx512
#include "kernels_impl.h"

namespace philox { namespace cpu {
RangeFn range_fn_avx512() { return &avx512::run_range; }
}}  // namespace philox::cpu
