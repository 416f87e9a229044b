// The fused dropout loop built for the baseline instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA baseline
#include "dropout_impl.h"

namespace philox { namespace cpu {
DropRangeFn drop_range_fn_baseline() { return &baseline::dropout_range; }
}}  // namespace philox::cpu
