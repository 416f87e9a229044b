// bindings.cpp -- philox._core: the CPU backend as a Python module.
//
// Deliberately thin: outputs arrive as raw addresses of buffers that Python has
// already allocated and checked (numpy arrays or torch CPU tensors), so one
// entry point fills both in place, and validation stays in Python where the
// error messages can name the caller's arguments.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <mutex>
#include <string>

#include "cpu/kernels.h"
#include "philox.h"

namespace py = pybind11;
using namespace philox::cpu;

namespace {

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

 private:
  static std::string to_string(u128 v) {
    std::string s;
    do { s.insert(s.begin(), char('0' + (int)(v % 10))); v /= 10; } while (v);
    return s;
  }
  std::mutex mu_;
  u128 pos_ = 0;
};

// Reserve n * words_per_value words on the cursor and fill n values at `out`.
void fill_at(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, void* out, size_t n, bool fresh,
             int elem_size, bool affine, double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  if (op < 0 || op > (int)Op::IntLarge) throw py::value_error("fill: unknown op " + std::to_string(op));
  const uint64_t words = (uint64_t)n * (uint64_t)words_per_value((Op)op);
  const Cursor::u128 start = cur.reserve(words);
  if (n == 0) return;
  Job job{};
  job.op = (Op)op;
  job.k0 = k0; job.k1 = k1; job.id = id;
  job.block = (uint64_t)(start >> 2); job.lane = (uint32_t)(start & 3);
  job.out = out;
  job.n = n; job.fresh = fresh; job.elem_size = elem_size; job.affine = affine;
  job.a = a; job.b = b; job.c = c; job.ilow = ilow; job.range_m1 = range_m1;
  py::gil_scoped_release nogil;
  run(job);
}

// numpy output: the array was allocated (C-contiguous, writeable) by the caller.
void fill_array(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, py::array out, bool fresh,
                int elem_size, bool affine, double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  if (!(out.flags() & py::array::c_style) || !out.writeable())
    throw py::value_error("fill_array: output must be C-contiguous and writeable");
  fill_at(cur, op, k0, k1, id, out.mutable_data(), (size_t)out.size(), fresh, elem_size, affine, a, b, c, ilow,
          range_m1);
}

// Any other buffer (a contiguous torch CPU tensor) by address and element count.
void fill_ptr(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t out, size_t n, bool fresh,
              int elem_size, bool affine, double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  if (n && !out) throw py::value_error("fill_ptr: null output pointer");
  fill_at(cur, op, k0, k1, id, reinterpret_cast<void*>(out), n, fresh, elem_size, affine, a, b, c, ilow, range_m1);
}

py::array_t<uint32_t> philox4x32(py::array_t<uint32_t, py::array::c_style | py::array::forcecast> ctr,
                                 py::array_t<uint32_t, py::array::c_style | py::array::forcecast> key) {
  if (ctr.ndim() != 2 || ctr.shape(1) != 4) throw py::value_error("counter must have shape (n, 4)");
  if (key.ndim() != 2 || key.shape(1) != 2 || key.shape(0) != ctr.shape(0))
    throw py::value_error("key must have shape (n, 2) matching the counter");
  py::array_t<uint32_t> out({ctr.shape(0), (py::ssize_t)4});
  const uint32_t* c = ctr.data();
  const uint32_t* k = key.data();
  uint32_t* o = out.mutable_data();
  const size_t n = (size_t)ctr.shape(0);
  {
    py::gil_scoped_release nogil;
    philox4x32_batch(c, k, o, n);
  }
  return out;
}

}  // namespace

void register_permute(py::module_& m);  // bindings_permute.cpp

PYBIND11_MODULE(_core, m) {
  m.doc() = "philox CPU backend: Philox4x32-10 kernels (format v1), SIMD with run-time dispatch";
  py::class_<Cursor>(m, "Cursor", "A stream's position in words (thread-safe reservation of word ranges)")
      .def(py::init<>())
      .def("get", &Cursor::get, "(high 64 bits, low 64 bits) of the position")
      .def("set", &Cursor::set, py::arg("hi"), py::arg("lo"));
  // Positional arguments only: these sit on every draw's path.
  m.def("fill_array", &fill_array, "Reserve words on a cursor and fill a numpy array (see csrc/cpu/kernels.h)");
  m.def("fill_ptr", &fill_ptr, "Reserve words on a cursor and fill n elements at a raw address");
  m.def("philox4x32", &philox4x32, "Philox4x32-10 block function on (n, 4) counters and (n, 2) keys");
  m.def("fold", &philox::fold, "Stream id of parent path + one component (value, kind)");
  m.def("set_num_threads", &set_num_threads);
  m.def("get_num_threads", &get_num_threads);
  m.def("isa", &isa_name, "Instruction set chosen at run time");
  m.def("force_isa", &force_isa, "Use 'baseline', 'avx2', 'avx512' or 'auto'; False if unsupported");
  m.def("words_per_value", [](int op) { return words_per_value((Op)op); });
  register_permute(m);
}
