"""philox._cuda on a machine without a GPU: it imports, reports no device, and its launchers check
their arguments on the host before any CUDA call (runs wherever the module was built, CI included)."""
import pytest

cuda = pytest.importorskip("philox._cuda", reason="philox._cuda not built (no nvcc at install time)")

from philox import _core  # noqa: E402

WORDS = [0x9E3779B9 * (j + 1) & 0xFFFFFFFF for j in range(_core.PERM_WORDS)]


def test_imports_without_a_driver():
    assert cuda.device_count() >= 0
    assert cuda.available() == (cuda.device_count() > 0)
    assert cuda.runtime_version() > 0


# perm_fill(words, n, start, step, out pointer, count, device, stream)
@pytest.mark.parametrize("args, msg", [
    ((WORDS[:-1], 10, 0, 1, 8, 1, 0, 0), "exactly 12 words"),
    ((WORDS, 0, 0, 1, 8, 1, 0, 0), "n must be"),
    ((WORDS, 1 << 63, 0, 1, 8, 1, 0, 0), "n must be"),
    ((WORDS, 10, 0, 1, 8, 11, 0, 0), "not below n"),       # indices 0..10 of a permutation of 10
    ((WORDS, 10, 4, 3, 8, 3, 0, 0), "not below n"),        # 4, 7, 10
    ((WORDS, 10, 0, 1, 0, 4, 0, 0), "null output"),
])
def test_perm_fill_checks_before_launching(args, msg):
    with pytest.raises(ValueError, match=msg):
        cuda.perm_fill(*args)


def test_perm_fill_empty_is_a_no_op():
    cuda.perm_fill(WORDS, 10, 0, 1, 0, 0, 0, 0)  # nothing to launch: no CUDA call at all


@pytest.mark.skipif(cuda.device_count() > 0, reason="checks the error path of a machine without a GPU")
def test_launch_without_a_device_raises():
    with pytest.raises(RuntimeError, match="philox CUDA launch failed"):
        cuda.perm_fill(WORDS, 10, 0, 1, 8, 4, 0, 0)  # never written: no device


def test_architectures_are_the_builds():
    """The CMake CUDA_ARCHITECTURES compiled in (python -m philox info prints them)."""
    archs = cuda.architectures()
    assert archs and all(a.split("-")[0].isdigit() for a in archs)
    assert any(a.endswith("-real") for a in archs)
