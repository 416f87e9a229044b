// The bijection's CPU loop built for the avx512 instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA avx512
#include "permute_impl.h"

namespace philox { namespace cpu {
PermRangeFn perm_range_fn_avx512() { return &avx512::perm_range; }
}}  // namespace philox::cpu
