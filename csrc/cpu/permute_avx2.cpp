// The bijection's CPU loop built for the avx2 instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA avx2
#include "permute_impl.h"

namespace philox { namespace cpu {
PermRangeFn perm_range_fn_avx2() { return &avx2::perm_range; }
}}  // namespace philox::cpu
