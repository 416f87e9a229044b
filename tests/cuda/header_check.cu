// Compile check (tests/test_header_nvcc.py): the core header is the very same
// code on the device; every conversion is used once so nvcc sees all of it.
#include "philox.h"
__global__ void k(float* o, double* d, unsigned short* h, unsigned long long* u, unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  uint32_t x0 = i, x1 = 0, x2 = 1, x3 = 2;
  philox::philox4x32_10(x0, x1, x2, x3, 5, 6);
  o[i] = philox::normal_f32(x0) + philox::u01_f32(x1) + philox::uniform_f32(x2, -1.f, 2.f, 1.9f);
  d[i] = philox::normal_f64(x0, x1) + philox::u01_f64(x2, x3) + philox::normal_affine(philox::normal_f64(x0, x1), 1.0, 2.0);
  h[i] = philox::u01_f16_bits(x0) ^ philox::u01_bf16_bits(x1) ^ philox::f32_to_f16_bits(o[i]) ^ philox::uniform_bf16_bits(x2, 0.f, 1.f, 0x3f7f);
  u[i] = philox::bounded_small(x0, x1, 999u) + philox::bounded_large(x0, x1, x2, x3, 1ull << 40) + philox::fold(i, 7, 1);
}
