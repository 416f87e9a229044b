"""Shared pieces of the framework checkpoint tests (tests/test_frameworks_*.py): a dataset whose
items record what was trained on, the README recipes of the README's "Checkpoints" section, and a runner
that interrupts a recipe after a given number of training steps and runs it again to resume.

Each item is ``[index, epoch, aug]`` (float64): with ``keys=True`` the sampler hands the dataset a
``philox.SampleKey`` and ``epoch``/``aug`` are its epoch and a draw from ``key.stream("aug")``;
with plain int indices both are -1. A resumed run is exact when the items trained before the
interruption followed by the items trained after the resume equal an uninterrupted run's items,
in order: no sample lost or repeated, every per-sample value the same.
"""
import os
import re

import torch

import philox

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "README.md")  # the recipes of its "Checkpoints" section

KEYS = [False, True]


class Samples(torch.utils.data.Dataset):
    """``n`` samples; item ``k`` is ``[index, epoch, aug]`` (module docs)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, k):
        if hasattr(k, "epoch"):  # a philox.SampleKey
            aug = int(k.stream("aug").randint(0, 1 << 30, size=1)[0])
            return torch.tensor([int(k), k.epoch, aug * 2.0 ** -30], dtype=torch.float64)
        return torch.tensor([int(k), -1.0, -1.0], dtype=torch.float64)


class Interrupted(Exception):
    """Raised by the test's train_step to stop a run as a crash would."""


class Trainer:
    """``train_step(batch)`` for a recipe: records the batch's items; raises ``Interrupted`` at
    step ``stop_at`` (before training on it: the batch is neither recorded nor checkpointed)."""

    def __init__(self, stop_at=None):
        self.items, self.steps, self.stop_at = [], 0, stop_at

    def __call__(self, batch):
        self.steps += 1
        if self.steps == self.stop_at:
            raise Interrupted(self.steps)
        self.items += [tuple(row) for row in torch.as_tensor(batch).reshape(-1, 3).tolist()]


def recipe(title):
    """The python block under the ``#### <title>`` heading of the README's "Checkpoints" section."""
    with open(DOC) as f:
        text = f.read()
    m = re.search(r"^#### " + re.escape(title) + r".*?```python\n(.*?)```", text, re.S | re.M)
    assert m, f"no recipe {title!r} in {DOC}"
    return m.group(1)


def with_keys(code, keys):
    """The recipe with ``keys=True`` added to its sampler when ``keys``."""
    if not keys:
        return code
    assert code.count("seed=1234)") == 1, "the recipe's sampler is not PhiloxSampler(..., seed=1234)"
    return code.replace("seed=1234)", "seed=1234, keys=True)")


def run_recipe(code, ckpt, stop_at=None, **given):
    """Run ``code`` with ``dataset``, ``train_step``, ``EPOCHS``, ``SAVE_EVERY`` and ``CKPT`` given;
    the items it trained on, and whether it was interrupted."""
    step = Trainer(stop_at)
    ns = {"__name__": "recipe", "dataset": given.pop("dataset"), "train_step": step,
          "EPOCHS": given.pop("EPOCHS", 3), "SAVE_EVERY": given.pop("SAVE_EVERY", 1), "CKPT": ckpt, **given}
    try:
        exec(compile(code, "<recipe>", "exec"), ns)
    except Interrupted:
        return step.items, True
    return step.items, False


def check_resume(code, tmp_path, stops, **given):
    """An uninterrupted run, then for each step in ``stops`` a run interrupted there and resumed from
    its last checkpoint: the items trained must be the uninterrupted run's, none lost or repeated."""
    ref, stopped = run_recipe(code, str(tmp_path / "ref"), **given)
    assert not stopped and len(ref) == given.get("EPOCHS", 3) * len(given["dataset"])
    for stop in stops:
        ckpt = str(tmp_path / f"stop{stop}")
        before, stopped = run_recipe(code, ckpt, stop_at=stop, **given)
        assert stopped
        after, stopped = run_recipe(code, ckpt, **given)
        assert not stopped
        got = before + after
        assert len(got) == len(ref), f"stopped at step {stop}: {len(got)} items trained, {len(ref)} expected"
        assert got == ref, f"stopped at step {stop}: the resumed run differs from the uninterrupted one"
    return ref
