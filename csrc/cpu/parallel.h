// parallel.h -- runs the ranges [k*per, min(n, (k+1)*per)) of a job on worker threads and
// the calling thread, and never fails for want of threads: a worker that cannot be
// created (std::system_error: low memory, RLIMIT_AS, a thread limit) or stored
// (std::bad_alloc) leaves its range to the calling thread. Every range runs exactly once
// whatever happens, and every started thread is joined, so the caller's word reservation
// always matches what was written.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace philox {
namespace cpu {

// work(i0, i1) must not throw (the kernels do not).
template <class Work>
void parallel_ranges(size_t n, size_t per, const Work& work) {
  if (n == 0) return;
  if (per == 0 || per >= n) {
    work((size_t)0, n);
    return;
  }
  std::vector<std::thread> pool;
  size_t started_to = per;  // ranges below this ran (or run) on a worker or the caller
  try {
    pool.reserve((n - 1) / per);
    for (; started_to < n; started_to += per) {
      const size_t i1 = std::min(n, started_to + per);
      pool.emplace_back([&work, i0 = started_to, i1] { work(i0, i1); });
    }
  } catch (const std::exception&) {
    // no thread for [started_to, n): the calling thread does it below
  }
  work((size_t)0, std::min(per, n));
  for (size_t i0 = started_to; i0 < n; i0 += per) work(i0, std::min(n, i0 + per));
  for (auto& th : pool) th.join();
}

}  // namespace cpu
}  // namespace philox
