// dropout_impl.h -- the fused dropout loop, compiled once per instruction set
// (dropout_<isa>.cpp sets PHILOX_ISA); see dropout.h.
#include <string.h>

#include "dropout.h"

namespace philox {
namespace cpu {
namespace PHILOX_ISA {

constexpr size_t kDropChunk = 1024;  // words per buffer: 4 KiB, in L1

template <class T>
static inline void select_scale(const T* x, T* y, const uint32_t* w, size_t m, uint32_t t, T s) {
  for (size_t i = 0; i < m; ++i) y[i] = w[i] < t ? (T)0 : x[i] * s;  // branch-free select: vectorizes
}

// 16-bit x (float16 / bfloat16 bits): the product in float32, rounded once to the input's type.
template <bool BF16>
static inline void select_scale16(const uint16_t* x, uint16_t* y, const uint32_t* w, size_t m, uint32_t t,
                                  float s) {
  for (size_t i = 0; i < m; ++i) {
    const float v = (BF16 ? bf16_bits_to_f32(x[i]) : f16_bits_to_f32_any(x[i])) * s;
    const uint16_t r = BF16 ? f32_to_bf16_bits_any(v) : f32_to_f16_bits_any(v);
    y[i] = w[i] < t ? (uint16_t)0 : r;
  }
}

void dropout_range(const DropJob& j, RangeFn words, size_t i0, size_t i1) {
  uint32_t w[kDropChunk];
  Job rj{};
  rj.op = Op::Raw32; rj.k0 = j.k0; rj.k1 = j.k1; rj.id = j.id; rj.out = w; rj.fresh = true;
  const uint32_t t = (uint32_t)j.threshold;
  for (size_t c = i0; c < i1; c += kDropChunk) {
    const size_t m = i1 - c < kDropChunk ? i1 - c : kDropChunk;
    const uint64_t rel = (j.position & 3) + c;  // element c's word, past 2^64 too (blocks never wrap)
    rj.block = (j.position >> 2) + (rel >> 2);
    rj.lane = (uint32_t)(rel & 3);
    rj.n = m;
    words(rj, 0, m);
    switch (j.dtype) {
      case 0: select_scale(static_cast<const float*>(j.x) + c, static_cast<float*>(j.y) + c, w, m, t, j.scale); break;
      case 1:
        select_scale(static_cast<const double*>(j.x) + c, static_cast<double*>(j.y) + c, w, m, t, (double)j.scale);
        break;
      case 2:
        select_scale16<false>(static_cast<const uint16_t*>(j.x) + c, static_cast<uint16_t*>(j.y) + c, w, m, t, j.scale);
        break;
      default:
        select_scale16<true>(static_cast<const uint16_t*>(j.x) + c, static_cast<uint16_t*>(j.y) + c, w, m, t, j.scale);
        break;
    }
  }
}

}  // namespace PHILOX_ISA
}  // namespace cpu
}  // namespace philox
