"""Hugging Face ``datasets`` indexed with philox.SampleKey (issue 9), and the README's "Hugging Face
`datasets`" recipe: per-sample randomness around an HF dataset whose transform never sees the key."""
import os
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
datasets = pytest.importorskip("datasets", reason="needs Hugging Face datasets (.ci/optional-deps.sh)")
from torch.utils.data import DataLoader  # noqa: E402

import philox  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _hf(n=12):
    return datasets.Dataset.from_dict({"x": [float(i) for i in range(n)], "label": [i * 10 for i in range(n)]})


def test_a_key_indexes_an_hf_dataset_as_its_index():
    ds = _hf()
    keys = list(philox.PhiloxSampler(ds, seed=5, keys=True))
    assert all(isinstance(k, philox.SampleKey) for k in keys)
    for k in keys:
        assert ds[k] == ds[int(k)] == {"x": float(int(k)), "label": 10 * int(k)}
    assert ds[keys[:3]] == ds[[int(k) for k in keys[:3]]]
    assert ds[np.asarray(keys[:4])] == ds[[int(k) for k in keys[:4]]]
    t = ds.with_format("torch")
    assert torch.equal(t[keys[2]]["label"], torch.tensor(10 * int(keys[2])))
    assert t[keys[:2]]["label"].tolist() == [10 * int(k) for k in keys[:2]]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_dataloader_over_an_hf_dataset_with_keys_loads_the_sampler_order(num_workers):
    ds = _hf(21).with_format("torch")
    sampler = philox.PhiloxSampler(ds, seed=7, keys=True)
    got = {}
    for epoch in range(2):
        sampler.set_epoch(epoch)
        rows = [r for b in DataLoader(ds, sampler=sampler, batch_size=8, num_workers=num_workers)
                for r in b["label"].tolist()]
        got[epoch] = rows
        assert rows == [10 * i for i in sampler.indices_at(range(21), epoch=epoch).tolist()]
    assert got[0] != got[1]


def test_a_transform_receives_the_rows_not_the_key():
    # why the README's recipe wraps the dataset: the transform cannot see the key's epoch
    ds = _hf()
    seen = []

    def tf(rows):
        seen.append(rows)
        return rows
    ds.set_transform(tf)
    key = philox.PhiloxSampler(ds, seed=1, keys=True).key(3, epoch=2)
    assert ds[key] == {"x": 3.0, "label": 30}
    assert seen == [{"x": [3.0], "label": [30]}]  # a batch of columns: no index, no epoch


def _readme_block():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n### Hugging Face `datasets`\n")
    return re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)


def test_readme_recipe_runs(keep_globals):
    ns = {"__name__": "readme_hf_datasets"}
    exec(compile(_readme_block(), "README Hugging Face datasets block", "exec"), ns)
    # the transform's global-generator draws came from the keys: reproduce one row by hand
    hf, sampler, a = ns["hf"], ns["sampler"], ns["a"]
    key = sampler.key(int(a[0]["label"][0]), epoch=0)
    with key.seeded("jitter"):
        x = hf[int(key)]["x"]
    assert torch.equal(a[0]["x"][0], x)
    assert torch.equal(a[0]["noise"][0], key.stream("noise").rand(2, dtype=torch.float32))
    # and not the same draws for another epoch
    sampler.set_epoch(1)
    b = next(iter(DataLoader(ns["PerSample"](hf), sampler=sampler, batch_size=4)))
    k1 = sampler.key(int(b["label"][0]), epoch=1)
    with k1.seeded("jitter"):
        assert torch.equal(b["x"][0], hf[int(k1)]["x"])
    assert not torch.equal(b["noise"][0], key.stream("noise").rand(2, dtype=torch.float32))
