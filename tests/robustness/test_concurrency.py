"""Many threads on one stream, and fork while threads draw (issue 10, "A robustness suite").

Threads sharing a stream each reserve a disjoint word range: together they read every word of
``[0, total)`` exactly once, whatever the interleaving. A child forked while other threads are in
the middle of draws (some of them threaded inside the C++ backend) must not hang, and its draws
give the format's values.
"""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import philox


def _words(seed, n):
    return philox.Stream(seed, "shared").random_raw(n, dtype=np.uint64)


@pytest.mark.parametrize("threads_inside", [1, 4])
def test_many_threads_read_every_word_once(threads_inside, num_threads):
    """8 threads, mixed sizes (small ones, and big ones that the backend splits across its own
    threads), numpy arrays and CPU tensors: the union of what they drew is the stream's first
    ``total`` 64-bit values, each once."""
    philox.set_num_threads(threads_inside)
    torch = sys.modules.get("torch")
    s = philox.Stream(2024, "shared")
    sizes = [1, 3, 17, 1000, 1 << 17]  # 64-bit values (2 words each); 2**17 values = 2**18 words (threaded)
    got, errors = [[] for _ in range(8)], []
    barrier = threading.Barrier(8)

    def worker(k):
        try:
            barrier.wait()
            rng = np.random.default_rng(k)
            for i in range(24):
                n = int(sizes[rng.integers(len(sizes) - 1)]) if i % 8 else sizes[-1]
                if torch is not None and i % 3 == 0:
                    got[k].append(s.random_raw(n, dtype=torch.int64).numpy().view(np.uint64))
                else:
                    got[k].append(s.random_raw(n, dtype=np.uint64))
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors, errors
    allv = np.concatenate([a for g in got for a in g])
    total = allv.size
    assert s.position == 2 * total
    ref = _words(2024, total)
    assert np.array_equal(np.sort(allv), np.sort(ref))
    # and each draw is one contiguous run of the stream: its first value's place fixes the rest
    order = np.argsort(ref, kind="stable")
    sorted_ref = ref[order]
    for g in got:
        for a in g:
            i = int(order[np.searchsorted(sorted_ref, a[0])])
            assert np.array_equal(a, ref[i:i + a.size])


CHILD = textwrap.dedent(r"""
    import os, sys, threading, time, warnings
    import numpy as np
    import philox
    warnings.simplefilter("ignore")  # fork with threads running: the point of the test
    philox.set_num_threads(4)
    ref_big = philox.Stream(9, "big").rand(1 << 19)       # threaded in the backend
    ref_small = philox.Stream(9, "small").randn(5)
    ref_perm = philox.Stream(9, "perm").permutation(1 << 17)
    s = philox.Stream(9, "busy")
    stop = threading.Event()

    def busy():
        out = np.empty(1 << 19)
        while not stop.is_set():
            s.rand(out=out)                                 # backend threads start and stop all the time
            philox.stream("busy", 1).permutation(1 << 17)

    ts = [threading.Thread(target=busy) for _ in range(3)]
    for t in ts:
        t.start()
    forks = int(sys.argv[1])
    for i in range(forks):
        time.sleep(0.01 * (i % 5))
        pid = os.fork()
        if pid == 0:  # the child: draws, threaded ones included, must work and not hang
            try:
                ok = (np.array_equal(philox.Stream(9, "big").rand(1 << 19), ref_big)
                      and np.array_equal(philox.Stream(9, "small").randn(5), ref_small)
                      and np.array_equal(philox.Stream(9, "perm").permutation(1 << 17), ref_perm))
                s.rand(3)  # the stream shared with the parent's busy threads
                os._exit(0 if ok else 3)
            except BaseException:
                os._exit(4)
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                print("HANG in fork", i); sys.exit(1)
            time.sleep(0.01)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            print("child", i, "exited with", code); sys.exit(1)
    stop.set()
    for t in ts:
        t.join()
    print("OK", forks)
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
def test_fork_during_threaded_draws_does_not_hang():
    r = subprocess.run([sys.executable, "-c", CHILD, "12"], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0 and r.stdout.startswith("OK"), (
        f"exit {r.returncode}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-2000:]}")
