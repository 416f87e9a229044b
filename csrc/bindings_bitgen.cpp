// bindings_bitgen.cpp -- numpy's bit generator interface over a stream
// (philox._core.BitGenSource, used by philox.StreamBitGenerator).
//
// numpy.random.Generator draws through a C struct of four function pointers
// that it finds in the `capsule` attribute of its bit generator (a PyCapsule
// named "BitGenerator"). numpy.random.BitGenerator.__init__ makes that capsule
// around a struct inside the Python object; attach() fills that struct in, so
// Generator, BitGenerator.random_raw, .ctypes and .cffi all reach the functions
// below. Each call takes its words straight from the stream's cursor (no
// buffered state: the stream's position is always exactly the words numpy
// has consumed) and reads them from a cache of Philox blocks, which only saves
// recomputing blocks (it is keyed by block index, so it never changes a value).
// While the bit generator's lock is held (a StreamLock: numpy's Generator takes
// it around every draw, StreamBitGenerator.random_raw too) the source owns the
// cursor and takes words with plain arithmetic (Cursor::own); called without it
// (raw ctypes/cffi callers that skip the lock) each call reserves its words
// atomically, and the block cache is unguarded: numpy requires the lock.
//
//   next_uint32  1 word  w                               (the stream's raw uint32)
//   next_uint64  2 words w0 + 2^32 w1                    (random_raw(dtype=uint64))
//   next_raw     as next_uint64
//   next_double  2 words philox::u01_f64(w0, w1)         (rand()'s float64)
//
// The functions run with no GIL; numpy calls them with the bit generator's
// lock held, which also guards the cache and re-pointing (point()).
#include <pybind11/pybind11.h>

#include <stdint.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "cpu/kernels.h"
#include "cursor.h"
#include "philox.h"

namespace py = pybind11;
using philox::bind::Cursor;

namespace {

// The layout of numpy's bitgen_t (numpy/random/bitgen.h), unchanged since numpy 1.17.
struct NumpyBitGen {
  void* state;
  uint64_t (*next_uint64)(void* st);
  uint32_t (*next_uint32)(void* st);
  double (*next_double)(void* st);
  uint64_t (*next_raw)(void* st);
};

constexpr const char* kCapsuleName = "BitGenerator";

class BitGenSource {
 public:
  static constexpr uint64_t kBlocks = 64;  // blocks per cache fill (256 words)

  // Read stream (k0, k1, id) through `cursor` (a philox._core.Cursor, kept alive here).
  // Called with the bit generator's lock held; an owned cursor is handed over to the new one.
  void point(py::object cursor, uint32_t k0, uint32_t k1, uint64_t id) {
    Cursor* c = &cursor.cast<Cursor&>();
    if (owned_ && c != cur_) {
      c->own();
      cur_->disown();
    }
    cursor_ref_ = std::move(cursor);
    cur_ = c;
    k0_ = k0; k1_ = k1; id_ = id;
    cached_ = 0;  // other key or id: drop the cache
  }

  // The StreamLock's first acquire and last release in a thread.
  bool enter(bool blocking) {
    if (blocking) {
      cur_->own();
    } else if (!cur_->try_own()) {
      return false;
    }
    owned_ = true;
    return true;
  }
  void exit() noexcept {
    owned_ = false;
    cur_->disown();
  }

  // Fill numpy's struct behind `capsule` with this source's functions. The caller keeps
  // this object alive as long as the capsule's owner (philox.StreamBitGenerator does).
  void attach(py::capsule capsule) {
    if (!cur_) throw py::value_error("attach: point() the source at a stream first");
    if (!PyCapsule_IsValid(capsule.ptr(), kCapsuleName))
      throw py::value_error("attach: not a numpy \"BitGenerator\" capsule");
    auto* bg = static_cast<NumpyBitGen*>(PyCapsule_GetPointer(capsule.ptr(), kCapsuleName));
    bg->state = this;
    bg->next_uint64 = &next_uint64;
    bg->next_uint32 = &next_uint32;
    bg->next_double = &next_double;
    bg->next_raw = &next_uint64;
  }

 private:
  // Word at position p (p < 2^66 + 2; past 2^66 the block index wraps with the stream).
  uint32_t word(Cursor::u128 p) {
    const uint64_t b = (uint64_t)(p >> 2);
    uint64_t off = b - base_;
    if (off >= cached_) {
      fill(b);
      off = 0;
    }
    return words_[off * 4 + (uint32_t)(p & 3)];
  }

  // The cache: kBlocks blocks from block b (mod 2^64, as the stream's block counter), computed
  // by the CPU backend's raw-word kernel (SIMD, the same words as random_raw()).
  __attribute__((noinline)) void fill(uint64_t b) {  // out of line: keeps the per-call path short
    philox::cpu::Job job{};
    job.op = philox::Op::Raw32;
    job.k0 = k0_; job.k1 = k1_; job.id = id_;
    job.block = b; job.lane = 0;
    job.out = words_;
    job.n = 4 * kBlocks;
    philox::cpu::run(job);  // below the threading threshold: runs here
    base_ = b;
    cached_ = kBlocks;
  }

  Cursor::u128 take(uint32_t words) noexcept {
    return owned_ ? cur_->owned_take(words) : cur_->take_cyclic(words);
  }
  static uint32_t next_uint32(void* st) {
    auto* s = static_cast<BitGenSource*>(st);
    return s->word(s->take(1));
  }
  static void two_words(void* st, uint32_t& w0, uint32_t& w1) {
    auto* s = static_cast<BitGenSource*>(st);
    const Cursor::u128 p = s->take(2);
    w0 = s->word(p);
    w1 = s->word(p + 1 == Cursor::kEnd ? 0 : p + 1);
  }
  static uint64_t next_uint64(void* st) {
    uint32_t w0, w1;
    two_words(st, w0, w1);
    return (uint64_t)w0 | ((uint64_t)w1 << 32);
  }
  static double next_double(void* st) {
    uint32_t w0, w1;
    two_words(st, w0, w1);
    return philox::u01_f64(w0, w1);
  }

  py::object cursor_ref_;
  Cursor* cur_ = nullptr;
  bool owned_ = false;  // this source's thread holds cur_ (between enter() and exit())
  uint32_t k0_ = 0, k1_ = 0;
  uint64_t id_ = 0;
  uint64_t base_ = 0;    // block index of words_[0]
  uint64_t cached_ = 0;  // blocks held in words_ (0: none)
  alignas(64) uint32_t words_[4 * kBlocks];
};

// The bit generator's `lock`: numpy's Generator enters it around every draw, and holding it
// means owning the stream's cursor (Cursor::own: its mutex), so it excludes every other holder
// of the bit generator's lock and every other draw from the stream. Re-entrant in the holding
// thread (the depth is counted here: numpy 2.x nests nothing, but user code may).
class StreamLock {
 public:
  explicit StreamLock(py::object source)
      : source_ref_(std::move(source)), src_(&source_ref_.cast<BitGenSource&>()) {}

  bool acquire(bool blocking) {
    const std::thread::id me = std::this_thread::get_id();
    if (owner_.load(std::memory_order_relaxed) == me) {  // only this thread ever stores its own id
      ++depth_;
      return true;
    }
    if (!src_->enter(blocking)) return false;  // may wait, GIL released
    depth_ = 1;
    owner_.store(me, std::memory_order_relaxed);
    return true;
  }
  void release() {
    if (owner_.load(std::memory_order_relaxed) != std::this_thread::get_id())
      throw std::runtime_error("cannot release un-acquired lock");
    if (--depth_ > 0) return;
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    src_->exit();
  }
  bool locked() const { return owner_.load(std::memory_order_relaxed) != std::thread::id(); }

 private:
  py::object source_ref_;
  BitGenSource* src_;
  std::atomic<std::thread::id> owner_{std::thread::id()};
  int depth_ = 0;  // touched by the owner only
};

}  // namespace

void register_bitgen(py::module_& m) {
  py::class_<BitGenSource>(m, "BitGenSource",
                           "numpy's bit generator functions over a stream's cursor (philox.StreamBitGenerator)")
      .def(py::init<>())
      .def("point", &BitGenSource::point, py::arg("cursor"), py::arg("k0"), py::arg("k1"), py::arg("id"),
           "Read stream (key, id) from `cursor`; drops the block cache")
      .def("attach", &BitGenSource::attach, py::arg("capsule"),
           "Fill the numpy bitgen_t struct behind a \"BitGenerator\" capsule with this source's functions");
  py::class_<StreamLock>(m, "StreamLock",
                         "A bit generator's lock: holding it owns the stream's cursor (re-entrant)")
      .def(py::init<py::object>(), py::arg("source"))
      .def("acquire", [](StreamLock& l, bool blocking, double timeout) {
             if (timeout != -1.0) throw py::value_error("StreamLock.acquire: timeout is not supported, got " +
                                                        std::to_string(timeout));
             return l.acquire(blocking);
           }, py::arg("blocking") = true, py::arg("timeout") = -1.0)
      .def("release", &StreamLock::release)
      .def("locked", &StreamLock::locked)
      .def("__enter__", [](StreamLock& l) { return l.acquire(true); })
      .def("__exit__", [](StreamLock& l, py::handle, py::handle, py::handle) {
        l.release();
        return false;
      });
}
