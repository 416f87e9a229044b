"""The command line (python -m philox demo / bench / --help / --version) and numpy-only installs."""
import os
import subprocess
import sys
import textwrap

import pytest

import philox

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _main(args, capsys):
    from philox.__main__ import main
    try:
        rc = main(list(args))
    except SystemExit as e:  # argparse: --help, bad options
        rc = e.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def _run(*args, code=None, timeout=300):
    cmd = [sys.executable] + (["-c", code] if code is not None else ["-m", "philox"]) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_demo_exits_zero():
    r = _run("demo")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAILED" not in r.stdout
    assert "checks passed" in r.stdout
    assert "isolate" in r.stdout


def test_demo_failed_check_exits_one(monkeypatch, capsys, keep_globals):
    from philox import _demo
    monkeypatch.setattr(_demo, "SECTIONS", _demo.SECTIONS[:1] + [
        ("a failing section", lambda d: d.check(False, "deliberately false"))])
    rc, out, _ = _main(["demo"], capsys)
    assert rc == 1
    assert "[ok] values change with call order" in out
    assert "[FAILED] deliberately false" in out and "Some checks FAILED." in out


def test_demo_section_that_raises_is_a_failure():
    from philox import _demo
    lines = []

    def boom(d):
        raise ZeroDivisionError("x")
    assert _demo.run(out=lines.append, sections=[("boom", boom)]) is False
    assert any("FAILED" in line and "ZeroDivisionError" in line for line in lines)


def test_help_lists_subcommands(capsys):
    rc, out, _ = _main(["--help"], capsys)
    assert rc == 0
    assert "demo" in out and "bench" in out
    rc, out, _ = _main(["bench", "--help"], capsys)
    assert rc == 0 and "--plot" in out and "--n" in out


def test_version():
    r = _run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"philox {philox.__version__} (format v{philox.FORMAT_VERSION})"


def test_no_command_prints_help(capsys):
    rc, out, _ = _main([], capsys)
    assert rc == 0 and "bench" in out


def test_bench_tiny():
    r = _run("bench", "--n", "1000", "--repeats", "2", "--threads", "1")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for text in ("ns/value", "memory fill 4B", "rand f32", "philox", "numpy PCG64", "n = 1,000",
                 "philox.isolate, entry + exit", "Small draws", "Stream(seed, 'aug', e, i).rand(10)",
                 "numpy integers(0, 10)"):
        assert text in out
    assert "1/" in r.stderr  # the progress display counts groups on stderr


@pytest.mark.parametrize("args", [["--n", "0"], ["--n", "abc"], ["--repeats", "0"], ["--ops", "nope"],
                                  ["--threads", "0"]])
def test_bench_bad_options_exit_2(args, capsys):
    rc, _, err = _main(["bench", *args], capsys)
    assert rc == 2
    assert "error" in err


def test_bench_plot_without_matplotlib_exits_2(tmp_path, monkeypatch, capsys):
    png = tmp_path / "b.png"
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    rc, out, err = _main(["bench", "--n", "100", "--plot", str(png)], capsys)
    assert rc == 2
    assert "matplotlib" in err and out == ""  # refused before measuring anything
    assert not png.exists()


def test_bench_plot_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "b.png"
    rc, out, _ = _main(["bench", "--n", "1000", "--repeats", "1", "--threads", "1", "--ops", "rand f32",
                        "--plot", str(png), "--json", str(tmp_path / "b.json")], capsys)
    assert rc == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "b.json").stat().st_size > 0


def test_bench_cpu_script_wrapper(capsys):
    import runpy
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        mod = runpy.run_path(os.path.join(ROOT, "benchmarks", "bench_cpu.py"), run_name="bench_cpu_test")
    finally:
        sys.path.pop(0)
    assert mod["run"] is __import__("philox._bench", fromlist=["run"]).run  # the README's Python API
    assert mod["main"](["--n", "1000", "--repeats", "1", "--threads", "1", "--ops", "rand f64", "--quiet"]) == 0
    out = capsys.readouterr()
    assert "rand f64" in out.out and "Speed targets" in out.out and "gpu" in out.out
    assert out.err == ""  # --quiet


def test_bench_run_api():
    from philox import _bench
    steps = []
    rows = _bench.run(500, threads=(1,), repeats=1, progress=steps.append, ops=["randn f32"])
    assert len(steps) == _bench.count_steps(500, ["randn f32"])
    assert {r["device"] for r in rows} == {"cpu"}
    assert any(r["lib"] == "philox" and r["op"] == "randn f32" for r in rows)
    with pytest.raises(ValueError, match="repeats"):
        _bench.run(10, repeats=0)
    with pytest.raises(ValueError, match="op"):
        _bench.run(10, ops=["nope"])


def test_bench_gpu_rows_code_path_on_cpu():
    """The GPU rows' code (philox public API with device=, torch draws, fill_) run on device="cpu"."""
    torch = pytest.importorskip("torch")
    from philox import _bench
    steps = []
    rows = _bench._gpu_rows(300, _bench.GPU_OPS, 1, torch, steps.append, device="cpu")
    assert len(steps) == 1 + len(_bench.GPU_OPS)
    assert {(r["op"], r["lib"], r["variant"]) for r in rows if r["op"] == "randn f64"} == {
        ("randn f64", lib, v) for lib in ("philox", "torch") for v in ("new", "out")}
    assert all(r["ratio"] == 1.0 for r in rows if r["lib"] == "torch")
    text = _bench.format_table(rows)
    assert "memory fill 8B" in text


@pytest.mark.cuda
def test_bench_gpu_rows(capsys):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    rc, out, _ = _main(["bench", "--n", "10000", "--repeats", "2", "--threads", "1", "--ops", "rand f32"], capsys)
    assert rc == 0 and "GPU (cuda)" in out


def test_numpy_only_install():
    """seed_everything, isolate, checkpoints and the demo with torch unimportable (as if not installed)."""
    code = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None  # import torch now raises ImportError
        import random, pickle
        import numpy as np
        import philox
        assert philox.seed_everything(888) == 888
        a = (random.random(), np.random.rand())
        philox.seed_everything(888)
        assert (random.random(), np.random.rand()) == a
        philox.worker_init_fn(1)

        def project(order):
            philox.seed_everything(1)
            fns = {"x": philox.isolate("x")(lambda: np.random.randn(3).tolist()),
                   "y": philox.isolate("y")(lambda: [random.random(), np.random.rand()])}
            return {k: fns[k]() for k in order}
        assert project("xy") == project("yx")
        before = (random.getstate(), np.random.get_state()[1].tolist())
        with philox.isolate("z"):
            np.random.rand(3)
        assert before == (random.getstate(), np.random.get_state()[1].tolist())
        g = pickle.loads(pickle.dumps(philox.default_generator))
        sd = philox.default_generator.state_dict()
        assert all(p["torch"] is None for p in sd["isolate"]["paths"])
        with philox.isolate("x"):
            v = np.random.rand(2)
        with g.isolate("x"):
            assert np.array_equal(np.random.rand(2), v)
        from philox._demo import run
        lines = []
        assert run(out=lines.append), " / ".join(lines)  # the README's first command, without torch
        assert "torch: not installed" in lines[0]
        assert sys.modules["torch"] is None
        print("numpy-only ok")
    """)
    r = _run(code=code)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "numpy-only ok" in r.stdout


def test_readme_commands_and_tour(keep_globals):
    """The README's first commands are the ones CI runs, and its tour runs as written."""
    import re
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    first = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    assert first.splitlines()[0].startswith("pip install . && python -m philox demo")
    assert first.splitlines()[1].startswith('pip install ".[test]" && python -m pytest')
    tour = re.search(r"## A tour\n\n```python\n(.*?)```", text, re.S).group(1)
    assert len(tour.strip().splitlines()) <= 10
    ns = {}
    exec(compile(tour, "README tour", "exec"), ns)  # keep_globals restores what it seeds
    assert ns["legacy_aug"].__name__ == "legacy_aug"
