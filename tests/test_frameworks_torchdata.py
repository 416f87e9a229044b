"""Exact mid-epoch resume under torchdata's StatefulDataLoader (the README's "Checkpoints" section)."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("torchdata.stateful_dataloader", reason="needs torchdata (StatefulDataLoader)")

from framework_cases import KEYS, Samples, check_resume, recipe, with_keys  # noqa: E402
from test_frameworks_torch import plan, workers  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:'set_vital' is deprecated")


@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("num_workers, n", [(0, 21), (0, 24), (2, 21)])  # 21: a last partial batch
def test_stateful_dataloader_recipe_resumes_exactly(tmp_path, keys, num_workers, n):
    code = workers(with_keys(recipe("torchdata `StatefulDataLoader`"), keys), num_workers)
    check_resume(code, tmp_path, dataset=Samples(n), **plan(num_workers))
