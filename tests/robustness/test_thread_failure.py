"""Worker threads that cannot be created (issue 10, defect 1).

``csrc/cpu/dispatch.cpp`` (``run``, ``run_rows``) and ``permute_dispatch.cpp`` split big jobs across
threads. When a thread cannot start (low memory, ``RLIMIT_AS``), its range must run on the calling
thread: the draw completes with the same values and the position moves by exactly the draw (it
used to abort the process with ``terminate called without an active exception``, or raise after
the position had moved).

The child process limits its own address space (``RLIMIT_AS``) to a little more than it uses, with
a thread stack size (``RLIMIT_STACK``, read by glibc at start-up) bigger than that headroom, so no
new thread can get a stack while ordinary allocations still succeed. The test process itself is
never limited.
"""
import os
import subprocess
import sys
import textwrap

import pytest

resource = pytest.importorskip("resource", reason="RLIMIT_AS needs the POSIX resource module")

STACK = 256 << 20      # the child's thread stack size
HEADROOM = 96 << 20    # address space left to the child once limited: < STACK, > its allocations

CHILD = textwrap.dedent(r"""
    import resource, sys, threading
    import numpy as np
    import philox
    from philox import _core

    STACK, HEADROOM, TORCH = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    if TORCH:
        import torch
    philox.set_num_threads(8)
    N = 1 << 21           # words: well above the threading threshold (2**18)
    P = 1 << 20           # permutation indices: above perm_fill's threshold (2**16)

    def draws(out, perm_out, rows_out):
        s = philox.Stream(7, "rand")
        s.rand(out=out)
        a = (s.position, out.copy())
        r = philox.Stream(7, "region")  # 4096 runs of 256 values: run_region splits the runs
        reg = r.rand(4096, 512, region=(slice(None), slice(0, 256)))
        a += (r.position, reg)
        words = philox.Stream(7, "perm").random_raw(_core.PERM_WORDS)
        _core.perm_fill(words, P, 0, 1, perm_out, False)
        b = (perm_out.copy(),)
        c = None
        if TORCH:
            s = philox.Stream(7, "fold")
            batch = s.fold(torch.arange(64))  # rows of 2**16 words: run_rows splits the rows
            batch.rand(N // 64, out=rows_out)
            c = (batch.position, rows_out.clone())
        return a, b, c

    out, perm_out = np.empty(N), np.empty(P, np.int64)
    rows_out = torch.empty(64, N // 64, dtype=torch.float64) if TORCH else None
    ref = draws(out, perm_out, rows_out)  # threads work here (no limit yet)

    vm = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                vm = int(line.split()[1]) * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = vm + HEADROOM
    if hard != resource.RLIM_INFINITY and hard < limit:
        print("SKIP: the hard RLIMIT_AS is below what the child needs"); sys.exit(0)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))

    try:  # can a thread still start? (then the limit tests nothing here)
        t = threading.Thread(target=lambda: None); t.start(); t.join()
        print("SKIP: a thread could still be started under RLIMIT_AS"); sys.exit(0)
    except RuntimeError:
        pass

    got = draws(np.zeros(N), np.zeros(P, np.int64), None if rows_out is None else torch.zeros_like(rows_out))
    assert got[0][0] == ref[0][0] == 2 * N, (got[0][0], ref[0][0])
    assert np.array_equal(got[0][1], ref[0][1]), "rand values differ"
    assert got[0][2] == ref[0][2] == 2 * 4096 * 512, (got[0][2], ref[0][2])
    assert np.array_equal(got[0][3], ref[0][3]), "region values differ"
    assert np.array_equal(got[1][0], ref[1][0]), "permutation values differ"
    if TORCH:
        assert got[2][0] == ref[2][0], (got[2][0], ref[2][0])
        assert torch.equal(got[2][1], ref[2][1]), "fold (run_rows) values differ"
    print("OK")
""")


def _run(with_torch: bool):
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/status and relies on glibc's RLIMIT_STACK thread stacks (Linux)")
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    if hard != resource.RLIM_INFINITY and hard < STACK:
        pytest.skip(f"the hard RLIMIT_STACK ({hard}) is below the {STACK} bytes the child needs")

    def pre():
        resource.setrlimit(resource.RLIMIT_STACK, (STACK, hard))

    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", CHILD, str(STACK), str(HEADROOM), "1" if with_torch else "0"],
                       capture_output=True, text=True, timeout=300, preexec_fn=pre, env=env)
    out = r.stdout.strip()
    if r.returncode == 0 and out.startswith("SKIP"):
        pytest.skip(out[6:])
    assert r.returncode == 0 and out.endswith("OK"), (
        f"child exited with {r.returncode}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-2000:]}")


def test_draws_complete_when_no_thread_can_start():
    _run(False)


def test_batch_rows_complete_when_no_thread_can_start():
    pytest.importorskip("torch", reason="StreamBatch draws (run_rows) need torch")
    _run(True)
