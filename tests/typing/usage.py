"""What the public API's annotations promise, without torch: mypy checks the ``assert_type``
calls (tests/test_typing.py), and the file also runs, so every call here is a real one."""
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from numpy.typing import NDArray
from typing_extensions import assert_type

import philox

seed = 20240601
s = philox.Stream(seed, "aug", 3, 12345)
assert_type(s, philox.Stream)
assert_type(philox.Stream(seed, id=philox.stream_id("sample", 7)), philox.Stream)
assert_type(philox.Stream(np.int64(5), "a", np.uint8(2), position=4), philox.Stream)

# scalars: a float (numpy's float64 is one), an int64, a uint32 word
assert_type(s.rand(), float)
assert_type(s.randn(), float)
assert_type(s.uniform(-1.0, 1.0), float)
assert_type(s.normal(0.0, 2.0), float)
assert_type(s.randint(0, 10), np.int64)
assert_type(s.randint(10), np.int64)
assert_type(s.random_raw(), np.uint32)
assert_type(s.rand(dtype=np.float32), np.floating[Any])
assert_type(s.randint(0, 10, dtype=np.uint8), np.integer[Any])
x: float = s.rand() * 2.0 + s.randn()

# arrays: float64 / int64 / uint32 by default, any dtype when one is given
assert_type(s.rand(10), NDArray[np.float64])
assert_type(s.rand(2, 3), NDArray[np.float64])
assert_type(s.rand((2, 3)), NDArray[np.float64])
assert_type(s.randn(5), NDArray[np.float64])
assert_type(s.rand(4, dtype=np.float32), NDArray[Any])
assert_type(s.randn(4, dtype="f2"), NDArray[Any])
assert_type(s.uniform(1.0, 2.0, 5), NDArray[np.float64])
assert_type(s.uniform(size=(2, 2)), NDArray[np.float64])
assert_type(s.uniform(0.0, 1.0, size=3, dtype=np.float32), NDArray[Any])
assert_type(s.normal(0.0, 1.0, (2, 2)), NDArray[np.float64])
assert_type(s.normal(size=4), NDArray[np.float64])
assert_type(s.randint(0, 10, 5), NDArray[np.int64])
assert_type(s.randint(10, size=(2, 3)), NDArray[np.int64])
assert_type(s.randint(0, 256, size=8, dtype=np.uint8), NDArray[Any])
assert_type(s.random_raw(4), NDArray[np.uint32])
assert_type(s.random_raw(4, dtype=np.uint64), NDArray[Any])

# out=: the same array back
buf: NDArray[np.float32] = np.empty(6, np.float32)
assert_type(s.rand(out=buf), NDArray[np.float32])
assert_type(s.randn(6, out=buf), NDArray[np.float32])
assert_type(s.uniform(0.0, 1.0, out=buf), NDArray[np.float32])
ints: NDArray[np.int32] = np.empty(3, np.int32)
assert_type(s.randint(0, 5, out=ints), NDArray[np.int32])

# permutations and choice
assert_type(s.permutation(10), NDArray[np.int64])
assert_type(s.permutation(10, dtype=np.int32), NDArray[Any])
assert_type(s.permutation(np.arange(5.0)), NDArray[Any])
assert_type(s.permutation([3, 1, 2]), NDArray[Any])
assert_type(s.choice(10, size=3), NDArray[Any])
assert_type(s.choice([1, 2, 3], size=2, replace=False, p=[0.2, 0.3, 0.5]), NDArray[Any])
items: List[int] = [1, 2, 3]
assert_type(s.shuffle(items), None)

# identity, position, children and checkpoints
assert_type(s.seed, int)
assert_type(s.id, int)
assert_type(s.path, Optional[Tuple[Union[str, int], ...]])
assert_type(s.position, int)
s.position = 8
s.position = np.int64(2)
assert_type(s.stream("flip", 1), philox.Stream)
assert_type(s.state_dict(), Dict[str, Any])
assert_type(philox.Stream.from_state_dict(s.state_dict()), philox.Stream)

# the default generator and named streams
assert_type(philox.manual_seed(3), philox.Generator)
assert_type(philox.stream("noise", 2), philox.Stream)
assert_type(philox.stream("noise").rand(3), NDArray[np.float64])
assert_type(philox.Generator(5).stream("a").randint(0, 3), np.int64)
assert_type(philox.stream_id("a", 1), int)
assert_type(philox.initial_seed(), int)
assert_type(philox.seed_everything(7), int)
