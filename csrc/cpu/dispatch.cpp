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
  std::vector<std::thread> pool;
  pool.reserve(t);
  size_t i0 = per;  // the calling thread takes [0, per)
  for (; i0 < job.n; i0 += per) {
    const size_t i1 = std::min(job.n, i0 + per);
    pool.emplace_back(fn, std::cref(job), i0, i1);
  }
  fn(job, 0, std::min(per, job.n));
  for (auto& th : pool) th.join();
}

void run_rows(const Job& job, const uint64_t* ids, size_t rows) {
  const uint64_t row_words = (uint64_t)job.n * (uint64_t)op_words((int)job.op);
  const int bytes = op_value_bytes((int)job.op, job.args.elem_size);
  auto row_job = [&](size_t r) {
    Job j = job;
    j.id = ids[r];
    j.out = static_cast<char*>(job.out) + r * job.n * (size_t)bytes;
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
  const size_t per = (rows + t - 1) / t;
  std::vector<std::thread> pool;
  for (size_t r0 = per; r0 < rows; r0 += per) pool.emplace_back(work, r0, std::min(rows, r0 + per));
  work(0, std::min(per, rows));
  for (auto& th : pool) th.join();
}

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
