#!/usr/bin/env bash
# GPU check (no network needed): build philox with its CUDA module, check it imported,
# run the GPU tests, the GPU-free parts that touch the device code, and the GPU benchmark.
# Budget: under 5 minutes on one GPU (build ~1-2 min, tests ~1 min, benchmark ~1 min).
#
#   bash benchmarks/gpu_check.sh            # from anywhere; uses $PYTHON or python
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
start=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - start )) s)"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
command -v nvcc && nvcc --version | tail -n 1

step "build (pip install --no-build-isolation, CUDA module required)"
"$PY" -m pip install -q --no-build-isolation --no-deps --config-settings=cmake.define.PHILOX_CUDA=ON .

step "CUDA module"
# run from outside the checkout so the installed package (with _cuda) is imported
(cd /tmp && "$PY" -c '
import philox, philox._cuda as c
from philox import _backend
print("philox", philox.__file__)
print("devices", c.device_count(), "runtime", c.runtime_version(), "driver", c.driver_version())
assert _backend.cuda_module() is not None, "philox._cuda sees no device"
'
"$PY" -m philox info)

step "GPU tests (every test marked cuda: draws, folds, permutations, isolate, seeding, bench rows)"
"$PY" -m pytest -q -m cuda -p no:cacheprovider --rootdir=. --import-mode=append tests/

step "GPU-free tests of the device code (emulator, fallback, ops, fold)"
"$PY" -m pytest -q -p no:cacheprovider --import-mode=append tests/test_gpu_emulation.py \
  tests/test_torch_fallback.py tests/test_opcheck.py tests/test_fold_batch.py

step "benchmark"
"$PY" benchmarks/bench_gpu.py --repeats 7

step "done"
