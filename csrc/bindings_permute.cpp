// bindings_permute.cpp -- philox._core's permutation and weighted-choice entry
// points (registered by bindings.cpp). Python validates the arguments and
// reserves the words on the stream (by drawing them as raw words); these only
// compute. Checks that guard memory safety are repeated here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "cpu/permute.h"
#include "philox.h"

namespace py = pybind11;

namespace {

using u32arr = py::array_t<uint32_t, py::array::c_style | py::array::forcecast>;
using f64arr = py::array_t<double, py::array::c_style | py::array::forcecast>;
using i64arr = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

philox::PermKey key_of(const u32arr& words, uint64_t n) {
  if (words.ndim() != 1 || words.shape(0) != philox::PHILOX_PERM_WORDS)
    throw py::value_error("permutation key needs exactly " + std::to_string(philox::PHILOX_PERM_WORDS) + " words");
  if (n < 1 || n > ((uint64_t)1 << 63) - 1) throw py::value_error("n must be in [1, 2**63 - 1]");
  return philox::perm_key(n, words.data());
}

int64_t* out_ptr(py::array& out, size_t* count) {
  if (!py::isinstance<py::array_t<int64_t>>(out) || !(out.flags() & py::array::c_style) || !out.writeable() ||
      out.ndim() != 1)
    throw py::value_error("out must be a writeable C-contiguous 1-D int64 array");
  *count = (size_t)out.shape(0);
  return static_cast<int64_t*>(out.mutable_data());
}

// out[j] = perm(start + step * j); every index must be < n.
void perm_fill(u32arr words, uint64_t n, uint64_t start, uint64_t step, py::array out, bool one_thread) {
  const philox::PermKey key = key_of(words, n);
  size_t count;
  int64_t* o = out_ptr(out, &count);
  if (count) {
    const unsigned __int128 last = (unsigned __int128)start + (unsigned __int128)step * (count - 1);
    if (last >= n) throw py::value_error("perm_fill: index " + std::to_string((unsigned long long)start) +
                                         " + step * (count - 1) is not below n");
  }
  py::gil_scoped_release nogil;
  if (one_thread) philox::cpu::perm_fill_1(key, start, step, o, count);
  else philox::cpu::perm_fill(key, start, step, o, count);
}

// One Feistel pass on [0, 2^b) (no cycle walking), for tests of the network itself.
py::array_t<uint64_t> perm_feistel(u32arr words, uint64_t n, py::array_t<uint64_t, py::array::c_style | py::array::forcecast> xs) {
  const philox::PermKey key = key_of(words, n);
  if (n <= philox::PHILOX_PERM_SMALL_MAX) throw py::value_error("n <= PHILOX_PERM_SMALL_MAX uses no Feistel network");
  const uint64_t dom = (uint64_t)1 << (key.wl + key.wr);
  py::array_t<uint64_t> out(xs.size());
  const uint64_t* x = xs.data();
  uint64_t* o = out.mutable_data();
  for (py::ssize_t i = 0; i < xs.size(); ++i) {
    if (x[i] >= dom) throw py::value_error("perm_feistel: value outside the domain [0, 2^b)");
    o[i] = philox::perm_feistel(key, x[i]);
  }
  return out;
}

// Vose's alias table of q (q_i = p_i * m / sum(p), computed by the caller), deterministic:
// see docs/FORMAT.md 7.
py::tuple alias_build(f64arr q_in) {
  const size_t m = (size_t)q_in.size();
  std::vector<double> q(q_in.data(), q_in.data() + m);
  py::array_t<double> prob(m);
  py::array_t<int64_t> alias(m);
  double* pr = prob.mutable_data();
  int64_t* al = alias.mutable_data();
  {
    py::gil_scoped_release nogil;
    std::vector<int64_t> small, large;
    small.reserve(m); large.reserve(m);
    for (size_t i = 0; i < m; ++i) (q[i] < 1.0 ? small : large).push_back((int64_t)i);
    while (!small.empty() && !large.empty()) {
      const int64_t l = small.back(); small.pop_back();
      const int64_t g = large.back(); large.pop_back();
      pr[l] = q[l];
      al[l] = g;
      q[g] = (q[g] + q[l]) - 1.0;
      (q[g] < 1.0 ? small : large).push_back(g);
    }
    while (!large.empty()) { const int64_t g = large.back(); large.pop_back(); pr[g] = 1.0; al[g] = g; }
    while (!small.empty()) { const int64_t l = small.back(); small.pop_back(); pr[l] = 1.0; al[l] = l; }
  }
  return py::make_tuple(prob, alias);
}

// out[i] = alias_pick(words[4i .. 4i+3]).
void alias_draw(u32arr words, f64arr prob, i64arr alias, py::array out) {
  size_t count;
  int64_t* o = out_ptr(out, &count);
  const size_t m = (size_t)prob.size();
  if ((size_t)alias.size() != m || m < 1 || m > ((size_t)1 << 32)) throw py::value_error("alias_draw: bad table");
  if ((size_t)words.size() != 4 * count) throw py::value_error("alias_draw: need 4 words per value");
  const uint32_t* w = words.data();
  const double* pr = prob.data();
  const int64_t* al = alias.data();
  const uint32_t mm1 = (uint32_t)(m - 1);
  py::gil_scoped_release nogil;
  for (size_t i = 0; i < count; ++i)
    o[i] = (int64_t)philox::alias_pick(w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3], pr, al, mm1);
}

// Efraimidis-Spirakis keys: out[i] = exp_key(words[2i], words[2i+1], p[i]).
py::array_t<double> exp_keys(u32arr words, f64arr p) {
  const size_t m = (size_t)p.size();
  if ((size_t)words.size() != 2 * m) throw py::value_error("exp_keys: need 2 words per element");
  py::array_t<double> out(m);
  double* o = out.mutable_data();
  const uint32_t* w = words.data();
  const double* pp = p.data();
  py::gil_scoped_release nogil;
  for (size_t i = 0; i < m; ++i) o[i] = philox::exp_key(w[2 * i], w[2 * i + 1], pp[i]);
  return out;
}

}  // namespace

void register_permute(py::module_& m) {
  m.attr("PERM_WORDS") = philox::PHILOX_PERM_WORDS;
  m.attr("PERM_ROUNDS") = philox::PHILOX_PERM_ROUNDS;
  m.attr("PERM_SMALL_MAX") = philox::PHILOX_PERM_SMALL_MAX;
  m.def("perm_fill", &perm_fill, "out[j] = perm(start + step*j) of the bijection keyed by 8 words (docs/FORMAT.md 6)");
  m.def("perm_feistel", &perm_feistel, "one Feistel pass on [0, 2^b) (tests)");
  m.def("alias_build", &alias_build, "Vose alias table (prob, alias) of scaled weights q (docs/FORMAT.md 7)");
  m.def("alias_draw", &alias_draw, "weighted draws with replacement, 4 words each");
  m.def("exp_keys", &exp_keys, "Efraimidis-Spirakis exponential keys, 2 words each");
}
