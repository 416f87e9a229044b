// launch.h -- the CUDA backend's launcher, as seen by the host-compiled binding
// (csrc/cuda/bindings_cuda.cpp). No CUDA or torch types cross this boundary:
// pointers and the cudaStream_t arrive as integers, errors leave as strings.
#pragma once
#include <stdint.h>

#include <string>

#include "fill_kernels.cuh"

namespace philox {
namespace gpu {

// Launch job on `stream` of device `device` (cudaSetDevice first: the static
// runtime keeps its own current device). Never synchronizes. Returns "" or the
// CUDA error's description.
std::string launch_fill(const FillJob& job, int device, uintptr_t stream);
// A region draw (fill_kernels.cuh RegionJob): one thread per work item (a Philox block of a run).
std::string launch_region(const RegionJob& job, int device, uintptr_t stream);
// out[i] = fold(parent, index[i], 0) for i < n, device pointers.
std::string launch_fold(const int64_t* index, uint64_t* out, uint64_t n, uint64_t parent, int device,
                        uintptr_t stream);
// out[j] = perm_at(key, start + step * j) for j < count (the keyed bijection,
// docs/FORMAT.md 6); every index is < key.n (the caller checks), device pointer.
std::string launch_perm(const PermKey& key, uint64_t start, uint64_t step, int64_t* out, uint64_t count,
                        int device, uintptr_t stream);
// Fused keyed dropout (fill_kernels.cuh DropJob; key, x, y device pointers).
std::string launch_dropout(const DropJob& job, int device, uintptr_t stream);
// Devices visible to the CUDA runtime; 0 without a driver or a GPU (never throws).
int device_count();
// The runtime's version (e.g. 13000) and the driver's (0 without a driver).
int runtime_version();
int driver_version();

}  // namespace gpu
}  // namespace philox
