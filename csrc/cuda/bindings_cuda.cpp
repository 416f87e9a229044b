// bindings_cuda.cpp -- philox._cuda: the CUDA launcher as a Python module.
//
// Compiled by the host compiler (no CUDA or torch headers here); the kernels
// are in fill_kernels.cu, built by nvcc, with the CUDA runtime linked
// statically. Nothing calls CUDA at import, so the module imports on machines
// without a driver; device_count() is then 0. Pointers and the cudaStream_t
// arrive as integers (tensor.data_ptr(), torch.cuda.current_stream().cuda_stream).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <sstream>
#include <string>
#include <vector>

#include "launch.h"
#include "../params_of.h"

#ifndef PHILOX_CUDA_ARCHITECTURES
#error "PHILOX_CUDA_ARCHITECTURES (CMake's CUDA_ARCHITECTURES, space-separated) must be defined by the build"
#endif

namespace py = pybind11;
using namespace philox;
using namespace philox::gpu;

namespace {

void check(const std::string& e) {
  if (!e.empty()) throw std::runtime_error("philox CUDA launch failed: " + e);
}

void fill_impl(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, uint64_t rows, uint64_t pos_hi,
               uint64_t pos_lo, uintptr_t out, uint64_t n, int elem_size, bool affine, double a, double b, double c,
               uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream, const OpParams* params) {
  if (!op_known(op)) throw py::value_error("unknown op " + std::to_string(op));
  const unsigned __int128 p = ((unsigned __int128)pos_hi << 64) | pos_lo;
  if (pos_hi > 4 || p + (unsigned __int128)n * (unsigned)op_words(op) > ((unsigned __int128)1 << 66))
    throw py::value_error("draw runs past the end of the stream (2**66 words)");
  if (!n || !rows) return;
  if (!out) throw py::value_error("null output pointer");
  FillJob job = make_fill_job(op, k0, k1, id, reinterpret_cast<const uint64_t*>(ids_ptr), rows, pos_hi, pos_lo,
                              reinterpret_cast<void*>(out), n, make_op_args(elem_size, affine, a, b, c, ilow, range_m1));
  if (params) set_params(job, *params);
  std::string e;
  {
    py::gil_scoped_release nogil;
    e = launch_fill(job, device, stream);
  }
  check(e);
}

void fill(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, uint64_t rows, uint64_t pos_hi,
          uint64_t pos_lo, uintptr_t out, uint64_t n, int elem_size, bool affine, double a, double b, double c,
          uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream) {
  fill_impl(op, k0, k1, id, ids_ptr, rows, pos_hi, pos_lo, out, n, elem_size, affine, a, b, c, ilow, range_m1, device,
            stream, nullptr);
}

void fill_params(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, uint64_t rows, uint64_t pos_hi,
                 uint64_t pos_lo, uintptr_t out, uint64_t n, int elem_size, bool affine, double a, double b, double c,
                 uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream, const py::tuple& params) {
  const OpParams q = params_of(params);
  fill_impl(op, k0, k1, id, ids_ptr, rows, pos_hi, pos_lo, out, n, elem_size, affine, a, b, c, ilow, range_m1, device,
            stream, &q);
}

// A region of a draw of n_full values (csrc/region.h) into runs * run_len values at `out`.
void fill_region_impl(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo,
                      uint64_t n_full, uint64_t base, uint64_t run_len, const std::vector<uint64_t>& counts,
                      const std::vector<uint64_t>& strides, uintptr_t out, int elem_size, bool affine, double a,
                      double b, double c, uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream,
                      const OpParams* params) {
  if (!op_known(op)) throw py::value_error("unknown op " + std::to_string(op));
  const unsigned __int128 p = ((unsigned __int128)pos_hi << 64) | pos_lo;
  if (pos_hi > 4 || p + (unsigned __int128)n_full * (unsigned)op_words(op) > ((unsigned __int128)1 << 66))
    throw py::value_error("draw runs past the end of the stream (2**66 words)");
  if (counts.size() != strides.size()) throw py::value_error("region: counts and strides differ in length");
  Region g;
  const char* msg = make_region(n_full, base, run_len, counts.data(), strides.data(), (int)counts.size(), g);
  if (*msg) throw py::value_error(msg);
  if (!g.runs) return;
  if (!out) throw py::value_error("null output pointer");
  RegionJob job = make_region_job(op, k0, k1, id, pos_hi, pos_lo, reinterpret_cast<void*>(out), g,
                                  make_op_args(elem_size, affine, a, b, c, ilow, range_m1));
  if (params) set_params(job, *params);
  std::string e;
  {
    py::gil_scoped_release nogil;
    e = launch_region(job, device, stream);
  }
  check(e);
}

void fill_region(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo, uint64_t n_full,
                 uint64_t base, uint64_t run_len, const std::vector<uint64_t>& counts,
                 const std::vector<uint64_t>& strides, uintptr_t out, int elem_size, bool affine, double a, double b,
                 double c, uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream) {
  fill_region_impl(op, k0, k1, id, pos_hi, pos_lo, n_full, base, run_len, counts, strides, out, elem_size, affine, a,
                   b, c, ilow, range_m1, device, stream, nullptr);
}

void fill_region_params(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo,
                        uint64_t n_full, uint64_t base, uint64_t run_len, const std::vector<uint64_t>& counts,
                        const std::vector<uint64_t>& strides, uintptr_t out, int elem_size, bool affine, double a,
                        double b, double c, uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream,
                        const py::tuple& params) {
  const OpParams q = params_of(params);
  fill_region_impl(op, k0, k1, id, pos_hi, pos_lo, n_full, base, run_len, counts, strides, out, elem_size, affine, a,
                   b, c, ilow, range_m1, device, stream, &q);
}

// A keyed draw: seed, stream id and word position are read by the kernel from `key_ptr`
// (three uint64 words in device memory), so nothing about them is known on the host.
void fill_keyed(int op, uintptr_t key_ptr, uintptr_t out, uint64_t n, int elem_size, bool affine, double a,
                double b, double c, uint64_t ilow, uint64_t range_m1, int device, uintptr_t stream) {
  if (!op_known(op)) throw py::value_error("unknown op " + std::to_string(op));
  if (!n) return;
  if (!out || !key_ptr) throw py::value_error("null output or key pointer");
  FillJob job = make_fill_job(op, 0, 0, 0, nullptr, 1, 0, 0, reinterpret_cast<void*>(out), n,
                              make_op_args(elem_size, affine, a, b, c, ilow, range_m1));
  job.key = reinterpret_cast<const uint64_t*>(key_ptr);
  std::string e;
  {
    py::gil_scoped_release nogil;
    e = launch_fill(job, device, stream);
  }
  check(e);
}

// Fused keyed dropout of n values (dtype 0 f32, 1 f64, 2 f16, 3 bf16); the kernel reads the key.
void dropout(uintptr_t key_ptr, uint64_t threshold, float scale, int dtype, uintptr_t x, uintptr_t y, uint64_t n,
             int device, uintptr_t stream) {
  if (threshold == 0 || threshold >= ((uint64_t)1 << 32)) throw py::value_error("threshold must be in (0, 2**32)");
  if (dtype < 0 || dtype > 3) throw py::value_error("dtype must be 0..3");
  if (!n) return;
  if (!key_ptr || !x || !y) throw py::value_error("null pointer");
  const DropJob job{reinterpret_cast<const uint64_t*>(key_ptr), threshold, scale, dtype,
                    reinterpret_cast<const void*>(x), reinterpret_cast<void*>(y), n};
  std::string e;
  {
    py::gil_scoped_release nogil;
    e = launch_dropout(job, device, stream);
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

// CMAKE_CUDA_ARCHITECTURES of the build, e.g. {"75-real", ..., "90-real", "90-virtual"}: machine code
// for the "-real" ones, PTX (JIT-compiled by the driver for newer GPUs) for the "-virtual" one.
std::vector<std::string> architectures() {
  std::vector<std::string> out;
  std::istringstream in(PHILOX_CUDA_ARCHITECTURES);
  for (std::string a; in >> a;) out.push_back(a);
  return out;
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "philox CUDA backend: Philox4x32-10 kernels (format v1) on raw device pointers";
  m.def("fill", &fill, "Launch a fill of rows x n values (see csrc/cuda/fill_kernels.cuh) on a stream");
  m.def("fill_region", &fill_region, "Launch a region of a draw (see csrc/region.h) on a stream");
  m.def("fill_params", &fill_params, "fill with array parameters (a tuple of device addresses and strides 0/1, "
        "docs/FORMAT.md 23)");
  m.def("fill_region_params", &fill_region_params, "fill_region with array parameters (as fill_params)");
  m.def("fill_keyed", &fill_keyed, "Launch a fill of n values; the kernel reads seed/id/position from device memory");
  m.def("dropout", &dropout, "Launch the fused keyed dropout (docs/FORMAT.md 18) on a stream");
  m.def("fold_ids", &fold_ids, "Launch out[i] = fold(parent, index[i], 0) on a stream (int64 -> uint64)");
  m.def("perm_fill", &perm_fill, "Launch out[j] = perm(start + step * j) of the keyed bijection on a stream");
  m.def("device_count", &device_count, "CUDA devices visible to this module's runtime (0 without a driver)");
  m.def("available", []() { return device_count() > 0; }, "True if a CUDA device is usable");
  m.def("runtime_version", &runtime_version);
  m.def("architectures", &architectures,
        "CUDA architectures compiled in (CMake CUDA_ARCHITECTURES: 'NN-real' machine code, 'NN-virtual' PTX)");
  m.def("driver_version", &driver_version);
}
