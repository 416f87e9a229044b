// bindings.cpp -- philox._core: the CPU backend as a Python module.
//
// Deliberately thin: outputs arrive as raw addresses of buffers that Python has
// already allocated and checked (numpy arrays or torch CPU tensors), so one
// entry point fills both in place, and validation stays in Python where the
// error messages can name the caller's arguments.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "cpu/kernels.h"
#include "philox.h"

namespace py = pybind11;
using namespace philox::cpu;

namespace {

void fill(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t block, uint32_t lane, uintptr_t out,
          size_t n, int elem_size, bool affine, double a, double b, double c, uint64_t ilow,
          uint64_t range_m1) {
  if (op < 0 || op > (int)Op::IntLarge) throw py::value_error("fill: unknown op " + std::to_string(op));
  if (lane > 3) throw py::value_error("fill: lane must be in [0, 4)");
  if (n == 0) return;
  if (!out) throw py::value_error("fill: null output pointer");
  Job job{};
  job.op = (Op)op;
  job.k0 = k0; job.k1 = k1; job.id = id; job.block = block; job.lane = lane;
  job.out = reinterpret_cast<void*>(out);
  job.n = n; job.elem_size = elem_size; job.affine = affine;
  job.a = a; job.b = b; job.c = c; job.ilow = ilow; job.range_m1 = range_m1;
  py::gil_scoped_release nogil;
  run(job);
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

PYBIND11_MODULE(_core, m) {
  m.doc() = "philox CPU backend: Philox4x32-10 kernels (format v1), SIMD with run-time dispatch";
  m.def("fill", &fill, "Fill n values of one op at a raw address (see csrc/cpu/kernels.h)",
        py::arg("op"), py::arg("k0"), py::arg("k1"), py::arg("id"), py::arg("block"), py::arg("lane"),
        py::arg("out"), py::arg("n"), py::arg("elem_size") = 0, py::arg("affine") = false,
        py::arg("a") = 0.0, py::arg("b") = 0.0, py::arg("c") = 0.0, py::arg("ilow") = 0,
        py::arg("range_m1") = 0);
  m.def("philox4x32", &philox4x32, "Philox4x32-10 block function on (n, 4) counters and (n, 2) keys");
  m.def("fold", &philox::fold, "Stream id of parent path + one component (value, kind)");
  m.def("set_num_threads", &set_num_threads);
  m.def("get_num_threads", &get_num_threads);
  m.def("isa", &isa_name, "Instruction set chosen at run time");
  m.def("force_isa", &force_isa, "Use 'baseline', 'avx2', 'avx512' or 'auto'; False if unsupported");
  m.def("words_per_value", [](int op) { return words_per_value((Op)op); });
}
