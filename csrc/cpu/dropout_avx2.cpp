// The fused dropout loop built for the avx2 instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA avx2
#include "dropout_impl.h"

namespace philox { namespace cpu {
DropRangeFn drop_range_fn_avx2() { return &avx2::dropout_range; }
}}  // namespace philox::cpu
