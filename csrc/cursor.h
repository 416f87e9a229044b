// cursor.h -- a stream's position (philox._core.Cursor), shared by the fill
// bindings (bindings.cpp) and numpy's bit generator interface (bindings_bitgen.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <stdint.h>

#include <mutex>
#include <string>

namespace philox {
namespace bind {

namespace py = pybind11;

// A stream's position in words, in [0, 2^66], shared by every thread that draws
// from the stream. A draw reserves its word range here atomically (the only
// thing done under the lock) and generates with no lock and no GIL held, so
// threads get disjoint ranges that together cover exactly the words drawn.
class Cursor {
 public:
  using u128 = unsigned __int128;
  static constexpr u128 kEnd = (u128)1 << 66;

  py::tuple get() {
    std::lock_guard<std::mutex> g(mu_);
    return py::make_tuple((uint64_t)(pos_ >> 64), (uint64_t)pos_);
  }
  void set(uint64_t hi, uint64_t lo) {
    const u128 p = ((u128)hi << 64) | lo;
    if (p > kEnd) throw py::value_error("position must be in [0, 2**66]");
    std::lock_guard<std::mutex> g(mu_);
    pos_ = p;
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
    std::lock_guard<std::mutex> g(mu_);
    if (pos_ + words > kEnd)
      throw py::value_error("a draw of " + std::to_string(words) + " words from position " + to_string(pos_) +
                            " would run past the end of the stream (2**66 words)");
    const u128 start = pos_;
    pos_ += words;
    return start;
  }
  // reserve() for callers with no error path (numpy's bit generator functions): the stream
  // is taken as cyclic, word p + 2^66 being word p. The first word's position is returned
  // (in [0, 2^66)); the words after it are start + 1, ... taken mod 2^66, and the position
  // moves to start + words, less 2^66 past the end (a position of exactly 2^66 stays valid).
  u128 take_cyclic(uint32_t words) noexcept {
    std::lock_guard<std::mutex> g(mu_);
    const u128 start = pos_ == kEnd ? 0 : pos_;
    const u128 end = start + words;
    pos_ = end > kEnd ? end - kEnd : end;
    return start;
  }

 private:
  static std::string to_string(u128 v) {
    std::string s;
    do { s.insert(s.begin(), char('0' + (int)(v % 10))); v /= 10; } while (v);
    return s;
  }
  std::mutex mu_;
  u128 pos_ = 0;
};

}  // namespace bind
}  // namespace philox
