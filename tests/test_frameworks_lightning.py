"""Exact resume from a mid-epoch checkpoint under pytorch-lightning (the README's "Checkpoints" section):
the train loader is a TrackedLoader, which Lightning checkpoints and restores; CPU, a tiny model."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("pytorch_lightning", reason="needs pytorch-lightning")

from framework_cases import KEYS, Samples, check_resume, recipe, with_keys  # noqa: E402
from test_frameworks_torch import plan, workers  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("num_workers", [0, 2])
def test_lightning_recipe_resumes_exactly(tmp_path, keys, num_workers):
    code = workers(with_keys(recipe("Lightning"), keys), num_workers)
    check_resume(code, tmp_path, dataset=Samples(21), **plan(num_workers))
