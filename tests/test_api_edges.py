"""Edge cases of the public surface of issues 4 and 5 (permutation, shuffle, choice, the samplers,
isolate, the command line), found by probing it against numpy's and torch's semantics and the
FORMAT text. Each test pins one fixed bug or one contract the probing confirmed."""
import numpy as np
import pytest

import philox


# ------------------------------------------------------------------------------------- permutation
def test_permutation_with_a_torch_dtype_gives_a_tensor():
    torch = pytest.importorskip("torch")
    s = philox.Stream(3, "perm-dtype")
    t = s.permutation(50, dtype=torch.int32)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.int32 and t.device.type == "cpu"
    assert t.tolist() == philox.Stream(3, "perm-dtype").permutation(50).tolist()
    assert s.position == 12
    e = s.permutation(0, dtype=torch.int16)
    assert isinstance(e, torch.Tensor) and e.dtype == torch.int16 and e.numel() == 0
    assert s.position == 24
