"""philox works without torch: import, permutations, choice and the sampler as a plain iterable."""
import subprocess
import sys

CODE = r"""
import sys
sys.modules["torch"] = None          # makes `import torch` raise ImportError
import philox
s = philox.Stream(0)
assert sorted(s.permutation(30).tolist()) == list(range(30))
x = list(range(5)); s.shuffle(x); assert sorted(x) == list(range(5))
assert s.choice(10, size=3, replace=False).shape == (3,)
smp = philox.PhiloxSampler(10, seed=1)
assert sorted(smp) == list(range(10))
assert type(smp).__mro__[1] is object
b = philox.PhiloxBatchSampler(smp, 4)
assert [len(v) for v in b] == [4, 4, 2]
try:
    s.permutation(3, device="cpu")
except TypeError as e:
    assert "torch" in str(e)
else:
    raise AssertionError("device= without torch must raise")
print("ok")
"""


def test_without_torch():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr
