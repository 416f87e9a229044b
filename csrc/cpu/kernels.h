// kernels.h -- the CPU backend's interface: fill a buffer with n values of one
// distribution, starting at a word position of one stream.
//
// A job is a plain struct of numbers and a raw output pointer, so the same
// entry points fill numpy arrays and torch CPU tensors in place. Every value
// comes from philox.h; this layer only loops, vectorizes and splits work.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace philox {
namespace cpu {

// Which distribution a job draws and how its output is laid out.
enum class Op : int {
  Raw32 = 0,      // uint32 words                               (1 word)
  Raw64 = 1,      // uint64 = first + 2^32 second               (2 words)
  UniformF32 = 2, // float32 [0,1) or [low, high)               (1 word)
  UniformF64 = 3, // float64                                    (2 words)
  UniformF16 = 4, // float16 bits                               (1 word)
  UniformBF16 = 5,// bfloat16 bits                              (1 word)
  NormalF32 = 6,  // float32 N(mean, std)                       (1 word)
  NormalF64 = 7,  // float64                                    (2 words)
  NormalF16 = 8,  // float16 bits, computed in float32          (1 word)
  NormalBF16 = 9, // bfloat16 bits, computed in float32         (1 word)
  IntSmall = 10,  // integer low + [0, r), r <= 2^32             (2 words)
  IntLarge = 11,  // integer low + [0, r), 2^32 < r <= 2^64      (4 words)
};

struct Job {
  Op op;
  uint32_t k0, k1;      // key from the seed
  uint64_t id;          // stream id
  uint64_t block;       // position of the first word: block * 4 + lane
  uint32_t lane;        // 0..3
  void* out;            // n elements of the op's output type, contiguous
  size_t n;
  int elem_size;        // integer ops: bytes per output element (1, 2, 4, 8)
  bool affine;          // float ops: apply low/high (uniform) or mean/std (normal)
  bool fresh;           // out was just allocated (its pages were zeroed by the OS and
                        // are in cache): write it with plain stores, never streaming
  double a, b, c;       // uniform: low, high, largest output value below high
                        // (bits, for 16-bit outputs); normal: mean, std
  uint64_t ilow;        // integer ops: low as two's complement bits
  uint64_t range_m1;    // integer ops: r - 1
};

// Words each value of op takes.
int words_per_value(Op op);

// Fill job.out; splits big jobs across threads. Releases nothing: callers hold no GIL.
void run(const Job& job);

// Fill `rows` rows of job.n values: row r from stream ids[r], all from job's
// position, into (T*)job.out + r * job.n. Threads split the rows (or, for few
// big rows, each row); results never depend on the split.
void run_rows(const Job& job, const uint64_t* ids, size_t rows);

// Threads used for big jobs (>= 1); results never depend on it.
void set_num_threads(int n);
int get_num_threads();

// Name of the instruction set chosen at run time ("avx512", "avx2", "baseline").
const char* isa_name();
// Force an instruction set (for tests and benchmarks); returns false if unsupported.
bool force_isa(const char* name);

// Philox4x32-10 on n (counter, key) pairs: ctr[4n], key[2n] -> out[4n].
void philox4x32_batch(const uint32_t* ctr, const uint32_t* key, uint32_t* out, size_t n);

// Per-ISA entry point: fills values [i0, i1) of the job.
using RangeFn = void (*)(const Job&, size_t i0, size_t i1);

// The entry point of the instruction set chosen at run time (single-threaded).
RangeFn range_fn();

}  // namespace cpu
}  // namespace philox
