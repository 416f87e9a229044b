"""Output dtypes: numpy or torch, mapped to the backend's element codes.

Codes: f16 bf16 f32 f64 (floats), i8 i16 i32 i64 u8 u16 u32 u64 (integers), b8 (bool: bernoulli).
numpy has no bfloat16, so ``bf16`` is torch-only.
"""
from __future__ import annotations

import sys

import numpy as np

_NP_CODES = {
    np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
    np.dtype(np.int8): "i8", np.dtype(np.int16): "i16", np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64", np.dtype(np.uint8): "u8", np.dtype(np.uint16): "u16",
    np.dtype(np.uint32): "u32", np.dtype(np.uint64): "u64",
    np.dtype(np.bool_): "b8",
}
CODE_NP = {v: k for k, v in _NP_CODES.items()}
ITEMSIZE = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i8": 1, "i16": 2, "i32": 4, "i64": 8,
            "u8": 1, "u16": 2, "u32": 4, "u64": 8, "b8": 1}
FLOAT_CODES = ("f16", "bf16", "f32", "f64")
INT_CODES = ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64")


def int_bounds(code: str):
    bits = 8 * ITEMSIZE[code]
    if code[0] == "u":
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _loaded_torch():
    """torch if it is imported and fully initialized, else None. While another thread is still
    importing it, ``sys.modules`` already holds the half-initialized module (its names not yet
    defined): that one is never used."""
    t = sys.modules.get("torch")
    if t is None or getattr(getattr(t, "__spec__", None), "_initializing", False):
        return None
    return t


def torch_module():
    """torch if it is importable, else None (imported lazily: numpy-only installs never load it).

    If another thread is importing torch, this waits for that import to finish (the import
    statement takes the module's import lock) rather than return the half-imported module."""
    t = _loaded_torch()
    if t is not None:
        return t
    try:
        import torch
    except ImportError:
        return None
    return torch


def is_torch_dtype(dtype) -> bool:
    t = _loaded_torch()
    return t is not None and isinstance(dtype, t.dtype)


def is_tensor(x) -> bool:
    t = _loaded_torch()
    return t is not None and isinstance(x, t.Tensor)


_TORCH_CODES = None


def _torch_codes(torch):
    global _TORCH_CODES
    if _TORCH_CODES is None:
        _TORCH_CODES = _make_torch_codes(torch)
    return _TORCH_CODES


def _make_torch_codes(torch):
    codes = {torch.float16: "f16", torch.bfloat16: "bf16", torch.float32: "f32", torch.float64: "f64",
             torch.int8: "i8", torch.int16: "i16", torch.int32: "i32", torch.int64: "i64",
             torch.uint8: "u8", torch.bool: "b8"}
    for name, code in (("uint16", "u16"), ("uint32", "u32"), ("uint64", "u64")):
        if hasattr(torch, name):
            codes[getattr(torch, name)] = code
    return codes


def torch_code_fast(dtype):
    """Element code of a torch dtype; None for anything else, or when torch is not imported."""
    codes = _TORCH_CODES
    if codes is None:
        t = sys.modules.get("torch")
        if t is None or not isinstance(dtype, t.dtype):
            return None
        codes = _torch_codes(t)
    try:
        return codes.get(dtype)
    except TypeError:  # unhashable
        return None


def torch_code(dtype, name="dtype") -> str:
    import torch
    code = _torch_codes(torch).get(dtype)
    if code is None:
        raise TypeError(f"{name}={dtype} is not supported; use a float or integer torch dtype")
    return code


def code_torch(code: str):
    import torch
    for dt, c in _torch_codes(torch).items():
        if c == code:
            return dt
    raise TypeError(f"this torch has no dtype for {code}")


def numpy_code(dtype, name="dtype") -> str:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name}={dtype!r} is not a numpy or torch dtype") from None
    code = _NP_CODES.get(dt)
    if code is None:
        raise TypeError(f"{name}={dtype!r} is not supported; use a float or integer dtype")
    return code
