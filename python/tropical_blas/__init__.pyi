"""Type stubs for tropical_blas: exact, fast tropical matrix products for NumPy."""

from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

class Semiring:
    name: str
    add: str
    mul: str
    dtypes: Tuple[str, ...]
    argmax: bool
    def __init__(
        self, name: str, add: str, mul: str, dtypes: Tuple[str, ...], argmax: bool
    ) -> None: ...
    def zero(self, dtype: npt.DTypeLike) -> Any: ...

MaxPlus: Semiring
MinPlus: Semiring
MaxMul: Semiring
MaxMin: Semiring
MinMax: Semiring
OrAnd: Semiring
SEMIRINGS: Dict[str, Semiring]

SemiringLike = Union[str, Semiring]

def matmul(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    semiring: SemiringLike = "maxplus",
    *,
    out: Optional[np.ndarray] = None,
    accumulate: bool = False,
    threads: Optional[int] = None,
) -> Any:
    """The product of a and b in semiring, with numpy.matmul's shape rules.

    The GIL is released during the product; until it returns, each
    operand's memory span (gaps of a strided view included) is borrowed:
    other threads must not write the spans of a and b, nor read or write
    the span of out.
    """
    ...

def matmul_argmax(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    semiring: SemiringLike = "maxplus",
    *,
    out: Optional[np.ndarray] = None,
    accumulate: bool = False,
    threads: Optional[int] = None,
) -> Tuple[Any, Union[npt.NDArray[np.int64], np.int64]]:
    """(values, argk): matmul and the winning k per output (-1: none).

    Numpy scalars for 1-D . 1-D operands without out= (argk an np.int64).
    The GIL is released as in matmul, with the same rule: the spans of a
    and b must not be written, nor out's span used, until it returns.
    """
    ...

def matmul_backward(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    argk: npt.ArrayLike,
    grad_out: npt.ArrayLike,
    semiring: SemiringLike = "maxplus",
) -> Tuple[np.ndarray, np.ndarray]:
    """(grad_a, grad_b): grad_out scattered through the winners in argk."""
    ...

class CpuReport:
    def __init__(self, text: str, data: Dict[str, Any]) -> None: ...
    def as_dict(self) -> Dict[str, Any]: ...

def cpu_report() -> CpuReport:
    """The detected CPU features, ISA level and kernel per semiring and dtype."""
    ...
