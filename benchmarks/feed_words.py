"""Write philox's raw 32-bit words (little-endian) to stdout, endlessly, for dieharder -g 200.

    python benchmarks/feed_words.py --mode 1 | dieharder -g 200 -d 0
    python benchmarks/feed_words.py --mode 2 --streams 4 --interleave word | dieharder -g 200 -d 0
    python benchmarks/feed_words.py --words 1000000 > words.bin      # a fixed amount

Mode 1: one named stream, ``philox.Stream(seed, "quality")``, words in order
(``random_raw(dtype=np.uint32)``, the CPU backend's own output).

Mode 2: ``--streams K`` streams ``Stream(seed, "q", i)`` for i = 0..K-1, merged
round-robin: ``--interleave word`` takes one word from each stream in turn
(w0[0], w1[0], ..., wK-1[0], w0[1], ...); ``--interleave block`` takes
``--block`` consecutive words from each in turn. A correlation between sibling
streams would show up as structure in the merged sequence.

A closed pipe (dieharder finished) ends the program quietly with status 0.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import philox


def chunks(mode: int, seed: int, chunk_words: int, streams: int = 4, interleave: str = "word",
           block: int = 1024):
    """Yield uint32 arrays (little-endian) of about ``chunk_words`` words, endlessly."""
    le = np.dtype("<u4")
    if mode == 1:
        s = philox.Stream(seed, "quality")
        while True:
            yield s.random_raw(chunk_words, dtype=np.uint32).astype(le, copy=False)
    elif mode == 2:
        ss = [philox.Stream(seed, "q", i) for i in range(streams)]
        if interleave == "word":
            per = max(1, chunk_words // streams)
            buf = np.empty((per, streams), le)
            while True:
                for i, s in enumerate(ss):
                    buf[:, i] = s.random_raw(per, dtype=np.uint32)
                yield buf.reshape(-1)
        elif interleave == "block":
            per_round = max(1, chunk_words // (streams * block))
            buf = np.empty((per_round, streams, block), le)
            while True:
                for i, s in enumerate(ss):
                    buf[:, i, :] = s.random_raw(per_round * block, dtype=np.uint32).reshape(per_round, block)
                yield buf.reshape(-1)
        else:
            raise ValueError(f"interleave must be 'word' or 'block', got {interleave!r}")
    else:
        raise ValueError(f"mode must be 1 or 2, got {mode!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", type=int, choices=(1, 2), default=1, help="1: one stream; 2: interleaved streams")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--streams", type=int, default=4, help="mode 2: number of streams (default 4)")
    ap.add_argument("--interleave", choices=("word", "block"), default="word", help="mode 2: merge order")
    ap.add_argument("--block", type=int, default=1024, help="mode 2 --interleave block: words per block")
    ap.add_argument("--chunk", type=int, default=1 << 20, help="words generated per write (default 1Mi = 4 MiB)")
    ap.add_argument("--words", type=int, default=0, help="stop after this many words (0: never)")
    ap.add_argument("--threads", type=int, default=1, help="philox.set_num_threads (default 1)")
    a = ap.parse_args(argv)
    if a.streams < 1 or a.block < 1 or a.chunk < 1:
        ap.error("--streams, --block and --chunk must be >= 1")
    philox.set_num_threads(a.threads)
    out = sys.stdout.buffer
    left = a.words if a.words > 0 else None
    try:
        for c in chunks(a.mode, a.seed, a.chunk, a.streams, a.interleave, a.block):
            if left is not None:
                if left <= 0:
                    break
                c = c[:left]
                left -= c.size
            out.write(memoryview(c).cast("B"))
        out.flush()
    except BrokenPipeError:
        # The reader is gone: point stdout at /dev/null so the interpreter's final
        # flush does not raise again, and exit quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
