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
    assert "demo" in out and "bench" in out and "info" in out
    rc, out, _ = _main(["bench", "--help"], capsys)
    assert rc == 0 and "--plot" in out and "--n" in out


def _cuda_built() -> bool:
    try:
        import philox._cuda  # noqa: F401
    except ImportError:
        return False
    return True


def test_version():
    r = _run("--version")
    assert r.returncode == 0 and r.stderr == ""
    first, build = r.stdout.strip().splitlines()
    assert first == f"philox {philox.__version__} (format v{philox.FORMAT_VERSION})"
    assert build.startswith(f"CPU {philox._core.isa()}, {philox.get_num_threads()} thread(s); ")
    assert ("CUDA module built for sm_" in build) == _cuda_built()
    assert ("CUDA module not built" in build) == (not _cuda_built())
    assert "torch " in build and "python -m philox info" in build


def test_info_command():
    r = _run("info")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert f"{philox.__version__}, stream format v{philox.FORMAT_VERSION}" in out
    assert f"{philox._core.isa()} instruction set" in out
    assert f"{philox.get_num_threads()} thread(s)" in out
    assert ("CUDA module  built for" in out) == _cuda_built()
    assert f"numpy arrays:         C++ kernels (philox._core, {philox._core.isa()})" in out
    try:
        import torch
    except ImportError:
        assert "torch        not installed" in out and "torch CPU tensors" not in out
    else:
        assert f"torch        {torch.__version__}" in out
        assert "torch CPU tensors:    C++ kernels" in out and "other torch devices:  pure-torch fallback" in out


def test_info_json_matches_the_module():
    import json
    from philox import _backend, _info
    r = _run("info", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["philox"], d["format"], d["cpu_isa"]) == (philox.__version__, philox.FORMAT_VERSION, philox._core.isa())
    assert d["cuda_module"]["built"] == _cuda_built()
    if d["cuda_module"]["built"]:
        from philox import _cuda
        assert d["cuda_module"]["architectures"] == _cuda.architectures()
    assert d["backends"]["numpy arrays"] == "cpu"
    here = _info.collect()
    assert here["backends"] == d["backends"]
    if "torch CUDA tensors" in here["backends"]:
        assert here["backends"]["torch CUDA tensors"] == _backend.backend_for("cuda")


def test_info_forced_fallback_and_no_torch(torch_backend):
    from philox import _info
    d = _info.collect()
    if d["torch"]["installed"]:
        assert d["backends"] == {"numpy arrays": "cpu", "torch CPU tensors": "torch", "torch CUDA tensors": "torch",
                                 "other torch devices": "torch"}
        assert "PHILOX_BACKEND=torch" in _info.format_info(d)
    d = dict(d, torch={"installed": False}, backends={"numpy arrays": "cpu"}, backend_setting="auto")
    text = _info.format_info(d)
    assert "torch        not installed" in text and "(torch tensors: install torch)" in text
    d["cuda_module"] = {"built": False, "why": "No module named 'philox._cuda'"}
    assert "CUDA module  not built" in _info.format_info(d)
    d["cuda_module"] = {"built": True, "architectures": ["75-real", "90-real", "90-virtual"],
                        "runtime_version": 12080, "driver_version": 0, "devices": 0}
    assert "built for sm_75, sm_90 + PTX 90 (JIT for newer GPUs); CUDA runtime 12.8, driver none" in _info.format_info(d)


def test_no_command_prints_help(capsys):
    rc, out, _ = _main([], capsys)
    assert rc == 0 and "bench" in out


def test_bench_tiny():
    r = _run("bench", "--n", "1000", "--repeats", "2", "--threads", "1")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for text in ("ns/value", "memory fill 4B", "rand f32", "philox", "numpy PCG64", "n = 1,000",
                 "philox.isolate, entry + exit", "Summary: philox against", "vs numpy PCG64", "% of memory fill",
                 "Small draws", "Stream(seed, 'aug', e, i).rand(10)", "numpy integers(0, 10)"):
        assert text in out
    assert "target" not in out.lower() and "MET" not in out  # the project's goals are for benchmarks/
    assert "1/" in r.stderr  # the progress display counts groups on stderr


def _row(op, lib, threads, seconds, n=1000, bpv=4, device="cpu", variant="new"):
    return dict(device=device, op=op, lib=lib, variant=variant, threads=threads, n=n, bytes_per_value=bpv,
                seconds=seconds, ns_per_value=seconds / n * 1e9, gb_per_s=n * bpv / seconds / 1e9, ratio=None,
                pct_bw=None)


SYNTHETIC = [
    _row("memory fill 4B", "np.empty+fill", 1, 1e-6), _row("memory fill 4B", "ndarray.fill", 1, 5e-7, variant="out"),
    _row("rand f32", "philox", 1, 2e-6), _row("rand f32", "philox", 2, 1e-6), _row("rand f32", "philox", 1, 1e-6, variant="out"),
    _row("rand f32", "numpy PCG64", 1, 6e-6), _row("rand f32", "numpy Philox", 1, 1e-5),
    _row("rand f32", "torch", 1, 3e-6), _row("rand f32", "torch", 2, 1e-7),
    _row("memory fill 4B", "torch.empty+fill_", 1, 1e-7, device="cuda"),
    _row("rand f32", "philox", 1, 2e-7, device="cuda"), _row("rand f32", "torch", 1, 5e-7, device="cuda"),
]


def test_bench_summary_compares_against_others_and_memory():
    from philox import _bench
    cpu, gpu = _bench.compare(SYNTHETIC)
    assert (cpu["device"], cpu["op"], gpu["device"]) == ("cpu", "rand f32", "cuda")
    assert cpu["vs"] == pytest.approx({"numpy PCG64": 3.0, "numpy Philox": 5.0, "torch": 1.5})  # 1 thread each
    assert cpu["philox_ns"] == pytest.approx({1: 2.0, 2: 1.0})
    assert cpu["pct_fill"] == pytest.approx({1: 50.0, 2: 100.0})
    assert gpu["vs"] == pytest.approx({"torch": 2.5}) and gpu["pct_fill"] == pytest.approx({1: 50.0})
    text = _bench.summary(SYNTHETIC)
    assert "CPU, n = 1,000" in text and "GPU (cuda), n = 1,000" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("rand f32"))
    assert line.split() == ["rand", "f32", "2.00", "3.00x", "5.00x", "1.50x", "1.00", "ns", "50%", "/", "100%"]


def test_bench_plot_of_cpu_and_gpu_panels(tmp_path):
    pytest.importorskip("matplotlib")
    from philox import _bench
    png = tmp_path / "s.png"
    _bench.plot(SYNTHETIC, str(png), title="synthetic")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no philox rows"):
        _bench.plot([r for r in SYNTHETIC if r["lib"] != "philox"], str(png))


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


def _readme():
    with open(os.path.join(ROOT, "README.md")) as f:
        return f.read()


def test_readme_commands():
    """The README's first commands are the ones CI runs (.ci/run, with and without torch)."""
    import re
    first, full = re.findall(r"```bash\n(.*?)```", _readme(), re.S)[:2]
    assert first.splitlines()[0].startswith("pip install . && python -m philox demo")
    assert first.splitlines()[1].startswith('pip install ".[test]" && python -m pytest')
    # right under them: the full suite, with torch's CPU wheel pinned, then the same test command
    assert full.splitlines()[0].startswith("pip install torch==")
    assert "--index-url https://download.pytorch.org/whl/cpu" in full.splitlines()[0]
    assert full.splitlines()[1].split("#")[0] == first.splitlines()[1].split("#")[0]
    assert "PHILOX_CUDA" in _readme() and "--no-build-isolation" not in _readme()


def test_readme_tour(keep_globals):
    """The README's tour runs as written (it shows torch tensors, so it needs torch)."""
    import re
    pytest.importorskip("torch", reason="the README tour draws torch tensors")
    tour = re.search(r"## A tour\n\n```python\n(.*?)```", _readme(), re.S).group(1)
    assert len(tour.strip().splitlines()) <= 10
    ns = {}
    exec(compile(tour, "README tour", "exec"), ns)  # keep_globals restores what it seeds
    assert ns["legacy_aug"].__name__ == "legacy_aug"
