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
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "cpu/kernels.h"
#include "cuda/fill_kernels.cuh"
#include "ops.h"
#include "philox.h"

namespace py = pybind11;
using namespace philox::cpu;
using philox::Op;
using philox::OpArgs;
using philox::make_op_args;

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

 private:
  static std::string to_string(u128 v) {
    std::string s;
    do { s.insert(s.begin(), char('0' + (int)(v % 10))); v /= 10; } while (v);
    return s;
  }
  std::mutex mu_;
  u128 pos_ = 0;
};

// An op code from Python: one of csrc/ops.h's table.
void check_op(int op) {
  if (!philox::op_known(op))
    throw py::value_error("unknown op " + std::to_string(op) + " (the op table has codes 0.." +
                          std::to_string(philox::kNumOps - 1) + ")");
}

// Reserve n * words-per-value words on the cursor and fill n values at `out`.
void fill_at(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, void* out, size_t n, bool fresh,
             int elem_size, bool affine, double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  check_op(op);
  const uint64_t words = (uint64_t)n * (uint64_t)philox::op_words(op);
  const Cursor::u128 start = cur.reserve(words);
  if (n == 0) return;
  Job job{};
  job.op = (Op)op;
  job.k0 = k0; job.k1 = k1; job.id = id;
  job.block = (uint64_t)(start >> 2); job.lane = (uint32_t)(start & 3);
  job.out = out;
  job.n = n; job.fresh = fresh;
  job.args = make_op_args(elem_size, affine, a, b, c, ilow, range_m1);
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

// A large buffer that was just allocated (its pages not touched yet): ask for transparent huge
// pages, as numpy does for its own arrays of 4 MiB or more. torch's CPU allocator does not, and
// the first-touch page faults of 4 KiB pages made fresh 32 MiB tensors fill ~2.5x slower than
// numpy arrays (measured: 20 ms against 8 ms for 2**22 float64 values). A hint only; errors are
// ignored and no value changes.
void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < ((size_t)4 << 20)) return;
  const uintptr_t page = 4096, begin = ((uintptr_t)p + page - 1) & ~(page - 1);
  const uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p; (void)bytes;
#endif
}

// Any other buffer (a contiguous torch CPU tensor) by address and element count.
void fill_ptr(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t out, size_t n, bool fresh,
              int elem_size, bool affine, double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  if (n && !out) throw py::value_error("fill_ptr: null output pointer");
  if (fresh && n && philox::op_known(op))
    advise_huge_pages(reinterpret_cast<void*>(out), n * (size_t)philox::op_value_bytes(op, elem_size));
  fill_at(cur, op, k0, k1, id, reinterpret_cast<void*>(out), n, fresh, elem_size, affine, a, b, c, ilow, range_m1);
}

// A draw of `rows` rows x n values from position pos_hi * 2^64 + pos_lo must end by 2^66.
void check_span(int op, uint64_t pos_hi, uint64_t pos_lo, uint64_t n) {
  check_op(op);
  const unsigned __int128 p = ((unsigned __int128)pos_hi << 64) | pos_lo;
  const unsigned __int128 end = p + (unsigned __int128)n * (unsigned)philox::op_words(op);
  if (pos_hi > 4 || end > ((unsigned __int128)1 << 66))
    throw py::value_error("draw runs past the end of the stream (2**66 words)");
}

// CPU: rows x n values at a given position (no cursor): row r from stream ids[r]
// (a uint64 buffer at ids_ptr), or every row from `id` when ids_ptr is 0.
void fill_rows(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, size_t rows, uint64_t pos_hi,
               uint64_t pos_lo, uintptr_t out, size_t n, bool fresh, int elem_size, bool affine, double a, double b,
               double c, uint64_t ilow, uint64_t range_m1) {
  check_span(op, pos_hi, pos_lo, n);
  if (!n || !rows) return;
  if (!out) throw py::value_error("fill_rows: null output pointer");
  if (fresh) advise_huge_pages(reinterpret_cast<void*>(out), rows * n * (size_t)philox::op_value_bytes(op, elem_size));
  Job job{};
  job.op = (Op)op;
  job.k0 = k0; job.k1 = k1; job.id = id;
  job.block = (pos_hi << 62) | (pos_lo >> 2); job.lane = (uint32_t)(pos_lo & 3);
  job.out = reinterpret_cast<void*>(out);
  job.n = n; job.fresh = fresh;
  job.args = make_op_args(elem_size, affine, a, b, c, ilow, range_m1);
  py::gil_scoped_release nogil;
  if (!ids_ptr) {
    if (rows == 1) { run(job); return; }
    std::vector<uint64_t> same(rows, id);
    run_rows(job, same.data(), rows);
    return;
  }
  run_rows(job, reinterpret_cast<const uint64_t*>(ids_ptr), rows);
}

// CPU: out[i] = fold(parent, index[i], 0) for an int64 index (SPEC 3), raw pointers.
void fold_ids(uintptr_t index, uintptr_t out, size_t n, uint64_t parent) {
  const int64_t* x = reinterpret_cast<const int64_t*>(index);
  uint64_t* o = reinterpret_cast<uint64_t*>(out);
  py::gil_scoped_release nogil;
  for (size_t i = 0; i < n; ++i) philox::gpu::fold_item(x, o, parent, i);
}

// The CUDA kernels' per-thread code (csrc/cuda/fill_kernels.cuh) run on the CPU
// for a given grid and block size: every (block, thread) walks its grid-stride
// loop; `staged` runs the kernel's staged loop (stage all threads, barrier, flush
// all threads), else the plain per-item loop. For tests only (CI has no GPU): it
// checks the exact device code path.
void emulate_gpu_fill(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, uint64_t rows,
                      uint64_t pos_hi, uint64_t pos_lo, uintptr_t out, uint64_t n, int elem_size, bool affine,
                      double a, double b, double c, uint64_t ilow, uint64_t range_m1, uint64_t grid,
                      uint64_t block, bool staged) {
  check_span(op, pos_hi, pos_lo, n);
  if (!grid || !block) throw py::value_error("grid and block must be positive");
  const philox::gpu::FillJob job = philox::gpu::make_fill_job(
      op, k0, k1, id, reinterpret_cast<const uint64_t*>(ids_ptr), rows, pos_hi, pos_lo,
      reinterpret_cast<void*>(out), n, make_op_args(elem_size, affine, a, b, c, ilow, range_m1));
  const uint64_t items = job.rows * job.tiles, stride = grid * block;
  py::gil_scoped_release nogil;
  std::vector<uint64_t> stage((block * philox::gpu::kStageBytesPerThread + 7) / 8);
  philox::with_op(op, [&](auto opc) {
    constexpr int OP = decltype(opc)::value;
    for (uint64_t bx = 0; bx < grid; ++bx) {
      if (!staged) {  // one item per thread per step, written straight to the output
        for (uint64_t tx = 0; tx < block; ++tx)
          for (uint64_t i = bx * block + tx; i < items; i += stride) philox::gpu::fill_item<OP>(job, i);
        continue;
      }
      // the kernel's loop: each chunk is staged by every thread, then (after the
      // barrier) flushed by every thread
      for (uint64_t chunk = bx * block; chunk < items; chunk += stride) {
        for (uint64_t tx = 0; tx < block; ++tx) philox::gpu::stage_item<OP>(job, chunk, (uint32_t)tx, stage.data());
        for (uint64_t tx = 0; tx < block; ++tx)
          philox::gpu::flush_chunk<OP>(job, chunk, (uint32_t)tx, (uint32_t)block, stage.data());
      }
    }
  });
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
      .def("set", &Cursor::set, py::arg("hi"), py::arg("lo"))
      .def("reserve", &Cursor::reserve_py, py::arg("words"),
           "Start of the next `words` words; the position moves past them (ValueError past 2**66, "
           "position unchanged)");
  // Positional arguments only: these sit on every draw's path.
  m.def("fill_array", &fill_array, "Reserve words on a cursor and fill a numpy array (see csrc/cpu/kernels.h)");
  m.def("fill_ptr", &fill_ptr, "Reserve words on a cursor and fill n elements at a raw address");
  m.def("fill_rows", &fill_rows, "Fill rows x n values at a word position, per-row ids (see kernels.h run_rows)");
  m.def("fold_ids", &fold_ids, "out[i] = fold(parent, index[i], 0) over raw int64/uint64 buffers");
  m.def("_emulate_gpu_fill", &emulate_gpu_fill, "Run the CUDA per-thread code on the CPU (tests)");
  m.def("_tiles_per_row", [](uint32_t lane, uint64_t n, int op) {
    check_op(op);
    return philox::gpu::tiles_per_row(lane, n, philox::op_words(op));
  });
  m.def("philox4x32", &philox4x32, "Philox4x32-10 block function on (n, 4) counters and (n, 2) keys");
  m.def("fold", &philox::fold, "Stream id of parent path + one component (value, kind)");
  m.def("set_num_threads", &set_num_threads);
  m.def("get_num_threads", &get_num_threads);
  m.def("isa", &isa_name, "Instruction set chosen at run time");
  m.def("force_isa", &force_isa, "Use 'baseline', 'avx2', 'avx512' or 'auto'; False if unsupported");
  m.def("words_per_value", [](int op) { check_op(op); return philox::op_words(op); },
        "Words each value of op takes (csrc/ops.h)");
  // The op table (csrc/ops.h), in code order: (code, name, words per value, bytes per value
  // (0: the call's integer element size), output dtypes). Python's op codes derive from it.
  py::list ops;
  for (const philox::OpInfo& o : philox::kOps) {
    py::list dtypes;
    for (const char *p = o.dtypes, *q = o.dtypes;; ++q)
      if (*q == ' ' || !*q) {
        if (q > p) dtypes.append(py::str(p, (size_t)(q - p)));
        if (!*q) break;
        p = q + 1;
      }
    ops.append(py::make_tuple(o.code, o.name, o.words, o.bytes, py::tuple(dtypes)));
  }
  m.attr("OPS") = py::tuple(ops);
  register_permute(m);
}
