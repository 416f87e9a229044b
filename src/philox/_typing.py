"""Type aliases of the public API's annotations (issue 10 item 5).

For type checkers only: the modules import these names under ``typing.TYPE_CHECKING`` and write
their annotations as strings (``from __future__ import annotations``), so torch stays optional at
run time. The rule the overloads encode: a draw returns numpy (a float64/int64 array, or a scalar
when no size is given) unless a torch dtype, ``device=`` or a tensor ``out=`` asks for a
``torch.Tensor``; a numpy ``out=`` is returned as it is.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence, TypeVar, Union

import numpy as np

if TYPE_CHECKING:
    import torch
    from numpy.typing import NDArray

    #: an int argument: a Python int or a numpy integer (``bool`` is refused at run time)
    IntLike = Union[int, np.integer[Any]]
    #: one stream path component
    Component = Union[str, IntLike]
    #: a size: an int or a tuple / list of ints (each ``*size`` argument of ``rand``/``randn`` too)
    SizeArg = Union[IntLike, Sequence[IntLike]]
    #: a numpy dtype as numpy takes it (a dtype, a scalar type such as ``np.float32`` or ``float``, a str)
    NpDType = Union["np.dtype[Any]", type, str]
    #: a torch device: ``"cuda"``, ``"cuda:1"``, ``torch.device(...)`` or a CUDA index
    Device = Union[str, int, torch.device]
    #: a dtype argument of the draws: numpy's or torch's
    DTypeArg = Union[NpDType, torch.dtype]
    #: fold indices: an integer tensor, a numpy integer array or a list of ints
    IndexLike = Union[torch.Tensor, "NDArray[np.integer[Any]]", Sequence[int]]
    Tensor = torch.Tensor
    F64Array = NDArray[np.float64]
    I64Array = NDArray[np.int64]
    U32Array = NDArray[np.uint32]
    AnyArray = NDArray[Any]
    #: a numpy ``out=`` array, returned with its own type
    ArrayT = TypeVar("ArrayT", bound="np.ndarray[Any, Any]")
