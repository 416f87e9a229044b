"""StreamBatch draws against a from-scratch reading of SPEC (plain Python ints, nothing shared
with tests/reference.py), for the C++ backend and the torch fallback, at positions where the
128-bit position and the block counter carry (2**64 words, block 2**32) and at the stream's end."""
import hashlib

import pytest

torch = pytest.importorskip("torch")

import philox  # noqa: E402
from philox import _backend  # noqa: E402

M = 0xFFFFFFFF


def _block(c, k):
    x, (k0, k1) = list(c), k
    for _ in range(10):
        p0, p1 = 0xD2511F53 * x[0], 0xCD9E8D57 * x[2]
        x = [(p1 >> 32) ^ x[1] ^ k0, p1 & M, (p0 >> 32) ^ x[3] ^ k1, p0 & M]
        k0, k1 = (k0 + 0x9E3779B9) & M, (k1 + 0xBB67AE85) & M
    return x


def _fold(p, v, t):
    y = _block((v & M, v >> 32, p & M, p >> 32), (0x243F6A88 + t, 0x85A308D3))
    return y[0] + (y[1] << 32)


def _word(s, sid, w):
    b = w // 4
    return _block((b & M, b >> 32, sid & M, sid >> 32), (s & M, s >> 32))[w % 4]


@pytest.fixture(params=["auto", "torch"])
def backend(request):
    _backend.set_backend(request.param)
    yield request.param
    _backend.set_backend("auto")


@pytest.mark.parametrize("pos", [2 ** 64 - 3, 2 ** 64 + 1, 2 ** 34 - 1, 2 ** 66 - 21])
def test_batch_equals_spec(backend, pos):
    seed, s = -12345, 2 ** 64 - 12345
    blake = int.from_bytes(hashlib.blake2b(b"qa", digest_size=8).digest(), "little")
    idx = [0, 2 ** 63 - 1, 5]
    ids = [_fold(_fold(_fold(0, blake, 1), 7, 0), v, 0) for v in idx]
    b = philox.Stream(seed, "qa", 7).fold(torch.tensor(idx))
    assert [v % 2 ** 64 for v in b.ids.tolist()] == ids
    u64 = [[_word(s, i, pos + 2 * j) + (_word(s, i, pos + 2 * j + 1) << 32) for j in range(5)] for i in ids]
    b.position = pos
    assert [[v % 2 ** 64 for v in r] for r in b.random_raw(5, dtype=torch.int64).tolist()] == u64
    b.position = pos
    assert b.rand(5, dtype=torch.float64).tolist() == [[(u >> 11) * 2.0 ** -53 for u in r] for r in u64]
    b.position = pos
    assert b.rand(5, dtype=torch.float16).float().tolist() == [
        [(_word(s, i, pos + j) >> 21) * 2.0 ** -11 for j in range(5)] for i in ids]
    for lo, hi, dt in [(-128, 128, torch.int8), (-3, 2 ** 32 - 3, torch.int64), (0, 2 ** 32 + 1, torch.int64),
                       (-2 ** 63, 2 ** 63, torch.int64)]:
        b.position = pos
        got = b.randint(lo, hi, size=4, dtype=dt).tolist()
        r = hi - lo
        if r <= 2 ** 32:
            exp = [[lo + ((u * r) >> 64) for u in row[:4]] for row in u64]
        else:
            exp = [[lo + ((sum(_word(s, i, pos + 4 * j + q) << (32 * q) for q in range(4)) * r) >> 128)
                    for j in range(4)] for i in ids]
        assert got == exp, (lo, hi)
