// The bijection's CPU loop built for the baseline instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA baseline
#include "permute_impl.h"

namespace philox { namespace cpu {
PermRangeFn perm_range_fn_baseline() { return &baseline::perm_range; }
}}  // namespace philox::cpu
