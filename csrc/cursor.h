// cursor.h -- a stream's position (philox._core.Cursor), shared by the fill
// bindings (bindings.cpp) and numpy's bit generator interface (bindings_bitgen.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <stdint.h>

#include <atomic>
#include <mutex>
#include <string>

namespace philox {
namespace bind {

namespace py = pybind11;

// A stream's position in words, in [0, 2^66], shared by every thread that draws
// from the stream. A draw reserves its word range here atomically (the only
// shared step) and generates with no lock and no GIL held, so threads get
// disjoint ranges that together cover exactly the words drawn.
//
// Below 2^63 the position lives in one atomic word and a reservation is one
// compare-and-swap, no lock. From 2^63 on (reached only by setting the position
// there), and while an owner holds the cursor, it lives in `slow_` under the
// mutex, and fast_ holds the flag kSlow.
//
// Owning (own() .. disown()): numpy's bit generator (bindings_bitgen.cpp) takes one
// or two words per call, millions of calls per draw, and even one atomic
// operation per call costs more than the Philox block. So for the length of one
// numpy call (its lock held) it owns the cursor: it holds the mutex and takes words
// with plain arithmetic (owned_take). Everyone else (other threads' draws, position
// reads and sets) waits on the mutex meanwhile, with the GIL released; the owner's
// own thread re-enters the (recursive) mutex and reads or moves the same slow_.
class Cursor {
 public:
  using u128 = unsigned __int128;
  static constexpr u128 kEnd = (u128)1 << 66;

  py::tuple get() {
    const u128 p = load();
    return py::make_tuple((uint64_t)(p >> 64), (uint64_t)p);
  }
  void set(uint64_t hi, uint64_t lo) {
    const u128 p = ((u128)hi << 64) | lo;
    if (p > kEnd) throw py::value_error("position must be in [0, 2**66]");
    Locked g(*this);
    if (p < kSlow && !depth_) {
      fast_.store((uint64_t)p, std::memory_order_release);
    } else {
      slow_ = p;
      fast_.store(kSlow, std::memory_order_release);
    }
  }
  // reserve() as a Python int (the position is at most 2^66).
  py::object reserve_py(uint64_t words) {
    const u128 start = reserve(words);
    const uint64_t hi = (uint64_t)(start >> 64), lo = (uint64_t)start;
    if (!hi) return py::int_(lo);
    return (py::int_(hi) << py::int_(64)) | py::int_(lo);
  }
  // First word of a range of `words` words; the position moves past it.
  u128 reserve(uint64_t words) {
    uint64_t start;
    if (try_fast(words, start)) return start;
    bool past_end = false;
    const u128 s = reserve_slow(words, false, past_end);
    if (past_end)
      throw py::value_error("a draw of " + std::to_string(words) + " words from position " + to_string(s) +
                            " would run past the end of the stream (2**66 words)");
    return s;
  }
  // reserve() for callers with no error path (numpy's bit generator functions): the stream
  // is taken as cyclic, word p + 2^66 being word p. The first word's position is returned
  // (in [0, 2^66)); the words after it are start + 1, ... taken mod 2^66, and the position
  // moves to start + words, less 2^66 past the end (a position of exactly 2^66 stays valid).
  u128 take_cyclic(uint32_t words) noexcept {
    uint64_t start;
    if (try_fast(words, start)) return start;
    bool unused = false;
    return reserve_slow(words, true, unused);
  }

  // Hold the cursor (re-entrant): until the matching disown(), the position lives in slow_
  // and only this thread moves it, through owned_take() or the methods above.
  void own() {
    lock_mu();
    own_locked();
  }
  bool try_own() {  // own() if nobody else holds the mutex now
    if (!mu_.try_lock()) return false;
    own_locked();
    return true;
  }
  void disown() noexcept {
    if (--depth_ == 0 && slow_ < kSlow) fast_.store((uint64_t)slow_, std::memory_order_release);
    mu_.unlock();
  }
  // take_cyclic() for the owner: plain arithmetic, no atomic operation.
  u128 owned_take(uint32_t words) noexcept {
    const u128 start = slow_ == kEnd ? 0 : slow_;
    const u128 end = start + words;
    slow_ = end > kEnd ? end - kEnd : end;
    return start;
  }

 private:
  static constexpr uint64_t kSlow = (uint64_t)1 << 63;

  // The mutex; a thread that holds the GIL releases it while waiting (an owner needs the GIL
  // to finish its numpy call and disown).
  void lock_mu() {
    if (mu_.try_lock()) return;
    if (PyGILState_Check()) {
      py::gil_scoped_release nogil;
      mu_.lock();
    } else {
      mu_.lock();
    }
  }
  struct Locked {
    explicit Locked(Cursor& c) : c_(c) { c_.lock_mu(); }
    ~Locked() { c_.mu_.unlock(); }
    Cursor& c_;
  };

  void own_locked() {
    if (depth_++ == 0) {
      uint64_t v = fast_.load(std::memory_order_acquire);
      while (!(v & kSlow)) {  // move the position out of fast_ (fast paths may still race: CAS)
        if (fast_.compare_exchange_weak(v, kSlow, std::memory_order_acq_rel, std::memory_order_acquire)) {
          slow_ = v;
          break;
        }
      }
    }
  }

  u128 load() {
    const uint64_t v = fast_.load(std::memory_order_acquire);
    if (!(v & kSlow)) return v;
    Locked g(*this);
    const uint64_t w = fast_.load(std::memory_order_acquire);
    return (w & kSlow) ? slow_ : (u128)w;
  }
  // The lock-free reservation while the position and its end stay below 2^63.
  bool try_fast(uint64_t words, uint64_t& start) noexcept {
    uint64_t v = fast_.load(std::memory_order_relaxed);
    while (!(v & kSlow) && words < kSlow - v) {
      if (fast_.compare_exchange_weak(v, v + words, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        start = v;
        return true;
      }
    }
    return false;
  }
  // Under the mutex: a reservation that reaches 2^63 or starts there. Not cyclic: past 2^66 it
  // moves nothing, sets past_end and returns the position. Cyclic: it wraps (take_cyclic).
  u128 reserve_slow(uint64_t words, bool cyclic, bool& past_end) {
    Locked g(*this);
    for (;;) {
      uint64_t v = fast_.load(std::memory_order_acquire);
      u128 start = (v & kSlow) ? slow_ : (u128)v;
      if (cyclic && start == kEnd) start = 0;
      u128 end = start + words;
      if (end > kEnd) {
        if (!cyclic) {
          past_end = true;
          return start;
        }
        end -= kEnd;
      }
      if (end < kSlow && !depth_) {  // (a cyclic draw that wrapped, or a fast-path race lost: retry)
        if (fast_.compare_exchange_strong(v, (uint64_t)end, std::memory_order_acq_rel)) return start;
        continue;
      }
      slow_ = end;  // read only while fast_ holds kSlow; only mutex holders write it
      if (v & kSlow) return start;  // fast paths leave kSlow alone
      if (fast_.compare_exchange_strong(v, kSlow, std::memory_order_acq_rel)) return start;
    }
  }
  static std::string to_string(u128 v) {
    std::string s;
    do { s.insert(s.begin(), char('0' + (int)(v % 10))); v /= 10; } while (v);
    return s;
  }
  std::atomic<uint64_t> fast_{0};  // the position while below 2^63 and not owned, else kSlow
  std::recursive_mutex mu_;
  u128 slow_ = 0;  // the position while fast_ == kSlow (guarded by mu_)
  int depth_ = 0;  // own() calls not yet disowned (guarded by mu_)
};

}  // namespace bind
}  // namespace philox
