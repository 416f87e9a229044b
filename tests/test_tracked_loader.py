"""philox.TrackedLoader without torch: any iterable of batches drawn in order from a PhiloxSampler
or PhiloxBatchSampler (here a minimal loader that reads ahead, as a prefetching DataLoader does)."""
import pickle

import pytest

import philox


class ReadAheadLoader:
    """Batches of ``batch_size`` indices from ``sampler``, drawn ``ahead`` batches before they are
    handed out (the sampler runs ahead of the loop as under a prefetching DataLoader)."""

    def __init__(self, sampler, batch_size, ahead=2):
        self.sampler, self.batch_size, self.ahead = sampler, batch_size, ahead

    def __len__(self):
        return -(-len(self.sampler) // self.batch_size)

    def __iter__(self):
        it = iter(self.sampler)
        queue, batch = [], []
        for i in it:
            batch.append(i)
            if len(batch) == self.batch_size:
                queue.append(batch)
                batch = []
                if len(queue) > self.ahead:
                    yield queue.pop(0)
        if batch:
            queue.append(batch)
        yield from queue


@pytest.mark.parametrize("n, batch, stop", [(23, 4, 1), (23, 4, 3), (23, 4, 5), (23, 4, 6), (24, 4, 6), (5, 8, 1)])
def test_state_after_what_the_loop_received(n, batch, stop):
    s = philox.PhiloxSampler(n, seed=9)
    t = philox.TrackedLoader(ReadAheadLoader(s, batch), batch_size=batch)
    seen = []
    for i, b in enumerate(t, 1):
        seen += b
        if i == stop:
            break
    assert s.state_dict()["position"] > min(n, stop * batch) or stop * batch >= n  # the sampler ran ahead
    st = pickle.loads(pickle.dumps(t.state_dict()))
    r = philox.PhiloxSampler(n, seed=9)
    r.load_state_dict(st)
    rest = list(r) if st["epoch"] == 0 else []
    assert seen + rest == list(philox.PhiloxSampler(n, seed=9))
    assert r.epoch == 1 and t.epoch == st["epoch"]


def test_batch_sampler_and_the_sampler_found_on_the_loader():
    s = philox.PhiloxSampler(30, seed=2)
    bs = philox.PhiloxBatchSampler(s, 7)

    class L:
        batch_sampler = bs

        def __iter__(self):
            return iter(bs)

        def __len__(self):
            return len(bs)

    t = philox.TrackedLoader(L())
    assert t.sampler is bs and len(t) == 5
    it = iter(t)
    next(it), next(it)
    assert t.state_dict() == bs.state_dict(consumed_batches=2) and t.consumed_batches == 2


def test_bad_state_changes_nothing():
    s = philox.PhiloxSampler(30, seed=2)
    t = philox.TrackedLoader(ReadAheadLoader(s, 5), s)
    before = t.state_dict()
    with pytest.raises(ValueError, match="another sampler"):
        t.load_state_dict(philox.PhiloxSampler(30, seed=3).state_dict())
    with pytest.raises(TypeError, match="state must be a dict"):
        t.load_state_dict([1])
    assert t.state_dict() == before and s.state_dict() == before
