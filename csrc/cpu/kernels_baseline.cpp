// The CPU loops built for the baseline instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA baseline
#include "kernels_impl.h"

namespace philox { namespace cpu {
RangeFn range_fn_baseline() { return &baseline::run_range; }
}}  // namespace philox::cpu
