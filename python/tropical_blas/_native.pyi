"""The compiled half of tropical_blas (private: use the package's functions)."""

from typing import Any, Dict, Optional, Tuple

import numpy as np

NO_ARG: int

def matmul(
    semiring: str,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
    argk: Optional[np.ndarray],
    accumulate: bool,
    threads: int,
) -> None: ...
def matmul_backward(
    semiring: str,
    a: np.ndarray,
    b: np.ndarray,
    argk: np.ndarray,
    grad_out: np.ndarray,
    grad_a: np.ndarray,
    grad_b: np.ndarray,
) -> None: ...
def cpu_report() -> Tuple[str, Dict[str, Any]]: ...
