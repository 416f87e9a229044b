// bindings.cpp -- philox._core: the CPU backend as a Python module.
//
// Deliberately thin: outputs arrive as raw addresses of buffers that Python has
// already allocated and checked (numpy arrays or torch CPU tensors), so one
// entry point fills both in place, and validation stays in Python where the
// error messages can name the caller's arguments.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "cpu/dropout.h"
#include "cpu/kernels.h"
#include "cursor.h"
#include "cuda/fill_kernels.cuh"
#include "ops.h"
#include "params_of.h"
#include "philox.h"
#include "region.h"
#include <pybind11/stl.h>
#include <structmember.h>

namespace py = pybind11;
using namespace philox::cpu;
using philox::bind::Cursor;
using philox::Op;
using philox::OpArgs;
using philox::make_op_args;
using philox::params_of;

namespace {

// An op code from Python: one of csrc/ops.h's table.
void check_op(int op) {
  if (!philox::op_known(op))
    throw py::value_error("unknown op " + std::to_string(op) + " (the op table has codes 0.." +
                          std::to_string(philox::kNumOps - 1) + ")");
}

// A job of n values of op from word `start` into `out`.
Job make_job(int op, uint32_t k0, uint32_t k1, uint64_t id, Cursor::u128 start, void* out, size_t n, bool fresh,
             int elem_size, bool affine, double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  Job job{};
  job.op = (Op)op;
  job.k0 = k0; job.k1 = k1; job.id = id;
  job.block = (uint64_t)(start >> 2); job.lane = (uint32_t)(start & 3);
  job.out = out;
  job.n = n; job.fresh = fresh;
  job.args = make_op_args(elem_size, affine, a, b, c, ilow, range_m1);
  return job;
}

// Reserve n * words-per-value words on the cursor and fill n values at `out`.
void fill_at(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, void* out, size_t n, bool fresh,
             int elem_size, bool affine, double a, double b, double c, uint64_t ilow, uint64_t range_m1) {
  check_op(op);
  const uint64_t words = (uint64_t)n * (uint64_t)philox::op_words(op);
  const Cursor::u128 start = cur.reserve(words);
  if (n == 0) return;
  const Job job = make_job(op, k0, k1, id, start, out, n, fresh, elem_size, affine, a, b, c, ilow, range_m1);
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

// Small draws (issue 9: per-sample code draws a few values, so the fixed cost per call is what
// counts). One call allocates a fresh numpy array of n values of dtype `dt` (n >= 0), or one value
// returned as a numpy scalar of that dtype (n < 0), reserves the words and fills it on the calling
// thread with the GIL held: for at most kSmallValues values, releasing the GIL and parsing the
// generic arguments cost more than the fill. Same words, same values as fill_array; the output is
// allocated before the position moves.
constexpr int64_t kSmallValues = 4096;

// One float64 or int64 value as a numpy scalar without a 0-d array: np.float64 and np.int64
// objects are a PyObject header and the value (numpy's arrayscalars.h: PyDoubleScalarObject,
// PyLongLongScalarObject). init_scalar_types() checks that layout against numpy at import; where it
// does not hold, the types stay null and draws take the 0-d array.
template <typename T>
struct ScalarObject {
  PyObject_HEAD
  T value;
};
PyTypeObject* g_float64 = nullptr;
PyTypeObject* g_int64 = nullptr;

template <typename T>
PyObject* new_scalar(PyTypeObject* type, T v) {
  PyObject* o = type->tp_alloc(type, 0);
  if (o) reinterpret_cast<ScalarObject<T>*>(o)->value = v;
  return o;
}

template <typename T>
PyTypeObject* checked_scalar_type(const py::module_& np, const char* name, T probe) {
  py::object t = np.attr(name);
  PyTypeObject* type = reinterpret_cast<PyTypeObject*>(t.ptr());
  if (!PyType_Check(t.ptr()) || type->tp_basicsize != (Py_ssize_t)sizeof(ScalarObject<T>) || type->tp_itemsize)
    return nullptr;
  PyObject* o = new_scalar(type, probe);
  if (!o) throw py::error_already_set();
  py::object ours = py::reinterpret_steal<py::object>(o), theirs = t(probe);
  if (!ours.equal(theirs) || py::repr(ours).cast<std::string>() != py::repr(theirs).cast<std::string>())
    return nullptr;
  Py_INCREF(t.ptr());  // kept for the module's lifetime
  return type;
}

void init_scalar_types() {
  py::module_ np = py::module_::import("numpy");
  g_float64 = checked_scalar_type<double>(np, "float64", -1.25e-300);
  g_int64 = checked_scalar_type<int64_t>(np, "int64", (int64_t)-0x123456789ABCDEF);
}

py::object draw_small(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, int64_t n, const py::dtype& dt,
                      int elem_size, uint64_t ilow, uint64_t range_m1) {
  check_op(op);
  if (n > kSmallValues) throw py::value_error("draw_small: at most " + std::to_string(kSmallValues) + " values");
  if ((size_t)dt.itemsize() != (size_t)philox::op_value_bytes(op, elem_size))
    throw py::value_error("draw_small: dtype does not match op " + std::to_string(op));
  if (n < 0 && dt.itemsize() == 8 && (dt.kind() == 'f' ? g_float64 != nullptr : dt.kind() == 'i' && g_int64)) {
    union { double f; int64_t i; } v;  // one value, no array
    const Cursor::u128 start = cur.reserve((uint64_t)philox::op_words(op));
    run(make_job(op, k0, k1, id, start, &v, 1, true, elem_size, false, 0.0, 0.0, 0.0, ilow, range_m1));
    PyObject* o = dt.kind() == 'f' ? new_scalar(g_float64, v.f) : new_scalar(g_int64, v.i);
    if (!o) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(o);
  }
  py::array out = n < 0 ? py::array(dt, std::vector<py::ssize_t>{}) : py::array(dt, std::vector<py::ssize_t>{n});
  const size_t count = n < 0 ? 1 : (size_t)n;
  const Cursor::u128 start = cur.reserve((uint64_t)count * (uint64_t)philox::op_words(op));
  if (count) run(make_job(op, k0, k1, id, start, out.mutable_data(), count, true, elem_size, false, 0.0, 0.0, 0.0,
                          ilow, range_m1));
  if (n >= 0) return std::move(out);
  PyObject* v = PyObject_GetItem(out.ptr(), py::tuple().ptr());  // arr[()]: the numpy scalar
  if (!v) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(v);
}

// The same words into n values at a raw address (a fresh torch CPU tensor); returns nothing.
void fill_small(Cursor& cur, int op, uint32_t k0, uint32_t k1, uint64_t id, int64_t n, uintptr_t out, int elem_size,
                uint64_t ilow, uint64_t range_m1) {
  check_op(op);
  if (n < 0 || n > kSmallValues)
    throw py::value_error("fill_small: n must be in [0, " + std::to_string(kSmallValues) + "]");
  if (n && !out) throw py::value_error("fill_small: null output pointer");
  const Cursor::u128 start = cur.reserve((uint64_t)n * (uint64_t)philox::op_words(op));
  if (n) run(make_job(op, k0, k1, id, start, reinterpret_cast<void*>(out), (size_t)n, true, elem_size, false, 0.0,
                      0.0, 0.0, ilow, range_m1));
}

// draw_small and fill_small as plain CPython fast-call functions, arguments
// (cursor, op, k0, k1, id, n, dtype or address[, elem_size, ilow, range_m1]): pybind11's generic
// argument conversion costs about as much as a scalar draw.
template <typename T>
bool arg_int(PyObject* o, T& v) {
  if (!PyLong_Check(o)) {
    PyErr_SetString(PyExc_TypeError, "draw_small/fill_small: integer arguments expected");
    return false;
  }
  if constexpr (std::is_signed<T>::value) {
    const long long x = PyLong_AsLongLong(o);
    if (x == -1 && PyErr_Occurred()) return false;
    v = (T)x;
  } else {
    const unsigned long long x = PyLong_AsUnsignedLongLong(o);
    if (x == (unsigned long long)-1 && PyErr_Occurred()) return false;
    v = (T)x;
  }
  return true;
}

template <bool kAlloc>
PyObject* small_fastcall(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 7 && nargs != 10) {
    PyErr_SetString(PyExc_TypeError, "draw_small/fill_small take 7 or 10 arguments");
    return nullptr;
  }
  int op = 0, elem_size = 0;
  uint32_t k0 = 0, k1 = 0;
  uint64_t id = 0, ilow = 0, range_m1 = 0;
  int64_t n = 0;
  uintptr_t address = 0;
  if (!arg_int(args[1], op) || !arg_int(args[2], k0) || !arg_int(args[3], k1) || !arg_int(args[4], id) ||
      !arg_int(args[5], n) || (!kAlloc && !arg_int(args[6], address)))
    return nullptr;
  if (nargs == 10 && (!arg_int(args[7], elem_size) || !arg_int(args[8], ilow) || !arg_int(args[9], range_m1)))
    return nullptr;
  try {
    Cursor& cur = py::cast<Cursor&>(py::handle(args[0]));
    if constexpr (kAlloc) {
      if (!py::isinstance<py::dtype>(args[6])) throw py::type_error("draw_small: dtype must be a numpy dtype");
      return draw_small(cur, op, k0, k1, id, n, py::reinterpret_borrow<py::dtype>(args[6]), elem_size, ilow,
                        range_m1).release().ptr();
    } else {
      fill_small(cur, op, k0, k1, id, n, address, elem_size, ilow, range_m1);
      Py_RETURN_NONE;
    }
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (py::cast_error&) {
    PyErr_SetString(PyExc_TypeError, "draw_small/fill_small: the first argument must be a Cursor");
  } catch (py::builtin_exception& e) {
    e.set_error();
  } catch (std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

PyMethodDef small_defs[] = {
    {"draw_small", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(small_fastcall<true>)),
     METH_FASTCALL,
     "draw_small(cursor, op, k0, k1, id, n, dtype[, elem_size, ilow, range_m1]): a fresh numpy array of "
     "n <= SMALL_VALUES values of dtype (or, n < 0, one numpy scalar), reserved and filled on the calling thread"},
    {"fill_small", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(small_fastcall<false>)),
     METH_FASTCALL,
     "fill_small(cursor, op, k0, k1, id, n, address[, elem_size, ilow, range_m1]): n <= SMALL_VALUES values "
     "at a raw address (a fresh contiguous buffer), reserved and filled on the calling thread"},
};

// Fold kinds of a path component (philox.h fold(); SPEC 3).
constexpr uint32_t kFoldInt = 0, kFoldStr = 1;

// Fold one path component onto `parent` when it is an exact int in [0, 2^64) or an exact str
// found in `str_ids` (str -> its 64-bit hash, SPEC 3): 1 folded, 0 not such a component (the
// caller checks and folds it in Python, with its error messages), -1 a Python error is set.
int fold_fast(PyObject* c, PyObject* str_ids, uint64_t& parent) {
  uint64_t v;
  uint32_t kind;
  if (PyLong_CheckExact(c)) {
    v = PyLong_AsUnsignedLongLong(c);
    kind = kFoldInt;
  } else if (PyUnicode_CheckExact(c)) {
    PyObject* h = PyDict_GetItemWithError(str_ids, c);  // borrowed
    if (!h) return PyErr_Occurred() ? -1 : 0;
    if (!PyLong_CheckExact(h)) return 0;
    v = PyLong_AsUnsignedLongLong(h);
    kind = kFoldStr;
  } else {
    return 0;
  }
  if (v == (uint64_t)-1 && PyErr_Occurred()) {  // negative, or 2^64 and above
    PyErr_Clear();
    return 0;
  }
  parent = philox::fold(parent, v, kind);
  return 1;
}

// fold_fast over every component of a tuple.
int fold_tuple_fast(PyObject* path, PyObject* str_ids, uint64_t& parent) {
  const Py_ssize_t n = PyTuple_GET_SIZE(path);
  for (Py_ssize_t i = 0; i < n; ++i) {
    const int r = fold_fast(PyTuple_GET_ITEM(path, i), str_ids, parent);
    if (r != 1) return r;
  }
  return 1;
}

// Id of parent's path extended by every component of `path` (fold_fast); None when a component
// is not an exact int or known str.
py::object path_id_fast(uint64_t parent, const py::tuple& path, const py::dict& str_ids) {
  const int r = fold_tuple_fast(path.ptr(), str_ids.ptr(), parent);
  if (r < 0) throw py::error_already_set();
  if (r == 0) return py::none();
  return py::int_(parent);
}

// ---------------------------------------------------------------- StreamCore (issue 9)
// philox._core.StreamCore: the state of a philox.Stream (seed, id, path, cursor) in one C object,
// which Stream subclasses. It exists for the fixed cost of per-sample code, which makes a stream
// and draws a few values: a stream is one allocation (the cursor lives inside it), key_stream /
// child_stream fold a path and return the new stream in one call, and rand / randn / randint take
// their common small cases (at most kSmallValues values into a fresh numpy array or torch CPU
// tensor, draw_small / fill_small) without a Python frame. Every other call, including every one
// with an argument they do not recognize, goes to the generic Python draw (_Draws' method, set by
// _stream_setup), which checks it and names what is wrong: same words, values and types.
struct StreamCoreObject {
  PyObject_HEAD
  uint64_t seed;   // normalized 64-bit seed; the key is (seed mod 2^32, seed >> 32) (SPEC 2)
  uint64_t id;     // stream id (SPEC 3)
  PyObject* path;  // the path tuple, or null (None: named by id)
  char small_ok;   // the fast paths may be taken (tests clear it to compare with the generic draw)
  alignas(Cursor) unsigned char cursor_mem[sizeof(Cursor)];  // the position (constructed in place)
  Cursor& cursor() { return *std::launder(reinterpret_cast<Cursor*>(cursor_mem)); }
  uint32_t k0() const { return (uint32_t)seed; }
  uint32_t k1() const { return (uint32_t)(seed >> 32); }
};

PyTypeObject* g_stream_type = nullptr;  // StreamCore
// Set once by _stream_setup: the generic draws (_Draws.rand, .randn, .randint), the small-draw
// dtype table (dtype as given -> (element code, numpy dtype or None for a torch dtype)), the op of
// each element code for rand and randn, the forced-torch-backend test, float64 and int64 dtypes.
enum { kRand = 0, kRandn = 1, kRandint = 2 };
PyObject* g_generic[3] = {nullptr, nullptr, nullptr};
PyObject* g_small_dtypes = nullptr;
PyObject* g_float_ops[2] = {nullptr, nullptr};
PyObject* g_forced = nullptr;
PyObject* g_f64 = nullptr;
PyObject* g_i64 = nullptr;
PyObject* g_torch_empty = nullptr;   // torch.empty and torch.Tensor, looked up at the first torch draw
PyObject* g_torch_tensor = nullptr;
PyObject* g_str_sample = nullptr;    // "sample", "is_cpu", "data_ptr", ("dtype",): interned at import
PyObject* g_str_is_cpu = nullptr;
PyObject* g_str_data_ptr = nullptr;
PyObject* g_kw_dtype = nullptr;

PyObject* stream_alloc(PyTypeObject* cls) {
  PyObject* o = cls->tp_alloc(cls, 0);  // zeroed
  if (!o) return nullptr;
  auto* s = reinterpret_cast<StreamCoreObject*>(o);
  new (s->cursor_mem) Cursor();
  s->small_ok = 1;
  return o;
}

PyObject* stream_new(PyTypeObject* cls, PyObject*, PyObject*) {  // Stream.__init__ takes the arguments
  return stream_alloc(cls);
}

void stream_dealloc(PyObject* o) {
  auto* s = reinterpret_cast<StreamCoreObject*>(o);
  s->cursor().~Cursor();
  Py_CLEAR(s->path);
  Py_TYPE(o)->tp_free(o);
}

// Translate a C++ exception from the draw code into the Python error.
template <typename F>
PyObject* guarded(F&& f) {
  try {
    return f();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (py::builtin_exception& e) {
    e.set_error();
  } catch (std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

// The generic draw `which` with the call's own arguments: generic(self, *args, **kwargs).
PyObject* call_generic(int which, PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  if (!g_generic[which]) {
    PyErr_SetString(PyExc_RuntimeError, "philox._core.StreamCore: _stream_setup was not called");
    return nullptr;
  }
  const Py_ssize_t total = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
  PyObject* small[16];
  std::vector<PyObject*> big;
  PyObject** a = small;
  if (total + 1 > 16) {
    big.resize((size_t)total + 1);
    a = big.data();
  }
  a[0] = self;
  for (Py_ssize_t i = 0; i < total; ++i) a[i + 1] = args[i];
  return PyObject_Vectorcall(g_generic[which], a, (size_t)(nargs + 1), kwnames);
}

// The count of a small draw from rand/randn's *size: -1 (none: one scalar), n in [0, kSmallValues]
// (one exact int), or -2 (anything else: the generic draw).
int64_t small_count(PyObject* const* args, Py_ssize_t nargs) {
  if (nargs == 0) return -1;
  if (nargs != 1 || !PyLong_CheckExact(args[0])) return -2;
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(args[0], &overflow);
  if (overflow || v < 0 || v > kSmallValues) return -2;  // (no error is set for an exact int)
  return v;
}

bool name_is(PyObject* name, const char* s) { return PyUnicode_CompareWithASCIIString(name, s) == 0; }

// A fresh torch CPU tensor of n values (a 0-d one for n < 0) of `dtype` filled with op's values;
// Py_None (with no error) where the generic draw must take it (the torch fallback backend forced,
// another default device, a FakeTensor while tracing).
PyObject* torch_small(StreamCoreObject* s, int op, int64_t n, PyObject* dtype) {
  PyObject* forced = PyObject_CallNoArgs(g_forced);
  if (!forced) return nullptr;
  const int f = PyObject_IsTrue(forced);
  Py_DECREF(forced);
  if (f) return f < 0 ? nullptr : Py_NewRef(Py_None);
  if (!g_torch_empty) {
    PyObject* torch = PyImport_GetModule(py::str("torch").ptr());  // new ref or null (no error)
    if (!torch) return PyErr_Occurred() ? nullptr : Py_NewRef(Py_None);
    if (torch == Py_None) return torch;  // sys.modules["torch"] = None: torch blocked, the generic path says so
    PyObject* empty = PyObject_GetAttrString(torch, "empty");
    PyObject* tensor = empty ? PyObject_GetAttrString(torch, "Tensor") : nullptr;
    Py_DECREF(torch);
    if (!tensor) {
      Py_XDECREF(empty);
      return nullptr;
    }
    g_torch_empty = empty;  // kept for the module's lifetime
    g_torch_tensor = tensor;
  }
  PyObject* size = n >= 0 ? PyLong_FromLongLong(n) : PyTuple_New(0);
  if (!size) return nullptr;
  PyObject* call_args[2] = {size, dtype};
  PyObject* buf = PyObject_Vectorcall(g_torch_empty, call_args, 1, g_kw_dtype);  // torch.empty(n, dtype=dtype)
  Py_DECREF(size);
  if (!buf) return nullptr;
  if ((PyObject*)Py_TYPE(buf) != g_torch_tensor) {
    Py_DECREF(buf);
    return Py_NewRef(Py_None);
  }
  PyObject* cpu = PyObject_GetAttr(buf, g_str_is_cpu);
  const int is_cpu = cpu ? PyObject_IsTrue(cpu) : -1;
  Py_XDECREF(cpu);
  if (is_cpu <= 0) {
    Py_DECREF(buf);
    return is_cpu < 0 ? nullptr : Py_NewRef(Py_None);
  }
  PyObject* ptr = PyObject_CallMethodNoArgs(buf, g_str_data_ptr);
  const unsigned long long address = ptr ? PyLong_AsUnsignedLongLong(ptr) : 0;
  Py_XDECREF(ptr);
  if (PyErr_Occurred()) {
    Py_DECREF(buf);
    return nullptr;
  }
  PyObject* r = guarded([&]() -> PyObject* {
    fill_small(s->cursor(), op, s->k0(), s->k1(), s->id, n < 0 ? 1 : n, (uintptr_t)address, 0, 0, 0);
    return Py_NewRef(Py_None);
  });
  if (!r) {
    Py_DECREF(buf);
    return nullptr;
  }
  Py_DECREF(r);
  return buf;
}

// rand / randn: (*size, dtype=None, device=None, out=None, region=None).
template <int kWhich>
PyObject* stream_float_small(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  auto* s = reinterpret_cast<StreamCoreObject*>(self);
  if (!s->small_ok || !g_small_dtypes) return call_generic(kWhich, self, args, nargs, kwnames);
  PyObject* dtype = Py_None;
  if (kwnames) {
    const Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t i = 0; i < nkw; ++i) {
      PyObject* name = PyTuple_GET_ITEM(kwnames, i);
      PyObject* v = args[nargs + i];
      if (name_is(name, "dtype")) {
        dtype = v;
      } else if (!(v == Py_None && (name_is(name, "device") || name_is(name, "out") || name_is(name, "region")))) {
        return call_generic(kWhich, self, args, nargs, kwnames);
      }
    }
  }
  const int64_t n = small_count(args, nargs);
  if (n < -1) return call_generic(kWhich, self, args, nargs, kwnames);
  int op;
  PyObject* np_dtype;
  if (dtype == Py_None) {
    op = (int)(kWhich == kRand ? Op::UniformF64 : Op::NormalF64);
    np_dtype = g_f64;
  } else {
    PyObject* found = PyDict_GetItemWithError(g_small_dtypes, dtype);  // borrowed; unhashable: TypeError
    if (!found || !PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2) {
      PyErr_Clear();
      return call_generic(kWhich, self, args, nargs, kwnames);
    }
    PyObject* code = PyDict_GetItemWithError(g_float_ops[kWhich], PyTuple_GET_ITEM(found, 0));
    if (!code || !PyLong_CheckExact(code)) {  // no such op for this dtype (an int dtype): the generic error
      PyErr_Clear();
      return call_generic(kWhich, self, args, nargs, kwnames);
    }
    op = (int)PyLong_AsLong(code);
    np_dtype = PyTuple_GET_ITEM(found, 1);
  }
  if (np_dtype == Py_None) {  // a torch dtype
    PyObject* r = torch_small(s, op, n, dtype);
    if (r != Py_None) return r;
    Py_DECREF(r);
    return call_generic(kWhich, self, args, nargs, kwnames);
  }
  return guarded([&]() -> PyObject* {
    return draw_small(s->cursor(), op, s->k0(), s->k1(), s->id, n, py::reinterpret_borrow<py::dtype>(np_dtype), 0,
                      0, 0).release().ptr();
  });
}

// randint(low, high=None, size=None, dtype=None, device=None, out=None, region=None): int64 numpy
// values of exact int bounds in int64's range and size None or an exact int <= kSmallValues.
PyObject* stream_randint(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  auto* s = reinterpret_cast<StreamCoreObject*>(self);
  static const char* const names[] = {"low", "high", "size", "dtype", "device", "out", "region"};
  constexpr int kParams = 7;
  if (!s->small_ok || !g_i64 || nargs > kParams) return call_generic(kRandint, self, args, nargs, kwnames);
  PyObject* p[kParams] = {};
  for (Py_ssize_t i = 0; i < nargs; ++i) p[i] = args[i];
  if (kwnames) {
    const Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t i = 0; i < nkw; ++i) {
      PyObject* name = PyTuple_GET_ITEM(kwnames, i);
      int j = 0;
      while (j < kParams && !name_is(name, names[j])) ++j;
      if (j == kParams || p[j]) return call_generic(kRandint, self, args, nargs, kwnames);  // the generic error
      p[j] = args[nargs + i];
    }
  }
  for (int j = 3; j < kParams; ++j)
    if (p[j] && p[j] != Py_None) return call_generic(kRandint, self, args, nargs, kwnames);
  PyObject* low = p[0];
  PyObject* high = p[1] && p[1] != Py_None ? p[1] : nullptr;
  if (!low || !PyLong_CheckExact(low) || (high && !PyLong_CheckExact(high)))
    return call_generic(kRandint, self, args, nargs, kwnames);
  int o1 = 0, o2 = 0;
  long long lo = 0, hi;
  if (high) {
    lo = PyLong_AsLongLongAndOverflow(low, &o1);
    hi = PyLong_AsLongLongAndOverflow(high, &o2);
  } else {
    hi = PyLong_AsLongLongAndOverflow(low, &o2);
  }
  int64_t n = -1;
  if (p[2] && p[2] != Py_None) {
    int o3 = 0;
    const long long v = PyLong_CheckExact(p[2]) ? PyLong_AsLongLongAndOverflow(p[2], &o3) : -1;
    if (o3 || v < 0 || v > kSmallValues) return call_generic(kRandint, self, args, nargs, kwnames);
    n = v;
  }
  // both bounds in int64 (hi = 2^63 overflows here: the generic path takes it) and lo < hi
  if (o1 || o2 || !(lo < hi)) return call_generic(kRandint, self, args, nargs, kwnames);
  const uint64_t r = (uint64_t)hi - (uint64_t)lo;  // in [1, 2^64)
  const int op = (int)(r <= ((uint64_t)1 << 32) ? Op::IntSmall : Op::IntLarge);
  return guarded([&]() -> PyObject* {
    return draw_small(s->cursor(), op, s->k0(), s->k1(), s->id, n, py::reinterpret_borrow<py::dtype>(g_i64), 8,
                      (uint64_t)lo, r - 1).release().ptr();
  });
}

PyObject* stream_get_k0(PyObject* o, void*) {
  return PyLong_FromUnsignedLong(reinterpret_cast<StreamCoreObject*>(o)->k0());
}
PyObject* stream_get_k1(PyObject* o, void*) {
  return PyLong_FromUnsignedLong(reinterpret_cast<StreamCoreObject*>(o)->k1());
}
// The cursor as a philox._core.Cursor (for the generic draws, numpy's bit generator): a reference
// into this object that keeps it alive.
PyObject* stream_get_cursor(PyObject* o, void*) {
  return guarded([&]() -> PyObject* {
    return py::cast(&reinterpret_cast<StreamCoreObject*>(o)->cursor(), py::return_value_policy::reference_internal,
                    py::handle(o)).release().ptr();
  });
}

PyMemberDef stream_members[] = {
    {"_seed", T_ULONGLONG, offsetof(StreamCoreObject, seed), 0, "the normalized 64-bit seed"},
    {"_id", T_ULONGLONG, offsetof(StreamCoreObject, id), 0, "the 64-bit stream id"},
    {"_path", T_OBJECT, offsetof(StreamCoreObject, path), 0, "the path tuple, or None"},
    {"_small_ok", T_BOOL, offsetof(StreamCoreObject, small_ok), 0, "whether the small-draw fast paths may be taken"},
    {nullptr, 0, 0, 0, nullptr},
};

PyGetSetDef stream_getset[] = {
    {"_k0", stream_get_k0, nullptr, "key word 0: seed mod 2**32", nullptr},
    {"_k1", stream_get_k1, nullptr, "key word 1: seed >> 32", nullptr},
    {"_cursor", stream_get_cursor, nullptr, "the position, a philox._core.Cursor", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

const char* const kStreamSignatures[3] = {
    "rand($self, /, *size, dtype=None, device=None, out=None, region=None)",
    "randn($self, /, *size, dtype=None, device=None, out=None, region=None)",
    "randint($self, /, low, high=None, size=None, dtype=None, device=None, out=None, region=None)",
};

#define PHILOX_FASTCALL_KW(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(f))
PyMethodDef stream_methods[] = {
    {"rand", PHILOX_FASTCALL_KW(stream_float_small<kRand>), METH_FASTCALL | METH_KEYWORDS,
     "Uniform floats in [0, 1) (see philox.Stream.rand)"},
    {"randn", PHILOX_FASTCALL_KW(stream_float_small<kRandn>), METH_FASTCALL | METH_KEYWORDS,
     "Standard normal floats (see philox.Stream.randn)"},
    {"randint", PHILOX_FASTCALL_KW(stream_randint), METH_FASTCALL | METH_KEYWORDS,
     "Integers in [low, high) (see philox.Stream.randint)"},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject* make_stream_type() {
  static PyType_Slot slots[] = {
      {Py_tp_new, reinterpret_cast<void*>(stream_new)},
      {Py_tp_dealloc, reinterpret_cast<void*>(stream_dealloc)},
      {Py_tp_members, stream_members},
      {Py_tp_getset, stream_getset},
      {Py_tp_methods, stream_methods},
      {Py_tp_doc, const_cast<char*>("The state of a philox.Stream (seed, id, path, position) and its small-draw "
                                    "fast paths; philox.Stream subclasses it")},
      {0, nullptr},
  };
  static PyType_Spec spec = {"philox._core.StreamCore", (int)sizeof(StreamCoreObject), 0,
                             Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, slots};
  return reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
}

// A new stream of class `cls` (StreamCore or a subclass) at position 0, its __init__ not run.
PyObject* new_stream_of(PyObject* cls, uint64_t seed, uint64_t id) {
  if (!PyType_Check(cls) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls), g_stream_type)) {
    PyErr_SetString(PyExc_TypeError, "cls must be a subclass of philox._core.StreamCore");
    return nullptr;
  }
  PyObject* o = stream_alloc(reinterpret_cast<PyTypeObject*>(cls));
  if (!o) return nullptr;
  auto* s = reinterpret_cast<StreamCoreObject*>(o);
  s->seed = seed;
  s->id = id;
  return o;
}

bool arg_u64(PyObject* o, uint64_t& v, const char* what) {
  if (!PyLong_Check(o)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int", what);
    return false;
  }
  v = PyLong_AsUnsignedLongLong(o);
  return !(v == (uint64_t)-1 && PyErr_Occurred());
}

// key_stream(cls, seed, sampler_path, epoch, index, path, str_ids): the stream of
// (*sampler_path, "sample", epoch, index, *path) at position 0 (SampleKey.stream: docs/FORMAT.md
// 8), or None when a component is not an exact int / known str (the caller checks and folds them).
PyObject* key_stream(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 7) {
    PyErr_SetString(PyExc_TypeError, "key_stream takes 7 arguments");
    return nullptr;
  }
  uint64_t seed, epoch, index;
  if (!arg_u64(args[1], seed, "seed") || !arg_u64(args[3], epoch, "epoch") || !arg_u64(args[4], index, "index"))
    return nullptr;
  if (!PyTuple_Check(args[2]) || !PyTuple_Check(args[5]) || !PyDict_Check(args[6])) {
    PyErr_SetString(PyExc_TypeError, "key_stream: sampler_path and path must be tuples, str_ids a dict");
    return nullptr;
  }
  uint64_t id = 0;
  int r = fold_tuple_fast(args[2], args[6], id);
  if (r == 1) r = fold_fast(g_str_sample, args[6], id);
  if (r < 0) return nullptr;
  if (r == 0) Py_RETURN_NONE;
  id = philox::fold(philox::fold(id, epoch, kFoldInt), index, kFoldInt);
  r = fold_tuple_fast(args[5], args[6], id);
  if (r < 0) return nullptr;
  if (r == 0) Py_RETURN_NONE;
  return new_stream_of(args[0], seed, id);
}

// child_stream(cls, parent, more, str_ids): parent's child stream (parent.stream(*more)) at position
// 0, its path parent's extended by `more` (None when parent's is None), or None when a component of
// `more` is not an exact int / known str.
PyObject* child_stream(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4) {
    PyErr_SetString(PyExc_TypeError, "child_stream takes 4 arguments");
    return nullptr;
  }
  if (!PyObject_TypeCheck(args[1], g_stream_type) || !PyTuple_Check(args[2]) || !PyDict_Check(args[3])) {
    PyErr_SetString(PyExc_TypeError, "child_stream: parent must be a StreamCore, more a tuple, str_ids a dict");
    return nullptr;
  }
  auto* parent = reinterpret_cast<StreamCoreObject*>(args[1]);
  uint64_t id = parent->id;
  const int r = fold_tuple_fast(args[2], args[3], id);
  if (r < 0) return nullptr;
  if (r == 0) Py_RETURN_NONE;
  PyObject* path = nullptr;
  if (parent->path && parent->path != Py_None) {
    path = PySequence_Concat(parent->path, args[2]);
    if (!path) return nullptr;
  }
  PyObject* o = new_stream_of(args[0], parent->seed, id);
  if (!o) {
    Py_XDECREF(path);
    return nullptr;
  }
  reinterpret_cast<StreamCoreObject*>(o)->path = path;
  return o;
}

// _stream_setup(rand, randn, randint, small_dtypes, uniform_ops, normal_ops, forced, f64, i64).
PyObject* stream_setup(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 9) {
    PyErr_SetString(PyExc_TypeError, "_stream_setup takes 9 arguments");
    return nullptr;
  }
  if (!PyDict_Check(args[3]) || !PyDict_Check(args[4]) || !PyDict_Check(args[5])) {
    PyErr_SetString(PyExc_TypeError, "_stream_setup: small_dtypes, uniform_ops and normal_ops must be dicts");
    return nullptr;
  }
  PyObject** slots[] = {&g_generic[0], &g_generic[1], &g_generic[2], &g_small_dtypes, &g_float_ops[0],
                        &g_float_ops[1], &g_forced, &g_f64, &g_i64};
  for (int i = 0; i < 9; ++i) Py_XSETREF(*slots[i], Py_NewRef(args[i]));
  // Each method's doc: its signature (inspect.signature reads it) and the generic draw's docstring,
  // read from ml_doc whenever asked (help(philox.Stream.rand) shows _Draws.rand's text).
  static std::string docs[3];
  for (int i = 0; i < 3; ++i) {
    PyObject* doc = PyObject_GetAttrString(g_generic[i], "__doc__");
    if (!doc) return nullptr;
    const char* text = PyUnicode_Check(doc) ? PyUnicode_AsUTF8(doc) : "";
    if (!text) {
      Py_DECREF(doc);
      return nullptr;
    }
    if (*text || docs[i].empty()) {
      docs[i] = std::string(kStreamSignatures[i]) + "\n--\n\n" + text;
      stream_methods[i].ml_doc = docs[i].c_str();
    }
    Py_DECREF(doc);
  }
  Py_RETURN_NONE;
}

PyMethodDef stream_defs[] = {
    {"key_stream", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(key_stream)), METH_FASTCALL,
     "key_stream(cls, seed, sampler_path, epoch, index, path, str_ids): the stream of (*sampler_path, 'sample', "
     "epoch, index, *path) at position 0, or None for a component that is not an exact int / known str"},
    {"child_stream", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(child_stream)), METH_FASTCALL,
     "child_stream(cls, parent, more, str_ids): parent.stream(*more) at position 0, or None for a component "
     "that is not an exact int / known str"},
    {"_stream_setup", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(stream_setup)), METH_FASTCALL,
     "_stream_setup(rand, randn, randint, small_dtypes, uniform_ops, normal_ops, forced, f64, i64): the generic "
     "draws and tables StreamCore's fast paths use"},
};

void register_stream_core(py::module_& m) {
  g_stream_type = make_stream_type();
  if (!g_stream_type) throw py::error_already_set();
  m.attr("StreamCore") = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(g_stream_type));
  g_str_sample = PyUnicode_InternFromString("sample");
  g_str_is_cpu = PyUnicode_InternFromString("is_cpu");
  g_str_data_ptr = PyUnicode_InternFromString("data_ptr");
  g_kw_dtype = Py_BuildValue("(s)", "dtype");
  if (!g_str_sample || !g_str_is_cpu || !g_str_data_ptr || !g_kw_dtype) throw py::error_already_set();
  for (PyMethodDef& def : stream_defs) {
    PyObject* fn = PyCFunction_NewEx(&def, nullptr, nullptr);
    if (!fn) throw py::error_already_set();
    m.attr(def.ml_name) = py::reinterpret_steal<py::object>(fn);
  }
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
// Fused dropout (docs/FORMAT.md 18) of n contiguous values x -> y; dtype 0 float32, 1 float64,
// 2 float16, 3 bfloat16 (the CUDA kernel's codes).
void dropout_fill_py(uint32_t k0, uint32_t k1, uint64_t id, uint64_t position, uint64_t threshold, float scale,
                     int dtype, uintptr_t x, uintptr_t y, size_t n) {
  if (dtype < 0 || dtype > 3) throw py::value_error("dtype must be 0..3 (float32, float64, float16, bfloat16)");
  if (threshold == 0 || threshold >= ((uint64_t)1 << 32))
    throw py::value_error("threshold must be in (0, 2**32): p = 0 and p = 1 need no words");
  if (!n) return;
  if (!x || !y) throw py::value_error("null pointer");
  const philox::cpu::DropJob j{k0, k1, id, position, threshold, scale, dtype, reinterpret_cast<const void*>(x),
                               reinterpret_cast<void*>(y), n};
  py::gil_scoped_release nogil;
  philox::cpu::dropout_fill(j);
}

// The CUDA dropout kernel's per-item code run on the CPU, items in any order (tests).
void emulate_gpu_dropout(uintptr_t key_ptr, uint64_t threshold, float scale, int dtype, uintptr_t x, uintptr_t y,
                         uint64_t n, bool reverse) {
  if (dtype < 0 || dtype > 3) throw py::value_error("dtype must be 0..3");
  const philox::gpu::DropJob j{reinterpret_cast<const uint64_t*>(key_ptr), threshold, scale, dtype,
                               reinterpret_cast<const void*>(x), reinterpret_cast<void*>(y), n};
  const uint64_t items = philox::gpu::drop_items(n);
  py::gil_scoped_release nogil;
  for (uint64_t k = 0; k < items; ++k) philox::gpu::drop_item(j, reverse ? items - 1 - k : k);
}

void fill_rows_impl(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, size_t rows, uint64_t pos_hi,
                    uint64_t pos_lo, uintptr_t out, size_t n, bool fresh, int elem_size, bool affine, double a,
                    double b, double c, uint64_t ilow, uint64_t range_m1, const philox::OpParams* params) {
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
  job.params = params;
  py::gil_scoped_release nogil;
  if (!ids_ptr) {
    if (rows == 1) { run(job); return; }
    std::vector<uint64_t> same(rows, id);
    run_rows(job, same.data(), rows);
    return;
  }
  run_rows(job, reinterpret_cast<const uint64_t*>(ids_ptr), rows);
}

void fill_rows(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, size_t rows, uint64_t pos_hi,
               uint64_t pos_lo, uintptr_t out, size_t n, bool fresh, int elem_size, bool affine, double a, double b,
               double c, uint64_t ilow, uint64_t range_m1) {
  fill_rows_impl(op, k0, k1, id, ids_ptr, rows, pos_hi, pos_lo, out, n, fresh, elem_size, affine, a, b, c, ilow,
                 range_m1, nullptr);
}

// fill_rows with array parameters (params_of): value i of row r takes element r * n + i.
void fill_rows_params(int op, uint32_t k0, uint32_t k1, uint64_t id, uintptr_t ids_ptr, size_t rows, uint64_t pos_hi,
                      uint64_t pos_lo, uintptr_t out, size_t n, bool fresh, int elem_size, bool affine, double a,
                      double b, double c, uint64_t ilow, uint64_t range_m1, const py::tuple& params) {
  const philox::OpParams q = params_of(params);
  fill_rows_impl(op, k0, k1, id, ids_ptr, rows, pos_hi, pos_lo, out, n, fresh, elem_size, affine, a, b, c, ilow,
                 range_m1, &q);
}

// A region (csrc/region.h) of a draw of n_full values from a word position, checked.
philox::Region region_of(int op, uint64_t pos_hi, uint64_t pos_lo, uint64_t n_full, uint64_t base, uint64_t run_len,
                         const std::vector<uint64_t>& counts, const std::vector<uint64_t>& strides) {
  check_span(op, pos_hi, pos_lo, n_full);
  if (counts.size() != strides.size()) throw py::value_error("region: counts and strides differ in length");
  philox::Region g;
  const char* e = philox::make_region(n_full, base, run_len, counts.data(), strides.data(), (int)counts.size(), g);
  if (*e) throw py::value_error(e);
  return g;
}

// CPU: a region of a draw of n_full values from a word position (no cursor: Python reserved
// the full draw's words) into runs * run_len contiguous values at `out`.
void fill_region_impl(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo,
                      uint64_t n_full, uint64_t base, uint64_t run_len, const std::vector<uint64_t>& counts,
                      const std::vector<uint64_t>& strides, uintptr_t out, bool fresh, int elem_size, bool affine,
                      double a, double b, double c, uint64_t ilow, uint64_t range_m1,
                      const philox::OpParams* params) {
  const philox::Region g = region_of(op, pos_hi, pos_lo, n_full, base, run_len, counts, strides);
  if (!g.runs) return;
  if (!out) throw py::value_error("fill_region: null output pointer");
  if (fresh)
    advise_huge_pages(reinterpret_cast<void*>(out), g.runs * g.run_len * (size_t)philox::op_value_bytes(op, elem_size));
  Job job{};
  job.op = (Op)op;
  job.k0 = k0; job.k1 = k1; job.id = id;
  job.block = (pos_hi << 62) | (pos_lo >> 2); job.lane = (uint32_t)(pos_lo & 3);
  job.out = reinterpret_cast<void*>(out);
  job.fresh = fresh;
  job.args = make_op_args(elem_size, affine, a, b, c, ilow, range_m1);
  job.params = params;
  py::gil_scoped_release nogil;
  run_region(job, g);
}

void fill_region(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo, uint64_t n_full,
                 uint64_t base, uint64_t run_len, const std::vector<uint64_t>& counts,
                 const std::vector<uint64_t>& strides, uintptr_t out, bool fresh, int elem_size, bool affine, double a,
                 double b, double c, uint64_t ilow, uint64_t range_m1) {
  fill_region_impl(op, k0, k1, id, pos_hi, pos_lo, n_full, base, run_len, counts, strides, out, fresh, elem_size,
                   affine, a, b, c, ilow, range_m1, nullptr);
}

// fill_region with array parameters (params_of): output element r * run_len + i takes element r * run_len + i.
void fill_region_params(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo,
                        uint64_t n_full, uint64_t base, uint64_t run_len, const std::vector<uint64_t>& counts,
                        const std::vector<uint64_t>& strides, uintptr_t out, bool fresh, int elem_size, bool affine,
                        double a, double b, double c, uint64_t ilow, uint64_t range_m1, const py::tuple& params) {
  const philox::OpParams q = params_of(params);
  fill_region_impl(op, k0, k1, id, pos_hi, pos_lo, n_full, base, run_len, counts, strides, out, fresh, elem_size,
                   affine, a, b, c, ilow, range_m1, &q);
}

// The CUDA region kernel's per-thread code run on the CPU for a given grid and block size
// (each thread's grid-stride loop in turn). For tests only.
void emulate_gpu_region(int op, uint32_t k0, uint32_t k1, uint64_t id, uint64_t pos_hi, uint64_t pos_lo,
                        uint64_t n_full, uint64_t base, uint64_t run_len, const std::vector<uint64_t>& counts,
                        const std::vector<uint64_t>& strides, uintptr_t out, int elem_size, bool affine, double a,
                        double b, double c, uint64_t ilow, uint64_t range_m1, uint64_t grid, uint64_t block,
                        const py::object& params) {
  const philox::Region g = region_of(op, pos_hi, pos_lo, n_full, base, run_len, counts, strides);
  if (!grid || !block) throw py::value_error("grid and block must be positive");
  philox::gpu::RegionJob job = philox::gpu::make_region_job(
      op, k0, k1, id, pos_hi, pos_lo, reinterpret_cast<void*>(out), g,
      make_op_args(elem_size, affine, a, b, c, ilow, range_m1));
  if (!params.is_none()) philox::gpu::set_params(job, params_of(params.cast<py::tuple>()));
  const uint64_t n = philox::gpu::region_items(job), stride = grid * block;
  py::gil_scoped_release nogil;
  philox::with_op(op, [&](auto opc) {
    constexpr int OP = decltype(opc)::value;
    for (uint64_t bx = 0; bx < grid; ++bx)
      for (uint64_t tx = 0; tx < block; ++tx)
        for (uint64_t i = bx * block + tx; i < n; i += stride) philox::gpu::region_item<OP>(job, i);
  });
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
                      uint64_t block, bool staged, uintptr_t key_ptr = 0, const py::object& params = py::none()) {
  check_span(op, pos_hi, pos_lo, n);
  if (!grid || !block) throw py::value_error("grid and block must be positive");
  philox::gpu::FillJob job_in = philox::gpu::make_fill_job(
      op, k0, k1, id, reinterpret_cast<const uint64_t*>(ids_ptr), rows, pos_hi, pos_lo,
      reinterpret_cast<void*>(out), n, make_op_args(elem_size, affine, a, b, c, ilow, range_m1));
  // keyed (key_ptr: three words seed, id, position): the launcher's worst-lane grid, and
  // every "thread" applies the key first, as fill_kernel does
  job_in.key = reinterpret_cast<const uint64_t*>(key_ptr);
  if (!params.is_none()) philox::gpu::set_params(job_in, params_of(params.cast<py::tuple>()));
  const uint64_t items = job_in.rows * (job_in.key ? philox::gpu::tiles_per_row(3, n, philox::op_words(op))
                                                   : job_in.tiles),
                 stride = grid * block;
  const philox::gpu::FillJob job = philox::gpu::keyed_job(job_in);
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

// A new float64 array of x's shape filled by many(x, out, n) with the GIL released (one call for a
// whole array: truncated_normal's array bounds).
template <class Many>
py::array_t<double> map_array(const py::array_t<double, py::array::c_style | py::array::forcecast>& x, Many many) {
  py::array_t<double> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  const double* xi = x.data();
  double* o = out.mutable_data();
  const size_t n = (size_t)x.size();
  {
    py::gil_scoped_release nogil;
    many(xi, o, n);
  }
  return out;
}

// Phi^-1 (or any scalar function) of every element, the same bits as the scalar _core.ndtri.
template <double (*F)(double)>
py::array_t<double> map_f64(py::array_t<double, py::array::c_style | py::array::forcecast> x) {
  return map_array(x, [](const double* xi, double* o, size_t n) {
    for (size_t i = 0; i < n; ++i) o[i] = F(xi[i]);
  });
}

// gamma's c (csrc/dists.h gamma_c) of n shapes: a sqrt and a division per value, cloned for AVX-512
// and AVX2 (GCC picks one at load time; the same IEEE operations, no contraction: the same bits) --
// the SSE2 build's two lanes took 1.6 ns per value, the column's main cost in gamma(array) draws.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void gamma_c_many(const double* __restrict a, double* __restrict o, size_t n) {
  for (size_t i = 0; i < n; ++i) o[i] = philox::gamma_c(a[i]);
}

// Phi of n values, ndtr_f64_fast's bits, 8 at a time: where 8 neighbours all take the continued
// fraction (0.6 <= t <= 39, t = |x|; neighbours of a sorted array, as truncated_normal's unique bounds,
// take similar level counts), their levels run side by side (independent divisions: throughput, not
// latency, and SSE2's two-lane divide), with one level count for the 8: the largest of their
// estimates (mills_cf_fast's bracket is exact with any count below 1000; at 1000 or more, the
// definition's own 1000 levels from f = t). A lane whose bracket ends open takes mills_cf_fast.
void ndtr_many(const double* x, double* o, size_t n) {
  constexpr int W = 8;
  size_t i = 0;
  for (; i + W <= n; i += W) {
    double t[W], lo[W], hi[W];
    double est = 0.0;
    bool frac = true;
    for (int j = 0; j < W; ++j) {
      t[j] = x[i + j] < 0.0 ? -x[i + j] : x[i + j];
      frac = frac && t[j] >= 0.6 && t[j] <= 39.0;  // false for NaN
      if (frac) est = std::max(est, 560.0 / (t[j] * t[j]) + 8.0);
    }
    if (!frac) {
      for (int j = 0; j < W; ++j) o[i + j] = philox::ndtr_f64_fast(x[i + j]);
      continue;
    }
    const int levels = est >= 1000.0 ? 1000 : (int)est;
    for (int j = 0; j < W; ++j) {
      lo[j] = t[j];
      hi[j] = levels == 1000 ? t[j] : philox::mills_level(t[j], levels + 1, t[j]);
    }
    int n_lv = levels;
    bool met = false;
    for (; n_lv >= 1 && !met; --n_lv) {
      for (int j = 0; j < W; ++j) {
        lo[j] = philox::mills_level(t[j], n_lv, lo[j]);
        hi[j] = philox::mills_level(t[j], n_lv, hi[j]);
      }
      if ((n_lv & 15) == 0) {  // both ends met in every lane: one chain from here on
        met = true;
        for (int j = 0; j < W; ++j) met = met && lo[j] == hi[j];
      }
    }
    for (; n_lv >= 1; --n_lv)
      for (int j = 0; j < W; ++j) lo[j] = philox::mills_level(t[j], n_lv, lo[j]);
    for (int j = 0; j < W; ++j) {
      const double f = (levels == 1000 || met || lo[j] == hi[j]) ? lo[j] : philox::mills_cf_fast(t[j]);
      const double l = philox::normal_pdf_f64(t[j]) / f;
      o[i + j] = x[i + j] < 0.0 ? l : 1.0 - l;
    }
  }
  for (; i < n; ++i) o[i] = philox::ndtr_f64_fast(x[i]);
}

py::array_t<double> ndtr_array(py::array_t<double, py::array::c_style | py::array::forcecast> x) {
  return map_array(x, ndtr_many);
}

// dirichlet's stick-breaking (FORMAT 21.4) for a Stream's numpy draw, one pass per row: V holds the
// K - 1 beta columns (V[j * rows + r] = V[r, j]), o the (rows, K) result: x_j = V_j * rem,
// rem = rem * (1 - V_j) from rem = 1 (so x_0 = V_0 and rem = 1 - V_0 exactly), x_{K-1} = rem; the
// same float64 operations in the same order as the column passes it replaces (_core is built
// without FMA contraction), so the same bits. Rows in blocks, so a block of each column stays in
// L1 between the row loop's reads.
void stick_breaking_rows(const double* __restrict V, double* __restrict o, size_t rows, size_t km1) {
  constexpr size_t B = 256;
  const size_t k = km1 + 1;
  double rem[B];
  for (size_t r0 = 0; r0 < rows; r0 += B) {
    const size_t nb = std::min(B, rows - r0);
    for (size_t t = 0; t < nb; ++t) {
      const double v0 = V[r0 + t];
      o[(r0 + t) * k] = v0;
      rem[t] = 1.0 - v0;
    }
    for (size_t j = 1; j < km1; ++j) {
      const double* Vj = V + j * rows + r0;
      for (size_t t = 0; t < nb; ++t) {
        o[(r0 + t) * k + j] = Vj[t] * rem[t];
        rem[t] = rem[t] * (1.0 - Vj[t]);
      }
    }
    for (size_t t = 0; t < nb; ++t) o[(r0 + t) * k + km1] = rem[t];
  }
}

// A new (rows, K) array from v (K - 1, rows), K >= 2 (stick_breaking_rows).
py::array_t<double> stick_breaking(py::array_t<double, py::array::c_style | py::array::forcecast> v) {
  if (v.ndim() != 2 || v.shape(0) < 1)
    throw py::value_error("stick_breaking: v must be (K - 1, rows) with K >= 2");
  const size_t km1 = (size_t)v.shape(0), rows = (size_t)v.shape(1);
  py::array_t<double> out(std::vector<py::ssize_t>{(py::ssize_t)rows, (py::ssize_t)(km1 + 1)});
  const double* V = v.data();
  double* o = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    stick_breaking_rows(V, o, rows, km1);
  }
  return out;
}

// categorical (FORMAT 22.3) after its gumbel draw g, over rows of x (rows, K), both C order and of
// one dtype T: -1 for a row with a NaN or only -inf logits, else the least j with x[j] + g[j] at the
// row's maximum (the dtype's own correctly rounded sum: numpy's argmax(x + g, -1), ties to the
// first), in one pass without the (rows, K) sum.
template <class T>
void categorical_rows(const T* __restrict x, const T* __restrict g, int64_t* __restrict o, size_t rows, size_t k) {
  const T ninf = -std::numeric_limits<T>::infinity();
  for (size_t r = 0; r < rows; ++r) {
    const T* xr = x + r * k;
    const T* gr = g + r * k;
    T best = xr[0] + gr[0];
    int64_t at = 0;
    bool nan = xr[0] != xr[0], low = xr[0] == ninf;
    for (size_t j = 1; j < k; ++j) {
      const T v = xr[j] + gr[j];
      const bool up = v > best;
      best = up ? v : best;
      at = up ? (int64_t)j : at;
      nan |= xr[j] != xr[j];
      low &= xr[j] == ninf;
    }
    o[r] = (nan | low) ? -1 : at;
  }
}

// The first row of x (rows, K) with a NaN or only -inf logits, or -1 (categorical's check, before
// any word is drawn).
template <class T>
int64_t categorical_first_bad(const T* __restrict x, size_t rows, size_t k) {
  const T ninf = -std::numeric_limits<T>::infinity();
  for (size_t r = 0; r < rows; ++r) {
    bool nan = false, low = true;
    for (size_t j = 0; j < k; ++j) {
      nan |= x[r * k + j] != x[r * k + j];
      low &= x[r * k + j] == ninf;
    }
    if (nan | low) return (int64_t)r;
  }
  return -1;
}

template <class T>
using CArray = py::array_t<T, py::array::c_style>;

// Both entries take float64 or float32 arrays whose last axis holds the K >= 1 categories: K and the
// number of rows.
template <class T>
std::pair<size_t, size_t> logit_rows(const CArray<T>& x) {
  if (x.ndim() < 1 || x.shape(x.ndim() - 1) < 1) throw py::value_error("categorical: logits need K >= 1 categories");
  const size_t k = (size_t)x.shape(x.ndim() - 1);
  return {k, (size_t)x.size() / k};
}

template <class T>
py::array_t<int64_t> categorical_argmax(const CArray<T>& x, const CArray<T>& g) {
  const auto [k, rows] = logit_rows(x);
  if (g.ndim() != x.ndim() || !std::equal(x.shape(), x.shape() + x.ndim(), g.shape()))
    throw py::value_error("categorical: the gumbel draw must have the logits' shape");
  py::array_t<int64_t> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim() - 1));
  const T *xp = x.data(), *gp = g.data();
  int64_t* o = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    categorical_rows(xp, gp, o, rows, k);
  }
  return out;
}
template <class T>
int64_t categorical_check(const CArray<T>& x) {
  const auto [k, rows] = logit_rows(x);
  const T* xp = x.data();
  py::gil_scoped_release nogil;
  return categorical_first_bad(xp, rows, k);
}

}  // namespace

void register_permute(py::module_& m);  // bindings_permute.cpp
void register_bitgen(py::module_& m);   // bindings_bitgen.cpp

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
  for (PyMethodDef& def : small_defs) {
    PyObject* fn = PyCFunction_NewEx(&def, nullptr, nullptr);
    if (!fn) throw py::error_already_set();
    m.attr(def.ml_name) = py::reinterpret_steal<py::object>(fn);
  }
  m.attr("SMALL_VALUES") = py::int_(kSmallValues);
  init_scalar_types();
  m.attr("_fast_scalars") = py::make_tuple(g_float64 != nullptr, g_int64 != nullptr);
  m.def("path_id", &path_id_fast, "Id of parent + a path of exact ints / known strs (str -> hash dict); None "
        "for any other component");
  m.attr("FOLD_INT") = py::int_(kFoldInt);
  register_stream_core(m);
  m.attr("FOLD_STR") = py::int_(kFoldStr);
  m.def("dropout_fill", &dropout_fill_py, "Fused dropout of n float32/float64/float16/bfloat16 values (FORMAT 18)");
  m.def("_emulate_gpu_dropout", &emulate_gpu_dropout, "Run the CUDA dropout kernel's per-item code on the CPU");
  m.def("fill_rows", &fill_rows, "Fill rows x n values at a word position, per-row ids (see kernels.h run_rows)");
  m.def("fill_region", &fill_region,
        "Fill a region of a draw at a word position (see csrc/region.h, kernels.h run_region)");
  m.def("_emulate_gpu_region", &emulate_gpu_region, "Run the CUDA region kernel's per-thread code on the CPU (tests)",
        py::arg("op"), py::arg("k0"), py::arg("k1"), py::arg("id"), py::arg("pos_hi"), py::arg("pos_lo"),
        py::arg("n_full"), py::arg("base"), py::arg("run_len"), py::arg("counts"), py::arg("strides"), py::arg("out"),
        py::arg("elem_size"), py::arg("affine"), py::arg("a"), py::arg("b"), py::arg("c"), py::arg("ilow"),
        py::arg("range_m1"), py::arg("grid"), py::arg("block"), py::arg("params") = py::none());
  m.def("fill_rows_params", &fill_rows_params,
        "fill_rows with array parameters: a tuple (a, sa, b, sb, c, sc, ilow, si, affine, sf) of addresses and "
        "strides 0/1 (docs/FORMAT.md 23)");
  m.def("fill_region_params", &fill_region_params, "fill_region with array parameters (as fill_rows_params)");
  m.attr("REGION_MAX_DIMS") = philox::kRegionMaxDims;
  m.def("fold_ids", &fold_ids, "out[i] = fold(parent, index[i], 0) over raw int64/uint64 buffers");
  m.def("_emulate_gpu_fill", &emulate_gpu_fill, "Run the CUDA per-thread code on the CPU (tests)", py::arg("op"),
        py::arg("k0"), py::arg("k1"), py::arg("id"), py::arg("ids_ptr"), py::arg("rows"), py::arg("pos_hi"),
        py::arg("pos_lo"), py::arg("out"), py::arg("n"), py::arg("elem_size"), py::arg("affine"), py::arg("a"),
        py::arg("b"), py::arg("c"), py::arg("ilow"), py::arg("range_m1"), py::arg("grid"), py::arg("block"),
        py::arg("staged"), py::arg("key_ptr") = 0, py::arg("params") = py::none());
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
  // truncated_normal's host-side constants (FORMAT 22.1): the header's Phi and Phi^-1, never libm's
  // (ndtr_f64_fast: ndtr_f64's bits with a shortened continued fraction, csrc/dists.h)
  m.def("ndtr", [](double x) { return philox::ndtr_f64_fast(x); },
        "Phi(x), the standard normal CDF (csrc/dists.h ndtr_f64)");
  m.def("ndtri", &philox::ndtri_f64, "Phi^-1(p), AS241 (csrc/dists.h ndtri_f64)");
  m.def("ndtr_array", &ndtr_array, py::arg("x"),
        "Phi of each element of a float64 array (the bits of ndtr)");
  m.def("stick_breaking", &stick_breaking, py::arg("v"),
        "dirichlet's stick-breaking (FORMAT 21.4): a new (rows, K) array from the K - 1 beta columns v (K - 1, rows)");
  m.def("ndtri_array", &map_f64<philox::ndtri_f64>, py::arg("p"),
        "Phi^-1 of each element of a float64 array (the bits of ndtri)");
  m.def("categorical_argmax", &categorical_argmax<double>, py::arg("x"), py::arg("g"),
        "categorical's value per row (FORMAT 22.3) from float64 logits x and their gumbel draw g (-1: a bad row)");
  m.def("categorical_argmax", &categorical_argmax<float>, py::arg("x"), py::arg("g"), "float32 logits");
  m.def("categorical_first_bad", &categorical_check<double>, py::arg("x"),
        "The first row with a NaN or only -inf logits, or -1");
  m.def("categorical_first_bad", &categorical_check<float>, py::arg("x"), "float32 logits");
  m.def("gamma_c_array", [](py::array_t<double, py::array::c_style | py::array::forcecast> a) {
          return map_array(a, gamma_c_many); }, py::arg("shape"),
        "gamma's c = 1 / sqrt(9 d) of each shape (csrc/dists.h gamma_c; _dists.gamma_params' bits)");
  register_permute(m);
  register_bitgen(m);
}
