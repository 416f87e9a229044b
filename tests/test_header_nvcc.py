"""csrc/philox.h must compile as CUDA device code (the GPU kernels include the same header).

Runs where nvcc is installed (CI has it, GPU or not); skipped elsewhere.
"""
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_core_header_compiles_with_nvcc(tmp_path):
    cmd = ["nvcc", "--fmad=false", "-std=c++17", "-I", str(ROOT / "csrc"), "-c",
           str(ROOT / "tests" / "cuda" / "header_check.cu"), "-o", str(tmp_path / "header_check.o")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_cuda_kernels_compile_without_warnings(tmp_path):
    """The kernels themselves (csrc/cuda/fill_kernels.cu), for the oldest architecture built, with the
    build's flags: no warnings (the package build compiles them too, but does not fail on one)."""
    cmd = ["nvcc", "--fmad=false", "-O3", "-std=c++17", "-arch=sm_75", "-c",
           str(ROOT / "csrc" / "cuda" / "fill_kernels.cu"), "-o", str(tmp_path / "fill_kernels.o")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
