"""``python -m philox info``: what this install is and which code fills each kind of output.

``collect()`` returns the facts as a dict (``python -m philox info --json`` prints it), ``format_info``
the text: philox's version and stream format, the CPU instruction set chosen at run time and the
thread count, whether the CUDA module (``philox._cuda``) was built and for which architectures,
torch's version and, per device, the backend a draw would use (the rule is ``_backend.backend_for``).
``build_line()`` is the short form ``--version`` prints; it imports neither torch nor CUDA.
"""
from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from typing import Any, Dict, List, Optional

import numpy as np

import philox
from . import _backend, _core

_BACKEND_TEXT = {
    "cpu": "C++ kernels (philox._core, {isa})",
    "cuda": "CUDA kernels (philox._cuda), on torch's current stream",
    "torch": "pure-torch fallback (same bits, slower)",
}


def _cuda_module() -> Dict[str, Any]:
    """Whether philox._cuda was built (importable), its architectures and CUDA versions; never raises."""
    try:
        from . import _cuda
    except ImportError as e:
        return {"built": False, "why": str(e)}
    info: Dict[str, Any] = {"built": True, "architectures": list(_cuda.architectures()),
                            "runtime_version": _cuda.runtime_version()}
    info["driver_version"] = _cuda.driver_version()
    info["devices"] = _cuda.device_count()
    return info


def cuda_module_built() -> bool:
    """True when ``philox._cuda`` was built (it imports), whether or not it sees a device."""
    return _cuda_module()["built"]


def _cuda_version(v: int) -> str:
    return f"{v // 1000}.{v % 1000 // 10}" if v else "none"


def _torch_version_no_import() -> Optional[str]:
    """torch's installed version from its metadata (does not import torch), or None."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return None


def _torch() -> Dict[str, Any]:
    try:
        import torch
    except ImportError as e:
        if _torch_version_no_import() is None:
            return {"installed": False}
        return {"installed": True, "error": f"{type(e).__name__}: {e}"}
    except Exception as e:  # a broken install: report it, do not fail the report
        return {"installed": True, "error": f"{type(e).__name__}: {e}"}
    cuda = torch.cuda.is_available()
    return {"installed": True, "version": torch.__version__, "cuda_build": torch.version.cuda,
            "cuda_available": cuda, "cuda_devices": torch.cuda.device_count() if cuda else 0,
            "cuda_names": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []}


def collect() -> Dict[str, Any]:
    """The facts ``python -m philox info`` prints, as a JSON-serializable dict."""
    t = _torch()
    backends = {"numpy arrays": "cpu"}
    if t.get("version"):
        backends.update({"torch CPU tensors": _backend.backend_for("cpu"),
                         "torch CUDA tensors": _backend.backend_for("cuda"),
                         "other torch devices": _backend.backend_for("other")})
    return {
        "philox": philox.__version__,
        "format": philox.FORMAT_VERSION,
        "python": platform.python_version(),
        "executable": sys.executable,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu_isa": _core.isa(),
        "threads": philox.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "cuda_module": _cuda_module(),
        "torch": t,
        "backend_setting": _backend.get_backend(),
        "backends": backends,
    }


def _arch_text(archs: List[str]) -> str:
    real = [a.split("-")[0] for a in archs if not a.endswith("-virtual")]
    ptx = [a.split("-")[0] for a in archs if a.endswith("-virtual") or "-" not in a]
    parts = []
    if real:
        parts.append("sm_" + ", sm_".join(real))
    if ptx:
        parts.append("PTX " + ", ".join(ptx) + " (JIT for newer GPUs)")
    return " + ".join(parts) or "none listed"


def _cuda_module_text(c: Dict[str, Any]) -> str:
    if not c["built"]:
        return ("not built (no nvcc on PATH at install time, or PHILOX_CUDA=OFF); "
                "CUDA tensors use the pure-torch fallback")
    return (f"built for {_arch_text(c['architectures'])}; CUDA runtime {_cuda_version(c['runtime_version'])}, "
            f"driver {_cuda_version(c['driver_version'])}, {c['devices']} device(s) visible")


def build_line() -> str:
    """One line for ``--version``: CPU instruction set, threads, CUDA module, torch (torch is not imported)."""
    c = _cuda_module()
    cuda = (f"CUDA module built for {_arch_text(c['architectures'])}" if c["built"]
            else "CUDA module not built")
    tv = _torch_version_no_import()
    return (f"CPU {_core.isa()}, {philox.get_num_threads()} thread(s); {cuda}; "
            f"torch {tv if tv else 'not installed'} ('python -m philox info' for details)")


def format_info(d: Dict[str, Any]) -> str:
    """The text of ``python -m philox info`` for ``d = collect()``."""
    t = d["torch"]
    if not t["installed"]:
        torch_text = "not installed (numpy outputs only; see the README for the torch CPU wheel)"
    elif "error" in t:
        torch_text = f"installed but import failed: {t['error']}"
    else:
        gpu = (f"CUDA {t['cuda_build']}, {t['cuda_devices']} GPU(s): {', '.join(t['cuda_names'])}"
               if t["cuda_available"] else
               f"CUDA build {t['cuda_build']}, no GPU visible" if t["cuda_build"] else "CPU-only build")
        torch_text = f"{t['version']} ({gpu})"
    rows = [
        ("philox", f"{d['philox']}, stream format v{d['format']}"),
        ("python", f"{d['python']} ({d['executable']})"),
        ("numpy", d["numpy"]),
        ("CPU", f"{d['cpu_isa']} instruction set (chosen at run time on this {d['machine']} CPU), "
                f"{d['threads']} thread(s) for big draws ({d['cpu_count']} logical CPUs)"),
        ("CUDA module", _cuda_module_text(d["cuda_module"])),
        ("torch", torch_text),
    ]
    width = max(len(k) for k, _ in rows) + 2
    lines = [f"{k:<{width}}{v}" for k, v in rows]
    lines.append("backend that fills each output"
                 + (" (PHILOX_BACKEND=torch / set_backend('torch'): the fallback for every tensor)"
                    if d["backend_setting"] == "torch" else "") + ":")
    c = d["cuda_module"]
    for where, name in d["backends"].items():
        text = _BACKEND_TEXT[name].format(isa=d["cpu_isa"])
        if where == "torch CUDA tensors" and d["backend_setting"] != "torch":
            if not t.get("cuda_available"):
                text = ("none now (torch sees no CUDA GPU); with one: "
                        + (_BACKEND_TEXT["cuda"] if c["built"] else _BACKEND_TEXT["torch"] + ", philox._cuda not built"))
            elif name == "torch" and c["built"]:
                text += (f" (philox._cuda is built but its CUDA {_cuda_version(c['runtime_version'])} runtime sees "
                         "no device: is the driver older than that?)")
        lines.append(f"  {where + ':':<22}{text}")
    if len(d["backends"]) == 1:
        lines.append("  (torch tensors: install torch)")
    return "\n".join(lines)


def run_cli(args) -> int:
    """``python -m philox info [--json]``."""
    d = collect()
    if getattr(args, "json", False):
        import json
        print(json.dumps(d, indent=2))
    else:
        print(format_info(d))
    return 0
