// kernels.h -- the CPU backend's interface: fill a buffer with n values of one
// distribution, starting at a word position of one stream.
//
// Ops, their words per value and their values come from csrc/ops.h.
// A job is a plain struct of numbers and a raw output pointer, so the same
// entry points fill numpy arrays and torch CPU tensors in place. Every value
// comes from philox.h; this layer only loops, vectorizes and splits work.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../ops.h"
#include "../region.h"

namespace philox {
namespace cpu {

// A draw: which op (csrc/ops.h's table), from where, into what.
struct Job {
  Op op;
  uint32_t k0, k1;      // key from the seed
  uint64_t id;          // stream id
  uint64_t block;       // position of the first word: block * 4 + lane
  uint32_t lane;        // 0..3
  void* out;            // n elements of the op's output type, contiguous
  size_t n;
  bool fresh;           // out was just allocated (its pages were zeroed by the OS and
                        // are in cache): write it with plain stores, never streaming
  OpArgs args;          // the op's parameters (elem_size, affine, a, b, c, ilow, range_m1)
  // Array parameters (ops.h OpParams), or null: value i of this job takes its OpArgs from element
  // param0 + i of them (run_rows and run_region set param0 per row / run).
  const OpParams* params;
  uint64_t param0;
  // A gathered region draw (run_region with short runs), or null: job.block/lane is then the full
  // draw's first word and element e of the job (e < n, written to out[e]) is value
  // region_value_index(*region, e) of that draw (csrc/region.h), its words from that value's own
  // position; array parameters still read element param0 + e.
  const Region* region;
};

// Fill job.out; splits big jobs across threads. Releases nothing: callers hold no GIL.
void run(const Job& job);

// Fill `rows` rows of job.n values: row r from stream ids[r], all from job's
// position, into (T*)job.out + r * job.n. Threads split the rows (or, for few
// big rows, each row); results never depend on the split.
void run_rows(const Job& job, const uint64_t* ids, size_t rows);

// A region of a draw (csrc/region.h): job's block/lane is the full draw's first word; fills
// region.runs * region.run_len values into job.out (job.n is ignored), run r from the
// position of its first value with the same per-range code as run(). Threads split the
// runs (or, for few long runs, each run); results never depend on the split.
void run_region(const Job& job, const Region& region);

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
