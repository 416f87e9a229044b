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
// recomputing blocks (it is keyed by block index, so it never changes a value):
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
  static constexpr uint64_t kBlocks = 16;  // blocks per cache fill (64 words)

  // Read stream (k0, k1, id) through `cursor` (a philox._core.Cursor, kept alive here).
  void point(py::object cursor, uint32_t k0, uint32_t k1, uint64_t id) {
    Cursor* c = &cursor.cast<Cursor&>();
    cursor_ref_ = std::move(cursor);
    cur_ = c;
    k0_ = k0; k1_ = k1; id_ = id;
    cached_ = 0;  // other key or id: drop the cache
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

  void fill(uint64_t b) {
    const uint32_t i0 = (uint32_t)id_, i1 = (uint32_t)(id_ >> 32);
    for (uint64_t j = 0; j < kBlocks; ++j) {
      const uint64_t blk = b + j;  // mod 2^64, as the stream's block counter
      uint32_t x0 = (uint32_t)blk, x1 = (uint32_t)(blk >> 32), x2 = i0, x3 = i1;
      philox::philox4x32_10(x0, x1, x2, x3, k0_, k1_);
      words_[4 * j] = x0; words_[4 * j + 1] = x1; words_[4 * j + 2] = x2; words_[4 * j + 3] = x3;
    }
    base_ = b;
    cached_ = kBlocks;
  }

  static uint32_t next_uint32(void* st) {
    auto* s = static_cast<BitGenSource*>(st);
    return s->word(s->cur_->take_cyclic(1));
  }
  static void two_words(void* st, uint32_t& w0, uint32_t& w1) {
    auto* s = static_cast<BitGenSource*>(st);
    const Cursor::u128 p = s->cur_->take_cyclic(2);
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
  uint32_t k0_ = 0, k1_ = 0;
  uint64_t id_ = 0;
  uint64_t base_ = 0;    // block index of words_[0]
  uint64_t cached_ = 0;  // blocks held in words_ (0: none)
  alignas(64) uint32_t words_[4 * kBlocks];
};

}  // namespace

void register_bitgen(py::module_& m) {
  py::class_<BitGenSource>(m, "BitGenSource",
                           "numpy's bit generator functions over a stream's cursor (philox.StreamBitGenerator)")
      .def(py::init<>())
      .def("point", &BitGenSource::point, py::arg("cursor"), py::arg("k0"), py::arg("k1"), py::arg("id"),
           "Read stream (key, id) from `cursor`; drops the block cache")
      .def("attach", &BitGenSource::attach, py::arg("capsule"),
           "Fill the numpy bitgen_t struct behind a \"BitGenerator\" capsule with this source's functions")
;
}
