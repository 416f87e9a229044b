// bindings_cuda.cpp -- philox._cuda: the CUDA launcher as a Python module.
//
// Compiled by the host compiler (no CUDA or torch headers here); the kernels
// are in fill_kernels.cu, built by nvcc, with the CUDA runtime linked
// statically. Nothing calls CUDA at import, so the module imports on machines
// without a driver; device_count() is then 0. Pointers and the cudaStream_t
// arrive as integers (tensor.data_ptr(), torch.cuda.current_stream().cuda_stream).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "launch.h"

namespace py = pybind11;
using namespace philox;
using namespace philox::gpu;

namespace {

void check(const std::string& e) {
  if (!e.empty()) throw std::runtime_error("philox CUDA launch failed: " + e);
}

void fill(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, uint64_t rows, uint64_t pos_hi,
          uint64_t pos_lo, uintptr_t out, uint64_t n, int elem_size, bool affine, double a, double b, double c,
          uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream) {
  if (!op_known(op)) throw py::value_error("unknown op " + std::to_string(op));
  const unsigned __int128 p = ((unsigned __int128)pos_hi << 64) | pos_lo;
  if (pos_hi > 4 || p + (unsigned __int128)n * (unsigned)op_words(op) > ((unsigned __int128)1 << 66))
    throw py::value_error("draw runs past the end of the stream (2**66 words)");
  if (!n || !rows) return;
  if (!out) throw py::value_error("null output pointer");
  const FillJob job = make_fill_job(op, k0, k1, id, reinterpret_cast<const uint64_t*>(ids_ptr), rows, pos_hi, pos_lo,
                                    reinterpret_cast<void*>(out), n, make_op_args(elem_size, affine, a, b, c, ilow, range_m1));
  std::string e;
  {
    py::gil_scoped_release nogil;
    e = launch_fill(job, device, stream);
  }
  check(e);
}

void fold_ids(uintptr_t index, uintptr_t out, uint64_t n, uint64_t parent, int device, uintptr_t stream) {
  std::string e;
  {
    py::gil_scoped_release nogil;
    e = launch_fold(reinterpret_cast<const int64_t*>(index), reinterpret_cast<uint64_t*>(out), n, parent, device,
                    stream);
  }
  check(e);
}

// The permutation of [0, n) keyed by 12 words (docs/FORMAT.md 6): out[j] = perm(start + step * j).
void perm_fill(std::vector<uint32_t> words, uint64_t n, uint64_t start, uint64_t step, uintptr_t out,
               uint64_t count, int device, uintptr_t stream) {
  if (words.size() != (size_t)PHILOX_PERM_WORDS)
    throw py::value_error("permutation key needs exactly " + std::to_string(PHILOX_PERM_WORDS) + " words");
  if (n < 1 || n > ((uint64_t)1 << 63) - 1) throw py::value_error("n must be in [1, 2**63 - 1]");
  if (!count) return;
  if (!out) throw py::value_error("null output pointer");
  if ((unsigned __int128)start + (unsigned __int128)step * (count - 1) >= n)
    throw py::value_error("perm_fill: start + step * (count - 1) is not below n");
  const PermKey key = perm_key(n, words.data());
  std::string e;
  {
    py::gil_scoped_release nogil;
    e = launch_perm(key, start, step, reinterpret_cast<int64_t*>(out), count, device, stream);
  }
  check(e);
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "philox CUDA backend: Philox4x32-10 kernels (format v1) on raw device pointers";
  m.def("fill", &fill, "Launch a fill of rows x n values (see csrc/cuda/fill_kernels.cuh) on a stream");
  m.def("fold_ids", &fold_ids, "Launch out[i] = fold(parent, index[i], 0) on a stream (int64 -> uint64)");
  m.def("perm_fill", &perm_fill, "Launch out[j] = perm(start + step * j) of the keyed bijection on a stream");
  m.def("device_count", &device_count, "CUDA devices visible to this module's runtime (0 without a driver)");
  m.def("available", []() { return device_count() > 0; }, "True if a CUDA device is usable");
  m.def("runtime_version", &runtime_version);
  m.def("driver_version", &driver_version);
}
