// params_of.h -- array parameters (ops.h OpParams, docs/FORMAT.md 23) from Python, for the CPU and
// the CUDA bindings alike: a tuple (a, sa, b, sb, c, sc, ilow, si, affine, sf) of addresses (0: none;
// host or device memory, as the caller's fill reads it) and strides in elements (0 or 1); the arrays
// (float64, float64, float64, uint64, uint8) hold every element of the output the stride 1 reaches.
#pragma once

#include <pybind11/pybind11.h>

#include <stdint.h>

#include "ops.h"

namespace philox {

inline OpParams params_of(const pybind11::tuple& t) {
  if (t.size() != 10) throw pybind11::value_error("params: a tuple (a, sa, b, sb, c, sc, ilow, si, affine, sf)");
  auto u = [&](size_t i) { return t[i].cast<uint64_t>(); };
  OpParams q{};
  q.a = reinterpret_cast<const double*>((uintptr_t)u(0)); q.sa = u(1);
  q.b = reinterpret_cast<const double*>((uintptr_t)u(2)); q.sb = u(3);
  q.c = reinterpret_cast<const double*>((uintptr_t)u(4)); q.sc = u(5);
  q.ilow = reinterpret_cast<const uint64_t*>((uintptr_t)u(6)); q.si = u(7);
  q.affine = reinterpret_cast<const uint8_t*>((uintptr_t)u(8)); q.sf = u(9);
  for (uint64_t st : {q.sa, q.sb, q.sc, q.si, q.sf})
    if (st > 1) throw pybind11::value_error("params: strides must be 0 or 1");
  return q;
}

}  // namespace philox
