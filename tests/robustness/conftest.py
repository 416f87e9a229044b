"""The robustness suite (issue 10): bad inputs for every public draw, sampler and state loader,
threads, fork and thread-creation failure. ``checked`` counts the bad inputs each test tried
(all raised a clean error with nothing changed, or the test failed); the totals are printed at
the end of the run."""
import collections

import pytest

TRIED = collections.Counter()


@pytest.fixture
def checked(request):
    """``checked(n=1)``: count n more bad inputs tried by this test (under its module's name)."""
    name = request.node.module.__name__.rsplit(".", 1)[-1] + "::" + request.node.originalname

    def add(n=1):
        TRIED[name] += n
    return add


def pytest_terminal_summary(terminalreporter):
    if TRIED:
        terminalreporter.section("robustness: bad inputs tried (each raised cleanly, nothing changed)")
        for name, n in sorted(TRIED.items()):
            terminalreporter.write_line(f"{n:8d}  {name}")
        terminalreporter.write_line(f"{sum(TRIED.values()):8d}  in all")
