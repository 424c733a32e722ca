from typing import Any

import torch as _torch

from . import SemiringLike

class TropicalMatmul(_torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, a: _torch.Tensor, b: _torch.Tensor, semiring: SemiringLike = ...) -> Any: ...
    @staticmethod
    def backward(ctx: Any, grad_values: _torch.Tensor, _grad_argk: _torch.Tensor) -> Any: ...

def matmul(a: _torch.Tensor, b: _torch.Tensor, semiring: SemiringLike = "maxplus") -> _torch.Tensor: ...
