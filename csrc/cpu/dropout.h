// dropout.h -- the fused CPU dropout kernel (docs/FORMAT.md 18): one pass that draws
// each element's word, compares it with the threshold and writes 0 or x * scale.
// 16-bit inputs: float32(x) * scale rounded to the input's type, in the same pass.
// Words come from the fill kernels of the instruction set chosen at run time (into a
// small buffer that stays in L1); the select-and-scale loop is compiled per
// instruction set (dropout_impl.h as dropout_<isa>.cpp). Values depend on the key and
// the element index only, never on threads or the instruction set.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

namespace philox {
namespace cpu {

struct DropJob {
  uint32_t k0, k1;
  uint64_t id;
  uint64_t position;   // word of element 0 (< 2^64)
  uint64_t threshold;  // element e dropped iff word < threshold (0 < threshold < 2^32)
  float scale;         // float32 1 / (1 - p)
  int dtype;           // x, y: 0 float, 1 double, 2 float16, 3 bfloat16 (bits, uint16_t)
  const void* x;
  void* y;
  size_t n;
};

// y[i] for i in [i0, i1); `words` fills raw words (Op::Raw32 jobs).
using DropRangeFn = void (*)(const DropJob& j, RangeFn words, size_t i0, size_t i1);

// The whole job, threaded for big n.
void dropout_fill(const DropJob& j);

}  // namespace cpu
}  // namespace philox
