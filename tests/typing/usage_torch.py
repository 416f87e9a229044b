"""What the public API's annotations promise with torch: a torch dtype, ``device=`` or a tensor
``out=`` gives a ``torch.Tensor``; a StreamBatch's draws are tensors. mypy checks the
``assert_type`` calls (tests/test_typing.py), and the file also runs (on the CPU)."""
from typing import Any, Dict, Iterator, List

import numpy as np
import torch
from numpy.typing import NDArray
from typing_extensions import assert_type

import philox

s = philox.Stream(7, "aug", 1)
assert_type(s.rand(10, dtype=torch.float32), torch.Tensor)
assert_type(s.rand(dtype=torch.bfloat16), torch.Tensor)
assert_type(s.rand(2, 3, device="cpu"), torch.Tensor)
assert_type(s.rand(4, dtype=np.float32, device=torch.device("cpu")), torch.Tensor)
assert_type(s.randn(2, 2, out=torch.empty(2, 2)), torch.Tensor)
assert_type(s.randn(3, dtype=torch.float16), torch.Tensor)
assert_type(s.uniform(0.0, 1.0, size=3, device="cpu"), torch.Tensor)
assert_type(s.normal(1.0, 2.0, out=torch.empty(5)), torch.Tensor)
assert_type(s.randint(0, 10, size=4, dtype=torch.int64), torch.Tensor)
assert_type(s.randint(0, 10, device="cpu"), torch.Tensor)
assert_type(s.random_raw(4, dtype=torch.int32), torch.Tensor)
assert_type(s.permutation(10, device="cpu"), torch.Tensor)
assert_type(s.permutation(10, dtype=torch.int32), torch.Tensor)
assert_type(s.permutation(torch.arange(5)), torch.Tensor)
assert_type(s.choice(10, size=3, device="cpu"), torch.Tensor)
assert_type(s.choice(torch.arange(6), size=2), torch.Tensor)
assert_type(s.rand(3), NDArray[np.float64])  # no torch argument: numpy, torch installed or not

b = s.fold(torch.arange(4))
assert_type(b, philox.StreamBatch)
assert_type(b.rand(3), torch.Tensor)
assert_type(b.randn(), torch.Tensor)
assert_type(b.randint(0, 10, size=2), torch.Tensor)
assert_type(b.uniform(-1.0, 1.0, size=2), torch.Tensor)
assert_type(b.normal(size=2), torch.Tensor)
assert_type(b.random_raw(2), torch.Tensor)
assert_type(b.fold([0, 1]), philox.StreamBatch)
assert_type(b.row(1), philox.Stream)
assert_type(b.ids, torch.Tensor)
assert_type(b.device, torch.device)
assert_type(s.fold(np.arange(3)).rand(2), torch.Tensor)

sampler = philox.PhiloxSampler(100, seed=1, stream=("train", 0))
assert_type(sampler, philox.PhiloxSampler)
assert_type(iter(sampler), Iterator[int])
assert_type(sampler.sample_stream(3), philox.Stream)
assert_type(sampler.sample_stream(3).rand(2), NDArray[np.float64])
assert_type(sampler.state_dict(), Dict[str, Any])
sampler.set_epoch(1)
sampler.load_state_dict(sampler.state_dict(consumed=0))
batches = philox.PhiloxBatchSampler(sampler, batch_size=8)
assert_type(iter(batches), Iterator[List[int]])
assert_type(batches.state_dict(consumed_batches=1), Dict[str, Any])
