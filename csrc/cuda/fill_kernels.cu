// fill_kernels.cu -- CUDA kernels and their launcher. Plain CUDA (no torch
// headers): every value comes from csrc/philox.h through fill_kernels.cuh, and
// the kernels are grid-stride loops over its work items.
#include <cuda_runtime.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "launch.h"

namespace philox {
namespace gpu {
namespace {

constexpr int kThreads = 256;

// Grid-stride loop over chunks of kThreads work items: each thread stages its
// item's values in shared memory, then the block writes the chunk's contiguous
// run of the output with coalesced stores (fill_kernels.cuh).
template <int OP>
__global__ void __launch_bounds__(kThreads) fill_kernel(FillJob job_in, uint64_t items) {
  const FillJob job = keyed_job(job_in);  // a device-side key, if any (items covers its worst lane)
  __shared__ __align__(16) unsigned char stage[kThreads * kStageBytesPerThread];
  const uint64_t stride = (uint64_t)gridDim.x * kThreads;
  for (uint64_t chunk = (uint64_t)blockIdx.x * kThreads; chunk < items; chunk += stride) {
    stage_item<OP>(job, chunk, threadIdx.x, stage);
    __syncthreads();
    flush_chunk<OP>(job, chunk, threadIdx.x, kThreads, stage);
    __syncthreads();  // the next chunk reuses the buffer
  }
}

// One work item (a Philox block of a run) per thread, grid-stride (fill_kernels.cuh region_item).
template <int OP>
__global__ void __launch_bounds__(kThreads) region_kernel(RegionJob job, uint64_t n) {
  const uint64_t stride = (uint64_t)gridDim.x * kThreads;
  for (uint64_t i = (uint64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += stride) region_item<OP>(job, i);
}

__global__ void fold_kernel(const int64_t* index, uint64_t* out, uint64_t n, uint64_t parent) {
  const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
  for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
    fold_item(index, out, parent, i);
}

// out[j] = perm_at(key, start + step * j): the keyed bijection of philox.h, one
// index per thread (values depend on the key and the index only).
__global__ void perm_kernel(PermKey key, uint64_t start, uint64_t step, int64_t* out, uint64_t count) {
  const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
  for (uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; j < count; j += stride)
    out[j] = (int64_t)perm_at(key, start + step * j);
}

__global__ void dropout_kernel(DropJob job, uint64_t items) {
  const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
  for (uint64_t k = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; k < items; k += stride) drop_item(job, k);
}

// Blocks for `items` work items: enough to fill the device a few times over,
// no more (the grid-stride loop covers the rest). Cached per device.
unsigned grid_for(int device, uint64_t items) {
  static std::mutex mu;
  static std::vector<int> sms;
  int n_sm = 0;
  {
    std::lock_guard<std::mutex> g(mu);
    if ((int)sms.size() <= device) sms.resize(device + 1, 0);
    if (!sms[device]) {
      int v = 0;
      if (cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || v <= 0) v = 80;
      sms[device] = v;
    }
    n_sm = sms[device];
  }
  const uint64_t need = (items + kThreads - 1) / kThreads;
  const uint64_t cap = (uint64_t)n_sm * 8;
  return (unsigned)std::max<uint64_t>(1, std::min(need, cap));
}

std::string err(cudaError_t e) {
  return e == cudaSuccess ? std::string() : std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

}  // namespace

std::string launch_fill(const FillJob& job, int device, uintptr_t stream) {
  // keyed: the lane is known on the device only; size the grid for the worst one (lane 3)
  const uint64_t items = job.rows * (job.key ? tiles_per_row(3, job.n, op_words(job.op)) : job.tiles);
  if (!items) return "";
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return err(e);
  const unsigned grid = grid_for(device, items);
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  if (!with_op(job.op, [&](auto op) { fill_kernel<decltype(op)::value><<<grid, kThreads, 0, s>>>(job, items); }))
    return "unknown op";
  return err(cudaGetLastError());
}

std::string launch_region(const RegionJob& job, int device, uintptr_t stream) {
  const uint64_t n = region_items(job);
  if (!n) return "";
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return err(e);
  const unsigned grid = grid_for(device, n);
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  if (!with_op(job.op, [&](auto op) { region_kernel<decltype(op)::value><<<grid, kThreads, 0, s>>>(job, n); }))
    return "unknown op";
  return err(cudaGetLastError());
}

std::string launch_fold(const int64_t* index, uint64_t* out, uint64_t n, uint64_t parent, int device,
                        uintptr_t stream) {
  if (!n) return "";
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return err(e);
  fold_kernel<<<grid_for(device, n), kThreads, 0, reinterpret_cast<cudaStream_t>(stream)>>>(index, out, n, parent);
  return err(cudaGetLastError());
}

std::string launch_perm(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, uint64_t count,
                        int device, uintptr_t stream) {
  if (!count) return "";
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return err(e);
  perm_kernel<<<grid_for(device, count), kThreads, 0, reinterpret_cast<cudaStream_t>(stream)>>>(key, start, step,
                                                                                                 out, count);
  return err(cudaGetLastError());
}

std::string launch_dropout(const DropJob& job, int device, uintptr_t stream) {
  const uint64_t items = drop_items(job.n);
  if (!items) return "";
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return err(e);
  dropout_kernel<<<grid_for(device, items), kThreads, 0, reinterpret_cast<cudaStream_t>(stream)>>>(job, items);
  return err(cudaGetLastError());
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" / "no device" error
    return 0;
  }
  return n;
}

int runtime_version() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return v;
}

int driver_version() {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess) return 0;
  return v;
}

}  // namespace gpu
}  // namespace philox
