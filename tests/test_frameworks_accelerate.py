"""Exact mid-epoch resume under accelerate (the README's "Checkpoints" section): register_for_checkpointing
of a TrackedLoader, on the CPU. (use_stateful_dataloader=True is not a recipe: see the docs.)"""
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
