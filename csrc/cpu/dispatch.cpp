// dispatch.cpp -- picks the instruction set once at run time and splits big jobs
// across threads. Each thread fills a contiguous range of values whose words it
// computes from the position alone, so results never depend on the split.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "../philox.h"
#include "kernels.h"
#include "parallel.h"

namespace philox {
namespace cpu {

RangeFn range_fn_baseline();
#if defined(PHILOX_HAVE_X86_ISAS)
RangeFn range_fn_avx2();
RangeFn range_fn_avx512();
#endif

namespace {

struct Isa {
  const char* name;
  RangeFn fn;
};

Isa detect() {
#if defined(PHILOX_HAVE_X86_ISAS)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return {"avx512", range_fn_avx512()};
  if (__builtin_cpu_supports("avx2")) return {"avx2", range_fn_avx2()};
#endif
  return {"baseline", range_fn_baseline()};
}

Isa& current() {
  static Isa isa = detect();
  return isa;
}

int default_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? (int)std::min(hw, 16u) : 1;
}

std::atomic<int> g_threads{default_threads()};

// Below this many words a job runs on the calling thread: starting threads
// costs tens of microseconds, about what 2^17 words take on one core.
constexpr uint64_t kParallelWords = 1u << 18;
// Thread ranges start at multiples of this many values (keeps chunks whole).
constexpr size_t kAlign = 1024;

// Runs of at most this many values go through the gathered path (kernels.h Job::region): 32, or
// 64 for ops of 4 words or more. A run as a job of its own sets up a chunk and its conversion per
// run and computes a run shorter than a SIMD batch of blocks one block at a time. Measured (one
// thread, AVX-512, ns per value, runs path vs gathered): rand f32 runs of 128 values 0.42 vs 1.9,
// randn f64 of 64 values 4.6 vs 5.2, binomial(20, .3) of 64 values 10.5 vs 10.5, beta(2, 3) of
// 64 values 22 vs 17.5, of 16 values 46 vs 17.5.
static inline bool gather_runs(uint64_t run_len, int k) { return run_len <= (k >= 4 ? 64u : 32u); }

}  // namespace

void run(const Job& job) {
  const RangeFn fn = current().fn;
  const uint64_t words = (uint64_t)job.n * (uint64_t)op_words((int)job.op);
  int t = g_threads.load(std::memory_order_relaxed);
  if (t <= 1 || words < kParallelWords) {
    fn(job, 0, job.n);
    return;
  }
  t = (int)std::min<uint64_t>((uint64_t)t, words / (kParallelWords / 2));
  size_t per = (job.n + t - 1) / t;
  per = (per + kAlign - 1) / kAlign * kAlign;
  parallel_ranges(job.n, per, [&](size_t i0, size_t i1) { fn(job, i0, i1); });
}

void run_rows(const Job& job, const uint64_t* ids, size_t rows) {
  const uint64_t row_words = (uint64_t)job.n * (uint64_t)op_words((int)job.op);
  const int bytes = op_value_bytes((int)job.op, job.args.elem_size);
  auto row_job = [&](size_t r) {
    Job j = job;
    j.id = ids[r];
    j.out = static_cast<char*>(job.out) + r * job.n * (size_t)bytes;
    j.param0 = job.param0 + (uint64_t)r * job.n;  // array parameters: the row's elements
    return j;
  };
  int t = g_threads.load(std::memory_order_relaxed);
  if (rows <= 1 || row_words >= kParallelWords || t <= 1 || row_words * rows < kParallelWords) {
    for (size_t r = 0; r < rows; ++r) run(row_job(r));  // big rows thread inside run()
    return;
  }
  const RangeFn fn = current().fn;
  t = (int)std::min<uint64_t>((uint64_t)t, std::min<uint64_t>(rows, row_words * rows / (kParallelWords / 2)));
  auto work = [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const Job j = row_job(r);
      fn(j, 0, j.n);
    }
  };
  parallel_ranges(rows, (rows + t - 1) / t, work);
}

void run_region(const Job& job, const Region& g) {
  if (!g.runs || !g.run_len) return;
  const int k = op_words((int)job.op);
  const int bytes = op_value_bytes((int)job.op, job.args.elem_size);
  if (g.runs > 1 && gather_runs(g.run_len, k)) {
    // short runs: one gathered job over all elements (kernels.h Job::region), split by elements
    Job j = job;
    j.region = &g;
    j.n = (size_t)(g.runs * g.run_len);
    run(j);  // threads split the elements; each value from its own position
    return;
  }
  auto run_job = [&](uint64_t r) {  // run r: a plain job of run_len values from its own position
    Job j = job;
    region_value_position(job.block, job.lane, region_run_start(g, r), k, j.block, j.lane);
    j.out = static_cast<char*>(job.out) + (size_t)(r * g.run_len) * (size_t)bytes;
    j.param0 = job.param0 + r * g.run_len;  // array parameters: the run's elements
    j.n = (size_t)g.run_len;
    return j;
  };
  const uint64_t run_words = g.run_len * (uint64_t)k;
  int t = g_threads.load(std::memory_order_relaxed);
  if (g.runs == 1 || run_words >= kParallelWords || t <= 1 || run_words * g.runs < kParallelWords) {
    for (uint64_t r = 0; r < g.runs; ++r) run(run_job(r));  // long runs thread inside run()
    return;
  }
  const RangeFn fn = current().fn;
  t = (int)std::min<uint64_t>((uint64_t)t, std::min<uint64_t>(g.runs, run_words * g.runs / (kParallelWords / 2)));
  auto work = [&](size_t r0, size_t r1) {
    for (uint64_t r = r0; r < r1; ++r) {
      const Job j = run_job(r);
      fn(j, 0, j.n);
    }
  };
  // parallel.h: a worker thread that cannot be created leaves its runs to this thread
  parallel_ranges((size_t)g.runs, (size_t)((g.runs + t - 1) / t), work);
}

RangeFn range_fn() { return current().fn; }

void set_num_threads(int n) { g_threads.store(n < 1 ? 1 : n); }
int get_num_threads() { return g_threads.load(); }
const char* isa_name() { return current().name; }

bool force_isa(const char* name) {
  Isa best = detect();
  if (!std::strcmp(name, "baseline")) { current() = {"baseline", range_fn_baseline()}; return true; }
#if defined(PHILOX_HAVE_X86_ISAS)
  if (!std::strcmp(name, "avx2") && (!std::strcmp(best.name, "avx2") || !std::strcmp(best.name, "avx512"))) {
    current() = {"avx2", range_fn_avx2()};
    return true;
  }
  if (!std::strcmp(name, "avx512") && !std::strcmp(best.name, "avx512")) { current() = best; return true; }
#endif
  if (!std::strcmp(name, "auto")) { current() = best; return true; }
  return false;
}

void philox4x32_batch(const uint32_t* ctr, const uint32_t* key, uint32_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t x0 = ctr[4 * i], x1 = ctr[4 * i + 1], x2 = ctr[4 * i + 2], x3 = ctr[4 * i + 3];
    philox4x32_10(x0, x1, x2, x3, key[2 * i], key[2 * i + 1]);
    out[4 * i] = x0; out[4 * i + 1] = x1; out[4 * i + 2] = x2; out[4 * i + 3] = x3;
  }
}

}  // namespace cpu
}  // namespace philox
