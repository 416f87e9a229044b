"""Exact mid-epoch resume under accelerate (the README's "Checkpoints" section), on the CPU: with the
default loader, register_for_checkpointing of a TrackedLoader; with use_stateful_dataloader=True, a
PhiloxBatchSampler whose position the loader's own state restores, and the sampler registered for
its epoch."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("accelerate", reason="needs accelerate")

from framework_cases import KEYS, Samples, check_resume, recipe, with_keys  # noqa: E402
from test_frameworks_torch import plan, workers  # noqa: E402

@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    from accelerate.state import AcceleratorState, GradientState
    AcceleratorState._reset_state(True)
    GradientState._reset_state()
    yield
    AcceleratorState._reset_state(True)
    GradientState._reset_state()


@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("num_workers", [0, 2])
def test_accelerate_recipe_resumes_exactly(tmp_path, keys, num_workers):
    code = workers(with_keys(recipe("accelerate"), keys), num_workers)
    check_resume(code, tmp_path, dataset=Samples(21), **plan(num_workers))


def test_accelerate_registering_the_sampler_itself_would_skip_samples(tmp_path):
    # the failure the recipe's TrackedLoader prevents (issue 9): accelerate reads one batch ahead
    code = workers(recipe("accelerate"), 0)
    assert code.count("register_for_checkpointing(loader)") == 1
    code = code.replace("register_for_checkpointing(loader)", "register_for_checkpointing(sampler)")
    with pytest.raises(AssertionError, match="differs|items trained"):
        check_resume(code, tmp_path, (2,), dataset=Samples(21))


STATEFUL = "accelerate with `use_stateful_dataloader=True`"


@pytest.mark.filterwarnings("ignore:'set_vital' is deprecated")
@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("num_workers, n", [(0, 21), (0, 24), (2, 21)])  # 21: a last partial batch
def test_accelerate_stateful_dataloader_recipe_resumes_exactly(tmp_path, keys, num_workers, n):
    code = workers(with_keys(recipe(STATEFUL), keys), num_workers)
    check_resume(code, tmp_path, dataset=Samples(n), **plan(num_workers))


@pytest.mark.filterwarnings("ignore:'set_vital' is deprecated")
def test_accelerate_stateful_dataloader_recipe_with_persistent_workers(tmp_path):
    code = with_keys(recipe(STATEFUL), True)
    assert code.count("num_workers=2)") == 1
    code = code.replace("num_workers=2)", "num_workers=2, persistent_workers=True)")
    check_resume(code, tmp_path, dataset=Samples(21), **plan(2))


@pytest.mark.filterwarnings("ignore:'set_vital' is deprecated")
def test_the_tracked_loader_recipe_under_use_stateful_dataloader_would_skip_samples(tmp_path):
    # why the stateful loader has its own recipe: the loader restores the position on top of the
    # TrackedLoader's (with sampler=, by skipping the saved number of batches), so a resume skips twice
    code = workers(recipe("accelerate"), 0)
    assert code.count("Accelerator()") == 1
    code = code.replace("Accelerator()", "Accelerator(dataloader_config=__import__('accelerate').utils."
                                         "DataLoaderConfiguration(use_stateful_dataloader=True))")
    with pytest.raises(AssertionError, match="items trained"):
        check_resume(code, tmp_path, (2,), dataset=Samples(21))


@pytest.mark.filterwarnings("ignore:'set_vital' is deprecated")
def test_stateful_loader_restored_at_a_pass_end_fetches_from_the_batch_sampler_first(tmp_path):
    """The torchdata behaviour the recipe's PhiloxBatchSampler is built for (see _BatchIteration):
    restored from the state accelerate saves at an epoch's last batch (marked finished), a
    StatefulDataLoader with workers pre-fetches from the restored iteration before starting a new
    one. With a plain torch batch sampler that counts its iterations, more than one starts: only
    the last is trained on (a stateful sampler moves on with each). A PhiloxBatchSampler's
    restored iteration at a pass's end yields nothing and leaves the sampler alone, so the new
    iteration is the one that moves to the next epoch."""
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

    class Counting(BatchSampler):
        started = 0

        def __iter__(self):
            type(self).started += 1
            return super().__iter__()

    def run(load):
        acc = Accelerator(dataloader_config=DataLoaderConfiguration(use_stateful_dataloader=True))
        ds = list(range(10))
        loader = acc.prepare(DataLoader(ds, batch_sampler=Counting(SequentialSampler(ds), 4, False),
                                        num_workers=2))
        if load:
            acc.load_state(str(tmp_path / "ck"))
        Counting.started = 0
        got = [b.tolist() for b in loader]
        if not load:
            acc.save_state(str(tmp_path / "ck"))  # after the last batch: marked finished
        return got, Counting.started

    full, started = run(False)
    assert len(full) == 3  # (started: 0, prepare() started the iteration already, for its state_dict())
    assert torch.load(str(tmp_path / "ck" / "dl_state_dict.bin"), weights_only=False)["_iterator_finished"]
    from accelerate.state import AcceleratorState, GradientState
    AcceleratorState._reset_state(True)
    GradientState._reset_state()
    again, started = run(True)
    # the new pass trained on, after others started (restored, pre-fetched from, dropped): 5 with
    # torchdata 0.11.0; a stateful sampler would move on with each
    assert again == full and started >= 2
