"""Initializing a model: philox.nn.reset_parameters against torch's own reset_parameters.

The model (default ~268 M parameters, float32): an Embedding(32000, d) and L
TransformerEncoderLayer(d, 16, 4d) with d = 2048, L = 4 -- Linear and MultiheadAttention
weights (uniform: kaiming and xavier), the embedding (normal), biases and LayerNorms. It is
built on ``meta`` and materialized with ``to_empty`` once; then, alternating, torch's init
(each module's ``reset_parameters()`` / ``_reset_parameters()``, what construction runs) and
``philox.nn.reset_parameters(model, seed=0)`` re-initialize it in place. Both on one thread
(``torch.set_num_threads(1)``, ``philox.set_num_threads(1)``) unless ``--threads``.

    python benchmarks/bench_nn_init.py [--d 2048] [--layers 4] [--vocab 32000] [--repeats 3] [--json out.json]
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn

import philox
import philox.nn
from philox import _core


def make_model(d, layers, vocab):
    with torch.device("meta"):
        m = nn.Module()
        m.emb = nn.Embedding(vocab, d)
        m.layers = nn.ModuleList(nn.TransformerEncoderLayer(d, 16, 4 * d, batch_first=True) for _ in range(layers))
        m.norm = nn.LayerNorm(d)
    return m.to_empty(device="cpu")


def torch_reset(model):
    """torch's default initialization, in place: what each module's constructor runs."""
    for mod in model.modules():
        for name in ("reset_parameters", "_reset_parameters"):
            fn = getattr(type(mod), name, None)
            if fn is not None:
                getattr(mod, name)()
                break


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--d", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", metavar="PATH")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    philox.set_num_threads(a.threads)
    model = make_model(a.d, a.layers, a.vocab)
    n = sum(p.numel() for p in model.parameters())
    times = {"torch": [], "philox": []}
    for _ in range(a.repeats):
        for lib, fn in (("torch", lambda: torch_reset(model)),
                        ("philox", lambda: philox.nn.reset_parameters(model, seed=0))):
            t0 = time.perf_counter()
            fn()
            times[lib].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["torch"] / med["philox"]
    print(f"model: {n / 1e6:.1f} M parameters (float32), {a.threads} thread(s), median of {a.repeats}")
    print(f"{'':<34}{'seconds':>9}{'ns/param':>10}")
    print(f"{'torch reset_parameters':<34}{med['torch']:>9.3f}{med['torch'] / n * 1e9:>10.2f}")
    print(f"{'philox.nn.reset_parameters':<34}{med['philox']:>9.3f}{med['philox'] / n * 1e9:>10.2f}")
    print(f"speed-up: {ratio:.2f}x (target: >= 3x)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"params": n, "threads": a.threads, "repeats": a.repeats, "seconds": times,
                       "median": med, "ratio": ratio, "torch": torch.__version__, "isa": _core.isa()}, f,
                      indent=1)
    return 0 if ratio >= 3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
