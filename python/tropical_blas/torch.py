"""Optional PyTorch autograd support (needs ``torch``; CPU tensors only).

``tropical_blas.torch.matmul(a, b, "maxplus")`` is a differentiable tropical
product: the forward pass is ``matmul_argmax``, the backward pass
``matmul_backward``; tensors cross to NumPy through ``.numpy()`` without
copies. Gradients flow to the one product that won each output.
"""

from __future__ import annotations

import numpy as np
import torch

from . import SemiringLike, matmul_argmax, matmul_backward

__all__ = ["TropicalMatmul", "matmul"]


class TropicalMatmul(torch.autograd.Function):
    """``torch.autograd.Function`` for ``tropical_blas.matmul_argmax``."""

    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor, semiring: SemiringLike = "maxplus"):
        for name, t in (("a", a), ("b", b)):
            if t.device.type != "cpu":
                raise ValueError(f"{name} is on {t.device}; tropical_blas runs on CPU tensors")
        values, argk = matmul_argmax(a.detach().numpy(), b.detach().numpy(), semiring)
        argk = torch.from_numpy(np.asarray(argk))  # a numpy scalar for 1-D . 1-D
        ctx.save_for_backward(a, b, argk)
        ctx.semiring = semiring
        ctx.mark_non_differentiable(argk)
        return torch.from_numpy(np.asarray(values)), argk

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_values: torch.Tensor, _grad_argk: torch.Tensor):
        # The backward pass is NumPy code, not differentiable itself: with
        # create_graph=True the incoming gradient requires grad (detach it
        # to read it), and once_differentiable makes a second derivative
        # through it an error instead of a silent zero.
        a, b, argk = ctx.saved_tensors
        grad_a, grad_b = matmul_backward(
            a.detach().numpy(),
            b.detach().numpy(),
            argk.numpy(),
            grad_values.detach().numpy(),
            ctx.semiring,
        )
        return torch.from_numpy(grad_a), torch.from_numpy(grad_b), None


def matmul(a: torch.Tensor, b: torch.Tensor, semiring: SemiringLike = "maxplus") -> torch.Tensor:
    """The tropical product of two CPU tensors, differentiable in both."""
    values, _ = TropicalMatmul.apply(a, b, semiring)
    return values
