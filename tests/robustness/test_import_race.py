"""First torch use from several threads at once (issue 10, defect 7).

While one thread imports torch, ``sys.modules["torch"]`` already holds the half-initialized module.
philox must never take that one (``AttributeError: partially initialized module 'torch'``): a thread
that needs torch waits for the import, and a thread that only asks "is this a tensor?" gets no.
Run in a fresh interpreter, where torch is not imported yet.
"""
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch", reason="the race is about importing torch")

CHILD = textwrap.dedent(r"""
    import sys, threading
    import numpy as np
    import philox
    assert "torch" not in sys.modules
    errors, calls = [], [0]
    started = threading.Event()
    done = threading.Event()

    def importer():
        started.set()
        import torch  # noqa: F401
        done.set()

    def asks_is_tensor():  # a numpy out= asks whether out is a tensor, over and over during the import
        started.wait()
        s = philox.Stream(1, "np")
        try:
            while not done.is_set():
                s.rand(2, out=np.empty(2))
                s.randint(0, 5, size=2, dtype=np.int64)
                calls[0] += 1
        except BaseException as e:
            errors.append(repr(e))

    def needs_torch(k):  # the first torch output: must wait for the import, then work
        started.wait()
        try:
            t = philox.Stream(2, "t", k).rand(3, device="cpu")
            assert type(t).__name__ == "Tensor" and t.shape == (3,)
            philox.seed_everything(5)
        except BaseException as e:
            errors.append(repr(e))

    ts = [threading.Thread(target=importer), threading.Thread(target=asks_is_tensor)]
    ts += [threading.Thread(target=needs_torch, args=(k,)) for k in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(240)
    assert not any(t.is_alive() for t in ts), "a thread hangs"
    assert not errors, errors
    print("OK", calls[0])
""")


def test_first_torch_use_from_many_threads():
    r = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.startswith("OK"), (
        f"child exited with {r.returncode}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-3000:]}")
