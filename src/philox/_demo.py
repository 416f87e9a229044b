"""``python -m philox demo``: the problem with one global seed, and the fix.

Two "projects" run the same three random functions (init weights, dropout mask,
data augmentation) in different orders. With one global seed each function's
values depend on what ran before it; with named philox streams they do not, and
``philox.isolate`` gives the same property to legacy functions that call the
global generators (``random``, ``np.random``, ``torch``) directly.

The demo is a list of sections (``SECTIONS``); each prints its values and checks
its claims with ``Demo.check`` (``[ok]`` / ``[FAILED]``). ``run()`` returns False,
and the command exits 1, if any check fails. To add a section, write a function
``f(demo: Demo) -> None`` and append ``("title", f)`` to ``SECTIONS``.
"""
from __future__ import annotations

import itertools
import random
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import philox
from . import _dtypes as D

ORDER_A = ["init", "dropout", "augment"]
ORDER_B = ["augment", "init", "dropout"]
SEED = 888


class Demo:
    """What a section gets: ``out(text)`` prints a line, ``check(cond, what)`` records a claim."""

    def __init__(self, out: Callable[[str], None] = print) -> None:
        self.out = out
        self.ok = True
        self.checks = 0

    def check(self, cond, what: str) -> bool:
        """Print ``[ok] what`` or ``[FAILED] what``; a failure makes the demo exit 1."""
        good = bool(cond)
        self.ok &= good
        self.checks += 1
        self.out(f"   [{'ok' if good else 'FAILED'}] {what}")
        return good

    def table(self, a: Dict[str, object], b: Dict[str, object]) -> None:
        """Print each function's values in project A and project B."""
        for name in ORDER_A:
            self.out(f"   {name:8s} A={_fmt(a[name])}  B={_fmt(b[name])}")


def _fmt(a) -> str:
    return "[" + ", ".join(f"{float(x):.4f}" for x in np.asarray(a, dtype=np.float64).reshape(-1)) + "]"


def _same(a: Dict[str, object], b: Dict[str, object]) -> Dict[str, bool]:
    return {k: np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a}


# ------------------------------------------------------------------ 1. the problem
def _global_run(order: Sequence[str], seed: int = SEED) -> Dict[str, np.ndarray]:
    np.random.seed(seed)
    fns = {"init": lambda: np.random.rand(3), "dropout": lambda: np.random.rand(3),
           "augment": lambda: np.random.rand(3)}
    return {name: fns[name]() for name in order}


def section_global(d: Demo) -> None:
    """The problem: with one global seed, each function's values depend on the call order."""
    ga, gb = _global_run(ORDER_A), _global_run(ORDER_B)
    d.table(ga, gb)
    d.check(not all(_same(ga, gb).values()), "values change with call order (the problem)")


# ------------------------------------------------------------------ 2. named streams
def _philox_run(order: Sequence[str], seed: int = SEED) -> Dict[str, np.ndarray]:
    philox.manual_seed(seed)
    fns = {"init": lambda: philox.stream("init").rand(3),
           "dropout": lambda: philox.stream("dropout").rand(3),
           "augment": lambda: philox.stream("augment", 0).rand(3)}
    return {name: fns[name]() for name in order}


def section_streams(d: Demo) -> None:
    """The fix: a named stream per function gives the same values in any order."""
    pa, pb = _philox_run(ORDER_A), _philox_run(ORDER_B)
    d.table(pa, pb)
    d.check(all(_same(pa, pb).values()), "every named stream gives equal values in both orders")


# ------------------------------------------------------------------ 3. legacy code
def _legacy_functions() -> Dict[str, Callable[[], list]]:
    """Functions as found in old code: they draw from the global generators directly."""
    torch = D.torch_module()

    def init():  # numpy's global state (normals use numpy's legacy cached-pair path)
        return np.random.randn(3)

    def dropout():  # numpy's global state again
        return np.random.rand(3)

    def augment():  # all three: random, numpy, and torch's global CPU generator (if installed)
        third = torch.rand(1).item() if torch is not None else random.random()
        return [random.random(), float(np.random.rand()), third]

    return {"init": init, "dropout": dropout, "augment": augment}


def _legacy_run(order: Sequence[str], isolated: bool) -> Dict[str, object]:
    philox.seed_everything(SEED)
    fns = _legacy_functions()
    if isolated:
        fns = {name: philox.isolate(name)(fn) for name, fn in fns.items()}
    return {name: fns[name]() for name in order}


def section_isolate(d: Demo) -> None:
    """Legacy functions on the global RNGs: order-dependent when only seeded, order-free when isolated."""
    d.out("   init: np.random.randn(3); dropout: np.random.rand(3); augment: random.random(), np.random.rand(), torch.rand(1)")
    d.out("   without isolate (philox.seed_everything(888) seeds random, np.random and torch):")
    la, lb = _legacy_run(ORDER_A, False), _legacy_run(ORDER_B, False)
    d.table(la, lb)
    d.check(not all(_same(la, lb).values()), "seeding the global generators does not fix the order problem")
    d.out("   each legacy function wrapped: philox.isolate(name)(fn):")
    ia, ib = _legacy_run(ORDER_A, True), _legacy_run(ORDER_B, True)
    d.table(ia, ib)
    d.check(all(_same(ia, ib).values()), "every isolated legacy function gives equal values in both orders")
    philox.seed_everything(SEED)
    plain = np.random.rand(3), random.random()
    philox.seed_everything(SEED)
    _legacy_run(ORDER_A, True)  # (seeds again, then calls the isolated functions)
    philox.seed_everything(SEED)
    for name, fn in _legacy_functions().items():
        philox.isolate(name)(fn)()
    after = np.random.rand(3), random.random()
    d.check(np.array_equal(plain[0], after[0]) and plain[1] == after[1],
            "isolated calls leave the caller's own global draws unchanged")


# ------------------------------------------------------------------ 4. positions and checkpoints
def section_checkpoints(d: Demo) -> None:
    """Positions are random access; a Generator checkpoint restores streams and isolated states."""
    s = philox.Stream(SEED, "noise")
    full = s.randn(1000)
    s.position = 600 * 2  # float64 normals take 2 words each
    d.check(np.array_equal(s.randn(400), full[600:]), "jumping to a position reproduces the tail of a long draw")
    g = philox.Generator(SEED)
    g.stream("a").rand(5)
    with g.isolate("legacy"):
        np.random.rand(5)
    state = g.state_dict()
    after = g.stream("a").rand(5)
    with g.isolate("legacy"):
        legacy_after = np.random.rand(5)
    g2 = philox.Generator(0)
    g2.load_state_dict(state)
    d.check(np.array_equal(g2.stream("a").rand(5), after), "a generator state_dict restores every stream's position")
    with g2.isolate("legacy"):
        legacy_again = np.random.rand(5)
    d.check(np.array_equal(legacy_again, legacy_after), "... and every isolated function's global-RNG state")


# ------------------------------------------------------------------ 5. data loading
def _loader_batches(sampler, n: int, batch_size: int, stop: Optional[int] = None) -> List[List[int]]:
    """Batches of a dataset of ``n`` items (item i is i), through a torch DataLoader if installed."""
    torch = D.torch_module()
    if torch is not None:
        from torch.utils.data import DataLoader
        it = (b.tolist() for b in DataLoader(range(n), sampler=sampler, batch_size=batch_size))
    else:  # the sampler is a plain iterable: batch it lazily, as a DataLoader does
        indices = iter(sampler)
        it = iter(lambda: list(itertools.islice(indices, batch_size)), [])
    out = []
    for b in it:
        out.append(b)
        if stop is not None and len(out) == stop:
            break
    return out


def section_sampler(d: Demo) -> None:
    """PhiloxSampler: the same shuffle in every run, a new one per epoch, and a mid-epoch resume."""
    n, bs = 20, 4
    d.out(f"   philox.PhiloxSampler({n}, seed={SEED}) in a DataLoader(batch_size={bs}):")
    run1 = _loader_batches(philox.PhiloxSampler(n, seed=SEED), n, bs)
    run2 = _loader_batches(philox.PhiloxSampler(n, seed=SEED), n, bs)
    d.out(f"   epoch 0, run 1: {run1}")
    d.check(run1 == run2, "a second run shuffles the data in exactly the same order")
    s = philox.PhiloxSampler(n, seed=SEED)
    s.set_epoch(1)
    epoch1 = _loader_batches(s, n, bs)
    d.check(epoch1 != run1 and sorted(sum(epoch1, [])) == list(range(n)),
            "set_epoch(1) gives a new order of the same samples")
    s = philox.PhiloxSampler(n, seed=SEED)
    _loader_batches(s, n, bs, stop=2)            # train on two batches, then checkpoint
    ckpt = s.state_dict(consumed=2 * bs)
    resumed = philox.PhiloxSampler(n, seed=SEED)
    resumed.load_state_dict(ckpt)             # a new process; here with another batch size
    rest = sum(_loader_batches(resumed, n, 3), [])
    d.out(f"   checkpoint after 2 batches, resumed with batch_size=3: {rest}")
    d.check(rest == sum(run1, [])[2 * bs:], "the resumed run sees exactly the samples not yet seen, in order")


# ------------------------------------------------------------------ 6. devices
def _device_draws(device: str) -> list:
    """The same draws on one device, as CPU tensors: normals, floats, integers and per-row streams."""
    torch = D.torch_module()
    s = philox.Stream(SEED, "noise")
    rows = s.fold(torch.arange(3, device=device)).rand(5, dtype=torch.float32)
    return [t.cpu() for t in (s.randn(4, 1000, dtype=torch.float32, device=device),
                              s.rand(1000, dtype=torch.float64, device=device),
                              s.randint(-5, 10 ** 12, size=1000, device=device),
                              s.permutation(1000, device=device), rows)]


def section_devices(d: Demo) -> None:
    """Every backend gives the same bits: C++ on the CPU, the CUDA kernels, the pure-torch fallback."""
    torch = D.torch_module()
    if torch is None:
        d.out("   torch is not installed: tensors and GPUs need it (pip install torch)")
        return
    from . import _backend
    cpu = _device_draws("cpu")
    _backend.set_backend("torch")
    try:
        fallback = _device_draws("cpu")
    finally:
        _backend.set_backend("auto")
    d.out("   randn / rand / randint / permutation / fold(rows).rand on CPU tensors, C++ and pure torch:")
    d.check(all(torch.equal(a, b) for a, b in zip(cpu, fallback)),
            "the pure-torch fallback gives the C++ kernels' bits")
    if not torch.cuda.is_available():
        d.out("   no CUDA GPU here: the CPU = GPU check runs where torch.cuda.is_available()")
        return
    kind = "compiled CUDA kernels" if _backend.cuda_module() is not None else "pure-torch fallback on the GPU"
    d.out(f"   the same draws on {torch.cuda.get_device_name()} ({kind}):")
    gpu = _device_draws("cuda")
    d.check(all(torch.equal(a, b) for a, b in zip(cpu, gpu)), "CPU and GPU draws are equal bit for bit")


#: The demo's sections in order: (title, function). Later issues append their own.
SECTIONS: List[Tuple[str, Callable[[Demo], None]]] = [
    ("One global seed (np.random.seed(888)):", section_global),
    ("Named streams (philox.manual_seed(888); philox.stream(name).rand(3)):", section_streams),
    ("Legacy code that calls random / np.random / torch directly: philox.isolate", section_isolate),
    ("Random access and checkpoints:", section_checkpoints),
    ("Data loading: philox.PhiloxSampler", section_sampler),
    ("Devices: the same bits from every backend", section_devices),
]


def run(out: Callable[[str], None] = print,
        sections: Optional[Sequence[Tuple[str, Callable[[Demo], None]]]] = None) -> bool:
    """Print the demo and check every claim; True when all checks pass.

    A section that raises counts as a failed check (the rest still run).
    """
    from ._info import cuda_module_built
    d = Demo(out)
    torch = D.torch_module()
    out(f"philox {philox.__version__} (format v{philox.FORMAT_VERSION}, CPU backend: {philox._core.isa()}, "
        f"CUDA module: {'built' if cuda_module_built() else 'not built'}, "
        f"torch: {torch.__version__ if torch is not None else 'not installed'}; python -m philox info for more)")
    out("")
    out(f"Project A calls {ORDER_A}; project B calls {ORDER_B}.")
    for i, (title, fn) in enumerate(SECTIONS if sections is None else sections, 1):
        out("")
        out(f"{i}. {title}")
        try:
            fn(d)
        except Exception as e:  # report, keep going, exit 1
            d.check(False, f"section raised {type(e).__name__}: {e}")
    out("")
    out(f"All {d.checks} checks passed." if d.ok else "Some checks FAILED.")
    return d.ok
