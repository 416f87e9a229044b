"""Random123's known-answer vectors (tests/data/kat/, BSD-3, D. E. Shaw Research) through
``philox.philox4x32`` (one by one, batched, broadcast) and through the independent reference."""
from pathlib import Path

import numpy as np
import pytest

import philox
import reference as R

KAT_FILE = Path(__file__).parent / "data" / "kat" / "philox_kat_vectors.txt"


def _load(name, rounds):
    rows = []
    for line in KAT_FILE.read_text().splitlines():
        f = line.split()
        if not f or f[0].startswith("#") or f[0] != name or int(f[1]) != rounds:
            continue
        v = [int(x, 16) for x in f[2:]]
        assert len(v) == 4 + 2 + 4, line
        rows.append((tuple(v[:4]), tuple(v[4:6]), tuple(v[6:])))
    return rows


KAT10 = _load("philox4x32", 10)
KAT7 = _load("philox4x32", 7)


def test_kat_file_complete():
    # README.md: 55 philox4x32 lines for each of R=7 and R=10
    assert len(KAT10) == 55
    assert len(KAT7) == 55
    assert KAT10[0] == ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8))


@pytest.mark.parametrize("ctr,key,expected", KAT10)
def test_kat_single(ctr, key, expected):
    out = philox.philox4x32(np.array(ctr, np.uint32), np.array(key, np.uint32))
    assert out.dtype == np.uint32 and out.shape == (4,)
    assert tuple(int(v) for v in out) == expected
    # plain Python lists are accepted too
    assert philox.philox4x32(list(ctr), list(key)).tolist() == list(expected)


@pytest.mark.parametrize("ctr,key,expected", KAT10)
def test_kat_reference(ctr, key, expected):
    assert R.philox4x32_10(ctr, key) == expected
    assert tuple(int(v) for v in R.philox4x32_10_np(*ctr, *key)) == expected


@pytest.mark.parametrize("ctr,key,expected", KAT7)
def test_kat_reference_7_rounds(ctr, key, expected):
    # the reference's round function is right on its own, not just after 10 rounds
    assert R.philox4x32_10(ctr, key, rounds=7) == expected


def test_kat_batched():
    ctr = np.array([c for c, _, _ in KAT10], np.uint32)
    key = np.array([k for _, k, _ in KAT10], np.uint32)
    exp = np.array([e for _, _, e in KAT10], np.uint32)
    np.testing.assert_array_equal(philox.philox4x32(ctr, key), exp)
    # leading batch dimensions are kept
    out = philox.philox4x32(ctr.reshape(5, 11, 4), key.reshape(5, 11, 2))
    assert out.shape == (5, 11, 4)
    np.testing.assert_array_equal(out.reshape(-1, 4), exp)
    # the vectorized reference, batched
    y = R.philox4x32_10_np(*ctr.T, *key.T)
    np.testing.assert_array_equal(np.stack(y, axis=1), exp)


def test_kat_broadcast_one_key_over_many_counters():
    ctr = np.array([c for c, _, _ in KAT10], np.uint32)
    for key in {k for _, k, _ in KAT10}:
        out = philox.philox4x32(ctr, np.array(key, np.uint32))
        assert out.shape == (len(KAT10), 4)
        for i, (c, k, e) in enumerate(KAT10):
            if k == key:
                assert tuple(int(v) for v in out[i]) == e
            assert tuple(int(v) for v in out[i]) == R.philox4x32_10(c, key)
    # and one counter under many keys
    keys = np.array([k for _, k, _ in KAT10], np.uint32)
    c0 = KAT10[0][0]
    out = philox.philox4x32(np.array(c0, np.uint32), keys)
    assert out.shape == (len(KAT10), 4)
    for i, k in enumerate(keys):
        assert tuple(int(v) for v in out[i]) == R.philox4x32_10(c0, k)


def test_kat_large_batch_matches_reference():
    rng = np.random.default_rng(20240601)
    ctr = rng.integers(0, 2**32, size=(5000, 4), dtype=np.uint32)
    key = rng.integers(0, 2**32, size=(5000, 2), dtype=np.uint32)
    got = philox.philox4x32(ctr, key)
    exp = np.stack(R.philox4x32_10_np(*ctr.T, *key.T), axis=1)
    np.testing.assert_array_equal(got, exp)
    # the empty batch
    assert philox.philox4x32(np.zeros((0, 4), np.uint32), np.zeros((0, 2), np.uint32)).shape == (0, 4)
