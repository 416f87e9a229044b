// The fused dropout loop built for the avx512 instruction set (flags in CMakeLists.txt).
#define PHILOX_ISA avx512
#include "dropout_impl.h"

namespace philox { namespace cpu {
DropRangeFn drop_range_fn_avx512() { return &avx512::dropout_range; }
}}  // namespace philox::cpu
