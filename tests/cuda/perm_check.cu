// Compile check (tests/test_permutation.py): the keyed bijection and the weighted-choice
// pieces of csrc/philox.h as device code. A CUDA permutation kernel is this one line per thread.
#include "philox.h"
__global__ void perm_kernel(const uint32_t* words, uint64_t n, uint64_t start, uint64_t step, int64_t* out,
                            uint64_t count, const double* prob, const int64_t* alias, double* keys) {
  const uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= count) return;
  const philox::PermKey key = philox::perm_key(n, words);
  out[j] = (int64_t)philox::perm_at(key, start + step * j);
  out[j] += (int64_t)philox::alias_pick(words[0], words[1], words[2], words[3], prob, alias, 7u);
  keys[j] = philox::exp_key(words[0], words[1], prob[0]) + (double)philox::perm_feistel(key, j & 31);
}
